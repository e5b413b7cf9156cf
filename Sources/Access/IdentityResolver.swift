#if canImport(Glibc)
import Glibc
#endif

/// Establishes who is running a command: a bearer token when one is given, else the
/// operating-system user — by their grant in the configuration, or as admin when they are root
/// or own the ledger's folder (the person who installed it). Anyone else is refused with what to do.
public struct IdentityResolver: Sendable {
    public let ledgerPath: String
    public let grants: AccessGrants

    public init(ledgerPath: String, grants: AccessGrants) {
        self.ledgerPath = ledgerPath
        self.grants = grants
    }

    /// The principal for `token` (if given) or for the current operating-system user.
    public func resolve(token: String?) throws(AccessDenied) -> Principal {
        if let token {
            let store: TokenStore
            do { store = try TokenStore(ledgerPath: ledgerPath) } catch {
                throw AccessDenied(principal: nil, reason: .unidentified("cannot read the tokens of \(ledgerPath): \(error)"))
            }
            let record: AccessToken?
            do { record = try store.authenticate(token) } catch {
                throw AccessDenied(principal: nil, reason: .unidentified("cannot check the token: \(error)"))
            }
            guard let record else {
                throw AccessDenied(principal: nil, reason: .unidentified(
                    "the token is not known to \(ledgerPath) or was revoked: ask an admin for a new one (`clientele token create`)"))
            }
            return record.principal
        }
        let user = IdentityResolver.userName(uid: geteuid())
        if let grant = grants.users[user] {
            return Principal(actor: "os:" + user, role: grant.role, stores: Set(grant.stores))
        }
        if geteuid() == 0 || ownerOfLedger() == geteuid() {
            return Principal(actor: "os:" + user, role: .admin)
        }
        throw AccessDenied(principal: nil, reason: .unidentified(
            "os:\(user) has no role on \(ledgerPath): ask an admin to add \"\(user)\": {\"role\": \"clerk\", \"stores\": [\"…\"]} under access.users in the configuration, or to give you a token (CLIENTELE_TOKEN_FILE)"))
    }

    private func ownerOfLedger() -> uid_t? {
        var st = stat()
        var path = ledgerPath
        // The ledger may not exist yet (`init`): the nearest existing parent decides.
        while stat(path, &st) != 0 {
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { path = "."; break }
            path = String(path[..<slash])
        }
        guard stat(path, &st) == 0 else { return nil }
        return st.st_uid
    }

    /// The name of the user with `uid`, or `uid-N` when the system has none.
    public static func userName(uid: uid_t) -> String {
        if let pw = getpwuid(uid), let n = pw.pointee.pw_name { return String(cString: n) }
        return "uid-\(uid)"
    }
}
