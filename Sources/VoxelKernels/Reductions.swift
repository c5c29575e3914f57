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
