#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The fuzz targets' scratch folder: `/dev/shm/voxdose-fuzz-<pid>` (memory, not disk; one per
/// process, so `-jobs`/`-fork` workers do not share files), or the temporary folder when there
/// is no /dev/shm. Removed at exit; folders left by workers that died (a crash) are removed by
/// the next process to start.
public enum Scratch {
    static let prefix = "voxdose-fuzz-"

    public static let folder: String = {
        var root = "/dev/shm"
        var info = stat()
        if stat(root, &info) != 0 || (info.st_mode & S_IFMT) != S_IFDIR || access(root, W_OK) != 0 {
            root = NSTemporaryDirectory()
            while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        }
        removeStale(in: root)
        let path = "\(root)/\(prefix)\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        guard mkdir(path, 0o700) == 0 else { fatalError("fuzz harness: cannot create \(path): errno \(errno)") }
        atexit { try? FileManager.default.removeItem(atPath: Scratch.folder) }
        return path
    }()

    /// A path in the scratch folder.
    public static func path(_ name: String) -> String { "\(folder)/\(name)" }

    /// Writes `bytes` as the whole content of `path` (replacing it).
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { fatalError("fuzz harness: cannot write \(path): errno \(errno)") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { fatalError("fuzz harness: short write to \(path): errno \(errno)") }
            done += n
        }
    }

    /// Removes `path` if it exists.
    public static func remove(_ path: String) { unlink(path) }

    /// Folders of ours whose process no longer exists.
    private static func removeStale(in root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: "\(root)/\(name)")
            }
        }
    }
}
