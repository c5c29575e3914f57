/// One-pass reductions over Float32 values with Float64 accumulators.
public enum Reductions {
    /// Sum, minimum and maximum of `values` (all finite). Sum in Float64, accumulated in
    /// eight interleaved lanes (a fixed order, so the result does not depend on threads).
    /// Empty input: sum 0, min +∞, max −∞.
    @inlinable
    public static func sumMinMax(_ values: UnsafeBufferPointer<Float>) -> (sum: Double, min: Float, max: Float) {
        var lanes = SIMD8<Double>()
        var lo = SIMD8<Float>(repeating: .infinity), hi = SIMD8<Float>(repeating: -.infinity)
        let n = values.count, body = n - n % 8
        var i = 0
        while i < body {
            let v = SIMD8<Float>(values[i], values[i + 1], values[i + 2], values[i + 3],
                                 values[i + 4], values[i + 5], values[i + 6], values[i + 7])
            lanes += SIMD8<Double>(v)
            lo = pointwiseMin(lo, v)
            hi = pointwiseMax(hi, v)
            i += 8
        }
        var sum = lanes.sum(), minimum = lo.min(), maximum = hi.max()
        while i < n {
            sum += Double(values[i])
            minimum = Swift.min(minimum, values[i])
            maximum = Swift.max(maximum, values[i])
            i += 1
        }
        return (sum, minimum, maximum)
    }

    /// Σ (vᵢ − mean)² in Float64 (the second pass of a two-pass variance, which keeps full
    /// precision where the one-pass Σv² − n·mean² would cancel).
    @inlinable
    public static func sumOfSquaredDeviations(_ values: UnsafeBufferPointer<Float>, mean: Double) -> Double {
        var lanes = SIMD8<Double>()
        let m = SIMD8<Double>(repeating: mean)
        let n = values.count, body = n - n % 8
        var i = 0
        while i < body {
            let v = SIMD8<Double>(SIMD8<Float>(values[i], values[i + 1], values[i + 2], values[i + 3],
                                               values[i + 4], values[i + 5], values[i + 6], values[i + 7]))
            let d = v - m
            lanes += d * d
            i += 8
        }
        var total = lanes.sum()
        while i < n {
            let d = Double(values[i]) - mean
            total += d * d
            i += 1
        }
        return total
    }
}

extension Reductions {
    /// Sum, minimum and maximum over the finite values, and how many there are, in one
    /// parallel pass, eight lanes at a time (a lane is finite when v − v = 0). Chunk sums are
    /// added in chunk order: the sum may differ in the last bits between thread counts
    /// (within 1e-12 relative).
    public static func finiteSummary(_ values: [Float]) -> (sum: Double, min: Float, max: Float, finite: Int) {
        let partials = Parallel.mapChunks(count: values.count) { range -> (Double, Float, Float, Int) in
            values.withUnsafeBufferPointer { v in
                let raw = UnsafeRawPointer(v.baseAddress!)
                var sum = SIMD8<Double>(), lo = SIMD8<Float>(repeating: .infinity), hi = SIMD8<Float>(repeating: -.infinity)
                var count = SIMD8<Int32>()
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    let x = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                    let finite = (x - x) .== SIMD8<Float>()
                    sum += SIMD8<Double>(x.replacing(with: 0, where: .!finite))
                    let low = x.replacing(with: .infinity, where: .!finite)
                    let high = x.replacing(with: -.infinity, where: .!finite)
                    lo = lo.replacing(with: low, where: low .< lo)
                    hi = hi.replacing(with: high, where: high .> hi)
                    count &+= SIMD8<Int32>(repeating: 1).replacing(with: 0, where: .!finite)
                    i += 8
                }
                var total = sum.sum(), minimum = lo.min(), maximum = hi.max(), n = Int(count.wrappedSum())
                while i < range.upperBound {
                    if v[i].isFinite {
                        total += Double(v[i]); minimum = Swift.min(minimum, v[i]); maximum = Swift.max(maximum, v[i]); n += 1
                    }
                    i += 1
                }
                return (total, minimum, maximum, n)
            }
        }
        return partials.reduce((0, .infinity, -.infinity, 0)) { ($0.0 + $1.0, Swift.min($0.1, $1.1), Swift.max($0.2, $1.2), $0.3 + $1.3) }
    }
}
