import CaseReport
import Foundation
import Testing

/// `dose --method dvk` against independent Monte Carlo (ompMC, EGSnrc condensed history; the maps
/// and their script in Fixtures/dvk_mc, Docs/DVK.md): a 10 mm sphere of 90Y in soft tissue at 4 and
/// 2.4 mm voxels. The kernel (Lanconelli 2012, Geant4/GAMOS) and the reference come from different
/// transport codes and spectra; their voxel S-values agree within 0.5–1.6 %, so the sphere's mean
/// must agree within 2 % (measured 1.3–1.4 %; the reference's own 1σ is 0.05–0.09 %), and every
/// source voxel within 5 % (its 1σ is about 1 %).
@Suite struct DVKMonteCarloTests {
    @Test(arguments: ["uniform_4mm", "uniform_2.4mm"])
    func sphereInSoftTissue(_ name: String) throws {
        let (dose, reference, pet, _) = try monteCarloCase(name, ["--method", "dvk", "--density", "1.04"])
        let source = pet.indices.filter { pet[$0] > 0 }
        #expect(source.count > 50)
        let ratio = source.reduce(0.0) { $0 + Double(dose[$1]) } / source.reduce(0.0) { $0 + Double(reference[$1]) }
        #expect(abs(ratio - 1) < 0.02, "\(name): DVK / Monte Carlo sphere mean \(ratio)")
        let worst = source.map { abs(Double(dose[$0]) / Double(reference[$0]) - 1) }.max() ?? 0
        #expect(worst < 0.05, "\(name): worst source voxel off by \(worst)")
    }
}

/// `dose --method dvk-path --density-map` against the same Monte Carlo: the lesion sphere against a
/// lung half-space (issue 17's criteria: sphere within 3 %, the lung layer touching it within 15 %,
/// the lung within 10 mm within 10 %; measured +1.3 %, −3.0 to +3.8 %, −3.6 to +2.2 %), and against
/// bone exactly `dvk`'s map.
@Suite struct DVKPathMonteCarloTests {
    func run(_ name: String, method: String) throws -> (dose: [Float], reference: [Float], pet: [Float], voxelMM: Double) {
        let density = packageRoot.appendingPathComponent("Fixtures/dvk_mc/\(name)/density.nii.gz").path
        return try monteCarloCase(name, ["--method", method, "--density-map", density])
    }

    @Test(arguments: ["lung_4mm", "lung_2.4mm"])
    func lungInterface(_ name: String) throws {
        let (dose, reference, pet, voxelMM) = try run(name, method: "dvk-path")
        let side = Int(pow(Double(pet.count), 1.0 / 3).rounded())
        // The phantoms (make_mc_reference.py): centred cube, sphere of 10 mm radius at the centre,
        // the half-space from z = +10 mm; regions within the sphere's footprint x² + y² ≤ 100 mm².
        func centre(_ k: Int) -> Double { (Double(k) - Double(side) / 2 + 0.5) * voxelMM }
        func ratio(_ keep: (Double, Double, Double, Int) -> Bool) -> Double {
            var a = 0.0, b = 0.0
            for i in pet.indices {
                let (x, y, z) = (centre(i % side), centre((i / side) % side), centre(i / (side * side)))
                if keep(x, y, z, i) { a += Double(dose[i]); b += Double(reference[i]) }
            }
            return a / b
        }
        let sphere = ratio { _, _, _, i in pet[i] > 0 }
        let layer = ratio { x, y, z, _ in x * x + y * y <= 100 && z >= 10 && z < 10 + voxelMM }
        let within = ratio { x, y, z, _ in x * x + y * y <= 100 && z >= 10 && z < 20 }
        #expect(abs(sphere - 1) < 0.03, "\(name): sphere \(sphere)")
        #expect(abs(layer - 1) < 0.15, "\(name): first lung layer \(layer)")
        #expect(abs(within - 1) < 0.10, "\(name): lung within 10 mm \(within)")
    }

    @Test(arguments: ["bone_4mm", "bone_2.4mm"])
    func boneIsAsDVK(_ name: String) throws {
        #expect(try run(name, method: "dvk-path").dose == run(name, method: "dvk").dose)
    }
}

/// `voxdose dose` with `options` on the phantom `name` of Fixtures/dvk_mc: the dose map, the Monte
/// Carlo reference, the PET and its voxel size (mm).
func monteCarloCase(_ name: String, _ options: [String]) throws -> (dose: [Float], reference: [Float], pet: [Float], voxelMM: Double) {
    let folder = packageRoot.appendingPathComponent("Fixtures/dvk_mc/\(name)")
    let out = temporaryFolder().appendingPathComponent("dose.nii")
    let run = voxdose(["dose", folder.appendingPathComponent("pet.nii.gz").path, "--out", out.path] + options
                      + ["--no-decay-correction", "--no-sidecar", "--summary", out.path + ".json"])
    try #require(run.status == 0, "\(run.stderr)")
    let pet = try CaseFolder.readVolume(folder.appendingPathComponent("pet.nii.gz").path)
    return (try CaseFolder.readVolume(out.path).voxels, try CaseFolder.readVolume(folder.appendingPathComponent("mc_dose_gy.nii.gz").path).voxels,
            pet.voxels, pet.geometry.spacingMM.x)
}
