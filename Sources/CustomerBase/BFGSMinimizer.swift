import Glibc

/// Unconstrained minimisation of a smooth function of four variables by BFGS with an
/// Armijo backtracking line search and analytic gradients.
///
/// The inverse-Hessian estimate is reset to the (scaled) identity whenever it stops giving a
/// descent direction or the line search fails along it, so a bad curvature update costs an
/// iteration rather than the fit. The search is kept inside the box |θᵢ| ≤ `bound`.
///
/// It stops when the gradient is within tolerance, or when it stalls: three iterations in a
/// row that lower f by no more than its rounding (10⁻¹⁵ relative), even from a fresh
/// identity. A stall counts as converged if the gradient is within 1000 × the tolerance,
/// which is where rounding in a sum over a million customers leaves it.
struct BFGSMinimizer: Sendable {
    /// Stop when every gradient component is at most this.
    var gradientTolerance: Double
    var maxIterations: Int
    /// The largest |θᵢ| the search may visit.
    var bound: Double
    /// The largest change of any θᵢ in one step.
    var maxStep = 2.0

    struct Result: Sendable {
        var point: SIMD4<Double>
        var value: Double
        var gradient: SIMD4<Double>
        var iterations: Int
        var evaluations: Int
        var converged: Bool
        var gradientNorm: Double { Self.maxNorm(gradient) }
        static func maxNorm(_ v: SIMD4<Double>) -> Double { max(max(abs(v[0]), abs(v[1])), max(abs(v[2]), abs(v[3]))) }
    }

    func minimize(
        from start: SIMD4<Double>,
        _ function: (SIMD4<Double>) -> (value: Double, gradient: SIMD4<Double>)
    ) -> Result {
        var x = start
        var (f, g) = function(x)
        var evaluations = 1
        var h = Self.identity
        var hIsIdentity = true
        var iterations = 0
        var stalled = 0
        let stallTolerance = 1e3 * gradientTolerance
        func result(converged: Bool) -> Result {
            Result(point: x, value: f, gradient: g, iterations: iterations, evaluations: evaluations, converged: converged)
        }
        guard f.isFinite else { return result(converged: false) }
        while iterations < maxIterations {
            if Result.maxNorm(g) <= gradientTolerance { return result(converged: true) }
            iterations += 1
            var direction = -Self.multiply(h, g)
            var slope = (direction * g).sum()
            if !(slope < 0) {
                h = Self.identity
                hIsIdentity = true
                direction = -g
                slope = (direction * g).sum()
            }
            let longest = Result.maxNorm(direction)
            var step = longest > maxStep ? maxStep / longest : 1
            var accepted: (x: SIMD4<Double>, f: Double, g: SIMD4<Double>)?
            for _ in 0..<60 {
                let candidate = x + step * direction
                if Result.maxNorm(candidate) <= bound {
                    let (fc, gc) = function(candidate)
                    evaluations += 1
                    if fc.isFinite, gc[0].isFinite, gc[1].isFinite, gc[2].isFinite, gc[3].isFinite,
                       fc <= f + 1e-4 * step * slope {
                        accepted = (candidate, fc, gc)
                        break
                    }
                    if fc.isFinite {
                        // Minimum of the quadratic through f, the slope and fc, kept within [0.1, 0.5]·step.
                        let q = -slope * step * step / (2 * (fc - f - slope * step))
                        step = min(max(q, 0.1 * step), 0.5 * step)
                        continue
                    }
                }
                step *= 0.5
            }
            guard let next = accepted else {
                if !hIsIdentity {
                    h = Self.identity
                    hIsIdentity = true
                    continue
                }
                // No decrease even downhill: at the rounding floor of f.
                return result(converged: Result.maxNorm(g) <= stallTolerance)
            }
            if f - next.f <= 1e-15 * max(1, abs(f)) {
                stalled += 1
                if stalled >= 3 {
                    x = next.x
                    f = next.f
                    g = next.g
                    if hIsIdentity || Result.maxNorm(g) <= stallTolerance {
                        return result(converged: Result.maxNorm(g) <= stallTolerance)
                    }
                    h = Self.identity
                    hIsIdentity = true
                    stalled = 0
                    continue
                }
            } else {
                stalled = 0
            }
            let s = next.x - x, y = next.g - g
            let sy = (s * y).sum(), yy = (y * y).sum()
            x = next.x
            f = next.f
            g = next.g
            if sy > 1e-12 * (s * s).sum().squareRoot() * yy.squareRoot() {
                if hIsIdentity {
                    let scale = sy / yy
                    h = Self.identity.map { $0 * scale }
                }
                let rho = 1 / sy
                let hy = Self.multiply(h, y)
                let yhy = (y * hy).sum()
                let outer = rho * rho * yhy + rho
                for i in 0..<4 {
                    let cross: SIMD4<Double> = hy[i] * s + s[i] * hy
                    let square: SIMD4<Double> = (outer * s[i]) * s
                    h[i] += square - rho * cross
                }
                hIsIdentity = false
            }
        }
        return result(converged: Result.maxNorm(g) <= gradientTolerance)
    }

    static let identity: [SIMD4<Double>] = [SIMD4(1, 0, 0, 0), SIMD4(0, 1, 0, 0), SIMD4(0, 0, 1, 0), SIMD4(0, 0, 0, 1)]

    static func multiply(_ m: [SIMD4<Double>], _ v: SIMD4<Double>) -> SIMD4<Double> {
        SIMD4((m[0] * v).sum(), (m[1] * v).sum(), (m[2] * v).sum(), (m[3] * v).sum())
    }
}
