import Foundation
import Testing

/// `voxdose lesions` against values computed independently with numpy from the definitions
/// (CONTRACT.md "voxdose lesions", REFERENCE.md §2.1, §2.2, §5): Fixtures/lesions/
/// make_lesions_reference.py, committed with its output (the tests need no Python).
@Suite struct LesionsReferenceTests {
    nonisolated(unsafe) static let reference = try! loadJSON("Fixtures/lesions/expected.json")
    static var cases: [[String: Any]] { reference["cases"] as! [[String: Any]] }
    static let caseNames = (reference["cases"] as! [[String: Any]]).map { $0["name"] as! String }

    /// Keys that exist only with their map or reference region: absent otherwise.
    static let optionalLesionKeys = ["dose", "suv", "t_m", "t_bp", "hypoxic", "hypoxic_volume_ml", "hypoxic_fraction"]

    /// Runs a case's args with `{DVH}` replaced by a temporary file; returns the run and the DVH path.
    static func run(_ entry: [String: Any]) -> (RunResult, String) {
        let dvh = temporaryFolder().appendingPathComponent("dvh.csv").path
        let args = (entry["args"] as! [String]).map { $0 == "{DVH}" ? dvh : $0 }
        return (voxdose(args), dvh)
    }

    /// The differences `difference` does not see: keys that must be present (even when null) or absent.
    static func keyProblems(_ actual: [String: Any], _ expected: [String: Any]) -> [String] {
        var problems: [String] = []
        let actualLesions = actual["lesions"] as? [[String: Any]] ?? []
        let expectedLesions = expected["lesions"] as? [[String: Any]] ?? []
        for (a, e) in zip(actualLesions, expectedLesions) {
            let label = e["label"] as? Int ?? -1
            for key in e.keys where a[key] == nil { problems.append("lesion \(label): key \(key) missing") }
            for key in optionalLesionKeys where e[key] == nil && a[key] != nil {
                problems.append("lesion \(label): key \(key) should be absent")
            }
            for block in ["dose", "suv"] {
                if let eb = e[block] as? [String: Any], let ab = a[block] as? [String: Any] {
                    for key in eb.keys where ab[key] == nil { problems.append("lesion \(label): \(block).\(key) missing") }
                }
            }
        }
        let refs = Set((actual["references"] as? [String: Any] ?? [:]).keys)
        let expectedRefs = Set((expected["references"] as? [String: Any] ?? [:]).keys)
        if refs != expectedRefs { problems.append("references keys \(refs.sorted()), expected \(expectedRefs.sorted())") }
        if expected["resampling"] == nil && actual["resampling"] != nil { problems.append("resampling should be absent") }
        if let e = expected["resampling"] as? [String: Any], let a = actual["resampling"] as? [String: Any],
           Set(a.keys) != Set(e.keys) {
            problems.append("resampling keys \(a.keys.sorted()), expected \(e.keys.sorted())")
        }
        return problems
    }

    @Test(arguments: caseNames)
    func lesionTableMatchesNumpy(_ name: String) throws {
        let entry = try #require(Self.cases.first { $0["name"] as? String == name })
        let (run, dvhPath) = Self.run(entry)
        #expect(run.status == 0, "\(run.stderr)")
        let expected = try #require(entry["expected"] as? [String: Any])
        let found = difference(run.json, expected, rel: 1e-6)
        #expect(found == nil, "\(found ?? "")")
        let problems = Self.keyProblems(run.json, expected)
        #expect(problems.isEmpty, "\(problems.prefix(10))")

        if let expectedRows = (entry["dvh"] as? [[Any]])?.map({ $0.map { ($0 as? NSNumber)?.doubleValue ?? ($0 as? String == "normal_liver" ? -1 : .nan) } }) {
            let text = try String(contentsOfFile: dvhPath, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.first == "label,dose_gy,volume_pct")
            // The normal liver's rows (label normal_liver) compare as label -1.
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0 == "normal_liver" ? -1 : Double($0) } }
            #expect(rows.count == expectedRows.count, "\(rows.count) DVH rows, expected \(expectedRows.count)")
            for (i, (row, want)) in zip(rows, expectedRows).enumerated() {
                let ok = row.count == 3 && zip(row, want).allSatisfy { a, b in a.map { close($0, b, rel: 1e-6) } ?? false }
                #expect(ok, "DVH row \(i): \(row), expected \(want)")
                if !ok { break }
            }
        }
    }

    /// References given as labels or as masks of the same regions: identical lesion results (the
    /// mask run also lists labels 50, 98 and 99 as lesions) and identical references.
    @Test func referencesFromLabelsOrMasksAgree() throws {
        let byLabels = try #require(Self.cases.first { $0["name"] as? String == "labels10_refs_as_labels" })
        let byMasks = try #require(Self.cases.first { $0["name"] as? String == "labels10_refs_as_masks" })
        let (a, _) = Self.run(byLabels), (b, _) = Self.run(byMasks)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
        let lesionsA = try #require(a.json["lesions"] as? [[String: Any]])
        let lesionsB = try #require(b.json["lesions"] as? [[String: Any]])
            .filter { ![50, 98, 99].contains($0["label"] as? Int ?? -1) }
        #expect(lesionsA.count == 7 && lesionsB.count == 7)
        #expect(NSArray(array: lesionsA).isEqual(to: lesionsB), "lesions differ: \(difference(lesionsB, lesionsA, rel: 0) ?? "")")
        let refsA = try #require(a.json["references"] as? [String: Any]), refsB = try #require(b.json["references"] as? [String: Any])
        #expect(NSDictionary(dictionary: refsA).isEqual(to: refsB), "\(refsA) vs \(refsB)")
    }

    /// A label image (and a blood-pool mask) on a grid twice as fine, shifted by half a fine voxel:
    /// refused without --resample-labels; with it, the numbers of the `fine_labels_resampled` case.
    @Test func fineLabelsNeedResampling() throws {
        let args = try #require(Self.reference["refused_without_resampling"] as? [String])
        let refused = voxdose(args)
        #expect(refused.status == 1, "status \(refused.status): \(refused.stderr)")
        #expect(refused.stdout.isEmpty || refused.json["lesions"] == nil)
        let entry = try #require(Self.cases.first { $0["name"] as? String == "fine_labels_resampled" })
        let (run, _) = Self.run(entry)
        #expect(run.status == 0, "\(run.stderr)")
        let resampling = try #require(run.json["resampling"] as? [String: Any])
        let expected = try #require((entry["expected"] as? [String: Any])?["resampling"] as? [String: Any])
        let found = difference(resampling, expected, rel: 0)
        #expect(found == nil, "\(found ?? "")")
        // Without resampling need (labels on the map grid), `resampling` is null with the flag.
        let same = voxdose(["lesions", "--labels", "Fixtures/lesions/labels10.nii.gz", "--dose", "Fixtures/lesions/dose.nii.gz",
                            "--resample-labels"])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.json.keys.contains("resampling") && same.json["resampling"] is NSNull)
    }
}
