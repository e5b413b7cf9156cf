import Access
import Projections
#if canImport(Glibc)
import Glibc
#endif

/// Who runs a command and whether they may: a token from `$CLIENTELE_TOKEN` or the file at
/// `$CLIENTELE_TOKEN_FILE`, else the operating-system user with their grant from the
/// configuration (`--config`, `$CLIENTELE_CONFIG`, or `<db>/config.json` or `.toml`).
enum CommandIdentity {
    /// The token given in the environment, if any.
    static func token() throws -> String? {
        if let t = getenv("CLIENTELE_TOKEN").map({ String(cString: $0) }), !t.isEmpty { return trimmed(t) }
        guard let path = getenv("CLIENTELE_TOKEN_FILE").map({ String(cString: $0) }), !path.isEmpty else { return nil }
        guard let f = fopen(path, "rb") else {
            throw CommandFailure("cannot read the token file \(path) (CLIENTELE_TOKEN_FILE): \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = fread(&buffer, 1, buffer.count, f)
        return trimmed(String(decoding: buffer[0..<max(0, n)], as: UTF8.self))
    }

    private static func trimmed(_ s: String) -> String {
        String(s.filter { !$0.isWhitespace })
    }

    /// The configuration file that applies to the ledger at `db`: `explicit` (--config), else
    /// `$CLIENTELE_CONFIG`, else the ledger's own (`ClienteleConfiguration.file`); nil: the defaults.
    static func configurationFile(db: String, explicit: String?) -> String? {
        var given = explicit
        if given == nil, let env = getenv("CLIENTELE_CONFIG").map({ String(cString: $0) }), !env.isEmpty { given = env }
        return ClienteleConfiguration.file(for: db, explicit: given)
    }

    /// The configuration that holds the operating-system users' grants.
    static func configuration(db: String, explicit: String?) throws -> ClienteleConfiguration {
        guard let path = configurationFile(db: db, explicit: explicit) else { return ClienteleConfiguration() }
        do { return try ClienteleConfiguration.load(path: path) } catch { throw CommandFailure(error.description) }
    }

    /// The principal running this command, refused unless their role holds `capability`.
    static func require(_ capability: Capability, db: String, config: String? = nil) throws -> Principal {
        let grants = try configuration(db: db, explicit: config).access
        do {
            let principal = try IdentityResolver(ledgerPath: db, grants: grants).resolve(token: try token())
            try principal.authorize(capability)
            return principal
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

extension DatabaseOptions {
    /// Who runs the command on this ledger, refused unless they may do `capability`.
    func authorize(_ capability: Capability, config: String? = nil) throws -> Principal {
        try CommandIdentity.require(capability, db: db, config: config)
    }
}
