import VoxelKernels

/// A NIfTI-1 or NIfTI-2 header, parsed and validated before any voxel memory is allocated or
/// any byte reaches libnifti.
///
/// Validation follows the standard (nifti1.h, nifti2.h) and nibabel's checks: the NIfTI magic
/// (an Analyze 7.5 header without it is refused), dim[0] in 1…7 and every used dim ≥ 1, a known,
/// supported datatype, finite positive spacing, a `vox_offset` past the header, and finite
/// scaling and orientation where they are used. Sizes are checked against the file and a cap
/// by ``NIfTIFile``, which knows the file.
public struct NIfTIHeader: Sendable {
    public enum Format: String, Sendable {
        case nifti1, nifti2
        /// `sizeof_hdr`: 348 or 540 bytes.
        public var headerSize: Int { self == .nifti1 ? 348 : 540 }
    }
    public enum ByteOrder: String, Sendable { case little, big }
    /// Where the voxel → world affine comes from (NIfTI methods 3, 2 and 1).
    public enum AffineSource: String, Sendable { case sform, qform, pixdim }

    public var format: Format
    public var byteOrder: ByteOrder
    /// `dim[1...dim[0]]`.
    public var dim: [Int]
    public var datatype: NIfTIDatatype
    /// `pixdim[0...7]` as stored (file units).
    public var pixdim: [Double]
    /// Byte offset of the voxel data in the data file.
    public var voxOffset: Int
    public var sclSlope: Double
    public var sclInter: Double
    public var qformCode: Int
    public var sformCode: Int
    public var xyztUnits: Int
    public var description: String
    /// `intent_name` as stored (16 bytes at most).
    public var intentName: String = ""
    /// Magic "n+1"/"n+2": header and data in one file; "ni1"/"ni2": a .hdr/.img pair.
    public var isSingleFile: Bool
    /// The raw header bytes (348 or 540), in the file's byte order.
    public var rawBytes: [UInt8]

    /// Set by the libnifti interpretation (``LibNIfTI``): qform and sform in the file's units.
    public internal(set) var qformAffineFileUnits: AffineTransform = .identity
    public internal(set) var sformAffineFileUnits: AffineTransform = .identity

    /// Millimetres per spatial unit of the file (`xyzt_units & 7`: metre 1000, mm 1,
    /// micron 0.001; unknown is read as mm, as every common reader does).
    public var millimetresPerUnit: Double {
        switch xyztUnits & 0x07 {
        case 1: return 1000
        case 3: return 0.001
        default: return 1
        }
    }

    /// Linear scaling applied to stored values, or nil. As nibabel's `get_slope_inter`: a slope
    /// of 0 or a non-finite slope means no scaling (validation refuses a valid slope with a
    /// non-finite intercept).
    public var scaling: (slope: Double, intercept: Double)? {
        guard sclSlope != 0, sclSlope.isFinite else { return nil }
        return (sclSlope, sclInter)
    }

    /// Number of 3-D frames: the product of dim[4…], 1 for 3-D (and 2-D/1-D) images.
    public var frameCount: Int { dim.count > 3 ? dim[3...].reduce(1, *) : 1 }

    /// The kind of map VoxDose wrote into `intent_name`, or nil (another tool's image).
    public var mapKind: MapKind? { MapKind(rawValue: intentName) }

    /// Voxels of one 3-D frame.
    public var voxelsPerFrame: Int { spatialDimensions.x * spatialDimensions.y * spatialDimensions.z }

    /// The spatial grid size; missing dimensions are 1.
    public var spatialDimensions: SIMD3<Int> {
        SIMD3(dim.count > 0 ? dim[0] : 1, dim.count > 1 ? dim[1] : 1, dim.count > 2 ? dim[2] : 1)
    }

    /// Voxel size in mm; a spacing along a dimension the image does not have defaults to 1 mm
    /// when the header leaves it zero.
    public var spacingMM: SIMD3<Double> {
        var s = SIMD3<Double>(1, 1, 1)
        for axis in 0..<3 {
            let p = pixdim[axis + 1]
            if p.isFinite && p > 0 { s[axis] = p * millimetresPerUnit }
        }
        return s
    }

    /// sform if sform_code > 0, else qform if qform_code > 0, else pixdim (ARCHITECTURE.md).
    public var affineSource: AffineSource {
        sformCode > 0 ? .sform : (qformCode > 0 ? .qform : .pixdim)
    }

    /// Voxel index → world, in millimetres.
    public var affineMM: AffineTransform {
        let u = millimetresPerUnit
        func scaled(_ a: AffineTransform) -> AffineTransform {
            AffineTransform(rows: (a.rows.0 * u, a.rows.1 * u, a.rows.2 * u))
        }
        switch affineSource {
        case .sform: return scaled(sformAffineFileUnits)
        case .qform: return scaled(qformAffineFileUnits)
        case .pixdim: return .scaling(spacingMM)
        }
    }

    /// The 3-D grid of one frame. Its spacing is the affine's voxel edge lengths (for sform and
    /// qform; pixdim otherwise), so volumes, kernels, spheres and positions all follow the
    /// geometry the standard says is in force; see ``pixdimMismatch``.
    public var geometry: GridGeometry {
        let affine = affineMM
        var spacing = spacingMM
        if affineSource != .pixdim {
            let edges = GridGeometry.edgeLengthsMM(of: affine)
            for axis in 0..<3 where edges[axis].isFinite && edges[axis] > 0 { spacing[axis] = edges[axis] }
        }
        return GridGeometry(dimensions: spatialDimensions, spacingMM: spacing, affine: affine)
    }

    /// When pixdim disagrees with the affine in use (a voxel edge differing by more than 0.1 %,
    /// or the voxel volume |det| by more than 0.1 %): the spacing pixdim gives and the one the
    /// affine gives, both in mm. Nil when they agree, or when pixdim is the geometry.
    public var pixdimMismatch: (pixdimMM: SIMD3<Double>, affineMM: SIMD3<Double>)? {
        guard affineSource != .pixdim else { return nil }
        let fromPixdim = spacingMM, grid = geometry
        let pixdimVolume = fromPixdim.x * fromPixdim.y * fromPixdim.z / 1000
        func differs(_ a: Double, _ b: Double) -> Bool { abs(a - b) > 1e-3 * max(abs(a), abs(b)) }
        let edgesDiffer = (0..<3).contains { differs(fromPixdim[$0], grid.spacingMM[$0]) }
        return edgesDiffer || differs(pixdimVolume, grid.voxelVolumeML) ? (fromPixdim, grid.spacingMM) : nil
    }
}

// MARK: - Parsing

extension NIfTIHeader {
    /// Parses and validates the first bytes of a NIfTI file (at least 348; 540 for NIfTI-2).
    /// - Throws: ``VoxelIOError`` naming `path` and the first problem found.
    static func parse(_ bytes: [UInt8], path: String) throws -> NIfTIHeader {
        func fail(_ reason: String) -> VoxelIOError { VoxelIOError(path, reason) }
        guard bytes.count >= 4 else {
            throw fail(bytes.isEmpty ? "file is empty, not NIfTI" : "file is too short (\(bytes.count) bytes) to be NIfTI")
        }
        let little = RawFields(bytes: bytes, bigEndian: false)
        let big = RawFields(bytes: bytes, bigEndian: true)
        let fields: RawFields, format: Format
        switch (little.int32(0), big.int32(0)) {
        case (348, _): (fields, format) = (little, .nifti1)
        case (_, 348): (fields, format) = (big, .nifti1)
        case (540, _): (fields, format) = (little, .nifti2)
        case (_, 540): (fields, format) = (big, .nifti2)
        default:
            throw fail("not NIfTI: sizeof_hdr is \(little.int32(0)), expected 348 (NIfTI-1) or 540 (NIfTI-2)")
        }
        let size = format.headerSize
        guard bytes.count >= size else {
            throw fail("truncated header: \(bytes.count) bytes, a \(format == .nifti1 ? "NIfTI-1" : "NIfTI-2") header needs \(size)")
        }
        let layout = format == .nifti1 ? FieldLayout.nifti1 : FieldLayout.nifti2
        let magic = Array(bytes[layout.magic..<(layout.magic + (format == .nifti1 ? 4 : 8))])
        let isSingleFile: Bool
        switch (format, magic) {
        case (.nifti1, Array("n+1\0".utf8)): isSingleFile = true
        case (.nifti1, Array("ni1\0".utf8)): isSingleFile = false
        case (.nifti2, Array("n+2\0\r\n\u{1A}\n".utf8)): isSingleFile = true
        case (.nifti2, Array("ni2\0\r\n\u{1A}\n".utf8)): isSingleFile = false
        case (.nifti1, _):
            throw fail("not NIfTI: no NIfTI magic (an Analyze 7.5 header, or a corrupt one); VoxDose reads NIfTI-1 and NIfTI-2 only")
        case (.nifti2, _):
            throw fail("not NIfTI: a 540-byte header without the NIfTI-2 magic")
        }

        let rank = fields.integer(layout.dim, format: format, index: 0)
        guard (1...7).contains(rank) else { throw fail("invalid dim[0] = \(rank): must be 1…7") }
        var dims: [Int] = []
        for axis in 1...rank {
            let n = fields.integer(layout.dim, format: format, index: axis)
            guard n >= 1 else { throw fail("invalid dim[\(axis)] = \(n): every used dimension must be ≥ 1") }
            dims.append(n)
        }
        // The voxel count must be a number: a header is refused for it even when only the
        // header is read (`info`), so frame and voxel counts never overflow downstream.
        var voxels = 1
        for (axis, n) in dims.enumerated() {
            let (product, overflow) = voxels.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail("too large: dimensions \(dims) overflow a 64-bit voxel count at dim[\(axis + 1)]") }
            voxels = product
        }

        let code = Int(fields.int16(layout.datatype))
        guard let datatype = NIfTIDatatype(rawValue: code) else { throw fail("unknown datatype code \(code)") }
        guard datatype.isSupported else {
            throw fail("unsupported datatype \(datatype.name) (code \(code)): VoxDose reads real scalar voxels only")
        }

        let pixdim = (0..<8).map { fields.real(layout.pixdim, format: format, index: $0) }
        for axis in 1...min(rank, 3) {
            let p = pixdim[axis]
            guard p.isFinite, p > 0 else {
                throw fail("invalid pixdim[\(axis)] = \(p): voxel spacing must be finite and positive")
            }
        }

        let offsetValue: Double = format == .nifti1 ? Double(fields.float32(layout.voxOffset))
                                                    : Double(fields.int64(layout.voxOffset))
        guard offsetValue.isFinite, offsetValue >= 0, offsetValue == offsetValue.rounded(), offsetValue < 0x1p62 else {
            throw fail("invalid vox_offset \(offsetValue): must be a non-negative whole number of bytes")
        }
        let voxOffset = Int(offsetValue)
        if isSingleFile && voxOffset < size {
            throw fail("invalid vox_offset \(voxOffset): the voxel data would overlap the \(size)-byte header")
        }

        let slope = fields.real(layout.sclSlope, format: format)
        let inter = fields.real(layout.sclInter, format: format)
        if slope != 0 && slope.isFinite && !inter.isFinite {
            throw fail("scl_slope is \(slope) but scl_inter is \(inter): a valid slope needs a finite intercept")
        }

        let descriptionBytes = bytes[layout.descrip..<(layout.descrip + 80)].prefix { $0 != 0 }
        let description = String(decoding: descriptionBytes, as: UTF8.self)
        var header = NIfTIHeader(
            format: format, byteOrder: fields.bigEndian ? .big : .little, dim: dims, datatype: datatype,
            pixdim: pixdim, voxOffset: voxOffset, sclSlope: slope, sclInter: inter,
            qformCode: fields.integerCode(layout.qformCode, format: format),
            sformCode: fields.integerCode(layout.sformCode, format: format),
            xyztUnits: format == .nifti1 ? Int(bytes[layout.xyztUnits]) : Int(fields.int32(layout.xyztUnits)),
            description: description, isSingleFile: isSingleFile, rawBytes: Array(bytes[0..<size]))
        header.intentName = String(decoding: bytes[layout.intentName..<(layout.intentName + 16)].prefix { $0 != 0 }, as: UTF8.self)

        // Orientation: the source that will be used must be finite.
        switch header.affineSource {
        case .sform:
            let s = (0..<12).map { fields.real(layout.srowX, format: format, index: $0) }
            guard s.allSatisfy(\.isFinite) else { throw fail("sform_code is \(header.sformCode) but srow_x/y/z hold non-finite values") }
        case .qform:
            let q = (0..<6).map { fields.real(layout.quaternB, format: format, index: $0) }
            guard q.allSatisfy(\.isFinite) else {
                throw fail("qform_code is \(header.qformCode) but the quaternion or offsets hold non-finite values")
            }
            let b = q[0], c = q[1], d = q[2]
            guard b * b + c * c + d * d <= 1 + 1e-6 else {
                throw fail("qform quaternion (b, c, d) = (\(b), \(c), \(d)) has norm above 1")
            }
        case .pixdim:
            break
        }
        try LibNIfTI.interpret(&header, path: path)
        guard header.affineMM.isFinite else { throw fail("the \(header.affineSource.rawValue) affine is not finite") }
        return header
    }
}

/// Byte offsets of the header fields (nifti1.h, nifti2.h).
struct FieldLayout {
    var dim, datatype, pixdim, voxOffset, sclSlope, sclInter, xyztUnits, descrip: Int
    var qformCode, sformCode, quaternB, srowX, magic, intentName: Int

    static let nifti1 = FieldLayout(dim: 40, datatype: 70, pixdim: 76, voxOffset: 108, sclSlope: 112,
                                    sclInter: 116, xyztUnits: 123, descrip: 148, qformCode: 252,
                                    sformCode: 254, quaternB: 256, srowX: 280, magic: 344, intentName: 328)
    static let nifti2 = FieldLayout(dim: 16, datatype: 12, pixdim: 104, voxOffset: 168, sclSlope: 176,
                                    sclInter: 184, xyztUnits: 500, descrip: 240, qformCode: 344,
                                    sformCode: 348, quaternB: 352, srowX: 400, magic: 4, intentName: 508)
}

/// Reads fixed-width fields from raw header bytes in a given byte order.
struct RawFields {
    let bytes: [UInt8]
    let bigEndian: Bool

    private func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size {
            let byte = T(truncatingIfNeeded: bytes[offset + (bigEndian ? i : MemoryLayout<T>.size - 1 - i)])
            value = (value << 8) | byte
        }
        return value
    }

    func int16(_ offset: Int) -> Int16 { load(offset, as: Int16.self) }
    func int32(_ offset: Int) -> Int32 { load(offset, as: Int32.self) }
    func int64(_ offset: Int) -> Int64 { load(offset, as: Int64.self) }
    func float32(_ offset: Int) -> Float { Float(bitPattern: load(offset, as: UInt32.self)) }
    func float64(_ offset: Int) -> Double { Double(bitPattern: load(offset, as: UInt64.self)) }

    /// int16 (NIfTI-1) or int64 (NIfTI-2) array element.
    func integer(_ offset: Int, format: NIfTIHeader.Format, index: Int = 0) -> Int {
        format == .nifti1 ? Int(int16(offset + 2 * index)) : Int(clamping: int64(offset + 8 * index))
    }

    /// int16 (NIfTI-1) or int32 (NIfTI-2) code.
    func integerCode(_ offset: Int, format: NIfTIHeader.Format) -> Int {
        format == .nifti1 ? Int(int16(offset)) : Int(int32(offset))
    }

    /// float32 (NIfTI-1) or float64 (NIfTI-2) array element.
    func real(_ offset: Int, format: NIfTIHeader.Format, index: Int = 0) -> Double {
        format == .nifti1 ? Double(float32(offset + 4 * index)) : float64(offset + 8 * index)
    }
}
