import TestSupport
import CustomerBase
import Foundation

/// A seeded BG/NBD customer base, simulated the way the model tells its story: each customer
/// buys by a Poisson process of rate λ ~ Gamma(r, α) from time 0 (the first purchase) and
/// drops out after each repeat purchase with chance p ~ Beta(a, b). Times are continuous,
/// so x counts repeat purchases.
struct SimulatedCustomerBase {
    var parameters: (r: Double, alpha: Double, a: Double, b: Double)
    var customers: Int
    /// T for each customer is drawn uniformly from this range.
    var ages: ClosedRange<Double>
    var seed: UInt64

    func histories() throws -> [CustomerHistory] {
        var random = SplitMix64(seed: seed)
        var result: [CustomerHistory] = []
        result.reserveCapacity(customers)
        for _ in 0..<customers {
            let rate = random.gamma(shape: parameters.r) / parameters.alpha
            let dropout = random.beta(parameters.a, parameters.b)
            let age = ages.lowerBound + random.unit() * (ages.upperBound - ages.lowerBound)
            var time = 0.0, x = 0, last = 0.0
            while true {
                time += random.exponential() / rate
                if time > age { break }
                x += 1
                last = time
                if random.unit() < dropout { break }
            }
            result.append(try CustomerHistory(frequency: x, recency: last, age: age))
        }
        return result
    }
}

/// The draws the simulation needs, on the shared seeded generator.
extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Exponential with mean 1.
    mutating func exponential() -> Double { -log(1 - unit()) }

    mutating func normal() -> Double { sqrt(-2 * log(1 - unit())) * cos(2 * Double.pi * unit()) }

    /// Gamma(shape, 1) by Marsaglia and Tsang (boosted for shape < 1).
    mutating func gamma(shape: Double) -> Double {
        if shape < 1 { return gamma(shape: shape + 1) * pow(1 - unit(), 1 / shape) }
        let d = shape - 1.0 / 3, c = 1 / sqrt(9 * d)
        while true {
            var x = 0.0, v = 0.0
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = unit()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a), y = gamma(shape: b)
        return x / (x + y)
    }
}

/// The parameters Fader, Hardie & Lee (2005) report for the CDNOW sample (2357 customers,
/// 39 weeks of calibration, times in weeks).
let publishedCDNOW = (r: 0.243, alpha: 4.414, a: 0.793, b: 2.426)

func history(_ x: Int, _ tx: Double, _ T: Double) -> CustomerHistory {
    try! CustomerHistory(frequency: x, recency: tx, age: T)
}
