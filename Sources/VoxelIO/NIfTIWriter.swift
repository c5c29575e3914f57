import VoxelKernels

/// Writes 3-D volumes as single-file NIfTI (`.nii`, or `.nii.gz` when the name ends in `.gz`),
/// atomically: a temporary file in the target folder, renamed when complete.
///
/// The header is the reference image's (read from disk), edited by libnifti: the same qform,
/// sform, pixdim and units, the volume's dimensions and datatype, no scaling. Data are written
/// in this machine's byte order. `.nii.gz` files are standard multi-member gzip (one member per
/// core, ISA-L igzip level 1), which nibabel, libnifti and gzip read as one stream.
public enum NIfTIWriter {
    /// Writes Float32 voxels.
    /// - Parameters:
    ///   - voxels: in NIfTI order, `reference.spatialDimensions` of them.
    ///   - reference: the header whose orientation the output keeps.
    ///   - description: the header's `descrip` (79 bytes at most are kept).
    ///   - kind: what the map holds, written to `intent_name`, with `cal_min` 0 and `cal_max`
    ///     the largest finite value (nil: no kind, no display range).
    ///   - maximum: that largest finite value when the caller already has it (it is computed
    ///     otherwise: one more pass over the volume).
    ///   - outputs: the command's output set to stage the file in (committed with the others);
    ///     nil writes it on its own, atomically.
    public static func write(_ voxels: [Float], to path: String, reference: NIfTIHeader, description: String,
                             kind: MapKind? = nil, maximum: Float? = nil, in outputs: OutputFiles? = nil) throws {
        let largest = kind == nil ? 0 : maximum ?? Reductions.finiteSummary(voxels).max
        try voxels.withUnsafeBytes { data in
            try write(data, datatype: .float32, count: voxels.count, to: path, reference: reference,
                      description: description, intentIsLabel: false, kind: kind, calibrationMax: largest.isFinite ? largest : 0, in: outputs)
        }
    }

    /// Writes integer labels as int16 when every label fits, else int32, with the NIfTI
    /// label intent.
    public static func writeLabels(_ labels: [Int32], to path: String, reference: NIfTIHeader, description: String) throws {
        let fitsInt16 = labels.allSatisfy { $0 >= Int32(Int16.min) && $0 <= Int32(Int16.max) }
        if fitsInt16 {
            let narrow = labels.map { Int16($0) }
            try narrow.withUnsafeBytes { data in
                try write(data, datatype: .int16, count: labels.count, to: path, reference: reference,
                          description: description, intentIsLabel: true)
            }
        } else {
            try labels.withUnsafeBytes { data in
                try write(data, datatype: .int32, count: labels.count, to: path, reference: reference,
                          description: description, intentIsLabel: true)
            }
        }
    }

    private static func write(_ data: UnsafeRawBufferPointer, datatype: NIfTIDatatype, count: Int, to path: String,
                              reference: NIfTIHeader, description: String, intentIsLabel: Bool,
                              kind: MapKind? = nil, calibrationMax: Float = 0, in outputs: OutputFiles? = nil) throws {
        let dims = reference.spatialDimensions
        guard count == dims.x * dims.y * dims.z else {
            throw VoxelIOError(path, "internal: \(count) voxels do not fill the reference grid \(dims)")
        }
        guard let (headerBytes, voxOffset) = LibNIfTI.singleFileHeader(
            reference: reference, dimensions: dims, datatype: datatype,
            description: description, intentIsLabel: intentIsLabel, kind: kind, calibrationMax: calibrationMax) else {
            throw VoxelIOError(path, "libnifti could not build a header for this volume")
        }
        let prefix = headerBytes + [UInt8](repeating: 0, count: voxOffset - headerBytes.count)
        func put(_ pieces: [UnsafeRawBufferPointer]) throws {
            if let outputs { try outputs.stage(path, pieces: pieces) } else { try FileSystem.writeAtomically(path, pieces: pieces) }
        }
        try prefix.withUnsafeBytes { head in
            if path.lowercased().hasSuffix(".gz") {
                let members = Gzip.compress([head, data])
                try withBuffers(members) { try put($0) }
            } else {
                try put([head, data])
            }
        }
    }

    private static func withBuffers(_ arrays: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) throws -> Void) throws {
        func nest(_ index: Int, _ collected: [UnsafeRawBufferPointer]) throws {
            guard index < arrays.count else { return try body(collected) }
            try arrays[index].withUnsafeBytes { try nest(index + 1, collected + [$0]) }
        }
        try nest(0, [])
    }
}
