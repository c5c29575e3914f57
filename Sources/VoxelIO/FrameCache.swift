import Foundation
import VoxelKernels

/// Frames this process has read, kept for a later read of the same unchanged file: a patient case
/// runs its steps in one process, and the lesion table and then the report read the same maps and
/// label images (Docs/ARCHITECTURE.md). Off unless a caller says which files to keep.
///
/// A file is the same when its device, inode, size and modification time (ns) are: a step that
/// rewrites a file renames a new one into place, which is a new inode.
public enum FrameCache {
    struct Key: Hashable {
        var device: UInt64, inode: UInt64, size: Int64, modified: Int64, frame: Int
        /// What was read: a scalar frame and a label frame of one file are two entries.
        var kind: ObjectIdentifier
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var keep: (@Sendable (String) -> Bool)?
    nonisolated(unsafe) private static var frames: [Key: any Sendable] = [:]

    /// Keeps frames of the files `keep` accepts (by the path as given to ``NIfTIFile``) until
    /// ``stop()``.
    public static func start(keeping keep: @escaping @Sendable (String) -> Bool) {
        lock.withLock { self.keep = keep }
    }

    /// Forgets every frame and keeps no more.
    public static func stop() {
        lock.withLock {
            keep = nil
            frames = [:]
        }
    }

    /// Frame `frame` of the file at `path` as `read` makes it, or the one made before from the same
    /// unchanged file when the cache keeps that path.
    static func frame<T: Sendable>(_ path: String, _ frame: Int, _ read: () throws -> T) rethrows -> T {
        guard let key = key(path, frame: frame, kind: T.self) else { return try read() }
        if let kept = lock.withLock({ frames[key] }) as? T { return kept }
        let value = try read()
        lock.withLock { frames[key] = value }
        return value
    }

    private static func key<T>(_ path: String, frame: Int, kind: T.Type) -> Key? {
        guard lock.withLock({ keep?(path) }) == true else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                   modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec), frame: frame,
                   kind: ObjectIdentifier(kind))
    }
}
