#if canImport(Glibc)
import Glibc
#endif

/// A fresh folder under /tmp for one test, removed with everything in it by `remove()`.
public struct TemporaryFolder: Sendable {
    public let path: String

    public init(_ label: String) {
        var template = Array("/tmp/clientele-test-\(label)-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Deletes the folder and its contents.
    public func remove() {
        _ = system("rm -rf '\(path)'")
    }
}
