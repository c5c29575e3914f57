#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses output paths that would destroy an input, each other, or a file that is not a plain
/// file (CONTRACT.md conventions and hardening rules).
public enum OutputSafety {
    /// Whether two paths name one existing file (same device and inode: links and spellings included).
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        guard let x = FileSystem.identity(a), let y = FileSystem.identity(b) else { return false }
        return x == y
    }

    /// Refuses, naming the output:
    /// - an output that is the same file as an input (same device and inode, or the same path
    ///   after resolving `.`, `..` and links), where an input is every file it really is: a
    ///   `.hdr` input's `.img`/`.img.gz` data file included;
    /// - two outputs that are the same file;
    /// - an output that exists and is not a regular file (a device, FIFO, socket or folder,
    ///   directly or through a link): writing would replace it with a regular file.
    /// - Throws: ``VoxelIOError`` naming the output that collides.
    public static func check(outputs: [String], inputs: [String]) throws {
        let inputFiles = inputs.flatMap { [$0] + NIfTIFile.companionDataFiles(ofHeader: $0) }
        func same(_ a: String, _ b: String) -> Bool {
            if FileSystem.resolved(a) == FileSystem.resolved(b) { return true }
            guard let x = FileSystem.identity(a), let y = FileSystem.identity(b) else { return false }
            return x == y
        }
        for (index, output) in outputs.enumerated() {
            if let input = inputFiles.first(where: { same(output, $0) }) {
                let named = inputs.contains(input) ? input : "\(input) (the data file of an input)"
                throw VoxelIOError(output, "output is the same file as the input \(named); refusing to overwrite it")
            }
            if let other = outputs[..<index].first(where: { same(output, $0) }) {
                throw VoxelIOError(output, "two outputs name the same file (also \(other))")
            }
            if let type = FileSystem.fileType(output), type != S_IFREG {
                let kind = type == S_IFDIR ? "a folder" : type == S_IFIFO ? "a FIFO" : type == S_IFSOCK ? "a socket"
                    : type == S_IFCHR || type == S_IFBLK ? "a device" : "not a regular file"
                throw VoxelIOError(output, "the output exists and is \(kind); refusing to replace it with a file")
            }
        }
    }
}

/// The files one command writes, written together (CONTRACT.md hardening rules): checked
/// before any work, each staged to a temporary file in its own folder, then committed all at
/// once — or none of them, when anything fails before the commit.
///
/// Committing several files first removes every old output, then renames the new ones, with
/// SIGTERM, SIGINT and SIGHUP held back, so even a SIGKILL in between can never leave a new map
/// beside an old summary. A single file is renamed over the old one (atomic replacement).
public final class OutputFiles {
    /// The name that means standard output (`--out -`).
    public static let standardOutputName = "-"

    private let paths: [String]
    private var staged: [String: String] = [:]
    private var standardOutputBytes: [UInt8]?

    /// Checks `outputs` (nil entries ignored; `-` is standard output, at most one of them)
    /// against `inputs` with ``OutputSafety/check``, and removes temporary files that earlier
    /// runs on this machine left in the outputs' folders.
    public init(_ outputs: [String?], inputs: [String?]) throws {
        let all = outputs.compactMap { $0 }
        paths = all.filter { $0 != Self.standardOutputName }
        if all.count - paths.count > 1 { throw VoxelIOError("-", "two outputs go to standard output") }
        try OutputSafety.check(outputs: paths, inputs: inputs.compactMap { $0 })
        for folder in Set(paths.map(FileSystem.folder(of:))) { TemporaryFiles.sweepStale(inFolder: folder) }
    }

    /// Writes `pieces` (concatenated) as the future content of `path`, one of the outputs
    /// (`-`: standard output, written when the files are committed).
    public func stage(_ path: String, pieces: [UnsafeRawBufferPointer]) throws {
        if path == Self.standardOutputName {
            standardOutputBytes = pieces.flatMap { Array($0) }
            return
        }
        precondition(paths.contains(path), "\(path) was not declared as an output")
        if let old = staged[path] { TemporaryFiles.discard(old) }
        staged[path] = try FileSystem.stage(path, pieces: pieces)
    }

    /// Stages UTF-8 text as the content of `path`.
    public func stage(text: String, to path: String) throws {
        try Array(text.utf8).withUnsafeBytes { try stage(path, pieces: [$0]) }
    }

    /// Puts every staged file in place. Outputs declared but never staged are left as they are.
    public func commit() throws {
        let order = paths.filter { staged[$0] != nil }
        try TemporaryFiles.withSignalsBlocked {
            if order.count > 1 {
                for path in order where FileSystem.fileType(path) == S_IFREG { unlink(path) }
            }
            for path in order {
                let temporary = staged.removeValue(forKey: path)!
                try FileSystem.commit(temporary, to: path)
            }
        }
        if let bytes = standardOutputBytes {
            _ = bytes.withUnsafeBytes { FileSystem.writeAll(STDOUT_FILENO, $0) }  // a closed stdout is the reader's choice
            standardOutputBytes = nil
        }
    }

    /// Removes whatever is staged and not committed.
    public func discard() {
        for temporary in staged.values { TemporaryFiles.discard(temporary) }
        staged.removeAll()
    }

    deinit { discard() }
}

/// Text outputs (JSON, CSV) written like every other output: to a temporary name in the
/// target folder, renamed when complete.
public enum AtomicTextFile {
    public static func write(_ text: String, to path: String) throws {
        try Array(text.utf8).withUnsafeBytes { try FileSystem.writeAtomically(path, pieces: [$0]) }
    }
}
