import Foundation
import Testing
@testable import CustomerBase

@Suite("Gaussian hypergeometric 2F1")
struct HypergeometricTests {
    static func f21(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double {
        Hypergeometric.f21(a, b, c, z: z, oneMinusZ: 1 - z).value
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var a, b, c, z, expected: Double
        var testDescription: String { "2F1(\(a), \(b); \(c); \(z))" }
    }

    /// Reference values from mpmath 1.3.0 at 40 digits: `mpmath.hyp2f1(a, b, c, z)`.
    static let mpmath: [Case] = [
        Case(a: 1.5, b: 2.5, c: 3.7, z: 0.3, expected: 1.4214419569129740582),       // the series
        Case(a: 1.5, b: 2.5, c: 3.7, z: 0.95, expected: 10.797933050279757662),      // 1 − z, m = −0.3
        Case(a: 0.4, b: 1.7, c: 2.1, z: 0.999, expected: 4.2113406833337534202),     // 1 − z, m ≈ 0 (interpolated)
        Case(a: 3.2, b: 1.1, c: 4.3, z: 0.97, expected: 7.9409665776378605975),      // m ≈ 0 again
        Case(a: 0.7, b: -0.3, c: 2.2, z: -5.0, expected: 1.2956533410251415431),     // Pfaff, then the series at 5/6
        Case(a: 12.5, b: 20.0, c: 40.3, z: 0.995, expected: 104101.30685160406823),  // large parameters near 1
        Case(a: 2.0, b: 3.0, c: 4.0, z: 0.9999, expected: 29953.722876052528477),    // m = −1 exactly
        Case(a: 0.5, b: 0.5, c: 1.0, z: 0.99, expected: 2.3527158167797423215),      // m = 0 exactly (elliptic K)
        Case(a: 0.3, b: 0.2, c: 1.5000001, z: 0.999, expected: 1.075013837668371701), // m = 1 + 1e-7
    ]

    @Test("matches mpmath", arguments: mpmath)
    func matchesMpmath(_ c: Case) {
        let value = Self.f21(c.a, c.b, c.c, c.z)
        #expect(abs(value - c.expected) <= 1e-9 * abs(c.expected), "got \(value)")
    }

    @Test("closed forms: −ln(1 − z)/z, arcsin, (1 − z)^−a, a polynomial")
    func closedForms() {
        for z in [-3.0, -0.7, 0.2, 0.6, 0.93, 0.999, 0.999999] {
            let log = Self.f21(1, 1, 2, z)
            #expect(abs(log - (-Foundation.log1p(-z) / z)) <= 1e-10 * abs(log), "2F1(1,1;2;\(z)) = \(log)")
            let power = Self.f21(2.7, 1.3, 1.3, z)
            #expect(abs(power - pow(1 - z, -2.7)) <= 1e-10 * power, "2F1(2.7,1.3;1.3;\(z)) = \(power)")
        }
        for s in [0.1, 0.5, 0.8, 0.99] {
            let value = Self.f21(0.5, 0.5, 1.5, s * s)
            #expect(abs(value - asin(s) / s) <= 1e-10 * value, "arcsin at \(s): \(value)")
        }
        // 2F1(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1)): the series ends by itself at any z.
        let (b, c, z) = (1.5, 2.5, -7.0)
        #expect(abs(Self.f21(-2, b, c, z) - (1 - 2 * b * z / c + b * (b + 1) * z * z / (c * (c + 1)))) < 1e-12)
    }

    @Test("the interpolation around integer c − a − b is continuous")
    func continuousAcrossIntegerGap() {
        // c − a − b = 1 ± δ for δ on both sides of the 1e-5 switch; the function is smooth in c.
        let values = [3e-5, 1.1e-5, 0.9e-5, 1e-7, -1e-7, -0.9e-5, -1.1e-5, -3e-5].map { delta in
            (delta, Self.f21(0.8, 1.7, 0.8 + 1.7 + 1 + delta, 0.98))
        }
        for (one, two) in zip(values, values.dropFirst()) {
            let slope = (two.1 - one.1) / (two.0 - one.0)
            #expect(abs(slope) < 50, "jump between δ=\(one.0) and δ=\(two.0): \(one.1) → \(two.1)")
        }
    }

    @Test("digamma against known values")
    func digamma() {
        let eulerGamma = 0.57721566490153286
        #expect(abs(SpecialFunctions.digamma(1) + eulerGamma) < 1e-13)
        #expect(abs(SpecialFunctions.digamma(0.5) - (-eulerGamma - 2 * log(2.0))) < 1e-13)
        #expect(abs(SpecialFunctions.digamma(100) - 4.6001618527380874) < 1e-13)
        #expect(abs(SpecialFunctions.digamma(-0.5) - 0.036489973978576520) < 1e-13)
    }
}
