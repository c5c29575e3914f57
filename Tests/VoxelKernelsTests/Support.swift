import Testing
@testable import VoxelKernels
import TestSupport

/// Random finite Float32 values of mixed magnitude and sign.
func randomFloats(_ count: Int, _ rng: inout SplitMix64) -> [Float] {
    (0..<count).map { _ in
        switch rng.next() % 4 {
        case 0: return Float.random(in: -1...1, using: &rng)
        case 1: return Float.random(in: -1e4...1e4, using: &rng)
        case 2: return Float(Int.random(in: -50...50, using: &rng))   // ties
        default: return Float.random(in: 0...1e-3, using: &rng)
        }
    }
}

/// numpy's `percentile(..., method="linear")` on float64 data, computed from a full sort:
/// h = (n − 1)·(q/100) (numpy divides q by 100 first), lerp between v⌊h⌋ and v⌊h⌋₊₁ with
/// numpy's `_lerp`: a + (b − a)·t, or b − (b − a)·(1 − t) when t ≥ 0.5.
func numpyLinearPercentile(sorted: [Float], _ q: Double) -> Double {
    let n = sorted.count
    guard n > 0 else { return .nan }
    let h = Double(n - 1) * (q / 100)
    let floorH = h.rounded(.down)
    var lower = Int(floorH)
    if lower < 0 { lower = 0 }
    if lower > n - 1 { lower = n - 1 }
    let upper = lower + 1 < n ? lower + 1 : n - 1
    let t = h - floorH
    let a = Double(sorted[lower]), b = Double(sorted[upper])
    let diff = b - a
    if t >= 0.5 { return b - diff * (1 - t) }
    return a + diff * t
}

/// Library percentiles on a copy of `values`.
func libraryPercentiles(_ values: [Float], _ qs: [Double]) -> [Double] {
    var copy = values
    return copy.withUnsafeMutableBufferPointer { OrderStatistics.percentiles(&$0, qs) }
}

/// Sort of floats by value, then compare as multisets by bit pattern.
func sameMultiset(_ a: [Float], _ b: [Float]) -> Bool {
    a.map(\.bitPattern).sorted() == b.map(\.bitPattern).sorted()
}

/// |a − b| ≤ rel·max(|a|, |b|, scale).
func approxEqual(_ a: Double, _ b: Double, rel: Double, scale: Double = 0) -> Bool {
    if a == b { return true }
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)
}

/// Foundation also has an `AffineTransform`; the tests mean VoxDose's.
typealias AffineTransform = VoxelKernels.AffineTransform
