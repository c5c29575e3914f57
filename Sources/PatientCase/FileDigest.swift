import CLibcrypto
import Foundation
import VoxelIO

/// SHA-256 of files, through OpenSSL's libcrypto (FIPS 180-4; the hardware SHA extensions where
/// the CPU has them). A case records the digest of every input it read, so a later run (or a
/// reader of `case.json`) can tell whether the inputs are still the same bytes.
public enum FileDigest {
    /// The file's SHA-256 as 64 lowercase hex digits, and its size in bytes, read in 4 MiB blocks.
    /// - Throws: ``VoxelIOError`` naming the file when it cannot be opened or read.
    public static func sha256(ofFile path: String) throws -> (hex: String, bytes: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw VoxelIOError(path, "cannot be opened for reading") }
        defer { try? handle.close() }
        guard let context = EVP_MD_CTX_new() else { throw VoxelIOError(path, "libcrypto could not allocate a digest context") }
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        var total = 0
        while true {
            let block: Data
            do { block = try handle.read(upToCount: 4 << 20) ?? Data() } catch { throw VoxelIOError(path, "cannot be read (\(error.localizedDescription))") }
            if block.isEmpty { break }
            total += block.count
            block.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }
        return (hex(finishing: context), total)
    }

    /// SHA-256 of bytes in memory, as 64 lowercase hex digits.
    public static func sha256(of bytes: [UInt8]) -> String {
        let context = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        bytes.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        return hex(finishing: context)
    }

    private static func hex(finishing context: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
