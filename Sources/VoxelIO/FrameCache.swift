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
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var keep: (@Sendable (String) -> Bool)?
    nonisolated(unsafe) private static var volumes: [Key: ScalarVolume] = [:]
    nonisolated(unsafe) private static var labels: [Key: LabelImage] = [:]

    /// Keeps frames of the files `keep` accepts (by the path as given to ``NIfTIFile``) until
    /// ``stop()``.
    public static func start(keeping keep: @escaping @Sendable (String) -> Bool) {
        lock.withLock { self.keep = keep }
    }

    /// Forgets every frame and keeps no more.
    public static func stop() {
        lock.withLock {
            keep = nil
            volumes = [:]
            labels = [:]
        }
    }

    static func key(_ path: String, frame: Int) -> Key? {
        guard lock.withLock({ keep?(path) }) == true else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Key(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                   modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec), frame: frame)
    }

    static func volume(_ key: Key?) -> ScalarVolume? { key.flatMap { k in lock.withLock { volumes[k] } } }
    static func store(_ volume: ScalarVolume, _ key: Key?) { if let key { lock.withLock { volumes[key] = volume } } }
    static func labelImage(_ key: Key?) -> LabelImage? { key.flatMap { k in lock.withLock { labels[k] } } }
    static func store(_ image: LabelImage, _ key: Key?) { if let key { lock.withLock { labels[key] = image } } }
}
