/// A label image as the kernels use it: one Int32 code per voxel, and the exact label each
/// code stands for.
///
/// Labels are exact integers up to 2⁵³ in magnitude whatever the file's datatype (CONTRACT.md
/// hardening rules). When every label fits Int32 — almost always — the codes are the labels.
/// Otherwise the distinct labels are numbered in ascending order (negative labels get negative
/// codes, positive ones positive codes, 0 stays 0), so every kernel that orders or groups by
/// code orders and groups by label; ``label(ofCode:)`` translates back for output.
public struct LabelImage: Sendable, Equatable {
    /// The largest label magnitude that every datatype represents exactly (Float64's 2⁵³).
    public static let maximumMagnitude: Int64 = 1 << 53

    /// One code per voxel (0 = background).
    public var codes: [Int32]
    /// The label of each code, ascending, when the codes are not the labels themselves:
    /// negative labels first (codes −n…−1), then positive ones (codes 1…m). Nil when codes
    /// are labels.
    private var table: (negative: [Int64], positive: [Int64])?

    /// Codes that are the labels.
    public init(labels: [Int32]) {
        self.init(codes: labels, table: nil)
    }

    private init(codes: [Int32], table: (negative: [Int64], positive: [Int64])?) {
        self.codes = codes
        self.table = table
    }

    /// Exact labels (each within ±``maximumMagnitude``). One parallel pass when they all fit
    /// Int32; otherwise a sort of the distinct labels and a second pass.
    public init(exactLabels values: [Int64]) {
        let fits = Parallel.mapChunks(count: values.count) { range in
            values[range].allSatisfy { $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }
        }.allSatisfy { $0 }
        if fits {
            self.init(labels: values.map { Int32(truncatingIfNeeded: $0) })
            return
        }
        let distinct = Set(values).subtracting([0]).sorted()
        let negative = distinct.filter { $0 < 0 }, positive = distinct.filter { $0 > 0 }
        var code: [Int64: Int32] = [0: 0]
        for (i, label) in negative.enumerated() { code[label] = Int32(i - negative.count) }
        for (i, label) in positive.enumerated() { code[label] = Int32(i + 1) }
        self.init(codes: values.map { code[$0]! }, table: (negative, positive))
    }

    public static func == (a: LabelImage, b: LabelImage) -> Bool {
        a.codes == b.codes && a.table?.negative == b.table?.negative && a.table?.positive == b.table?.positive
    }

    /// Whether the codes are the labels themselves.
    public var codesAreLabels: Bool { table == nil }

    /// The label a code stands for.
    public func label(ofCode code: Int32) -> Int64 {
        guard let table, code != 0 else { return Int64(code) }
        return code < 0 ? table.negative[table.negative.count + Int(code)] : table.positive[Int(code) - 1]
    }

    /// The code of `label`, or nil when the image does not hold it (and it cannot be a code).
    public func code(ofLabel label: Int64) -> Int32? {
        guard let table else {
            return label >= Int64(Int32.min) && label <= Int64(Int32.max) ? Int32(label) : nil
        }
        if label == 0 { return 0 }
        let list = label < 0 ? table.negative : table.positive
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid] < label { lo = mid + 1 } else { hi = mid }
        }
        guard lo < list.count, list[lo] == label else { return nil }
        return label < 0 ? Int32(lo - list.count) : Int32(lo + 1)
    }

    /// The same coding over other codes (the codes resampled onto another grid, say).
    public func withCodes(_ newCodes: [Int32]) -> LabelImage {
        var copy = self
        copy.codes = newCodes
        return copy
    }
}

extension LabelImage {
    /// Per-code values (a ``LabelRegions``' counts, say) keyed by the labels the codes stand for.
    public func byLabel<Value>(_ byCode: [Int32: Value]) -> [Int64: Value] {
        Dictionary(uniqueKeysWithValues: byCode.map { (label(ofCode: $0.key), $0.value) })
    }

    /// The voxels of `label` in `regions` (built from these codes); empty when the image does not hold it.
    public func voxels(ofLabel label: Int64, in regions: LabelRegions) -> ArraySlice<Int> {
        code(ofLabel: label).map { regions.voxels(ofLabel: $0) } ?? regions.indices[0..<0]
    }
}
