import Access
import ArgumentParser
import CustomerEvents
import Ledger
import LedgerJSON

extension Clientele {
    /// `clientele events`: the events themselves, as JSON Lines.
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print events as JSON Lines (valid against schemas/), personal fields unsealed.",
            discussion: reflow("""
                Personal fields are shown when the master key is at hand, as null when the customer
                was erased (with "erased": true) or no key is given. Showing a customer's personal
                data is itself recorded in the ledger (PersonalDataAccessed, actor: the OS user).
                A clerk's token shows the events recorded at their own store(s) only.
                """))

        @OptionGroup var options: DatabaseOptions
        @OptionGroup var keys: KeyOptions

        @Option(help: "Only this customer's events.", transform: CanonicalText.normalized)
        var customer: String?

        @Option(help: "Only events of this type.")
        var type: String?

        @Option(help: "Only events from this sequence number on.")
        var from: UInt64 = 1

        @Option(help: "Only events up to this sequence number.")
        var through: UInt64 = .max

        @Option(help: "Why the personal data is being read (recorded with the access).")
        var purpose: String = "command-line read"

        func run() async throws {
            let principal = try options.authorize(.readCustomers)
            let ledger = try CustomerLedger.open(path: options.db, masterKeyFile: keys.masterKeyFile)
            defer { ledger.close() }
            let range = max(1, from)...max(max(1, from), through)
            var query: EventQuery
            if let customer { query = EventQuery(.customer(customer), sequences: range) } else if let type { query = EventQuery(.type(type), sequences: range) } else { query = EventQuery(.log, sequences: range) }
            // An export of the log reads its pages with pread: the whole file does not count in
            // the command's resident size, and copying a page costs less than mapping it.
            query.copiesPages = true
            // Personal data is shown only once its reading is on record (as the service does): the
            // output goes out in chunks of about 4 MiB, each after the access records of the
            // customers it shows for the first time are durable. Killed halfway, the command has
            // shown nothing that is not on record.
            let reading = PersonalDataAccess(actor: principal.actor, purpose: purpose, endpoint: "clientele events")
            var onRecord = Set<String>()
            var pending: [(customer: String, store: String)] = []
            var out = JSONWriter(capacity: 1 << 22 + 1 << 16)
            func show() throws -> Bool {
                if !pending.isEmpty {
                    do { try reading.record(pending, in: ledger.ledger) } catch {
                        throw CommandFailure("the reading of \(pending.count) customers' personal data could not be recorded, so it is not shown: \(error)")
                    }
                    pending.removeAll(keepingCapacity: true)
                }
                guard Output.write(out.bytes) else { return false }
                out.bytes.removeAll(keepingCapacity: true)
                return true
            }
            var open = true
            // A clerk works in their own store(s): the events recorded there, and their readings are
            // that store's; anyone else reads for the whole chain, as compliance.
            let clerk = principal.role == .clerk
            try ledger.scan(query) { event in
                if let type, event.type != type { return true }
                if clerk && !principal.mayAct(inStore: event.recorded.store) { return true }
                if event.personalData == .unsealed, onRecord.insert(event.recorded.customer).inserted {
                    pending.append((event.recorded.customer, clerk ? event.recorded.store : Principal.complianceStore))
                }
                out.write(event.json)
                out.bytes.append(0x0A)
                if out.bytes.count >= 1 << 22 { open = try show() }
                return open
            }
            if open { _ = try show() }
        }
    }
}
