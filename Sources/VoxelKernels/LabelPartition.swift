/// Voxel values grouped by region, whatever the number of regions: one SIMD pass over the
/// label image finds the labelled voxels (``LabelForeground``), then a counting pass and a
/// scatter pass over those voxels only copy each finite value into its region's contiguous
/// slice. Background voxels are read once, 32 at a time, and never looked up.
///
/// Within a region, values keep voxel order (chunks are contiguous and written in chunk
/// order), so every per-region result computed from ``values`` is identical at any thread
/// count. Label 0 is background and forms no region. Complexity O(N) for the scan plus
/// O(F + L) for F labelled voxels and a label range L ≤ ``denseLabelRangeLimit``; wider label
/// ranges fall back to a sorted table of distinct labels and O(F log R) lookups for R regions.
public struct LabelPartition: Sendable {
    /// Region labels in ascending order (`[nil]` for a whole-volume partition).
    public let labels: [Int32?]
    /// Finite voxels per region.
    public let finiteCounts: [Int]
    /// Non-finite voxels (NaN, ±∞) per region; they are excluded from ``values``.
    public let nonFiniteCounts: [Int]
    /// Start of each region's slice in ``values``; `offsets[r + 1]` is its end.
    public let offsets: [Int]
    /// The finite values, grouped by region.
    public var values: [Float]

    /// Label ranges up to this width (between the smallest and largest non-zero label) use a
    /// direct lookup table.
    public static let denseLabelRangeLimit = 1 << 20

    /// The finite values of region `r`.
    public func regionRange(_ r: Int) -> Range<Int> { offsets[r]..<offsets[r + 1] }

    /// One region holding every voxel of `values`.
    public init(wholeVolume values: [Float]) {
        let chunks = Parallel.mapChunks(count: values.count) { range -> [Float] in
            var kept: [Float] = []
            kept.reserveCapacity(range.count)
            values.withUnsafeBufferPointer { v in
                for i in range where v[i].isFinite { kept.append(v[i]) }
            }
            return kept
        }
        let finite = chunks.joined()
        self.labels = [nil]
        self.finiteCounts = [finite.count]
        self.nonFiniteCounts = [values.count - finite.count]
        self.offsets = [0, finite.count]
        self.values = Array(finite)
    }

    /// One region per distinct non-zero label in `labels` (same length as `values`).
    public init(values: [Float], labels: [Int32]) {
        precondition(values.count == labels.count, "values and labels must have the same length")
        let foreground = LabelForeground(labels)
        let slotCount = foreground.table.slotCount
        // Counting pass over the labelled voxels: finite and non-finite counts per slot, per chunk.
        struct Counts { var finite: [Int]; var nonFinite: [Int] }
        let counts = foreground.mapChunks { chunk -> Counts in
            var c = Counts(finite: [Int](repeating: 0, count: slotCount), nonFinite: [Int](repeating: 0, count: slotCount))
            values.withUnsafeBufferPointer { v in
                foreground.forEachVoxel(inChunk: chunk, labels: labels) { i, slot in
                    if v[i].isFinite { c.finite[slot] += 1 } else { c.nonFinite[slot] += 1 }
                }
            }
            return c
        }
        // Regions: slots with any voxel, ascending label order (slots are in label order).
        var regionOfSlot = [Int](repeating: -1, count: slotCount)
        var regionLabels: [Int32?] = [], finiteCounts: [Int] = [], nonFiniteCounts: [Int] = []
        for slot in 0..<slotCount {
            let f = counts.reduce(0) { $0 + $1.finite[slot] }
            let n = counts.reduce(0) { $0 + $1.nonFinite[slot] }
            guard f + n > 0 else { continue }
            regionOfSlot[slot] = regionLabels.count
            regionLabels.append(foreground.table.label(ofSlot: slot))
            finiteCounts.append(f)
            nonFiniteCounts.append(n)
        }
        var offsets = [0]
        for f in finiteCounts { offsets.append(offsets.last! + f) }
        // Write cursors: region r, chunk c starts after chunks 0..<c of region r.
        var cursors = [[Int]](repeating: [Int](repeating: 0, count: slotCount), count: counts.count)
        for slot in 0..<slotCount where regionOfSlot[slot] >= 0 {
            var next = offsets[regionOfSlot[slot]]
            for c in 0..<counts.count {
                cursors[c][slot] = next
                next += counts[c].finite[slot]
            }
        }
        // Scatter pass over the labelled voxels.
        let total = offsets.last!
        let grouped = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            let out = UncheckedSendable(buffer)
            _ = foreground.mapChunks { chunk in
                var cursor = cursors[chunk]
                values.withUnsafeBufferPointer { v in
                    foreground.forEachVoxel(inChunk: chunk, labels: labels) { i, slot in
                        guard v[i].isFinite else { return }
                        out.value[cursor[slot]] = v[i]
                        cursor[slot] += 1
                    }
                }
            }
            initialized = total
        }
        self.labels = regionLabels
        self.finiteCounts = finiteCounts
        self.nonFiniteCounts = nonFiniteCounts
        self.offsets = offsets
        self.values = grouped
    }
}

extension LabelPartition {
    /// Voxels per non-zero label (the foreground scan, then one lookup per labelled voxel).
    public static func counts(of labels: [Int32]) -> [Int32: Int] {
        let (foreground, slots) = slotCounts(labels)
        var result: [Int32: Int] = [:]
        for slot in slots.indices where slots[slot] > 0 { result[foreground.table.label(ofSlot: slot)] = slots[slot] }
        return result
    }

    /// Voxel indices grouped by label (ascending; label 0 excluded), in voxel order within a
    /// label.
    public static func indices(of labels: [Int32]) -> (labels: [Int32], offsets: [Int], indices: [Int]) {
        let (foreground, slots) = slotCounts(labels)
        var present: [Int32] = [], offsets = [0], cursor = [Int](repeating: -1, count: slots.count)
        for slot in slots.indices where slots[slot] > 0 {
            present.append(foreground.table.label(ofSlot: slot))
            cursor[slot] = offsets.last!
            offsets.append(offsets.last! + slots[slot])
        }
        var indices = [Int](repeating: 0, count: offsets.last!)
        for chunk in foreground.chunkRanges.indices {
            foreground.forEachVoxel(inChunk: chunk, labels: labels) { i, slot in
                indices[cursor[slot]] = i
                cursor[slot] += 1
            }
        }
        return (present, offsets, indices)
    }

    /// Per non-zero label, Σ wᵢ·vᵢ / Σ wᵢ over the voxels whose value is finite (a mass-weighted
    /// mean when w is the density): one pass over the labelled voxels, Float64 sums, no copies
    /// of the volume. Labels with no finite value are absent.
    public static func weightedMeans(_ values: [Float], weights: [Float], labels: [Int32]) -> [Int32: Double] {
        precondition(values.count == weights.count && values.count == labels.count)
        let foreground = LabelForeground(labels)
        var weighted = [Double](repeating: 0, count: foreground.table.slotCount), total = weighted
        for chunk in foreground.chunkRanges.indices {
            foreground.forEachVoxel(inChunk: chunk, labels: labels) { i, slot in
                guard values[i].isFinite else { return }
                weighted[slot] += Double(weights[i]) * Double(values[i])
                total[slot] += Double(weights[i])
            }
        }
        var result: [Int32: Double] = [:]
        for slot in total.indices where total[slot] > 0 { result[foreground.table.label(ofSlot: slot)] = weighted[slot] / total[slot] }
        return result
    }

    /// The foreground and the voxel count of each of its table's slots.
    private static func slotCounts(_ labels: [Int32]) -> (LabelForeground, [Int]) {
        let foreground = LabelForeground(labels)
        let perChunk = foreground.mapChunks { chunk -> [Int] in
            var counts = [Int](repeating: 0, count: foreground.table.slotCount)
            foreground.forEachVoxel(inChunk: chunk, labels: labels) { _, slot in counts[slot] += 1 }
            return counts
        }
        let counts = (0..<foreground.table.slotCount).map { slot in perChunk.reduce(0) { $0 + $1[slot] } }
        return (foreground, counts)
    }
}
