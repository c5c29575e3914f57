import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files of outputs being written, removed when the process is stopped by
/// SIGTERM, SIGINT or SIGHUP (CONTRACT.md hardening rules) and, after a SIGKILL or a power
/// cut, by the next run that writes into the same folder.
///
/// Names are `.voxdose-<host>-<pid>-XXXXXX` in the output's folder: short (a 255-byte legal
/// output name must not be refused because its temporary name is longer) and traceable to the
/// process that made them. The signal handler only calls `unlink` on paths registered here
/// (async-signal-safe), then re-raises the signal with its default action, so the exit status
/// still says which signal stopped the run.
enum TemporaryFiles {
    /// Prefix of every temporary name.
    static let prefix = ".voxdose-"

    /// Fixed storage for the handler: no allocation, no Swift runtime calls inside it.
    fileprivate static let capacity = 256
    nonisolated(unsafe) fileprivate static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let p = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        p.initialize(repeating: nil, count: capacity)
        return p
    }()
    nonisolated(unsafe) private static var handlersInstalled = false
    /// Staging folders (``StagingFolder``), removed by the handler once their files are.
    fileprivate static let folderCapacity = 8
    nonisolated(unsafe) fileprivate static let folderSlots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let p = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: folderCapacity)
        p.initialize(repeating: nil, count: folderCapacity)
        return p
    }()

    /// `<8 hex digits of the host name's hash>-<pid>`: tells this machine's processes apart on a
    /// shared file system.
    static let owner: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, 255)
        var hash: UInt32 = 2_166_136_261  // FNV-1a
        for byte in buffer.prefix(while: { $0 != 0 }) { hash = (hash ^ UInt32(UInt8(bitPattern: byte))) &* 16_777_619 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex + "-\(getpid())"
    }()

    /// Creates `folder/.voxdose-<owner>-XXXXXX` (mode 0600) and registers it for removal on a
    /// signal. Returns the descriptor and the path.
    static func create(inFolder folder: String) -> (descriptor: Int32, path: String)? {
        installHandlers()
        var template = Array("\(folder)\(prefix)\(owner)-XXXXXX".utf8CString)
        var fd: Int32 = -1
        withSignalsBlocked {
            fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else { return }
            if let slot = (0..<capacity).first(where: { slots[$0] == nil }) {
                slots[slot] = template.withUnsafeBufferPointer { strdup($0.baseAddress!) }
            }
        }
        guard fd >= 0 else { return nil }
        return (fd, String(cString: template.map { UInt8(bitPattern: $0) }))
    }

    /// Registers `path` (a file, not yet created perhaps) for removal on a signal.
    static func register(_ path: String) {
        installHandlers()
        withSignalsBlocked {
            if let slot = (0..<capacity).first(where: { slots[$0] == nil }) { slots[slot] = strdup(path) }
        }
    }

    /// Creates the folder `folder/<name>-XXXXXX` (mode 0700; default name `.voxdose-<owner>`) and
    /// registers it for removal on a signal (after the files registered with ``register(_:)``).
    static func createFolder(inFolder folder: String, named name: String? = nil) -> String? {
        installHandlers()
        var template = Array("\(folder)\(name ?? prefix + owner)-XXXXXX".utf8CString)
        var made = false
        withSignalsBlocked {
            made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) } != nil
            guard made, let slot = (0..<folderCapacity).first(where: { folderSlots[$0] == nil }) else { return }
            folderSlots[slot] = template.withUnsafeBufferPointer { strdup($0.baseAddress!) }
        }
        return made ? String(cString: template.map { UInt8(bitPattern: $0) }) : nil
    }

    /// Forgets `path`, a file or a folder (renamed into place, or removed by the caller).
    static func forget(_ path: String) {
        withSignalsBlocked {
            for (table, count) in [(slots, capacity), (folderSlots, folderCapacity)] {
                for slot in 0..<count {
                    if let p = table[slot], strcmp(p, path) == 0 {
                        free(p)
                        table[slot] = nil
                    }
                }
            }
        }
    }

    /// Removes `path` and forgets it.
    static func discard(_ path: String) {
        unlink(path)
        forget(path)
    }

    /// Runs `body` with SIGTERM, SIGINT and SIGHUP held back (delivered when it returns), so
    /// the registry, and a commit of several outputs, is never seen half done by the handler.
    static func withSignalsBlocked(_ body: () throws -> Void) rethrows {
        var block = sigset_t(), previous = sigset_t()
        sigemptyset(&block)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&block, signal) }
        pthread_sigmask(SIG_BLOCK, &block, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try body()
    }

    /// Removes the temporary files and staging folders that this machine's processes left in
    /// `folder` and that no running process owns any more (the process is gone): names
    /// `.voxdose-<host>-<pid>-XXXXXX` and `.<name>.tmp-<host>-<pid>-XXXXXX`. Those of other hosts
    /// are left alone.
    static func sweepStale(inFolder folder: String) {
        let hostTag = owner.prefix(8)
        for name in FileSystem.names(inFolder: folder) where name.hasPrefix(".") {
            let ownerPart: Substring
            if name.hasPrefix(prefix) {
                ownerPart = name.dropFirst(prefix.count)
            } else if let tmp = name.range(of: ".tmp-", options: .backwards) {
                ownerPart = name[tmp.upperBound...]
            } else {
                continue
            }
            let fields = ownerPart.split(separator: "-")
            guard fields.count == 3, fields[0] == hostTag, let pid = pid_t(fields[1]), pid != getpid(),
                  kill(pid, 0) != 0 && errno == ESRCH else { continue }
            var info = stat()
            guard lstat(folder + name, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG: unlink(folder + name)
            case S_IFDIR: try? FileManager.default.removeItem(atPath: folder + name)  // a staging folder
            default: break
            }
        }
    }

    /// The staging folder name of a case folder called `base`: `.<base>.tmp-<owner>` (then
    /// `-XXXXXX`), so that a batch finds the leftovers of its cases by their patient id.
    static func stagingName(for base: String) -> String { ".\(base).tmp-\(owner)" }

    private static func installHandlers() {
        guard !handlersInstalled else { return }
        handlersInstalled = true
        _ = slots  // initialised before any handler can run
        for signal in [SIGTERM, SIGINT, SIGHUP] {
            var current = sigaction()
            sigaction(signal, nil, &current)
            // A signal the caller ignores (nohup's SIGHUP) stays ignored.
            if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1 /* SIG_IGN */ { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = removeAndReraise
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
            sigaction(signal, &action, nil)
        }
    }
}

/// The signal handler: unlink every registered temporary file, remove the (now empty) staging
/// folders, then die of the same signal (SA_RESETHAND restored the default action).
private func removeAndReraise(_ signal: Int32) {
    for slot in 0..<TemporaryFiles.capacity { if let path = TemporaryFiles.slots[slot] { unlink(path) } }
    for slot in 0..<TemporaryFiles.folderCapacity { if let path = TemporaryFiles.folderSlots[slot] { rmdir(path) } }
    raise(signal)
}
