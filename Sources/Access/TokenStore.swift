import Crypto
import Ledger
import LedgerJSON
import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// Why a token operation failed.
public enum TokenStoreError: Error, Sendable, CustomStringConvertible {
    case storage(LMDBError)
    case duplicateName(String)
    case notFound(String)
    case ambiguous(String, matches: Int)
    case invalidName(String)
    case damaged(String)

    public var description: String {
        switch self {
        case .storage(let e): return "token store: \(e)"
        case .duplicateName(let n): return "a live token named '\(n)' exists already: revoke it first or choose another name"
        case .notFound(let s): return "no token with id or name '\(s)' (see `clientele token list`)"
        case .ambiguous(let s, let n): return "'\(s)' matches \(n) tokens: give more of the id"
        case .invalidName(let n): return "token name '\(n)' is not allowed: use 1–64 letters, digits, '.', '-', '_' or '@'"
        case .damaged(let why): return "token store is damaged: \(why)"
        }
    }
}

/// The bearer tokens of one ledger, in an LMDB environment of their own at `<ledger>/access`,
/// keyed by the SHA-256 of the token: a stolen copy of the file gives no usable token.
/// Revocation is a record update (this is configuration, not the customer log) and is seen by
/// every process at its next request.
public final class TokenStore: Sendable {
    /// The folder of the token environment.
    public let path: String
    private let environment: Environment
    private let tokens: Database

    /// The prefix every token carries, so that a leaked one is recognisable (secret scanners).
    public static let prefix = "clt_"

    /// Opens (creating it) the token store of the ledger at `ledgerPath`.
    public init(ledgerPath: String) throws(TokenStoreError) {
        path = ledgerPath + "/access"
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .storage(LMDBError(code: errno, context: "creating \(path)"))
        }
        do {
            var options = EnvironmentOptions()
            options.initialMapSize = 16 << 20
            environment = try Environment(path: path, options: options)
            tokens = try environment.database("tokens")
        } catch {
            throw .storage(error)
        }
    }

    /// Makes a new token and returns it in clear — the only time it is ever seen — with its record.
    public func create(name: String, role: Role, stores: [String], createdBy: String) throws(TokenStoreError) -> (token: String, record: AccessToken) {
        guard TokenStore.isValidName(name) else { throw .invalidName(name) }
        if try list().contains(where: { $0.name == name && $0.revokedAt == nil }) { throw .duplicateName(name) }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let token = TokenStore.prefix + TokenStore.hex(secret)
        let hash = TokenStore.hash(token)
        let record = AccessToken(id: String(TokenStore.hex(hash).prefix(12)), name: name, role: role,
                                 stores: stores.sorted(), createdAt: .now(), createdBy: createdBy, revokedAt: nil)
        try put(record, hash: hash)
        return (token, record)
    }

    /// The live token matching `token`, or nil for an unknown or revoked one.
    public func authenticate(_ token: String) throws(TokenStoreError) -> AccessToken? {
        guard token.hasPrefix(TokenStore.prefix), token.utf8.count == TokenStore.prefix.utf8.count + 64 else { return nil }
        let hash = TokenStore.hash(token)
        let db = tokens
        let bytes: [UInt8]?
        do {
            bytes = try environment.read { (txn: borrowing Transaction) throws -> [UInt8]? in
                try hash.withUnsafeBytes { k in try txn.get(db, key: k).map { [UInt8]($0) } }
            }
        } catch let e as LMDBError { throw .storage(e) } catch { throw .damaged("\(error)") }
        guard let bytes else { return nil }
        let record = try TokenStore.decode(bytes)
        return record.revokedAt == nil ? record : nil
    }

    /// Every token ever made, revoked ones included, oldest first.
    public func list() throws(TokenStoreError) -> [AccessToken] {
        let db = tokens
        let raw: [[UInt8]]
        do {
            raw = try environment.read { (txn: borrowing Transaction) throws -> [[UInt8]] in
                try txn.withCursor(db) { (cursor: inout Cursor) throws -> [[UInt8]] in
                    var out: [[UInt8]] = []
                    var entry = try cursor.first()
                    while let e = entry {
                        out.append([UInt8](e.value))
                        entry = try cursor.next()
                    }
                    return out
                }
            }
        } catch let e as LMDBError { throw .storage(e) } catch { throw .damaged("\(error)") }
        var records: [AccessToken] = []
        for r in raw { records.append(try TokenStore.decode(r)) }
        return records.sorted { $0.createdAt.microseconds < $1.createdAt.microseconds }
    }

    /// Revokes the live token whose id starts with `handle` or whose name is `handle`.
    @discardableResult
    public func revoke(_ handle: String) throws(TokenStoreError) -> AccessToken {
        let live = try list().filter { $0.revokedAt == nil }
        let byName = live.filter { $0.name == handle }
        let matches = byName.isEmpty && handle.count >= 4 ? live.filter { $0.id.hasPrefix(handle.lowercased()) } : byName
        guard !matches.isEmpty else { throw .notFound(handle) }
        guard matches.count == 1 else { throw .ambiguous(handle, matches: matches.count) }
        var record = matches[0]
        record.revokedAt = .now()
        guard let hash = try findHash(of: record.id) else { throw .notFound(handle) }
        try put(record, hash: hash)
        return record
    }

    private func findHash(of id: String) throws(TokenStoreError) -> [UInt8]? {
        let db = tokens
        do {
            return try environment.read { (txn: borrowing Transaction) throws -> [UInt8]? in
                try txn.withCursor(db) { (cursor: inout Cursor) throws -> [UInt8]? in
                    var entry = try cursor.first()
                    while let e = entry {
                        let key = [UInt8](e.key)
                        if TokenStore.hex(key).hasPrefix(id) { return key }
                        entry = try cursor.next()
                    }
                    return nil
                }
            }
        } catch let e as LMDBError { throw .storage(e) } catch { throw .damaged("\(error)") }
    }

    private func put(_ record: AccessToken, hash: [UInt8]) throws(TokenStoreError) {
        let value = TokenStore.encode(record)
        let db = tokens
        do {
            try environment.write { (txn: borrowing Transaction) throws in
                try hash.withUnsafeBytes { k in try value.withUnsafeBytes { v in try txn.put(db, key: k, value: v) } }
            }
        } catch let e as LMDBError { throw .storage(e) } catch { throw .damaged("\(error)") }
    }

    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count) else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x2D || c == 0x5F || c == 0x40
        }
    }

    static func encode(_ r: AccessToken) -> [UInt8] {
        var fields: [(String, JSONValue)] = [
            ("id", .string(r.id)), ("name", .string(r.name)), ("role", .string(r.role.rawValue)),
            ("stores", .array(r.stores.map { .string($0) })), ("createdAt", .string(r.createdAt.iso8601)),
            ("createdBy", .string(r.createdBy)),
        ]
        if let revoked = r.revokedAt { fields.append(("revokedAt", .string(revoked.iso8601))) }
        var w = JSONWriter()
        w.write(.object(fields))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(TokenStoreError) -> AccessToken {
        let json: JSONValue
        do { json = try bytes.withUnsafeBufferPointer { b throws(JSONSyntaxError) in try JSONParser.parse(b) } } catch {
            throw .damaged("a token record is not JSON (\(error))")
        }
        guard let id = json["id"]?.stringValue, let name = json["name"]?.stringValue,
              let role = json["role"]?.stringValue.flatMap(Role.init(name:)),
              let created = json["createdAt"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }),
              let by = json["createdBy"]?.stringValue
        else { throw .damaged("a token record lacks a field") }
        var stores: [String] = []
        if case .array(let a)? = json["stores"] { stores = a.compactMap(\.stringValue) }
        let revoked = json["revokedAt"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        return AccessToken(id: id, name: name, role: role, stores: stores, createdAt: created, createdBy: by, revokedAt: revoked)
    }
}
