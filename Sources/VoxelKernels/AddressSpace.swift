#if canImport(Glibc)
import Glibc
#endif

/// The process's address-space limit (`ulimit -v`, RLIMIT_AS), which caps allocations and
/// thread stacks below the machine's memory: a job scheduler's memory limit often is one.
///
/// Under such a limit an allocation that fails aborts a Swift program, and a thread that
/// cannot be created may stall a dispatch pool. So VoxDose asks before large work whether the
/// memory can be had (``canAllocate(_:)``), runs its parallel loops on threads it creates
/// itself with small stacks (``Parallel``), and keeps glibc to one malloc arena (each extra
/// arena reserves 64 MiB of address space per thread).
public enum AddressSpace {
    /// RLIMIT_AS in bytes; nil when unlimited. Reading it also settles the malloc arenas once.
    public static let limitBytes: Int? = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        _ = glibcMallopt(-8 /* M_ARENA_MAX */, 1)
        return Int(clamping: limit.rlim_cur)
    }()

    /// Bytes that can still be mapped under the limit: the limit less the address space in
    /// use (VmSize, from /proc/self/statm). Nil when unlimited or unreadable.
    public static func availableBytes() -> Int? {
        guard let limit = limitBytes else { return nil }
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, 128, file) != nil,
              let first = String(cString: line).split(separator: " ").first, let pages = Int(first) else { return nil }
        return limit - pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Whether `bytes` more can be mapped (always true without a limit).
    public static func canAllocate(_ bytes: Int) -> Bool {
        guard let available = availableBytes() else { return true }
        return bytes <= available
    }
}

/// glibc's `mallopt` (declared in <malloc.h>, which the Glibc module does not import).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
