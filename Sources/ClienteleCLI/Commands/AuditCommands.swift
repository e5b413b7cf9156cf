import Access
import ArgumentParser
import Audit
import CustomerEvents
import Ledger
import LedgerJSON
#if canImport(Glibc)
import Glibc
#endif

/// `--from`, `--to`, `--format` and `--purpose`, shared by the audit questions.
struct AuditOptions: ParsableArguments {
    @Option(help: ArgumentHelp("From this time (RFC 3339 with a zone, business time) or sequence number, included.", valueName: "time|seq"))
    var from: String?

    @Option(help: ArgumentHelp("To this time (RFC 3339 with a zone) or sequence number, included.", valueName: "time|seq"))
    var to: String?

    @Option(help: "Output: table, jsonl (one JSON object per row, the event under \"event\") or csv.")
    var format: AuditFormat = .table

    func validate() throws {
        if let from, AuditBound(from) == nil { throw ValidationError("--from '\(from)' is neither an RFC 3339 time with a zone nor a sequence number") }
        if let to, AuditBound(to) == nil { throw ValidationError("--to '\(to)' is neither an RFC 3339 time with a zone nor a sequence number") }
    }

    var period: AuditPeriod { AuditPeriod(from: from.flatMap(AuditBound.init), to: to.flatMap(AuditBound.init)) }

    /// Opens the ledger as an auditor (the audit capability checked first), asks its audit trail
    /// `query` for this period, prints the rows (`empty` when there are none) and returns them.
    @discardableResult
    func answer(_ options: DatabaseOptions, empty: String, _ query: (AuditTrail, AuditPeriod) throws -> [AuditRow]) throws -> [AuditRow] {
        _ = try options.authorize(.audit)
        let ledger = try CustomerLedger.open(path: options.db)
        defer { ledger.close() }
        let rows = try query(AuditTrail(ledger: ledger), period)
        AuditPrinter.print(rows, format: format, empty: empty)
        return rows
    }
}

/// How audit answers are printed.
enum AuditFormat: String, ExpressibleByArgument, CaseIterable {
    case table, jsonl, csv
}

/// Prints audit rows in the chosen format.
enum AuditPrinter {
    static func print(_ rows: [AuditRow], format: AuditFormat, empty: String) {
        switch format {
        case .jsonl:
            var w = JSONWriter(capacity: 1 << 16)
            for row in rows {
                row.write(into: &w)
                w.bytes.append(0x0A)
                if w.bytes.count > 1 << 16 { Output.write(w.bytes); w.bytes.removeAll(keepingCapacity: true) }
            }
            Output.write(w.bytes)
        case .csv:
            var text = CSV.line(AuditRow.columns)
            for row in rows { text += CSV.line(row.cells) }
            Output.write(Array(text.utf8))
        case .table:
            guard !rows.isEmpty else { Output.line(empty); return }
            var t = TextTable(header: ["seq", "occurred", "type", "customer", "actor", "detail"], rightAligned: [0])
            for row in rows {
                let r = row.recorded
                // The whole detail is in jsonl and csv; the table keeps to a screen's width, except a finding.
                let short = row.detail.count > 60 ? String(row.detail.prefix(57)) + "..." : row.detail
                let detail = (row.flag.map { "!! " + $0 + " — " } ?? "") + short
                t.rows.append([String(r.sequence), String(r.occurredAt.iso8601.prefix(16)), r.type, r.customer, r.actor, detail])
            }
            Output.line(t.render())
            let flagged = rows.filter { $0.flag != nil }.count
            Output.line("\(rows.count) row\(rows.count == 1 ? "" : "s")" + (flagged > 0 ? ", \(flagged) flagged (!!)" : ""))
        }
    }
}

extension Clientele {
    /// `clientele audit`: the questions compliance staff ask.
    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Audit queries for compliance staff, and the subject-access export.",
            discussion: reflow("""
                Each question reads the log itself, takes --from/--to (a time or a sequence number) \
                and prints a table, JSON Lines or CSV. `audit customer` and `audit export` show \
                personal data in clear (with the master key), and each such read is itself recorded \
                in the ledger as a PersonalDataAccessed event naming you; the other questions leave \
                personal fields out. How to prove the log was not altered: docs/audit.md. Needs the \
                compliance or admin role.
                """),
            subcommands: [CustomerTrail.self, StaffTrail.self, Accesses.self, Erasures.self, Consents.self, Export.self])
    }
}

extension Clientele.Audit {
    /// `clientele audit customer ID`.
    struct CustomerTrail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "customer",
            abstract: "Everything that happened to one customer: events, consents over time, who read their personal data and why.",
            discussion: "Personal fields are unsealed; the read is recorded as a PersonalDataAccessed event (purpose: --purpose).")

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var audit: AuditOptions

        @Argument(help: "The customer id.", transform: CanonicalText.normalized)
        var id: String

        @Option(help: "Why the personal data is being read (recorded with the access).")
        var purpose: String = "compliance audit"

        func run() async throws {
            let principal = try options.authorize(.audit)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            let rows = try AuditTrail(ledger: ledger).customer(id, period: audit.period)
            let known = try ledger.ledger.streamVersion(of: id) > 0
            if rows.isEmpty && !known {
                throw CommandFailure("no customer '\(id)' in the ledger at \(options.db)")
            }
            // The trail shows personal data: only once its reading is on record.
            if !rows.isEmpty {
                let store = rows.first?.recorded.store ?? Principal.unknownStore
                let reading = PersonalDataAccess(actor: principal.actor, purpose: purpose, endpoint: "clientele audit customer")
                do { try reading.record([(id, store)], in: ledger.ledger) } catch {
                    throw CommandFailure("the reading of \(id)'s trail could not be recorded, so it is not shown: \(error)")
                }
            }
            AuditPrinter.print(rows, format: audit.format, empty: "no events of \(id) in that period")
        }
    }

    /// `clientele audit staff ACTOR`.
    struct StaffTrail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "staff",
            abstract: "Everything one staff member did, and every customer whose personal data they read.",
            discussion: "The actor as recorded in events: a staff id (staff-li), an OS user (os:mei) or a token (token:zhao).")

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var audit: AuditOptions

        @Argument(help: "The actor.", transform: CanonicalText.normalized)
        var actor: String

        func run() async throws {
            let rows = try audit.answer(options, empty: "nothing done by \(actor) in that period") { try $0.staff(actor, period: $1) }
            if audit.format == .table {
                let read = Set(rows.filter { $0.kind == "access" }.map(\.recorded.customer)).sorted()
                Output.line(read.isEmpty ? "read no customer's personal data" : "read the personal data of \(read.count) customer(s): " + read.joined(separator: ", "))
            }
        }
    }

    /// `clientele audit access`.
    struct Accesses: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "access",
            abstract: "Every read of personal data in the period: who, whose, when, why, through what.")

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var audit: AuditOptions

        func run() async throws {
            try audit.answer(options, empty: "no access to personal data in that period") { try $0.accesses(period: $1) }
        }
    }

    /// `clientele audit erasures`.
    struct Erasures: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erasures",
            abstract: "Every erasure request and every erasure (crypto-shredding) in the period.")

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var audit: AuditOptions

        func run() async throws {
            try audit.answer(options, empty: "no erasure in that period") { try $0.erasures(period: $1) }
        }
    }

    /// `clientele audit consent`.
    struct Consents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consent",
            abstract: "Every consent withdrawal in the period and the contacts made after it; a contact the consents did not allow is flagged.",
            discussion: reflow("""
                A care contact (greeting, coupon, win-back offer, invitation) by sms, email, wechat or \
                phone is checked against the customer's marketing consents as they stood when it was \
                recorded; one made without consent is flagged "CONTACT AFTER WITHDRAWAL". Contacts at \
                the counter are in person and never flagged. Exit status 1 when anything is flagged.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var audit: AuditOptions

        func run() async throws {
            let rows = try audit.answer(options, empty: "no consent withdrawn in that period") { try $0.consentWithdrawals(period: $1) }
            if rows.contains(where: { $0.flag != nil }) { throw ExitCode(1) }
        }
    }

    /// `clientele audit export`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the subject-access package of one customer (PIPL art. 45, GDPR art. 15 and 20) into a folder.",
            discussion: reflow("""
                All of the customer's data in JSON and CSV, personal fields unsealed with the master \
                key, and README.txt saying what each file holds. The export is recorded as a \
                PersonalDataAccessed event (purpose: --purpose).
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions

        @Option(help: "The customer id.", transform: CanonicalText.normalized)
        var customer: String

        @Option(help: ArgumentHelp("The folder to write (new, or empty).", valueName: "dir"))
        var out: String

        @Option(help: "Why the export is made (recorded with the access).")
        var purpose: String = "subject-access request"

        func run() async throws {
            let principal = try options.authorize(.audit)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            let summary: SubjectAccessExport.Summary
            do {
                summary = try SubjectAccessExport(ledger: ledger).write(customer: customer, to: out, generatedBy: principal.actor)
            } catch let e as ExportError {
                throw CommandFailure(e.description)
            }
            if summary.personalData == .locked { Output.error("warning: no master key, so personal fields are null in the export (give --master-key-file)") }
            // The files hold personal data: they stay only if their writing is on record.
            let reading = PersonalDataAccess(actor: principal.actor, purpose: purpose, endpoint: "clientele audit export")
            do { try reading.record(summary.records.map { ($0, summary.homeStore) }, in: ledger.ledger) } catch {
                for name in summary.files { _ = unlink(out + "/" + name) }
                _ = rmdir(out)
                throw CommandFailure("the export of \(customer)'s data could not be recorded, so its files were removed: \(error)")
            }
            let merged = summary.records.dropFirst()
            Output.line("exported \(summary.events) events of \(customer)\(merged.isEmpty ? "" : " (with the merged records " + merged.joined(separator: ", ") + ")") to \(out): "
                        + summary.files.joined(separator: ", "))
        }
    }
}
