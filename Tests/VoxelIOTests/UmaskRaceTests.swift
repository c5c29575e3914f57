import Dispatch
import Foundation
import Testing
import VoxelIO
#if canImport(Glibc)
import Glibc
#endif

/// The process umask, read without changing it (Linux ≥ 4.7 reports it in /proc/self/status).
func processUmask() -> mode_t? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
          let value = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).last else { return nil }
    return mode_t(value, radix: 8)
}

/// Regression: `FileSystem.writeAtomically` once read the umask with `umask(0); umask(mask)`,
/// which races between threads (A: umask(0) → 022, B: umask(0) → 0, A: umask(022), B: umask(0))
/// and can leave the whole process with umask 0. It now reads /proc/self/status. Many writers on
/// several threads must leave the umask as it was.
@Suite struct UmaskRaceTests {
    @Test
    func concurrentWritesKeepTheProcessUmask() throws {
        let original = try #require(processUmask())
        defer { umask(original) }
        let folder = try makeTemporaryFolder()
        defer { cleanup(folder) }
        var changed: mode_t? = nil
        for _ in 0..<2 where changed == nil {
            DispatchQueue.concurrentPerform(iterations: 4) { t in
                for i in 0..<500 { try? AtomicTextFile.write("x", to: folder + "/t\(t)_\(i % 4).txt") }
            }
            if let now = processUmask(), now != original { changed = now }
        }
        #expect(changed == nil, "process umask changed from \(String(original, radix: 8)) to \(String(changed ?? 0, radix: 8)) by concurrent writes")
    }
}
