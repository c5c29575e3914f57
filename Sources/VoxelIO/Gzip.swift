private import CISAL
private import CNIfTI
private import CLibdeflate
import VoxelKernels

/// Why a gzip stream could not be inflated.
enum GzipFailure: Error, Equatable {
    /// Not a gzip stream, a damaged one, or one cut short inside a member.
    case corrupt(String)
}

/// The one seam to zlib, libdeflate and ISA-L (Debian zlib1g-dev, libdeflate-dev, libisal-dev).
///
/// Inflating a whole `.nii.gz` uses libdeflate, which inflates 2–3× faster than zlib here
/// (`../shared/peers` limits: 276 ms vs ~700 ms for 192 MB); it needs the output size up front,
/// which the validated header gives. zlib streams the first bytes of a file (the header) and
/// takes over when a member holds more than the image needs (data after the image). Standard
/// gzip with several members (pigz, our own writer) is read member by member.
enum Gzip {
    /// The gzip magic bytes 1f 8b.
    static func hasMagic(_ prefix: some Collection<UInt8>) -> Bool {
        prefix.starts(with: [0x1F, 0x8B])
    }

    /// Inflates the start of a gzip stream into `output` with zlib, stopping when `output` is
    /// full or the stream ends (members are followed). Returns the number of bytes produced.
    static func inflatePrefix(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(GzipFailure) -> Int {
        guard let inBase = input.baseAddress, let outBase = output.baseAddress, !output.isEmpty else { return 0 }
        var stream = z_stream()
        // 15 + 16: gzip wrapper only (a zlib or raw stream is not a .gz file).
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0, produced = 0
        while produced < output.count {
            // zlib counts in UInt32: feed and drain at most 1 GiB per call.
            let inChunk = min(input.count - consumed, 1 << 30), outChunk = min(output.count - produced, 1 << 30)
            stream.next_in = UnsafeMutablePointer(mutating: inBase.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(inChunk)
            stream.next_out = outBase.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(outChunk)
            let status = CNIfTI.inflate(&stream, Z_NO_FLUSH)
            consumed += inChunk - Int(stream.avail_in)
            produced += outChunk - Int(stream.avail_out)
            switch status {
            case Z_OK:
                if inChunk == 0 { throw .corrupt("the gzip stream ends inside a member (truncated)") }
            case Z_STREAM_END:
                // Another member may follow; anything else after the last member is ignored.
                guard consumed < input.count, hasMagic(UnsafeRawBufferPointer(rebasing: input[consumed...])) else {
                    return produced
                }
                inflateReset(&stream)
            case Z_BUF_ERROR:
                if consumed >= input.count { throw .corrupt("the gzip stream ends inside a member (truncated)") }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw .corrupt("corrupt gzip stream (zlib: \(message))")
            }
        }
        return produced
    }

    /// Inflates a whole gzip stream into `output` with libdeflate, member by member. Returns
    /// the number of bytes produced: `output.count` when the stream holds at least that much
    /// (extra data is not inflated), fewer when it ends early.
    static func inflateAll(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(GzipFailure) -> Int {
        guard let decompressor = libdeflate_alloc_decompressor() else { throw .corrupt("libdeflate could not start") }
        defer { libdeflate_free_decompressor(decompressor) }
        var consumed = 0, produced = 0
        while produced < output.count, consumed < input.count,
              hasMagic(UnsafeRawBufferPointer(rebasing: input[consumed...])) {
            var memberIn = 0, memberOut = 0
            let status = libdeflate_gzip_decompress_ex(
                decompressor, input.baseAddress! + consumed, input.count - consumed,
                output.baseAddress! + produced, output.count - produced, &memberIn, &memberOut)
            switch status {
            case LIBDEFLATE_SUCCESS:
                consumed += memberIn
                produced += memberOut
            case LIBDEFLATE_INSUFFICIENT_SPACE:
                // This member holds more than the image needs: stream just the prefix.
                return try produced + inflatePrefix(UnsafeRawBufferPointer(rebasing: input[consumed...]),
                                                    into: UnsafeMutableRawBufferPointer(rebasing: output[produced...]))
            default:
                throw .corrupt("gzip stream is truncated or corrupt (libdeflate: bad data after \(produced) bytes)")
            }
        }
        if produced == 0 && !hasMagic(UnsafeRawBufferPointer(rebasing: input.prefix(2))) {
            throw .corrupt("not a gzip stream")
        }
        return produced
    }

    /// Compresses `parts` (concatenated) as a gzip file of several members, in parallel: the
    /// first part alone (a header) and the rest split into one member per core, each
    /// compressed by ISA-L's igzip at level 1 (the peers' README: 362 ms against libdeflate level
    /// 1's 1072 ms and zlib level 1's ~3 s for 192 MB, at a similar size for noisy float data). Any
    /// gzip reader (zlib's gzread, Python's gzip, pigz, libdeflate) reads multi-member files as
    /// one stream.
    static func compress(_ parts: [UnsafeRawBufferPointer]) -> [[UInt8]] {
        var pieces: [UnsafeRawBufferPointer] = []
        for (index, part) in parts.enumerated() where !part.isEmpty {
            if index == 0 { pieces.append(part); continue }
            // One member per core, and none over 1 GiB (ISA-L counts in UInt32).
            let chunks = max(Parallel.threadCount, (part.count >> 30) + 1)
            for range in Parallel.chunks(count: part.count, minimumChunk: 1 << 20, maximumChunks: chunks) {
                pieces.append(UnsafeRawBufferPointer(rebasing: part[range]))
            }
        }
        let inputs = UncheckedSendable(pieces)
        return Parallel.mapChunks(count: pieces.count, minimumChunk: 1, maximumChunks: pieces.count) { range in
            range.flatMap { gzipMember(inputs.value[$0]) }
        }
    }

    /// One gzip member of `input` (header, deflate stream, CRC-32 and size trailer).
    private static func gzipMember(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let levelBuffer = UnsafeMutableRawPointer.allocate(byteCount: Int(cisal_level1_buffer_size), alignment: 64)
        defer { levelBuffer.deallocate() }
        var stream = isal_zstream()
        isal_deflate_init(&stream)
        stream.level = 1
        stream.level_buf = levelBuffer.assumingMemoryBound(to: UInt8.self)
        stream.level_buf_size = cisal_level1_buffer_size
        stream.gzip_flag = UInt16(IGZIP_GZIP)
        stream.end_of_stream = 1
        stream.flush = UInt16(NO_FLUSH)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        // Incompressible data grows by at most 5 bytes per 64 KiB stored block, plus framing.
        let capacity = input.count + input.count / 1024 + 1024
        var output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            FreshMemory.prepare(UnsafeMutableRawPointer(buffer.baseAddress!), byteCount: capacity, populate: false)
            count = capacity  // bytes: every value is valid; only the first `produced` are kept
        }
        var produced = 0
        while true {
            output.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress! + produced
                stream.avail_out = UInt32(min(out.count - produced, Int(UInt32.max)))
                let before = stream.avail_out
                let status = isal_deflate(&stream)
                precondition(status == COMP_OK, "igzip failed with status \(status)")
                produced += Int(before - stream.avail_out)
            }
            if stream.internal_state.state == ZSTATE_END { break }
            output.append(contentsOf: [UInt8](repeating: 0, count: max(4096, output.count / 8)))
        }
        output.removeLast(output.count - produced)
        return output
    }
}
