import ArgumentParser
import CohortStatistics
import PatientStages
import Plausibility
import Foundation
import Reporting
import VoxelIO
import VoxelKernels

/// A failure to report as `error: <message>` with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command body; bad input becomes one line on stderr and exit status 1 — or, for a
/// step a case runs in its own process (``RunWarnings/inProcess``), a thrown ``StepFailure``.
/// `--strict` is read here, for ``RunWarnings``.
func runReportingFailures(_ common: CommonOptions, _ body: () throws -> Void) throws {
    RunWarnings.strict = common.strict
    do {
        try body()
    } catch let error as VoxelIOError {
        try fail(error.description)
    } catch let error as CommandFailure {
        try fail(error.description)
    } catch let error as CohortError {
        try fail(error.description)
    } catch let error as StageFailure {
        try fail(error.description)
    }
}

/// A step that failed inside a case's process: its one-line message.
struct StepFailure: Error {
    var message: String
}

private func fail(_ message: String) throws {
    let text = message.replacingOccurrences(of: "\n", with: " ")
    if RunWarnings.inProcess { throw StepFailure(message: text) }
    FileHandle.standardError.write(Data(("error: " + text + "\n").utf8))
    Foundation.exit(1)
}

/// Refuses a volume output whose name is not `.nii` or `.nii.gz` (what VoxDose writes), or `-`
/// (a volume cannot go to standard output): bad usage (CONTRACT.md guard rails).
func checkVolumeOutputName(_ path: String, option: String) throws {
    if path == OutputFiles.standardOutputName {
        throw ValidationError("\(option) -: a volume cannot be written to standard output; name a .nii or .nii.gz file")
    }
    let lower = path.lowercased()
    guard lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") else {
        throw ValidationError("\(option) \(path): a volume output must end in .nii or .nii.gz (VoxDose writes NIfTI)")
    }
}

/// Output format of table-like commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json, csv
}

/// The run's warnings (one command runs per process): found while reading inputs or by the
/// plausibility rules, merged with the command's own into its JSON `warnings` list and printed
/// on stderr as `warning: …` — or, with `--strict`, the first of them ends the run as an error
/// before anything is written (CONTRACT.md guard rails).
enum RunWarnings {
    nonisolated(unsafe) private static var found: [String] = []
    nonisolated(unsafe) static var strict = false

    static func add(_ message: String) {
        if !found.contains(message) { found.append(message) }
    }

    static func add(_ warning: Plausibility.Warning?) {
        if let warning { add(warning.description) }
    }

    nonisolated(unsafe) private static var reported: [String] = []

    /// Set while `voxdose case` runs a step in its own process: warnings are kept in
    /// ``captured`` instead of printed, failures thrown, progress silent.
    nonisolated(unsafe) static var inProcess = false
    nonisolated(unsafe) static var captured: [String] = []

    /// A fresh start for the next step of a case.
    static func reset() {
        found = []
        reported = []
        captured = []
        strict = false
    }

    /// The warnings so far followed by `own`, as the JSON list; printed on stderr by
    /// ``printReported()`` once the outputs are written (a run that fails prints its error alone).
    /// - Throws: with `--strict`, ``CommandFailure`` carrying the first warning's text. Call it
    ///   after the outputs are staged and before they are committed, so a refusal writes nothing.
    static func report(_ own: [String] = []) throws -> JSONValue {
        reported = found + own.filter { !found.contains($0) }
        if strict, let first = reported.first { throw CommandFailure(first) }
        return .array(reported.map(JSONValue.string))
    }

    /// Prints the reported warnings on stderr as `warning: …` lines (keeps them in a case's process).
    static func printReported() {
        if inProcess { captured += reported } else {
            for warning in reported { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
        reported = []
    }
}

/// What a command expects a map to be, judged by the kind VoxDose writes into `intent_name`
/// (CONTRACT.md guard rails); maps from other tools carry no kind and are not judged.
enum ExpectedMap {
    /// An activity image (the PET of `dose` or `suv`): no VoxDose map kind.
    case pet
    case dose
    /// An SUV or SUL map.
    case uptake
    case any

    func accepts(_ kind: MapKind?) -> Bool {
        guard let kind else { return true }
        switch self {
        case .pet: return false
        case .dose: return kind == .doseGy
        case .uptake: return kind.isUptake
        case .any: return true
        }
    }

    var name: String {
        switch self {
        case .pet: return "a PET activity image"
        case .dose: return "a dose map (dose_gy)"
        case .uptake: return "an SUV map (suv_bw, sul_james, sul_janma or suv_bsa)"
        case .any: return "any map"
        }
    }
}

/// Opening images and labels the same way in every command (CONTRACT.md conventions).
enum Inputs {
    /// Opens a NIfTI file, noting a pixdim that disagrees with the affine in use (the affine
    /// is the geometry: CONTRACT.md hardening rules).
    static func open(_ path: String) throws -> NIfTIFile {
        let file = try NIfTIFile(path: path)
        if let (pixdim, affine) = file.header.pixdimMismatch {
            func mm(_ v: SIMD3<Double>) -> String { [v.x, v.y, v.z].map { String(format: "%.6g", $0) }.joined(separator: " × ") }
            RunWarnings.add("pixdim_mismatch: \(path): pixdim says voxels of \(mm(pixdim)) mm but the \(file.header.affineSource.rawValue) "
                + "(the geometry in use) gives \(mm(affine)) mm; volumes and distances follow the \(file.header.affineSource.rawValue)")
        }
        return file
    }

    /// The 3-D frame to use: `frame` for a 4-D image (required), 0 for a 3-D one.
    /// - Parameter workingSet: the command's peak memory from here on, in Float32 copies of
    ///   the frame (measured under `ulimit -v`; Docs/SAFETY.md): under an address-space
    ///   limit that cannot hold it the command stops here with a clear error, not an abort later.
    static func read(_ path: String, frame: Int?, workingSet: Double,
                     expecting expected: ExpectedMap) throws -> (file: NIfTIFile, volume: ScalarVolume) {
        let file = try open(path)
        if let kind = file.header.mapKind, !expected.accepts(kind) {
            throw CommandFailure("\(path): its intent_name is \(kind.rawValue) (a map VoxDose wrote), but \(expected.name) is expected here")
        }
        let frames = file.header.frameCount
        if frame == nil && frames > 1 {
            throw CommandFailure("\(path): is 4-D with \(frames) frames: choose one with --frame N (0…\(frames - 1))")
        }
        try requireMemory(workingSet * Double(file.header.voxelsPerFrame * 4), for: path)
        return (file, try file.readFrame(frame ?? 0))  // readFrame refuses a frame the file lacks
    }

    /// Bytes a command may allocate beyond what scales with the images (arrays of regions,
    /// JSON, argument parsing): kept free under an address-space limit.
    static let fixedMemoryMargin = 24 << 20

    /// Under an address-space limit (`ulimit -v`), refuses before the work when `bytes` (plus
    /// ``fixedMemoryMargin``) cannot be had: a clear error instead of an abort later.
    static func requireMemory(_ bytes: Double, for path: String) throws {
        let needed = Int(min(bytes, 1e18)) + fixedMemoryMargin
        guard AddressSpace.canAllocate(needed) else {
            throw CommandFailure("\(path): this command needs about \(needed >> 20) MiB of memory for this image, but the "
                + "address-space limit (ulimit -v) leaves \((AddressSpace.availableBytes() ?? 0) >> 20) MiB; raise the limit")
        }
    }

    /// A label image (or mask) read onto a map's grid.
    struct LabelInput {
        var image: LabelImage
        /// Voxels per label on the label image's own grid, when it was resampled.
        var voxelsBefore: [Int64: Int]?
        var resampled: Bool { voxelsBefore != nil }

        /// The `resampling` entries of a resampled label image: per label, its voxels on its own
        /// grid (`voxels_before`) and on the map grid (`voxels_after`).
        func labelResampling(after regions: LabelRegions) -> [(String, JSONValue)] {
            let before = voxelsBefore ?? [:]
            let after = image.byLabel(regions.counts)
            return Set(before.keys).union(after.keys).sorted().map { label in
                (String(label), .object(["voxels_before": .int(before[label] ?? 0), "voxels_after": .int(after[label] ?? 0)]))
            }
        }

        /// The `resampling` entry of a resampled mask: its non-zero voxels on each grid.
        func maskResampling(after mask: LabelRegions) -> JSONValue {
            .object(["voxels_before": .int((voxelsBefore ?? [:]).values.reduce(0, +)), "voxels_after": .int(mask.indices.count)])
        }
    }

    /// A label volume on `grid`: exact integer labels, 3-D, on the same grid unless `resample`.
    /// A resampled label (or the whole mask, with `asMask`) that keeps less than half its volume
    /// adds a `resampling_loss` warning.
    static func labels(_ path: String, onto grid: GridGeometry, gridOf imagePath: String,
                       resample: Bool, asMask: Bool = false) throws -> LabelInput {
        let file = try open(path)
        guard file.header.frameCount == 1 else {
            throw CommandFailure("\(path): a label image must be 3-D; it holds \(file.header.frameCount) frames")
        }
        // The stored bytes and the codes (4 bytes a voxel) on the label grid; on the map grid the
        // (resampled) codes, the regions' voxel indices (8) and the values gathered per region (4).
        let labelGrid = file.header.geometry
        let sameGrid = labelGrid.isSameGrid(as: grid)
        let onLabelGrid = file.header.voxelsPerFrame * (file.header.datatype.bytesPerVoxel + (sameGrid ? 0 : 4))
        try requireMemory(Double(onLabelGrid + grid.voxelCount * 16), for: path)
        let image = try file.readLabelFrame(0)
        if sameGrid { return LabelInput(image: image, voxelsBefore: nil) }
        guard resample else {
            throw CommandFailure("\(path): label grid differs from the image grid of \(imagePath) "
                + "(labels \(describe(labelGrid)); image \(describe(grid))); "
                + "give --resample-labels to map labels by nearest neighbour in world coordinates")
        }
        guard let mapped = Resampling.nearestNeighbourLabels(image.codes, from: labelGrid, onto: grid) else {
            throw CommandFailure("\(path): the label image's affine is singular; it cannot be resampled")
        }
        let before = image.byLabel(LabelPartition.counts(of: image.codes))
        let after = image.byLabel(LabelPartition.counts(of: mapped))
        if asMask {
            RunWarnings.add(Plausibility.resamplingLoss(what: "the mask", beforeML: Double(before.values.reduce(0, +)) * labelGrid.voxelVolumeML,
                                                        afterML: Double(after.values.reduce(0, +)) * grid.voxelVolumeML, file: path))
        } else {
            for (label, voxels) in before.sorted(by: { $0.key < $1.key }) {
                RunWarnings.add(Plausibility.resamplingLoss(what: "label \(label)", beforeML: Double(voxels) * labelGrid.voxelVolumeML,
                                                            afterML: Double(after[label] ?? 0) * grid.voxelVolumeML, file: path))
            }
        }
        return LabelInput(image: image.withCodes(mapped), voxelsBefore: before)
    }

    /// The sidecar a command reads for `image`: `--sidecar`, else the BIDS sidecar beside the
    /// image (`x.nii.gz` → `x.json`, `x.hdr` → `x.json`) when there is one, unless `--no-sidecar`.
    static func sidecarPath(for image: String, given: String?, ignoreBeside: Bool) -> String? {
        if let given { return given }
        guard !ignoreBeside else { return nil }
        return PETSidecar.beside(image)
    }

    /// A 3-D scalar map (a density map, for instance) that must share the image grid.
    static func scalarMap(_ path: String, onto grid: GridGeometry, gridOf imagePath: String) throws -> ScalarVolume {
        let file = try open(path)
        guard file.header.frameCount == 1 else {
            throw CommandFailure("\(path): must be 3-D; it holds \(file.header.frameCount) frames")
        }
        let volume = try file.readFrame(0)
        guard volume.geometry.isSameGrid(as: grid) else {
            throw CommandFailure("\(path): grid differs from the image grid of \(imagePath) "
                + "(map \(describe(volume.geometry)); image \(describe(grid)))")
        }
        return volume
    }

    /// A density map (g/mL) on the image grid; every voxel must be finite and positive.
    static func densityMap(_ path: String, onto grid: GridGeometry, gridOf imagePath: String) throws -> [Float] {
        let rho = try scalarMap(path, onto: grid, gridOf: imagePath).voxels
        let bad = rho.reduce(0) { $0 + ($1.isFinite && $1 > 0 ? 0 : 1) }
        guard bad == 0 else {
            throw CommandFailure("\(path): \(bad) voxels are zero, negative or not finite; densities must be positive (g/mL)")
        }
        return rho
    }

    static func describe(_ g: GridGeometry) -> String {
        func mm(_ x: Double) -> String { String(format: "%.4g", x) }
        let d = g.dimensions, s = g.spacingMM
        let rows = g.affine.rowMajor.prefix(3).map { "[" + $0.map(mm).joined(separator: " ") + "]" }.joined()
        return "\(d.x)×\(d.y)×\(d.z) voxels of \(mm(s.x))×\(mm(s.y))×\(mm(s.z)) mm, affine \(rows)"
    }
}

extension OutputFiles {
    /// The command's last step: stages its JSON (or CSV) document for `path`, commits every
    /// staged output together, then prints the document on stdout when `path` is nil — so
    /// stdout never shows a result whose files were not written.
    func finish(with text: String, to path: String?) throws {
        if let path { try stage(text: text, to: path) }
        try commit()
        RunWarnings.printReported()
        if path == nil { FileHandle.standardOutput.write(Data(text.utf8)) }
    }
}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Flag(help: "No progress messages on stderr (they appear only when stderr is a terminal).")
    var quiet = false

    @Flag(help: "Turn any warning into an error: exit 1 with the first warning, nothing written.")
    var strict = false

    /// Reports a stage of work longer than about a second, on stderr, when stderr is a terminal.
    func progress(_ message: @autoclosure () -> String) {
        guard !quiet, !RunWarnings.inProcess, isatty(STDERR_FILENO) != 0 else { return }
        FileHandle.standardError.write(Data(("voxdose: " + message() + "\n").utf8))
    }
}

/// A date-time a command uses, with where it came from (an option or sidecar keys) and whether
/// its date is known (a BIDS clock time on an unknown day is not).
struct SourcedTime {
    var value: WrittenDateTime
    var source: String
    var dateKnown: Bool

    init(_ value: WrittenDateTime, _ source: String, dateKnown: Bool = true) {
        self.value = value
        self.source = source
        self.dateKnown = dateKnown
    }

    init(_ time: PETSidecar.Time, in sidecar: String) {
        self.init(time.value, "\(time.keys) in \(sidecar)", dateKnown: time.dateKnown)
    }

    /// ISO 8601 text, or nil when the date is not known.
    var iso8601: String? { dateKnown ? value.iso8601 : nil }

    /// Seconds from `start` to `end` (CONTRACT.md): a time without a UTC offset is read in the zone
    /// of the other when it has one, else both are local times; an undated time can only be
    /// compared with another undated one; `end` before `start` is an error.
    static func elapsedSeconds(from start: SourcedTime, named startName: String, to end: SourcedTime,
                               image: String, remedy: String) throws -> Double {
        guard start.dateKnown == end.dateKnown else {
            throw CommandFailure("\(image): \(start.dateKnown ? end.source : start.source) has no date, so it cannot be compared with a full date-time; \(remedy)")
        }
        let zone = start.value.offsetSeconds ?? end.value.offsetSeconds
        let elapsed = end.value.resolved(defaultOffsetSeconds: zone) - start.value.resolved(defaultOffsetSeconds: zone)
        guard elapsed >= 0 else {
            throw CommandFailure("\(image): the reference time \(end.value.iso8601) (\(end.source)) is before the \(startName) \(start.value.iso8601) (\(start.source))")
        }
        return elapsed
    }
}
