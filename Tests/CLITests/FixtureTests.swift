import Foundation
import Testing

/// Every generated fixture (Fixtures/generate_fixtures.py): `info` reports what the generator
/// wrote; `stats` over the whole volume agrees with the values the generator recorded.
@Suite struct GeneratedFixtureTests {
    nonisolated(unsafe) static let entries: [String: [String: Any]] = {
        let list = try! loadJSON("Fixtures/nifti/expected.json")["files"] as! [[String: Any]]
        return Dictionary(uniqueKeysWithValues: list.map { ($0["path"] as! String, $0) })
    }()
    static let files = entries.keys.sorted()

    @Test(arguments: files)
    func infoMatchesGenerator(_ name: String) throws {
        let entry = try #require(Self.entries[name])
        let path = "Fixtures/" + (entry["path"] as! String)
        let run = voxdose(["info", path])
        #expect(run.status == 0, "\(run.stderr)")
        for key in ["format", "compressed", "byte_order", "dim", "datatype", "datatype_code", "spacing_mm",
                    "affine", "affine_source", "qform_code", "sform_code", "scl_slope", "scl_inter", "description"] {
            let found = difference(run.json[key], entry[key], path: key, rel: 1e-6)
            #expect(found == nil, "\(name): \(found ?? "")")
        }
    }

    /// Whole-volume mean, min, max and NaN count of frame 0 against the recorded voxel values.
    @Test(arguments: files)
    func valuesMatchGenerator(_ name: String) throws {
        let entry = try #require(Self.entries[name])
        let path = "Fixtures/" + (entry["path"] as! String)
        let frames = entry["values"] as? [[Any]]
        // Voxels are Float32 in memory: round the recorded values the same way.
        let values = (frames?.first ?? (entry["values"] as! [Any]))
            .map { Double(Float(($0 as? NSNumber)?.doubleValue ?? .nan)) }
        let args = ["stats", path] + (frames.map { $0.count > 1 ? ["--frame", "0"] : [] } ?? [])
        let run = voxdose(args)
        #expect(run.status == 0, "\(run.stderr)")
        let region = try #require((run.json["regions"] as? [[String: Any]])?.first)
        let finite = values.filter(\.isFinite)
        #expect(region["voxels"] as? Int == finite.count)
        #expect(region["nan_voxels"] as? Int == values.count - finite.count)
        #expect(close(region["mean"], finite.reduce(0, +) / Double(finite.count), rel: 1e-6))
        #expect(close(region["min"], finite.min(), rel: 1e-6))
        #expect(close(region["max"], finite.max(), rel: 1e-6))
    }
}

/// Every malformed file: exit 1, one line on stderr that starts with `error: `, names the file
/// and the problem; no crash, no large allocation, quickly.
@Suite struct MalformedInputTests {
    nonisolated(unsafe) static let manifest = try! loadJSON("Fixtures/malformed/MANIFEST.json") as! [String: [String: Any]]
    /// Files whose header is sound and whose defect is in the voxel data (or its file): `info`
    /// reads only the header (CONTRACT.md hardening rules), so it prints them; `stats` refuses.
    static let dataDefects: Set<String> = ["corrupt.nii.gz", "crc_mismatch.nii.gz", "gz_claims_huge.nii.gz", "huge_dims.nii",
                                           "huge_dims_nifti2.nii", "missing_img.hdr", "short_img.hdr",
                                           "truncated.nii.gz", "truncated_data.nii", "vox_offset_beyond.nii"]
    static let cases = manifest.keys.sorted().flatMap { file in
        (dataDefects.contains(file) ? ["stats"] : ["info", "stats"]).map { [$0, file] }
    }

    @Test(arguments: dataDefects.sorted())
    func infoPrintsTheHeaderWithoutReadingTheData(_ file: String) throws {
        let run = voxdose(["info", "Fixtures/malformed/" + file])
        #expect(run.status == 0, "\(file): \(run.stderr)")
        #expect(run.json["schema"] as? String == "voxdose.info/1")
        #expect(run.maxResidentKiB < 256 * 1024, "\(file): peak memory \(run.maxResidentKiB) KiB")
    }

    /// A valid `.nii.gz` whose stream inflates to 1 GiB: `info` inflates only the header's bytes
    /// (the test process's own memory counts in the child's peak until exec, hence the margin).
    @Test func infoDoesNotInflateTheWholeStream() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let header = folder.appendingPathComponent("header.bin").path
        let grid = Grid(dims: [1024, 1024, 256])
        try niftiBytes(Grid(dims: [1, 1, 1]), [0]).prefix(352).write(to: URL(fileURLWithPath: header))
        // dims 1024 × 1024 × 256 float32 = 1 GiB of zeros after the header.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: header)))
        for (n, d) in ([3] + grid.dims + [1, 1, 1, 1]).enumerated() { bytes.replaceSubrange(40 + 2 * n ..< 42 + 2 * n, with: littleEndian(Int16(d))) }
        try Data(bytes).write(to: URL(fileURLWithPath: header))
        let big = folder.appendingPathComponent("big.nii.gz").path
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/bin/sh")
        make.arguments = ["-c", "(cat '\(header)'; head -c \(grid.voxelCount * 4) /dev/zero) | gzip -1 > '\(big)'"]
        try make.run()
        make.waitUntilExit()
        try #require(make.terminationStatus == 0)
        let run = voxdose(["info", big])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["dim"] as? [Int] == [1024, 1024, 256])
        #expect(run.maxResidentKiB < 512 * 1024, "peak memory \(run.maxResidentKiB) KiB: the stream was inflated")
        #expect(run.seconds < 2, "took \(run.seconds) s")
    }

    @Test(arguments: cases)
    func refusedWithOneClearLine(_ commandAndFile: [String]) throws {
        let (command, file) = (commandAndFile[0], commandAndFile[1])
        let entry = try #require(Self.manifest[file])
        let run = voxdose([command, "Fixtures/malformed/" + file])
        #expect(run.status == 1, "\(command) \(file): status \(run.status), stderr \(run.stderr)")
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(file): \(run.stderr)")
        let line = String(lines.first ?? "").lowercased()
        #expect(line.hasPrefix("error: "))
        // The message names the file at fault (the .img of a pair, or the file itself).
        let stem = file.split(separator: ".").first.map(String.init) ?? file
        #expect(line.contains(stem.lowercased()), "\(file): \(line)")
        let accepted = [entry["expect"] as! String] + (entry["also_ok"] as? [String] ?? [])
        #expect(accepted.contains { line.contains($0.lowercased()) }, "\(file): \(line) should say one of \(accepted)")
        #expect(run.maxResidentKiB < 256 * 1024, "\(file): peak memory \(run.maxResidentKiB) KiB")
        #expect(run.seconds < 5, "\(file): took \(run.seconds) s")
    }
}
