/// The voxels of every non-zero label of a label image, as voxel indices grouped by label:
/// one ``LabelForeground`` scan, a counting pass and a scatter pass over the labelled voxels
/// only (chunks in parallel, each writing its own slice of every region).
///
/// Build it once per label image and derive the rest from it: values per region
/// (``LabelPartition/init(values:regions:)``), voxel counts, weighted means, reference-region
/// statistics, lesion uptake. Within a region, indices ascend, so every result computed from
/// them is identical at any thread count.
public struct LabelRegions: Sendable {
    /// The labels present, ascending (label 0 is background and forms no region).
    public let labels: [Int32]
    /// Start of each region's indices in ``indices``; `offsets[r + 1]` is its end.
    public let offsets: [Int]
    /// Voxel indices, grouped by region, ascending within a region.
    public let indices: [Int]

    public init(_ labelImage: [Int32]) {
        let foreground = LabelForeground(labelImage)
        let slotCount = foreground.table.slotCount
        let perChunk = foreground.mapChunks { chunk -> [Int] in
            var counts = [Int](repeating: 0, count: slotCount)
            foreground.forEachVoxel(inChunk: chunk, labels: labelImage) { _, slot in counts[slot] += 1 }
            return counts
        }
        // Regions: slots with a voxel, in label order; chunk c of a region starts after chunks 0..<c.
        var labels: [Int32] = [], offsets = [0]
        var cursors = [[Int]](repeating: [Int](repeating: -1, count: slotCount), count: perChunk.count)
        for slot in 0..<slotCount {
            let total = perChunk.reduce(0) { $0 + $1[slot] }
            guard total > 0 else { continue }
            labels.append(foreground.table.label(ofSlot: slot))
            var next = offsets.last!
            for c in perChunk.indices {
                cursors[c][slot] = next
                next += perChunk[c][slot]
            }
            offsets.append(next)
        }
        let total = offsets.last!
        let indices = [Int](unsafeUninitializedCapacity: total) { buffer, initialized in
            let out = UncheckedSendable(buffer)
            _ = foreground.mapChunks { chunk in
                var cursor = cursors[chunk]
                foreground.forEachVoxel(inChunk: chunk, labels: labelImage) { i, slot in
                    out.value[cursor[slot]] = i
                    cursor[slot] += 1
                }
            }
            initialized = total
        }
        self.labels = labels
        self.offsets = offsets
        self.indices = indices
    }

    /// The voxel indices of region `r`.
    public func voxels(ofRegion r: Int) -> ArraySlice<Int> { indices[offsets[r]..<offsets[r + 1]] }

    /// The voxel indices of `label`; empty when the label is absent.
    public func voxels(ofLabel label: Int32) -> ArraySlice<Int> {
        var lo = 0, hi = labels.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if labels[mid] < label { lo = mid + 1 } else { hi = mid }
        }
        return lo < labels.count && labels[lo] == label ? voxels(ofRegion: lo) : indices[0..<0]
    }

    /// Voxels per label.
    public var counts: [Int32: Int] {
        Dictionary(uniqueKeysWithValues: labels.indices.map { (labels[$0], offsets[$0 + 1] - offsets[$0]) })
    }

    /// Every labelled voxel (all regions): the voxels of a mask's non-zero values.
    public var allVoxels: ArraySlice<Int> { indices[...] }
}

extension Reductions {
    /// Mean and population SD of the finite values at `voxels` (Float64, two passes over the
    /// region only) and how many of them were finite; nil mean and SD when none is.
    public static func meanAndSD(_ values: [Float], at voxels: ArraySlice<Int>) -> (mean: Double, sd: Double, finite: Int)? {
        var sum = 0.0, n = 0
        for i in voxels where values[i].isFinite {
            sum += Double(values[i])
            n += 1
        }
        guard n > 0 else { return nil }
        let mean = sum / Double(n)
        var squares = 0.0
        for i in voxels where values[i].isFinite {
            let d = Double(values[i]) - mean
            squares += d * d
        }
        return (mean, (squares / Double(n)).squareRoot(), n)
    }
}
