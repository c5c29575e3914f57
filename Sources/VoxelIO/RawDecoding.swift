import VoxelKernels

/// Stored voxels → Float32, with byte swapping and NIfTI scaling, split across cores.
enum RawDecoding {
    /// Converts `count` stored voxels of `datatype` at `raw` into Float32 at `output`:
    /// v = slope · stored + intercept when `scaling` is set (evaluated in Float64, then rounded
    /// to Float32, as nibabel's float scaling does), else v = stored. Bytes are swapped first
    /// when `swap` is true. `raw` and `output` may be the same memory for float32.
    static func decode(_ raw: UnsafeRawPointer, count: Int, datatype: NIfTIDatatype, swap: Bool,
                       scaling: (slope: Double, intercept: Double)?, into output: UnsafeMutablePointer<Float>) {
        let source = UncheckedSendable(raw), target = UncheckedSendable(output)
        Parallel.forEachChunk(count: count, minimumChunk: 1 << 18) { _, range in
            let out = target.value + range.lowerBound
            switch datatype {
            case .uint8: convert(source.value, UInt8.self, range, swap, scaling, out)
            case .int8: convert(source.value, Int8.self, range, swap, scaling, out)
            case .int16: convert(source.value, Int16.self, range, swap, scaling, out)
            case .uint16: convert(source.value, UInt16.self, range, swap, scaling, out)
            case .int32: convert(source.value, Int32.self, range, swap, scaling, out)
            case .uint32: convert(source.value, UInt32.self, range, swap, scaling, out)
            case .int64: convert(source.value, Int64.self, range, swap, scaling, out)
            case .uint64: convert(source.value, UInt64.self, range, swap, scaling, out)
            case .float32: convertFloat32(source.value, range, swap, scaling, out)
            case .float64: convertFloat64(source.value, range, swap, scaling, out)
            default: preconditionFailure("unsupported datatype reached decoding")
            }
        }
    }

    @inline(__always)
    private static func scaled(_ value: Double, _ scaling: (slope: Double, intercept: Double)?) -> Float {
        guard let scaling else { return Float(value) }
        return Float(value * scaling.slope + scaling.intercept)
    }

    private static func convert<T: FixedWidthInteger>(_ raw: UnsafeRawPointer, _: T.Type, _ range: Range<Int>, _ swap: Bool,
                                                      _ scaling: (slope: Double, intercept: Double)?, _ out: UnsafeMutablePointer<Float>) {
        let stride = MemoryLayout<T>.size
        for (n, i) in range.enumerated() {
            var v = raw.loadUnaligned(fromByteOffset: i * stride, as: T.self)
            if swap { v = v.byteSwapped }
            out[n] = scaling == nil ? Float(v) : scaled(Double(v), scaling)
        }
    }

    private static func convertFloat32(_ raw: UnsafeRawPointer, _ range: Range<Int>, _ swap: Bool,
                                       _ scaling: (slope: Double, intercept: Double)?, _ out: UnsafeMutablePointer<Float>) {
        for (n, i) in range.enumerated() {
            var bits = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
            if swap { bits = bits.byteSwapped }
            let v = Float(bitPattern: bits)
            out[n] = scaling == nil ? v : scaled(Double(v), scaling)
        }
    }

    private static func convertFloat64(_ raw: UnsafeRawPointer, _ range: Range<Int>, _ swap: Bool,
                                       _ scaling: (slope: Double, intercept: Double)?, _ out: UnsafeMutablePointer<Float>) {
        for (n, i) in range.enumerated() {
            var bits = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            if swap { bits = bits.byteSwapped }
            out[n] = scaled(Double(bitPattern: bits), scaling)
        }
    }
}
