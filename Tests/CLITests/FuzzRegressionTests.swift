import Foundation
import Testing

/// Inputs a fuzzer once found to misbehave (Fixtures/fuzz/): every command either works or exits 1
/// with one `error: ` line — never a signal, never a second line from a C library.
@Suite struct FuzzRegressionTests {
    static let files = (try? FileManager.default.contentsOfDirectory(atPath: packageRoot.path + "/Fixtures/fuzz"))?
        .filter { $0.hasSuffix(".nii") || $0.hasSuffix(".nii.gz") }.sorted() ?? []

    @Test(arguments: files)
    func commandsStayWellBehaved(_ name: String) throws {
        let path = "Fixtures/fuzz/" + name
        let out = temporaryFolder().appendingPathComponent("out.nii").path
        for args in [["info", path], ["stats", path, "--frame", "0"], ["stats", path, "--frame", "0", "--labels", path],
                     ["dose", path, "--out", out, "--no-decay-correction"],
                     ["dose", path, "--out", out, "--no-decay-correction", "--method", "dvk"]] {
            let run = voxdose(args)
            #expect(run.status == 0 || run.status == 1, "\(args): status \(run.status)")
            if run.status == 1 {
                #expect(run.stderr.hasPrefix("error: ") && run.stderr.split(separator: "\n").count == 1, "\(args): \(run.stderr)")
            } else {
                // Success: at most coded warnings (a fuzzed volume is rarely a plausible patient).
                #expect(run.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("warning: ") }, "\(args): \(run.stderr)")
            }
        }
    }
}
