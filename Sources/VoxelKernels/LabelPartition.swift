/// Voxel values grouped by region in two passes over the volume, whatever the number of
/// regions: a counting pass (finite and non-finite voxels per label, per chunk) and a scatter
/// pass that copies each finite value into its region's contiguous slice.
///
/// Within a region, values keep voxel order (chunks are contiguous and written in chunk
/// order), so every per-region result computed from ``values`` is identical at any thread
/// count. Label 0 is background and forms no region. Complexity O(N + L) for N voxels and a
/// label range L ≤ ``denseLabelRangeLimit``; wider label ranges fall back to a sorted table
/// of distinct labels and O(N log R) lookups for R regions.
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

    /// Label ranges up to this width use a direct lookup table.
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
        let table = LabelTable(labels: labels)
        let slotCount = table.slotCount
        // Pass 1: per chunk, finite and non-finite counts per slot.
        struct Counts { var finite: [Int]; var nonFinite: [Int] }
        let chunkRanges = Parallel.chunks(count: values.count)
        let counts = Parallel.mapChunks(count: values.count) { range -> Counts in
            var c = Counts(finite: [Int](repeating: 0, count: slotCount),
                           nonFinite: [Int](repeating: 0, count: slotCount))
            values.withUnsafeBufferPointer { v in
                labels.withUnsafeBufferPointer { l in
                    for i in range {
                        guard let slot = table.slot(of: l[i]) else { continue }
                        if v[i].isFinite { c.finite[slot] += 1 } else { c.nonFinite[slot] += 1 }
                    }
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
            regionLabels.append(table.label(ofSlot: slot))
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
        // Pass 2: scatter.
        let total = offsets.last!
        let grouped = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            if total > 0 { FreshMemory.prepare(UnsafeMutableRawPointer(buffer.baseAddress!), byteCount: total * 4, populate: true) }
            let out = UncheckedSendable(buffer)
            Parallel.forEachChunk(count: values.count) { chunk, range in
                precondition(range == chunkRanges[chunk])
                var cursor = cursors[chunk]
                values.withUnsafeBufferPointer { v in
                    labels.withUnsafeBufferPointer { l in
                        for i in range where v[i].isFinite {
                            guard let slot = table.slot(of: l[i]) else { continue }
                            out.value[cursor[slot]] = v[i]
                            cursor[slot] += 1
                        }
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
    /// Voxels per non-zero label (one pass with ``LabelTable`` lookups).
    public static func counts(of labels: [Int32]) -> [Int32: Int] {
        let (table, slots) = slotCounts(labels)
        var result: [Int32: Int] = [:]
        for slot in slots.indices where slots[slot] > 0 { result[table.label(ofSlot: slot)] = slots[slot] }
        return result
    }

    /// Voxel indices grouped by label (ascending; label 0 excluded), in voxel order within a
    /// label: the counting pass, then a scatter pass.
    public static func indices(of labels: [Int32]) -> (labels: [Int32], offsets: [Int], indices: [Int]) {
        let (table, slots) = slotCounts(labels)
        var present: [Int32] = [], offsets = [0], cursor = [Int](repeating: -1, count: slots.count)
        for slot in slots.indices where slots[slot] > 0 {
            present.append(table.label(ofSlot: slot))
            cursor[slot] = offsets.last!
            offsets.append(offsets.last! + slots[slot])
        }
        var indices = [Int](repeating: 0, count: offsets.last!)
        labels.withUnsafeBufferPointer { l in
            for i in l.indices {
                guard let slot = table.slot(of: l[i]) else { continue }
                indices[cursor[slot]] = i
                cursor[slot] += 1
            }
        }
        return (present, offsets, indices)
    }

    /// Per non-zero label, Σ wᵢ·vᵢ / Σ wᵢ over the voxels whose value is finite (a mass-weighted
    /// mean when w is the density): one pass, Float64 sums, no copies of the volume. Labels with
    /// no finite value are absent.
    public static func weightedMeans(_ values: [Float], weights: [Float], labels: [Int32]) -> [Int32: Double] {
        precondition(values.count == weights.count && values.count == labels.count)
        let table = LabelTable(labels: labels)
        var weighted = [Double](repeating: 0, count: table.slotCount), total = weighted
        for i in values.indices where values[i].isFinite {
            guard let slot = table.slot(of: labels[i]) else { continue }
            weighted[slot] += Double(weights[i]) * Double(values[i])
            total[slot] += Double(weights[i])
        }
        var result: [Int32: Double] = [:]
        for slot in total.indices where total[slot] > 0 { result[table.label(ofSlot: slot)] = weighted[slot] / total[slot] }
        return result
    }

    /// The label table and the voxel count of each of its slots.
    private static func slotCounts(_ labels: [Int32]) -> (LabelTable, [Int]) {
        let table = LabelTable(labels: labels)
        var counts = [Int](repeating: 0, count: table.slotCount)
        labels.withUnsafeBufferPointer { l in
            for i in l.indices { if let slot = table.slot(of: l[i]) { counts[slot] += 1 } }
        }
        return (table, counts)
    }
}

/// Maps label values to dense slots in ascending label order; label 0 maps to no slot.
struct LabelTable: Sendable {
    private let minimum: Int32
    private let dense: [Int32]?      // slot + 1 per (label − minimum), 0 for label 0
    private let sparse: [Int32]      // distinct non-zero labels, ascending (sparse mode)
    let slotCount: Int

    init(labels: [Int32]) {
        let extrema = Parallel.mapChunks(count: labels.count) { range -> (Int32, Int32) in
            labels.withUnsafeBufferPointer { l in
                var lo = Int32.max, hi = Int32.min
                for i in range { lo = min(lo, l[i]); hi = max(hi, l[i]) }
                return (lo, hi)
            }
        }
        let lo = extrema.map(\.0).min() ?? 0, hi = extrema.map(\.1).max() ?? 0
        minimum = lo
        let width = Int(hi) - Int(lo) + 1
        if labels.isEmpty {
            dense = []; sparse = []; slotCount = 0
        } else if width <= LabelPartition.denseLabelRangeLimit {
            // Every label value in [lo, hi] gets a slot (absent ones are dropped later).
            var table = [Int32](repeating: 0, count: width)
            var next: Int32 = 0
            for offset in 0..<width where Int(lo) + offset != 0 {
                next += 1
                table[offset] = next
            }
            dense = table; sparse = []; slotCount = Int(next)
        } else {
            let sets = Parallel.mapChunks(count: labels.count) { range -> Set<Int32> in
                labels.withUnsafeBufferPointer { l in Set(range.lazy.map { l[$0] }.filter { $0 != 0 }) }
            }
            sparse = sets.reduce(into: Set<Int32>()) { $0.formUnion($1) }.sorted()
            dense = nil; slotCount = sparse.count
        }
    }

    @inline(__always)
    func slot(of label: Int32) -> Int? {
        if let dense {
            let s = dense[Int(label) - Int(minimum)]
            return s == 0 ? nil : Int(s) - 1
        }
        guard label != 0 else { return nil }
        var lo = 0, hi = sparse.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sparse[mid] < label { lo = mid + 1 } else { hi = mid }
        }
        return lo < sparse.count && sparse[lo] == label ? lo : nil
    }

    func label(ofSlot slot: Int) -> Int32 {
        if dense != nil {
            // Slots skip label 0: slots below it map to minimum + slot, from it on one higher.
            let candidate = Int(minimum) + slot
            return Int32(minimum <= 0 && candidate >= 0 ? candidate + 1 : candidate)
        }
        return sparse[slot]
    }
}
