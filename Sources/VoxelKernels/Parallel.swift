import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Splits index ranges across every core.
///
/// Kernels call ``Parallel/forEachChunk(count:minimumChunk:maximumChunks:_:)`` with the
/// number of items (voxels, z-slices) and receive disjoint, ordered, contiguous ranges.
/// Chunk boundaries depend only on `count` and the chunk count, so a kernel that writes
/// per-chunk partial results and combines them in chunk order is deterministic for a given
/// chunk count; kernels that must be identical at any thread count combine results in a
/// thread-count-independent way (see ``LabelPartition``).
public enum Parallel {
    /// Number of worker threads used by the kernels (the active processor count).
    /// `VOXDOSE_THREADS` overrides it (tests use it to compare thread counts).
    public static var threadCount: Int {
        if let text = ProcessInfo.processInfo.environment["VOXDOSE_THREADS"],
           let value = Int(text), value > 0 {
            return value
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The ranges `forEachChunk` would use: `count` items in at most `maximumChunks`
    /// contiguous pieces of at least `minimumChunk` items each.
    public static func chunks(count: Int, minimumChunk: Int = 1 << 16,
                              maximumChunks: Int? = nil) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let limit = maximumChunks ?? threadCount
        let pieces = max(1, min(limit, count / max(1, minimumChunk)))
        let base = count / pieces, extra = count % pieces
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(pieces)
        var start = 0
        for piece in 0..<pieces {
            let length = base + (piece < extra ? 1 : 0)
            ranges.append(start..<(start + length))
            start += length
        }
        return ranges
    }

    /// Runs `body(chunkIndex, range)` for each chunk of `0..<count`, concurrently when there
    /// is more than one chunk. Returns after every chunk has finished.
    public static func forEachChunk(count: Int, minimumChunk: Int = 1 << 16,
                                    maximumChunks: Int? = nil,
                                    _ body: (Int, Range<Int>) -> Void) {
        let ranges = chunks(count: count, minimumChunk: minimumChunk, maximumChunks: maximumChunks)
        if ranges.count <= 1 {
            if let only = ranges.first { body(0, only) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            if AddressSpace.limitBytes != nil {
                runOnOwnThreads(count: ranges.count) { index in escapable(index, ranges[index]) }
                return
            }
            let box = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
                box.value(index, ranges[index])
            }
        }
    }

    /// One chunk of work for a thread of ``runOnOwnThreads(count:_:)``.
    private final class Job {
        let run: (Int) -> Void
        let index: Int
        init(_ run: @escaping (Int) -> Void, _ index: Int) {
            self.run = run
            self.index = index
        }
    }

    /// Runs `body(0..<count)`: chunk 0 on the calling thread, the others on new threads with
    /// 4 MiB stacks; a chunk whose thread cannot be created (under an address-space limit)
    /// runs on the calling thread instead, so the work always finishes and never waits for a
    /// thread that will not come. Used when RLIMIT_AS is set (``AddressSpace``).
    private static func runOnOwnThreads(count: Int, _ body: @escaping (Int) -> Void) {
        var threads: [pthread_t] = []
        var inline = [0]
        for index in 1..<count {
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setstacksize(&attributes, 4 << 20)
            let job = Unmanaged.passRetained(Job(body, index)).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { context in
                let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
                job.run(job.index)
                return nil
            }, job)
            pthread_attr_destroy(&attributes)
            if status == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Job>.fromOpaque(job).release()
                inline.append(index)
            }
        }
        for index in inline { body(index) }
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Maps each chunk to a partial result, returned in chunk order.
    public static func mapChunks<Partial>(count: Int, minimumChunk: Int = 1 << 16,
                                          maximumChunks: Int? = nil,
                                          _ body: (Range<Int>) -> Partial) -> [Partial] {
        let ranges = chunks(count: count, minimumChunk: minimumChunk, maximumChunks: maximumChunks)
        var results = [Partial?](repeating: nil, count: ranges.count)
        results.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            forEachChunk(count: count, minimumChunk: minimumChunk, maximumChunks: maximumChunks) { index, range in
                output.value[index] = body(range)
            }
        }
        return results.map { $0! }
    }
}

/// Carries a value into a concurrent closure. Used only where each task touches a disjoint
/// part of the value (a distinct chunk of a buffer), which the compiler cannot prove.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}
