#if canImport(Glibc)
import Glibc
#endif

/// Makes first writes to a large, freshly allocated buffer cheap.
///
/// A new 64 MB allocation costs 16,384 separate 4 KiB page faults on first touch, which
/// doubles the time to read a volume into it from the page cache (measured: 84 ms vs 43 ms
/// warm for 256³ Float32). Asking for transparent huge pages (`MADV_HUGEPAGE`) and faulting the
/// range in with one call (`MADV_POPULATE_WRITE`, Linux ≥ 5.14) brings it to 52 ms. Both are
/// advice: on kernels without them nothing changes but the speed.
public enum FreshMemory {
    /// Keeps the memory of freed buffers in the process for the next allocations instead of
    /// returning it to the kernel: glibc then never serves an allocation with its own `mmap`
    /// (`M_MMAP_MAX` 0) nor trims the heap below 2 GiB of free space (`M_TRIM_THRESHOLD`).
    ///
    /// glibc maps every buffer of 32 MiB or more afresh and unmaps it on free, so each
    /// whole-volume buffer of a run (a case's steps, or one command's temporaries) faults in and
    /// zeroes new pages; after another program has churned memory those faults wait for
    /// compaction. Measured on the 400×400×300 case, each run right after a process had used and
    /// freed 6 GiB (Docs/PERFORMANCE.md): 2.45–2.47 s and 0.2–0.4 s of system time with reuse,
    /// against 2.6–4.0 s and 0.6–1.7 s without. Call it once, first thing in a program.
    public static func reuseFreedMemory() {
        #if canImport(Glibc)
        _ = glibcMallopt(-4 /* M_MMAP_MAX */, 0)
        _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, Int32.max)
        #endif
    }

    /// Buffers smaller than this are left alone.
    public static let threshold = 4 << 20

    /// - Parameters:
    ///   - populate: fault the pages in now. Only for sizes already known to be honest (a
    ///     `.nii` checked against its file size), never for a size a header merely claims.
    public static func prepare(_ base: UnsafeMutableRawPointer, byteCount: Int, populate: Bool) {
        #if os(Linux)
        guard byteCount >= threshold else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + byteCount) / page * page
        guard end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(aligned, end - start, 14 /* MADV_HUGEPAGE */)
        guard populate else { return }
        // The kernel zeroes the pages it populates: split the range so every core zeroes a part.
        let hugePage = 2 << 20
        let pieces = max(1, (end - start) / hugePage)
        let region = UncheckedSendable(aligned)
        Parallel.forEachChunk(count: pieces, minimumChunk: 8) { _, range in
            let from = range.lowerBound * hugePage
            let to = range.upperBound == pieces ? end - start : range.upperBound * hugePage
            _ = madvise(region.value + from, to - from, 23 /* MADV_POPULATE_WRITE */)
        }
        #endif
    }
}
