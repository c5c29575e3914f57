#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxelKernels

/// The POSIX calls VoxelIO makes: open, stat, pread, write, rename. Errors carry the
/// path and `strerror(errno)`.
enum FileSystem {
    static func errorText() -> String { String(cString: strerror(errno)) }

    /// An open, read-only regular file; `deinit` closes it.
    final class ReadableFile {
        let path: String
        let descriptor: Int32
        let size: Int

        init(_ path: String) throws {
            self.path = path
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw VoxelIOError(path, "cannot open: \(FileSystem.errorText())") }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let message = FileSystem.errorText()
                close(fd)
                throw VoxelIOError(path, "cannot stat: \(message)")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw VoxelIOError(path, "is not a regular file")
            }
            descriptor = fd
            size = Int(info.st_size)
        }

        deinit { close(descriptor) }

        /// Reads exactly `count` bytes at `offset` into `buffer`, in parallel slices for large
        /// reads (two page-cache copies at once are faster than one on this machine).
        func read(into buffer: UnsafeMutableRawPointer, count: Int, offset: Int) throws {
            let target = UncheckedSendable(buffer)
            let failures = Parallel.mapChunks(count: count, minimumChunk: 8 << 20) { range -> String? in
                var done = 0
                while done < range.count {
                    let n = pread(descriptor, target.value + range.lowerBound + done, range.count - done,
                                  off_t(offset + range.lowerBound + done))
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { return "read failed: \(FileSystem.errorText())" }
                    if n == 0 { return "truncated: the file ended while reading voxel data" }
                    done += n
                }
                return nil
            }
            if let failure = failures.compactMap({ $0 }).first { throw VoxelIOError(path, failure) }
        }

        /// The first `count` bytes (fewer if the file is shorter).
        func prefix(_ count: Int) throws -> [UInt8] {
            let n = min(count, size)
            var bytes = [UInt8](repeating: 0, count: n)
            try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: n, offset: 0) }
            return bytes
        }

        /// Reads the whole file into memory and passes its bytes to `body`. Not a memory map: a
        /// file that shrinks while it is read (rewritten by another program) must give a
        /// "truncated" error, not SIGBUS.
        func withContents<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
            guard size > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            guard let base = malloc(size) else { throw VoxelIOError(path, "cannot allocate \(size) bytes to read it") }
            defer { free(base) }
            FreshMemory.prepare(base, byteCount: size, populate: true)  // the size is the file's own: honest
            try read(into: base, count: size, offset: 0)
            return try body(UnsafeRawBufferPointer(start: base, count: size))
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The process's umask, read without changing it (`Umask:` in /proc/self/status, Linux
    /// ≥ 4.7): setting and restoring it races with threads creating files. 022 if unreadable.
    static let processUmask: mode_t = {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
           let value = mode_t(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) {
            return value
        }
        return 0o022
    }()

    /// (device, inode) of an existing file, following links.
    static func identity(_ path: String) -> (UInt64, UInt64)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// The absolute path with `.`, `..` and links resolved as far as the path exists.
    static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        // A file that does not exist yet: resolve its folder.
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard let real = realpath(folder.isEmpty ? "/" : folder, nil) else { return path }
        defer { free(real) }
        return String(cString: real) + "/" + name
    }

    /// The folder part of `path`, with its trailing slash ("" for a bare name).
    static func folder(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
    }

    /// Writes `pieces` to a new temporary file in `path`'s folder and returns its path; the
    /// caller renames it into place (``commit(_:to:)``) or discards it. On failure nothing is
    /// left behind.
    static func stage(_ path: String, pieces: [UnsafeRawBufferPointer]) throws -> String {
        guard let (fd, temporary) = TemporaryFiles.create(inFolder: folder(of: path)) else {
            throw VoxelIOError(path, "cannot create a file in the output folder: \(errorText())")
        }
        var written = false
        defer { if !written { TemporaryFiles.discard(temporary) } }
        defer { close(fd) }
        for piece in pieces {
            guard writeAll(fd, piece) else { throw VoxelIOError(path, "write failed: \(errorText())") }
        }
        // Output files get the usual permissions (mkstemp creates them 0600).
        fchmod(fd, 0o666 & ~processUmask)
        written = true
        return temporary
    }

    /// Writes every byte of `bytes` to `descriptor` (retrying short writes and EINTR); false
    /// when a write fails (errno says why).
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// The names in `folder` ("" for the current one), without `.` and `..`; empty when it
    /// cannot be read. At most `limit` names.
    static func names(inFolder folder: String, limit: Int = .max) -> [String] {
        guard let directory = opendir(folder.isEmpty ? "." : folder) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while names.count < limit, let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Renames a staged temporary file over `path`.
    static func commit(_ temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            let message = errorText()
            TemporaryFiles.discard(temporary)
            throw VoxelIOError(path, "cannot rename into place: \(message)")
        }
        TemporaryFiles.forget(temporary)
    }

    /// The kind of file at `path`, following links; nil when nothing is there (a dangling link
    /// included).
    static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    /// Writes `pieces` to a temporary file in the target folder, then renames it over `path`.
    /// On any failure the temporary file is removed and `path` is untouched.
    static func writeAtomically(_ path: String, pieces: [UnsafeRawBufferPointer]) throws {
        try commit(stage(path, pieces: pieces), to: path)
    }
}
