import Foundation
import Testing
import TestSupport

/// Black-box acceptance tests of `voxdose lesions`, written from CONTRACT.md ("Conventions for every
/// command", "voxdose lesions"), Docs/LESIONS.md and REFERENCE.md §5 only. They cover what
/// LesionsCLITests and LesionsReferenceTests leave out: the CSV table cell by cell, `--activity`
/// units, reference masks on another grid, every statistic on ~200 generated lesions, and the DVH
/// of those lesions. Every expected value is computed here from the arrays the test wrote.
@Suite struct LesionsAcceptanceTests {

    // MARK: - 1. CSV formatting

    /// 6×5×4 voxels of 2 mm. Lesion 1 (a name with a comma): hypoxic. Lesion 3 (a name with quotes):
    /// not hypoxic. Lesion 5: no finite SUV voxel. Lesion 12: no name (and 12 sorts after 5 only
    /// numerically). Blood pool label 9 (SUV 1.5), muscle label 10 (SUV 0.8).
    static func csvScene(_ w: Workspace) throws -> (labels: String, dose: String, suv: String, names: String) {
        let grid = Grid(dims: [6, 5, 4])
        var labels = [Float](repeating: 0, count: 120), dose = [Float](repeating: 0, count: 120)
        var suv = [Float](repeating: 1, count: 120)
        let nan = Float.nan
        let d1: [Float] = [110, 95, 130, 80, 101, 99, 150, 120, nan, 100]
        let s1: [Float] = [3, 3.5, 4, 2.8, 3.1, 2.9, 4.2, 3.3, 3.0, nan]
        for n in 0..<10 { labels[n] = 1; dose[n] = d1[n]; suv[n] = s1[n] }
        for n in 0..<10 { labels[20 + n] = 3; dose[20 + n] = Float(20 + 5 * n); suv[20 + n] = 1 + 0.05 * Float(n) }
        for n in 0..<5 { labels[40 + n] = 5; dose[40 + n] = Float(5 + n); suv[40 + n] = nan }
        for (n, d) in [Float(300), nan, 250].enumerated() { labels[50 + n] = 12; dose[50 + n] = d; suv[50 + n] = 2 }
        for i in 60..<70 { labels[i] = 9; dose[i] = 1; suv[i] = 1.5 }
        for i in 70..<80 { labels[i] = 10; dose[i] = 2; suv[i] = 0.8 }
        let names = w.path("names.tsv")
        try "label\tname\n1\tleft lobe, segment 8\n3\tthe \"big\" one\n5\tplain\n"
            .write(toFile: names, atomically: false, encoding: .utf8)
        return (try w.volume("labels.nii", grid, labels, int16: true), try w.volume("dose.nii", grid, dose),
                try w.volume("suv.nii", grid, suv), names)
    }

    @Test func csvTableMatchesJSONCellByCell() throws {
        let w = Workspace()
        let s = try Self.csvScene(w)
        let csvPath = w.path("table.csv")
        let r = voxdose(["lesions", "--labels", s.labels, "--dose", s.dose, "--suv", s.suv, "--names", s.names,
                         "--blood-pool-label", "9", "--muscle-label", "10", "--dx", "95.5,70", "--vx", "100,12.5",
                         "--csv", csvPath])
        #expect(r.status == 0, "\(r.stderr)")
        let lesions = try #require(r.json["lesions"] as? [[String: Any]])
        #expect(lesions.map { $0["label"] as? Int } == [1, 3, 5, 12])

        // The JSON side of what the CSV must show (sanity of the scene, and the null cases).
        let dose1 = try #require(lesions[0]["dose"] as? [String: Any])
        #expect(dose1["eud_gy"] is NSNull, "eud_gy without --eud-alpha: \(String(describing: dose1["eud_gy"]))")
        #expect((dose1["d"] as? [String: Any])?["95.5"] != nil, "d keyed \"95.5\": \(String(describing: dose1["d"]))")
        #expect(lesions[0]["hypoxic"] as? Bool == true && lesions[1]["hypoxic"] as? Bool == false)
        let suv5 = try #require(lesions[2]["suv"] as? [String: Any])
        #expect(suv5["nan_voxels"] as? Int == 5 && suv5["max"] is NSNull, "\(suv5)")
        #expect(lesions[2]["hypoxic"] is NSNull && lesions[2]["hypoxic_volume_ml"] is NSNull)
        #expect(lesions[3]["name"] is NSNull)

        let text = try String(contentsOfFile: csvPath, encoding: .utf8)
        let rows = try parseRFC4180(text)
        #expect(rows.count == 1 + lesions.count, "\(rows.count) CSV records for \(lesions.count) lesions:\n\(text)")
        let header = try #require(rows.first).map(\.text)
        #expect(Set(header).count == header.count, "duplicate columns: \(header)")
        for column in ["label", "name", "voxels", "volume_ml", "dose_nan_voxels", "dose_mean_gy", "dose_std_gy",
                       "dose_min_gy", "dose_max_gy", "dose_median_gy", "dose_d_95.5", "dose_d_70", "dose_v_pct_100",
                       "dose_v_pct_12.5", "dose_eud_gy", "dose_bed_gy", "suv_nan_voxels", "suv_max", "suv_mean",
                       "suv_peak", "suv_std", "t_m", "t_bp", "hypoxic", "hypoxic_volume_ml", "hypoxic_fraction"] {
            #expect(header.contains(column), "column \(column) missing from \(header)")
        }
        // The columns are exactly the lesions' JSON keys, nested keys joined with `_`.
        let flat = lesions.map { flatten($0) }
        let jsonKeys = Set(flat.flatMap(\.keys))
        #expect(Set(header) == jsonKeys,
                "only in CSV: \(Set(header).subtracting(jsonKeys).sorted()); only in JSON: \(jsonKeys.subtracting(header).sorted())")

        // RFC 4180: the fields with a comma or a quote are quoted, quotes doubled.
        #expect(text.contains("\"left lobe, segment 8\""), "\(text)")
        #expect(text.contains("\"the \"\"big\"\" one\""), "\(text)")

        var problems: [String] = []
        for (n, (row, lesion)) in zip(rows.dropFirst(), flat).enumerated() {
            guard row.count == header.count else {
                problems.append("row \(n + 1): \(row.count) cells for \(header.count) columns"); continue
            }
            for (column, cell) in zip(header, row.map(\.text)) {
                if let p = cellProblem(cell, lesion[column], column: column) { problems.append("row \(n + 1) \(p)") }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
        // Spot checks of the formats the contract names.
        if rows.count == 5, let h = header.firstIndex(of: "hypoxic"), let e = header.firstIndex(of: "dose_eud_gy"),
           let nm = header.firstIndex(of: "name"), let sm = header.firstIndex(of: "suv_max") {
            #expect(rows[1][h].text == "true" && rows[2][h].text == "false" && rows[3][h].text == "")
            #expect(rows[1][e].text == "" && rows[4][nm].text == "" && rows[3][sm].text == "")
            #expect(rows[1][nm].text == "left lobe, segment 8" && rows[2][nm].text == "the \"big\" one")
            #expect(rows.dropFirst().map { $0[0].text } == ["1", "3", "5", "12"])
        }
    }

    // MARK: - 2. --activity

    @Test func activityUnits() throws {
        let w = Workspace()
        let s = try Self.csvScene(w)
        let base = ["lesions", "--labels", s.labels, "--dose", s.dose]
        let none = voxdose(base)
        #expect(none.status == 0, "\(none.stderr)")
        let noneParams = try #require(none.json["parameters"] as? [String: Any])
        #expect(noneParams.keys.contains("activity_gbq") && noneParams["activity_gbq"] is NSNull,
                "without --activity: \(String(describing: noneParams["activity_gbq"]))")

        for (given, gbq) in [("1.8GBq", 1.8), ("1800MBq", 1.8), ("48.65mCi", 48.65 * 0.037),
                             ("1.8 GBq", 1.8), ("10mCi", 0.37), ("370MBq", 0.37)] {
            let r = voxdose(base + ["--activity", given])
            #expect(r.status == 0, "--activity \(given): \(r.stderr)")
            let value = (r.json["parameters"] as? [String: Any])?["activity_gbq"]
            #expect(close(value, gbq, rel: 1e-9), "--activity \(given): activity_gbq \(String(describing: value)), expected \(gbq)")
        }
        for bad in ["1.8furlongs", "abc", "1.8GB", "GBq", "", "1.8.2GBq", "1.8", "530"] {  // a bare number needs its unit
            let r = voxdose(base + ["--activity", bad])
            #expect(r.status == 64, "--activity '\(bad)': status \(r.status), stderr \(r.stderr)")
            #expect(r.json["lesions"] == nil, "--activity '\(bad)' printed a table")
        }
        // A negative activity is out of range (bad usage, whether read as a value or as an option).
        let negative = voxdose(base + ["--activity", "-1GBq"])
        #expect(negative.status == 64, "--activity -1GBq: status \(negative.status), stderr \(negative.stderr)")
    }

    // MARK: - 3. Reference masks on another grid

    /// Map grid: 10×12×8 voxels of 2 mm at (−10, 20, 5). Masks: 20×24×16 voxels of 1 mm, a
    /// subdividing grid shifted by half a fine voxel (and one more, so the first map plane of each
    /// axis falls outside the mask's field of view): map centre (i, j, k) lands exactly on fine centre
    /// (2i−1, 2j−1, 2k−1). The muscle mask's grid is also flipped in x (srow x = −1 mm, origin 10):
    /// fine x index 20 − 2i. No map centre is half-way between two fine centres.
    struct MaskScene {
        let map = Grid(dims: [10, 12, 8], spacing: [2, 2, 2], origin: [-10, 20, 5])
        let bpGrid = Grid(dims: [20, 24, 16], spacing: [1, 1, 1], origin: [-9, 21, 6])
        let muscleGrid = Grid(dims: [20, 24, 16], spacing: [1, 1, 1], origin: [10, 21, 6], flipX: true)
        var labels: [Float] = [], suv: [Float] = [], bpFine: [Float] = [], muscleFine: [Float] = []
    }

    static func maskScene() -> MaskScene {
        var s = MaskScene()
        var rng = SplitMix64(seed: 0x5EED_0003)
        let n = s.map.voxelCount
        s.suv = (0..<n).map { _ in Double.random(in: 0, 1, using: &rng) < 0.05 ? .nan : Float(Double.random(in: 0.5, 2.5, using: &rng)) }
        s.labels = [Float](repeating: 0, count: n)
        for (label, box) in [(4, (1...3, 1...4, 1...3)), (8, (5...8, 6...10, 2...5)), (15, (2...4, 8...11, 5...7))] {
            for k in box.2 { for j in box.1 { for i in box.0 {
                s.labels[s.map.index(i, j, k)] = Float(label)
                s.suv[s.map.index(i, j, k)] = Float(Double.random(in: 1.0, 4.0, using: &rng))
            } } }
        }
        s.labels[s.map.index(3, 3, 3)] = 4
        s.suv[s.map.index(2, 2, 2)] = .nan  // a NaN inside lesion 4
        func mask(_ grid: Grid, box: (ClosedRange<Int>, ClosedRange<Int>, ClosedRange<Int>)) -> [Float] {
            var m = [Float](repeating: 0, count: grid.voxelCount)
            for k in 0..<grid.dims[2] { for j in 0..<grid.dims[1] { for i in 0..<grid.dims[0] {
                let inBox = box.0.contains(i) && box.1.contains(j) && box.2.contains(k)
                let speckle = Double.random(in: 0, 1, using: &rng) < 0.04
                if inBox ? Double.random(in: 0, 1, using: &rng) > 0.15 : speckle { m[grid.index(i, j, k)] = 1 }
            } } }
            return m
        }
        s.bpFine = mask(s.bpGrid, box: (0...9, 2...12, 0...8))          // touches the out-of-view planes too
        s.muscleFine = mask(s.muscleGrid, box: (1...8, 13...22, 5...14))
        return s
    }

    /// Nearest-neighbour resampling of a mask onto the map grid, computed through both affines.
    static func resample(_ mask: [Float], from fine: Grid, to map: Grid) throws -> [Float] {
        var out = [Float](repeating: 0, count: map.voxelCount)
        let mapRows = map.srow.map { $0.map(Double.init) }, fineRows = fine.srow.map { $0.map(Double.init) }
        for k in 0..<map.dims[2] { for j in 0..<map.dims[1] { for i in 0..<map.dims[0] {
            let ijk = [Double(i), Double(j), Double(k)]
            let world = (0..<3).map { r in (0..<3).reduce(mapRows[r][3]) { $0 + mapRows[r][$1] * ijk[$1] } }
            // The fine affine is diagonal: index = (world − offset) / diagonal.
            let continuous = (0..<3).map { r in (world[r] - fineRows[r][3]) / fineRows[r][r] }
            let index = continuous.map { Int($0.rounded()) }
            try #require(zip(continuous, index).allSatisfy { Swift.abs($0 - Double($1)) < 0.25 }, "the scene has a tie")
            guard (0..<3).allSatisfy({ index[$0] >= 0 && index[$0] < fine.dims[$0] }) else { continue }
            out[map.index(i, j, k)] = mask[fine.index(index[0], index[1], index[2])]
        } } }
        return out
    }

    @Test func masksOnAnotherGridAreResampledOnlyOnRequest() throws {
        let w = Workspace()
        let s = Self.maskScene()
        let labels = try w.volume("labels.nii", s.map, s.labels, int16: true)
        let suv = try w.volume("suv.nii", s.map, s.suv)
        let bpFine = try w.volume("bp_fine.nii", s.bpGrid, s.bpFine, int16: true)
        let muscleFine = try w.volume("muscle_fine.nii", s.muscleGrid, s.muscleFine, int16: true)

        // Refused without --resample-labels: exit 1, one line naming the mask and both geometries; no output file.
        for (option, file) in [("--muscle-mask", muscleFine), ("--blood-pool-mask", bpFine)] {
            let before = w.listing
            let r = voxdose(["lesions", "--labels", labels, "--suv", suv, option, file, "--csv", w.path("refused.csv")])
            #expect(r.status == 1, "\(option) on another grid: status \(r.status), stderr \(r.stderr)")
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 1 && r.stderr.hasPrefix("error: "), "stderr: \(r.stderr)")
            let name = URL(fileURLWithPath: file).lastPathComponent
            #expect(r.stderr.contains(name), "the error does not name \(name): \(r.stderr)")
            let numbers = numbersIn(r.stderr)
            let dims = containsRun(numbers, [20, 24, 16]) && containsRun(numbers, [10, 12, 8])
            let spacings = containsRun(numbers, [1, 1, 1]) && containsRun(numbers, [2, 2, 2])
            #expect(dims || spacings, "the error does not show both geometries: \(r.stderr)")
            #expect(r.stdout.isEmpty || r.json["lesions"] == nil, "a table was printed: \(r.stdout.prefix(200))")
            #expect(w.listing == before, "files left by a refused run: \(Set(w.listing).subtracting(before))")
        }

        // Resampled: counts on each grid, computed here.
        let bpMap = try Self.resample(s.bpFine, from: s.bpGrid, to: s.map)
        let muscleMap = try Self.resample(s.muscleFine, from: s.muscleGrid, to: s.map)
        func count(_ m: [Float]) -> Int { m.filter { $0 != 0 }.count }
        let r = voxdose(["lesions", "--labels", labels, "--suv", suv, "--muscle-mask", muscleFine,
                         "--blood-pool-mask", bpFine, "--resample-labels"])
        #expect(r.status == 0, "\(r.stderr)")
        let resampling = try #require(r.json["resampling"] as? [String: Any], "resampling: \(String(describing: r.json["resampling"]))")
        #expect(Set(resampling.keys) == ["muscle_mask", "blood_pool_mask"], "resampling keys \(resampling.keys.sorted())")
        for (key, fine, onMap) in [("muscle_mask", s.muscleFine, muscleMap), ("blood_pool_mask", s.bpFine, bpMap)] {
            let entry = resampling[key] as? [String: Any]
            #expect(entry?["voxels_before"] as? Int == count(fine) && entry?["voxels_after"] as? Int == count(onMap),
                    "\(key): \(String(describing: entry)), expected before \(count(fine)), after \(count(onMap))")
        }

        // The same masks drawn on the map grid give the same ratios and references.
        let bpDirect = try w.volume("bp_map.nii", s.map, bpMap, int16: true)
        let muscleDirect = try w.volume("muscle_map.nii", s.map, muscleMap, int16: true)
        let direct = voxdose(["lesions", "--labels", labels, "--suv", suv, "--muscle-mask", muscleDirect,
                              "--blood-pool-mask", bpDirect])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(direct.json["resampling"] == nil)

        func finiteMean(_ m: [Float]) -> Double {
            let v = zip(m, s.suv).filter { $0.0 != 0 && $0.1.isFinite }.map { Double($0.1) }
            return v.reduce(0, +) / Double(v.count)
        }
        let bpMean = finiteMean(bpMap), muscleMean = finiteMean(muscleMap)
        for run in [r, direct] {
            let refs = run.json["references"] as? [String: Any]
            #expect(close(refs?["blood_pool_suv_mean"], bpMean, rel: 1e-9) && close(refs?["muscle_suv_mean"], muscleMean, rel: 1e-9),
                    "references \(String(describing: refs)), expected blood pool \(bpMean), muscle \(muscleMean)")
        }
        let resampled = try #require(r.json["lesions"] as? [[String: Any]])
        let drawn = try #require(direct.json["lesions"] as? [[String: Any]])
        #expect(resampled.map { $0["label"] as? Int } == [4, 8, 15] && drawn.map { $0["label"] as? Int } == [4, 8, 15])
        for (a, b) in zip(resampled, drawn) {
            let label = a["label"] as? Int ?? -1
            let suvMax = (0..<s.map.voxelCount).filter { Int(s.labels[$0]) == label && s.suv[$0].isFinite }
                .map { Double(s.suv[$0]) }.max() ?? .nan
            #expect(close(a["t_bp"], suvMax / bpMean, rel: 1e-9) && close(a["t_m"], suvMax / muscleMean, rel: 1e-9),
                    "lesion \(label): t_bp \(String(describing: a["t_bp"])) t_m \(String(describing: a["t_m"])), expected \(suvMax / bpMean), \(suvMax / muscleMean)")
            for key in ["t_bp", "t_m", "hypoxic", "hypoxic_volume_ml", "hypoxic_fraction"] {
                #expect(difference(a[key], b[key], rel: 1e-12) == nil && (a[key] == nil) == (b[key] == nil),
                        "lesion \(label) \(key): resampled \(String(describing: a[key])), drawn \(String(describing: b[key]))")
            }
        }
    }

    // MARK: - 4. At scale: ~200 lesions on 64×64×48 voxels

    struct ScaleScene {
        let grid = Grid(dims: [64, 64, 48], spacing: [1.5, 1.5, 2.5], origin: [-47.25, -47.25, -60])
        var labels: [Int] = [], dose: [Float] = [], suv: [Float] = []
        /// Special lesions: one voxel; no finite dose; no finite SUV; all doses negative; integer
        /// doses whose maximum (200 Gy) is a multiple of the DVH bin.
        var oneVoxel = 32700, noDose = 32701, noSUV = 32702, negative = 32703, integerDoses = 32704
    }

    static let dxArgument = "2,50,70,90,98,95.5"
    static let vxArgument = "0,12.5,50,89,100,120,205"

    /// Generated with a seeded RNG: a smooth dose field with noise (negative in places), 30 % of
    /// doses on whole grays (ties), NaN and ±Inf scattered independently in the two maps, ~200
    /// overlapping ellipsoidal lesions with int16 labels from 1 to 32000, then the special lesions.
    static func scaleScene() -> ScaleScene {
        var s = ScaleScene()
        var rng = SplitMix64(seed: 20_260_302)
        let (nx, ny, nz) = (s.grid.dims[0], s.grid.dims[1], s.grid.dims[2])
        let n = s.grid.voxelCount
        s.dose = [Float](repeating: 0, count: n); s.suv = [Float](repeating: 0, count: n)
        for k in 0..<nz { for j in 0..<ny { for i in 0..<nx {
            let (x, y, z) = (Double(i), Double(j), Double(k))
            var d = 110 + 90 * sin(x / 7) * cos(y / 9) + 40 * sin(z / 5) + 15 * gaussian(&rng)
            if Double.random(in: 0, 1, using: &rng) < 0.3 { d = d.rounded() }
            let u = Double.random(in: 0, 1, using: &rng)
            var dose = Float(d)
            if u < 0.02 { dose = .nan } else if u < 0.021 { dose = .infinity } else if u < 0.022 { dose = -.infinity }
            var suv = Float(0.3 + 1.25 * (1 + sin(x / 6 + z / 4)) + 0.2 * gaussian(&rng))
            let v = Double.random(in: 0, 1, using: &rng)
            if v < 0.03 { suv = .nan } else if v < 0.031 { suv = .infinity }
            let index = s.grid.index(i, j, k)
            s.dose[index] = dose; s.suv[index] = suv
        } } }
        s.labels = [Int](repeating: 0, count: n)
        var used = Set<Int>()
        for _ in 0..<215 {
            var value = 0
            repeat { value = Int.random(in: 1...32000, using: &rng) } while used.contains(value)
            used.insert(value)
            let c = [Int.random(in: 0..<nx, using: &rng), Int.random(in: 0..<ny, using: &rng), Int.random(in: 0..<nz, using: &rng)]
            let r = [Int.random(in: 0...4, using: &rng), Int.random(in: 0...4, using: &rng), Int.random(in: 0...3, using: &rng)]
            for k in max(0, c[2] - r[2])...min(nz - 1, c[2] + r[2]) {
                for j in max(0, c[1] - r[1])...min(ny - 1, c[1] + r[1]) {
                    for i in max(0, c[0] - r[0])...min(nx - 1, c[0] + r[0]) {
                        let e = [Double(i - c[0]), Double(j - c[1]), Double(k - c[2])].enumerated()
                            .reduce(0.0) { $0 + pow($1.element / (Double(r[$1.offset]) + 0.5), 2) }
                        if e <= 1 { s.labels[s.grid.index(i, j, k)] = value }
                    }
                }
            }
        }
        func box(_ label: Int, _ xs: ClosedRange<Int>, _ ys: ClosedRange<Int>, _ zs: ClosedRange<Int>, _ body: (Int) -> Void) {
            for k in zs { for j in ys { for i in xs { let index = s.grid.index(i, j, k); s.labels[index] = label; body(index) } } }
        }
        box(s.oneVoxel, 30...30, 30...30, 20...20) { _ in }
        box(s.noDose, 0...2, 0...2, 0...1) { s.dose[$0] = .nan }
        box(s.noSUV, 60...63, 0...2, 0...1) { s.suv[$0] = .nan }
        box(s.negative, 0...3, 60...63, 46...47) { s.dose[$0] = -Float(Int.random(in: 1...20, using: &rng)) }
        box(s.integerDoses, 60...63, 60...63, 45...47) { s.dose[$0] = Float(Int.random(in: 0...199, using: &rng)) }
        s.dose[s.grid.index(61, 61, 46)] = 200
        s.dose[s.grid.index(62, 61, 46)] = .nan
        return s
    }

    /// Writes the scene; returns the three paths.
    static func writeScale(_ s: ScaleScene, _ w: Workspace) throws -> (labels: String, dose: String, suv: String) {
        (try w.volume("labels.nii", s.grid, s.labels.map(Float.init), int16: true),
         try w.volume("dose.nii", s.grid, s.dose), try w.volume("suv.nii", s.grid, s.suv))
    }

    /// Voxel indices of every non-zero label, ascending by label.
    static func lesionVoxels(_ s: ScaleScene) -> [(label: Int, voxels: [Int])] {
        var byLabel: [Int: [Int]] = [:]
        for (index, label) in s.labels.enumerated() where label != 0 { byLabel[label, default: []].append(index) }
        return byLabel.keys.sorted().map { ($0, byLabel[$0]!) }
    }

    @Test func everyStatisticOnTwoHundredLesions() throws {
        let w = Workspace()
        let s = Self.scaleScene()
        let paths = try Self.writeScale(s, w)
        let expected = Self.lesionVoxels(s)
        try #require(expected.count >= 180 && expected.count <= 220, "scene: \(expected.count) labels")
        let r = voxdose(["lesions", "--labels", paths.labels, "--dose", paths.dose, "--suv", paths.suv,
                         "--dx", Self.dxArgument, "--vx", Self.vxArgument])
        #expect(r.status == 0, "\(r.stderr)")
        let lesions = try #require(r.json["lesions"] as? [[String: Any]])
        #expect(lesions.map { $0["label"] as? Int ?? -1 } == expected.map(\.label), "labels differ")
        let voxelML = s.grid.voxelML
        let dxKeys = Self.dxArgument.split(separator: ",").map(String.init)
        let vxKeys = Self.vxArgument.split(separator: ",").map(String.init)

        var problems: [String] = []
        func check(_ label: Int, _ what: String, _ actual: Any?, _ wanted: Double?) {
            let ok: Bool
            if let wanted { ok = close(actual, wanted, rel: 1e-6, abs: 1e-9) } else { ok = actual == nil || actual is NSNull }
            if !ok { problems.append("lesion \(label) \(what): \(String(describing: actual)), expected \(wanted.map { "\($0)" } ?? "null")") }
        }
        for (lesion, (label, voxels)) in zip(lesions, expected) {
            check(label, "voxels", lesion["voxels"], Double(voxels.count))
            check(label, "volume_ml", lesion["volume_ml"], Double(voxels.count) * voxelML)
            #expect(lesion["name"] is NSNull)

            let doses = voxels.map { Double(s.dose[$0]) }.filter(\.isFinite).sorted()
            guard let d = lesion["dose"] as? [String: Any] else { problems.append("lesion \(label): no dose block"); continue }
            check(label, "dose.nan_voxels", d["nan_voxels"], Double(voxels.count - doses.count))
            let stats = Stats(doses)
            check(label, "dose.mean_gy", d["mean_gy"], stats?.mean)
            check(label, "dose.std_gy", d["std_gy"], stats?.std)
            check(label, "dose.min_gy", d["min_gy"], doses.first)
            check(label, "dose.max_gy", d["max_gy"], doses.last)
            check(label, "dose.median_gy", d["median_gy"], stats.map { _ in percentile(doses, 50) })
            let dx = d["d"] as? [String: Any], vx = d["v_pct"] as? [String: Any]
            if doses.isEmpty {
                // "that block with null figures": d and v_pct null, or their values null.
                for (name, block) in [("d", d["d"]), ("v_pct", d["v_pct"])] {
                    let allNull = (block == nil || block is NSNull)
                        || ((block as? [String: Any])?.values.allSatisfy { $0 is NSNull } ?? false)
                    if !allNull { problems.append("lesion \(label) (no finite dose): \(name) \(String(describing: block))") }
                }
            } else {
                for key in dxKeys { check(label, "dose.d[\(key)]", dx?[key], percentile(doses, 100 - Double(key)!)) }
                for key in vxKeys {
                    let level = Double(key)!
                    check(label, "dose.v_pct[\(key)]", vx?[key], 100 * Double(doses.filter { $0 >= level }.count) / Double(doses.count))
                }
            }

            let suvs = voxels.map { Double(s.suv[$0]) }.filter(\.isFinite)
            guard let u = lesion["suv"] as? [String: Any] else { problems.append("lesion \(label): no suv block"); continue }
            check(label, "suv.nan_voxels", u["nan_voxels"], Double(voxels.count - suvs.count))
            check(label, "suv.max", u["max"], suvs.max())
            check(label, "suv.mean", u["mean"], Stats(suvs)?.mean)
            check(label, "suv.std", u["std"], Stats(suvs)?.std)
        }
        // The special lesions are in the table with the figures above; make sure the scene has them.
        let specials = [s.oneVoxel, s.noDose, s.noSUV, s.negative, s.integerDoses]
        #expect(specials.allSatisfy { label in expected.contains { $0.label == label } })
        #expect(problems.isEmpty, "\(problems.count) differences:\n\(problems.prefix(25).joined(separator: "\n"))")
    }

    // MARK: - 5. The DVH CSV

    @Test func dvhOfTwoHundredLesions() throws {
        let w = Workspace()
        let s = Self.scaleScene()
        let paths = try Self.writeScale(s, w)
        let dvhPath = w.path("dvh.csv")
        let bin = 2.5
        let r = voxdose(["lesions", "--labels", paths.labels, "--dose", paths.dose, "--dvh", dvhPath, "--dvh-bin", "2.5"])
        #expect(r.status == 0, "\(r.stderr)")

        // Expected rows: per lesion with a finite dose voxel, levels k·b for k = 0 … K, K the
        // smallest k ≥ 0 with k·b ≥ the maximum dose; % of finite voxels with dose ≥ the level.
        var expected: [(label: Int, dose: Double, pct: Double)] = []
        var multipleMaximum = false
        for (label, voxels) in Self.lesionVoxels(s) {
            let doses = voxels.map { Double(s.dose[$0]) }.filter(\.isFinite).sorted()
            guard let maximum = doses.last else { continue }
            var k = maximum <= 0 ? 0 : Int((maximum / bin).rounded(.up))
            while Double(k) * bin < maximum { k += 1 }
            while k > 0 && Double(k - 1) * bin >= maximum { k -= 1 }
            if maximum > 0 && Double(k) * bin == maximum { multipleMaximum = true }
            for level in (0...k).map({ Double($0) * bin }) {
                let above = doses.count - lowerBound(doses, level)
                expected.append((label, level, 100 * Double(above) / Double(doses.count)))
            }
        }
        try #require(multipleMaximum, "scene: no lesion whose maximum is a multiple of the bin")

        let text = try String(contentsOfFile: dvhPath, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        #expect(lines.first == "label,dose_gy,volume_pct", "header: \(lines.first ?? "none")")
        let rows = lines.dropFirst()
        #expect(rows.count == expected.count, "\(rows.count) DVH rows, expected \(expected.count)")
        var problems: [String] = []
        for (n, (line, want)) in zip(rows, expected).enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            let ok = cells.count == 3 && cells[0] == Double(want.label) && close(cells[1], want.dose, rel: 1e-9, abs: 1e-9)
                && close(cells[2], want.pct, rel: 1e-6, abs: 1e-9)
            if !ok { problems.append("row \(n + 1): \(line), expected \(want.label),\(want.dose),\(want.pct)") }
            if problems.count >= 20 { break }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        // No rows for the lesion without a finite dose; one row (at 0 Gy, 0 %) for the all-negative one.
        #expect(!rows.contains { $0.hasPrefix("\(s.noDose),") })
        #expect(rows.filter { $0.hasPrefix("\(s.negative),") }.count == 1)
    }
}

// MARK: - Helpers

private extension Double {
    static func random(in low: Double, _ high: Double, using rng: inout SplitMix64) -> Double {
        Double.random(in: low..<high, using: &rng)
    }
}

/// A standard normal deviate (Box–Muller).
private func gaussian(_ rng: inout SplitMix64) -> Double {
    let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &rng), v = Double.random(in: 0..<1, using: &rng)
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
}

/// Mean and population SD of finite values; nil when there are none.
private struct Stats {
    var mean: Double, std: Double
    init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let n = Double(values.count)
        mean = values.reduce(0, +) / n
        let m = mean
        std = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n).squareRoot()
    }
}

/// numpy's default ("linear") percentile of sorted values: the value at (n − 1)·p/100, linearly
/// interpolated between the two order statistics around it.
private func percentile(_ sorted: [Double], _ p: Double) -> Double {
    let h = Double(sorted.count - 1) * p / 100
    let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
    return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
}

/// The first index whose value is ≥ x (sorted ascending).
private func lowerBound(_ sorted: [Double], _ x: Double) -> Int {
    var (lo, hi) = (0, sorted.count)
    while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] < x { lo = mid + 1 } else { hi = mid } }
    return lo
}

/// One CSV cell and whether it was quoted.
private struct CSVCell { var text: String; var quoted: Bool }

private struct CSVError: Error, CustomStringConvertible { var description: String }

/// A strict RFC 4180 reader: fields separated by commas, records by CRLF or LF; a quoted field may
/// hold commas, line breaks and doubled quotes; a quote anywhere in an unquoted field is an error.
private func parseRFC4180(_ text: String) throws -> [[CSVCell]] {
    let scalars = Array(text.unicodeScalars)
    var records: [[CSVCell]] = [], record: [CSVCell] = [], i = 0
    func fail(_ what: String) -> CSVError { CSVError(description: "CSV record \(records.count + 1): \(what)\n\(text)") }
    while i < scalars.count {
        var field = String.UnicodeScalarView(), quoted = false
        if scalars[i] == "\"" {
            quoted = true; i += 1
            while true {
                guard i < scalars.count else { throw fail("unterminated quoted field") }
                if scalars[i] == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" { field.append("\""); i += 2 } else { i += 1; break }
                } else { field.append(scalars[i]); i += 1 }
            }
        } else {
            while i < scalars.count && !["," as Unicode.Scalar, "\n", "\r"].contains(scalars[i]) {
                if scalars[i] == "\"" { throw fail("a quote in an unquoted field") }
                field.append(scalars[i]); i += 1
            }
        }
        record.append(CSVCell(text: String(field), quoted: quoted))
        if i == scalars.count { records.append(record); break }
        switch scalars[i] {
        case ",": i += 1; if i == scalars.count { record.append(CSVCell(text: "", quoted: false)); records.append(record) }
        case "\r":
            guard i + 1 < scalars.count && scalars[i + 1] == "\n" else { throw fail("a lone CR") }
            i += 2; records.append(record); record = []
        case "\n": i += 1; records.append(record); record = []
        default: throw fail("text after a closing quote")
        }
    }
    return records
}

/// A lesion's JSON object flattened: nested keys joined with `_`, arrays as `_0`, `_1`.
private func flatten(_ value: Any, prefix: String = "") -> [String: Any] {
    switch value {
    case let object as [String: Any]:
        var out: [String: Any] = [:]
        for (key, inner) in object {
            out.merge(flatten(inner, prefix: prefix.isEmpty ? key : prefix + "_" + key)) { a, _ in a }
        }
        return out
    case let array as [Any]:
        var out: [String: Any] = [:]
        for (n, inner) in array.enumerated() { out.merge(flatten(inner, prefix: prefix + "_\(n)")) { a, _ in a } }
        return out
    default:
        return [prefix: value]
    }
}

/// Keys whose JSON values are booleans (written `true`/`false` in CSV).
private let booleanKeys: Set<String> = ["hypoxic"]

/// Whether a CSV cell shows the JSON value of the same column; nil when it does.
private func cellProblem(_ cell: String, _ value: Any?, column: String) -> String? {
    switch value {
    case nil, is NSNull:
        return cell.isEmpty ? nil : "\(column): '\(cell)' for null"
    case let number as NSNumber where booleanKeys.contains(column):
        let want = number.boolValue ? "true" : "false"
        return cell == want ? nil : "\(column): '\(cell)', expected \(want)"
    case let number as NSNumber:
        guard let parsed = Double(cell) else { return "\(column): '\(cell)' is not a number (JSON \(number))" }
        return close(parsed, number.doubleValue, rel: 1e-6, abs: 1e-12) ? nil : "\(column): \(cell), JSON \(number)"
    case let string as String:
        return cell == string ? nil : "\(column): '\(cell)', JSON '\(string)'"
    default:
        return "\(column): JSON value \(String(describing: value)) has no CSV form"
    }
}

/// The numbers in a text, in order.
private func numbersIn(_ text: String) -> [Double] {
    let regex = try! NSRegularExpression(pattern: #"-?\d+(?:\.\d+)?"#)
    let ns = text as NSString
    return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).compactMap { Double(ns.substring(with: $0.range)) }
}

/// Whether `run` appears as consecutive numbers in `numbers`.
private func containsRun(_ numbers: [Double], _ run: [Double]) -> Bool {
    guard numbers.count >= run.count else { return false }
    return (0...(numbers.count - run.count)).contains { start in (0..<run.count).allSatisfy { numbers[start + $0] == run[$0] } }
}
