import CNIfTI
import Foundation
import Testing
import VoxelIO
import VoxelKernels

/// What VoxDose writes, read back by an independent reader: libnifti's own `nifti_image_read`
/// (zlib's gzread for .gz, so the multi-member ISA-L stream is checked too).
@Suite struct LibniftiReadbackTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test(arguments: ["nii", "nii.gz"])
    func libniftiReadsWhatWeWrite(ext: String) throws {
        let reference = try NIfTIFile(path: Self.root + "/Fixtures/nifti/sform_only.nii").header
        let d = reference.spatialDimensions
        // Large enough for several gzip members (one per core, ≥ 1 MiB each).
        var big = reference
        big.dim = [96, 80, 72]
        let count = 96 * 80 * 72
        let values = (0..<count).map { Float(($0 * 7919) % 10007) * 0.25 - 100 }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("libnifti-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.\(ext)").path
        try NIfTIWriter.write(values, to: path, reference: big, description: "libnifti readback")
        _ = d

        nifti_set_debug_level(0)
        let image = try #require(nifti_image_read(path, 1))
        defer { nifti_image_free(image) }
        #expect(image.pointee.nx == 96 && image.pointee.ny == 80 && image.pointee.nz == 72)
        #expect(image.pointee.datatype == Int32(NIFTI_TYPE_FLOAT32))
        let data = try #require(image.pointee.data).assumingMemoryBound(to: Float.self)
        #expect((0..<count).allSatisfy { data[$0] == values[$0] })
        // The reference's sform (libnifti's reading of both files).
        let ours = withUnsafeBytes(of: image.pointee.sto_xyz.m) { Array($0.bindMemory(to: Double.self)) }
        let expected = reference.sformAffineFileUnits.rowMajor.joined().map { $0 }
        #expect(zip(ours, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(image.pointee.sform_code == Int32(reference.sformCode))
    }
}
