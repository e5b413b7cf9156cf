/// The random numbers of the synthetic chain: SplitMix64, seeded, so one seed gives one chain.
struct ChainRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A generator for one item (customer, receipt…) of a seeded run, independent of the order items are made in.
    init(seed: UInt64, stream: UInt64, item: UInt64) {
        state = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ (item &* 0xD1B5_4A32_D192_ED03)
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func chance(_ p: Double) -> Bool { unit() < p }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }

    /// Exponential with the given rate.
    mutating func exponential(rate: Double) -> Double { -log(1 - unit()) / rate }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double { sqrt(-2 * log(1 - unit())) * cos(2 * Double.pi * unit()) }

    /// Gamma(shape, scale) by Marsaglia and Tsang.
    mutating func gamma(shape: Double, scale: Double) -> Double {
        if shape < 1 { return gamma(shape: shape + 1, scale: scale) * pow(unit(), 1 / shape) }
        let d = shape - 1.0 / 3, c = 1 / sqrt(9 * d)
        while true {
            var x = 0.0, v = 0.0
            repeat { x = normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = unit()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v * scale }
        }
    }

    /// Beta(a, b) from two gammas.
    mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a, scale: 1), y = gamma(shape: b, scale: 1)
        return x / (x + y)
    }

    /// Poisson (Knuth; for the small means used here).
    mutating func poisson(_ mean: Double) -> Int {
        let l = exp(-mean)
        var k = 0, p = 1.0
        repeat { k += 1; p *= unit() } while p > l
        return k - 1
    }
}

#if canImport(Glibc)
import Glibc
#endif
