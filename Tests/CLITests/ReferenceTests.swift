import Foundation
import Testing

/// `voxdose info` and `voxdose stats` against values computed independently by nibabel + numpy
/// (Fixtures/reference/make_reference.py, committed with its output).
@Suite struct NibabelReferenceTests {
    nonisolated(unsafe) static let reference = try! loadJSON("Fixtures/reference/expected.json")
    static let images = (reference["images"] as! [String: [String: Any]]).sorted { $0.key < $1.key }.map(\.key)
    static let statsCases = (reference["stats"] as! [[String: Any]]).map { $0["name"] as! String }

    @Test(arguments: images)
    func infoMatchesNibabel(_ name: String) throws {
        let entry = try #require((Self.reference["images"] as! [String: [String: Any]])[name])
        var expected = try #require(entry["info"] as? [String: Any])
        let run = voxdose(["info", entry["path"] as! String])
        #expect(run.status == 0, "\(run.stderr)")
        if expected["affine_source"] as? String == "pixdim" {
            // nibabel's fallback affine flips x and centres the grid; the contract (NIfTI
            // method 1) is diag(pixdim). Check that separately.
            let spacing = expected["spacing_mm"] as! [Double]
            expected["affine"] = [[spacing[0], 0, 0, 0], [0, spacing[1], 0, 0], [0, 0, spacing[2], 0], [0, 0, 0, 1]]
        }
        // Affine to 1e-4 mm, the rest within Float32 precision.
        let affineDifference = difference(run.json["affine"], expected["affine"], rel: 0)
        #expect(zip((run.json["affine"] as? [[Double]] ?? []).joined(), (expected["affine"] as! [[Double]]).joined())
                    .allSatisfy { abs($0 - $1) <= 1e-4 }, "\(affineDifference ?? "")")
        expected["affine"] = nil
        #expect(difference(run.json, expected) == nil, "\(difference(run.json, expected) ?? "")")
    }

    @Test(arguments: statsCases)
    func statsMatchNumpy(_ name: String) throws {
        let entry = try #require((Self.reference["stats"] as! [[String: Any]]).first { $0["name"] as? String == name })
        let run = voxdose(["stats"] + (entry["args"] as! [String]))
        #expect(run.status == 0, "\(run.stderr)")
        let found = difference(run.json, entry["expected"])
        #expect(found == nil, "\(found ?? "")")
    }
}
