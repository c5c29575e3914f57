/// Element-wise maps over Float32 volumes: one read and one write per voxel, SIMD with a
/// scalar tail, split across cores. Each has a plain scalar twin (`…Reference`) for tests;
/// results are identical (the same single rounding per voxel).
public enum ElementwiseMaps {
    /// out[i] = factor · v[i]. NaN stays NaN; negative values stay negative. (A copy scaled by
    /// ``scale(_:by:)``.)
    public static func scaled(_ values: [Float], by factor: Float) -> [Float] {
        var copy = values
        scale(&copy, by: factor)
        return copy
    }

    /// out[i] = factor · v[i] / divisor[i] (a per-voxel density, for instance). A zero or
    /// non-finite divisor gives a non-finite result, which callers must refuse or report. (A copy
    /// scaled by ``scaleDividing(_:by:factor:)``.)
    public static func scaledDividing(_ values: [Float], by divisor: [Float], factor: Float) -> [Float] {
        var copy = values
        scaleDividing(&copy, by: divisor, factor: factor)
        return copy
    }

    /// values[i] = factor · values[i] / divisor[i], in place (no new volume).
    public static func scaleDividing(_ values: inout [Float], by divisor: [Float], factor: Float) {
        precondition(values.count == divisor.count)
        let count = values.count
        values.withUnsafeMutableBufferPointer { buffer in
            divisor.withUnsafeBufferPointer { d in
                let v = UncheckedSendable(buffer.baseAddress!), rd = UncheckedSendable(d.baseAddress!)
                let f = SIMD8<Float>(repeating: factor)
                Parallel.forEachChunk(count: count, minimumChunk: 1 << 16) { _, range in
                    let raw = UnsafeMutableRawPointer(v.value), rawD = UnsafeRawPointer(rd.value)
                    var i = range.lowerBound
                    while i + 8 <= range.upperBound {
                        let x = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        let y = rawD.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        raw.storeBytes(of: x * f / y, toByteOffset: i * 4, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < range.upperBound { v.value[i] = v.value[i] * factor / rd.value[i]; i += 1 }
                }
            }
        }
    }

    /// values[i] = factor · values[i], in place: one read and one write per voxel and no new
    /// allocation (whose page faults would cost more than the multiply).
    public static func scale(_ values: inout [Float], by factor: Float) {
        let count = values.count
        values.withUnsafeMutableBufferPointer { buffer in
            let v = UncheckedSendable(UnsafeMutableRawPointer(buffer.baseAddress!))
            let f = SIMD8<Float>(repeating: factor)
            Parallel.forEachChunk(count: count, minimumChunk: 1 << 16) { _, range in
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    v.value.storeBytes(of: v.value.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * f,
                                       toByteOffset: i * 4, as: SIMD8<Float>.self)
                    i += 8
                }
                let p = v.value.assumingMemoryBound(to: Float.self)
                while i < range.upperBound { p[i] *= factor; i += 1 }
            }
        }
    }

    /// Scalar twin of ``scaled(_:by:)``.
    public static func scaledReference(_ values: [Float], by factor: Float) -> [Float] {
        values.map { $0 * factor }
    }

    /// Scalar twin of ``scaledDividing(_:by:factor:)``.
    public static func scaledDividingReference(_ values: [Float], by divisor: [Float], factor: Float) -> [Float] {
        zip(values, divisor).map { $0 * factor / $1 }
    }
}

extension Reductions {
    /// Σ values[i] over voxels where mask[i] ≠ 0, in Float64, skipping non-finite values
    /// (counted in `nonFinite`). Chunk partial sums are added in chunk order.
    public static func maskedSum(_ values: [Float], mask: [Int32]) -> (sum: Double, voxels: Int, nonFinite: Int) {
        precondition(values.count == mask.count)
        let partials = Parallel.mapChunks(count: values.count) { range -> (Double, Int, Int) in
            values.withUnsafeBufferPointer { v in
                mask.withUnsafeBufferPointer { m in
                    var sum = 0.0, n = 0, bad = 0
                    for i in range where m[i] != 0 {
                        n += 1
                        if v[i].isFinite { sum += Double(v[i]) } else { bad += 1 }
                    }
                    return (sum, n, bad)
                }
            }
        }
        return partials.reduce((0, 0, 0)) { ($0.0 + $1.0, $0.1 + $1.1, $0.2 + $1.2) }
    }
}
