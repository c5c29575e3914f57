import Foundation
import TestSupport
import Testing

/// Pre-treatment 99mTc-MAA SPECT/CT (CONTRACT.md Part 2): the lung shunt from images, the
/// predictive 90Y dose map, and predicted vs delivered.
@Suite struct ShuntTests {
    /// A SPECT of random counts, lungs on top (k ≥ 12), liver below (k < 9); the fraction and
    /// volumes against sums computed here.
    @Test func shuntFractionAndVolumes() throws {
        let ws = Workspace()
        let grid = Grid(dims: [16, 14, 20], spacing: [4.4, 4.4, 4.4])
        var rng = SplitMix64(seed: 11)
        let counts = (0..<grid.voxelCount).map { _ in Float(rng.next() % 1000) }
        var lung = [Float](repeating: 0, count: grid.voxelCount), liver = lung
        for k in 0..<20 { for j in 0..<14 { for i in 0..<16 {
            if k >= 12 && i > 2 { lung[grid.index(i, j, k)] = 1 }
            if k < 9 && j > 1 { liver[grid.index(i, j, k)] = 3 }
        } } }
        let spect = try ws.volume("maa.nii", grid, counts)
        let lungPath = try ws.volume("lung.nii", grid, lung, int16: true)
        let liverPath = try ws.volume("liver.nii", grid, liver, int16: true)
        let lungSum = zip(counts, lung).reduce(0.0) { $0 + ($1.1 != 0 ? Double($1.0) : 0) }
        let liverSum = zip(counts, liver).reduce(0.0) { $0 + ($1.1 != 0 ? Double($1.0) : 0) }
        let run = voxdose(["shunt", spect, "--lung", lungPath, "--liver", liverPath])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["schema"] as? String == "voxdose.shunt/1")
        #expect(close(run.json["lung_counts"], lungSum, rel: 1e-12) && close(run.json["liver_counts"], liverSum, rel: 1e-12))
        #expect(close(run.json["lung_shunt_fraction"], lungSum / (lungSum + liverSum), rel: 1e-12))
        let voxelML = 4.4 * 4.4 * 4.4 / 1000
        #expect(close(run.json["lung_volume_ml"], Double(lung.filter { $0 != 0 }.count) * voxelML, rel: 1e-6))
        #expect(close(run.json["liver_volume_ml"], Double(liver.filter { $0 != 0 }.count) * voxelML, rel: 1e-6))
        #expect(run.json["warnings"] as? [String] == [])

        // The masks on a finer grid (2.2 mm, the same field): refused without --resample-labels,
        // and with it the same organs on the SPECT grid (every fine voxel inherits its coarse voxel).
        let fine = Grid(dims: [32, 28, 40], spacing: [2.2, 2.2, 2.2], origin: [-1.1, -1.1, -1.1])
        func refine(_ mask: [Float]) -> [Float] {
            (0..<fine.voxelCount).map { n in
                let i = n % 32, j = (n / 32) % 28, k = n / (32 * 28)
                return mask[grid.index(i / 2, j / 2, k / 2)]
            }
        }
        let fineLung = try ws.volume("lung_fine.nii", fine, refine(lung), int16: true)
        let fineLiver = try ws.volume("liver_fine.nii", fine, refine(liver), int16: true)
        #expect(voxdose(["shunt", spect, "--lung", fineLung, "--liver", fineLiver]).status == 1)
        let resampled = voxdose(["shunt", spect, "--lung", fineLung, "--liver", fineLiver, "--resample-labels"])
        #expect(resampled.status == 0, "\(resampled.stderr)")
        #expect(close(resampled.json["lung_shunt_fraction"], lungSum / (lungSum + liverSum), rel: 1e-12))

        // The organs as labels of one label image (lung 9, liver 3) give the same figures.
        let labelled = try ws.volume("organs.nii", grid, zip(lung, liver).map { $0.0 != 0 ? 9 : $0.1 }, int16: true)
        let byLabel = voxdose(["shunt", spect, "--labels", labelled, "--lung-label", "9", "--liver-label", "3"])
        #expect(byLabel.status == 0, "\(byLabel.stderr)")
        for key in ["lung_counts", "liver_counts", "lung_shunt_fraction", "lung_volume_ml", "liver_volume_ml"] {
            #expect(close(byLabel.json[key], run.json[key], rel: 1e-12), "\(key)")
        }
        #expect(byLabel.json["lung_label"] as? Int == 9 && byLabel.json["lung_mask"] is NSNull)
        // One way per organ; labels need --labels; a label the image lacks is empty.
        #expect(voxdose(["shunt", spect, "--lung", lungPath, "--lung-label", "9", "--labels", labelled, "--liver", liverPath]).status == 64)
        #expect(voxdose(["shunt", spect, "--lung-label", "9", "--liver", liverPath]).status == 64)
        let absent = voxdose(["shunt", spect, "--labels", labelled, "--lung-label", "5", "--liver-label", "3"])
        #expect(absent.status == 1 && absent.stderr.contains("(label 5)"), "\(absent.stderr)")
    }

    @Test func badMasks() throws {
        let ws = Workspace()
        let grid = Grid(dims: [4, 4, 4])
        let spect = try ws.volume("maa.nii", grid, [Float](repeating: 10, count: 64))
        let all = try ws.volume("all.nii", grid, [Float](repeating: 1, count: 64), int16: true)
        let half = try ws.volume("half.nii", grid, (0..<64).map { Float($0 < 32 ? 1 : 0) }, int16: true)
        let none = try ws.volume("none.nii", grid, [Float](repeating: 0, count: 64), int16: true)
        let overlap = voxdose(["shunt", spect, "--lung", half, "--liver", all])
        #expect(overlap.status == 1 && overlap.stderr.contains("share 32 voxels"), "\(overlap.stderr)")
        let empty = voxdose(["shunt", spect, "--lung", none, "--liver", half, "--out", ws.path("s.json")])
        #expect(empty.status == 1 && empty.stderr.contains("none.nii"), "\(empty.stderr)")
        #expect(!ws.listing.contains("s.json"))
    }
}

@Suite struct PredictiveDoseTests {
    /// The MAA SPECT calibrated to A with shunt F holds A·(1 − F) in the perfused liver; its LDM
    /// mean dose there is K·A·(1 − F)/(ρ·V).
    @Test func calibratedToThePlannedActivity() throws {
        let ws = Workspace()
        let grid = Grid(dims: [12, 12, 12], spacing: [4.4, 4.4, 4.4])
        var rng = SplitMix64(seed: 5)
        let counts = (0..<grid.voxelCount).map { _ in Float(rng.next() % 500 + 1) }
        let liver = (0..<grid.voxelCount).map { Float($0 % 12 < 8 ? 1 : 0) }
        let spect = try ws.volume("maa.nii", grid, counts)
        let liverPath = try ws.volume("liver.nii", grid, liver, int16: true)
        try ws.json("maa.json", ["TracerRadionuclide": "Tc99m", "Units": "counts", "RadionuclideHalfLife": 21624.12])
        // Without calibration (or without the shunt) the map is refused with the reason.
        let refused = voxdose(["dose", spect, "--out", ws.out, "--no-decay-correction"])
        #expect(refused.status == 1 && refused.stderr.contains("Tc99m") && refused.stderr.contains("--calibrate-activity"), "\(refused.stderr)")
        #expect(voxdose(["dose", spect, "--out", ws.out, "--calibrate-activity", "2GBq", "--calibration-mask", liverPath]).status == 1)
        let run = voxdose(["dose", spect, "--out", ws.out, "--calibrate-activity", "2GBq", "--calibration-mask", liverPath, "--lung-shunt", "8%"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["predictive"] as? Bool == true && run.json["source_nuclide"] as? String == "Tc99m")
        #expect(close(run.json["half_life_h"], 64.05), "90Y's half-life, never the MAA's")
        let stats = voxdose(["stats", ws.out, "--labels", liverPath])
        let region = try #require((stats.json["regions"] as? [[String: Any]])?.first)
        let volumeML = Double(liver.filter { $0 != 0 }.count) * grid.voxelML
        let expectedGy = 49.67 * 2 * 0.92 / (1.05 * volumeML / 1000)   // K·A·(1−F)/m, m in kg
        #expect(close(region["mean"], expectedGy, rel: 1e-5), "\(region["mean"] ?? "") vs \(expectedGy)")
        // The perfused liver as label 1 of a label image: the same map.
        let byLabel = voxdose(["dose", spect, "--out", ws.path("by_label.nii"), "--calibrate-activity", "2GBq", "--labels", liverPath,
                               "--calibration-label", "1", "--lung-shunt", "8%"])
        #expect(byLabel.status == 0, "\(byLabel.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: ws.path("by_label.nii"))) == (try Data(contentsOf: URL(fileURLWithPath: ws.out))))
        #expect(voxdose(["dose", spect, "--out", ws.out, "--calibrate-activity", "2GBq", "--calibration-label", "1", "--lung-shunt", "8%"]).status == 64)
        let missing = voxdose(["dose", spect, "--out", ws.out, "--calibrate-activity", "2GBq", "--labels", liverPath,
                               "--calibration-label", "4", "--lung-shunt", "8%"])
        #expect(missing.status == 1 && missing.stderr.contains("label 4"), "\(missing.stderr)")
        // A 90Y PET is not predictive and names Y90.
        let pet = try ws.volume("pet.nii", grid, [Float](repeating: 8e6, count: grid.voxelCount))
        let y90 = voxdose(["dose", pet, "--out", ws.path("y90.nii"), "--no-decay-correction"])
        #expect(y90.json["predictive"] as? Bool == false && y90.json["source_nuclide"] as? String == "Y90")
        // A sidecar half-life matched to Tc-99m within 0.1 % names it too (21620 s against 21624.12 s).
        try ws.json("maa.json", ["RadionuclideHalfLife": 21620])
        #expect(voxdose(["dose", spect, "--out", ws.out, "--no-decay-correction"]).status == 1)
    }
}

@Suite struct CompareTests {
    func table(_ ws: Workspace, _ name: String, doses: [(Int, Double)], activity: Double?, liver: Double?) throws -> String {
        var object: [String: Any] = ["schema": "voxdose.lesions/1",
                                     "lesions": doses.map { ["label": $0.0, "dose": ["mean_gy": $0.1]] },
                                     "parameters": ["activity_gbq": activity.map { $0 as Any } ?? NSNull()]]
        object["references"] = liver.map { ["normal_liver_dose_mean_gy": $0] } ?? [:]
        return try ws.json(name, object)
    }

    /// predicted [10, 20, 30] Gy at 1 GBq, delivered [18, 27, 49.5] at 1.5 GBq: rescaled predictions
    /// [15, 30, 45], differences [3, −3, 4.5]; by hand: mean 1.5, SD √((1.5² + 4.5² + 3²)/2) =
    /// √15.75; deviations x [−15, 0, 15], y [−13.5, −4.5, 18]: s_xy = (202.5 + 270)/3 = 157.5,
    /// s_x² = 150, s_y² = (182.25 + 20.25 + 324)/3 = 175.5, (x̄ − ȳ)² = 2.25, so
    /// CCC = 315/(150 + 175.5 + 2.25) and r = 157.5/√(150·175.5).
    @Test func agreementByHand() throws {
        let ws = Workspace()
        let pre = try table(ws, "pre.json", doses: [(1, 10), (2, 20), (3, 30), (9, 5)], activity: 1, liver: 20)
        let post = try table(ws, "post.json", doses: [(1, 18), (2, 27), (3, 49.5), (4, 70)], activity: 1.5, liver: 33)
        let run = voxdose(["compare", "--predicted", pre, "--delivered", post])
        #expect(run.status == 0, "\(run.stderr)")
        let lesions = try #require(run.json["lesions"] as? [[String: Any]])
        #expect(lesions.map { $0["label"] as? Int } == [1, 2, 3])
        #expect(close(lesions[2]["predicted_mean_gy"], 45) && close(lesions[2]["difference_gy"], 4.5) && close(lesions[2]["ratio"], 1.1))
        let s = try #require(run.json["summary"] as? [String: Any])
        #expect(s["n"] as? Int == 3)
        #expect(close(s["mean_difference_gy"], 1.5, rel: 1e-12))
        #expect(close(s["sd_difference_gy"], 15.75.squareRoot(), rel: 1e-12))
        let loa = try #require(s["limits_of_agreement_gy"] as? [Double])
        #expect(close(loa[0], 1.5 - 1.959964 * 15.75.squareRoot(), rel: 1e-12) && close(loa[1], 1.5 + 1.959964 * 15.75.squareRoot(), rel: 1e-12))
        #expect(close(s["lin_ccc"], 315 / (150 + 175.5 + 2.25), rel: 1e-12))
        #expect(close(s["pearson_r"], 157.5 / (150 * 175.5).squareRoot(), rel: 1e-12))
        let liver = try #require(run.json["normal_liver"] as? [String: Any])
        #expect(close(liver["predicted_mean_gy"], 30) && close(liver["difference_gy"], 3) && close(liver["ratio"], 1.1))
        // Overrides win over the tables' activities.
        let over = voxdose(["compare", "--predicted", pre, "--delivered", post, "--predicted-activity", "1.5GBq"])
        #expect(close((over.json["lesions"] as? [[String: Any]])?.first?["predicted_mean_gy"], 10))
    }

    @Test func badTables() throws {
        let ws = Workspace()
        let pre = try table(ws, "pre.json", doses: [(1, 10)], activity: nil, liver: nil)
        let post = try table(ws, "post.json", doses: [(2, 18)], activity: 1.5, liver: nil)
        let noActivity = voxdose(["compare", "--predicted", pre, "--delivered", post])
        #expect(noActivity.status == 1 && noActivity.stderr.contains("--predicted-activity"), "\(noActivity.stderr)")
        let disjoint = voxdose(["compare", "--predicted", pre, "--delivered", post, "--predicted-activity", "1GBq", "--out", ws.path("c.json")])
        #expect(disjoint.status == 1 && disjoint.stderr.contains("no lesion"), "\(disjoint.stderr)")
        #expect(!ws.listing.contains("c.json"))
    }
}
