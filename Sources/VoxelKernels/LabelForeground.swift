/// The labelled (non-zero) voxels of a label image, found in one pass that tests 32 labels at
/// a time and skips all-background blocks, kept per chunk as offsets from the chunk's start,
/// with the ``LabelTable`` of the labels found.
///
/// Label images are mostly background (a few lesions in a whole-body field of view), so every
/// later pass of a per-label computation visits the F labelled voxels only: O(N) once at
/// memory speed, then O(F).
struct LabelForeground: Sendable {
    /// The chunks of the voxel range, as ``Parallel/chunks(count:minimumChunk:maximumChunks:)`` makes them.
    let chunkRanges: [Range<Int>]
    /// Per chunk, the labelled voxels as offsets from the chunk's start, ascending.
    let offsets: [[UInt32]]
    /// Slots for the non-zero labels present.
    let table: LabelTable

    init(_ labels: [Int32]) {
        // Offsets are UInt32: no chunk may hold more than 2³¹ voxels.
        let pieces = max(Parallel.threadCount, labels.count >> 31 + 1)
        let ranges = Parallel.chunks(count: labels.count, maximumChunks: pieces)
        let scans = labels.withUnsafeBufferPointer { l in
            let base = UncheckedSendable(l.baseAddress)
            return Parallel.mapChunks(count: labels.count, maximumChunks: pieces) { range in Self.scan(base.value!, range) }
        }
        chunkRanges = ranges
        offsets = scans.map(\.offsets)
        let lo = scans.map(\.minimum).min() ?? 0, hi = scans.map(\.maximum).max() ?? 0
        let found = scans.contains { !$0.offsets.isEmpty }
        let chunkOffsets = offsets
        table = LabelTable(nonZeroRange: found ? lo...hi : nil) {
            var distinct = Set<Int32>()
            for (c, range) in ranges.enumerated() {
                for o in chunkOffsets[c] { distinct.insert(labels[range.lowerBound + Int(o)]) }
            }
            return distinct.sorted()
        }
    }

    /// Calls `body(voxelIndex, slot)` for each labelled voxel of chunk `chunk`, in voxel order.
    @inline(__always)
    func forEachVoxel(inChunk chunk: Int, labels: [Int32], _ body: (Int, Int) -> Void) {
        let start = chunkRanges[chunk].lowerBound
        labels.withUnsafeBufferPointer { l in
            for o in offsets[chunk] {
                let i = start + Int(o)
                body(i, table.slot(ofNonZero: l[i]))
            }
        }
    }

    /// Runs `body(chunk)` for every chunk concurrently; results in chunk order.
    func mapChunks<Partial>(_ body: (Int) -> Partial) -> [Partial] {
        var results = [Partial?](repeating: nil, count: chunkRanges.count)
        results.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            withoutActuallyEscaping(body) { escapable in
                let box = UncheckedSendable(escapable)
                Parallel.forEachChunk(count: chunkRanges.count, minimumChunk: 1, maximumChunks: chunkRanges.count) { _, range in
                    for chunk in range { output.value[chunk] = box.value(chunk) }
                }
            }
        }
        return results.map { $0! }
    }

    /// The non-zero labels of `range`: offsets from its start, and their smallest and largest value.
    private static func scan(_ labels: UnsafePointer<Int32>, _ range: Range<Int>) -> (offsets: [UInt32], minimum: Int32, maximum: Int32) {
        var offsets: [UInt32] = []
        var lo = Int32.max, hi = Int32.min
        let start = range.lowerBound, end = range.upperBound
        @inline(__always) func visit(_ i: Int) {
            let label = labels[i]
            guard label != 0 else { return }
            offsets.append(UInt32(i - start))
            lo = min(lo, label); hi = max(hi, label)
        }
        var i = start
        let raw = UnsafeRawPointer(labels)
        while i + 32 <= end {
            let a = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Int32>.self)
            let b = raw.loadUnaligned(fromByteOffset: 4 * i + 64, as: SIMD16<Int32>.self)
            if (a | b) != SIMD16<Int32>() {
                for j in i..<(i + 32) { visit(j) }
            }
            i += 32
        }
        while i < end { visit(i); i += 1 }
        return (offsets, lo, hi)
    }
}

/// Maps non-zero label values to dense slots in ascending label order.
struct LabelTable: Sendable {
    private let minimum: Int32
    private let dense: [Int32]?      // slot + 1 per (label − minimum), 0 for label 0
    private let sparse: [Int32]      // distinct non-zero labels, ascending (sparse mode)
    let slotCount: Int

    /// `range`: the smallest and largest non-zero label (nil when there is none);
    /// `distinctLabels`: the distinct non-zero labels, ascending, asked for only when the
    /// range is wider than ``LabelPartition/denseLabelRangeLimit``.
    init(nonZeroRange range: ClosedRange<Int32>?, distinctLabels: () -> [Int32]) {
        guard let range else {
            minimum = 0; dense = []; sparse = []; slotCount = 0
            return
        }
        minimum = range.lowerBound
        let width = Int(range.upperBound) - Int(range.lowerBound) + 1
        if width <= LabelPartition.denseLabelRangeLimit {
            // Every label value in the range gets a slot (absent ones are dropped later).
            var table = [Int32](repeating: 0, count: width)
            var next: Int32 = 0
            for offset in 0..<width where Int(minimum) + offset != 0 {
                next += 1
                table[offset] = next
            }
            dense = table; sparse = []; slotCount = Int(next)
        } else {
            sparse = distinctLabels()
            dense = nil; slotCount = sparse.count
        }
    }

    /// The slot of a label that is non-zero and present in the image.
    @inline(__always)
    func slot(ofNonZero label: Int32) -> Int {
        if let dense { return Int(dense[Int(label) - Int(minimum)]) - 1 }
        var lo = 0, hi = sparse.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sparse[mid] < label { lo = mid + 1 } else { hi = mid }
        }
        return lo
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
