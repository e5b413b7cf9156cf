import Access
import ArgumentParser
import CustomerEvents
import Ingest
import Ledger
import POSImport

extension Clientele {
    /// `clientele ingest`: records the receipts of POS export files in the ledger.
    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the receipts of POS export files (Shopify, Square, UCI Online Retail, Loyverse, or any POS through a mapping file).",
            discussion: reflow("""
                Each receipt with a customer becomes a PurchaseRecorded event (a sale) or a ReturnRecorded \
                event (a refund, return or cancellation); a customer seen for the first time is registered \
                first (CustomerRegistered; name, phone and email sealed with the master key). Receipts \
                without a customer are anonymous store sales: counted in the summary, recorded nowhere.

                Ingesting is idempotent: every event carries the source pos:<system>:<store> and the \
                receipt id, so the same file again, an overlapping export, or a run after a crash adds \
                only what is missing. A row that cannot be read or recorded is rejected (see --rejects) \
                and the rest goes on; a receipt is recorded whole or not at all.

                Exit status: 0 every row was ingested (or was already there, or left out on purpose such \
                as a voided order); 1 some rows were rejected (or a receipt's rows were apart in the file, and only its first ones were recorded); 2 a file could not be read (or not to its \
                end); 3 stopped early because more rows than --max-rejects were rejected; 4 the ingest \
                could not start or had to stop (no ledger, no store, no master key, a storage error). \
                What was committed before a stop stays committed; running again finishes the job.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions

        @Option(help: ArgumentHelp("The export's format: auto (from the header), shopify, square-items, square-transactions, uci-online-retail or loyverse.", valueName: "name"))
        var profile: String = "auto"

        @Option(help: ArgumentHelp("A mapping file (TOML or JSON, schemas/pos-mapping.schema.json) for any other POS.", valueName: "file"))
        var mapping: String?

        @Option(help: ArgumentHelp("The store of receipts whose export does not name one.", valueName: "id"), transform: CanonicalText.normalized)
        var store: String?

        @Option(help: ArgumentHelp("The store's IANA time zone, for times written without one (e.g. Europe/London).", valueName: "zone"))
        var timezone: String?

        @Option(help: ArgumentHelp("The file encoding: auto, utf8, gb18030 or utf16.", valueName: "name"))
        var encoding: String = "auto"

        @Option(name: .customLong("date-format"), help: ArgumentHelp("The order of numeric dates: dmy, mdy, ymd or a pattern such as DD/MM/YYYY (default: decided from the whole file).", valueName: "format"))
        var dateFormat: String?

        @Option(help: ArgumentHelp("The ISO 4217 currency, for exports that do not say it (Loyverse; Square is USD unless given).", valueName: "code"))
        var currency: String?

        @Option(help: ArgumentHelp("Write rejected rows to this file, one JSON object per line (file, line, column, reason, row).", valueName: "file"))
        var rejects: String?

        @Option(name: .customLong("max-rejects"), help: ArgumentHelp("Stop once more than this many rows were rejected (what was accepted is committed).", valueName: "n"))
        var maxRejects: Int?

        @Option(help: ArgumentHelp("Events per write transaction (about: receipts are not split).", valueName: "n"))
        var batch: Int = 50_000

        @Flag(name: .customLong("dry-run"), help: "Read, map and check everything and count what would be appended; write nothing.")
        var dryRun = false

        @Flag(help: "Print the summary as one JSON object.")
        var json = false

        @Argument(help: ArgumentHelp("The export files, read in order.", valueName: "file"))
        var files: [String] = []

        /// Exit statuses, the highest that applies wins.
        enum Status: Int32 {
            case ok = 0, rejected = 1, unreadableFile = 2, maxRejects = 3, stopped = 4
        }

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one export file") }
            if profile != "auto", POSProfileName(rawValue: profile) == nil {
                throw ValidationError("unknown profile '\(profile)'; choose auto, \(POSProfileName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if mapping != nil, profile != "auto" { throw ValidationError("give --mapping or --profile, not both") }
            if encoding != "auto", TextEncoding(rawValue: encoding) == nil {
                throw ValidationError("unknown encoding '\(encoding)'; choose auto, utf8, gb18030 or utf16")
            }
            if let dateFormat, DateOrder(pattern: dateFormat) == nil {
                throw ValidationError("--date-format '\(dateFormat)' does not show the order of day, month and year; give dmy, mdy, ymd or a pattern such as DD/MM/YYYY")
            }
            if let maxRejects, maxRejects < 0 { throw ValidationError("--max-rejects must be 0 or more") }
            guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
            if let store, store.isEmpty || store.utf8.count > 64 { throw ValidationError("--store must be 1 to 64 bytes long") }
        }

        func run() async throws {
            _ = try options.authorize(.ingestExports)
            // Everything that can stop the ingest before it starts, each as one message.
            var reader = POSImportOptions(profile: profile == "auto" ? nil : POSProfileName(rawValue: profile),
                                          encoding: encoding == "auto" ? nil : TextEncoding(rawValue: encoding),
                                          dateOrder: dateFormat.flatMap(DateOrder.init(pattern:)), timeZone: timezone,
                                          currency: currency)
            if let mapping {
                do { reader.mapping = try POSMapping.load(path: mapping) } catch { throw stop(error.description) }
            }
            var pseudonymizer: Pseudonymizer?
            do {
                pseudonymizer = Pseudonymizer(masterKey: try MasterKey.load(file: keys.masterKeyFile), purpose: "pos-customer")
            } catch {
                if case .missing = error {} else { throw stop(error.description) }
            }
            let ledger: CustomerLedger
            // A bulk load reads index pages all over the ledger file through LMDB's map: unmapping
            // them every 256 events keeps them out of this process's resident size (BENCHMARKS.md).
            var open = LedgerOptions()
            open.releaseMappedPagesEvery = 256
            do { ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile, options: open) } catch { throw stop("\(error)") }
            defer { ledger.close() }
            var rejectsFile: RejectsFile?
            if let rejects {
                do { rejectsFile = try RejectsFile(path: rejects) } catch { throw stop(error.description) }
            }

            let ingester = Ingester(ledger: ledger, options: IngestOptions(
                reader: reader, defaultStore: store, dryRun: dryRun, maxRejects: maxRejects, transactionEvents: batch),
                pseudonymizer: pseudonymizer)
            let progress = ProgressBar(enabled: Output.stderrIsTerminal)
            ingester.onProgress = { progress.show($0) }
            let shownRejects = 20
            var shown = 0
            ingester.onReject = { (row: RejectedRow) throws(IngestError) in
                try rejectsFile?.write(row)
                if shown < shownRejects || (rejectsFile == nil && shown == shownRejects) {
                    progress.clear()
                    Output.error(shown < shownRejects ? "rejected: \(row)" : "… more rejected rows not shown; give --rejects FILE to keep them all")
                }
                shown += 1
            }

            var status = Status.ok
            var summary: IngestSummary
            do {
                summary = try ingester.run(files: files)
            } catch {
                progress.clear()
                Output.error("clientele ingest: \(error)")
                summary = ingester.summary
                status = .stopped
            }
            progress.clear()
            do { try rejectsFile?.flush() } catch {
                Output.error("clientele ingest: \(error)")
                status = .stopped
            }
            for e in summary.fileErrors { Output.error("clientele ingest: \(e.message)") }
            if status != .stopped {
                if summary.stoppedAtMaxRejects {
                    status = .maxRejects
                    Output.error("clientele ingest: stopped after \(Format.grouped(summary.rejectedRows)) rejected rows (--max-rejects \(maxRejects ?? 0)); what was accepted is committed")
                } else if !summary.fileErrors.isEmpty {
                    status = .unreadableFile
                } else if summary.rejectedRows > 0 || summary.receiptsRepeated > 0 {
                    status = .rejected
                }
            }
            if json {
                Output.write(summary.json + [0x0A])
            } else {
                Output.line(IngestReport.text(summary, rejectsFile: rejects))
            }
            if status != .ok { throw ExitCode(status.rawValue) }
        }

        /// Prints `message` as the command's error; the exit status 4 to throw (the ingest could not run).
        private func stop(_ message: String) -> ExitCode {
            Output.error("clientele ingest: \(message)")
            return ExitCode(Status.stopped.rawValue)
        }
    }
}
