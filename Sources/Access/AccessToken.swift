import Ledger

/// What the token store keeps of one bearer token: never the token itself, only its SHA-256.
public struct AccessToken: Sendable, Hashable {
    /// A short public handle (the first 12 hex digits of the hash), for listing and revoking.
    public let id: String
    /// Whose token it is (a person, a till, a POS connector); recorded as the actor `token:NAME`.
    public let name: String
    public let role: Role
    /// The stores a clerk's token is bound to; empty for every store.
    public let stores: [String]
    public let createdAt: Timestamp
    /// Who created it.
    public let createdBy: String
    /// When it was revoked, if it was.
    public var revokedAt: Timestamp?

    /// The principal acting with this token.
    public var principal: Principal { Principal(actor: "token:" + name, role: role, stores: Set(stores)) }
}
