// voxdose-bench: times VoxDose's stages on given files, median of repetitions after a
// warm-up, and prints JSON. `make bench` runs it beside the peers in ../shared/peers on the
// same files (Benchmarks/run_bench.py) and prints the ratios; Docs/PERFORMANCE.md records them.
import ArgumentParser
import CaseReport
import Dosimetry
import Foundation
import PETQuant
import Reporting
import VOIStatistics
import VoxelIO
import VoxelKernels

@main
struct VoxDoseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voxdose-bench",
        abstract: "Time VoxDose stages on NIfTI files (JSON on stdout).")

    @Option(help: "An uncompressed .nii Float32 volume.") var nii: String?
    @Option(help: "The same volume as .nii.gz.") var gz: String?
    @Option(help: "A label volume on the same grid, for the per-label statistics stage.") var labels: String?
    @Option(help: "Timed repetitions per stage (after one warm-up).") var reps = 5
    @Option(help: "Write the DVK dose map of the .nii here (for the peer comparison).") var dvkOutput: String?
    @Option(help: "Write the DVK kernel for the .nii's grid here as JSON (for the peer comparison).") var exportKernel: String?
    @Option(help: "Write a lesion-table scene here (dose.nii, suv.nii, labels.nii: the phantom's muscle 10 and blood pool 11 plus 50 spherical lesions 100…149) and stop.")
    var lesionScene: String?
    @Option(help: "Time the lesion table's per-label dose statistics (partition, dose metrics with the `lesions` defaults, 1 Gy DVH) on a folder written by --lesion-scene, and stop.")
    var sceneStats: String?
    @Option(help: "Time the report of a case folder as `voxdose case` makes it (maps and label images already read, as the case's frame cache keeps them: tables, pictures, page), and stop.")
    var reportCase: String?
    @Option(help: "Time `dvk` and `dvk-path` with a density map on an N³ liver/lung phantom at 2.4 mm (lung dome over liver, hot lesions under it, noise), and stop.")
    var lungInterface: Int?
    @Flag(help: "Only time the first read of the .nii in this fresh process (what one command-line run pays), then the page-cache floor.")
    var firstReadOnly = false

    func validate() throws {
        if reps < 1 { throw ValidationError("--reps must be at least 1") }
        if reportCase == nil && lungInterface == nil && (nii == nil || gz == nil) { throw ValidationError("give --nii and --gz (or --report-case)") }
    }

    func run() throws {
        var stages = JSONObject()
        if let folder = reportCase {
            FreshMemory.reuseFreedMemory()  // as in `voxdose`, whose case process makes the report
            FrameCache.start { _ in true }
            var pictures = 0
            var images: [ReportContent.Image] = []
            stages["report"] = time(bytes: 0) {
                let content = try CaseFolder.content(folder)
                images = content.figures.flatMap { [$0.dose, $0.suv].compactMap { $0 } }
                pictures = images.count
                precondition(!ReportPage.html(content).isEmpty)
            }
            // The floor the pictures' PNG encoding alone sets: the same RGB images encoded again
            // (libpng, zlib level 1, as the report does), on as many threads.
            let rgb = images.compactMap { PNGImage.decodeRGB($0.png) }
            stages["png_encode"] = time(bytes: rgb.reduce(0) { $0 + $1.pixels.count }) {
                Parallel.forEachChunk(count: rgb.count, minimumChunk: 1) { _, range in
                    for n in range { _ = try? PNGImage.encodeRGB(rgb[n].pixels, width: rgb[n].width, height: rgb[n].height) }
                }
            }
            print(JSONObject.document(schema: "voxdose.bench/1", ["pictures": .int(pictures), "threads": .int(Parallel.threadCount),
                                                                   "stages": .object(stages)]).serialized(), terminator: "")
            return
        }
        if let size = lungInterface {
            FreshMemory.reuseFreedMemory()  // as `voxdose` does
            let (grid, activity, density) = Self.lungInterfacePhantom(size: size)
            var settings = DoseMap.Settings()
            settings.density = .map(density)
            var corrected = 0
            for method in [DoseMap.Method.dvk, .dvkPath] {
                settings.method = method
                stages[method.rawValue] = time(bytes: activity.count * 4) {
                    corrected = DoseMap.compute(concentrations: activity, geometry: grid, settings: settings).pathTracedSources ?? corrected
                }
            }
            print(JSONObject.document(schema: "voxdose.bench/1", ["voxels": .int(activity.count), "path_traced_source_voxels": .int(corrected),
                                                                   "threads": .int(Parallel.threadCount), "stages": .object(stages)]).serialized(),
                  terminator: "")
            return
        }
        guard let nii, let gz else { return }
        let bytes = try NIfTIFile(path: nii).frameBytes
        if let folder = lesionScene {
            guard let labels else { throw ValidationError("--lesion-scene needs --labels (the phantom's labels)") }
            let file = try NIfTIFile(path: nii)
            let volume = try file.readFrame(0)
            let phantom = try NIfTIFile(path: labels).readLabelFrame(0).codes
            var sceneLabels = phantom.map { $0 == 10 || $0 == 11 ? $0 : 0 }
            for (i, l) in Self.sphericalLesions(count: 50, grid: volume.geometry).enumerated() where l != 0 { sceneLabels[i] = 99 + l }
            let dose = ElementwiseMaps.scaled(volume.voxels, by: Float(LocalDeposition.grayPerBqPerML(
                doseFactorJPerGBq: Y90.doseFactorJPerGBq, densityGPerML: Self.tissueDensityGPerML)))
            let suv = ElementwiseMaps.scaled(volume.voxels, by: Float(70_000 / 3e9))  // SUVbw: 70 kg, 3 GBq
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try NIfTIWriter.write(dose, to: folder + "/dose.nii", reference: file.header, description: "bench dose")
            try NIfTIWriter.write(suv, to: folder + "/suv.nii", reference: file.header, description: "bench suv")
            try NIfTIWriter.writeLabels(sceneLabels, to: folder + "/labels.nii", reference: file.header, description: "bench labels")
            return
        }
        if let folder = sceneStats {
            let dose = try NIfTIFile(path: folder + "/dose.nii").readFrame(0).voxels
            let labels = try NIfTIFile(path: folder + "/labels.nii").readLabelFrame(0).codes
            var regions = 0
            stages["lesion_dose_stats"] = time(bytes: labels.count * 4) {
                var partition = LabelPartition(values: dose, labels: labels)
                let metrics = LesionDoseMetrics.compute(&partition, settings: .init())
                var rows = 0
                partition.values.withUnsafeBufferPointer { all in
                    for r in partition.labels.indices {
                        rows += DoseVolumeMetrics.cumulativeDVH(UnsafeBufferPointer(rebasing: all[partition.regionRange(r)]), binGy: 1).count
                    }
                }
                regions = metrics.count
                precondition(rows > 0)
            }
            print(JSONObject.document(schema: "voxdose.bench/1", ["labels": .int(regions), "threads": .int(Parallel.threadCount),
                                                                   "stages": .object(stages)]).serialized(), terminator: "")
            return
        }
        if firstReadOnly {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try NIfTIFile(path: nii).readFrame(0)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            stages["first_read_nii"] = .object(["seconds": .number(seconds)])
            stages["pagecache_read_nii"] = time(bytes: bytes) { try PageCacheBaseline.read(nii) }
            print(JSONObject.document(schema: "voxdose.bench/1", ["stages": .object(stages)]).serialized(), terminator: "")
            return
        }
        stages["pagecache_read_nii"] = time(bytes: bytes) { try PageCacheBaseline.read(nii) }
        stages["read_nii"] = time(bytes: bytes) { _ = try NIfTIFile(path: nii).readFrame(0) }
        stages["read_gz"] = time(bytes: bytes) { _ = try NIfTIFile(path: gz).readFrame(0) }
        let volume = try NIfTIFile(path: nii).readFrame(0)
        let header = try NIfTIFile(path: nii).header
        // Memory bandwidth reference, in this run: b = k·a over two arrays allocated and touched
        // once (STREAM "scale"; bytes moved = read + write), split across the same threads.
        var a = volume.voxels, b = volume.voxels
        stages["stream_scale"] = time(bytes: 2 * bytes) {
            a.withUnsafeBufferPointer { src in
                b.withUnsafeMutableBufferPointer { dst in
                    let s = UncheckedSendable(src.baseAddress!), d = UncheckedSendable(dst.baseAddress!)
                    Parallel.forEachChunk(count: src.count) { _, range in
                        for i in range { d.value[i] = 1.0001 * s.value[i] }
                    }
                }
            }
        }
        // LDM as `voxdose dose` runs it: in place on the voxels it owns (the copy is not timed).
        var settings = DoseMap.Settings()
        settings.density = .uniform(Self.tissueDensityGPerML)
        stages["ldm_map"] = time(bytes: 2 * bytes, prepare: { a = volume.voxels; a.withUnsafeMutableBufferPointer { _ in } }) {
            let input = a
            a = []
            a = DoseMap.compute(concentrations: consume input, geometry: volume.geometry, settings: settings).doseGy
        }
        settings.method = .dvk
        var dvk: DoseMap.Result?
        stages["dvk_map"] = time(bytes: bytes) {
            dvk = DoseMap.compute(concentrations: volume.voxels, geometry: volume.geometry, settings: settings)
        }
        if let dvk, let dvkOutput {
            try NIfTIWriter.write(dvk.doseGy, to: dvkOutput, reference: header, description: "voxdose-bench DVK")
        }
        if let path = exportKernel, let kernel = dvk?.kernel, let scale = dvk?.kernelScale {
            let r = kernel.radius
            var values: [JSONValue] = []
            for i in -r.x...r.x { for j in -r.y...r.y { for k in -r.z...r.z { values.append(.number(kernel.sValue(i, j, k))) } } }
            // Gy per image unit (Bq/mL) per S unit, as DoseMap scaled it (ρk/ρ included).
            try AtomicTextFile.write(JSONObject.document(schema: "voxdose.kernel/1", [
                "source": .string(kernel.source.rawValue),
                "voxel_mm": .array([kernel.voxelMM.x, kernel.voxelMM.y, kernel.voxelMM.z].map { .number($0) }),
                "shape": .array([2 * r.x + 1, 2 * r.y + 1, 2 * r.z + 1].map { .int($0) }),
                "gy_per_bq_per_ml_per_s_unit": .number(scale),
                "s_mgy_per_mbq_s": .array(values),
            ]).serialized(), to: path)
        }
        // Per-lesion uptake (SUVmax, SUVmean, exact SUVpeak over a 1 mL sphere, T/BP, T/M,
        // hypoxic volume) for 50 spherical lesions of 5–20 mm radius at deterministic places.
        let lesions = Self.sphericalLesions(count: 50, grid: volume.geometry)
        stages["lesion_uptake_50"] = time(bytes: bytes) {
            _ = LesionUptake.metrics(suv: volume.voxels, geometry: volume.geometry, regions: LabelRegions(lesions), excluding: [],
                                     references: .init(muscleMean: 1, bloodPoolMean: 1), settings: .init())
        }
        let scratch = FileManager.default.temporaryDirectory.path + "/voxdose-bench-\(getpid())"
        stages["write_nii"] = time(bytes: bytes) {
            try NIfTIWriter.write(volume.voxels, to: scratch + ".nii", reference: header, description: "bench")
        }
        stages["write_gz"] = time(bytes: bytes) {
            try NIfTIWriter.write(volume.voxels, to: scratch + ".nii.gz", reference: header, description: "bench")
        }
        try? FileManager.default.removeItem(atPath: scratch + ".nii")
        try? FileManager.default.removeItem(atPath: scratch + ".nii.gz")
        if let labels {
            let integers = try NIfTIFile(path: labels).readLabelFrame(0).codes
            stages["stats_labels"] = time(bytes: bytes) {
                _ = RegionStatisticsCalculator.compute(values: volume.voxels, labels: integers,
                                                       voxelVolumeML: volume.geometry.voxelVolumeML,
                                                       percentiles: [2, 50, 98])
            }
        }
        let document = JSONObject.document(schema: "voxdose.bench/1", [
            "files": .object(["nii": .string(nii), "gz": .string(gz), "labels": .string(labels)]),
            "threads": .int(Parallel.threadCount),
            "reps": .int(reps),
            "stages": .object(stages),
        ])
        print(document.serialized(), terminator: "")
    }

    /// Labels 1…count: balls of radius 5–20 mm at pseudo-random centres (a fixed LCG), later
    /// labels overwriting earlier ones where they overlap.
    static func sphericalLesions(count: Int, grid: GridGeometry) -> [Int32] {
        let d = grid.dimensions, s = grid.spacingMM
        var labels = [Int32](repeating: 0, count: grid.voxelCount)
        var state: UInt64 = 20261125
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for label in 1...count {
            let radius = 5 + 15 * next()
            let centre = SIMD3(next() * Double(d.x), next() * Double(d.y), next() * Double(d.z))
            let r = SIMD3(Int(radius / s.x) + 1, Int(radius / s.y) + 1, Int(radius / s.z) + 1)
            for k in max(0, Int(centre.z) - r.z)..<min(d.z, Int(centre.z) + r.z + 1) {
                for j in max(0, Int(centre.y) - r.y)..<min(d.y, Int(centre.y) + r.y + 1) {
                    for i in max(0, Int(centre.x) - r.x)..<min(d.x, Int(centre.x) + r.x + 1) {
                        let dx = (Double(i) - centre.x) * s.x, dy = (Double(j) - centre.y) * s.y, dz = (Double(k) - centre.z) * s.z
                        if dx * dx + dy * dy + dz * dz <= radius * radius { labels[i + d.x * (j + d.y * k)] = Int32(label) }
                    }
                }
            }
        }
        return labels
    }

    /// An N³ grid of 2.4 mm voxels: liver (1.05 g/mL, 1 MBq/mL) below a lung dome (0.26 g/mL,
    /// 0.03 MBq/mL) that rises 0.15·N voxels over the middle; five lesions (15 mm radius, 4 MBq/mL)
    /// just under the dome; every voxel ±10 % of noise (a fixed hash).
    static func lungInterfacePhantom(size n: Int) -> (GridGeometry, [Float], [Float]) {
        let spacing = 2.4
        let grid = GridGeometry(dimensions: SIMD3(n, n, n), spacingMM: SIMD3(repeating: spacing), affine: .scaling(SIMD3(repeating: spacing)))
        let centre = Double(n) / 2
        func dome(_ x: Double, _ y: Double) -> Double {
            let r2 = ((x - centre) * (x - centre) + (y - centre) * (y - centre)) / (centre * centre)
            return centre + 0.15 * Double(n) * max(0, 1 - r2)
        }
        let lesions = (0..<5).map { k -> SIMD3<Double> in
            let angle = Double(k) * 2 * Double.pi / 5, x = centre + 0.25 * Double(n) * cos(angle), y = centre + 0.25 * Double(n) * sin(angle)
            return SIMD3(x, y, dome(x, y) - 15 / spacing - 2)
        }
        var activity = [Float](repeating: 0, count: n * n * n), density = activity
        for z in 0..<n {
            for y in 0..<n {
                for x in 0..<n {
                    let i = x + n * (y + n * z)
                    let noise = Float(Double((UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >> 40) / Double(1 << 24) * 0.2 + 0.9)
                    let p = SIMD3(Double(x), Double(y), Double(z))
                    let lung = Double(z) > dome(Double(x), Double(y))
                    let hot = lesions.contains { (($0 - p) * spacing * (($0 - p) * spacing)).sum() < 225 }
                    density[i] = lung ? 0.26 : 1.05
                    activity[i] = (lung ? 0.03e6 : hot ? 4e6 : 1e6) * noise
                }
            }
        }
        return (grid, activity, density)
    }

    /// Median and minimum wall time of `reps` runs after one warm-up; throughput in MB/s of
    /// `bytes` (1 MB = 1e6 B, uncompressed Float32 data, as the peers count).
    /// The peers' soft-tissue density (../shared/peers/common.py: 1.03 g/mL).
    static let tissueDensityGPerML = 1.03

    func time(bytes: Int, prepare: () -> Void = {}, _ body: () throws -> Void) -> JSONValue {
        var samples: [Double] = []
        for rep in 0...reps {
            prepare()
            let start = DispatchTime.now().uptimeNanoseconds
            do { try body() } catch { return .string("failed: \(error)") }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if rep > 0 { samples.append(seconds) }
        }
        samples.sort()
        let median = samples.count % 2 == 1 ? samples[samples.count / 2]
            : (samples[samples.count / 2 - 1] + samples[samples.count / 2]) / 2
        return .object(["median_s": .number(median), "min_s": .number(samples.first!),
                        "mb_per_s": .number(Double(bytes) / median / 1e6),
                        "samples_s": .array(samples.map { .number($0) })])
    }
}

/// The floor for reading a `.nii`: one `read` of the whole file from the page cache into a
/// buffer allocated once (the peers' `limits.py pagecache`, done in Swift).
enum PageCacheBaseline {
    nonisolated(unsafe) static var buffer: UnsafeMutableRawBufferPointer?

    static func read(_ path: String) throws {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        if buffer == nil || buffer!.count < size {
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
            buffer!.initializeMemory(as: UInt8.self, repeating: 0)
        }
        var done = 0
        while done < size {
            let n = Foundation.read(handle.fileDescriptor, buffer!.baseAddress! + done, size - done)
            guard n > 0 else { throw CocoaError(.fileReadUnknown) }
            done += n
        }
    }
}
