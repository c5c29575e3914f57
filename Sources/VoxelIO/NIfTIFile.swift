#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VoxelKernels

/// An opened NIfTI image: its validated header and where its voxels are. Opening reads only
/// the header; ``readFrame(_:)`` reads and converts one 3-D frame to Float32.
///
/// Files: `.nii` and `.nii.gz` (header and data in one file), `.hdr` + `.img` pairs (and
/// `.hdr.gz`/`.img.gz`). Compression is recognised by the gzip magic, not the name. Before
/// anything is allocated the header's size is checked against the file (a `.gz` can expand at
/// most 1032-fold, the DEFLATE limit) and against ``maximumDataBytes``.
public final class NIfTIFile {
    /// The path as given.
    public let path: String
    public let header: NIfTIHeader
    /// Where the voxel data lives (the same file unless the header says it is a pair).
    public let dataPath: String
    /// Whether the header file is gzip-compressed.
    public let headerIsCompressed: Bool
    /// Whether the data file is gzip-compressed.
    public let dataIsCompressed: Bool
    /// False when opened for the header alone.
    private let dataIsChecked: Bool

    /// Voxel data larger than this is refused before allocation: half the physical memory,
    /// at most 64 GiB.
    public static var maximumDataBytes: Int {
        min(Int(ProcessInfo.processInfo.physicalMemory / 2), 64 << 30)
    }

    /// DEFLATE cannot expand input more than about 1032-fold.
    static let maximumGzipExpansion = 1032

    /// Bytes of one 3-D frame as stored.
    public var frameBytes: Int { voxelsPerFrame * header.datatype.bytesPerVoxel }

    private var voxelsPerFrame: Int { header.voxelsPerFrame }
    /// The file's byte order is not the machine's.
    private var needsSwap: Bool { (header.byteOrder == .big) != (1.bigEndian == 1) }
    /// The header's scaling, nil when it changes nothing (slope 1 and intercept 0, what nibabel
    /// writes for unscaled data).
    private var effectiveScaling: (slope: Double, intercept: Double)? { header.scaling.flatMap { $0.slope == 1 && $0.intercept == 0 ? nil : $0 } }

    /// Opens `path` and validates its header and sizes.
    /// - Throws: ``VoxelIOError`` naming the file and the first problem.
    public convenience init(path: String) throws {
        try self.init(path: path, checkingData: true)
    }

    /// Opens `path` for its header alone (`voxdose info`): only the header bytes are read (the
    /// first bytes of a `.gz` stream are inflated, never the whole stream), and a `.hdr` whose
    /// data file is missing still opens. Reading voxels from such a file is not allowed.
    public convenience init(headerOnly path: String) throws {
        try self.init(path: path, checkingData: false)
    }

    private init(path: String, checkingData: Bool) throws {
        self.path = path
        try OtherFormats.refuseFolder(path)
        let file = try FileSystem.ReadableFile(path)
        try OtherFormats.refuse(path, prefix: try file.prefix(132))
        let (headerBytes, compressed) = try Self.readHeaderBytes(file)
        let header = try NIfTIHeader.parse(headerBytes, path: path)
        self.header = header
        headerIsCompressed = compressed
        dataIsChecked = checkingData
        if header.isSingleFile {
            dataPath = path
            dataIsCompressed = compressed
        } else if checkingData {
            dataPath = try Self.imagePath(forHeader: path)
            dataIsCompressed = try Self.readHeaderBytes(FileSystem.ReadableFile(dataPath), count: 2).1
        } else {
            let candidates = Self.companionDataFiles(ofHeader: path)
            dataPath = candidates.first(where: FileSystem.exists) ?? candidates.first ?? path
            dataIsCompressed = (try? Self.readHeaderBytes(FileSystem.ReadableFile(dataPath), count: 2).1) ?? false
        }
        if checkingData { try checkSizes(headerFile: file) }
    }

    /// Reads one 3-D frame (0-based; 0 for a 3-D image) as Float32, scaled.
    /// - Throws: ``VoxelIOError`` for a frame out of range, or data that is missing or corrupt.
    public func readFrame(_ frame: Int) throws -> ScalarVolume {
        try checkFrame(frame)
        return try FrameCache.frame(dataPath, frame) { try decodeFrame(frame) }
    }

    private func decodeFrame(_ frame: Int) throws -> ScalarVolume {
        let count = voxelsPerFrame, swap = needsSwap, scaling = effectiveScaling
        let directCopy = header.datatype == .float32 && !swap && scaling == nil
        try requireAddressSpace(count * 4 + (directCopy && !dataIsCompressed ? 0 : readBufferBytes))
        if directCopy && dataIsCompressed && header.frameCount == 1 {
            return ScalarVolume(geometry: header.geometry, voxels: try inflateFloat32InPlace(count: count))
        }
        let voxels = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let output = buffer.baseAddress!
            // The frame's size is honest here: checked against the file, or (gzip) it is
            // populated only after the stream has delivered every byte.
            if !dataIsCompressed {
                FreshMemory.prepare(UnsafeMutableRawPointer(output), byteCount: count * 4, populate: true)
            }
            try withFrameBytes(frame, directTarget: directCopy ? UnsafeMutableRawPointer(output) : nil) { raw in
                if let raw {
                    RawDecoding.decode(raw, count: count, datatype: header.datatype, swap: swap,
                                       scaling: scaling, into: output)
                }
            }
            initialized = count
        }
        return ScalarVolume(geometry: header.geometry, voxels: voxels)
    }

    /// Reads one 3-D frame as exact integer labels, whatever the datatype (CONTRACT.md
    /// hardening rules): small integer types straight into Int32; any other type or a scaling
    /// through Int64, never through Float32, so 16777216 and 16777217 stay two labels.
    /// - Throws: ``VoxelIOError`` naming the first voxel that is not an integer within ±2⁵³.
    public func readLabelFrame(_ frame: Int) throws -> LabelImage {
        try checkFrame(frame)
        return try FrameCache.frame(dataPath, frame) { try decodeLabelFrame(frame) }
    }

    private func decodeLabelFrame(_ frame: Int) throws -> LabelImage {
        let count = voxelsPerFrame, swap = needsSwap, scaling = effectiveScaling
        let small = scaling == nil && [.uint8, .int8, .int16, .uint16, .int32].contains(header.datatype)
        try requireAddressSpace(count * (small ? 4 : 12) + readBufferBytes)
        if small {
            let labels = try [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
                let output = buffer.baseAddress!
                try withFrameBytes(frame, directTarget: nil) { raw in
                    FreshMemory.prepare(UnsafeMutableRawPointer(output), byteCount: count * 4, populate: true)
                    RawDecoding.decodeIntegers(raw!, count: count, datatype: header.datatype, swap: swap, into: output)
                }
                initialized = count
            }
            return LabelImage(labels: labels)
        }
        var bad: (index: Int, value: String)?
        let values = try [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            try withFrameBytes(frame, directTarget: nil) { raw in
                bad = RawDecoding.decodeExactLabels(raw!, count: count, datatype: header.datatype, swap: swap,
                                                    scaling: scaling, into: buffer.baseAddress!)
            }
            if bad != nil { buffer.baseAddress!.initialize(repeating: 0, count: count) }
            initialized = count
        }
        if let bad {
            let d = header.spatialDimensions
            let (i, j, k) = (bad.index % d.x, (bad.index / d.x) % d.y, bad.index / (d.x * d.y))
            throw VoxelIOError(path, "label values must be integers within ±2^53 (9007199254740992); voxel (\(i), \(j), \(k)) holds \(bad.value)")
        }
        return LabelImage(exactLabels: values)
    }

    /// Reads every byte of voxel data once (inflating a gzip stream to its end where needed),
    /// so that a truncated or corrupt file is reported even by commands that show the header.
    public func verifyData() throws {
        guard dataIsCompressed else { return }  // sizes were checked when opening
        _ = try inflatedData { _ in }
    }

    // MARK: - Private

    /// Bytes a frame's read needs besides its output: the inflated stream and the compressed
    /// file for a `.gz`, else one frame of stored bytes.
    private var readBufferBytes: Int {
        guard dataIsCompressed else { return frameBytes }
        let compressed = (try? FileSystem.ReadableFile(dataPath).size) ?? 0
        return header.voxOffset + frameBytes * header.frameCount + compressed
    }

    /// Refuses, before allocating, a read that the address-space limit (`ulimit -v`) cannot
    /// hold: a clean error instead of an abort.
    private func requireAddressSpace(_ bytes: Int) throws {
        guard AddressSpace.canAllocate(bytes) else {
            throw VoxelIOError(path, "cannot allocate the \(bytes >> 20) MiB needed to read it: the address-space limit (ulimit -v) leaves \((AddressSpace.availableBytes() ?? 0) >> 20) MiB")
        }
    }

    private func checkFrame(_ frame: Int) throws {
        precondition(dataIsChecked, "NIfTIFile(headerOnly:) reads no voxels")
        guard (0..<header.frameCount).contains(frame) else {
            throw VoxelIOError(path, "has no frame \(frame): it holds \(header.frameCount) frame(s), numbered from 0")
        }
    }

    /// Reads the header bytes, inflating a gzip prefix when the file is compressed.
    private static func readHeaderBytes(_ file: FileSystem.ReadableFile, count: Int = 540) throws -> ([UInt8], Bool) {
        let head = try file.prefix(max(count, 2))
        guard Gzip.hasMagic(head) else { return (Array(head.prefix(count)), false) }
        // A header fits in far less than 1 MiB of compressed input.
        let compressed = try file.prefix(1 << 20)
        var bytes = [UInt8](repeating: 0, count: count)
        do {
            let n = try compressed.withUnsafeBytes { input in
                try bytes.withUnsafeMutableBytes { try Gzip.inflatePrefix(input, into: $0) }
            }
            return (Array(bytes.prefix(n)), true)
        } catch let GzipFailure.corrupt(reason) {
            // A short header inside a cut stream reads as truncated, not corrupt.
            throw VoxelIOError(file.path, reason)
        }
    }

    /// The files that may hold the voxels of the `.hdr` (or `.hdr.gz`) header `path`: `x.img`,
    /// `x.img.gz`, `x.IMG`; empty for any other name. Output checks treat all of them as parts
    /// of the input, so an output can never overwrite a pair's data.
    public static func companionDataFiles(ofHeader path: String) -> [String] {
        let lower = path.lowercased()
        let stem: String
        if lower.hasSuffix(".hdr.gz") { stem = String(path.dropLast(7)) }
        else if lower.hasSuffix(".hdr") { stem = String(path.dropLast(4)) }
        else { return [] }
        return [stem + ".img", stem + ".img.gz", stem + ".IMG"]
    }

    /// `x.hdr` → `x.img` or `x.img.gz` (and `x.hdr.gz` alike); `x.img` given for the pair is
    /// not accepted (the header is the entry point).
    private static func imagePath(forHeader path: String) throws -> String {
        let candidates = companionDataFiles(ofHeader: path)
        guard let stem = candidates.first?.dropLast(4) else {
            throw VoxelIOError(path, "header says its data is in a separate .img file, but the file is not named .hdr")
        }
        if let existing = candidates.first(where: FileSystem.exists) { return existing }
        throw VoxelIOError(path, "image file \(stem).img (or .img.gz) of this .hdr/.img pair is missing")
    }

    /// Voxel counts, byte sizes and the file's capacity, all before any allocation.
    private func checkSizes(headerFile: FileSystem.ReadableFile) throws {
        var voxels = 1
        for (axis, n) in header.dim.enumerated() {
            let (product, overflow) = voxels.multipliedReportingOverflow(by: n)
            guard !overflow else {
                throw VoxelIOError(path, "too large: dimensions \(header.dim) overflow a 64-bit voxel count at dim[\(axis + 1)]")
            }
            voxels = product
        }
        let (dataBytes, overflow) = voxels.multipliedReportingOverflow(by: header.datatype.bytesPerVoxel)
        let cap = Self.maximumDataBytes
        guard !overflow, dataBytes <= cap, header.voxOffset <= cap - dataBytes else {
            throw VoxelIOError(path, "too large: dimensions \(header.dim) of \(header.datatype.name) need \(overflow ? "more than 2^63" : String(dataBytes)) bytes; the limit on this machine is \(cap) bytes")
        }
        let needed = header.voxOffset + dataBytes
        let dataFile = dataPath == path ? headerFile : try FileSystem.ReadableFile(dataPath)
        if dataIsCompressed {
            let (ceiling, over) = dataFile.size.multipliedReportingOverflow(by: Self.maximumGzipExpansion)
            if !over && needed > ceiling + 4096 {
                throw VoxelIOError(dataPath, "truncated or too large: the header claims \(dataBytes) bytes of voxel data, but a gzip file of \(dataFile.size) bytes can hold at most about \(ceiling)")
            }
        } else if needed > dataFile.size {
            throw VoxelIOError(dataPath, "truncated: the header needs \(dataBytes) bytes of voxel data from vox_offset \(header.voxOffset), but the file holds \(dataFile.size) bytes in all")
        }
    }

    /// Gives `body` the raw bytes of frame `frame`, or reads them straight into `directTarget`
    /// (and passes nil) when no conversion is needed.
    private func withFrameBytes(_ frame: Int, directTarget: UnsafeMutableRawPointer?,
                                _ body: (UnsafeRawPointer?) throws -> Void) throws {
        let start = frame * frameBytes
        if dataIsCompressed {
            try inflatedData { data in
                let frameStart = data.baseAddress! + header.voxOffset + start
                if let directTarget {
                    FreshMemory.prepare(directTarget, byteCount: frameBytes, populate: true)
                    directTarget.copyMemory(from: frameStart, byteCount: frameBytes)
                    try body(nil)
                } else {
                    try body(frameStart)
                }
            }
            return
        }
        let file = try FileSystem.ReadableFile(dataPath)
        if let directTarget {
            try file.read(into: directTarget, count: frameBytes, offset: header.voxOffset + start)
            return try body(nil)
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(frameBytes, 1), alignment: 64)
        defer { raw.deallocate() }
        FreshMemory.prepare(raw, byteCount: frameBytes, populate: true)
        try file.read(into: raw, count: frameBytes, offset: header.voxOffset + start)
        try body(raw)
    }

    /// A single-frame float32 `.nii.gz` in this machine's byte order: inflates the stream
    /// straight into the voxel array (sized for the header prefix too), then moves the voxels
    /// down over the prefix. One buffer, touched once; no second copy.
    private func inflateFloat32InPlace(count: Int) throws -> [Float] {
        let needed = header.voxOffset + count * 4
        let prefixFloats = (header.voxOffset + 3) / 4
        let file = try FileSystem.ReadableFile(dataPath)
        var result: Result<Int, GzipFailure> = .success(0)
        let voxels = try [Float](unsafeUninitializedCapacity: count + prefixFloats) { buffer, initialized in
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            FreshMemory.prepare(raw, byteCount: needed, populate: false)
            result = try file.withContents { input in
                Result { () throws(GzipFailure) -> Int in
                    try Gzip.inflateAll(input, into: UnsafeMutableRawBufferPointer(start: raw, count: needed))
                }
            }
            if case .success(let produced) = result, produced == needed {
                memmove(raw, raw + header.voxOffset, count * 4)  // overlapping: memmove, not memcpy
                initialized = count
            } else {
                initialized = 0
            }
        }
        switch result {
        case .failure(.corrupt(let reason)):
            throw VoxelIOError(dataPath, reason)
        case .success(let produced) where produced != needed:
            throw VoxelIOError(dataPath, "truncated: the gzip stream holds \(max(0, produced - header.voxOffset)) bytes of voxel data, the header needs \(needed - header.voxOffset)")
        case .success:
            return voxels
        }
    }

    /// Inflates the data file up to the end of the voxel data and passes the inflated bytes
    /// (vox_offset included) to `body`. The buffer is allocated at the validated size but
    /// pages are touched only as data arrives, so a lying header costs no memory.
    private func inflatedData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let needed = header.voxOffset + frameBytes * header.frameCount
        let file = try FileSystem.ReadableFile(dataPath)
        guard let base = malloc(max(needed, 1)) else {
            throw VoxelIOError(dataPath, "cannot allocate \(needed) bytes")
        }
        defer { free(base) }
        FreshMemory.prepare(base, byteCount: needed, populate: false)
        let output = UnsafeMutableRawBufferPointer(start: base, count: needed)
        let produced: Int
        do {
            produced = try file.withContents { try Gzip.inflateAll($0, into: output) }
        } catch let GzipFailure.corrupt(reason) {
            throw VoxelIOError(dataPath, reason)
        }
        guard produced == needed else {
            throw VoxelIOError(dataPath, "truncated: the gzip stream holds \(max(0, produced - header.voxOffset)) bytes of voxel data, the header needs \(needed - header.voxOffset)")
        }
        try body(UnsafeRawBufferPointer(output))
    }
}
