import Foundation
import Testing

/// `voxdose lesions` on a scene whose every figure is worked out by hand (CONTRACT.md, REFERENCE.md §5).
@Suite struct LesionsCLITests {
    /// 4×4×4 voxels of 2 mm (0.008 mL). Lesion 2: voxels 0–4, doses 10, 20, 30, 40, NaN and SUVs
    /// 2, 3, 4, 5, 6. Lesion 7: voxel 10, 100 Gy, SUV 1. Blood pool (label 9): voxels 20–23,
    /// SUV 2. Elsewhere dose 0, SUV 1. Label 3 appears only in the names file.
    static func scene(_ w: Workspace) throws -> (labels: String, dose: String, suv: String, names: String) {
        let grid = Grid(dims: [4, 4, 4])
        var labels = [Float](repeating: 0, count: 64), dose = [Float](repeating: 0, count: 64), suv = [Float](repeating: 1, count: 64)
        for (n, i) in (0...4).enumerated() { labels[i] = 2; dose[i] = [10, 20, 30, 40, .nan][n]; suv[i] = Float(2 + n) }
        labels[10] = 7; dose[10] = 100
        for i in 20...23 { labels[i] = 9; dose[i] = 5; suv[i] = 2 }
        let names = w.path("names.tsv")
        try "label\tname\n2\tsegment 8 lesion\n3\tabsent\n7\ttiny\n".write(toFile: names, atomically: false, encoding: .utf8)
        return (try w.volume("labels.nii", grid, labels, int16: true), try w.volume("dose.nii", grid, dose),
                try w.volume("suv.nii", grid, suv), names)
    }

    @Test func tableMatchesHandCalculation() throws {
        let w = try Workspace()
        let s = try Self.scene(w)
        let dvh = w.path("dvh.csv"), csv = w.path("table.csv")
        let r = voxdose(["lesions", "--labels", s.labels, "--dose", s.dose, "--suv", s.suv, "--blood-pool-label", "9",
                         "--names", s.names, "--dx", "70,2", "--vx", "20,25", "--dvh-bin", "10", "--dvh", dvh, "--csv", csv])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.json["schema"] as? String == "voxdose.lesions/1")
        let lesions = try #require(r.json["lesions"] as? [[String: Any]])
        #expect(lesions.map { $0["label"] as? Int } == [2, 7])  // blood pool is a reference; 3 is absent
        let a = lesions[0]
        #expect(a["name"] as? String == "segment 8 lesion" && a["voxels"] as? Int == 5 && close(a["volume_ml"], 0.04))
        let d = try #require(a["dose"] as? [String: Any])
        #expect(d["nan_voxels"] as? Int == 1)
        #expect(close(d["mean_gy"], 25) && close(d["std_gy"], 125.0.squareRoot()) && close(d["min_gy"], 10) && close(d["max_gy"], 40))
        #expect(close(d["median_gy"], 25))
        // D70 = 30th percentile: h = 3·0.3 = 0.9 → 19; D2 = 98th: h = 2.94 → 39.4.
        let dx = try #require(d["d"] as? [String: Any])
        #expect(close(dx["70"], 19) && close(dx["2"], 39.4))
        let v = try #require(d["v_pct"] as? [String: Any])
        #expect(close(v["20"], 75) && close(v["25"], 50))
        #expect(d["eud_gy"] is NSNull)  // no --eud-alpha given
        // BED, α/β 10 Gy, T_rep 1.5 h, T½ 64.05 h: mean of D(1 + D·g/10), g = 1.5/65.55.
        let g = 1.5 / 65.55
        let bed = [10.0, 20, 30, 40].map { $0 * (1 + $0 * g / 10) }.reduce(0, +) / 4
        #expect(close(d["bed_gy"], bed, rel: 1e-6))
        let suv = try #require(a["suv"] as? [String: Any])
        #expect(close(suv["max"], 6) && close(suv["mean"], 4) && suv["nan_voxels"] as? Int == 0)
        // T/BP = SUVmax / blood-pool mean = 6 / 2; hypoxic voxels SUV > 1.2 · 2 = 2.4: four of five.
        #expect(close(a["t_bp"], 3) && a["hypoxic"] as? Bool == true)
        #expect(close(a["hypoxic_volume_ml"], 0.032) && close(a["hypoxic_fraction"], 0.8))
        #expect(a["t_m"] == nil)  // no muscle reference: the key is absent
        let b = lesions[1]
        #expect(b["voxels"] as? Int == 1 && b["name"] as? String == "tiny")
        #expect(close((b["dose"] as? [String: Any])?["median_gy"], 100) && b["hypoxic"] as? Bool == false)
        let refs = try #require(r.json["references"] as? [String: Any])
        #expect(close(refs["blood_pool_suv_mean"], 2) && refs.count == 1)
        let params = try #require(r.json["parameters"] as? [String: Any])
        #expect(close(params["suvpeak_radius_mm"], 6.204) && params["activity_gbq"] is NSNull && close(params["dvh_bin_gy"], 10))
        #expect(r.json["resampling"] == nil)
        // DVH of lesion 2 at 0, 10, 20, 30, 40 (40 is the maximum): 100, 100, 75, 50, 25 %.
        let rows = try String(contentsOfFile: dvh, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == "label,dose_gy,volume_pct")
        #expect(Array(rows[1...5]) == ["2,0.0,100.0", "2,10.0,100.0", "2,20.0,75.0", "2,30.0,50.0", "2,40.0,25.0"])
        let table = try String(contentsOfFile: csv, encoding: .utf8)
        #expect(table.hasPrefix("label,name,voxels,volume_ml,dose_nan_voxels,dose_mean_gy"))
        #expect(table.contains(",true,") && table.contains("dose_d_70"))
    }

    /// With a density map the mean is Σ ρ·D / Σ ρ over the finite-dose voxels: densities 1, 1, 2, 2
    /// (and any for the NaN voxel) on doses 10, 20, 30, 40 → 170 / 6; the output says "mass".
    @Test func massWeightedMean() throws {
        let w = try Workspace()
        let s = try Self.scene(w)
        var rho = [Float](repeating: 1.05, count: 64)
        for (n, i) in (0...4).enumerated() { rho[i] = [1, 1, 2, 2, 3][n] }
        let density = try w.volume("rho.nii", Grid(dims: [4, 4, 4]), rho)
        let r = voxdose(["lesions", "--labels", s.labels, "--dose", s.dose, "--density-map", density])
        #expect(r.status == 0, "\(r.stderr)")
        let first = (r.json["lesions"] as? [[String: Any]])?.first?["dose"] as? [String: Any]
        #expect(close(first?["mean_gy"], 170.0 / 6.0, rel: 1e-6) && close(first?["median_gy"], 25))
        #expect((r.json["parameters"] as? [String: Any])?["dose_mean_weighting"] as? String == "mass")
        #expect(voxdose(["lesions", "--labels", s.labels, "--suv", s.suv, "--density-map", density]).status == 64)
    }

    @Test func usageAndReferenceErrors() throws {
        let w = try Workspace()
        let s = try Self.scene(w)
        #expect(voxdose(["lesions", "--labels", s.labels]).status == 64)                       // no map
        #expect(voxdose(["lesions", "--dose", s.dose]).status == 64)                           // no --labels
        #expect(voxdose(["lesions", "--labels", s.labels, "--dose", s.dose, "--muscle-label", "9"]).status == 64)
        #expect(voxdose(["lesions", "--labels", s.labels, "--suv", s.suv, "--normal-liver-label", "9"]).status == 64)
        // A reference region with no finite voxel is an error naming it.
        let r = voxdose(["lesions", "--labels", s.labels, "--suv", s.suv, "--blood-pool-label", "5"])
        #expect(r.status == 1 && r.stderr.contains("blood-pool"), "\(r.stderr)")
        // With the normal liver as a label: its mean dose, and it is not a lesion.
        let n = voxdose(["lesions", "--labels", s.labels, "--dose", s.dose, "--normal-liver-label", "9", "--eud-alpha", "0.01"])
        #expect(n.status == 0, "\(n.stderr)")
        #expect(close((n.json["references"] as? [String: Any])?["normal_liver_dose_mean_gy"], 5))
        #expect((n.json["lesions"] as? [[String: Any]])?.map { $0["label"] as? Int } == [2, 7])
        // EUD of 10, 20, 30, 40 Gy at α = 0.01/Gy.
        let eud = -log([10.0, 20, 30, 40].map { exp(-0.01 * $0) }.reduce(0, +) / 4) / 0.01
        let first = (n.json["lesions"] as? [[String: Any]])?.first?["dose"] as? [String: Any]
        #expect(close(first?["eud_gy"], eud, rel: 1e-9))
        #expect((n.json["lesions"] as? [[String: Any]])?.first?["suv"] == nil)  // no SUV map: no SUV keys
    }
}
