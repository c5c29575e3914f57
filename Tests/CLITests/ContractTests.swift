import Foundation
import Testing

// Black-box tests of /work/shared/CONTRACT.md ("Conventions for every command", "voxdose info FILE",
// "voxdose stats ...") and the geometry rule of ARCHITECTURE.md ("Numbers and types").
// Every expected number is computed here, from the generator's record (Fixtures/nifti/expected.json)
// or by hand; nothing is pasted from the tool's output.

// MARK: - Helpers

private let nifti = "Fixtures/nifti/"

/// Fixtures/nifti/expected.json: the generator's record of every file it wrote.
nonisolated(unsafe) private let generated: [String: Any] = try! loadJSON("Fixtures/nifti/expected.json")
nonisolated(unsafe) private let generatedFiles: [String: [String: Any]] = {
    let list = generated["files"] as! [[String: Any]]
    return Dictionary(uniqueKeysWithValues: list.map { ($0["path"] as! String, $0) })
}()
nonisolated(unsafe) private let generatedStats: [String: Any] = generated["stats"] as! [String: Any]

/// The generator's entry for `Fixtures/nifti/<name>`.
private func entry(_ name: String) -> [String: Any] { generatedFiles["nifti/" + name]! }

/// Recorded voxel values of a 3-D fixture (or one frame of a 4-D one), rounded to Float32 as the
/// tool holds them; NaN where the record has null (a non-finite voxel).
private func recordedValues(_ name: String, frame: Int? = nil) -> [Double] {
    let raw = entry(name)["values"] as! [Any]
    let flat = frame.map { raw[$0] as! [Any] } ?? raw
    return flat.map { ($0 as? NSNumber).map { Double(Float($0.doubleValue)) } ?? .nan }
}

/// Percentile of sorted data with linear interpolation (numpy's default method).
private func percentile(_ sorted: [Double], _ p: Double) -> Double {
    let rank = p / 100 * Double(sorted.count - 1)
    let lo = Int(rank.rounded(.down)), hi = Int(rank.rounded(.up))
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - Double(lo))
}

/// The figures the contract asks for, computed from the voxel values of one region.
private struct Expected {
    var voxels = 0, nanVoxels = 0
    var sum = 0.0, mean = Double.nan, std = Double.nan, min = Double.nan, max = Double.nan, median = Double.nan
    var sorted: [Double] = []

    init(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        voxels = finite.count
        nanVoxels = values.count - finite.count
        sorted = finite.sorted()
        sum = finite.reduce(0, +)
        guard voxels > 0 else { return }
        mean = sum / Double(voxels)
        std = (finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(voxels)).squareRoot()
        min = sorted.first!
        max = sorted.last!
        median = percentile(sorted, 50)
    }

    func percentileValue(_ p: Double) -> Double { voxels > 0 ? percentile(sorted, p) : .nan }
}

/// JSON null for a non-finite expectation, the number otherwise.
private func jsonNumber(_ x: Double) -> Any { x.isFinite ? x : NSNull() }

/// Compares one region object with the figures computed from its voxel values.
private func expectRegion(_ region: [String: Any], matches values: [Double], label: Int?,
                          percentiles: [String], voxelVolumeMM3: Double = 24, context: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    let e = Expected(values)
    if let label {
        #expect(region["label"] as? Int == label, "\(context): label \(String(describing: region["label"]))",
                sourceLocation: sourceLocation)
    } else {
        #expect(region["label"] is NSNull, "\(context): whole-volume label should be null",
                sourceLocation: sourceLocation)
    }
    #expect(region["name"] is NSNull || region["name"] is String, "\(context): name", sourceLocation: sourceLocation)
    #expect(region["voxels"] as? Int == e.voxels, "\(context): voxels \(String(describing: region["voxels"])), expected \(e.voxels)",
            sourceLocation: sourceLocation)
    #expect(region["nan_voxels"] as? Int == e.nanVoxels,
            "\(context): nan_voxels \(String(describing: region["nan_voxels"])), expected \(e.nanVoxels)",
            sourceLocation: sourceLocation)
    let figures: [(String, Double)] = [
        ("volume_ml", Double(e.voxels) * voxelVolumeMM3 / 1000), ("sum", e.sum), ("mean", e.mean), ("std", e.std),
        ("min", e.min), ("max", e.max), ("median", e.median),
    ]
    for (key, value) in figures {
        if key == "sum" && e.voxels == 0 {
            // The sum of no voxels: 0 (or null) — not constrained further by the contract.
            #expect(close(region[key], 0.0) || region[key] is NSNull, "\(context): sum of no voxels \(String(describing: region[key]))",
                    sourceLocation: sourceLocation)
            continue
        }
        #expect(region[key] != nil, "\(context): key \(key) missing", sourceLocation: sourceLocation)
        #expect(close(region[key], jsonNumber(value), rel: 1e-9, abs: 1e-12),
                "\(context): \(key) \(String(describing: region[key])), expected \(value)", sourceLocation: sourceLocation)
    }
    let found = region["percentiles"] as? [String: Any]
    #expect(found != nil, "\(context): percentiles object missing", sourceLocation: sourceLocation)
    #expect(Set(found?.keys.map { $0 } ?? []) == Set(percentiles),
            "\(context): percentile keys \(found?.keys.sorted() ?? []), expected \(percentiles)", sourceLocation: sourceLocation)
    for p in percentiles {
        let value = e.percentileValue(Double(p)!)
        #expect(close(found?[p], jsonNumber(value), rel: 1e-9, abs: 1e-12),
                "\(context): percentile \(p) = \(String(describing: found?[p])), expected \(value)", sourceLocation: sourceLocation)
    }
}

/// The whole of stdout parsed as one JSON object (fails the test if it is not).
private func document(_ run: RunResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let parsed = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))
    return try #require(parsed as? [String: Any], "stdout is not one JSON object: \(run.stdout.prefix(300)) stderr: \(run.stderr)",
                        sourceLocation: sourceLocation)
}

private func regions(_ doc: [String: Any]) -> [[String: Any]] { doc["regions"] as? [[String: Any]] ?? [] }

/// Exit 64, the usage line on stderr, nothing on stdout.
@discardableResult
private func expectUsageError(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
    let run = voxdose(args)
    #expect(run.status == 64, "\(args): status \(run.status), stderr \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.lowercased().contains("usage"), "\(args): no usage line in \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
    return run
}

/// Exit 1, nothing on stdout, exactly one stderr line that starts with `error: ` and names
/// `naming` (one of them, when several names are defensible).
@discardableResult
private func expectInputError(_ args: [String], naming: [String], sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
    let run = voxdose(args)
    #expect(run.status == 1, "\(args): status \(run.status), stderr \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
    var text = run.stderr
    if text.hasSuffix("\n") { text.removeLast() }
    #expect(!text.isEmpty && !text.contains("\n"), "\(args): stderr is not exactly one line: \(run.stderr)",
            sourceLocation: sourceLocation)
    #expect(text.hasPrefix("error: "), "\(args): \(text)", sourceLocation: sourceLocation)
    #expect(naming.contains { text.contains($0) }, "\(args): \(text) should name \(naming)", sourceLocation: sourceLocation)
    return run
}

/// Succeeds and returns the parsed document.
private func runStats(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let run = voxdose(["stats"] + args)
    #expect(run.status == 0, "stats \(args): status \(run.status), stderr \(run.stderr)", sourceLocation: sourceLocation)
    return try document(run, sourceLocation: sourceLocation)
}

private func runInfo(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let run = voxdose(["info", path])
    #expect(run.status == 0, "info \(path): status \(run.status), stderr \(run.stderr)", sourceLocation: sourceLocation)
    return try document(run, sourceLocation: sourceLocation)
}

private func listing(_ folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
}

/// A copy of a fixture with some bytes changed, written into `folder`.
private func derived(_ fixture: String, in folder: URL, as name: String, _ edit: (inout Data) -> Void) throws -> String {
    var data = try Data(contentsOf: packageRoot.appendingPathComponent(nifti + fixture))
    edit(&data)
    let url = folder.appendingPathComponent(name)
    try data.write(to: url)
    return url.path
}

private func putFloat(_ data: inout Data, _ offset: Int, _ value: Float) {
    withUnsafeBytes(of: value.bitPattern.littleEndian) { data.replaceSubrange(offset..<offset + 4, with: $0) }
}

private func putInt16(_ data: inout Data, _ offset: Int, _ value: Int16) {
    withUnsafeBytes(of: value.littleEndian) { data.replaceSubrange(offset..<offset + 2, with: $0) }
}

// NIfTI-1 header offsets (little-endian fixtures).
private let qformCodeOffset = 252, sformCodeOffset = 254, qoffsetXOffset = 268, srowXOffset = 280

/// Minimal CSV reader (RFC 4180 quoting).
private func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
    var chars = Array(text).makeIterator()
    var pending: Character? = nil
    while let c = pending ?? chars.next() {
        pending = nil
        if quoted {
            if c == "\"" {
                if let next = chars.next() {
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" { quoted = true
        } else if c == "," { row.append(field); field = ""
        } else if c == "\n" || c == "\r\n" { row.append(field); rows.append(row); row = []; field = ""
        } else if c == "\r" { continue
        } else { field.append(c) }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

/// Every key in a JSON value (percentile keys excluded: they are numbers as written).
private func allKeys(_ value: Any, skipping: Set<String> = ["percentiles"]) -> [String] {
    switch value {
    case let object as [String: Any]:
        return object.flatMap { key, inner in [key] + (skipping.contains(key) ? [] : allKeys(inner, skipping: skipping)) }
    case let array as [Any]:
        return array.flatMap { allKeys($0, skipping: skipping) }
    default:
        return []
    }
}

private let statsImage = nifti + "stats_image.nii"
private let statsLabels = nifti + "stats_labels.nii"
private let regionKeys = ["label", "name", "voxels", "volume_ml", "sum", "mean", "std", "min", "max", "median",
                          "percentiles", "nan_voxels"]
private let defaultPercentiles = ["2", "5", "50", "95", "98"]

/// Voxel values of stats_image per label of stats_labels (from the generator's record).
private func valuesByLabel() -> [Int: [Double]] {
    let image = recordedValues("stats_image.nii")
    let labels = (entry("stats_labels.nii")["values"] as! [NSNumber]).map(\.intValue)
    var result: [Int: [Double]] = [:]
    for (value, label) in zip(image, labels) where label != 0 { result[label, default: []].append(value) }
    return result
}

/// The four label regions of stats_image over stats_labels, checked one by one.
private func expectStatsLabelsRegions(_ doc: [String: Any], percentiles: [String] = defaultPercentiles, context: String,
                                      sourceLocation: SourceLocation = #_sourceLocation) {
    let found = regions(doc)
    let byLabel = valuesByLabel()
    #expect(found.map { $0["label"] as? Int } == [1, 2, 3, 7], "\(context): labels \(found.map { $0["label"] ?? "-" })",
            sourceLocation: sourceLocation)
    for region in found {
        guard let label = region["label"] as? Int, let values = byLabel[label] else { continue }
        expectRegion(region, matches: values, label: label, percentiles: percentiles, context: "\(context) label \(label)",
                     sourceLocation: sourceLocation)
    }
}

// MARK: - Conventions: exit codes, usage, error lines

@Suite struct UsageContractTests {
    @Test func unknownOptionIsUsageError() {
        expectUsageError(["stats", statsImage, "--no-such-option"])
        expectUsageError(["stats", statsImage, "--no-such-option", "3"])
        expectUsageError(["info", nifti + "dt_float32.nii", "--no-such-option"])
    }

    @Test func missingArgumentIsUsageError() {
        expectUsageError(["stats"])
        expectUsageError(["info"])
        expectUsageError(["stats", statsImage, "--frame"])
        expectUsageError(["stats", statsImage, "--percentiles"])
    }

    @Test func unparsableNumberIsUsageError() {
        expectUsageError(["stats", statsImage, "--frame", "abc"])
        expectUsageError(["stats", statsImage, "--frame", "1.5"])
        expectUsageError(["stats", statsImage, "--frame", ""])
        expectUsageError(["stats", statsImage, "--percentiles", "5,abc"])
        expectUsageError(["stats", statsImage, "--percentiles", "fifty"])
        expectUsageError(["stats", statsImage, "--percentiles", "2,,50"])
    }

    @Test func outOfRangePercentileIsUsageError() {
        expectUsageError(["stats", statsImage, "--percentiles", "101"])
        expectUsageError(["stats", statsImage, "--percentiles", "100.5"])
        expectUsageError(["stats", statsImage, "--percentiles", "50,101"])
        expectUsageError(["stats", statsImage, "--percentiles", "-1"])
        expectUsageError(["stats", statsImage, "--percentiles=-1"])
        expectUsageError(["stats", statsImage, "--percentiles", "2,-1"])
        expectUsageError(["stats", statsImage, "--percentiles", "nan"])
        expectUsageError(["stats", statsImage, "--percentiles", "inf"])
    }

    @Test func boundaryPercentilesAreAccepted() throws {
        // 0 and 100 are in range: the minimum and the maximum.
        let doc = try runStats([statsImage, "--percentiles", "0,100"])
        let region = try #require(regions(doc).first)
        let e = Expected(recordedValues("stats_image.nii"))
        let percentiles = region["percentiles"] as? [String: Any]
        #expect(close(percentiles?["0"], e.min, rel: 1e-12))
        #expect(close(percentiles?["100"], e.max, rel: 1e-12))
    }

    @Test func negativeFrameIsUsageError() {
        expectUsageError(["stats", nifti + "frames_4d.nii", "--frame", "-1"])
        expectUsageError(["stats", nifti + "frames_4d.nii", "--frame=-1"])
        expectUsageError(["stats", statsImage, "--frame=-2"])
    }

    /// "Progress … `--quiet` silences it" is a convention for every command: the option is accepted
    /// and changes nothing on stdout.
    @Test func quietIsAccepted() throws {
        let plain = voxdose(["stats", statsImage, "--labels", statsLabels])
        let quiet = voxdose(["stats", statsImage, "--labels", statsLabels, "--quiet"])
        #expect(quiet.status == 0, "stats --quiet: status \(quiet.status), stderr \(quiet.stderr)")
        #expect(quiet.stderr.isEmpty)
        #expect(difference(try? JSONSerialization.jsonObject(with: Data(quiet.stdout.utf8)),
                           try? JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)), rel: 0) == nil)
        let info = voxdose(["info", statsImage, "--quiet"])
        #expect(info.status == 0, "info --quiet: status \(info.status), stderr \(info.stderr)")
        #expect(info.stdout == voxdose(["info", statsImage]).stdout)
    }

    @Test func unknownFormatIsUsageError() {
        expectUsageError(["stats", statsImage, "--format", "xml"])
        expectUsageError(["stats", statsImage, "--format", ""])
    }
}

@Suite struct InputErrorContractTests {
    @Test func missingFileIsInputErrorNamingIt() {
        expectInputError(["info", "Fixtures/nifti/no_such_file.nii"], naming: ["no_such_file.nii"])
        expectInputError(["stats", "Fixtures/nifti/no_such_file.nii"], naming: ["no_such_file.nii"])
        expectInputError(["stats", statsImage, "--labels", "Fixtures/nifti/no_such_labels.nii"], naming: ["no_such_labels.nii"])
    }

    @Test func notANiftiFileIsInputErrorNamingIt() {
        expectInputError(["info", "Fixtures/example/labels.tsv"], naming: ["labels.tsv"])
        expectInputError(["stats", "Fixtures/example/labels.tsv"], naming: ["labels.tsv"])
        expectInputError(["stats", "Fixtures/malformed/bad_magic.nii"], naming: ["bad_magic.nii"])
        expectInputError(["stats", statsImage, "--labels", "Fixtures/malformed/truncated_data.nii"], naming: ["truncated_data.nii"])
    }

    @Test func directoryAsInputIsInputError() {
        expectInputError(["info", "Fixtures/nifti"], naming: ["Fixtures/nifti"])
        expectInputError(["stats", "Fixtures/nifti/"], naming: ["Fixtures/nifti"])
    }

    @Test func labelImageWithDifferentDimsIsInputError() {
        // dt_int16.nii has the same affine as stats_image.nii but 4×3×2 voxels, not 6×5×4.
        expectInputError(["stats", statsImage, "--labels", nifti + "dt_int16.nii"], naming: ["dt_int16.nii"])
    }
}

// MARK: - Conventions: 4-D input and --frame

@Suite struct FrameContractTests {
    let frames = nifti + "frames_4d.nii"

    @Test func fourDWithoutFrameIsInputError() {
        expectInputError(["stats", frames], naming: ["frames_4d.nii"])
        expectInputError(["stats", frames, "--format", "csv"], naming: ["frames_4d.nii"])
    }

    @Test func frameTheFileLacksIsInputError() {
        expectInputError(["stats", frames, "--frame", "3"], naming: ["frames_4d.nii"])
        expectInputError(["stats", frames, "--frame", "1000"], naming: ["frames_4d.nii"])
        // A 3-D file has frame 0 only.
        expectInputError(["stats", nifti + "dt_float32.nii", "--frame", "1"], naming: ["dt_float32.nii"])
        // A 4-D file with one frame: frame 0 only.
        expectInputError(["stats", nifti + "single_frame_4d.nii", "--frame", "1"], naming: ["single_frame_4d.nii"])
    }

    @Test(arguments: [0, 1, 2])
    func eachFrameIsItsOwnVolume(_ frame: Int) throws {
        // value = index + 1000 t; scl_slope NaN means no scaling.
        let doc = try runStats([frames, "--frame", String(frame)])
        #expect(doc["frame"] as? Int == frame)
        let values = (0..<24).map { Double($0 + 1000 * frame) }
        #expect(values == recordedValues("frames_4d.nii", frame: frame))
        #expect(regions(doc).count == 1)
        expectRegion(try #require(regions(doc).first), matches: values, label: nil, percentiles: defaultPercentiles,
                     context: "frames_4d frame \(frame)")
    }

    @Test func frameZeroIsAcceptedForThreeD() throws {
        let with = try runStats([nifti + "dt_float32.nii", "--frame", "0"])
        let without = try runStats([nifti + "dt_float32.nii"])
        #expect(with["frame"] as? Int == 0)
        let values = (0..<24).map(Double.init)
        expectRegion(try #require(regions(with).first), matches: values, label: nil, percentiles: defaultPercentiles,
                     context: "dt_float32 --frame 0")
        #expect(difference(regions(with), regions(without), rel: 0) == nil)
    }

    @Test func oneFrameFourDCountsAsThreeD() throws {
        let without = try runStats([nifti + "single_frame_4d.nii"])
        let with = try runStats([nifti + "single_frame_4d.nii", "--frame", "0"])
        let values = (0..<24).map(Double.init)
        for (doc, context) in [(without, "single_frame_4d"), (with, "single_frame_4d --frame 0")] {
            #expect(regions(doc).count == 1, "\(context)")
            expectRegion(try #require(regions(doc).first), matches: values, label: nil, percentiles: defaultPercentiles,
                         context: context)
        }
        #expect(with["frame"] as? Int == 0)
    }

    @Test func frameKeyIsPresentWithoutFrame() throws {
        let doc = try runStats([statsImage])
        #expect(doc.keys.contains("frame"))
        #expect(doc["frame"] is NSNull || doc["frame"] as? Int == 0, "\(String(describing: doc["frame"]))")
    }

    @Test func infoReadsFourDWithoutFrame() throws {
        let doc = try runInfo(frames)
        #expect(doc["dim"] as? [Int] == [4, 3, 2, 3])
        #expect(try runInfo(nifti + "single_frame_4d.nii")["dim"] as? [Int] == [4, 3, 2, 1])
    }
}

// MARK: - Conventions: JSON documents

@Suite struct JSONContractTests {
    @Test func statsDocumentHasSchemaAndVersion() throws {
        let doc = try runStats([statsImage])
        #expect(doc["schema"] as? String == "voxdose.stats/1")
        let version = doc["voxdose_version"] as? String
        #expect(version?.isEmpty == false, "voxdose_version \(String(describing: doc["voxdose_version"]))")
    }

    @Test func infoDocumentHasSchemaAndVersion() throws {
        let doc = try runInfo(nifti + "dt_float32.nii")
        #expect(doc["schema"] as? String == "voxdose.info/1")
        let version = doc["voxdose_version"] as? String
        #expect(version?.isEmpty == false, "voxdose_version \(String(describing: doc["voxdose_version"]))")
    }

    @Test func keysAreSnakeCase() throws {
        let docs = [try runStats([statsImage, "--labels", statsLabels, "--percentiles", "2,97.5"]),
                    try runInfo(nifti + "dt_float32.nii")]
        let pattern = try Regex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
        #expect(regions(docs[0]).count == 4 && docs[1]["spacing_mm"] != nil)
        for doc in docs {
            for key in allKeys(doc) {
                #expect(key.wholeMatch(of: pattern) != nil, "key \(key) is not snake_case")
            }
        }
    }

    @Test func nonFiniteNumbersAreNull() throws {
        // Labels on nan_values.nii's grid: label 1 exactly on its three non-finite voxels
        // (NaN@3, +inf@9, -inf@14), label 2 elsewhere except voxel 0 (background).
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = try derived("dt_int16.nii", in: folder, as: "nan_labels.nii") { data in
            for index in 0..<24 { putInt16(&data, 352 + 2 * index, [3, 9, 14].contains(index) ? 1 : index == 0 ? 0 : 2) }
        }
        let run = voxdose(["stats", nifti + "nan_values.nii", "--labels", labels, "--percentiles", "2,50"])
        #expect(run.status == 0, "\(run.stderr)")
        // The text is valid JSON: no NaN / Infinity tokens.
        let token = try Regex("(?i):\\s*-?(nan|inf|infinity)\\b")
        #expect(run.stdout.firstMatch(of: token) == nil, "\(run.stdout)")
        let doc = try document(run)
        let found = regions(doc)
        #expect(found.map { $0["label"] as? Int } == [1, 2])
        let values = recordedValues("nan_values.nii")
        let region1 = try #require(found.first)
        expectRegion(region1, matches: [3, 9, 14].map { values[$0] }, label: 1, percentiles: ["2", "50"],
                     context: "all-non-finite region")
        for key in ["mean", "std", "min", "max", "median"] {
            #expect(region1[key] is NSNull, "\(key) of a region with no finite voxel: \(String(describing: region1[key]))")
        }
        let region2 = try #require(found.last)
        let others = values.indices.filter { ![0, 3, 9, 14].contains($0) }.map { values[$0] }
        expectRegion(region2, matches: others, label: 2, percentiles: ["2", "50"], context: "nan_values label 2")
    }

    @Test func nonFiniteVoxelsAreCountedAndExcluded() throws {
        let doc = try runStats([nifti + "nan_values.nii", "--percentiles", "2,50,97.5"])
        let region = try #require(regions(doc).first)
        let values = recordedValues("nan_values.nii")
        #expect(values.filter { !$0.isFinite }.count == 3)
        // 21 finite voxels of 24 mm³: 0.504 mL; NaN, +inf and -inf excluded from every figure.
        #expect(region["voxels"] as? Int == 21)
        #expect(region["nan_voxels"] as? Int == 3)
        #expect(close(region["volume_ml"], 0.504, rel: 1e-12))
        expectRegion(region, matches: values, label: nil, percentiles: ["2", "50", "97.5"], context: "nan_values")
    }
}

// MARK: - voxdose stats

@Suite struct StatsContractTests {
    @Test func documentKeysWithoutLabels() throws {
        let doc = try runStats([statsImage])
        for key in ["schema", "voxdose_version", "image", "labels", "frame", "regions"] {
            #expect(doc.keys.contains(key), "missing key \(key)")
        }
        #expect((doc["image"] as? String)?.hasSuffix("stats_image.nii") == true, "\(String(describing: doc["image"]))")
        #expect(doc["labels"] is NSNull, "labels without --labels: \(String(describing: doc["labels"]))")
        let found = regions(doc)
        #expect(found.count == 1)
        let region = try #require(found.first)
        for key in regionKeys { #expect(region.keys.contains(key), "missing region key \(key)") }
        #expect(region["name"] is NSNull)
    }

    @Test func wholeVolumeFigures() throws {
        let doc = try runStats([statsImage])
        let values = recordedValues("stats_image.nii")
        #expect(values.count == 120)
        let region = try #require(regions(doc).first)
        // 120 voxels × 2·3·4 mm³ = 2.88 mL.
        #expect(close(region["volume_ml"], 2.88, rel: 1e-12))
        expectRegion(region, matches: values, label: nil, percentiles: defaultPercentiles, context: "stats_image")
    }

    @Test func percentilesAreKeyedAsWritten() throws {
        let doc = try runStats([statsImage, "--percentiles", "2,97.5,50,33.3"])
        let region = try #require(regions(doc).first)
        let keys = Set((region["percentiles"] as? [String: Any])?.keys.map { $0 } ?? [])
        #expect(keys == ["2", "97.5", "50", "33.3"], "\(keys)")
        expectRegion(region, matches: recordedValues("stats_image.nii"), label: nil,
                     percentiles: ["2", "97.5", "50", "33.3"], context: "stats_image percentiles")
    }

    @Test func percentileKeysAreTheTextAsWritten() throws {
        let written = ["02", "50.0", "97.50"]
        let doc = try runStats([statsImage, "--percentiles", written.joined(separator: ",")])
        let region = try #require(regions(doc).first)
        expectRegion(region, matches: recordedValues("stats_image.nii"), label: nil, percentiles: written,
                     context: "percentiles as written")
    }

    @Test func singlePercentile() throws {
        let doc = try runStats([statsImage, "--percentiles", "97.5"])
        let region = try #require(regions(doc).first)
        expectRegion(region, matches: recordedValues("stats_image.nii"), label: nil, percentiles: ["97.5"],
                     context: "stats_image --percentiles 97.5")
    }

    @Test func defaultPercentilesAreTheSynopsisList() throws {
        // The synopsis shows `[--percentiles 2,5,50,95,98]`: the list used when the option is absent.
        let doc = try runStats([statsImage])
        let keys = Set((regions(doc).first?["percentiles"] as? [String: Any])?.keys.map { $0 } ?? [])
        #expect(keys == Set(defaultPercentiles), "\(keys)")
    }

    @Test func regionsPerLabelAscendingAbsentNotListed() throws {
        let doc = try runStats([statsImage, "--labels", statsLabels])
        #expect((doc["labels"] as? String)?.hasSuffix("stats_labels.nii") == true, "\(String(describing: doc["labels"]))")
        let found = regions(doc)
        // Labels 1, 2, 3 and 7 are present; 5 is absent and 0 is background.
        #expect(generatedStats["absent_labels"] as? [Int] == [5])
        for region in found {
            for key in regionKeys { #expect(region.keys.contains(key), "missing region key \(key)") }
        }
        expectStatsLabelsRegions(doc, context: "stats_labels")
    }

    @Test func perLabelFiguresAgreeWithGeneratorRecord() throws {
        // Cross-check against the generator's own per-label sums (volume_mm3 / 1000 = mL).
        let doc = try runStats([statsImage, "--labels", statsLabels])
        let perLabel = try #require(generatedStats["per_label"] as? [String: [String: Any]])
        #expect(regions(doc).compactMap { $0["label"] as? Int } == perLabel.keys.compactMap { Int($0) }.sorted())
        for region in regions(doc) {
            let label = try #require(region["label"] as? Int)
            let record = try #require(perLabel[String(label)])
            #expect(region["voxels"] as? Int == record["count"] as? Int, "label \(label)")
            #expect(close(region["volume_ml"], (record["volume_mm3"] as! Double) / 1000, rel: 1e-12), "label \(label)")
            for key in ["sum", "mean", "min", "max"] {
                #expect(close(region[key], record[key], rel: 1e-12), "label \(label) \(key): \(String(describing: region[key]))")
            }
        }
    }

    @Test func scaledValuesAreUsed() throws {
        // raw = index; value = slope·raw + inter.
        let cases: [(String, (Double) -> Double)] = [
            ("scaled_int16.nii", { 0.5 * $0 - 3 }),
            ("gzip_int16_scaled.nii.gz", { 0.5 * $0 - 3 }),
            ("scaled_slope_one_inter.nii", { $0 + 100 }),
            ("big_endian_float64_scaled.nii.gz", { 0.25 * $0 + 1.5 }),
            ("scaled_slope_zero.nii", { $0 }),  // slope 0: no scaling
            ("scaled_slope_nan.nii", { $0 }),  // slope NaN: no scaling
        ]
        for (name, value) in cases {
            let doc = try runStats([nifti + name])
            let values = (0..<24).map { value(Double($0)) }
            expectRegion(try #require(regions(doc).first), matches: values, label: nil, percentiles: defaultPercentiles,
                         context: name)
        }
        // NIfTI-2 double slope 0.1, inter -3.3: values held as Float32, so compare loosely.
        let doc = try runStats([nifti + "nifti2_int16_scaled.nii.gz"])
        let region = try #require(regions(doc).first)
        #expect(close(region["mean"], 0.1 * 11.5 - 3.3, rel: 1e-6))
        #expect(close(region["min"], -3.3, rel: 1e-6))
        #expect(close(region["max"], 0.1 * 23 - 3.3, rel: 1e-6))
    }

    @Test(arguments: ["pair_int16.hdr", "pair_float32.hdr", "pair_gz.hdr.gz"])
    func statsReadsPairs(_ name: String) throws {
        let doc = try runStats([nifti + name])
        expectRegion(try #require(regions(doc).first), matches: (0..<24).map(Double.init), label: nil,
                     percentiles: defaultPercentiles, context: name)
    }

    @Test func nonIntegerLabelIsInputError() {
        let path = generatedStats["refuse_nonint"] as! [String: Any]
        #expect(path["path"] as? String == "nifti/stats_labels_nonint.nii")
        expectInputError(["stats", statsImage, "--labels", nifti + "stats_labels_nonint.nii"],
                         naming: ["stats_labels_nonint.nii"])
    }

    @Test func nanLabelIsInputError() throws {
        // NaN is not an integer label value.
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = try derived("stats_labels_float.nii", in: folder, as: "nan_label.nii") { data in
            putFloat(&data, 352 + 4 * 37, .nan)
        }
        expectInputError(["stats", statsImage, "--labels", labels], naming: ["nan_label.nii"])
    }

    @Test func infiniteLabelIsInputError() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = try derived("stats_labels_float.nii", in: folder, as: "inf_label.nii") { data in
            putFloat(&data, 352 + 4 * 37, .infinity)
        }
        expectInputError(["stats", statsImage, "--labels", labels], naming: ["inf_label.nii"])
    }

    @Test func negativeLabelsAreNonZeroRegionsInAscendingOrder() throws {
        // Labels -3, 0, 2, -1 repeating over dt_float32.nii (value = index).
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pattern: [Int16] = [-3, 0, 2, -1]
        let labels = try derived("dt_int16.nii", in: folder, as: "negative.nii") { data in
            for index in 0..<24 { putInt16(&data, 352 + 2 * index, pattern[index % 4]) }
        }
        let doc = try runStats([nifti + "dt_float32.nii", "--labels", labels, "--percentiles", "50"])
        let found = regions(doc)
        #expect(found.map { $0["label"] as? Int } == [-3, -1, 2])
        for region in found {
            guard let label = region["label"] as? Int else { continue }
            let values = (0..<24).filter { Int(pattern[$0 % 4]) == label }.map(Double.init)
            expectRegion(region, matches: values, label: label, percentiles: ["50"], context: "label \(label)")
        }
    }

    @Test func floatLabelsWithIntegerValuesWorkLikeInt16() throws {
        let asInt = try runStats([statsImage, "--labels", statsLabels, "--percentiles", "2,50,97.5"])
        let asFloat = try runStats([statsImage, "--labels", nifti + "stats_labels_float.nii", "--percentiles", "2,50,97.5"])
        expectStatsLabelsRegions(asFloat, percentiles: ["2", "50", "97.5"], context: "stats_labels_float")
        #expect(difference(regions(asFloat), regions(asInt), rel: 0) == nil,
                "\(difference(regions(asFloat), regions(asInt), rel: 0) ?? "")")
    }

    @Test func labelsOnAnotherGridAreRefused() {
        expectInputError(["stats", statsImage, "--labels", nifti + "stats_labels_othergrid.nii"],
                         naming: ["stats_labels_othergrid.nii"])
    }

    @Test func resampledLabelsReproduceSameGridLabels() throws {
        // The generator: "nearest-neighbour resampling onto the image grid reproduces
        // nifti/stats_labels.nii exactly" (other[i+1, j+1, k] = labels[i, j, k], centres coincide).
        let note = (generatedStats["refuse_othergrid"] as? [String: Any])?["note"] as? String ?? ""
        #expect(note.contains("exactly"))
        let resampled = try runStats([statsImage, "--labels", nifti + "stats_labels_othergrid.nii", "--resample-labels"])
        expectStatsLabelsRegions(resampled, context: "stats_labels_othergrid --resample-labels")
        let direct = try runStats([statsImage, "--labels", statsLabels])
        #expect(difference(regions(resampled), regions(direct), rel: 0) == nil,
                "\(difference(regions(resampled), regions(direct), rel: 0) ?? "")")
    }

    @Test func resampleLabelsOnTheSameGridChangesNothing() throws {
        let resampled = try runStats([statsImage, "--labels", statsLabels, "--resample-labels"])
        expectStatsLabelsRegions(resampled, context: "stats_labels --resample-labels")
    }
}

// MARK: - Geometry rule (ARCHITECTURE.md): sform, else qform, else diag(pixdim); 1e-3 mm

@Suite struct GeometryContractTests {
    /// stats_labels.nii's sform and qform both give diag(-2, 3, 4) + (10.5, -20.25, 30), as does
    /// stats_image.nii's sform. These edits move one of them.
    @Test func affinesWithinOneMicronAreTheSameGrid() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = try derived("stats_labels.nii", in: folder, as: "tiny_shift.nii") { data in
            putFloat(&data, srowXOffset + 12, 10.5005)  // 0.0005 mm, under the 1e-3 mm tolerance
        }
        let doc = try runStats([statsImage, "--labels", labels])
        expectStatsLabelsRegions(doc, context: "labels shifted 0.0005 mm")
    }

    @Test func affinesFurtherApartAreAnotherGrid() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = try derived("stats_labels.nii", in: folder, as: "shifted.nii") { data in
            putFloat(&data, srowXOffset + 12, 10.52)  // 0.02 mm
        }
        expectInputError(["stats", statsImage, "--labels", labels], naming: ["shifted.nii"])
        let spacing = try derived("stats_labels.nii", in: folder, as: "spacing.nii") { data in
            putFloat(&data, srowXOffset + 20, 3.01)  // srow_y[1]: y spacing 3.01 mm
        }
        expectInputError(["stats", statsImage, "--labels", spacing], naming: ["spacing.nii"])
    }

    @Test func sformWinsOverQform() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // sform_code 1 and the right srow; the qform offset is a decoy.
        let labels = try derived("stats_labels.nii", in: folder, as: "qform_decoy.nii") { data in
            putFloat(&data, qoffsetXOffset, 99.0)
        }
        let doc = try runStats([statsImage, "--labels", labels])
        expectStatsLabelsRegions(doc, context: "qform decoy")
    }

    @Test func qformIsUsedWhenSformCodeIsZero() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // sform_code 0 with a decoy srow: the qform (same grid as the image) applies.
        let labels = try derived("stats_labels.nii", in: folder, as: "sform_off.nii") { data in
            putInt16(&data, sformCodeOffset, 0)
            putFloat(&data, srowXOffset + 12, 99.0)
        }
        let doc = try runStats([statsImage, "--labels", labels])
        expectStatsLabelsRegions(doc, context: "sform_code 0")
        let info = try runInfo(labels)
        #expect(info["affine_source"] as? String == "qform")
    }

    @Test func pixdimIsUsedWhenBothCodesAreZero() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Both codes 0: affine diag(2, 3, 4) with zero offset, which is another grid.
        let labels = try derived("stats_labels.nii", in: folder, as: "codes_off.nii") { data in
            putInt16(&data, sformCodeOffset, 0)
            putInt16(&data, qformCodeOffset, 0)
        }
        expectInputError(["stats", statsImage, "--labels", labels], naming: ["codes_off.nii"])
        let info = try runInfo(labels)
        #expect(info["affine_source"] as? String == "pixdim")
        let affine = info["affine"] as? [[Double]] ?? []
        #expect(affine == [[2, 0, 0, 0], [0, 3, 0, 0], [0, 0, 4, 0], [0, 0, 0, 1]], "\(affine)")
    }
}

// MARK: - --format csv

@Suite struct CSVContractTests {
    private func csvAndJSON(_ args: [String]) throws -> (rows: [[String]], doc: [String: Any]) {
        let csv = voxdose(["stats"] + args + ["--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let doc = try runStats(args)
        let explicitJSON = try runStats(args + ["--format", "json"])
        #expect(difference(regions(explicitJSON), regions(doc), rel: 0) == nil)
        return (parseCSV(csv.stdout), doc)
    }

    /// Every region key (nested percentiles joined with `_`) has a column whose cells match the JSON.
    private func expectRowsMatch(_ rows: [[String]], _ doc: [String: Any], percentiles: [String],
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let header = try #require(rows.first, sourceLocation: sourceLocation)
        let body = Array(rows.dropFirst())
        let jsonRegions = regions(doc)
        #expect(body.count == jsonRegions.count, "\(body.count) rows for \(jsonRegions.count) regions", sourceLocation: sourceLocation)
        let columns = regionKeys.filter { $0 != "percentiles" } + percentiles.map { "percentiles_" + $0 }
        for column in columns {
            #expect(header.contains(column), "no column \(column) in \(header)", sourceLocation: sourceLocation)
        }
        for row in body { #expect(row.count == header.count, "row \(row) vs header \(header)", sourceLocation: sourceLocation) }
        for (row, region) in zip(body, jsonRegions) {
            for column in columns {
                guard let index = header.firstIndex(of: column), index < row.count else { continue }
                let cell = row[index]
                let value: Any? = column.hasPrefix("percentiles_")
                    ? (region["percentiles"] as? [String: Any])?[String(column.dropFirst("percentiles_".count))]
                    : region[column]
                switch value {
                case nil, is NSNull:
                    #expect(cell.isEmpty, "\(column): null should be an empty cell, found \"\(cell)\"", sourceLocation: sourceLocation)
                case let string as String:
                    #expect(cell == string, "\(column): \"\(cell)\" vs \"\(string)\"", sourceLocation: sourceLocation)
                case let number as NSNumber:
                    #expect(close(Double(cell), number.doubleValue, rel: 1e-9, abs: 1e-12),
                            "\(column): \"\(cell)\" vs \(number)", sourceLocation: sourceLocation)
                default:
                    Issue.record("\(column): unexpected JSON value \(String(describing: value))", sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test func labelledCSV() throws {
        let args = [statsImage, "--labels", statsLabels, "--percentiles", "2,50,97.5"]
        let (rows, doc) = try csvAndJSON(args)
        expectStatsLabelsRegions(doc, percentiles: ["2", "50", "97.5"], context: "json twin of csv")
        try expectRowsMatch(rows, doc, percentiles: ["2", "50", "97.5"])
        // The label column, read from the CSV itself.
        let header = try #require(rows.first)
        let labelColumn = try #require(header.firstIndex(of: "label"))
        #expect(rows.dropFirst().map { $0.count > labelColumn ? $0[labelColumn] : "?" } == ["1", "2", "3", "7"])
        #expect(header.contains("percentiles_97.5") && header.contains("percentiles_50"), "\(header)")
    }

    @Test func wholeVolumeCSVHasEmptyLabelCell() throws {
        let (rows, doc) = try csvAndJSON([statsImage])
        #expect(rows.count == 2, "\(rows)")
        try expectRowsMatch(rows, doc, percentiles: defaultPercentiles)
        let header = try #require(rows.first)
        let labelColumn = try #require(header.firstIndex(of: "label"))
        #expect(rows.last?[labelColumn] == "", "label of the whole volume is null: empty cell")
        let nameColumn = try #require(header.firstIndex(of: "name"))
        #expect(rows.last?[nameColumn] == "")
    }

    @Test func nullFiguresAreEmptyCells() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = try derived("dt_int16.nii", in: folder, as: "nan_labels.nii") { data in
            for index in 0..<24 { putInt16(&data, 352 + 2 * index, [3, 9, 14].contains(index) ? 1 : 2) }
        }
        let args = [nifti + "nan_values.nii", "--labels", labels, "--percentiles", "50"]
        let (rows, doc) = try csvAndJSON(args)
        try expectRowsMatch(rows, doc, percentiles: ["50"])
        let header = try #require(rows.first)
        for column in ["mean", "std", "min", "max", "median", "percentiles_50"] {
            let index = try #require(header.firstIndex(of: column))
            #expect(rows.count > 1 && rows[1].count > index && rows[1][index] == "", "\(column) of the all-NaN region")
        }
    }
}

// MARK: - --out and no partial outputs

@Suite struct OutputContractTests {
    @Test func outWritesTheFileAndNothingOnStdout() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stats.json")
        let run = voxdose(["stats", statsImage, "--labels", statsLabels, "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty, "stdout with --out: \(run.stdout.prefix(200))")
        #expect(listing(folder) == ["stats.json"], "folder holds \(listing(folder))")
        let data = try Data(contentsOf: out)
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(doc["schema"] as? String == "voxdose.stats/1")
        expectStatsLabelsRegions(doc, context: "--out file")
    }

    @Test func outWritesCSV() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stats.csv")
        let run = voxdose(["stats", statsImage, "--labels", statsLabels, "--format", "csv", "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(listing(folder) == ["stats.csv"], "folder holds \(listing(folder))")
        let rows = parseCSV(try String(contentsOf: out, encoding: .utf8))
        #expect(rows.count == 5)
        #expect(rows.first?.contains("percentiles_50") == true)
    }

    @Test func outReplacesAnExistingFile() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stats.json")
        try Data("old".utf8).write(to: out)
        let run = voxdose(["stats", statsImage, "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(listing(folder) == ["stats.json"], "folder holds \(listing(folder))")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any]
        #expect(doc?["schema"] as? String == "voxdose.stats/1")
    }

    /// A copy of stats_image.nii (and stats_labels.nii) in a fresh folder, with a subfolder,
    /// a symbolic link, a hard link and a linked folder pointing at it.
    private func inputFolder() throws -> (folder: URL, image: URL, bytes: Data) {
        let folder = temporaryFolder()
        let image = folder.appendingPathComponent("img.nii")
        let bytes = try Data(contentsOf: packageRoot.appendingPathComponent(statsImage))
        try bytes.write(to: image)
        try Data(contentsOf: packageRoot.appendingPathComponent(statsLabels)).write(to: folder.appendingPathComponent("lab.nii"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("link.nii").path, withDestinationPath: "img.nii")
        try FileManager.default.linkItem(at: image, to: folder.appendingPathComponent("hard.nii"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("dirlink").path, withDestinationPath: folder.path)
        return (folder, image, bytes)
    }

    @Test(arguments: ["img.nii", "./img.nii", "sub/../img.nii", "sub/./../img.nii", "link.nii", "hard.nii", "dirlink/img.nii"])
    func outSameAsInputIsRefused(_ relative: String) throws {
        let (folder, image, bytes) = try inputFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = listing(folder)
        let out = folder.path + "/" + relative
        expectInputError(["stats", image.path, "--out", out], naming: ["img.nii", (relative as NSString).lastPathComponent])
        #expect(try Data(contentsOf: image) == bytes, "input changed by --out \(relative)")
        #expect(listing(folder) == before, "folder now holds \(listing(folder)), before \(before)")
        #expect(listing(folder.appendingPathComponent("sub")).isEmpty)
        let link = try? FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("link.nii").path)
        #expect(link == "img.nii", "link.nii replaced")
    }

    @Test(arguments: ["img.nii", "link.nii", "./img.nii"])
    func outSameAsInputIsRefusedAsCSV(_ relative: String) throws {
        let (folder, image, bytes) = try inputFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = listing(folder)
        expectInputError(["stats", image.path, "--format", "csv", "--out", folder.path + "/" + relative],
                         naming: ["img.nii", (relative as NSString).lastPathComponent])
        #expect(try Data(contentsOf: image) == bytes)
        #expect(listing(folder) == before)
    }

    @Test func outSameAsInputGivenThroughALinkIsRefused() throws {
        // The input named through the symbolic link, the output by its real name.
        let (folder, image, bytes) = try inputFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = listing(folder)
        expectInputError(["stats", folder.appendingPathComponent("link.nii").path, "--out", image.path],
                         naming: ["img.nii", "link.nii"])
        #expect(try Data(contentsOf: image) == bytes)
        #expect(listing(folder) == before)
    }

    @Test(arguments: ["lab.nii", "./lab.nii", "sub/../lab.nii"])
    func outSameAsLabelsIsRefused(_ relative: String) throws {
        let (folder, image, _) = try inputFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let labels = folder.appendingPathComponent("lab.nii")
        let labelBytes = try Data(contentsOf: labels)
        let before = listing(folder)
        expectInputError(["stats", image.path, "--labels", labels.path, "--out", folder.path + "/" + relative],
                         naming: ["lab.nii"])
        #expect(try Data(contentsOf: labels) == labelBytes, "labels changed")
        #expect(listing(folder) == before)
    }

    @Test func outSameAsInputByRelativeAndAbsolutePathIsRefused() throws {
        // The runner works in the package root: name the temporary input relative to it.
        let (folder, image, bytes) = try inputFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = listing(folder)
        let up = String(repeating: "../", count: packageRoot.standardizedFileURL.pathComponents.count - 1)
        let relative = up + image.path.dropFirst()  // e.g. ../../tmp/voxdose-out-…/img.nii
        #expect(FileManager.default.fileExists(atPath: packageRoot.path + "/" + relative))
        expectInputError(["stats", relative, "--out", image.path], naming: ["img.nii"])
        expectInputError(["stats", image.path, "--out", relative], naming: ["img.nii"])
        #expect(try Data(contentsOf: image) == bytes)
        #expect(listing(folder) == before)
    }

    @Test func outThatIsAFolderIsRefused() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sub = folder.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        expectInputError(["stats", statsImage, "--out", sub.path], naming: ["sub"])
        #expect(listing(folder) == ["sub"], "folder holds \(listing(folder))")
        #expect(listing(sub).isEmpty, "sub holds \(listing(sub))")
    }

    @Test func outIntoMissingFolderIsRefused() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("missing/stats.json")
        expectInputError(["stats", statsImage, "--out", out.path], naming: ["missing", "stats.json"])
        #expect(listing(folder).isEmpty, "folder holds \(listing(folder))")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let csv = folder.appendingPathComponent("missing/deeper/stats.csv")
        expectInputError(["stats", statsImage, "--format", "csv", "--out", csv.path], naming: ["missing", "stats.csv"])
        #expect(listing(folder).isEmpty, "folder holds \(listing(folder))")
    }

    @Test func refusedRunWritesNothing() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stats.json").path
        expectInputError(["stats", "Fixtures/malformed/truncated_data.nii", "--out", out], naming: ["truncated_data.nii"])
        expectInputError(["stats", nifti + "frames_4d.nii", "--out", out], naming: ["frames_4d.nii"])
        expectInputError(["stats", nifti + "frames_4d.nii", "--frame", "3", "--out", out], naming: ["frames_4d.nii"])
        expectInputError(["stats", statsImage, "--labels", nifti + "stats_labels_nonint.nii", "--out", out],
                         naming: ["stats_labels_nonint.nii"])
        expectInputError(["stats", statsImage, "--labels", nifti + "stats_labels_othergrid.nii", "--format", "csv", "--out", out],
                         naming: ["stats_labels_othergrid.nii"])
        expectUsageError(["stats", statsImage, "--percentiles", "101", "--out", out])
        #expect(listing(folder).isEmpty, "folder holds \(listing(folder))")
    }

    @Test func refusedRunLeavesAnExistingOutputAlone() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stats.json")
        let old = Data("previous result".utf8)
        try old.write(to: out)
        expectInputError(["stats", nifti + "frames_4d.nii", "--out", out.path], naming: ["frames_4d.nii"])
        #expect(try Data(contentsOf: out) == old)
        #expect(listing(folder) == ["stats.json"])
    }
}

// MARK: - voxdose info

@Suite struct InfoContractTests {
    static let keys = ["path", "format", "compressed", "byte_order", "dim", "datatype", "datatype_code", "spacing_mm",
                       "affine", "affine_source", "qform_code", "sform_code", "scl_slope", "scl_inter", "description"]

    static let files = [
        "dt_uint8.nii", "dt_int64.nii", "dt_uint64.nii", "dt_float64.nii", "gzip_float32.nii.gz", "gzip_multimember.nii.gz",
        "big_endian_int16.nii", "big_endian_float32.nii", "big_endian_float64_scaled.nii.gz", "nifti2_float32.nii",
        "nifti2_int16_scaled.nii.gz", "nifti2_big_endian.nii", "qform_only.nii", "sform_only.nii", "pixdim_only.nii",
        "scaled_int16.nii", "scaled_slope_zero.nii", "scaled_slope_nan.nii", "frames_4d.nii", "single_frame_4d.nii",
        "twod.nii", "units_meter.nii", "units_micron.nii", "units_unknown.nii", "descrip_80.nii", "extension_comment.nii",
        "nan_values.nii", "pair_int16.hdr", "pair_float32.hdr", "pair_gz.hdr.gz",
    ]

    @Test(arguments: files)
    func infoAgreesWithGeneratorRecord(_ name: String) throws {
        let doc = try runInfo(nifti + name)
        let record = entry(name)
        #expect(doc["schema"] as? String == "voxdose.info/1")
        for key in Self.keys { #expect(doc.keys.contains(key), "\(name): missing key \(key)") }
        #expect((doc["path"] as? String)?.hasSuffix(name) == true, "\(name): path \(String(describing: doc["path"]))")
        for key in Self.keys where key != "path" && key != "affine" {
            let found = difference(doc[key], record[key], path: key, rel: 1e-6)
            #expect(found == nil, "\(name): \(found ?? "")")
        }
        // dim has dim[0] entries; the affine is 4×4 and matches within 1e-4 mm.
        #expect((doc["dim"] as? [Int])?.count == (record["dim"] as! [Int]).count)
        let affine = doc["affine"] as? [[Double]] ?? []
        let expectedAffine = record["affine"] as! [[Double]]
        #expect(affine.count == 4 && affine.allSatisfy { $0.count == 4 }, "\(name): affine \(affine)")
        #expect(zip(affine.joined(), expectedAffine.joined()).allSatisfy { abs($0 - $1) <= 1e-4 },
                "\(name): affine \(affine), expected \(expectedAffine)")
        // Booleans are JSON booleans, not 0/1.
        #expect(doc["compressed"] as? Bool == record["compressed"] as? Bool)
        let text = voxdose(["info", nifti + name]).stdout
        #expect(text.contains("\"compressed\":true") || text.contains("\"compressed\":false")
                    || text.contains("\"compressed\" : true") || text.contains("\"compressed\" : false")
                    || text.contains("\"compressed\": true") || text.contains("\"compressed\": false"),
                "\(name): compressed is not a JSON boolean")
    }

    @Test func compressedByteOrderAndFormat() throws {
        // By hand: what each name says.
        #expect(try runInfo(nifti + "gzip_float32.nii.gz")["compressed"] as? Bool == true)
        #expect(try runInfo(nifti + "dt_float32.nii")["compressed"] as? Bool == false)
        #expect(try runInfo(nifti + "pair_int16.hdr")["compressed"] as? Bool == false)
        for name in ["big_endian_int16.nii", "big_endian_float32.nii", "big_endian_float64_scaled.nii.gz", "nifti2_big_endian.nii"] {
            #expect(try runInfo(nifti + name)["byte_order"] as? String == "big", "\(name)")
        }
        #expect(try runInfo(nifti + "dt_int16.nii")["byte_order"] as? String == "little")
        for name in ["nifti2_float32.nii", "nifti2_int16_scaled.nii.gz", "nifti2_big_endian.nii"] {
            #expect(try runInfo(nifti + name)["format"] as? String == "nifti2", "\(name)")
        }
        #expect(try runInfo(nifti + "dt_int16.nii")["format"] as? String == "nifti1")
    }

    @Test func datatypeNames() throws {
        let names: [(String, String, Int)] = [
            ("uint8", "uint8", 2), ("int8", "int8", 256), ("int16", "int16", 4), ("uint16", "uint16", 512),
            ("int32", "int32", 8), ("uint32", "uint32", 768), ("int64", "int64", 1024), ("uint64", "uint64", 1280),
            ("float32", "float32", 16), ("float64", "float64", 64),
        ]
        for (file, name, code) in names {
            let doc = try runInfo(nifti + "dt_\(file).nii")
            #expect(doc["datatype"] as? String == name)
            #expect(doc["datatype_code"] as? Int == code)
        }
    }

    @Test func affineSources() throws {
        #expect(try runInfo(nifti + "sform_only.nii")["affine_source"] as? String == "sform")
        #expect(try runInfo(nifti + "qform_only.nii")["affine_source"] as? String == "qform")
        #expect(try runInfo(nifti + "pixdim_only.nii")["affine_source"] as? String == "pixdim")
        #expect(try runInfo(nifti + "dt_float32.nii")["affine_source"] as? String == "sform")  // both codes 1

        // pixdim: diag(2, 3, 4) with zero offset (decoys in srow and quatern ignored).
        let pixdim = try runInfo(nifti + "pixdim_only.nii")
        #expect(pixdim["affine"] as? [[Double]] == [[2, 0, 0, 0], [0, 3, 0, 0], [0, 0, 4, 0], [0, 0, 0, 1]])

        // sform: the srow rows as written (float32).
        let sform = try runInfo(nifti + "sform_only.nii")
        let srow: [[Double]] = [[-1.9, 0.3, 0.2, 12.5], [0.25, 2.8, -0.5, -7.75], [0.1, 0.4, 3.9, 22.0], [0, 0, 0, 1]]
            .map { $0.map { Double(Float($0)) } }
        let foundS = sform["affine"] as? [[Double]] ?? []
        #expect(zip(foundS.joined(), srow.joined()).allSatisfy { abs($0 - $1) <= 1e-6 } && foundS.count == 4, "\(foundS)")
        #expect(sform["sform_code"] as? Int == 2 && sform["qform_code"] as? Int == 0)

        // qform: quaternion (b, c, d) = (0.1, -0.2, 0.3), qfac -1, pixdim (2, 3, 4), offset (-35.5, 12.25, 48).
        let (b, c, d) = (Double(Float(0.1)), Double(Float(-0.2)), Double(Float(0.3)))
        let a = (1 - b * b - c * c - d * d).squareRoot()
        let r: [[Double]] = [
            [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
            [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
            [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
        ]
        let scale = [2.0, 3.0, -4.0]
        let offset = [-35.5, 12.25, 48.0]
        let qform = (0..<3).map { i in (0..<3).map { j in r[i][j] * scale[j] } + [offset[i]] } + [[0, 0, 0, 1]]
        let foundQ = try runInfo(nifti + "qform_only.nii")["affine"] as? [[Double]] ?? []
        #expect(foundQ.count == 4 && zip(foundQ.joined(), qform.joined()).allSatisfy { abs($0 - $1) <= 1e-5 },
                "\(foundQ), expected \(qform)")
    }

    @Test func scalingIsNullWhenNotApplied() throws {
        for name in ["scaled_slope_zero.nii", "scaled_slope_nan.nii", "frames_4d.nii", "nan_values.nii"] {
            let doc = try runInfo(nifti + name)
            #expect(doc["scl_slope"] is NSNull, "\(name): scl_slope \(String(describing: doc["scl_slope"]))")
            #expect(doc["scl_inter"] is NSNull, "\(name): scl_inter \(String(describing: doc["scl_inter"]))")
        }
        let scaled = try runInfo(nifti + "scaled_int16.nii")
        #expect(scaled["scl_slope"] as? Double == 0.5 && scaled["scl_inter"] as? Double == -3)
        let n2 = try runInfo(nifti + "nifti2_int16_scaled.nii.gz")
        #expect(close(n2["scl_slope"], 0.1, rel: 1e-12) && close(n2["scl_inter"], -3.3, rel: 1e-12),
                "NIfTI-2 doubles: \(String(describing: n2["scl_slope"])) \(String(describing: n2["scl_inter"]))")
    }

    @Test func spacingIsConvertedToMillimetres() throws {
        for name in ["units_meter.nii", "units_micron.nii", "units_unknown.nii", "dt_float32.nii"] {
            let doc = try runInfo(nifti + name)
            let spacing = doc["spacing_mm"] as? [Double] ?? []
            #expect(spacing.count == 3 && zip(spacing, [2.0, 3.0, 4.0]).allSatisfy { abs($0 - $1) <= 1e-5 },
                    "\(name): spacing_mm \(spacing)")
            let affine = doc["affine"] as? [[Double]] ?? []
            let mm: [[Double]] = [[-2, 0, 0, 10.5], [0, 3, 0, -20.25], [0, 0, 4, 30], [0, 0, 0, 1]]
            #expect(affine.count == 4 && zip(affine.joined(), mm.joined()).allSatisfy { abs($0 - $1) <= 1e-4 },
                    "\(name): affine \(affine)")
        }
    }

    @Test func dimHasDimZeroEntries() throws {
        #expect(try runInfo(nifti + "twod.nii")["dim"] as? [Int] == [4, 3])
        #expect(try runInfo(nifti + "dt_int16.nii")["dim"] as? [Int] == [4, 3, 2])
        #expect(try runInfo(nifti + "frames_4d.nii")["dim"] as? [Int] == [4, 3, 2, 3])
        #expect(try runInfo(statsImage)["dim"] as? [Int] == [6, 5, 4])
    }

    @Test func descriptionStopsAtEightyBytes() throws {
        let doc = try runInfo(nifti + "descrip_80.nii")
        #expect(doc["description"] as? String == "VoxDose fixture descrip_80.nii: this description fills all eighty bytes, no NUL!")
    }

    @Test(arguments: ["pair_int16.hdr", "pair_float32.hdr", "pair_gz.hdr.gz"])
    func infoOnEachPairHeader(_ name: String) throws {
        let doc = try runInfo(nifti + name)
        #expect(doc["dim"] as? [Int] == [4, 3, 2])
        #expect(doc["format"] as? String == "nifti1")
        #expect(doc["datatype"] as? String == (name == "pair_float32.hdr" ? "float32" : "int16"))
        #expect(doc["compressed"] as? Bool == (name != "pair_int16.hdr"), "\(name): image data gzipped?")
        #expect((doc["path"] as? String)?.hasSuffix(name) == true)
    }
}
