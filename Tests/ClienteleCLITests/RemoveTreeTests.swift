import Foundation
import Testing
import Backup

/// `Files.removeTree` (backup, restore and `clientele bench` share it) removes a tree without ever
/// following a symbolic link: a link is removed itself, and what it points to stays.
@Suite("removeTree never follows a symbolic link")
struct RemoveTreeTests {
    @Test("links to folders and files, dangling links and a linked root are removed, never followed")
    func links() throws {
        let dir = try TempFolder("remove-tree"); defer { dir.remove() }
        let outside = try TempFolder("remove-tree-outside"); defer { outside.remove() }
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside.path + "/kept"))
        try FileManager.default.createDirectory(atPath: outside.path + "/sub", withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside.path + "/sub/kept"))

        let root = dir.path + "/tree"
        for folder in ["", "/keys", "/models", "/models/deeper"] {
            try FileManager.default.createDirectory(atPath: root + folder, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: root + folder + "/data.mdb"))
        }
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: root + "/to-folder", withDestinationPath: outside.path)
        try fm.createSymbolicLink(atPath: root + "/models/deeper/to-sub", withDestinationPath: outside.path + "/sub")
        try fm.createSymbolicLink(atPath: root + "/keys/to-file", withDestinationPath: outside.path + "/kept")
        try fm.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: dir.path + "/no-such-thing")
        #expect(Files.removeTree(root))
        #expect(!fm.fileExists(atPath: root) && (try? fm.destinationOfSymbolicLink(atPath: root + "/to-folder")) == nil, "the tree is gone")
        #expect(fm.fileExists(atPath: outside.path + "/kept"), "a file behind a link to a folder or a file stays")
        #expect(fm.fileExists(atPath: outside.path + "/sub/kept"), "a file behind a nested link stays")
        #expect(Files.removeTree(root), "a path that is already gone is removed")

        // A root that is itself a link: the link goes, the folder it points to stays whole.
        let linkedRoot = dir.path + "/linked-root"
        try fm.createSymbolicLink(atPath: linkedRoot, withDestinationPath: outside.path)
        #expect(Files.removeTree(linkedRoot))
        #expect((try? fm.destinationOfSymbolicLink(atPath: linkedRoot)) == nil, "the link itself is removed")
        #expect(fm.fileExists(atPath: outside.path + "/kept") && fm.fileExists(atPath: outside.path + "/sub/kept"))
    }

    @Test("restore clears a stale staging folder without following a link in it out of the tree")
    func restoreStaleStaging() throws {
        let dir = try TempFolder("restore-stale"); defer { dir.remove() }
        let outside = try TempFolder("restore-stale-outside"); defer { outside.remove() }
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside.path + "/kept"))
        let db = dir.path + "/ledger", backup = dir.path + "/backup", restored = dir.path + "/restored"
        #expect(try ClienteleBinary.run(["init", "--db", db]).status == 0)
        let appended = try ClienteleBinary.run(["append", "--db", db], input: (1...20).map { eventLine($0) }.joined(separator: "\n") + "\n")
        #expect(appended.status == 0, "\(appended.stderr)")
        let taken = try ClienteleBinary.run(["backup", "--db", db, "--to", backup])
        #expect(taken.status == 0, "\(taken.stderr)")

        // What an earlier restore by this process (same pid) left behind, holding a link out of the tree.
        let staging = restored + ".restoring-\(getpid())"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: staging + "/stale-link", withDestinationPath: outside.path)

        let outcome = try LedgerRestore.restore(from: backup, to: restored, force: false)
        #expect(outcome.verification.isSound && outcome.manifest.headSequence == 20)
        #expect(FileManager.default.fileExists(atPath: outside.path + "/kept"), "restore deleted a file outside its staging folder")
        #expect(!FileManager.default.fileExists(atPath: staging))
        let left = try FileManager.default.contentsOfDirectory(atPath: restored)
        #expect(!left.contains("stale-link"), "the restored ledger holds the stale staging folder's link: \(left.sorted())")
        #expect(try ClienteleBinary.run(["verify", "--db", restored]).status == 0)
    }
    @Test("a backup that fails half-way removes what it wrote; through a linked destination, the link and its folder stay")
    func failedBackup() throws {
        let dir = try TempFolder("backup-fails"); defer { dir.remove() }
        let db = dir.path + "/ledger"
        #expect(try ClienteleBinary.run(["init", "--db", db]).status == 0)
        #expect(try ClienteleBinary.run(["append", "--db", db], input: (1...5).map { eventLine($0) }.joined(separator: "\n") + "\n").status == 0)
        // A key store LMDB cannot open: the log is copied first, then copying keys/ fails.
        try FileManager.default.createDirectory(atPath: db + "/keys", withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: db + "/keys/data.mdb"))

        let plain = dir.path + "/backup"
        let failed = try ClienteleBinary.run(["backup", "--db", db, "--to", plain])
        #expect(failed.status != 0 && failed.stderr.contains("keys"), "\(failed.status) \(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: plain), "the half-written backup is left behind")

        let real = dir.path + "/real", link = dir.path + "/latest"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let throughLink = try ClienteleBinary.run(["backup", "--db", db, "--to", link])
        #expect(throughLink.status != 0, "\(throughLink.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == real)
        #expect(try FileManager.default.contentsOfDirectory(atPath: real) == [], "what was written through the link stays")
    }
}
