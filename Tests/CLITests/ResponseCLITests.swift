import Foundation
import Testing

/// `voxdose response` against CONTRACT.md ("Conventions for every command", "voxdose response")
/// and REFERENCE.md §2.1, on scenes whose SULpeaks are worked out by hand: with 7 mm voxels the
/// default 6.204 mm sphere holds its centre voxel only, so a uniform lesion's SULpeak is its value.
@Suite struct ResponseCLITests {
    /// Per label: baseline voxel values, follow-up voxel values (nil: the label is absent there).
    /// Label 20 is the liver, 21 the blood pool.
    static let lesions: [(label: Int, baseline: [Float]?, followup: [Float]?)] = [
        (1, [6.0, 6.0], [4.0, 4.0]),          // REFERENCE: PMR
        (2, [2.5, .nan], [1.9, 1.9]),         // REFERENCE: SMD (a NaN voxel is left out)
        (3, [2.0, 2.0], [1.3, 1.3]),          // REFERENCE: SMD (−35 % but −0.7 SUL); ≤ liver, > blood pool
        (4, [4.0, 4.0], [5.5, 5.5]),          // REFERENCE: PMD
        (5, [6.0, 6.0], [4.2, 4.2]),          // exactly −30 % as decimals: PMR
        (6, [3.0, 3.0], [3.9, 3.9]),          // exactly +30 % as decimals: SMD (PMD needs more)
        (7, [8.0, 8.0], [1.0, 1.0]),          // ≤ liver 1.5 and ≤ blood pool 1.2: CMR
        (8, [5.0, 5.0], nil),                 // absent at follow-up: not categorised
        (9, nil, [5.0, 5.0]),                 // new at follow-up: not categorised
        (10, [5.0, 5.0], [.nan, .nan]),       // no finite voxel at follow-up
        (11, [0.0, 0.0], [1.6, 1.6]),         // baseline 0: no relative change
        (12, [3.25, 3.25], [3.25, 3.25]),     // exactly at the measurability threshold: not measurable
        (20, [1.0, 1.0, 2.0, 2.0], [1.5, 1.5, 1.5, 1.5]),   // liver: 1.5 ± 0.5, then 1.5 ± 0
        (21, [1.0, 1.0], [1.2, 1.2]),         // blood pool
    ]

    /// The baseline grid (4×4×4, 7 mm) and a follow-up grid of other size and origin: two scans.
    static let baselineGrid = Grid(dims: [4, 4, 4], spacing: [7, 7, 7])
    static let followupGrid = Grid(dims: [5, 4, 4], spacing: [7, 7, 7], origin: [-10, 3, 5])

    struct Scene {
        var baseline: String, baselineLabels: String, followup: String, followupLabels: String
        var args: [String] { ["response", "--baseline", baseline, "--baseline-labels", baselineLabels,
                              "--followup", followup, "--followup-labels", followupLabels] }
    }

    /// Writes maps (background 0.5) and label images, lesion voxels one after another from voxel 1.
    static func scene(_ w: Workspace) throws -> Scene {
        func write(_ grid: Grid, _ pick: ((label: Int, baseline: [Float]?, followup: [Float]?)) -> [Float]?,
                   _ name: String) throws -> (String, String) {
            var map = [Float](repeating: 0.5, count: grid.voxelCount), labels = [Float](repeating: 0, count: grid.voxelCount)
            var next = 1
            for entry in lesions {
                guard let values = pick(entry) else { continue }
                for v in values { map[next] = v; labels[next] = Float(entry.label); next += 1 }
                next += 1   // a background voxel between lesions
            }
            return (try w.volume(name + ".nii", grid, map), try w.volume(name + "_labels.nii", grid, labels, int16: true))
        }
        let (b, bl) = try write(baselineGrid, { $0.baseline }, "baseline")
        let (f, fl) = try write(followupGrid, { $0.followup }, "followup")
        return Scene(baseline: b, baselineLabels: bl, followup: f, followupLabels: fl)
    }

    static let references = ["--liver-label", "20", "--blood-pool-label", "21"]
    static let keys = ["label", "sulpeak_baseline", "sulpeak_followup", "change_pct", "change_abs", "measurable",
                       "category", "response", "responder", "note"]

    static func byLabel(_ r: RunResult) throws -> [Int: [String: Any]] {
        let rows = try #require(r.json["lesions"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["label"] as! Int, $0) })
    }

    @Test func categoriesKeysAndReferences() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        let r = voxdose(s.args + Self.references)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        #expect(r.json["schema"] as? String == "voxdose.response/1" && r.json["voxdose_version"] is String)
        #expect(!r.json.isEmpty && !r.stdout.contains(": nan") && !r.stdout.contains(": inf"))   // NaN voxels, no NaN figures
        let rows = try #require(r.json["lesions"] as? [[String: Any]])
        // Ascending label, every lesion at either time point; the references are not lesions.
        #expect(rows.map { $0["label"] as? Int } == Array(1...12))
        for row in rows { #expect(Set(row.keys) == Set(Self.keys)) }
        let l = try Self.byLabel(r)

        // Measurable: SULpeak > 1.5 · 1.5 + 2 · 0.5 = 3.25 (baseline liver, population SD).
        let expected: [Int: (Double?, Double?, String?, String?, Bool?, Bool?)] = [
            1: (6.0, 4.0, "PMR", "PR", true, true), 2: (2.5, 1.9, "SMD", "SD", false, false),
            3: (2.0, 1.3, "SMD", "SD", false, false), 4: (4.0, 5.5, "PMD", "PD", false, true),
            5: (6.0, Double(Float(4.2)), "PMR", "PR", true, true), 6: (3.0, Double(Float(3.9)), "SMD", "SD", false, false),
            7: (8.0, 1.0, "CMR", "CR", true, true), 8: (5.0, nil, nil, nil, nil, true),
            9: (nil, 5.0, nil, nil, nil, nil), 10: (5.0, nil, nil, nil, nil, true), 11: (0.0, 1.6, nil, nil, nil, false),
            12: (3.25, 3.25, "SMD", "SD", false, false),
        ]
        for (label, e) in expected {
            let row = try #require(l[label])
            #expect(close(row["sulpeak_baseline"], e.0) && close(row["sulpeak_followup"], e.1), "lesion \(label)")
            #expect(row["category"] as? String == e.2 && row["response"] as? String == e.3, "lesion \(label)")
            #expect((row["responder"] as? Bool) == e.4 && (row["measurable"] as? Bool) == e.5, "lesion \(label)")
            if e.2 == nil { #expect(row["category"] is NSNull && row["responder"] is NSNull && row["note"] is String, "lesion \(label)") }
        }
        // change_pct = 100 · (f − b) / b; change_abs = f − b.
        #expect(close(l[1]?["change_pct"], -100.0 / 3) && close(l[1]?["change_abs"], -2))
        #expect(close(l[3]?["change_pct"], -35) && close(l[3]?["change_abs"], -0.7))
        #expect(close(l[4]?["change_pct"], 37.5) && close(l[4]?["change_abs"], 1.5))
        #expect(close(l[7]?["change_pct"], -87.5))
        #expect(l[1]?["note"] is NSNull && l[7]?["note"] is NSNull)
        // Present at one time point only, or with no finite voxel: null figures and a note.
        #expect(l[8]?["change_pct"] is NSNull && (l[8]?["note"] as? String)?.contains("absent from the follow-up labels") == true)
        #expect(l[9]?["measurable"] is NSNull && (l[9]?["note"] as? String)?.contains("absent from the baseline labels") == true)
        #expect((l[10]?["note"] as? String)?.contains("no finite voxel in the follow-up map") == true)
        #expect(l[11]?["change_pct"] is NSNull && close(l[11]?["change_abs"], 1.6))
        #expect((l[11]?["note"] as? String)?.contains("baseline SULpeak is 0") == true)

        let refs = try #require(r.json["references"] as? [String: Any])
        #expect(Set(refs.keys) == ["liver_sul_mean_baseline", "liver_sul_sd_baseline", "liver_sul_mean_followup",
                                   "liver_sul_sd_followup", "blood_pool_sul_mean_baseline", "blood_pool_sul_mean_followup"])
        #expect(close(refs["liver_sul_mean_baseline"], 1.5) && close(refs["liver_sul_sd_baseline"], 0.5))
        #expect(close(refs["liver_sul_mean_followup"], 1.5) && close(refs["liver_sul_sd_followup"], 0))
        #expect(close(refs["blood_pool_sul_mean_baseline"], 1) && close(refs["blood_pool_sul_mean_followup"], 1.2, rel: 1e-7))
        #expect((r.json["warnings"] as? [Any])?.isEmpty == true)
        let params = try #require(r.json["parameters"] as? [String: Any])
        #expect(close(params["suvpeak_radius_mm"], 6.204) && params["baseline_frame"] is NSNull)
        #expect(r.json["resampling"] == nil)
        // Keys in the contract's order.
        let first = try #require(r.stdout.range(of: "\"label\": 1,"))
        let tail = r.stdout[first.lowerBound...]
        let positions = Self.keys.map { tail.range(of: "\"\($0)\"")!.lowerBound }
        #expect(positions == positions.sorted())
    }

    /// CSV: one header row with the JSON keys, one row per lesion, `true`/`false`, null empty.
    @Test func csvTable() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        let out = w.path("response.csv")
        let r = voxdose(s.args + Self.references + ["--format", "csv", "--out", out])
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first.map(String.init) == Self.keys.joined(separator: ","))
        #expect(lines.count == 1 + 12 + 1 && lines.last == "")
        #expect(lines[1] == "1,6.0,4.0,-33.33333333333333,-2.0,true,PMR,PR,true,")
        #expect(lines[3].hasPrefix("3,2.0,1.2999999523162842,") && lines[3].contains(",false,SMD,SD,false,"))
        #expect(lines[9].hasPrefix("9,,5.0,,,,,,,"))   // new lesion: nulls are empty cells, then the note
        #expect(!w.listing.contains { $0.hasSuffix(".tmp") || $0.hasPrefix(".") })
        // CSV on stdout without --out.
        let stdout = voxdose(s.args + ["--format", "csv"])
        #expect(stdout.status == 0 && stdout.stdout.hasPrefix(Self.keys.joined(separator: ",") + "\n"))
    }

    /// Without a blood-pool reference CMR is not assigned: lesion 7 (8.0 → 1.0, below the liver)
    /// is PMR with a note, and the output says why.
    @Test func withoutBloodPool() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        let r = voxdose(s.args + ["--liver-label", "20"])
        #expect(r.status == 0, "\(r.stderr)")
        let l = try Self.byLabel(r)
        #expect(l[7]?["category"] as? String == "PMR" && l[7]?["responder"] as? Bool == true)
        #expect((l[7]?["note"] as? String)?.contains("blood-pool") == true)
        #expect(l[3]?["category"] as? String == "SMD" && (l[3]?["note"] as? String)?.contains("blood-pool") == true)
        #expect(l[1]?["note"] is NSNull && l[1]?["measurable"] as? Bool == true)
        #expect(l[21] != nil)   // label 21 is a lesion now: nothing says it is the blood pool
        let refs = try #require(r.json["references"] as? [String: Any])
        #expect(refs["blood_pool_sul_mean_baseline"] is NSNull && refs["blood_pool_sul_mean_followup"] is NSNull)
        let warnings = try #require(r.json["warnings"] as? [String])
        #expect(warnings.count == 1 && warnings[0].contains("blood-pool") && warnings[0].contains("CMR"))
        #expect(r.stderr == "warning: \(warnings[0])\n")
    }

    /// Without liver references `measurable` is null and CMR is not assigned.
    @Test func withoutLiver() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        let r = voxdose(s.args + ["--blood-pool-label", "21"])
        #expect(r.status == 0, "\(r.stderr)")
        let l = try Self.byLabel(r)
        for (label, row) in l { #expect(row["measurable"] is NSNull, "lesion \(label)") }
        #expect(l[7]?["category"] as? String == "PMR")   // CMR not assigned
        #expect(l[1]?["category"] as? String == "PMR" && l[4]?["category"] as? String == "PMD")
        let refs = try #require(r.json["references"] as? [String: Any])
        #expect(refs["liver_sul_mean_baseline"] is NSNull && refs["liver_sul_sd_followup"] is NSNull)
        #expect(close(refs["blood_pool_sul_mean_followup"], 1.2, rel: 1e-7))
        #expect((r.json["warnings"] as? [String])?.count == 2)
        // No reference at all: every lesion still categorised from the change.
        let bare = voxdose(s.args)
        #expect(bare.status == 0 && (bare.json["warnings"] as? [String])?.count == 3)
        #expect(try Self.byLabel(bare)[6]?["category"] as? String == "SMD")
    }

    /// Reference masks: per time point, or one mask for both when it fits both grids.
    @Test func referenceMasks() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        func mask(_ grid: Grid, _ indices: ClosedRange<Int>, _ name: String) throws -> String {
            var m = [Float](repeating: 0, count: grid.voxelCount)
            for i in indices { m[i] = 1 }
            return try w.volume(name, grid, m, int16: true)
        }
        // The follow-up blood pool as a mask over voxels valued 1.0 (lesion 7 at follow-up): 1.0.
        let bloodB = try mask(Self.baselineGrid, 50...51, "blood_b.nii")   // background 0.5 there
        let lesion7Start = 1 + [2, 2, 2, 2, 2, 2].reduce(0) { $0 + $1 + 1 }
        let bloodF = try mask(Self.followupGrid, lesion7Start...(lesion7Start + 1), "blood_f.nii")
        let r = voxdose(s.args + ["--liver-label", "20", "--baseline-blood-pool-mask", bloodB, "--followup-blood-pool-mask", bloodF])
        #expect(r.status == 0, "\(r.stderr)")
        let refs = try #require(r.json["references"] as? [String: Any])
        #expect(close(refs["blood_pool_sul_mean_baseline"], 0.5) && close(refs["blood_pool_sul_mean_followup"], 1.0))
        let l = try Self.byLabel(r)
        #expect(l[7]?["category"] as? String == "CMR" && l[21] != nil)   // 21 is a lesion: the blood pool is a mask
        // One mask for both time points on different grids: refused, naming the mask and both geometries.
        let shared = voxdose(s.args + ["--liver-label", "20", "--blood-pool-mask", bloodB])
        #expect(shared.status == 1 && shared.stderr.hasPrefix("error: \(bloodB):") && shared.stderr.contains("--resample-labels"))
        #expect(shared.stderr.contains("5×4×4") && shared.stderr.contains("4×4×4") && shared.stderr.split(separator: "\n").count == 1)
        // With --resample-labels it maps onto each grid, and the counts are reported per time point.
        let resampled = voxdose(s.args + ["--liver-label", "20", "--blood-pool-mask", bloodB, "--resample-labels"])
        #expect(resampled.status == 0, "\(resampled.stderr)")
        let resampling = try #require(resampled.json["resampling"] as? [String: Any])
        #expect(resampling["baseline"] is NSNull && resampling["followup"] is [String: Any])
    }

    /// Each time point's labels must be on its own map's grid: the follow-up labels on the
    /// baseline grid are refused with one line naming the file, and nothing is written.
    @Test func labelGridMismatch() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        let out = w.path("response.json")
        let listing = w.listing
        let r = voxdose(["response", "--baseline", s.baseline, "--baseline-labels", s.baselineLabels,
                         "--followup", s.followup, "--followup-labels", s.baselineLabels, "--out", out] + Self.references)
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("error: \(s.baselineLabels): label grid differs") && r.stderr.contains(s.followup))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(w.listing == listing)
        // A 4-D label image is refused too.
        let labels4D = try w.volume("labels4d.nii", Grid(dims: [4, 4, 4, 2], spacing: [7, 7, 7]), [Float](repeating: 1, count: 128))
        let four = voxdose(["response", "--baseline", s.baseline, "--baseline-labels", labels4D,
                            "--followup", s.followup, "--followup-labels", s.followupLabels])
        #expect(four.status == 1 && four.stderr.hasPrefix("error: \(labels4D):"))
    }

    /// 4-D maps need --frame (or --baseline-frame / --followup-frame); a missing frame is an error.
    @Test func fourDimensionalMaps() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        // Baseline as two frames: frame 0 all 9.0, frame 1 the baseline map.
        let base = try readNIfTI(s.baseline).values.map(Float.init)
        let grid4D = Grid(dims: [4, 4, 4, 2], spacing: [7, 7, 7])
        let map4D = try w.volume("baseline4d.nii", grid4D, [Float](repeating: 9, count: 64) + base)
        let args = ["response", "--baseline", map4D, "--baseline-labels", s.baselineLabels,
                    "--followup", s.followup, "--followup-labels", s.followupLabels, "--out", w.path("r.json")] + Self.references
        let listing = w.listing
        let none = voxdose(args)
        #expect(none.status == 1 && none.stderr.hasPrefix("error: \(map4D):") && none.stderr.contains("--frame"))
        #expect(none.stderr.split(separator: "\n").count == 1 && w.listing == listing)
        let missing = voxdose(args + ["--baseline-frame", "2"])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("error: \(map4D): has no frame 2"))
        // --frame applies to both maps: the 3-D follow-up accepts frame 0 only.
        let both = voxdose(args + ["--frame", "1"])
        #expect(both.status == 1 && both.stderr.hasPrefix("error: \(s.followup): has no frame 1"))
        let ok = voxdose(args + ["--baseline-frame", "1"])
        #expect(ok.status == 0 && ok.stdout.isEmpty, "\(ok.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: w.path("r.json")))) as? [String: Any])
        let rows = try #require(json["lesions"] as? [[String: Any]])
        #expect(rows.first { $0["label"] as? Int == 1 }?["category"] as? String == "PMR")
        #expect(((json["parameters"] as? [String: Any])?["baseline_frame"] as? Int) == 1)
        let frame0 = voxdose(Array(args.dropLast(6)) + ["--baseline-frame", "0"] + Self.references)   // all 9.0 at baseline
        #expect(try Self.byLabel(frame0)[4]?["category"] as? String == "PMR")
    }

    /// SULpeak is the sphere mean of LesionUptake: with 2 mm voxels and a 2 mm radius the sphere is
    /// the centre and its six face neighbours, so a lone 8.0 voxel in 1.0 reads (8 + 6) / 7 = 2.
    @Test func sulpeakSphere() throws {
        let w = Workspace()
        let grid = Grid(dims: [5, 5, 5])
        var map = [Float](repeating: 1, count: 125), labels = [Float](repeating: 0, count: 125)
        let centre = grid.index(2, 2, 2)
        map[centre] = 8; labels[centre] = 1
        let b = try w.volume("b.nii", grid, map), bl = try w.volume("bl.nii", grid, labels, int16: true)
        map[centre] = 4.5
        let f = try w.volume("f.nii", grid, map)
        let r = voxdose(["response", "--baseline", b, "--baseline-labels", bl, "--followup", f, "--followup-labels", bl,
                         "--suvpeak-radius", "2mm"])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require(try Self.byLabel(r)[1])
        #expect(close(row["sulpeak_baseline"], 2) && close(row["sulpeak_followup"], 1.5))   // (4.5 + 6) / 7
        #expect(row["category"] as? String == "SMD")   // −25 %, −0.5 SUL
        #expect(close((r.json["parameters"] as? [String: Any])?["suvpeak_radius_mm"], 2))
        // The default radius (6.204 mm, just over three voxels of 2 mm), clipped to the 5×5×5 volume.
        let d = voxdose(["response", "--baseline", b, "--baseline-labels", bl, "--followup", f, "--followup-labels", bl])
        var count = 0   // offsets within ±2 (the volume) and within the radius: i² + j² + k² ≤ 9
        for i in -2...2 { for j in -2...2 { for k in -2...2 where i * i + j * j + k * k <= 9 { count += 1 } } }
        #expect(close(try Self.byLabel(d)[1]?["sulpeak_baseline"], Double(count - 1 + 8) / Double(count), rel: 1e-9))
    }

    /// Two scans on one grid: a single `--liver-mask` serves both time points, each read in its
    /// own map; `--frame 0` is accepted for 3-D maps, a 4-D map with one frame counts as 3-D, a
    /// bare radius is in mm, and `--quiet` changes nothing on stdout.
    @Test func sharedGridOptions() throws {
        let w = Workspace()
        let grid = Grid(dims: [4, 4, 2], spacing: [7, 7, 7])
        var labels = [Float](repeating: 0, count: 32), liver = [Float](repeating: 0, count: 32)
        var before = [Float](repeating: 1, count: 32), after = [Float](repeating: 1, count: 32)
        labels[0] = 3; before[0] = 5.0; after[0] = 1.0
        for i in 16..<20 { liver[i] = 1; before[i] = [1, 1, 3, 3][i - 16]; after[i] = 1.25 }   // 2 ± 1, then 1.25 ± 0
        let b = try w.volume("b.nii", grid, before), f = try w.volume("f.nii", Grid(dims: [4, 4, 2, 1], spacing: [7, 7, 7]), after)
        let l = try w.volume("l.nii", grid, labels, int16: true), m = try w.volume("liver.nii", grid, liver, int16: true)
        let args = ["response", "--baseline", b, "--baseline-labels", l, "--followup", f, "--followup-labels", l, "--liver-mask", m]
        let r = voxdose(args + ["--frame", "0", "--suvpeak-radius", "6.204", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let refs = try #require(r.json["references"] as? [String: Any])
        #expect(close(refs["liver_sul_mean_baseline"], 2) && close(refs["liver_sul_sd_baseline"], 1))
        #expect(close(refs["liver_sul_mean_followup"], 1.25) && close(refs["liver_sul_sd_followup"], 0))
        // 5.0 is not above 1.5 · 2 + 2 · 1 = 5: not measurable, still categorised (PMR: −80 %, −4 SUL).
        let row = try #require(try Self.byLabel(r)[3])
        #expect(row["measurable"] as? Bool == false && row["category"] as? String == "PMR")
        #expect((row["note"] as? String)?.contains("blood-pool") == true)   // 1.0 ≤ liver 1.25, no blood pool
        #expect(close((r.json["parameters"] as? [String: Any])?["suvpeak_radius_mm"], 6.204))
        #expect(voxdose(args + ["--frame", "0", "--suvpeak-radius", "6.204"]).stdout == r.stdout)
        #expect(try Self.byLabel(voxdose(args))[3]?["category"] as? String == "PMR")
    }

    /// Bad usage is exit 64 with the usage line; bad input exit 1 with one `error:` line.
    @Test func usageAndInputErrors() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        let missing = voxdose(["response", "--baseline", s.baseline, "--baseline-labels", s.baselineLabels, "--followup", s.followup])
        #expect(missing.status == 64 && missing.stderr.contains("Usage"))
        for extra in [["--liver-label", "20", "--liver-mask", s.baselineLabels],
                      ["--liver-mask", s.baselineLabels, "--followup-liver-mask", s.followupLabels],
                      ["--blood-pool-label", "21", "--baseline-blood-pool-mask", s.baselineLabels],
                      ["--liver-label", "0"], ["--liver-label", "20", "--blood-pool-label", "20"],
                      ["--suvpeak-radius", "0"], ["--suvpeak-radius", "6furlongs"], ["--frame", "-1"],
                      ["--format", "xml"], ["--no-such-option"], ["--liver-label", "2.5"]] {
            let r = voxdose(s.args + extra)
            #expect(r.status == 64 && r.stdout.isEmpty, "\(extra): \(r.status) \(r.stderr)")
        }
        // A reference label absent at one time point has no finite voxel there: exit 1 naming it.
        let absent = voxdose(s.args + ["--liver-label", "8"])   // lesion 8 exists at baseline only
        #expect(absent.status == 1 && absent.stderr.hasPrefix("error: \(s.followupLabels) (label 8): the liver reference"))
        #expect(absent.stderr.split(separator: "\n").count == 1)
        let nan = voxdose(s.args + ["--liver-label", "10"])     // lesion 10 is all NaN at follow-up
        #expect(nan.status == 1 && nan.stderr.contains("no finite voxel in the follow-up map"))
        // A missing file, and an output that is an input.
        let gone = voxdose(["response", "--baseline", w.path("none.nii"), "--baseline-labels", s.baselineLabels,
                            "--followup", s.followup, "--followup-labels", s.followupLabels])
        #expect(gone.status == 1 && gone.stderr.hasPrefix("error: ") && gone.stderr.contains("none.nii"))
        let clobber = voxdose(s.args + ["--out", s.followup])
        #expect(clobber.status == 1 && clobber.stderr.hasPrefix("error: "))
        #expect(try readNIfTI(s.followup).dims == [5, 4, 4])
    }

    /// Labels that are not whole numbers are refused (the label image rule of every command).
    @Test func nonIntegerLabels() throws {
        let w = Workspace()
        let s = try Self.scene(w)
        var labels = [Float](repeating: 0, count: 64)
        labels[3] = 1.5
        let bad = try w.volume("bad_labels.nii", Self.baselineGrid, labels)
        let r = voxdose(["response", "--baseline", s.baseline, "--baseline-labels", bad,
                         "--followup", s.followup, "--followup-labels", s.followupLabels])
        #expect(r.status == 1 && r.stderr.hasPrefix("error: \(bad): label values must be integers"))
    }
}
