/// A decimal number held exactly: `value` × 10^-`scale` (so `1.50` is value 150, scale 2).
/// Used for quantities (`1.0`, `-1`, `0.250` kg); never converted to floating point.
public struct ExactDecimal: Sendable, Hashable, CustomStringConvertible {
    /// The digits as an integer, with the sign.
    public var value: Int64
    /// How many of those digits are after the decimal point (0…18).
    public var scale: Int

    /// The number `value` × 10^-`scale`.
    public init(value: Int64, scale: Int = 0) {
        self.value = value
        self.scale = scale
    }

    /// Whether it is below zero.
    public var isNegative: Bool { value < 0 }

    /// The same number with the trailing zeros of its fraction dropped (`1.0` → `1`).
    public var normalized: ExactDecimal {
        var v = value, s = scale
        while s > 0 && v % 10 == 0 { v /= 10; s -= 1 }
        return ExactDecimal(value: v, scale: s)
    }

    /// The whole number it equals, or nil when it has a fraction (`2.0` → 2, `0.5` → nil).
    public var integerValue: Int64? {
        let n = normalized
        return n.scale == 0 ? n.value : nil
    }

    /// Equal numbers compare equal whatever their scale (`1.0 == 1`).
    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool {
        let x = a.normalized, y = b.normalized
        return x.value == y.value && x.scale == y.scale
    }

    /// Hashes the normalized form, so `1.0` and `1` hash alike.
    public func hash(into hasher: inout Hasher) {
        let n = normalized
        hasher.combine(n.value)
        hasher.combine(n.scale)
    }

    /// The number as written with `scale` digits after the point, e.g. `-1.0`, `0.250`.
    public var description: String {
        let negative = value < 0
        let magnitude = value.magnitude
        var digits = String(magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }

    /// `self` × `minorUnits`, in minor units, rounded half away from zero when the product has a
    /// fraction of a minor unit (a weighed quantity times a unit price). Nil on overflow.
    public func times(_ minorUnits: Int64) -> Int64? {
        let (product, overflow) = value.multipliedReportingOverflow(by: minorUnits)
        guard !overflow else { return nil }
        guard scale > 0 else { return product }
        guard let divisor = ExactDecimal.powerOfTen(scale) else { return nil }
        let q = product / divisor, r = product % divisor
        if r.magnitude * 2 >= divisor.magnitude { return product < 0 ? q - 1 : q + 1 }
        return q
    }

    /// `amount` ÷ `self` when it divides exactly into whole minor units (a line's gross over its
    /// quantity gives the unit price); nil when it does not, or when `self` is zero.
    public func dividing(_ amount: Int64) -> Int64? {
        guard value != 0, let factor = ExactDecimal.powerOfTen(scale) else { return nil }
        let (scaled, overflow) = amount.multipliedReportingOverflow(by: factor)
        guard !overflow, scaled % value == 0 else { return nil }
        return scaled / value
    }

    /// 10^n for n in 0…18, nil beyond.
    static func powerOfTen(_ n: Int) -> Int64? {
        guard n >= 0 && n <= 18 else { return nil }
        var p: Int64 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }
}
