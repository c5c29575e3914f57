import Testing
@testable import VoxelKernels
import TestSupport

/// Brute-force grouping: one entry per distinct non-zero label (ascending), finite values in
/// voxel order and the count of non-finite voxels.
struct BruteRegion: Equatable {
    var label: Int32
    var finite: [UInt32]      // bit patterns, voxel order
    var nonFinite: Int
}

func bruteForcePartition(values: [Float], labels: [Int32]) -> [BruteRegion] {
    var byLabel: [Int32: BruteRegion] = [:]
    for i in 0..<values.count where labels[i] != 0 {
        var region = byLabel[labels[i]] ?? BruteRegion(label: labels[i], finite: [], nonFinite: 0)
        if values[i].isFinite { region.finite.append(values[i].bitPattern) } else { region.nonFinite += 1 }
        byLabel[labels[i]] = region
    }
    return byLabel.keys.sorted().map { byLabel[$0]! }
}

func checkPartition(values: [Float], labels: [Int32], _ context: String) {
    let expected = bruteForcePartition(values: values, labels: labels)
    let p = LabelPartition(values: values, labels: labels)
    #expect(p.labels == expected.map { Optional($0.label) }, "\(context): region labels")
    #expect(p.finiteCounts == expected.map(\.finite.count), "\(context): finite counts")
    #expect(p.nonFiniteCounts == expected.map(\.nonFinite), "\(context): non-finite counts")
    #expect(p.offsets.count == expected.count + 1)
    #expect(p.offsets.first == 0 && p.offsets.last == p.values.count)
    #expect(p.values.count == expected.reduce(0) { $0 + $1.finite.count })
    guard p.labels.count == expected.count, p.offsets.count == expected.count + 1 else { return }
    for (r, region) in expected.enumerated() {
        let got = p.values[p.regionRange(r)].map(\.bitPattern)
        #expect(got.sorted() == region.finite.sorted(), "\(context): label \(region.label) multiset")
        #expect(got == region.finite, "\(context): label \(region.label) values not in voxel order")
    }
}

/// Values with NaN / ±∞ sprinkled in.
func valuesWithNonFinite(_ n: Int, _ rng: inout SplitMix64) -> [Float] {
    var v = randomFloats(n, &rng)
    for i in 0..<n {
        switch rng.next() % 50 {
        case 0: v[i] = .nan
        case 1: v[i] = .infinity
        case 2: v[i] = -.infinity
        default: break
        }
    }
    return v
}

@Suite struct LabelPartitionTests {
    @Test func denseLabelsWithNegativesZeroAndSingleVoxel() {
        var rng = SplitMix64(seed: 1)
        let n = 5000
        let values = valuesWithNonFinite(n, &rng)
        let palette: [Int32] = [-3, -1, 0, 0, 0, 1, 2, 7, 300]
        var labels = (0..<n).map { _ in palette[Int(rng.next() % UInt64(palette.count))] }
        labels[4321] = 40000                // one voxel, widest label of a dense range
        labels[17] = -200                   // one voxel, negative
        checkPartition(values: values, labels: labels, "dense")
        let p = LabelPartition(values: values, labels: labels)
        #expect(!p.labels.contains(0), "label 0 is background and forms no region")
        #expect(p.labels.contains(40000) && p.labels.contains(-200))
    }

    @Test func sparseLabelsIncludingHugeAndNegative() {
        var rng = SplitMix64(seed: 2)
        let n = 6000
        let values = valuesWithNonFinite(n, &rng)
        let palette: [Int32] = [-5, 0, 0, 3, 1_000_000, 2_000_000_000, -7]
        var labels = (0..<n).map { _ in palette[Int(rng.next() % UInt64(palette.count))] }
        labels[999] = 1_999_999_999            // a single voxel
        // Range wider than the dense limit, so the sorted-table path is used.
        #expect(2_000_000_000 - (-7) + 1 > LabelPartition.denseLabelRangeLimit)
        checkPartition(values: values, labels: labels, "sparse")
    }

    @Test func extremeInt32Labels() {
        let values: [Float] = [1, 2, 3, .nan, 5, 6, 7]
        let labels: [Int32] = [.min, .max, 0, .min, -1, .max, .min]
        checkPartition(values: values, labels: labels, "Int32 extremes")
    }

    @Test func denseRangeJustAtTheLimit() {
        let lo: Int32 = -5
        let hi = lo + Int32(LabelPartition.denseLabelRangeLimit) - 1     // width == limit
        let values: [Float] = [1, 2, 3, 4, 5, 6]
        checkPartition(values: values, labels: [lo, hi, 0, hi, lo, 1], "width == limit")
        checkPartition(values: values, labels: [lo, hi + 1, 0, hi + 1, lo, 1], "width == limit + 1")
    }

    @Test func onlyPositiveOnlyNegativeAndAllBackground() {
        let values: [Float] = [1, 2, 3, 4, 5, .nan]
        checkPartition(values: values, labels: [5, 6, 5, 9, 9, 6], "positive only, minimum > 0")
        checkPartition(values: values, labels: [-5, -6, -5, -9, -9, -6], "negative only")
        checkPartition(values: values, labels: [0, 0, 0, 0, 0, 0], "all background")
        checkPartition(values: values, labels: [0, 1, 0, 0, 0, 0], "zero minimum")
        let p = LabelPartition(values: values, labels: [0, 0, 0, 0, 0, 0])
        #expect(p.labels.isEmpty && p.values.isEmpty && p.offsets == [0])
        checkPartition(values: [], labels: [], "empty")
    }

    @Test func regionWithOnlyNonFiniteVoxelsStillExists() {
        let values: [Float] = [.nan, 1, .infinity, 2, -.infinity]
        let labels: [Int32] = [4, 1, 4, 1, 4]
        checkPartition(values: values, labels: labels, "all-NaN region")
        let p = LabelPartition(values: values, labels: labels)
        #expect(p.labels == [1, 4])
        #expect(p.finiteCounts == [2, 0] && p.nonFiniteCounts == [0, 3])
        #expect(p.regionRange(1).isEmpty)
    }

    /// More than 2^17 voxels: several chunks on a 2-core machine (and more with a larger
    /// VOXDOSE_THREADS), so the per-chunk cursors are exercised; voxel order must survive.
    @Test func largeVolumeSeveralChunks() {
        let n = 300_001
        var rng = SplitMix64(seed: 3)
        let values = valuesWithNonFinite(n, &rng)
        var labels = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            // Long runs of one label crossing chunk boundaries, plus scattered labels.
            let block = Int32(i / 40_000) - 3
            labels[i] = rng.next() % 5 == 0 ? Int32(rng.next() % 9) - 4 : block
        }
        labels[n - 1] = 12345                   // single voxel at the very end
        print("LabelPartition large volume: \(Parallel.chunks(count: n).count) chunk(s) at \(Parallel.threadCount) thread(s)")
        checkPartition(values: values, labels: labels, "large dense")
        var sparseLabels = labels
        sparseLabels[0] = 2_000_000_000
        sparseLabels[150_000] = -2_000_000_000
        checkPartition(values: values, labels: sparseLabels, "large sparse")
    }

    @Test func wholeVolume() {
        var rng = SplitMix64(seed: 4)
        for n in [0, 1, 9, 300_000] {
            let values = valuesWithNonFinite(n, &rng)
            let p = LabelPartition(wholeVolume: values)
            let finite = values.filter(\.isFinite)
            #expect(p.labels == [nil])
            #expect(p.finiteCounts == [finite.count])
            #expect(p.nonFiniteCounts == [n - finite.count])
            #expect(p.offsets == [0, finite.count])
            #expect(p.values.map(\.bitPattern) == finite.map(\.bitPattern), "whole volume keeps voxel order")
        }
    }
}

@Suite struct ParallelChunkTests {
    @Test func chunksAreOrderedContiguousAndCover() {
        for count in [0, 1, 5, 65_535, 65_536, 131_071, 131_072, 300_001, 1 << 20] {
            for threads in [1, 2, 3, 7, 16] {
                let ranges = Parallel.chunks(count: count, maximumChunks: threads)
                if count == 0 { #expect(ranges.isEmpty); continue }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
                #expect(ranges.count >= 1 && ranges.count <= threads)
                #expect(ranges.count == max(1, min(threads, count / (1 << 16))))
                if ranges.count > 1 { #expect(ranges.allSatisfy { $0.count >= 1 << 16 }) }
                let sizes = ranges.map(\.count)
                #expect(sizes.max()! - sizes.min()! <= 1, "balanced")
            }
        }
    }

    @Test func mapChunksReturnsChunkOrder() {
        let parts = Parallel.mapChunks(count: 1000, minimumChunk: 10, maximumChunks: 8) { $0 }
        #expect(parts == Parallel.chunks(count: 1000, minimumChunk: 10, maximumChunks: 8))
        #expect(parts.count == 8)
    }

    @Test func forEachChunkVisitsEveryIndexOnce() {
        let n = 10_000
        var hits = [Int](repeating: 0, count: n)
        hits.withUnsafeMutableBufferPointer { buffer in
            let box = UncheckedSendable(buffer)
            Parallel.forEachChunk(count: n, minimumChunk: 100, maximumChunks: 7) { index, range in
                #expect(range == Parallel.chunks(count: n, minimumChunk: 100, maximumChunks: 7)[index])
                for i in range { box.value[i] += 1 }
            }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }
}
