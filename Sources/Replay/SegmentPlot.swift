import Ledger
import Projections

/// A stacked-area chart of how many customers were in each class over time, as SVG text
/// written by hand (no plotting library): one band per class, a time axis, a count axis, a legend.
public struct SegmentPlot {
    /// One point of the series: a time and the customers per class then.
    public struct Point: Sendable {
        public var time: Timestamp
        public var counts: [String: Int]
        public init(time: Timestamp, counts: [String: Int]) { self.time = time; self.counts = counts }
    }

    public var title: String
    public var classes: [String]
    public var points: [Point]

    public init(title: String, classes: [String], points: [Point]) {
        self.title = title
        self.classes = classes
        self.points = points
    }

    /// Month starts (UTC) from the month of `first` to the one after `last`, at most `limit` of
    /// them (every k-th month when the span is longer), ending with `last` itself.
    public static func monthlyTimes(from first: Timestamp, to last: Timestamp, limit: Int = 48) -> [Timestamp] {
        let day: Int64 = 86_400_000_000
        func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
        let (y0, m0, _) = Timestamp.civil(fromDays: floorDiv(first.microseconds, day))
        var months: [Timestamp] = []
        var y = y0, m = m0 + 1
        while true {
            if m > 12 { m = 1; y += 1 }
            let t = Timestamp(microseconds: Timestamp.daysFromCivil(year: y, month: m, day: 1) * day)
            if t.microseconds >= last.microseconds { break }
            months.append(t)
            m += 1
        }
        let step = max(1, (months.count + limit - 2) / max(1, limit - 1))
        var picked = stride(from: 0, to: months.count, by: step).map { months[$0] }
        picked.append(last)
        return picked
    }

    /// The SVG document.
    public func svg(width: Int = 900, height: Int = 480) -> String {
        let left = 60.0, right = 200.0, top = 40.0, bottom = 50.0
        let w = Double(width) - left - right, h = Double(height) - top - bottom
        let palette = ["#1b9e77", "#66a61e", "#a6d854", "#7570b3", "#8da0cb", "#e6ab02", "#fc8d62", "#d95f02",
                       "#e7298a", "#a6761d", "#666666", "#b3b3b3", "#1f78b4", "#fb9a99", "#cab2d6", "#ffff99"]
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(n(left))\" y=\"22\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
        let totals = points.map { p in classes.reduce(0) { $0 + (p.counts[$1] ?? 0) } }
        let maxTotal = max(1, totals.max() ?? 1)
        let yMax = Double(niceCeiling(maxTotal))
        let t0 = Double(points.first?.time.microseconds ?? 0), t1 = Double(points.last?.time.microseconds ?? 1)
        func x(_ t: Timestamp) -> Double { points.count < 2 || t1 == t0 ? left + w / 2 : left + (Double(t.microseconds) - t0) / (t1 - t0) * w }
        func y(_ v: Double) -> Double { top + h - v / yMax * h }
        // Bands, bottom up.
        var below = [Double](repeating: 0, count: points.count)
        for (k, c) in classes.enumerated() {
            let above = points.indices.map { below[$0] + Double(points[$0].counts[c] ?? 0) }
            if above != below {
                var path = ""
                for i in points.indices { path += (i == 0 ? "M" : "L") + n(x(points[i].time)) + "," + n(y(above[i])) }
                for i in points.indices.reversed() { path += "L" + n(x(points[i].time)) + "," + n(y(below[i])) }
                out += "<path d=\"\(path)Z\" fill=\"\(palette[k % palette.count])\" stroke=\"white\" stroke-width=\"0.5\"><title>\(escape(c))</title></path>\n"
            }
            below = above
        }
        // Axes and ticks.
        out += "<line x1=\"\(n(left))\" y1=\"\(n(top + h))\" x2=\"\(n(left + w))\" y2=\"\(n(top + h))\" stroke=\"black\"/>\n"
        out += "<line x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(left))\" y2=\"\(n(top + h))\" stroke=\"black\"/>\n"
        for i in 0...4 {
            let v = yMax * Double(i) / 4
            out += "<line x1=\"\(n(left - 4))\" y1=\"\(n(y(v)))\" x2=\"\(n(left))\" y2=\"\(n(y(v)))\" stroke=\"black\"/>"
            out += "<text x=\"\(n(left - 8))\" y=\"\(n(y(v) + 4))\" text-anchor=\"end\">\(Int(v))</text>\n"
        }
        let labelEvery = max(1, points.count / 8)
        for (i, p) in points.enumerated() where i % labelEvery == 0 || i == points.count - 1 {
            let px = x(p.time)
            out += "<line x1=\"\(n(px))\" y1=\"\(n(top + h))\" x2=\"\(n(px))\" y2=\"\(n(top + h + 4))\" stroke=\"black\"/>"
            out += "<text x=\"\(n(px))\" y=\"\(n(top + h + 18))\" text-anchor=\"middle\">\(p.time.iso8601.prefix(i == points.count - 1 ? 10 : 7))</text>\n"
        }
        out += "<text x=\"\(n(left + w / 2))\" y=\"\(height - 8)\" text-anchor=\"middle\">time (business time of the events)</text>\n"
        out += "<text transform=\"translate(16,\(n(top + h / 2))) rotate(-90)\" text-anchor=\"middle\">customers</text>\n"
        // Legend, top class first (as stacked).
        for (k, c) in classes.enumerated().reversed() {
            let row = Double(classes.count - 1 - k)
            let ly = top + row * 20
            let last = points.last?.counts[c] ?? 0
            out += "<rect x=\"\(n(left + w + 16))\" y=\"\(n(ly))\" width=\"12\" height=\"12\" fill=\"\(palette[k % palette.count])\"/>"
            out += "<text x=\"\(n(left + w + 34))\" y=\"\(n(ly + 10))\">\(escape(c)) (\(last))</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    private func n(_ v: Double) -> String { Decimals.fixed(v, 1) }

    private func niceCeiling(_ v: Int) -> Int {
        var step = 1
        while step * 10 < v { step *= 10 }
        for m in [1, 2, 4, 5, 10] where step * m >= v { return step * m }
        return step * 10
    }

    private func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
