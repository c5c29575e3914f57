import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The package root, found from this file's path.
let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The `voxdose` binary under test: `VOXDOSE_BINARY`, else the debug build `swift test` made.
let voxdoseBinary: String = ProcessInfo.processInfo.environment["VOXDOSE_BINARY"]
    ?? packageRoot.appendingPathComponent(".build/debug/voxdose").path

/// What one run of the binary did.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Peak resident memory of the process, KiB (from wait4).
    var maxResidentKiB: Int
    var seconds: Double

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }
}

/// Runs `voxdose args…` in the package root with stdout and stderr captured to files.
func voxdose(_ args: [String], in directory: URL = packageRoot) -> RunResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("voxdose-test-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outPath = scratch.appendingPathComponent("stdout").path, errPath = scratch.appendingPathComponent("stderr").path

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    // Every test runs the binary from the package root (paths in fixtures are relative to it).
    precondition(directory == packageRoot && chdir(packageRoot.path) == 0)

    let argv = ([voxdoseBinary] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = Date()
    let spawned = posix_spawn(&pid, voxdoseBinary, &actions, nil, argv, environ)
    precondition(spawned == 0, "cannot run \(voxdoseBinary): build it first (swift build)")
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = Date().timeIntervalSince(start)
    let exited = (status & 0x7f) == 0
    return RunResult(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                     stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                     stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                     maxResidentKiB: Int(usage.ru_maxrss), seconds: seconds)
}

/// Reads a JSON file from the package.
func loadJSON(_ relativePath: String) throws -> [String: Any] {
    let data = try Data(contentsOf: packageRoot.appendingPathComponent(relativePath))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

/// A fresh empty folder for outputs.
func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("voxdose-out-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// |a − b| ≤ rel·max(|a|, |b|) + abs, with both nil (JSON null) counting as equal.
func close(_ a: Any?, _ b: Any?, rel: Double = 1e-5, abs: Double = 1e-9) -> Bool {
    let x = (a as? NSNumber)?.doubleValue, y = (b as? NSNumber)?.doubleValue
    switch (x, y) {
    case (nil, nil): return (a == nil || a is NSNull) && (b == nil || b is NSNull)
    case let (x?, y?): return Swift.abs(x - y) <= rel * max(Swift.abs(x), Swift.abs(y)) + abs
    default: return false
    }
}

/// Compares two decoded JSON values: numbers within tolerance, everything else exactly.
/// Returns a description of the first difference, or nil.
func difference(_ actual: Any?, _ expected: Any?, path: String = "$", rel: Double = 1e-5) -> String? {
    switch (actual, expected) {
    case let (a as [String: Any], e as [String: Any]):
        for (key, value) in e {
            if let d = difference(a[key], value, path: path + "." + key, rel: rel) { return d }
        }
        return nil
    case let (a as [Any], e as [Any]):
        guard a.count == e.count else { return "\(path): \(a.count) items, expected \(e.count)" }
        for (i, pair) in zip(a, e).enumerated() {
            if let d = difference(pair.0, pair.1, path: "\(path)[\(i)]", rel: rel) { return d }
        }
        return nil
    case let (a as NSNumber, e as NSNumber):
        // Booleans bridge to 0/1 here; keys name their type, so a numeric comparison suffices.
        return close(a, e, rel: rel) ? nil : "\(path): \(a), expected \(e)"
    case let (a as String, e as String):
        return a == e ? nil : "\(path): \"\(a)\", expected \"\(e)\""
    case (is NSNull, is NSNull), (nil, is NSNull):
        return nil
    default:
        return "\(path): \(String(describing: actual)), expected \(String(describing: expected))"
    }
}

/// Which output of a program to keep (the other is discarded).
enum CapturedStream { case stdout, stderr }

/// Runs `executable args…` from `folder` (default: the test's own), keeping one of its outputs:
/// its exit status and that text. For programs other than a `voxdose` run from the package root
/// (``voxdose(_:in:)``): a step from a study's folder, Snakemake, Chromium.
func runProgram(_ executable: String, _ args: [String], in folder: URL? = nil,
                capturing stream: CapturedStream = .stderr) throws -> (status: Int32, text: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    if let folder { process.currentDirectoryURL = folder }
    let pipe = Pipe()
    process.standardOutput = stream == .stdout ? pipe : FileHandle.nullDevice
    process.standardError = stream == .stderr ? pipe : FileHandle.nullDevice
    try process.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
