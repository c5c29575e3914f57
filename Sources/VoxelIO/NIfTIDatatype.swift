/// NIfTI datatype codes (nifti1.h `NIFTI_TYPE_*`), with the storage size of one voxel.
public enum NIfTIDatatype: Int, Sendable, CaseIterable {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, complex64 = 32, float64 = 64
    case rgb24 = 128, int8 = 256, uint16 = 512, uint32 = 768, int64 = 1024, uint64 = 1280
    case float128 = 1536, complex128 = 1792, complex256 = 2048, rgba32 = 2304
    case binary = 1

    /// Bytes per voxel as stored (0 for the bit-packed `binary`).
    public var bytesPerVoxel: Int {
        switch self {
        case .binary: return 0
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .rgb24: return 3
        case .int32, .uint32, .float32, .rgba32: return 4
        case .int64, .uint64, .float64, .complex64: return 8
        case .float128, .complex128: return 16
        case .complex256: return 32
        }
    }


    /// Real scalar types that convert to Float32 voxels; complex, RGB, binary and float128 do not.
    public var isSupported: Bool {
        switch self {
        case .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64, .float32, .float64: return true
        default: return false
        }
    }

    /// The name used in JSON output (numpy-style).
    public var name: String {
        switch self {
        case .binary: return "binary"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .complex256: return "complex256"
        case .rgb24: return "rgb24"
        case .rgba32: return "rgba32"
        case .float128: return "float128"
        default: return "\(self)"
        }
    }
}
