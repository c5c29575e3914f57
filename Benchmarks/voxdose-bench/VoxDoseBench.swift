// voxdose-bench: times VoxDose's stages on given files, median of repetitions after a
// warm-up, and prints JSON. `make bench` runs it beside the peers in ../shared/peers on the
// same files (Benchmarks/run_bench.py) and prints the ratios; Docs/PERFORMANCE.md records them.
import ArgumentParser
import Foundation
import Reporting
import VOIStatistics
import VoxelIO
import VoxelKernels

@main
struct VoxDoseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voxdose-bench",
        abstract: "Time VoxDose stages on NIfTI files (JSON on stdout).")

    @Option(help: "An uncompressed .nii Float32 volume.") var nii: String
    @Option(help: "The same volume as .nii.gz.") var gz: String
    @Option(help: "A label volume on the same grid, for the per-label statistics stage.") var labels: String?
    @Option(help: "Timed repetitions per stage (after one warm-up).") var reps = 5

    func run() throws {
        var stages = JSONObject()
        let bytes = try NIfTIFile(path: nii).frameBytes
        stages["pagecache_read_nii"] = time(bytes: bytes) { try PageCacheBaseline.read(nii) }
        stages["read_nii"] = time(bytes: bytes) { _ = try NIfTIFile(path: nii).readFrame(0) }
        stages["read_gz"] = time(bytes: bytes) { _ = try NIfTIFile(path: gz).readFrame(0) }
        if let labels {
            let volume = try NIfTIFile(path: nii).readFrame(0)
            let labelValues = try NIfTIFile(path: labels).readFrame(0).voxels
            guard case .success(let integers) = LabelConversion.integers(labelValues) else {
                throw ValidationError("\(labels) is not an integer label image")
            }
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

    /// Median and minimum wall time of `reps` runs after one warm-up; throughput in MB/s of
    /// `bytes` (1 MB = 1e6 B, uncompressed Float32 data, as the peers count).
    func time(bytes: Int, _ body: () throws -> Void) -> JSONValue {
        var samples: [Double] = []
        for rep in 0...reps {
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
