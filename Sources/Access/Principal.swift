/// Someone acting on the ledger: the actor recorded on what they do, their role, and (for a
/// clerk) the stores they are bound to.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    /// The actor as recorded in events: `os:alice` for an operating-system user, `token:NAME` for a token's owner.
    public let actor: String
    public let role: Role
    /// The stores a clerk may act in; empty means every store (and is ignored for other roles).
    public let stores: Set<String>

    public init(actor: String, role: Role, stores: Set<String> = []) {
        self.actor = actor
        self.role = role
        self.stores = stores
    }

    public var description: String {
        stores.isEmpty || role != .clerk ? "\(actor) (\(role))" : "\(actor) (\(role) of \(stores.sorted().joined(separator: ", ")))"
    }

    /// Whether the role holds `capability`.
    public func may(_ capability: Capability) -> Bool { capability.allowedRoles.contains(role) }

    /// Refuses, naming the roles needed, unless the role holds `capability`.
    public func authorize(_ capability: Capability) throws(AccessDenied) {
        guard may(capability) else { throw AccessDenied(principal: self, reason: .role(capability)) }
    }

    /// Whether this principal may act on data of `store` (a clerk only in its stores; `nil`, an
    /// unknown store, only for those bound to every store).
    public func mayAct(inStore store: String?) -> Bool {
        guard role == .clerk, !stores.isEmpty else { return true }
        guard let store else { return false }
        return stores.contains(store)
    }

    /// Refuses unless this principal may act on data of `store`.
    public func authorize(store: String?) throws(AccessDenied) {
        guard mayAct(inStore: store) else { throw AccessDenied(principal: self, reason: .store(store)) }
    }

    /// Where this principal reads the data of a customer whose home store is `homeStore`: the
    /// store of a clerk (who may only read the customers of their stores), and `chain` for the
    /// roles that act for the whole chain (managers, compliance, admins). It is the store of the
    /// `PersonalDataAccessed` events their reads append: a reading done at head office belongs
    /// to no store's day.
    public func readingStore(homeStore: String?) -> String {
        role == .clerk ? homeStore ?? Principal.unknownStore : Principal.chainStore
    }

    /// The store of events done for the whole chain rather than at one store.
    public static let chainStore = "chain"
    /// The store of compliance's own acts: erasures, and the readings of a log export.
    public static let complianceStore = "compliance"
    /// The store of a reading of a customer with no home store on record.
    public static let unknownStore = "unknown"
    /// The stores events are recorded at that are no shop: reports are not asked of them, and
    /// the list of a ledger's stores leaves them out.
    public static let pseudoStores: Set<String> = [chainStore, complianceStore, unknownStore]

    /// Whether personal data may be shown in clear (analysts see pseudonymous data only).
    public var seesPersonalData: Bool { role != .analyst }
}

/// Why an action was refused: the role it needs, or the store it belongs to.
public struct AccessDenied: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The role lacks the capability.
        case role(Capability)
        /// A clerk acted outside their stores (`nil`: data bound to no store).
        case store(String?)
        /// No identity could be established.
        case unidentified(String)
    }

    public let principal: Principal?
    public let reason: Reason

    public init(principal: Principal?, reason: Reason) {
        self.principal = principal
        self.reason = reason
    }

    public var description: String {
        let who = principal.map { "\($0)" } ?? "you"
        switch reason {
        case .role(let c):
            let roles = c.allowedRoles.map(\.rawValue)
            let need = roles.count == 1 ? "the \(roles[0]) role" : "one of the roles " + roles.joined(separator: ", ")
            return "\(who) may not \(c.action): that needs \(need)"
        case .store(let s?):
            return "\(who) may not act on data of store \(s): a clerk works only in their own store(s)"
        case .store(nil):
            return "\(who) may not act on data bound to no store: a clerk works only in their own store(s)"
        case .unidentified(let why):
            return why
        }
    }
}
