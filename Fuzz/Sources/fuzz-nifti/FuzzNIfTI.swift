// fuzz-nifti: the NIfTI reader (VoxelIO.NIfTIFile) on arbitrary bytes.
//
// The input is written to the scratch folder as `input.nii`, also as `input.nii.gz` when it
// starts with the gzip magic (1f 8b), and split into a `pair.hdr` + `pair.img` pair (the first
// 348 bytes, or 540 when sizeof_hdr says NIfTI-2, are the header; the rest is the image). Each
// is opened for its header alone (as `voxdose info` does) and in full; when that succeeds, the
// header's derived values are computed, frame 0 (and the last frame) are read with readFrame and
// readLabelFrame (exact integer labels), verifyData is called, and a small frame
// (at most 65,536 voxels) is written back with the header as the reference (NIfTIWriter, as the
// commands write their outputs) and read again. Any thrown error is a correct answer; a trap, a
// crash or a hang is a finding.
import FuzzSupport
import VoxelIO
import VoxelKernels

/// The header's derived values, as `voxdose info` prints them.
private func describe(_ header: NIfTIHeader) {
    _ = (header.frameCount, header.geometry, header.datatype, header.spacingMM, header.affineMM,
         header.affineSource, header.millimetresPerUnit, header.scaling.map { $0.slope + $0.intercept },
         header.description)
}

/// Opens `path` and reads what the reader offers; errors are expected.
private func exercise(_ path: String) {
    // The header alone, as `voxdose info` opens a file (no voxels may be read from it).
    if let headerOnly = try? NIfTIFile(headerOnly: path) { describe(headerOnly.header) }

    guard let file = try? NIfTIFile(path: path) else { return }
    let header = file.header
    describe(header)
    _ = (file.frameBytes, file.dataPath)
    var frames = [0]
    if header.frameCount > 1 { frames.append(header.frameCount - 1) }
    for frame in frames {
        if let volume = try? file.readFrame(frame) {
            // Touch the voxels so the whole frame is known to be there.
            var sum: Float = 0
            for v in volume.voxels { sum += v }
            _ = sum
        }
        if let labels = try? file.readLabelFrame(frame) {
            // Every code must translate to its label and back.
            var seen = Set<Int32>()
            for code in labels.codes where seen.count < 256 && seen.insert(code).inserted {
                _ = labels.code(ofLabel: labels.label(ofCode: code))
            }
        }
    }
    _ = try? file.readFrame(header.frameCount)  // out of range: must throw, not trap
    _ = try? file.verifyData()

    // A small frame written back with this header as the reference, as the commands write
    // their outputs, and read again.
    if let volume = try? file.readFrame(0), volume.voxels.count <= 1 << 16 {
        let out = Scratch.path("output.nii")
        if (try? NIfTIWriter.write(volume.voxels, to: out, reference: header, description: "fuzz")) != nil {
            _ = try? NIfTIFile(path: out).readFrame(0)
        }
        if let labels = try? file.readLabelFrame(0), labels.codesAreLabels,
           (try? NIfTIWriter.writeLabels(labels.codes, to: out, reference: header, description: "fuzz")) != nil {
            _ = try? NIfTIFile(path: out).readLabelFrame(0)
        }
        Scratch.remove(out)
    }
}

/// sizeof_hdr (the first 4 bytes, either byte order) says NIfTI-2.
private func isNIfTI2(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard bytes.count >= 4 else { return false }
    let v = bytes.loadUnaligned(as: UInt32.self)
    return v == 540 || v.byteSwapped == 540
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let single = Scratch.path("input.nii"), gz = Scratch.path("input.nii.gz")
    let hdr = Scratch.path("pair.hdr"), img = Scratch.path("pair.img")

    Scratch.write(bytes, to: single)
    exercise(single)
    Scratch.remove(single)

    if size >= 2 && data[0] == 0x1f && data[1] == 0x8b {
        Scratch.write(bytes, to: gz)
        exercise(gz)
        Scratch.remove(gz)
    }

    let split = min(size, isNIfTI2(bytes) ? 540 : 348)
    Scratch.write(UnsafeRawBufferPointer(rebasing: bytes[..<split]), to: hdr)
    Scratch.write(UnsafeRawBufferPointer(rebasing: bytes[split...]), to: img)
    exercise(hdr)
    Scratch.remove(hdr)
    Scratch.remove(img)
    return 0
}
