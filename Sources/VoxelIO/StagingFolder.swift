import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder of outputs that appear all together or not at all (a patient case): filled under a
/// temporary name beside its destination, renamed to the destination when complete (CONTRACT.md
/// `case`: "all or nothing").
///
/// The temporary name is `.<name>.tmp-<host>-<pid>-XXXXXX` for a destination called `name` (in a
/// batch, `.<patient_id>.tmp-…`): SIGTERM, SIGINT and SIGHUP remove the files registered with
/// ``expect(_:)`` and the folder; after a SIGKILL the next run into the same parent folder
/// removes it (``OutputFiles`` and this type sweep leftovers of processes that are gone).
public final class StagingFolder {
    /// The folder being filled.
    public let path: String
    /// Where it goes when complete (absolute, no trailing slash).
    public let destination: String
    private var finished = false

    /// Creates the staging folder beside `destination`.
    /// - Parameter replacing: whether a non-empty `destination` may be replaced (`--overwrite`);
    ///   an empty one is always used as if absent.
    /// - Throws: ``VoxelIOError`` naming `destination`: its parent folder is missing, it is a file,
    ///   it is a non-empty folder without `replacing`, or the staging folder cannot be made.
    public init(for destination: String, replacing: Bool) throws {
        var trimmed = destination
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let absolute = FileSystem.resolved(trimmed.hasPrefix("/") ? trimmed : FileManager.default.currentDirectoryPath + "/" + trimmed)
        self.destination = absolute
        let parent = FileSystem.folder(of: absolute)
        guard FileSystem.fileType(parent) == S_IFDIR else {
            throw VoxelIOError(destination, "its parent folder \(parent) does not exist")
        }
        if let type = FileSystem.fileType(absolute) {
            guard type == S_IFDIR else { throw VoxelIOError(destination, "exists and is not a folder; refusing to replace it") }
            if !replacing && !FileSystem.names(inFolder: absolute + "/", limit: 1).isEmpty {
                throw VoxelIOError(destination, "exists and is not empty; give --overwrite to replace it")
            }
        }
        TemporaryFiles.sweepStale(inFolder: parent)
        let base = String(absolute[absolute.index(after: absolute.lastIndex(of: "/")!)...])
        guard let made = TemporaryFiles.createFolder(inFolder: parent, named: TemporaryFiles.stagingName(for: base)) else {
            throw VoxelIOError(destination, "cannot create a temporary folder beside it in \(parent): \(FileSystem.errorText())")
        }
        path = made
        // mkdtemp makes it 0700; the case folder gets the permissions mkdir would give it.
        let mask = umask(0)
        umask(mask)
        chmod(made, 0o777 & ~mask)
    }

    deinit { if !finished { discard() } }

    /// Removes leftover staging folders in `folder` of this machine's processes that are gone.
    public static func sweepLeftovers(inFolder folder: String) {
        TemporaryFiles.sweepStale(inFolder: folder.hasSuffix("/") ? folder : folder + "/")
    }

    /// Registers `name`, a file a child process is about to write here, for removal on a signal.
    public func expect(_ name: String) { TemporaryFiles.register(path + "/" + name) }

    /// Renames the folder to its destination, with signals held back: an empty destination is
    /// replaced directly; a non-empty one (allowed by `replacing`) is first renamed aside, then
    /// removed once the new folder is in place.
    public func commit() throws {
        var aside: String?
        var failure: VoxelIOError?
        TemporaryFiles.withSignalsBlocked {
            if FileSystem.fileType(destination) == S_IFDIR && rmdir(destination) != 0 {
                guard let old = TemporaryFiles.createFolder(inFolder: FileSystem.folder(of: destination)) else {
                    failure = VoxelIOError(destination, "cannot make room to replace it: \(FileSystem.errorText())")
                    return
                }
                guard rename(destination, old) == 0 else {
                    failure = VoxelIOError(destination, "cannot move it aside to replace it: \(FileSystem.errorText())")
                    rmdir(old)
                    TemporaryFiles.forget(old)
                    return
                }
                aside = old
            }
            guard rename(path, destination) == 0 else {
                failure = VoxelIOError(destination, "cannot rename the finished case into place: \(FileSystem.errorText())")
                if let aside { rename(aside, destination) }
                return
            }
            TemporaryFiles.forget(path)
            finished = true
        }
        if let aside {
            try? FileManager.default.removeItem(atPath: aside)
            TemporaryFiles.forget(aside)
        }
        if let failure { throw failure }
    }

    /// Removes the folder and everything in it.
    public func discard() {
        try? FileManager.default.removeItem(atPath: path)
        TemporaryFiles.forget(path)
        finished = true
    }
}

extension OutputFiles {
    /// The environment variable through which `voxdose case` tells a step it runs into a
    /// staging folder: `STAGING\nFINAL`, two absolute folder paths.
    public static let caseFoldersVariable = "VOXDOSE_CASE_FOLDERS"

    /// The name a summary records for a file of the case folder (`output` of `dose` and `suv`,
    /// the tables `compare` read): the path as given, except when `voxdose case` runs the step
    /// in its staging folder, where the final folder is named instead — so the file equals what
    /// the step's command line, run by hand, writes.
    public static func recordedName(_ path: String) -> String {
        guard let folders = ProcessInfo.processInfo.environment[caseFoldersVariable]?.split(separator: "\n", maxSplits: 1),
              folders.count == 2, path.hasPrefix(folders[0] + "/") else { return path }
        return String(folders[1]) + path.dropFirst(folders[0].count)
    }
}
