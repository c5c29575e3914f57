import Dispatch

/// Voxel values grouped by region, whatever the number of regions: the finite values of each
/// region of a ``LabelRegions`` (one SIMD scan of the label image, then passes over the
/// labelled voxels only) gathered into one contiguous slice per region. Background voxels are
/// read once, 32 at a time, and never looked up.
///
/// Within a region, values keep voxel order, so every per-region result computed from
/// ``values`` is identical at any thread count. Label 0 is background and forms no region.
/// Complexity O(N) for the scan plus O(F + L) for F labelled voxels and a label range
/// L ≤ ``denseLabelRangeLimit``; wider label ranges fall back to a sorted table of distinct
/// labels and O(F log R) lookups for R regions.
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

    /// `body(r, values)` for each region r in `regions` (default: all), regions in parallel, on
    /// the region's finite values (which `body` may reorder, e.g. by a selection); results in the
    /// order of `regions`.
    public mutating func mapRegions<Result>(_ regions: [Int]? = nil,
                                            _ body: (Int, inout UnsafeMutableBufferPointer<Float>) -> Result) -> [Result] {
        let chosen = regions ?? Array(labels.indices), ranges = chosen.map(regionRange)
        var results = [Result?](repeating: nil, count: chosen.count)
        values.withUnsafeMutableBufferPointer { all in
            let shared = UncheckedSendable(all)
            results.withUnsafeMutableBufferPointer { slots in
                let output = UncheckedSendable(slots)
                withoutActuallyEscaping(body) { escapable in
                    let work = UncheckedSendable(escapable)
                    DispatchQueue.concurrentPerform(iterations: chosen.count) { k in
                        var region = UnsafeMutableBufferPointer(rebasing: shared.value[ranges[k]])
                        output.value[k] = work.value(chosen[k], &region)
                    }
                }
            }
        }
        return results.map { $0! }
    }

    /// One region holding every voxel of `values`.
    public init(wholeVolume values: consuming [Float]) {
        // Compacts the finite values in place (each chunk to the front of its range, then the
        // chunks down one after another), so the volume's own storage becomes the region's:
        // no second whole-volume buffer when the caller hands over its only reference.
        var values = values
        let total = values.count
        let ranges = Parallel.chunks(count: total)
        let keptPerChunk = values.withUnsafeMutableBufferPointer { buffer -> [Int] in
            let target = UncheckedSendable(buffer)
            return Parallel.mapChunks(count: total) { range -> Int in
                var write = range.lowerBound
                for i in range where target.value[i].isFinite {
                    target.value[write] = target.value[i]
                    write += 1
                }
                return write - range.lowerBound
            }
        }
        var finite = 0
        values.withUnsafeMutableBufferPointer { buffer in
            for (range, kept) in zip(ranges, keptPerChunk) {
                if range.lowerBound != finite, kept > 0 {
                    (buffer.baseAddress! + finite).update(from: buffer.baseAddress! + range.lowerBound, count: kept)
                }
                finite += kept
            }
        }
        values.removeLast(total - finite)
        self.labels = [nil]
        self.finiteCounts = [finite]
        self.nonFiniteCounts = [total - finite]
        self.offsets = [0, finite]
        self.values = values
    }

    /// One region per distinct non-zero label in `labels` (same length as `values`).
    public init(values: [Float], labels: [Int32]) {
        precondition(values.count == labels.count, "values and labels must have the same length")
        self.init(values: values, regions: LabelRegions(labels))
    }

    /// One region per region of `regions` (built from a label image on the grid of `values`):
    /// its finite values, gathered in voxel order, regions in parallel.
    public init(values: [Float], regions: LabelRegions) {
        let regionCount = regions.labels.count
        var finiteCounts = [Int](repeating: 0, count: regionCount)
        values.withUnsafeBufferPointer { v in
            let base = UncheckedSendable(v)
            finiteCounts.withUnsafeMutableBufferPointer { counts in
                let out = UncheckedSendable(counts)
                DispatchQueue.concurrentPerform(iterations: regionCount) { r in
                    out.value[r] = regions.voxels(ofRegion: r).reduce(0) { $0 + (base.value[$1].isFinite ? 1 : 0) }
                }
            }
        }
        var offsets = [0]
        for f in finiteCounts { offsets.append(offsets.last! + f) }
        let total = offsets.last!, starts = offsets
        let grouped = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
            let out = UncheckedSendable(buffer)
            values.withUnsafeBufferPointer { v in
                let base = UncheckedSendable(v)
                DispatchQueue.concurrentPerform(iterations: regionCount) { r in
                    var next = starts[r]
                    for i in regions.voxels(ofRegion: r) where base.value[i].isFinite {
                        out.value[next] = base.value[i]
                        next += 1
                    }
                }
            }
            initialized = total
        }
        self.labels = regions.labels.map(Optional.some)
        self.finiteCounts = finiteCounts
        self.nonFiniteCounts = (0..<regionCount).map { regions.offsets[$0 + 1] - regions.offsets[$0] - finiteCounts[$0] }
        self.offsets = offsets
        self.values = grouped
    }
}

extension LabelPartition {
    /// Voxels per non-zero label.
    public static func counts(of labels: [Int32]) -> [Int32: Int] { LabelRegions(labels).counts }

    /// Per region, Σ wᵢ·vᵢ / Σ wᵢ over the voxels whose value is finite (a mass-weighted mean
    /// when w is the density): Float64 sums over the region's voxels only, no copies of the
    /// volume. Labels with no finite value are absent.
    public static func weightedMeans(_ values: [Float], weights: [Float], regions: LabelRegions) -> [Int32: Double] {
        precondition(values.count == weights.count)
        var result: [Int32: Double] = [:]
        for (r, label) in regions.labels.enumerated() {
            var weighted = 0.0, total = 0.0
            for i in regions.voxels(ofRegion: r) where values[i].isFinite {
                weighted += Double(weights[i]) * Double(values[i])
                total += Double(weights[i])
            }
            if total > 0 { result[label] = weighted / total }
        }
        return result
    }
}
