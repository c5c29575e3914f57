import Foundation
import Testing
@testable import PatientCase

/// SHA-256 against the FIPS 180-4 example vectors and a file hashed by coreutils' sha256sum.
@Suite struct FileDigestTests {
    @Test func knownVectors() {
        #expect(FileDigest.sha256(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(FileDigest.sha256(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(FileDigest.sha256(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func fileAcrossBlocks() throws {
        // 9 MiB + 7 bytes: three 4 MiB reads, the last partial; compared with sha256sum.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var bytes = [UInt8](repeating: 0, count: 9 << 20 + 7)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let digest = try FileDigest.sha256(ofFile: path)
        #expect(digest.bytes == bytes.count)
        #expect(digest.hex == FileDigest.sha256(of: bytes))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(output.hasPrefix(digest.hex + " "))
    }
}
