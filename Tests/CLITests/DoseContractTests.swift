import Foundation
import Testing

// Black-box tests of `voxdose dose` against /work/shared/CONTRACT.md ("Conventions for every
// command", "voxdose dose PET --out DOSE", "Sidecar keys read") and REFERENCE.md §1 and §6.
// Every input volume is written here (NIfTI-1, little-endian, float32 or int16, sform_code 1 with
// a diagonal affine); every expected number is computed here from the contract's formulas, and the
// written dose maps are read back byte by byte. Nothing is pasted from the tool's output.

// MARK: - Physics the contract fixes

/// REFERENCE §1: LDM conversion factor K (J/GBq) and the 90Y half-life (h), the defaults.
private let defaultDoseFactor = 49.67
private let defaultHalfLifeH = 64.05

/// 2^(Δt/T½): the factor that brings values at t_ref back to t0.
private func decayFactor(hours: Double, halfLifeH: Double = defaultHalfLifeH) -> Double {
    pow(2, hours / halfLifeH)
}

/// LDM dose (Gy) of a concentration in Bq/mL at t0: K · C[MBq/mL] / ρ.
private func ldm(_ bqPerML: Double, density: Double, doseFactor: Double = defaultDoseFactor) -> Double {
    doseFactor * bqPerML * 1e-6 / density
}

// MARK: - NIfTI-1 writer (header layout of /usr/include/nifti/nifti1.h)

/// A 3-D (or 4-D) grid with a diagonal affine; x fastest in the data.
struct Grid {
    var dims: [Int]
    var spacing: [Double] = [2, 2, 2]
    var origin: [Double] = [0, 0, 0]
    var flipX = false

    var voxelCount: Int { dims.prefix(3).reduce(1, *) }
    var voxelML: Double { spacing.reduce(1, *) / 1000 }
    /// The three sform rows as written (float32).
    var srow: [[Float]] {
        [[Float(flipX ? -spacing[0] : spacing[0]), 0, 0, Float(origin[0])],
         [0, Float(spacing[1]), 0, Float(origin[1])],
         [0, 0, Float(spacing[2]), Float(origin[2])]]
    }
    func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + dims[0] * (j + dims[1] * k) }
}

func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
func littleEndian(_ value: Float) -> [UInt8] { littleEndian(value.bitPattern) }

/// 348-byte header + 4 zero bytes (no extension) + data. float32 (datatype 16) or int16 (4).
func niftiBytes(_ grid: Grid, _ values: [Float], int16: Bool = false) -> Data {
    precondition(values.count == grid.dims.reduce(1, *), "value count does not match the grid")
    var header = [UInt8](repeating: 0, count: 352)
    func put(_ offset: Int, _ bytes: [UInt8]) { header.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
    put(0, littleEndian(Int32(348)))                      // sizeof_hdr
    header[38] = UInt8(ascii: "r")                        // regular
    var dim = [Int16](repeating: 1, count: 8)
    dim[0] = Int16(grid.dims.count)
    for (n, d) in grid.dims.enumerated() { dim[n + 1] = Int16(d) }
    for n in 0..<8 { put(40 + 2 * n, littleEndian(dim[n])) }   // dim[8]
    put(70, littleEndian(Int16(int16 ? 4 : 16)))          // datatype
    put(72, littleEndian(Int16(int16 ? 16 : 32)))         // bitpix
    var pixdim = [Float](repeating: 0, count: 8)
    pixdim[0] = 1                                         // qfac
    for n in 0..<3 { pixdim[n + 1] = Float(grid.spacing[n]) }
    if grid.dims.count > 3 { pixdim[4] = 1 }
    for n in 0..<8 { put(76 + 4 * n, littleEndian(pixdim[n])) }
    put(108, littleEndian(Float(352)))                    // vox_offset
    put(112, littleEndian(Float(1)))                      // scl_slope
    put(116, littleEndian(Float(0)))                      // scl_inter
    header[123] = 2 | 8                                   // xyzt_units: mm, s
    put(252, littleEndian(Int16(0)))                      // qform_code
    put(254, littleEndian(Int16(1)))                      // sform_code (scanner)
    for r in 0..<3 { for c in 0..<4 { put(280 + 16 * r + 4 * c, littleEndian(grid.srow[r][c])) } }
    put(344, Array("n+1".utf8) + [0])                     // magic
    var data = Data(header)
    data.reserveCapacity(352 + values.count * 4)
    for v in values {
        data.append(contentsOf: int16 ? littleEndian(Int16(v)) : littleEndian(v))
    }
    return data
}

// MARK: - NIfTI reader for the written dose maps (NIfTI-1 or -2, either byte order, uncompressed)

struct NIfTIContent {
    var version: Int
    var dims: [Int]            // dim[1...dim[0]]
    var datatype: Int
    var sformCode: Int
    var srow: [[Double]]
    var values: [Double]       // scaled: slope·raw + inter when slope is set
}

struct NIfTIReadError: Error, CustomStringConvertible { var description: String }

func readNIfTI(_ path: String) throws -> NIfTIContent {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    guard bytes.count >= 348 else { throw NIfTIReadError(description: "\(path): \(bytes.count) bytes") }
    func raw(_ offset: Int, _ size: Int, big: Bool) -> UInt64 {
        var v: UInt64 = 0
        for n in 0..<size { v |= UInt64(bytes[offset + n]) << (8 * UInt64(big ? size - 1 - n : n)) }
        return v
    }
    let first = UInt32(truncatingIfNeeded: raw(0, 4, big: false))
    let version: Int, big: Bool
    switch first {
    case 348: (version, big) = (1, false)
    case UInt32(348).byteSwapped: (version, big) = (1, true)
    case 540: (version, big) = (2, false)
    case UInt32(540).byteSwapped: (version, big) = (2, true)
    default: throw NIfTIReadError(description: "\(path): sizeof_hdr \(first)")
    }
    func i16(_ o: Int) -> Int { Int(Int16(bitPattern: UInt16(truncatingIfNeeded: raw(o, 2, big: big)))) }
    func i32(_ o: Int) -> Int { Int(Int32(bitPattern: UInt32(truncatingIfNeeded: raw(o, 4, big: big)))) }
    func i64(_ o: Int) -> Int { Int(Int64(bitPattern: raw(o, 8, big: big))) }
    func f32(_ o: Int) -> Double { Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw(o, 4, big: big)))) }
    func f64(_ o: Int) -> Double { Double(bitPattern: raw(o, 8, big: big)) }

    let dims: [Int], datatype: Int, voxOffset: Int, slope: Double, inter: Double, sformCode: Int, srow: [[Double]]
    if version == 1 {
        let nd = i16(40)
        dims = (1...max(nd, 1)).map { i16(40 + 2 * $0) }
        datatype = i16(70)
        voxOffset = Int(f32(108))
        (slope, inter) = (f32(112), f32(116))
        sformCode = i16(254)
        srow = (0..<3).map { r in (0..<4).map { c in f32(280 + 16 * r + 4 * c) } }
    } else {
        let nd = i64(16)
        dims = (1...max(nd, 1)).map { i64(16 + 8 * $0) }
        datatype = i16(12)
        voxOffset = i64(168)
        (slope, inter) = (f64(176), f64(184))
        sformCode = i32(348)
        srow = (0..<3).map { r in (0..<4).map { c in f64(400 + 32 * r + 8 * c) } }
    }
    let count = dims.reduce(1, *)
    let size: Int
    switch datatype {
    case 16: size = 4
    case 64: size = 8
    case 4: size = 2
    default: throw NIfTIReadError(description: "\(path): datatype \(datatype) not read by this test")
    }
    guard voxOffset >= 348, bytes.count >= voxOffset + count * size else {
        throw NIfTIReadError(description: "\(path): \(bytes.count) bytes for \(count) voxels at \(voxOffset)")
    }
    var values = [Double](repeating: 0, count: count)
    for n in 0..<count {
        let o = voxOffset + n * size
        switch datatype {
        case 16: values[n] = f32(o)
        case 64: values[n] = f64(o)
        default: values[n] = Double(i16(o))
        }
    }
    if slope.isFinite && slope != 0 && !(slope == 1 && inter == 0) {
        values = values.map { slope * $0 + inter }
    }
    return NIfTIContent(version: version, dims: dims, datatype: datatype, sformCode: sformCode, srow: srow, values: values)
}

// MARK: - Workspace: a temporary folder with generated inputs

final class Workspace {
    let folder: URL = temporaryFolder()
    deinit { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    var out: String { path("dose.nii") }

    @discardableResult
    func volume(_ name: String, _ grid: Grid, _ values: [Float], int16: Bool = false) throws -> String {
        let p = path(name)
        try niftiBytes(grid, values, int16: int16).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// A uniform PET image (default 4×4×4 voxels of 2 mm).
    func uniform(_ value: Float, grid: Grid = Grid(dims: [4, 4, 4]), name: String = "pet.nii") throws -> String {
        try volume(name, grid, [Float](repeating: value, count: grid.dims.reduce(1, *)))
    }

    @discardableResult
    func json(_ name: String, _ object: [String: Any]) throws -> String {
        let p = path(name)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: p))
        return p
    }

    var listing: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() }
}

// MARK: - Sidecars

private func fixtureSidecar(_ name: String) throws -> [String: Any] {
    try loadJSON("Fixtures/sidecars/" + name)
}

/// The dcm2niix fixture with a scan start (`AcquisitionDateTime`, `AcquisitionTime`, `SeriesDate`,
/// `SeriesTime`, all agreeing) and an implant clock time (`RadiopharmaceuticalStartTime`, nil to drop it).
private func dcm2niixSidecar(scan: String = "2026-03-02T15:41:00", implantClock: String? = "09:41:00",
                             set: [String: Any] = [:], remove: [String] = []) throws -> [String: Any] {
    var s = try fixtureSidecar("dcm2niix_y90.json")
    let parts = scan.split(separator: "T").map(String.init)
    s["AcquisitionDateTime"] = scan + ".000000"
    s["AcquisitionTime"] = parts[1] + ".000000"
    s["SeriesDate"] = parts[0]
    s["SeriesTime"] = parts[1] + ".000000"
    if let implantClock { s["RadiopharmaceuticalStartTime"] = implantClock + ".000000" } else {
        s.removeValue(forKey: "RadiopharmaceuticalStartTime")
    }
    for (k, v) in set { s[k] = v }
    for k in remove { s.removeValue(forKey: k) }
    return s
}

// MARK: - Running the command

private func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

private func number(_ doc: [String: Any], _ key: String) -> Double? { (doc[key] as? NSNumber)?.doubleValue }

private func approx(_ a: Double?, _ b: Double, rel: Double = 1e-6, abs: Double = 0) -> Bool {
    guard let a else { return false }
    return Swift.abs(a - b) <= rel * max(Swift.abs(a), Swift.abs(b)) + abs
}

private struct DoseRun {
    var run: RunResult
    var doc: [String: Any]
    var file: NIfTIContent
    var dose: [Double] { file.values }
}

/// Runs `voxdose dose PET --out OUT args…`, requires exit 0 and one JSON object on stdout, and reads
/// the written map back.
private func runDose(_ pet: String, out: String, _ args: [String],
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> DoseRun {
    let run = voxdose(["dose", pet, "--out", out] + args)
    try #require(run.status == 0, "dose \(args): exit \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    let doc = try #require(jsonObject(run.stdout), "dose \(args): stdout is not one JSON object: \(run.stdout.prefix(300))",
                           sourceLocation: sourceLocation)
    let file = try readNIfTI(out)
    return DoseRun(run: run, doc: doc, file: file)
}

/// Exit 64, the usage line on stderr, nothing on stdout, nothing written.
@discardableResult
private func expectDoseUsageError(_ ws: Workspace, _ pet: String, _ args: [String],
                                  sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
    let before = ws.listing
    let run = voxdose(["dose", pet, "--out", ws.out] + args)
    #expect(run.status == 64, "\(args): exit \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.lowercased().contains("usage"), "\(args): no usage line in stderr: \(run.stderr)",
            sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout: \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
    #expect(ws.listing == before, "\(args): files written on refusal: \(ws.listing) (before: \(before))",
            sourceLocation: sourceLocation)
    return run
}

/// Exit 1, nothing on stdout, one stderr line starting `error: ` that contains every string of
/// `naming`, nothing written.
@discardableResult
private func expectDoseInputError(_ ws: Workspace, _ pet: String, _ args: [String], naming: [String] = [],
                                  out: String? = nil,
                                  sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
    let before = ws.listing
    let run = voxdose(["dose", pet, "--out", out ?? ws.out] + args)
    #expect(run.status == 1, "\(args): exit \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout: \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
    var text = run.stderr
    if text.hasSuffix("\n") { text.removeLast() }
    #expect(!text.isEmpty && !text.contains("\n"), "\(args): stderr is not one line: \(run.stderr)",
            sourceLocation: sourceLocation)
    #expect(text.hasPrefix("error: "), "\(args): \(text)", sourceLocation: sourceLocation)
    for name in naming {
        #expect(text.contains(name), "\(args): \"\(text)\" should name \(name)", sourceLocation: sourceLocation)
    }
    #expect(ws.listing == before, "\(args): files written on refusal: \(ws.listing) (before: \(before))",
            sourceLocation: sourceLocation)
    return run
}

/// Every voxel of `dose` equals `expected(i)` within `rel`.
private func expectVoxels(_ dose: [Double], rel: Double = 1e-5, abs: Double = 1e-6, _ context: String,
                          sourceLocation: SourceLocation = #_sourceLocation, _ expected: (Int) -> Double) {
    var bad: [String] = []
    for (i, v) in dose.enumerated() where !approx(v, expected(i), rel: rel, abs: abs) {
        bad.append("voxel \(i): \(v), expected \(expected(i))")
        if bad.count >= 5 { break }
    }
    #expect(bad.isEmpty, "\(context): \(bad.joined(separator: "; "))", sourceLocation: sourceLocation)
}

private func expectNumber(_ doc: [String: Any], _ key: String, _ expected: Double, rel: Double = 1e-6, abs: Double = 0,
                          sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(approx(number(doc, key), expected, rel: rel, abs: abs),
            "\(key) = \(String(describing: doc[key])), expected \(expected)", sourceLocation: sourceLocation)
}

/// Activity (GBq) inside `mask` of a dose map, back through the LDM factor: Σ D·ρ/K · 1e6 Bq/mL · V.
private func activityFromDose(_ dose: [Double], grid: Grid, density: Double, mask: (Int) -> Bool,
                              doseFactor: Double = defaultDoseFactor) -> Double {
    var sum = 0.0
    for (i, d) in dose.enumerated() where mask(i) { sum += d * density / doseFactor * 1e6 }
    return sum * grid.voxelML * 1e-9
}

private let t0 = "2026-03-02T09:41:00"
private let t24 = "2026-03-03T09:41:00"

// MARK: - LDM, units, summary, output

@Suite struct DoseContractLDMTests {

    /// REFERENCE §6.1: 1 MBq/mL → 49.67 / 48.22 / 47.30 / 46.86 Gy at ρ = 1.00 / 1.03 / 1.05 / 1.06.
    @Test(arguments: [(1.00, 49.67), (1.03, 48.22), (1.05, 47.30), (1.06, 46.86)])
    func uniformLDMReferenceCase(density: Double, expectedGy: Double) throws {
        let ws = Workspace()
        let grid = Grid(dims: [4, 4, 4])
        let pet = try ws.uniform(1e6, grid: grid)
        let r = try runDose(pet, out: ws.out, ["--density", String(format: "%.2f", density), "--no-decay-correction"])
        #expect(r.dose.count == 64)
        // The rounded reference value, and the formula K·C/ρ at float32 precision.
        expectVoxels(r.dose, rel: 0, abs: 0.005 + 1e-9, "REFERENCE §6.1 at ρ \(density)") { _ in expectedGy }
        expectVoxels(r.dose, "K·C/ρ at ρ \(density)") { _ in ldm(1e6, density: density) }
        expectNumber(r.doc, "max_gy", ldm(1e6, density: density), rel: 1e-5)
        #expect(approx(number(r.doc, "max_gy"), expectedGy, rel: 0, abs: 0.005 + 1e-9))
        expectNumber(r.doc, "density_g_per_ml", density, rel: 1e-9)
        expectNumber(r.doc, "dose_factor_j_per_gbq", defaultDoseFactor, rel: 1e-9)
        expectNumber(r.doc, "half_life_h", defaultHalfLifeH, rel: 1e-9)
        expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
        // 64 voxels × 1e6 Bq/mL × 0.008 mL = 5.12e5 Bq.
        expectNumber(r.doc, "total_activity_gbq", 64 * 1e6 * grid.voxelML * 1e-9)
    }

    /// Summary JSON `voxdose.dose/1`: every key the contract names, with its unit.
    @Test func summaryKeysAndUnits() throws {
        let ws = Workspace()
        let pet = try ws.uniform(2.5e5)
        let r = try runDose(pet, out: ws.out, ["--density", "1.05", "--decay-hours", "6"])
        let doc = r.doc
        #expect(doc["schema"] as? String == "voxdose.dose/1", "schema \(String(describing: doc["schema"]))")
        #expect((doc["voxdose_version"] as? String)?.isEmpty == false, "voxdose_version \(String(describing: doc["voxdose_version"]))")
        for key in ["method", "dose_factor_j_per_gbq", "half_life_h", "density_g_per_ml", "decay_correction_factor",
                    "calibration_factor", "total_activity_gbq", "max_gy", "output"] {
            #expect(doc.keys.contains(key), "summary lacks \(key): \(doc.keys.sorted())")
        }
        #expect(doc["method"] as? String == "ldm", "default method \(String(describing: doc["method"]))")
        #expect(doc["calibration_factor"] is NSNull, "calibration_factor without calibration: \(String(describing: doc["calibration_factor"]))")
        let output = doc["output"] as? String
        let resolved = URL(fileURLWithPath: ws.out).resolvingSymlinksInPath().path
        #expect(output == ws.out || output == resolved, "output \(String(describing: output)), --out \(ws.out)")
        let f = decayFactor(hours: 6)
        expectNumber(doc, "decay_correction_factor", f)
        #expect((number(doc, "decay_correction_factor") ?? 0) >= 1)
        expectNumber(doc, "max_gy", ldm(2.5e5 * f, density: 1.05), rel: 1e-5)
        expectNumber(doc, "total_activity_gbq", 64 * 2.5e5 * f * 0.008 * 1e-9, rel: 1e-6)
        // Keys are snake_case.
        for key in doc.keys {
            #expect(key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "key \(key) is not snake_case")
        }
    }

    /// `--summary FILE` writes the summary to the file instead of stdout.
    @Test func summaryFile() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let args = ["--density", "1.05", "--no-decay-correction"]
        let plain = try runDose(pet, out: ws.out, args)
        let summaryPath = ws.path("summary.json")
        let run = voxdose(["dose", pet, "--out", ws.out, "--summary", summaryPath] + args)
        #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "stdout with --summary: \(run.stdout.prefix(200))")
        let text = (try? String(contentsOfFile: summaryPath, encoding: .utf8)) ?? ""
        let doc = try #require(jsonObject(text), "summary file is not one JSON object: \(text.prefix(300))")
        #expect(doc["schema"] as? String == "voxdose.dose/1")
        #expect(difference(doc, plain.doc) == nil, "summary file differs from stdout: \(difference(doc, plain.doc) ?? "")")
        #expect(ws.listing == ["dose.nii", "pet.nii", "summary.json"], "folder: \(ws.listing)")
    }

    /// `--units Bq/mL|kBq/mL|MBq/mL` for the PET voxels.
    @Test(arguments: [("Bq/mL", Float(1e6)), ("kBq/mL", Float(1000)), ("MBq/mL", Float(1))])
    func unitsScaling(units: String, value: Float) throws {
        let ws = Workspace()
        let grid = Grid(dims: [3, 3, 3])
        let pet = try ws.uniform(value, grid: grid)
        let r = try runDose(pet, out: ws.out, ["--units", units, "--density", "1.05", "--no-decay-correction"])
        expectVoxels(r.dose, "1 MBq/mL written as \(value) \(units)") { _ in ldm(1e6, density: 1.05) }
        expectVoxels(r.dose, rel: 0, abs: 0.005 + 1e-9, "REFERENCE §6.1 value") { _ in 47.30 }
        expectNumber(r.doc, "total_activity_gbq", 27 * 1e6 * grid.voxelML * 1e-9)
    }

    /// The sidecar's `Units` sets the default unit; `--units` overrides it.
    @Test func sidecarUnitsAndOverride() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        let kilo = try ws.json("kilo.json", ["Units": "kBq/mL"])
        let bqml = try ws.json("bqml.json", ["Units": "BQML"])
        let common = ["--density", "1.05", "--no-decay-correction"]

        let fromSidecar = try runDose(pet, out: ws.out, ["--sidecar", kilo] + common)
        expectVoxels(fromSidecar.dose, "Units kBq/mL from the sidecar") { _ in ldm(1e6, density: 1.05) }

        let dicomCode = try runDose(pet, out: ws.out, ["--sidecar", bqml] + common)
        expectVoxels(dicomCode.dose, "Units BQML = Bq/mL") { _ in ldm(1000, density: 1.05) }

        let overridden = try runDose(pet, out: ws.out, ["--sidecar", kilo, "--units", "Bq/mL"] + common)
        expectVoxels(overridden.dose, "--units Bq/mL over the sidecar's kBq/mL") { _ in ldm(1000, density: 1.05) }

        let overridden2 = try runDose(pet, out: ws.out, ["--sidecar", bqml, "--units", "MBq/mL"] + common)
        expectVoxels(overridden2.dose, "--units MBq/mL over the sidecar's BQML") { _ in ldm(1e9, density: 1.05) }

        // An option overrides its key (CONTRACT.md): a sidecar `Units` that would be refused
        // (counts) does not matter when --units is given, as for `suv`.
        let counts = try ws.json("counts.json", ["Units": "CNTS"])
        let overBad = try runDose(pet, out: ws.out, ["--sidecar", counts, "--units", "Bq/mL"] + common)
        expectVoxels(overBad.dose, "--units Bq/mL over the sidecar's CNTS") { _ in ldm(1000, density: 1.05) }
    }

    /// `--half-life` changes the decay correction; the LDM dose factor stays; both are printed.
    @Test func halfLifeChangesDecayNotDoseFactor() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let noDecay = try runDose(pet, out: ws.out, ["--half-life", "64.1h", "--density", "1.05", "--no-decay-correction"])
        expectVoxels(noDecay.dose, "--half-life without decay leaves K·C/ρ") { _ in ldm(1e6, density: 1.05) }
        expectNumber(noDecay.doc, "dose_factor_j_per_gbq", defaultDoseFactor, rel: 1e-9)
        expectNumber(noDecay.doc, "half_life_h", 64.1, rel: 1e-9)

        let decayed = try runDose(pet, out: ws.out, ["--half-life", "64.1h", "--density", "1.05", "--decay-hours", "24"])
        expectNumber(decayed.doc, "decay_correction_factor", decayFactor(hours: 24, halfLifeH: 64.1))
        expectNumber(decayed.doc, "dose_factor_j_per_gbq", defaultDoseFactor, rel: 1e-9)
        expectNumber(decayed.doc, "half_life_h", 64.1, rel: 1e-9)
        expectVoxels(decayed.dose, "decay with T½ 64.1 h, K 49.67") { _ in ldm(1e6 * decayFactor(hours: 24, halfLifeH: 64.1), density: 1.05) }

        // The half-life in seconds, as quantities accept: 230760 s = 64.1 h.
        let seconds = try runDose(pet, out: ws.out, ["--half-life", "230760s", "--density", "1.05", "--decay-hours", "24"])
        expectNumber(seconds.doc, "half_life_h", 64.1, rel: 1e-9)
        expectNumber(seconds.doc, "decay_correction_factor", decayFactor(hours: 24, halfLifeH: 64.1))
    }

    /// `--dose-factor` sets K for LDM, printed.
    @Test func doseFactorOption() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let r = try runDose(pet, out: ws.out, ["--dose-factor", "50", "--density", "1.00", "--no-decay-correction"])
        expectVoxels(r.dose, "--dose-factor 50") { _ in 50.0 }
        expectNumber(r.doc, "dose_factor_j_per_gbq", 50, rel: 1e-9)
        expectNumber(r.doc, "half_life_h", defaultHalfLifeH, rel: 1e-9)
        let both = try runDose(pet, out: ws.out, ["--dose-factor", "49.38", "--half-life", "64.2h", "--density", "1.00",
                                                  "--decay-hours", "12"])
        expectNumber(both.doc, "dose_factor_j_per_gbq", 49.38, rel: 1e-9)
        expectNumber(both.doc, "half_life_h", 64.2, rel: 1e-9)
        expectVoxels(both.dose, "K 49.38, T½ 64.2 h, 12 h") { _ in ldm(1e6 * decayFactor(hours: 12, halfLifeH: 64.2), density: 1, doseFactor: 49.38) }
    }

    /// Negative voxel values are kept: the map holds negative doses; total_activity_gbq sums them as they are.
    @Test func negativeVoxelValuesKept() throws {
        let ws = Workspace()
        let grid = Grid(dims: [3, 2, 2])
        let values: [Float] = [-2e5, 1e6, 0, -1e6, 3e5, 5e4, -1, 2e6, 7e5, -3e5, 1e5, 4e5]
        let pet = try ws.volume("pet.nii", grid, values)
        let r = try runDose(pet, out: ws.out, ["--density", "1.05", "--no-decay-correction"])
        expectVoxels(r.dose, "negative values kept") { ldm(Double(values[$0]), density: 1.05) }
        #expect(r.dose.contains { $0 < 0 }, "no negative dose in the map")
        expectNumber(r.doc, "max_gy", ldm(2e6, density: 1.05), rel: 1e-5)
        let sum = values.reduce(0.0) { $0 + Double($1) }
        expectNumber(r.doc, "total_activity_gbq", sum * grid.voxelML * 1e-9, rel: 1e-6)
    }

    /// `--density-map FILE` (g/mL per voxel, same grid): D = K·C/ρ(voxel); density_g_per_ml null.
    @Test func densityMap() throws {
        let ws = Workspace()
        let grid = Grid(dims: [4, 3, 2])
        let values: [Float] = (0..<24).map { Float(5e5 + 2.5e4 * Double($0)) }
        let densities: [Float] = (0..<24).map { [1.05, 0.30, 1.00, 1.92, 0.296, 1.06][$0 % 6] }
        let pet = try ws.volume("pet.nii", grid, values)
        let map = try ws.volume("density.nii", grid, densities)
        let r = try runDose(pet, out: ws.out, ["--density-map", map, "--no-decay-correction"])
        expectVoxels(r.dose, "K·C/ρ per voxel") { ldm(Double(values[$0]), density: Double(densities[$0])) }
        #expect(r.doc["density_g_per_ml"] is NSNull, "density_g_per_ml with a map: \(String(describing: r.doc["density_g_per_ml"]))")
        if let scaling = r.doc["density_scaling"] {
            #expect(scaling as? String == "voxel", "density_scaling with a map: \(scaling)")
        }
        // A map on another grid is bad input (exit 1), naming the map.
        let other = try ws.volume("density_other.nii", Grid(dims: [4, 3, 3]), [Float](repeating: 1.05, count: 36))
        expectDoseInputError(ws, pet, ["--density-map", other, "--no-decay-correction"], naming: ["density_other.nii"])
    }

    /// Output volumes are 3-D float32 on the PET's grid: same dims, same sform rows, values in place.
    @Test func outputGeometryEqualsInput() throws {
        let ws = Workspace()
        let grid = Grid(dims: [5, 4, 3], spacing: [2, 2.5, 3], origin: [10, -20.5, -30.25], flipX: true)
        let values: [Float] = (0..<60).map { Float(1e5 * Double($0 + 1)) }
        let pet = try ws.volume("pet.nii", grid, values)
        let r = try runDose(pet, out: ws.out, ["--density", "1.05", "--no-decay-correction"])
        let input = try readNIfTI(pet)
        #expect(r.file.dims == [5, 4, 3], "output dims \(r.file.dims)")
        #expect(r.file.dims == input.dims)
        #expect(r.file.datatype == 16, "output datatype \(r.file.datatype), expected float32 (16)")
        #expect(r.file.sformCode > 0, "output sform_code \(r.file.sformCode)")
        for row in 0..<3 {
            let written = input.srow[row], read = r.file.srow[row]
            #expect(zip(written, read).allSatisfy { Swift.abs($0 - $1) <= 1e-6 * max(1, Swift.abs($0)) },
                    "sform row \(row): output \(read), input \(written)")
        }
        expectVoxels(r.dose, "voxel order kept") { ldm(Double(values[$0]), density: 1.05) }
    }

    /// 4-D inputs need `--frame N`; a 4-D file with one frame counts as 3-D; `--frame 0` is accepted for 3-D.
    @Test func fourDimensionalInput() throws {
        let ws = Workspace()
        let grid = Grid(dims: [3, 3, 3, 2])
        let values: [Float] = [Float](repeating: 1e6, count: 27) + [Float](repeating: 2e6, count: 27)
        let pet = try ws.volume("pet4d.nii", grid, values)
        let common = ["--density", "1.05", "--no-decay-correction"]
        expectDoseInputError(ws, pet, common, naming: ["--frame"])
        expectDoseInputError(ws, pet, common + ["--frame", "2"])
        let second = try runDose(pet, out: ws.out, common + ["--frame", "1"])
        #expect(second.file.dims == [3, 3, 3], "output of frame 1: dims \(second.file.dims)")
        expectVoxels(second.dose, "frame 1") { _ in ldm(2e6, density: 1.05) }
        try FileManager.default.removeItem(atPath: ws.out)

        let single = try ws.volume("pet1.nii", Grid(dims: [3, 3, 3, 1]), [Float](repeating: 1e6, count: 27))
        let one = try runDose(single, out: ws.out, common)
        #expect(one.file.dims == [3, 3, 3], "one-frame 4-D output dims \(one.file.dims)")
        expectVoxels(one.dose, "one-frame 4-D") { _ in ldm(1e6, density: 1.05) }

        let three = try ws.uniform(1e6, grid: Grid(dims: [3, 3, 3]))
        let zero = try runDose(three, out: ws.out, common + ["--frame", "0"])
        expectVoxels(zero.dose, "--frame 0 on 3-D") { _ in ldm(1e6, density: 1.05) }
    }

    /// An output that is the same file as the input is refused (exit 1), the input untouched, no
    /// temporary file left; so are two outputs that are the same file.
    @Test func outputSameAsInputRefused() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        try FileManager.default.createDirectory(atPath: ws.path("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: ws.path("link.nii"), withDestinationPath: pet)
        let original = try Data(contentsOf: URL(fileURLWithPath: pet))
        let common = ["--density", "1.05", "--no-decay-correction"]
        for out in [pet, ws.folder.path + "/./pet.nii", ws.folder.path + "/sub/../pet.nii", ws.path("link.nii")] {
            expectDoseInputError(ws, pet, common, out: out)
            #expect(try Data(contentsOf: URL(fileURLWithPath: pet)) == original, "input changed by --out \(out)")
        }
        // --summary on the output, or on the input.
        expectDoseInputError(ws, pet, common + ["--summary", ws.out])
        expectDoseInputError(ws, pet, common + ["--summary", pet])
        #expect(try Data(contentsOf: URL(fileURLWithPath: pet)) == original, "input changed by --summary")
        #expect(ws.listing == ["link.nii", "pet.nii", "sub"], "folder after refusals: \(ws.listing)")
    }

    /// A missing PET file is bad input naming the file.
    @Test func missingInput() throws {
        let ws = Workspace()
        expectDoseInputError(ws, ws.path("absent_pet.nii"), ["--no-decay-correction"], naming: ["absent_pet.nii"])
    }
}

// MARK: - Decay

@Suite struct DoseContractDecayTests {

    /// REFERENCE §6.2: 0.5 MBq/mL at 24 h, ρ 1.05, T½ 64.1 h → 30.66 Gy (23.65 Gy without).
    @Test(arguments: [
        ["--decay-hours", "24"],
        ["--implant-time", t0, "--reference-time", t24],
        ["--implant-time", "2026-03-02T09:41:00+01:00", "--reference-time", "2026-03-03T08:41:00Z"],
    ])
    func decayReferenceCase(decay: [String]) throws {
        let ws = Workspace()
        let pet = try ws.uniform(5e5)
        let r = try runDose(pet, out: ws.out, decay + ["--half-life", "64.1h", "--density", "1.05"])
        expectVoxels(r.dose, rel: 0, abs: 0.005 + 1e-9, "REFERENCE §6.2 with \(decay)") { _ in 30.66 }
        let f = decayFactor(hours: 24, halfLifeH: 64.1)
        expectNumber(r.doc, "decay_correction_factor", f, rel: 1e-6)
        expectVoxels(r.dose, "K·C·2^(24/64.1)/ρ") { _ in ldm(5e5 * f, density: 1.05) }
        expectNumber(r.doc, "max_gy", ldm(5e5 * f, density: 1.05), rel: 1e-5)
        expectNumber(r.doc, "total_activity_gbq", 64 * 5e5 * f * 0.008 * 1e-9)
        expectNumber(r.doc, "half_life_h", 64.1, rel: 1e-9)
        expectNumber(r.doc, "dose_factor_j_per_gbq", defaultDoseFactor, rel: 1e-9)
    }

    /// Conventions: "Quantities on the command line accept a unit" (`64.05h`, `6586.2s`); the decay
    /// time is a quantity (hours when bare, as the help says).
    @Test(arguments: ["24h", "86400s"])
    func decayHoursAcceptsUnit(value: String) throws {
        let ws = Workspace()
        let pet = try ws.uniform(5e5)
        let r = try runDose(pet, out: ws.out, ["--decay-hours", value, "--half-life", "64.1h", "--density", "1.05"])
        expectNumber(r.doc, "decay_correction_factor", decayFactor(hours: 24, halfLifeH: 64.1), rel: 1e-6)
        expectVoxels(r.dose, rel: 0, abs: 0.005 + 1e-9, "REFERENCE §6.2 with --decay-hours \(value)") { _ in 30.66 }
    }

    @Test func decayReferenceCaseWithoutCorrection() throws {
        let ws = Workspace()
        let pet = try ws.uniform(5e5)
        let r = try runDose(pet, out: ws.out, ["--no-decay-correction", "--half-life", "64.1h", "--density", "1.05"])
        expectVoxels(r.dose, rel: 0, abs: 0.005 + 1e-9, "REFERENCE §6.2 without correction") { _ in 23.65 }
        expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
    }

    /// Full date-times on different days, with and without UTC offsets: a time without an offset is
    /// read in the zone of the other time that has one; with none, both are local times.
    @Test(arguments: [
        ("2026-02-28T10:00:00", "2026-03-02T10:00:00", 48.0),                 // across a month end
        ("2026-12-31T22:00:00", "2027-01-01T04:30:00", 6.5),                  // across a year end
        ("2026-03-02T23:30:00+01:00", "2026-03-03T22:30:00Z", 24.0),          // both with offsets
        ("2026-03-02T23:30:00+01:00", "2026-03-03T23:30:00", 24.0),           // reference read in +01:00
        ("2026-03-02T18:00:00", "2026-03-03T20:00:00-05:00", 26.0),           // implant read in −05:00
        ("2026-03-02T09:41:00+05:30", "2026-03-04T09:41:00+05:30", 48.0),
    ])
    func timesOnDifferentDays(implant: String, reference: String, hours: Double) throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let r = try runDose(pet, out: ws.out, ["--implant-time", implant, "--reference-time", reference, "--density", "1.05"])
        let f = decayFactor(hours: hours)
        expectNumber(r.doc, "decay_correction_factor", f, rel: 1e-6)
        expectVoxels(r.dose, "\(implant) → \(reference) = \(hours) h") { _ in ldm(1e6 * f, density: 1.05) }
    }

    /// A reference time before the implantation is an error (1).
    @Test(arguments: [
        (t24, t0),
        ("2026-03-02T10:00:00+01:00", "2026-03-02T09:30:00+02:00"),   // 09:00Z then 07:30Z: before, though the clock reads later
        ("2026-03-02T09:41:00", "2026-03-02T09:40:59"),
    ])
    func referenceBeforeImplant(implant: String, reference: String) throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        expectDoseInputError(ws, pet, ["--implant-time", implant, "--reference-time", reference, "--density", "1.05"])
    }

    /// Without any decay option and without sidecar times the command refuses, naming the options.
    @Test func noDecayInformation() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        expectDoseInputError(ws, pet, ["--density", "1.05"],
                             naming: ["--implant-time", "--reference-time", "--decay-hours", "--no-decay-correction"])
        // A sidecar with no times at all is no better.
        let sidecar = try ws.json("pet.json", ["Units": "BQML", "DecayCorrection": "START"])
        let run = expectDoseInputError(ws, pet, ["--sidecar", sidecar, "--density", "1.05"])
        #expect(["--implant-time", "--reference-time", "--decay-hours"].contains { run.stderr.contains($0) },
                "the refusal should name an option that supplies the time: \(run.stderr)")
    }

    /// Conflicting decay options, a negative `--decay-hours`, and values that do not parse are bad usage (64).
    @Test(arguments: [
        ["--no-decay-correction", "--decay-hours", "24"],
        ["--no-decay-correction", "--implant-time", t0, "--reference-time", t24],
        ["--no-decay-correction", "--reference-time", t24],
        ["--no-decay-correction", "--implant-time", t0],
        ["--decay-hours", "24", "--implant-time", t0, "--reference-time", t24],
        ["--decay-hours", "-1"],
        ["--decay-hours=-1"],
        ["--decay-hours", "-0.5h"],
        ["--decay-hours", "a day"],
        ["--implant-time", "yesterday", "--reference-time", t24],
        ["--implant-time", t0, "--reference-time", "2026-13-45T99:00:00"],
        ["--half-life", "64 parsecs", "--no-decay-correction"],
        ["--dose-factor", "lots", "--no-decay-correction"],
        ["--density", "heavy", "--no-decay-correction"],
        ["--units", "counts", "--no-decay-correction"],
        ["--method", "montecarlo", "--no-decay-correction"],
        ["--frobnicate", "--no-decay-correction"],
    ])
    func badUsage(args: [String]) throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        expectDoseUsageError(ws, pet, args + ["--density", "1.05"])
    }
}

// MARK: - Sidecars

@Suite struct DoseContractSidecarTests {

    /// dcm2niix spelling, as in the fixture: START, scan 15:41, implant clock time 09:41 (dated by
    /// the series/acquisition date), RadionuclideHalfLife 230580 s, Units BQML.
    @Test func dcm2niixFixtureAsIs() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let sidecar = ws.path("pet.json")
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Fixtures/sidecars/dcm2niix_y90.json").path,
                                         toPath: sidecar)
        let r = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--density", "1.05"])
        let f = decayFactor(hours: 6)
        expectNumber(r.doc, "decay_correction_factor", f)
        expectNumber(r.doc, "half_life_h", 64.05, rel: 1e-9)
        expectVoxels(r.dose, "dcm2niix START 6 h") { _ in ldm(1e6 * f, density: 1.05) }
    }

    /// BIDS-PET spelling, as in the fixture: TimeZero = injection, scan and decay-correction time 24 h later.
    @Test func bidsFixtureAsIs() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let sidecar = ws.path("pet.json")
        try FileManager.default.copyItem(atPath: packageRoot.appendingPathComponent("Fixtures/sidecars/bids_y90.json").path,
                                         toPath: sidecar)
        let r = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--density", "1.05"])
        let f = decayFactor(hours: 24)
        expectNumber(r.doc, "decay_correction_factor", f)
        expectNumber(r.doc, "half_life_h", 64.05, rel: 1e-9)
        expectVoxels(r.dose, "BIDS 24 h") { _ in ldm(1e6 * f, density: 1.05) }

        // REFERENCE §6.2 through the BIDS sidecar.
        let pet2 = try ws.uniform(5e5, name: "pet_half.nii")
        let r2 = try runDose(pet2, out: ws.out, ["--sidecar", sidecar, "--half-life", "64.1h", "--density", "1.05"])
        expectVoxels(r2.dose, rel: 0, abs: 0.005 + 1e-9, "REFERENCE §6.2 via BIDS sidecar") { _ in 30.66 }
    }

    /// DICOM forms in a dcm2niix-spelled sidecar: DT with `&ZZXX` offset, DT without (read in that zone).
    @Test func dicomDateTimeForms() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        var s = try dcm2niixSidecar(implantClock: nil)
        s["RadiopharmaceuticalStartDateTime"] = "20260302094100.000000+0100"
        s["AcquisitionDateTime"] = "20260303094100"
        s["SeriesDate"] = "20260303"
        s["SeriesTime"] = "094100.000000"
        s["AcquisitionTime"] = "094100"
        let sidecar = try ws.json("pet.json", s)
        let r = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--density", "1.05"])
        expectNumber(r.doc, "decay_correction_factor", decayFactor(hours: 24))
    }

    /// The sidecar's RadionuclideHalfLife is read; `--half-life` overrides it.
    @Test func sidecarHalfLife() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let sidecar = try ws.json("pet.json", try dcm2niixSidecar(set: ["RadionuclideHalfLife": 230760]))
        let fromSidecar = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--density", "1.05"])
        expectNumber(fromSidecar.doc, "half_life_h", 64.1, rel: 1e-9)
        expectNumber(fromSidecar.doc, "decay_correction_factor", decayFactor(hours: 6, halfLifeH: 64.1))
        expectNumber(fromSidecar.doc, "dose_factor_j_per_gbq", defaultDoseFactor, rel: 1e-9)
        let overridden = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--half-life", "64.05h", "--density", "1.05"])
        expectNumber(overridden.doc, "half_life_h", 64.05, rel: 1e-9)
        expectNumber(overridden.doc, "decay_correction_factor", decayFactor(hours: 6, halfLifeH: 64.05))
    }

    /// Options override sidecar keys, one by one (sidecar: implant 2026-03-02 09:41, scan 15:41, START).
    @Test(arguments: [
        (["--implant-time", "2026-03-01T15:41:00"], 24.0),           // implant from the option, reference from the sidecar
        (["--reference-time", "2026-03-03T09:41:00"], 24.0),         // implant from the sidecar, reference from the option
        (["--decay-hours", "10"], 10.0),
        (["--no-decay-correction"], 0.0),
        (["--implant-time", "2026-03-02T12:41:00", "--reference-time", "2026-03-02T18:41:00"], 6.0),
    ])
    func optionsOverrideSidecar(options: [String], hours: Double) throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let sidecar = try ws.json("pet.json", try dcm2niixSidecar())
        let r = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--density", "1.05"] + options)
        let f = decayFactor(hours: hours)
        expectNumber(r.doc, "decay_correction_factor", f)
        expectVoxels(r.dose, "\(options) over the sidecar") { _ in ldm(1e6 * f, density: 1.05) }
    }

    /// `--units` overrides the sidecar's Units alone; the sidecar's times still apply.
    @Test func unitsOptionOverridesOnlyUnits() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        let sidecar = try ws.json("pet.json", try dcm2niixSidecar())
        let r = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--units", "kBq/mL", "--density", "1.05"])
        let f = decayFactor(hours: 6)
        expectNumber(r.doc, "decay_correction_factor", f)
        expectVoxels(r.dose, "kBq/mL over BQML, sidecar times kept") { _ in ldm(1e6 * f, density: 1.05) }
    }

    /// ADMIN: no further correction (factor 1), lifted only by `--reference-time`.
    @Test func sidecarAdmin() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let sidecar = try ws.json("pet.json", try dcm2niixSidecar(set: ["DecayCorrection": "ADMIN"]))
        let common = ["--sidecar", sidecar, "--density", "1.05"]
        for extra in [[], ["--implant-time", "2026-03-01T09:41:00"]] {
            let r = try runDose(pet, out: ws.out, common + extra)
            expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
            expectVoxels(r.dose, "ADMIN with \(extra)") { _ in ldm(1e6, density: 1.05) }
        }
        // --reference-time lifts it: implant from the sidecar (2026-03-02 09:41), reference 24 h later.
        let lifted = try runDose(pet, out: ws.out, common + ["--reference-time", t24])
        expectNumber(lifted.doc, "decay_correction_factor", decayFactor(hours: 24))
        expectVoxels(lifted.dose, "ADMIN lifted by --reference-time") { _ in ldm(1e6 * decayFactor(hours: 24), density: 1.05) }
    }

    /// "a sidecar's ADMIN is lifted only by `--reference-time`" — not by `--decay-hours` (which the
    /// contract does list, beside `--reference-time`, for images that are not decay-corrected).
    @Test func sidecarAdminNotLiftedByDecayHours() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let sidecar = try ws.json("pet.json", try dcm2niixSidecar(set: ["DecayCorrection": "ADMIN"]))
        let r = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--density", "1.05", "--decay-hours", "24"])
        expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
        expectVoxels(r.dose, "ADMIN with --decay-hours 24") { _ in ldm(1e6, density: 1.05) }
    }

    /// BIDS equivalent of ADMIN: ImageDecayCorrectionTime at the injection.
    @Test func bidsDecayCorrectedToInjection() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        var s = try fixtureSidecar("bids_y90.json")
        s["ImageDecayCorrectionTime"] = 0
        let sidecar = try ws.json("pet.json", s)
        let r = try runDose(pet, out: ws.out, ["--sidecar", sidecar, "--density", "1.05"])
        expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
    }

    /// Images not decay-corrected (NONE) need `--reference-time` or `--decay-hours`, unless calibrated.
    @Test func sidecarNotDecayCorrectedDicom() throws {
        let ws = Workspace()
        let grid = Grid(dims: [4, 4, 4])
        let pet = try ws.uniform(1e6, grid: grid)
        let mask = try ws.volume("mask.nii", grid, [Float](repeating: 1, count: 64), int16: true)
        let sidecar = try ws.json("pet.json", try dcm2niixSidecar(set: ["DecayCorrection": "NONE"]))
        let common = ["--sidecar", sidecar, "--density", "1.05"]
        expectDoseInputError(ws, pet, common, naming: ["--reference-time"])

        let withReference = try runDose(pet, out: ws.out, common + ["--reference-time", "2026-03-02T21:41:00"])
        expectNumber(withReference.doc, "decay_correction_factor", decayFactor(hours: 12))
        let withHours = try runDose(pet, out: ws.out, common + ["--decay-hours", "12"])
        expectNumber(withHours.doc, "decay_correction_factor", decayFactor(hours: 12))
        expectVoxels(withHours.dose, "NONE + --decay-hours 12") { _ in ldm(1e6 * decayFactor(hours: 12), density: 1.05) }

        let calibrated = try runDose(pet, out: ws.out, common + ["--calibrate-activity", "1GBq", "--calibration-mask", mask])
        expectNumber(calibrated.doc, "decay_correction_factor", 1, rel: 1e-12)
        #expect(number(calibrated.doc, "calibration_factor") != nil, "calibration_factor: \(String(describing: calibrated.doc["calibration_factor"]))")
        expectNumber(calibrated.doc, "total_activity_gbq", 1)
    }

    @Test func sidecarNotDecayCorrectedBids() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        var s = try fixtureSidecar("bids_y90.json")
        s["ImageDecayCorrected"] = false
        let sidecar = try ws.json("pet.json", s)
        let common = ["--sidecar", sidecar, "--density", "1.05"]
        expectDoseInputError(ws, pet, common, naming: ["--reference-time"])
        let withHours = try runDose(pet, out: ws.out, common + ["--decay-hours", "5"])
        expectNumber(withHours.doc, "decay_correction_factor", decayFactor(hours: 5))
    }

    /// A sidecar whose reference time is before its implant time is an error (1).
    @Test func sidecarReferenceBeforeImplant() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1e6)
        let sidecar = try ws.json("pet.json", try dcm2niixSidecar(scan: "2026-03-02T15:41:00", implantClock: "16:00:00"))
        expectDoseInputError(ws, pet, ["--sidecar", sidecar, "--density", "1.05"])
    }
}

// MARK: - Calibration

/// 6×6×6 voxels of 2 mm; varied positive values everywhere; mask = the central 4×4×4 cube.
private struct CalibrationScene {
    let ws = Workspace()
    let grid = Grid(dims: [6, 6, 6])
    let values: [Float]
    let maskValues: [Float]
    let pet: String
    let mask: String

    init(zeroOutsideMask: Bool = false, value: (Int) -> Float = { Float(2000 + 37 * ($0 % 23)) }) throws {
        var v = [Float](), m = [Float]()
        for k in 0..<6 { for j in 0..<6 { for i in 0..<6 {
            let inside = (1...4).contains(i) && (1...4).contains(j) && (1...4).contains(k)
            m.append(inside ? 1 : 0)
            v.append(zeroOutsideMask && !inside ? 0 : value(v.count))
        } } }
        values = v
        maskValues = m
        pet = try ws.volume("pet.nii", grid, v)
        mask = try ws.volume("mask.nii", grid, m, int16: true)
    }

    func inMask(_ i: Int) -> Bool { maskValues[i] != 0 }
    /// Σ image values (Bq/mL) × voxel volume, inside the mask and everywhere (Bq).
    var maskBq: Double { zip(values, maskValues).reduce(0.0) { $0 + ($1.1 != 0 ? Double($1.0) : 0) } * grid.voxelML }
    var totalBq: Double { values.reduce(0.0) { $0 + Double($1) } * grid.voxelML }
}

@Suite struct DoseContractCalibrationTests {

    /// Activity inside MASK at t0 = (A − residual)·(1 − F), to 1e-6; activities and fractions with units.
    static let calibrationCases: [([String], Double)] = [
        (["--calibrate-activity", "1.8GBq", "--lung-shunt", "8%", "--residual", "0.05GBq"], 1.75 * 0.92),
        (["--calibrate-activity", "1.8 GBq", "--lung-shunt", "0.08", "--residual", "50MBq"], 1.75 * 0.92),
        (["--calibrate-activity", "48mCi"], 1.776),                       // 48 × 37 MBq
        (["--calibrate-activity", "1800MBq", "--residual", "1.35mCi"], 1.75005),   // 1.8 − 1.35 × 0.037
        (["--calibrate-activity", "2GBq", "--lung-shunt", "0%"], 2.0),
    ]

    @Test(arguments: calibrationCases)
    func calibratedActivityInMask(options: [String], expectedGBq: Double) throws {
        let scene = try CalibrationScene()
        let r = try runDose(scene.pet, out: scene.ws.out, options + ["--calibration-mask", scene.mask, "--density", "1.05"])
        let inMask = activityFromDose(r.dose, grid: scene.grid, density: 1.05, mask: scene.inMask)
        #expect(approx(inMask, expectedGBq, rel: 1e-6), "activity in mask from the dose map \(inMask) GBq, expected \(expectedGBq)")
        let factor = expectedGBq * 1e9 / scene.maskBq
        expectNumber(r.doc, "calibration_factor", factor, rel: 1e-6)
        expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
        expectNumber(r.doc, "total_activity_gbq", factor * scene.totalBq * 1e-9, rel: 1e-6)
        expectVoxels(r.dose, "calibrated LDM") { ldm(Double(scene.values[$0]) * factor, density: 1.05) }
    }

    /// With the mask covering all activity, total_activity_gbq is the net activity.
    @Test func maskCoversAllActivity() throws {
        let scene = try CalibrationScene(zeroOutsideMask: true)
        let r = try runDose(scene.pet, out: scene.ws.out,
                            ["--calibrate-activity", "1.8GBq", "--calibration-mask", scene.mask, "--lung-shunt", "8%",
                             "--residual", "0.05GBq", "--density", "1.05"])
        expectNumber(r.doc, "total_activity_gbq", (1.8 - 0.05) * 0.92, rel: 1e-6)
        expectNumber(r.doc, "calibration_factor", (1.8 - 0.05) * 0.92 * 1e9 / scene.totalBq, rel: 1e-6)
    }

    /// calibration_factor maps the image values after unit conversion to Bq/mL.
    @Test func calibrationFactorAfterUnitConversion() throws {
        let scene = try CalibrationScene(value: { Float(2 + ($0 % 5)) })     // read as kBq/mL
        let r = try runDose(scene.pet, out: scene.ws.out,
                            ["--units", "kBq/mL", "--calibrate-activity", "1GBq", "--calibration-mask", scene.mask,
                             "--density", "1.05"])
        expectNumber(r.doc, "calibration_factor", 1e9 / (scene.maskBq * 1000), rel: 1e-6)
        let inMask = activityFromDose(r.dose, grid: scene.grid, density: 1.05, mask: scene.inMask)
        #expect(approx(inMask, 1.0, rel: 1e-6), "activity in mask \(inMask) GBq")
    }

    /// Decay options given with calibration are ignored with a warning on stderr (exit 0, same map).
    @Test(arguments: [
        ["--decay-hours", "24"],
        ["--implant-time", t0, "--reference-time", t24],
        ["--no-decay-correction"],
        ["--half-life", "64.1h", "--decay-hours", "48"],
    ])
    func decayOptionsIgnoredWithWarning(decay: [String]) throws {
        let scene = try CalibrationScene()
        let calibration = ["--calibrate-activity", "1.8GBq", "--calibration-mask", scene.mask, "--density", "1.05"]
        let plain = try runDose(scene.pet, out: scene.ws.out, calibration)
        let plainDose = plain.dose
        let r = try runDose(scene.pet, out: scene.ws.out, calibration + decay)
        #expect(r.run.stderr.lowercased().contains("warning"), "no warning on stderr for \(decay): \(r.run.stderr)")
        #expect(!r.run.stderr.hasPrefix("error:"), "stderr \(r.run.stderr)")
        expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
        expectNumber(r.doc, "calibration_factor", number(plain.doc, "calibration_factor") ?? .nan, rel: 1e-9)
        expectVoxels(r.dose, rel: 1e-7, "calibrated map with \(decay)") { plainDose[$0] }
    }

    /// Sidecar times do not apply to a calibrated image either.
    @Test func sidecarTimesIgnoredWithCalibration() throws {
        let scene = try CalibrationScene()
        let sidecar = try scene.ws.json("pet.json", try dcm2niixSidecar())
        let r = try runDose(scene.pet, out: scene.ws.out,
                            ["--sidecar", sidecar, "--calibrate-activity", "1.8GBq", "--calibration-mask", scene.mask,
                             "--density", "1.05"])
        expectNumber(r.doc, "decay_correction_factor", 1, rel: 1e-12)
        let inMask = activityFromDose(r.dose, grid: scene.grid, density: 1.05, mask: scene.inMask)
        #expect(approx(inMask, 1.8, rel: 1e-6), "activity in mask \(inMask) GBq")
    }

    /// Conflicting decay options are still bad usage with calibration; so are out-of-range fractions
    /// and activities that do not parse.
    @Test(arguments: [
        ["--no-decay-correction", "--decay-hours", "24"],
        ["--decay-hours", "24", "--implant-time", t0, "--reference-time", t24],
        ["--no-decay-correction", "--implant-time", t0, "--reference-time", t24],
        ["--decay-hours=-2"],
        ["--lung-shunt", "1.5"],
        ["--lung-shunt", "150%"],
        ["--lung-shunt=-0.1"],
        ["--lung-shunt", "eight"],
        ["--residual", "5 parsecs"],
    ])
    func conflictsStillBadUsage(args: [String]) throws {
        let scene = try CalibrationScene()
        expectDoseUsageError(scene.ws, scene.pet,
                             ["--calibrate-activity", "1.8GBq", "--calibration-mask", scene.mask, "--density", "1.05"] + args)
    }

    @Test func activityThatDoesNotParse() throws {
        let scene = try CalibrationScene()
        expectDoseUsageError(scene.ws, scene.pet,
                             ["--calibrate-activity", "1.8 parsecs", "--calibration-mask", scene.mask, "--density", "1.05"])
    }

    /// A mask holding no activity cannot be calibrated: a failed computation (exit 1), nothing written.
    @Test func maskWithoutActivity() throws {
        let scene = try CalibrationScene(value: { _ in 0 })
        expectDoseInputError(scene.ws, scene.pet,
                             ["--calibrate-activity", "1.8GBq", "--calibration-mask", scene.mask, "--density", "1.05"])
    }
}

// MARK: - Labels

@Suite struct DoseContractLabelsTests {

    /// `--labels` adds `regions`: per label label, voxels, volume_ml, mean_gy, std_gy, min_gy, max_gy, median_gy.
    @Test func regionsPerLabel() throws {
        let ws = Workspace()
        let grid = Grid(dims: [5, 4, 3], spacing: [2, 2.5, 3])
        let n = grid.voxelCount
        var values = [Float](), labelValues = [Float]()
        let labelCycle: [Float] = [0, 1, 2, 7, 1, 0, 7, 2, 2]
        for i in 0..<n {
            let step = Double(1 + (i * 13) % 17)
            values.append(i % 7 == 3 ? Float(-1.5e5) : Float(1e5 * step))
            labelValues.append(labelCycle[i % 9])
        }
        let pet = try ws.volume("pet.nii", grid, values)
        let labels = try ws.volume("labels.nii", grid, labelValues, int16: true)
        let r = try runDose(pet, out: ws.out, ["--labels", labels, "--density", "1.05", "--no-decay-correction"])
        let regions = try #require(r.doc["regions"] as? [[String: Any]], "regions: \(String(describing: r.doc["regions"]))")
        #expect(regions.map { ($0["label"] as? NSNumber)?.intValue } == [1, 2, 7], "labels \(regions.map { $0["label"] })")
        for region in regions {
            let label = (region["label"] as? NSNumber)?.intValue ?? -1
            for key in ["label", "voxels", "volume_ml", "mean_gy", "std_gy", "min_gy", "max_gy", "median_gy"] {
                #expect(region.keys.contains(key), "region \(label) lacks \(key): \(region.keys.sorted())")
            }
            let doses = (0..<n).filter { Int(labelValues[$0]) == label }
                .map { Double(Float(ldm(Double(values[$0]), density: 1.05))) }
            let sorted = doses.sorted()
            let count = Double(doses.count)
            let mean = doses.reduce(0, +) / count
            let std = (doses.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / count).squareRoot()
            let mid = sorted.count / 2
            let median = sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
            #expect((region["voxels"] as? NSNumber)?.intValue == doses.count, "label \(label) voxels \(String(describing: region["voxels"]))")
            expectNumber(region, "volume_ml", count * grid.voxelML, rel: 1e-9)
            expectNumber(region, "mean_gy", mean, rel: 1e-5)
            expectNumber(region, "std_gy", std, rel: 1e-4, abs: 1e-6)
            expectNumber(region, "min_gy", sorted.first!, rel: 1e-6)
            expectNumber(region, "max_gy", sorted.last!, rel: 1e-6)
            expectNumber(region, "median_gy", median, rel: 1e-6)
        }
        // Negative doses are kept in the regions too.
        #expect(regions.contains { (number($0, "min_gy") ?? 0) < 0 }, "no region holds the negative doses")
    }
}

// MARK: - DVK

/// A uniform 1 MBq/mL cube of `side` voxels on a 4 mm grid; the central voxel is far from every edge.
private func uniformDVKScene(_ ws: Workspace, side: Int = 23) throws -> (pet: String, grid: Grid, centre: Int) {
    let grid = Grid(dims: [side, side, side], spacing: [4, 4, 4])
    let pet = try ws.uniform(1e6, grid: grid)
    let c = side / 2
    return (pet, grid, grid.index(c, c, c))
}

@Suite struct DoseContractDVKTests {

    /// Summary keys; kernel_voxel_mm = the spacings; a large uniform region reads the LDM dose at the
    /// same density within 3 % (REFERENCE §6.4), with no density, a uniform density, and a density map.
    @Test func uniformRegionMatchesLDM() throws {
        let ws = Workspace()
        let (pet, grid, centre) = try uniformDVKScene(ws)
        let common = ["--method", "dvk", "--no-decay-correction"]

        // Without --density the run uses its default density ρ0; the contract scales by ρk/ρ whenever
        // the density used differs from the kernel's, so the scaling follows from the two printed values.
        let byDefault = try runDose(pet, out: ws.out, common)
        #expect(byDefault.doc["method"] as? String == "dvk")
        let source = byDefault.doc["kernel_source"] as? String
        #expect(source?.isEmpty == false, "kernel_source \(String(describing: byDefault.doc["kernel_source"]))")
        let voxel = (byDefault.doc["kernel_voxel_mm"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue }
        #expect(voxel == [4, 4, 4], "kernel_voxel_mm \(String(describing: byDefault.doc["kernel_voxel_mm"]))")
        let rhoK = try #require(number(byDefault.doc, "kernel_density_g_per_ml"),
                                "kernel_density_g_per_ml \(String(describing: byDefault.doc["kernel_density_g_per_ml"]))")
        #expect(rhoK > 0.9 && rhoK < 1.2, "kernel density \(rhoK) g/mL is not soft tissue")
        let rho0 = try #require(number(byDefault.doc, "density_g_per_ml"),
                                "density_g_per_ml \(String(describing: byDefault.doc["density_g_per_ml"]))")
        #expect(byDefault.doc["density_scaling"] as? String == (rho0 == rhoK ? "none" : "uniform"),
                "density_scaling \(String(describing: byDefault.doc["density_scaling"])) with ρ0 \(rho0), ρk \(rhoK)")
        let defaultDose = byDefault.dose

        // --density ρk: the kernel as is ("none"), the LDM dose at ρk in a large uniform region.
        let atKernel = try runDose(pet, out: ws.out, common + ["--density", String(rhoK)])
        #expect(atKernel.doc["density_scaling"] as? String == "none",
                "density_scaling at ρ = ρk: \(String(describing: atKernel.doc["density_scaling"]))")
        let atRhoK = ldm(1e6, density: rhoK)
        #expect(approx(atKernel.dose[centre], atRhoK, rel: 0.03), "DVK centre \(atKernel.dose[centre]) Gy vs LDM at ρk \(atRhoK)")
        let plainDose = atKernel.dose
        expectVoxels(defaultDose, rel: 1e-5, "DVK at the default density scaled by ρk/ρ0") { plainDose[$0] * rhoK / rho0 }

        // A --density other than ρk scales by ρk/ρ.
        let rho = Swift.abs(rhoK - 1.0) > 0.005 ? 1.0 : 1.06
        let uniform = try runDose(pet, out: ws.out, common + ["--density", String(rho)])
        #expect(uniform.doc["density_scaling"] as? String == "uniform", "density_scaling \(String(describing: uniform.doc["density_scaling"]))")
        expectNumber(uniform.doc, "density_g_per_ml", rho, rel: 1e-9)
        expectNumber(uniform.doc, "kernel_density_g_per_ml", rhoK, rel: 1e-9)
        expectVoxels(uniform.dose, rel: 1e-5, "DVK scaled by ρk/ρ") { plainDose[$0] * rhoK / rho }
        let ldmRun = try runDose(pet, out: ws.path("ldm.nii"), ["--density", String(rho), "--no-decay-correction"])
        #expect(approx(uniform.dose[centre], ldmRun.dose[centre], rel: 0.03),
                "DVK centre \(uniform.dose[centre]) Gy vs LDM \(ldmRun.dose[centre]) Gy at ρ \(rho)")

        // A uniform density map: voxel scaling, density_g_per_ml null, still the LDM dose in the middle.
        let map = try ws.volume("density.nii", grid, [Float](repeating: Float(rho), count: grid.voxelCount))
        let voxelwise = try runDose(pet, out: ws.out, common + ["--density-map", map])
        #expect(voxelwise.doc["density_scaling"] as? String == "voxel", "density_scaling \(String(describing: voxelwise.doc["density_scaling"]))")
        #expect(voxelwise.doc["density_g_per_ml"] is NSNull, "density_g_per_ml with a map: \(String(describing: voxelwise.doc["density_g_per_ml"]))")
        #expect(approx(voxelwise.dose[centre], ldm(1e6, density: rho), rel: 0.03),
                "DVK centre with a map \(voxelwise.dose[centre]) Gy vs LDM \(ldm(1e6, density: rho))")
    }

    /// The kernel is built for the image's grid: kernel_voxel_mm = the 3 spacings, not the nearest table.
    @Test func kernelBuiltForAnisotropicGrid() throws {
        let ws = Workspace()
        let grid = Grid(dims: [9, 9, 9], spacing: [2.5, 3.0, 4.2])
        let pet = try ws.uniform(1e6, grid: grid)
        let r = try runDose(pet, out: ws.out, ["--method", "dvk", "--no-decay-correction"])
        let voxel = (r.doc["kernel_voxel_mm"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
        #expect(voxel.count == 3 && zip(voxel, [2.5, 3.0, 4.2]).allSatisfy { approx($0, $1, rel: 1e-6) },
                "kernel_voxel_mm \(String(describing: r.doc["kernel_voxel_mm"]))")
    }

    /// For DVK `--half-life` changes the cumulated activity A·T½/ln 2; `--dose-factor` does not apply.
    @Test func halfLifeAndDoseFactorForDVK() throws {
        let ws = Workspace()
        let grid = Grid(dims: [9, 9, 9], spacing: [4, 4, 4])
        let values: [Float] = (0..<grid.voxelCount).map { Float(1e6 * (1 + Double($0 % 5))) }
        let pet = try ws.volume("pet.nii", grid, values)
        let common = ["--method", "dvk", "--density", "1.05", "--no-decay-correction"]
        let base = try runDose(pet, out: ws.out, common + ["--half-life", "64.05h"])
        let baseDose = base.dose
        let longer = try runDose(pet, out: ws.out, common + ["--half-life", "64.2h"])
        expectVoxels(longer.dose, rel: 1e-5, "DVK dose ∝ T½") { baseDose[$0] * 64.2 / 64.05 }
        let factor = try runDose(pet, out: ws.out, common + ["--half-life", "64.05h", "--dose-factor", "50"])
        expectVoxels(factor.dose, rel: 1e-6, "--dose-factor does not apply to DVK") { baseDose[$0] }
    }

    /// REFERENCE §6.5: 1 MBq in one 4 mm voxel, T½ 64.1 h: VSV centre 285.6 Gy (kernel as is); LDM 776.1 Gy at ρ 1.00.
    @Test func pointSourceReferenceCase() throws {
        let ws = Workspace()
        let grid = Grid(dims: [11, 11, 11], spacing: [4, 4, 4])
        let centre = grid.index(5, 5, 5)
        var values = [Float](repeating: 0, count: grid.voxelCount)
        values[centre] = Float(1e6 / grid.voxelML)            // 1 MBq in 0.064 mL
        let pet = try ws.volume("pet.nii", grid, values)
        // The kernel as is: at its own density ρk (no density scaling).
        let probe = try runDose(pet, out: ws.out, ["--method", "dvk", "--no-decay-correction"])
        let rhoK = try #require(number(probe.doc, "kernel_density_g_per_ml"))
        let dvk = try runDose(pet, out: ws.out, ["--method", "dvk", "--density", String(rhoK), "--half-life", "64.1h",
                                                 "--no-decay-correction"])
        #expect(dvk.doc["density_scaling"] as? String == "none")
        #expect(approx(dvk.dose[centre], 285.6, rel: 0.05), "DVK centre voxel \(dvk.dose[centre]) Gy, REFERENCE 285.6 Gy")
        expectNumber(dvk.doc, "total_activity_gbq", 1e-3, rel: 1e-6)
        let l = try runDose(pet, out: ws.path("ldm.nii"), ["--density", "1.00", "--half-life", "64.1h", "--no-decay-correction"])
        #expect(approx(l.dose[centre], 776.1, rel: 0, abs: 0.05), "LDM centre voxel \(l.dose[centre]) Gy, REFERENCE 776.1 Gy")
    }
}
