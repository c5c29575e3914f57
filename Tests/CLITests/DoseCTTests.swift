import CaseReport
import Foundation
import Testing

/// `dose --ct`: a CT in HU becomes the density map through the calibration (Docs/DOSE.md).
@Suite struct DoseCTTests {
    func summary(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// The lung phantom of Fixtures/dvk_mc given as a CT (each density through the inverse of the
    /// calibration) doses exactly as its density map does.
    @Test func aCTDosesAsTheDensityMapItEncodes() throws {
        let ws = Workspace()
        let folder = packageRoot.appendingPathComponent("Fixtures/dvk_mc/lung_4mm")
        let density = try CaseFolder.readVolume(folder.appendingPathComponent("density.nii.gz").path)
        // A two-node calibration file, so the inverse is exact: 0 HU ↔ 1.04 g/mL, −1000 HU ↔ 0.26 g/mL.
        let calibration = ws.path("scanner.csv")
        try "hu,density_g_per_ml\n-1000,0.26\n0,1.04\n".write(toFile: calibration, atomically: true, encoding: .utf8)
        let hu = density.voxels.map { Float((Double($0) - 1.04) / 0.78 * 1000) }
        let origin = density.geometry.affine.apply(.zero)
        let grid = Grid(dims: [48, 48, 48], spacing: [4, 4, 4], origin: [origin.x, origin.y, origin.z])
        let ct = try ws.volume("ct.nii", grid, hu)
        let pet = folder.appendingPathComponent("pet.nii.gz").path
        let common = ["--method", "dvk", "--no-decay-correction", "--no-sidecar"]
        let viaCT = voxdose(["dose", pet, "--out", ws.path("ct_dose.nii"), "--ct", ct, "--ct-calibration", calibration,
                             "--summary", ws.path("ct.json")] + common)
        let viaMap = voxdose(["dose", pet, "--out", ws.path("map_dose.nii"), "--density-map", folder.appendingPathComponent("density.nii.gz").path,
                              "--summary", ws.path("map.json")] + common)
        try #require(viaCT.status == 0 && viaMap.status == 0, "\(viaCT.stderr) \(viaMap.stderr)")
        let a = try CaseFolder.readVolume(ws.path("ct_dose.nii")).voxels, b = try CaseFolder.readVolume(ws.path("map_dose.nii")).voxels
        let worst = zip(a, b).map { abs(Double($0) - Double($1)) / max(Double(abs($1)), 1e-3) }.max() ?? 1
        #expect(worst < 1e-5, "largest relative difference \(worst)")
        let record = try #require(try summary(ws.path("ct.json"))["density_from_ct"] as? [String: Any])
        #expect(record["calibration"] as? String == calibration && record["voxels_outside_ct"] as? Int == 0)
    }

    /// A CT on its own grid is resampled (trilinear) to the PET's: a finer CT of water gives the
    /// PET the calibration's water density; PET voxels beyond a smaller CT get the uniform density.
    @Test func aCTOnAnotherGridIsResampled() throws {
        let ws = Workspace()
        let petGrid = Grid(dims: [6, 6, 6], spacing: [4, 4, 4])
        let pet = try ws.uniform(1e6, grid: petGrid)
        // The same extent at 2 mm (PET voxel centres at 0, 4, …, 20 mm; CT centres at −1, 1, …, 21 mm).
        let fine = try ws.volume("ct_fine.nii", Grid(dims: [12, 12, 12], spacing: [2, 2, 2], origin: [-1, -1, -1]), [Float](repeating: 0, count: 1728))
        let run = voxdose(["dose", pet, "--out", ws.path("d.nii"), "--ct", fine, "--no-decay-correction", "--no-sidecar", "--summary", ws.path("d.json")])
        try #require(run.status == 0, "\(run.stderr)")
        let water = 1e6 * 49.67e-9 / 1e-3 / 1.0119  // LDM at about the calibration's 0 HU density
        let dose = try CaseFolder.readVolume(ws.path("d.nii")).voxels
        #expect(dose.allSatisfy { abs(Double($0) / water - 1) < 0.005 }, "\(dose.prefix(3))")
        #expect((try summary(ws.path("d.json"))["density_from_ct"] as? [String: Any])?["voxels_outside_ct"] as? Int == 0)
        // A CT covering only the first half of the PET in x (centres 0–8 mm, so up to 10 mm): 3 of 6 columns outside.
        let half = try ws.volume("ct_half.nii", Grid(dims: [3, 6, 6], spacing: [4, 4, 4]), [Float](repeating: 0, count: 108))
        let partial = voxdose(["dose", pet, "--out", ws.path("p.nii"), "--ct", half, "--no-decay-correction", "--no-sidecar", "--summary", ws.path("p.json")])
        try #require(partial.status == 0, "\(partial.stderr)")
        let outside = try #require(try summary(ws.path("p.json"))["density_from_ct"] as? [String: Any])
        #expect(outside["voxels_outside_ct"] as? Int == 3 * 36 && (outside["density_outside_ct_g_per_ml"] as? Double) == 1.05, "\(outside)")
        // --ct with a density map, or a calibration without --ct, is bad usage.
        #expect(voxdose(["dose", pet, "--out", ws.path("x.nii"), "--ct", half, "--density-map", half]).status == 64)
        #expect(voxdose(["dose", pet, "--out", ws.path("x.nii"), "--ct-calibration", half]).status == 64)
    }
}
