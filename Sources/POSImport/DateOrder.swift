/// The order of day, month and year in an export's numeric dates — the "date-format option".
public enum DateOrder: String, Sendable, Hashable, Codable, CaseIterable {
    /// `2026-05-30`, `2026/5/30` (a four-digit first part always reads this way).
    case ymd
    /// `12/27/2018`, `7/28/26 1:33 PM` (United States).
    case mdy
    /// `01-12-2010 08:26`, `31/12/2025 14:05` (most of the world).
    case dmy

    /// Reads a format pattern such as `DD/MM/YYYY HH:mm`, `M/D/YY h:mm a` or `yyyy-MM-dd`: the order of
    /// its first D, M and Y letters (case-insensitive) decides. Also accepts `dmy`, `mdy`, `ymd`.
    public init?(pattern: String) {
        if let exact = DateOrder(rawValue: pattern.lowercased()) { self = exact; return }
        var order: [Character] = []
        for ch in pattern.uppercased() where "DMY".contains(ch) && !order.contains(ch) {
            order.append(ch)
        }
        switch String(order) {
        case "YMD": self = .ymd
        case "MDY": self = .mdy
        case "DMY": self = .dmy
        default: return nil
        }
    }
}
