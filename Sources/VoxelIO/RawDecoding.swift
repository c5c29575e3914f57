import VoxelKernels

/// Stored voxels → Float32, with byte swapping and NIfTI scaling, split across cores.
enum RawDecoding {
    /// Converts `count` stored voxels of `datatype` at `raw` into Float32 at `output`:
    /// v = slope · stored + intercept when `scaling` is set (evaluated in Float64, then rounded
    /// to Float32, as nibabel's float scaling does), else v = stored. Bytes are swapped first
    /// when `swap` is true. Each branch is a plain indexed loop the compiler vectorises.
    static func decode(_ raw: UnsafeRawPointer, count: Int, datatype: NIfTIDatatype, swap: Bool,
                       scaling: (slope: Double, intercept: Double)?, into output: UnsafeMutablePointer<Float>) {
        let source = UncheckedSendable(raw), target = UncheckedSendable(output)
        Parallel.forEachChunk(count: count, minimumChunk: 1 << 18) { _, range in
            let out = target.value + range.lowerBound
            let size = datatype.bytesPerVoxel
            let src = source.value + range.lowerBound * size
            let n = range.count
            switch datatype {
            case .uint8: convert(src, UInt8.self, n, swap, scaling, out)
            case .int8: convert(src, Int8.self, n, swap, scaling, out)
            case .int16: convert(src, Int16.self, n, swap, scaling, out)
            case .uint16: convert(src, UInt16.self, n, swap, scaling, out)
            case .int32: convert(src, Int32.self, n, swap, scaling, out)
            case .uint32: convert(src, UInt32.self, n, swap, scaling, out)
            case .int64: convert(src, Int64.self, n, swap, scaling, out)
            case .uint64: convert(src, UInt64.self, n, swap, scaling, out)
            case .float32: convertFloat32(src, n, swap, scaling, out)
            case .float64: convertFloat64(src, n, swap, scaling, out)
            default: preconditionFailure("unsupported datatype reached decoding")
            }
        }
    }

    /// Converts `count` stored integer voxels (at most 32 bits, so every value fits) to Int32.
    static func decodeIntegers(_ raw: UnsafeRawPointer, count: Int, datatype: NIfTIDatatype, swap: Bool,
                               into output: UnsafeMutablePointer<Int32>) {
        let source = UncheckedSendable(raw), target = UncheckedSendable(output)
        Parallel.forEachChunk(count: count, minimumChunk: 1 << 18) { _, range in
            func widen<T: FixedWidthInteger>(_: T.Type) {
                let size = MemoryLayout<T>.size, src = source.value + range.lowerBound * size
                let out = target.value + range.lowerBound
                for i in 0..<range.count {
                    let v = src.loadUnaligned(fromByteOffset: i * size, as: T.self)
                    out[i] = Int32(truncatingIfNeeded: swap ? v.byteSwapped : v)
                }
            }
            switch datatype {
            case .uint8: widen(UInt8.self)
            case .int8: widen(Int8.self)
            case .int16: widen(Int16.self)
            case .uint16: widen(UInt16.self)
            case .int32: widen(Int32.self)
            default: preconditionFailure("not a ≤ 32-bit integer datatype")
            }
        }
    }

    /// Converts `count` stored voxels to exact integer labels (CONTRACT.md hardening rules):
    /// v = slope · stored + intercept (Float64) when `scaling` is set, else the stored value
    /// itself, never through Float32. Returns the first voxel that is not an integer within
    /// ±2⁵³ (NaN and ±∞ included) with its value as written for an error message, or nil when
    /// every voxel is one.
    static func decodeExactLabels(_ raw: UnsafeRawPointer, count: Int, datatype: NIfTIDatatype, swap: Bool,
                                  scaling: (slope: Double, intercept: Double)?,
                                  into output: UnsafeMutablePointer<Int64>) -> (index: Int, value: String)? {
        let source = UncheckedSendable(raw), target = UncheckedSendable(output)
        let limit = LabelImage.maximumMagnitude
        let firstBad = Parallel.mapChunks(count: count, minimumChunk: 1 << 18) { range -> (index: Int, value: String)? in
            let out = target.value
            func exact(_ v: Double) -> Int64? {
                guard v.isFinite, abs(v) <= Double(limit), v.rounded(.towardZero) == v else { return nil }
                return Int64(v)
            }
            func integers<T: FixedWidthInteger>(_: T.Type) -> (index: Int, value: String)? {
                let size = MemoryLayout<T>.size
                for i in range {
                    let stored = source.value.loadUnaligned(fromByteOffset: i * size, as: T.self)
                    let v = swap ? stored.byteSwapped : stored
                    if let (slope, intercept) = scaling {
                        let scaled = Double(v) * slope + intercept
                        guard let label = exact(scaled) else { return (i, "\(scaled)") }
                        out[i] = label
                    } else {
                        guard let wide = Int64(exactly: v), wide.magnitude <= limit.magnitude else { return (i, "\(v)") }
                        out[i] = wide
                    }
                }
                return nil
            }
            func floats<Bits: FixedWidthInteger>(_: Bits.Type, _ value: (Bits) -> Double) -> (index: Int, value: String)? {
                let size = MemoryLayout<Bits>.size
                for i in range {
                    let bits = source.value.loadUnaligned(fromByteOffset: i * size, as: Bits.self)
                    let stored = value(swap ? bits.byteSwapped : bits)
                    let scaled = scaling.map { stored * $0.slope + $0.intercept } ?? stored
                    guard let label = exact(scaled) else { return (i, "\(scaled)") }
                    out[i] = label
                }
                return nil
            }
            switch datatype {
            case .uint8: return integers(UInt8.self)
            case .int8: return integers(Int8.self)
            case .int16: return integers(Int16.self)
            case .uint16: return integers(UInt16.self)
            case .int32: return integers(Int32.self)
            case .uint32: return integers(UInt32.self)
            case .int64: return integers(Int64.self)
            case .uint64: return integers(UInt64.self)
            case .float32: return floats(UInt32.self) { Double(Float(bitPattern: $0)) }
            case .float64: return floats(UInt64.self) { Double(bitPattern: $0) }
            default: preconditionFailure("unsupported datatype reached decoding")
            }
        }
        return firstBad.compactMap { $0 }.first
    }

    private static func convert<T: FixedWidthInteger>(_ src: UnsafeRawPointer, _: T.Type, _ n: Int, _ swap: Bool,
                                                      _ scaling: (slope: Double, intercept: Double)?,
                                                      _ out: UnsafeMutablePointer<Float>) {
        let size = MemoryLayout<T>.size
        @inline(__always) func load(_ i: Int) -> T {
            let v = src.loadUnaligned(fromByteOffset: i * size, as: T.self)
            return swap ? v.byteSwapped : v
        }
        if let (slope, intercept) = scaling {
            for i in 0..<n { out[i] = Float(Double(load(i)) * slope + intercept) }
        } else {
            for i in 0..<n { out[i] = Float(load(i)) }
        }
    }

    private static func convertFloat32(_ src: UnsafeRawPointer, _ n: Int, _ swap: Bool,
                                       _ scaling: (slope: Double, intercept: Double)?,
                                       _ out: UnsafeMutablePointer<Float>) {
        @inline(__always) func load(_ i: Int) -> Float {
            let bits = src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
            return Float(bitPattern: swap ? bits.byteSwapped : bits)
        }
        if let (slope, intercept) = scaling {
            for i in 0..<n { out[i] = Float(Double(load(i)) * slope + intercept) }
        } else {
            for i in 0..<n { out[i] = load(i) }
        }
    }

    private static func convertFloat64(_ src: UnsafeRawPointer, _ n: Int, _ swap: Bool,
                                       _ scaling: (slope: Double, intercept: Double)?,
                                       _ out: UnsafeMutablePointer<Float>) {
        @inline(__always) func load(_ i: Int) -> Double {
            let bits = src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            return Double(bitPattern: swap ? bits.byteSwapped : bits)
        }
        if let (slope, intercept) = scaling {
            for i in 0..<n { out[i] = Float(load(i) * slope + intercept) }
        } else {
            for i in 0..<n { out[i] = Float(load(i)) }
        }
    }
}
