/// Label images stored as any numeric type → exact integer labels.
public enum LabelConversion {
    /// The first voxel that is not an exact integer in Int32 range (NaN and ±∞ included).
    public struct NonInteger: Error, Equatable, Sendable {
        public var index: Int
        public var value: Float
    }

    /// Converts label values to Int32, refusing any value that is not a whole number in range.
    /// - Complexity: one parallel pass.
    public static func integers(_ values: [Float]) -> Result<[Int32], NonInteger> {
        var firstBad = [Int?](repeating: nil, count: 0)
        let converted = [Int32](unsafeUninitializedCapacity: values.count) { out, initialized in
            FreshMemory.prepare(UnsafeMutableRawPointer(out.baseAddress!), byteCount: values.count * 4, populate: true)
            let output = UncheckedSendable(out)
            firstBad = Parallel.mapChunks(count: values.count) { range -> Int? in
                values.withUnsafeBufferPointer { v in
                    for i in range {
                        let x = v[i]
                        // In range (false for NaN), then exact: a truncating conversion, no libm call.
                        guard x >= -2147483648, x < 2147483648, Float(Int32(x)) == x else { return i }
                        output.value[i] = Int32(x)
                    }
                    return nil
                }
            }
            // Every slot is written when no chunk stopped early; otherwise the array is dropped.
            initialized = values.count
        }
        if let index = firstBad.compactMap({ $0 }).first {
            return .failure(NonInteger(index: index, value: values[index]))
        }
        return .success(converted)
    }
}
