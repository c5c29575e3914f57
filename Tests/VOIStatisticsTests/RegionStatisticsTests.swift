import Testing
import VOIStatistics
import VoxelKernels
import TestSupport

/// numpy percentile(method="linear") on float64 data, from a full sort (see VoxelKernelsTests).
func numpyLinearPercentile(sorted: [Float], _ q: Double) -> Double {
    let n = sorted.count
    guard n > 0 else { return .nan }
    let h = Double(n - 1) * (q / 100)
    let lower = min(max(Int(h.rounded(.down)), 0), n - 1)
    let upper = min(lower + 1, n - 1)
    let t = h - h.rounded(.down)
    let a = Double(sorted[lower]), b = Double(sorted[upper])
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
}

/// Expected statistics of one region from its raw voxel values, by straightforward loops.
struct Expected {
    var voxels = 0, nanVoxels = 0
    var sum = 0.0, mean = Double.nan, std = Double.nan, min = Double.nan, max = Double.nan
    var median = Double.nan
    var percentiles: [Double] = []

    init(_ raw: [Float], percentiles qs: [Double]) {
        let finite = raw.filter(\.isFinite)
        voxels = finite.count
        nanVoxels = raw.count - finite.count
        for v in finite { sum += Double(v) }
        let sorted = finite.sorted()
        if !finite.isEmpty {
            mean = sum / Double(voxels)
            var ss = 0.0
            for v in finite { ss += (Double(v) - mean) * (Double(v) - mean) }
            std = (ss / Double(voxels)).squareRoot()          // population (ddof = 0)
            min = Double(sorted.first!)
            max = Double(sorted.last!)
        }
        median = numpyLinearPercentile(sorted: sorted, 50)
        percentiles = qs.map { numpyLinearPercentile(sorted: sorted, $0) }
    }
}

func same(_ a: Double, _ b: Double, rel: Double = 0, scale: Double = 0) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    return abs(a - b) <= rel * Swift.max(abs(a), abs(b), scale)
}

func check(_ s: RegionStatistics, _ e: Expected, voxelVolumeML: Double, absScale: Double, _ context: String) {
    #expect(s.voxels == e.voxels, "\(context): voxels")
    #expect(s.nanVoxels == e.nanVoxels, "\(context): nanVoxels")
    #expect(s.volumeML == Double(e.voxels) * voxelVolumeML, "\(context): volumeML")
    #expect(same(s.sum, e.sum, rel: 1e-12, scale: absScale), "\(context): sum \(s.sum) vs \(e.sum)")
    #expect(same(s.mean, e.mean, rel: 1e-12, scale: absScale / Double(Swift.max(1, e.voxels))), "\(context): mean \(s.mean) vs \(e.mean)")
    #expect(same(s.std, e.std, rel: 1e-10), "\(context): std \(s.std) vs \(e.std)")
    #expect(same(s.min, e.min) && same(s.max, e.max), "\(context): min/max")
    #expect(same(s.median, e.median), "\(context): median \(s.median) vs \(e.median)")
    #expect(s.percentiles.count == e.percentiles.count)
    for (a, b) in zip(s.percentiles, e.percentiles) { #expect(same(a, b), "\(context): percentile \(a) vs \(b)") }
}

let qs: [Double] = [2, 5, 95, 98, 97.5, 0, 100]

@Suite struct RegionStatisticsTests {
    @Test func handComputedWholeVolume() throws {
        // 2, 4, 4, 4, 5, 5, 7, 9 plus NaN and ±∞: mean 5, population std 2, median 4.5.
        let values: [Float] = [4, .nan, 2, 9, 4, .infinity, 5, 7, 4, -.infinity, 5]
        let r = RegionStatisticsCalculator.compute(values: values, labels: nil, voxelVolumeML: 0.008, percentiles: [25, 75])
        let s = try #require(r.first)
        #expect(r.count == 1)
        #expect(s.label == nil)
        #expect(s.voxels == 8 && s.nanVoxels == 3)
        #expect(s.volumeML == 8 * 0.008)
        #expect(s.sum == 40 && s.mean == 5 && s.std == 2)
        #expect(s.min == 2 && s.max == 9 && s.median == 4.5)
        // numpy.percentile([2,4,4,4,5,5,7,9], [25, 75]) = [4, 5.5]
        #expect(s.percentiles == [4, 5.5])
    }

    @Test func wholeVolumeRandom() throws {
        var rng = SplitMix64(seed: 10)
        let n = 50_000
        let values: [Float] = (0..<n).map { _ in
            rng.next() % 40 == 0 ? (rng.next() % 2 == 0 ? .nan : -.infinity) : Float.random(in: -100...5000, using: &rng)
        }
        let r = RegionStatisticsCalculator.compute(values: values, labels: nil, voxelVolumeML: 0.064, percentiles: qs)
        #expect(r.count == 1)
        let absScale = values.filter(\.isFinite).reduce(0.0) { $0 + abs(Double($1)) }
        check(try #require(r.first), Expected(values, percentiles: qs), voxelVolumeML: 0.064, absScale: absScale, "whole volume")
    }

    @Test func labelledRegions() {
        var rng = SplitMix64(seed: 20)
        let n = 300_000    // > 2^17: several partition chunks
        var values: [Float] = (0..<n).map { _ in Float.random(in: -10...1000, using: &rng) }
        var labels: [Int32] = (0..<n).map { _ in [0, 0, 1, 2, 3, -4, 70_000][Int(rng.next() % 7)] }
        for i in stride(from: 0, to: n, by: 97) { values[i] = .nan }
        for i in stride(from: 5, to: n, by: 1013) { values[i] = .infinity }
        labels[123] = 2_000_000_000                       // a one-voxel region (and the sparse label path)
        labels[200] = 999; values[200] = .nan            // a region whose only voxel is NaN
        for i in [300, 301, 302] { labels[i] = 55; values[i] = [Float.nan, .infinity, -.infinity][i - 300] }
        let vml = 0.0123
        let r = RegionStatisticsCalculator.compute(values: values, labels: labels, voxelVolumeML: vml, percentiles: qs)
        let distinct = Set(labels).subtracting([0]).sorted()
        #expect(r.map(\.label) == distinct.map { Optional($0) })
        for s in r {
            let raw = (0..<n).filter { labels[$0] == s.label! }.map { values[$0] }
            let absScale = raw.filter(\.isFinite).reduce(0.0) { $0 + abs(Double($1)) }
            check(s, Expected(raw, percentiles: qs), voxelVolumeML: vml, absScale: absScale, "label \(s.label!)")
        }
    }

    @Test func allNaNRegion() throws {
        let values: [Float] = [.nan, 1, .infinity, 3, .nan]
        let labels: [Int32] = [8, 2, 8, 2, 8]
        let r = RegionStatisticsCalculator.compute(values: values, labels: labels, voxelVolumeML: 1, percentiles: [10, 90])
        #expect(r.map(\.label) == [2, 8])
        let s = try #require(r.last)
        #expect(s.voxels == 0 && s.nanVoxels == 3 && s.volumeML == 0)
        #expect(s.mean.isNaN && s.std.isNaN && s.min.isNaN && s.max.isNaN && s.median.isNaN)
        #expect(s.percentiles.count == 2 && s.percentiles.allSatisfy(\.isNaN))
        #expect(s.sum == 0)
        let two = try #require(r.first)
        #expect(two.voxels == 2 && two.nanVoxels == 0 && two.mean == 2 && two.std == 1 && two.median == 2)
        #expect(two.percentiles == [1.2, 2.8])   // numpy.percentile([1, 3], [10, 90])
    }

    @Test func wholeVolumeAllNaNAndEmpty() throws {
        let r = RegionStatisticsCalculator.compute(values: [.nan, .nan], labels: nil, voxelVolumeML: 2, percentiles: [50])
        let s = try #require(r.first)
        #expect(s.voxels == 0 && s.nanVoxels == 2 && s.volumeML == 0 && s.mean.isNaN && s.percentiles[0].isNaN)
        let none = RegionStatisticsCalculator.compute(values: [1, 2], labels: [0, 0], voxelVolumeML: 1, percentiles: [50])
        #expect(none.isEmpty, "background only: no region")
    }

    /// The two-pass std keeps precision where Σv² − n·mean² would cancel.
    @Test func stdOfLargeOffsetValues() throws {
        let values: [Float] = (0..<1000).map { 1e6 + Float($0 % 2) }    // 1e6 and 1e6 + 1 alternating
        let s = try #require(RegionStatisticsCalculator.compute(values: values, labels: nil, voxelVolumeML: 1, percentiles: []).first)
        #expect(s.mean == 1e6 + 0.5 && s.std == 0.5)
        #expect(s.percentiles.isEmpty)
    }
}
