private import CNIfTI
import VoxelKernels

/// The one seam to the system libnifti2 (Debian libnifti-dev). Every libnifti call VoxDose
/// makes is in this file; no C type leaves it.
///
/// libnifti is used where it is the authority and cannot be hurt by a hostile file: turning a
/// validated header into libnifti's image description (`nifti_convert_n1hdr2nim` /
/// `nifti_convert_n2hdr2nim`: byte swapping, quaternion → matrix) and back into a header
/// (`nifti_convert_nim2n1hdr` / `nifti_convert_nim2n2hdr`). It is never handed a file name, so
/// it never opens `x.nii` when asked for `x.nii.gz`, and never allocates voxel memory.
enum LibNIfTI {
    /// libnifti prints diagnostics to stderr at debug level > 0; we report errors ourselves.
    private static let quiet: Void = nifti_set_debug_level(0)

    /// Owns one `nifti_image`; `deinit` frees it with `nifti_image_free`.
    private final class Image {
        let pointer: UnsafeMutablePointer<nifti_image>

        /// `nifti_convert_n1hdr2nim` / `nifti_convert_n2hdr2nim` on raw header bytes.
        init?(headerBytes: [UInt8]) {
            _ = LibNIfTI.quiet
            let converted: UnsafeMutablePointer<nifti_image>?
            switch headerBytes.count {
            case 348:
                let header = headerBytes.withUnsafeBytes { $0.loadUnaligned(as: nifti_1_header.self) }
                converted = nifti_convert_n1hdr2nim(header, nil)
            case 540:
                let header = headerBytes.withUnsafeBytes { $0.loadUnaligned(as: nifti_2_header.self) }
                converted = nifti_convert_n2hdr2nim(header, nil)
            default:
                converted = nil
            }
            guard let converted else { return nil }
            pointer = converted
        }

        deinit { nifti_image_free(pointer) }
    }

    /// Fills the header's qform and sform matrices (file units) from libnifti's interpretation.
    /// - Throws: when libnifti refuses a header that passed VoxDose's own validation.
    static func interpret(_ header: inout NIfTIHeader, path: String) throws {
        guard let image = Image(headerBytes: header.rawBytes) else {
            throw VoxelIOError(path, "libnifti rejected the header")
        }
        let nim = image.pointer.pointee
        guard Int(nim.nbyper) == header.datatype.bytesPerVoxel, Int(nim.datatype) == header.datatype.rawValue else {
            throw VoxelIOError(path, "libnifti reads datatype \(nim.datatype), VoxDose read \(header.datatype.rawValue)")
        }
        header.qformAffineFileUnits = affine(nim.qto_xyz)
        header.sformAffineFileUnits = affine(nim.sto_xyz)
    }

    /// A header for a 3-D volume written in place of `reference`: the same orientation fields
    /// (qform, sform, pixdim, units), with new dimensions, datatype, description and intent,
    /// no scaling, in this machine's byte order, for a single `.nii` file with data at
    /// `vox_offset` (returned). NIfTI-1 unless a dimension exceeds its int16 limit.
    static func singleFileHeader(reference: NIfTIHeader, dimensions: SIMD3<Int>, datatype: NIfTIDatatype,
                                 description: String, intentIsLabel: Bool, kind: MapKind? = nil,
                                 calibrationMax: Float = 0) -> (bytes: [UInt8], voxOffset: Int)? {
        // Let libnifti read the reference header in its own byte order, then edit its image.
        guard let image = Image(headerBytes: reference.rawBytes) else { return nil }
        let nim = image.pointer
        let needsNIfTI2 = dimensions.x > 32767 || dimensions.y > 32767 || dimensions.z > 32767
        nim.pointee.ndim = 3
        nim.pointee.nx = Int64(dimensions.x); nim.pointee.ny = Int64(dimensions.y); nim.pointee.nz = Int64(dimensions.z)
        nim.pointee.nt = 1; nim.pointee.nu = 1; nim.pointee.nv = 1; nim.pointee.nw = 1
        withUnsafeMutableBytes(of: &nim.pointee.dim) { raw in
            let d = raw.bindMemory(to: Int64.self)
            d[0] = 3; d[1] = Int64(dimensions.x); d[2] = Int64(dimensions.y); d[3] = Int64(dimensions.z)
            for i in 4..<8 { d[i] = 1 }
        }
        nim.pointee.nvox = Int64(dimensions.x * dimensions.y * dimensions.z)
        nim.pointee.datatype = Int32(datatype.rawValue)
        nifti_datatype_sizes(Int32(datatype.rawValue), &nim.pointee.nbyper, &nim.pointee.swapsize)
        nim.pointee.scl_slope = 1
        nim.pointee.scl_inter = 0
        nim.pointee.cal_min = 0
        nim.pointee.cal_max = kind == nil ? 0 : Double(calibrationMax)
        nim.pointee.intent_code = intentIsLabel ? Int32(NIFTI_INTENT_LABEL) : Int32(NIFTI_INTENT_NONE)
        nim.pointee.intent_p1 = 0; nim.pointee.intent_p2 = 0; nim.pointee.intent_p3 = 0
        withUnsafeMutableBytes(of: &nim.pointee.intent_name) { raw in
            _ = raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, byte) in (kind?.rawValue ?? "").utf8.prefix(15).enumerated() { raw[i] = byte }
        }
        withUnsafeMutableBytes(of: &nim.pointee.descrip) { raw in
            _ = raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, byte) in description.utf8.prefix(79).enumerated() { raw[i] = byte }
        }
        nim.pointee.num_ext = 0
        nim.pointee.byteorder = nifti_short_order()
        // Fields a hostile or NIfTI-2 reference can hold but a NIfTI-1 header cannot (libnifti
        // refuses them with a message on stderr): transform codes outside the defined 0…5 keep
        // their transform as "scanner" (1); slice timing means nothing for a derived map.
        for code in [\nifti_image.qform_code, \nifti_image.sform_code] where !(0...5).contains(nim.pointee[keyPath: code]) {
            nim.pointee[keyPath: code] = nim.pointee[keyPath: code] > 0 ? 1 : 0
        }
        nim.pointee.slice_code = 0; nim.pointee.slice_start = 0; nim.pointee.slice_end = 0
        nim.pointee.slice_duration = 0
        nim.pointee.freq_dim = 0; nim.pointee.phase_dim = 0; nim.pointee.slice_dim = 0
        if needsNIfTI2 {
            nim.pointee.nifti_type = Int32(NIFTI_FTYPE_NIFTI2_1)
            nim.pointee.iname_offset = 544
            var header = nifti_2_header()
            guard nifti_convert_nim2n2hdr(nim, &header) == 0 else { return nil }
            var bytes = withUnsafeBytes(of: header) { Array($0) }
            // libnifti 3.0.1 writes "n+2" with bytes 4–7 zero; the standard magic ends \r\n\032\n.
            bytes.replaceSubrange(4..<12, with: Array("n+2\0\r\n\u{1A}\n".utf8))
            return (bytes, 544)
        }
        nim.pointee.nifti_type = Int32(NIFTI_FTYPE_NIFTI1_1)
        nim.pointee.iname_offset = 352
        var header = nifti_1_header()
        guard nifti_convert_nim2n1hdr(nim, &header) == 0 else { return nil }
        return (withUnsafeBytes(of: header) { Array($0) }, 352)
    }

    private static func affine(_ m: nifti_dmat44) -> AffineTransform {
        withUnsafeBytes(of: m.m) { raw in
            let v = raw.bindMemory(to: Double.self)
            return AffineTransform(rows: (SIMD4(v[0], v[1], v[2], v[3]), SIMD4(v[4], v[5], v[6], v[7]),
                                          SIMD4(v[8], v[9], v[10], v[11])))
        }
    }
}
