import Foundation
import Testing
import VoxelIO
import VoxelKernels
#if canImport(Glibc)
import Glibc
#endif

typealias AffineTransform = VoxelKernels.AffineTransform

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

func fixture(_ name: String) -> String { packageRoot.appendingPathComponent("Fixtures/nifti/\(name)").path }

/// A fresh folder under the system temporary directory; removed by `cleanup`.
func makeTemporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxdose-unit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

func cleanup(_ folder: String) { try? FileManager.default.removeItem(atPath: folder) }

func listing(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
}

func maxDifference(_ a: AffineTransform, _ b: AffineTransform) -> Double {
    zip(a.rowMajor.joined(), b.rowMajor.joined()).map { abs($0 - $1) }.max()!
}

/// Values covering the awkward cases: NaN (several bit patterns), ±∞, negatives, −0,
/// subnormals, extremes, then a ramp.
func awkwardValues(_ count: Int) -> [Float] {
    let special: [Float] = [.nan, -.nan, Float(nan: 0x1234, signaling: false), -1.5, -0.0, 0,
                            .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude,
                            -.greatestFiniteMagnitude, .infinity, -.infinity, 1e-38, -123456.78, 3.14159]
    return (0..<count).map { $0 < special.count ? special[$0] : Float($0) * -0.37 + 11 }
}

/// Reads little-endian integers from raw file bytes.
func le<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
    var v: T = 0
    for i in (0..<MemoryLayout<T>.size).reversed() { v = (v << 8) | T(truncatingIfNeeded: bytes[offset + i]) }
    return v
}

/// The whole file, inflated with the system gzip when it is compressed (an independent reader
/// that also follows multi-member streams).
func fileBytes(_ path: String) throws -> [UInt8] {
    guard path.hasSuffix(".gz") else { return Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
    let gzip = ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) }!
    let process = Process()
    process.executableURL = URL(fileURLWithPath: gzip)
    process.arguments = ["-dc", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "gzip -dc \(path) failed")
    return Array(data)
}

@Suite struct NIfTIWriterTests {
    static let references = ["qform_only.nii", "dt_float32.nii", "units_meter.nii", "nifti2_float32.nii", "pixdim_only.nii"]

    @Test(arguments: references, [".nii", ".nii.gz"])
    func float32RoundTrip(referenceName: String, ext: String) throws {
        let folder = try makeTemporaryFolder()
        defer { cleanup(folder) }
        let reference = try NIfTIFile(path: fixture(referenceName)).header
        let dims = reference.spatialDimensions
        let voxels = awkwardValues(dims.x * dims.y * dims.z)
        let path = folder + "/out" + ext
        try NIfTIWriter.write(voxels, to: path, reference: reference, description: "unit test \(referenceName)")
        #expect(listing(folder) == ["out" + ext], "a temporary file was left behind")

        let file = try NIfTIFile(path: path)
        let h = file.header
        #expect(file.dataIsCompressed == (ext == ".nii.gz") && file.headerIsCompressed == (ext == ".nii.gz"))
        #expect(h.datatype == .float32)
        #expect(h.spatialDimensions == dims && h.frameCount == 1)
        #expect(h.qformCode == reference.qformCode, "qform_code")
        #expect(h.sformCode == reference.sformCode, "sform_code")
        #expect(h.affineSource == reference.affineSource)
        #expect(maxDifference(h.affineMM, reference.affineMM) < 1e-6, "affine \(h.affineMM.rowMajor) vs \(reference.affineMM.rowMajor)")
        #expect((0..<3).allSatisfy { abs(h.spacingMM[$0] - reference.spacingMM[$0]) < 1e-6 })
        #expect(h.description == "unit test \(referenceName)")
        #expect(h.isSingleFile)

        let volume = try file.readFrame(0)
        #expect(volume.geometry.isSameGrid(as: reference.geometry))
        #expect(volume.voxels.count == voxels.count)
        let mismatches = zip(volume.voxels, voxels).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        #expect(mismatches.isEmpty, "voxels differ bit for bit: \(mismatches.prefix(5).map { "[\($0.offset)] wrote \($0.element.1) (0x\(String($0.element.1.bitPattern, radix: 16))) read \($0.element.0) (0x\(String($0.element.0.bitPattern, radix: 16)))" })")

        // Independent check of the bytes on disk: a NIfTI-1 header, float32, data at vox_offset.
        let bytes = try fileBytes(path)
        #expect(le(bytes, 0, Int32.self) == 348)
        #expect(Array(bytes[344..<348]) == Array("n+1\0".utf8))
        #expect(le(bytes, 70, Int16.self) == 16 && le(bytes, 72, Int16.self) == 32)
        #expect((0..<4).map { le(bytes, 40 + 2 * $0, Int16.self) } == [3, Int16(dims.x), Int16(dims.y), Int16(dims.z)])
        let voxOffset = Int(Float(bitPattern: le(bytes, 108, UInt32.self)))
        #expect(voxOffset >= 352)
        #expect(bytes.count == voxOffset + 4 * voxels.count)
        let onDisk = (0..<voxels.count).map { le(bytes, voxOffset + 4 * $0, UInt32.self) }
        #expect(onDisk == voxels.map(\.bitPattern), "bytes on disk differ from the voxels written")
        #expect(le(bytes, 68, Int16.self) == 0, "no intent for a Float32 volume")
    }

    /// More than 2 MiB of voxel data: several gzip data members, and several read chunks.
    @Test func largeVolumeGzipRoundTrip() throws {
        let folder = try makeTemporaryFolder()
        defer { cleanup(folder) }
        var reference = try NIfTIFile(path: fixture("qform_only.nii")).header
        reference.dim = [64, 64, 130]
        let n = 64 * 64 * 130
        var rng = UInt32(12345)
        let voxels: [Float] = (0..<n).map { i in
            rng = rng &* 1_664_525 &+ 1_013_904_223
            return i % 1001 == 0 ? .nan : Float(Int32(bitPattern: rng) >> 8) * 1e-3
        }
        let path = folder + "/big.nii.gz"
        try NIfTIWriter.write(voxels, to: path, reference: reference, description: "big")
        let back = try NIfTIFile(path: path).readFrame(0)
        #expect(back.voxels.map(\.bitPattern) == voxels.map(\.bitPattern))
        let bytes = try fileBytes(path)
        #expect(bytes.count == 352 + 4 * n)
        // Count gzip members: each starts with 1f 8b 08 after the previous one ends; at least
        // the header and two data members are expected here.
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let magicCount = (0..<(raw.count - 2)).filter { raw[$0] == 0x1F && raw[$0 + 1] == 0x8B && raw[$0 + 2] == 0x08 }.count
        #expect(magicCount >= 3)
        #expect(listing(folder) == ["big.nii.gz"])
    }

    @Test(arguments: [".nii", ".nii.gz"])
    func labelsRoundTrip(ext: String) throws {
        let folder = try makeTemporaryFolder()
        defer { cleanup(folder) }
        let reference = try NIfTIFile(path: fixture("qform_only.nii")).header
        let count = reference.spatialDimensions.x * reference.spatialDimensions.y * reference.spatialDimensions.z
        let small: [Int32] = (0..<count).map { [0, 1, -1, 32767, -32768, 7, 300][$0 % 7] }
        let wide: [Int32] = (0..<count).map { [0, 1, -1, 32768, -70_000, 2_000_000_000, 1_000_000][$0 % 7] }
        for (name, labels, datatype, bitpix) in [("small", small, NIfTIDatatype.int16, 16), ("wide", wide, .int32, 32)] {
            let path = folder + "/\(name)\(ext)"
            try NIfTIWriter.writeLabels(labels, to: path, reference: reference, description: "labels")
            let file = try NIfTIFile(path: path)
            #expect(file.header.datatype == datatype, "\(name)")
            #expect(file.header.qformCode == reference.qformCode && file.header.sformCode == reference.sformCode)
            #expect(maxDifference(file.header.affineMM, reference.affineMM) < 1e-6)
            let values = try file.readFrame(0).voxels
            #expect(values == labels.map(Float.init), "\(name): labels read back")
            #expect(try file.readLabelFrame(0) == LabelImage(labels: labels))
            let bytes = try fileBytes(path)
            #expect(le(bytes, 68, Int16.self) == 1002, "NIFTI_INTENT_LABEL")
            #expect(le(bytes, 72, Int16.self) == Int16(bitpix))
            let voxOffset = Int(Float(bitPattern: le(bytes, 108, UInt32.self)))
            let onDisk: [Int32] = datatype == .int16
                ? (0..<count).map { Int32(le(bytes, voxOffset + 2 * $0, Int16.self)) }
                : (0..<count).map { le(bytes, voxOffset + 4 * $0, Int32.self) }
            #expect(onDisk == labels)
        }
        #expect(listing(folder) == ["small\(ext)", "wide\(ext)"].sorted())
    }

    @Test func overwriteAndFailuresLeaveNoTemporaryFile() throws {
        let folder = try makeTemporaryFolder()
        defer { cleanup(folder) }
        let reference = try NIfTIFile(path: fixture("dt_float32.nii")).header
        let count = 24
        let path = folder + "/v.nii"
        try NIfTIWriter.write([Float](repeating: 1, count: count), to: path, reference: reference, description: "first")
        try NIfTIWriter.write([Float](repeating: 2, count: count), to: path, reference: reference, description: "second")
        #expect(try NIfTIFile(path: path).readFrame(0).voxels == [Float](repeating: 2, count: count))
        #expect(try NIfTIFile(path: path).header.description == "second")
        // Wrong voxel count: refused, the existing file untouched.
        #expect(throws: VoxelIOError.self) {
            try NIfTIWriter.write([Float](repeating: 3, count: count + 1), to: path, reference: reference, description: "bad")
        }
        #expect(try NIfTIFile(path: path).readFrame(0).voxels == [Float](repeating: 2, count: count))
        // A folder that does not exist.
        #expect(throws: VoxelIOError.self) {
            try NIfTIWriter.write([Float](repeating: 3, count: count), to: folder + "/missing/v.nii", reference: reference, description: "x")
        }
        #expect(listing(folder) == ["v.nii"])
    }

    /// A dimension above NIfTI-1's int16 limit: the writer switches to a NIfTI-2 header.
    @Test(arguments: [".nii", ".nii.gz"])
    func wideVolumeIsWrittenAsNIfTI2(ext: String) throws {
        let folder = try makeTemporaryFolder()
        defer { cleanup(folder) }
        var reference = try NIfTIFile(path: fixture("qform_only.nii")).header
        reference.dim = [40_000, 1, 1]
        let voxels = awkwardValues(40_000)
        let path = folder + "/wide" + ext
        try NIfTIWriter.write(voxels, to: path, reference: reference, description: "wide")
        let file = try NIfTIFile(path: path)
        #expect(file.header.format == .nifti2)
        #expect(file.header.spatialDimensions == SIMD3(40_000, 1, 1))
        #expect(file.header.qformCode == reference.qformCode && file.header.sformCode == reference.sformCode)
        #expect(maxDifference(file.header.affineMM, reference.affineMM) < 1e-6)
        #expect(try file.readFrame(0).voxels.map(\.bitPattern) == voxels.map(\.bitPattern))
        let bytes = try fileBytes(path)
        #expect(le(bytes, 0, Int32.self) == 540)
        #expect(bytes.count == Int(le(bytes, 168, Int64.self)) + 4 * voxels.count)
        #expect(listing(folder) == ["wide" + ext])
    }

    @Test func missingFileIsAnErrorNamingIt() {
        let path = "/nonexistent-voxdose-\(UUID().uuidString).nii"
        do {
            _ = try NIfTIFile(path: path)
            Issue.record("opened a missing file")
        } catch let error as VoxelIOError {
            #expect(error.path == path && error.description.hasPrefix(path + ": "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func longDescriptionIsTruncated() throws {
        let folder = try makeTemporaryFolder()
        defer { cleanup(folder) }
        let reference = try NIfTIFile(path: fixture("dt_float32.nii")).header
        let text = String(repeating: "abcdefghij", count: 12)
        try NIfTIWriter.write([Float](repeating: 0, count: 24), to: folder + "/d.nii", reference: reference, description: text)
        #expect(try NIfTIFile(path: folder + "/d.nii").header.description == String(text.prefix(79)))
    }
}
