import Ingest

/// A one-line progress bar on standard error, redrawn in place: rows, megabytes, rate and time left.
/// Drawn only when standard error is a terminal.
final class ProgressBar {
    private let enabled: Bool
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    /// Redraws the bar for `p`.
    func show(_ p: IngestProgress) {
        guard enabled else { return }
        let fraction = p.totalBytes > 0 ? min(1, Double(p.bytesRead) / Double(p.totalBytes)) : 0
        let width = 20
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rate = p.seconds > 0 ? Double(p.rowsRead) / p.seconds : 0
        let bytesRate = p.seconds > 0 ? Double(p.bytesRead) / p.seconds : 0
        let eta = bytesRate > 0 ? Double(p.totalBytes - p.bytesRead) / bytesRate : 0
        let mb = { (n: Int) in Format.fixed(Double(n) / 1_048_576, 1) }
        let line = "[\(bar)] \(Format.fixed(fraction * 100, 0))%  \(Format.grouped(p.rowsRead)) rows  \(mb(p.bytesRead))/\(mb(p.totalBytes)) MB  \(Format.grouped(Int(rate))) rows/s  ETA \(Self.clock(eta))"
        Output.write(Array(("\r" + line + "\u{1B}[K").utf8), to: 2)
        drawn = true
    }

    /// Removes the bar (before other output, and at the end).
    func clear() {
        guard drawn else { return }
        Output.write(Array("\r\u{1B}[K".utf8), to: 2)
        drawn = false
    }

    /// Seconds as `m:ss` (or `h:mm:ss`).
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.isFinite ? max(0, seconds.rounded()) : 0)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }
}
