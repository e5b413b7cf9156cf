#if canImport(Glibc)
import Glibc
#endif
import Access
import ArgumentParser
import Ledger
import LedgerJSON

extension Clientele {
    /// `clientele token`: bearer tokens for the HTTP service and for the command line.
    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list and revoke access tokens (admin only).",
            discussion: reflow("""
                A token carries a role (clerk, manager, analyst, compliance, admin) and, for a clerk,
                the stores it may act in. It is printed once, when created; the ledger keeps only its
                SHA-256. Use it as `Authorization: Bearer …` with `clientele serve`, or on the
                command line with CLIENTELE_TOKEN_FILE=FILE.
                """),
            subcommands: [Create.self, List.self, Revoke.self])

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Make a token and print it once.")
            @OptionGroup var options: DatabaseOptions
            @Option(help: "The role: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
            var role: String
            @Option(name: .customLong("store"), help: ArgumentHelp("A store a clerk's token may act in (repeat for more; none: every store).", valueName: "id"), transform: CanonicalText.normalized)
            var stores: [String] = []
            @Option(help: "Whose token it is (a person, a till, a POS connector): recorded as the actor token:NAME.", transform: CanonicalText.normalized)
            var name: String
            @Option(help: ArgumentHelp("Also write the token to this file (mode 0600), for CLIENTELE_TOKEN_FILE.", valueName: "path"))
            var out: String?

            func run() async throws {
                guard let role = Role(name: role) else {
                    throw ValidationError("--role '\(self.role)' is not a role: use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let principal = try options.authorize(.manageTokens)
                try requireLedger(options.db)
                let store = try openTokens(options.db)
                let made: (token: String, record: AccessToken)
                do { made = try store.create(name: name, role: role, stores: stores, createdBy: principal.actor) } catch {
                    throw CommandFailure(error.description)
                }
                if let out { try writeSecret(made.token + "\n", to: out) }
                Output.line(made.token)
                Output.error("token \(made.record.id) for \(made.record.name) (\(role)\(stores.isEmpty ? "" : ", stores " + stores.joined(separator: ","))): shown once, keep it safe")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List tokens (never the tokens themselves).")
            @OptionGroup var options: DatabaseOptions
            @Flag(help: "Include revoked tokens.") var all = false
            @Option(help: "Output: table or json.") var format: String = "table"

            func run() async throws {
                _ = try options.authorize(.manageTokens)
                try requireLedger(options.db)
                let records: [AccessToken]
                do { records = try openTokens(options.db).list().filter { all || $0.revokedAt == nil } } catch { throw CommandFailure("\(error)") }
                switch format {
                case "json":
                    for r in records {
                        var w = JSONWriter()
                        var fields: [(String, JSONValue)] = [("id", .string(r.id)), ("name", .string(r.name)), ("role", .string(r.role.rawValue)),
                                                             ("stores", .array(r.stores.map { .string($0) })), ("createdAt", .string(r.createdAt.iso8601)),
                                                             ("createdBy", .string(r.createdBy))]
                        if let rv = r.revokedAt { fields.append(("revokedAt", .string(rv.iso8601))) }
                        w.write(.object(fields))
                        Output.line(w.text)
                    }
                case "table":
                    var table = TextTable(header: ["id", "name", "role", "stores", "created", "revoked"])
                    for r in records {
                        table.rows.append([r.id, r.name, r.role.rawValue, r.stores.isEmpty ? "all" : r.stores.joined(separator: ","),
                                           String(r.createdAt.iso8601.prefix(16)), r.revokedAt.map { String($0.iso8601.prefix(16)) } ?? ""])
                    }
                    Output.write(Array(table.render().utf8))
                    if records.isEmpty { Output.line("no tokens: make one with `clientele token create --role ROLE --name NAME`") }
                default:
                    throw ValidationError("--format must be table or json")
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (or the start of it) or its name; it stops working at once.")
            @OptionGroup var options: DatabaseOptions
            @Argument(help: "The token's id or name, as `token list` shows.") var handle: String

            func run() async throws {
                _ = try options.authorize(.manageTokens)
                try requireLedger(options.db)
                do {
                    let r = try openTokens(options.db).revoke(handle)
                    Output.line("revoked token \(r.id) of \(r.name) (\(r.role))")
                } catch { throw CommandFailure("\(error)") }
            }
        }
    }
}

private func openTokens(_ db: String) throws -> TokenStore {
    do { return try TokenStore(ledgerPath: db) } catch { throw CommandFailure("\(error)") }
}

/// Refuses, saying what to do, when there is no ledger at `db`.
func requireLedger(_ db: String) throws {
    guard access(db + "/data.mdb", F_OK) == 0 else {
        throw CommandFailure("no ledger at \(db): create one with `clientele init --db \(db)` or name another with --db")
    }
}

/// Writes `text` to a new file readable by its owner only; refuses to overwrite.
func writeSecret(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else { throw CommandFailure("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard Output.write(Array(text.utf8), to: fd) else { throw CommandFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
}
