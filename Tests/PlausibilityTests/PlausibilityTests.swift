import Testing
@testable import Plausibility

/// Every rule just inside and just outside its bound; a value exactly at a bound is inside.
@Suite struct PlausibilityTests {
    @Test func activityMismatch() {
        let rule = { (image: Double) in Plausibility.activityMismatch(imageGBq: image, administeredGBq: 2, residualGBq: 0.2, source: "test") }
        #expect(rule(0.9) == nil && rule(2.7) == nil && rule(1.8) == nil)   // 0.5 × 1.8 and 1.5 × 1.8: inside
        #expect(rule(0.899)?.code == .activityMismatch && rule(2.701)?.code == .activityMismatch)
        #expect(rule(0.00053)?.description.hasPrefix("activity_mismatch: the image holds 0.00053 GBq at implantation, 0.02944 % of the 1.8 GBq") == true)
        #expect(Plausibility.activityMismatch(imageGBq: 1, administeredGBq: 0.1, residualGBq: 0.1, source: "x") == nil)  // no net activity
    }

    @Test func activityAndDose() {
        #expect(Plausibility.activityImplausible(totalGBq: 0.05) == nil && Plausibility.activityImplausible(totalGBq: 30) == nil)
        #expect(Plausibility.activityImplausible(totalGBq: 0.0499)?.code == .activityImplausible)
        #expect(Plausibility.activityImplausible(totalGBq: 30.01)?.code == .activityImplausible)
        #expect(Plausibility.activityImplausible(totalGBq: 30 * (1 + 1e-12)) == nil, "rounding at the bound is inside")
        #expect(Plausibility.doseImplausible(maxGy: 10_000) == nil && Plausibility.doseImplausible(maxGy: 10_001)?.code == .doseImplausible)
    }

    @Test func decayInterval() {
        #expect(Plausibility.decayIntervalLong(seconds: 14 * 86_400, from: "a", to: "b") == nil)
        #expect(Plausibility.decayIntervalLong(seconds: 14 * 86_400 + 60, from: "a", to: "b")?.code == .decayIntervalLong)
    }

    @Test func bodyMassesVolumes() {
        #expect(Plausibility.bodyImplausible(weightKg: 20, heightCm: 250) == nil)
        #expect(Plausibility.bodyImplausible(weightKg: 300, heightCm: 100) == nil)
        #expect(Plausibility.bodyImplausible(weightKg: 19.99, heightCm: nil)?.code == .bodyImplausible)
        #expect(Plausibility.bodyImplausible(weightKg: nil, heightCm: 250.1)?.code == .bodyImplausible)
        #expect(Plausibility.bodyImplausible(weightKg: nil, heightCm: nil) == nil)
        let inside: [Plausibility.PlanFigure] = [.tumourMassKg(0.001), .tumourMassKg(5), .normalLiverMassKg(0.2), .normalLiverMassKg(5),
                                                 .lungMassKg(0.3), .lungMassKg(3), .tumourVolumeML(1), .liverVolumeML(5000)]
        #expect(Plausibility.massImplausible(inside) == nil)
        for outside: Plausibility.PlanFigure in [.tumourMassKg(0.000999), .tumourMassKg(5.001), .normalLiverMassKg(0.199), .lungMassKg(3.01),
                                                 .lungMassKg(0.29), .tumourVolumeML(0.99), .liverVolumeML(5001)] {
            #expect(Plausibility.massImplausible([outside])?.code == .massImplausible, "\(outside)")
        }
    }

    @Test func lesionsAndResampling() {
        #expect(Plausibility.lesionLarge(label: 1, volumeML: 1000) == nil)
        #expect(Plausibility.lesionLarge(label: 1, volumeML: 1000.1)?.message.contains("--normal-liver-label") == true)
        #expect(Plausibility.referenceOverlap(reference: "normal-liver", referenceVoxels: 100, lesions: [2, 3], sharedVoxels: 0) == nil)
        #expect(Plausibility.referenceOverlap(reference: "normal-liver", referenceVoxels: 200, lesions: [2, 3], sharedVoxels: 50)?
            .message.contains("shares 50 voxels with lesions 2, 3 (25 % of the reference region)") == true)
        #expect(Plausibility.resamplingLoss(what: "label 5", beforeML: 2, afterML: 1, file: "f") == nil)  // half: inside
        #expect(Plausibility.resamplingLoss(what: "label 5", beforeML: 2, afterML: 0.999, file: "f")?.code == .resamplingLoss)
        #expect(Plausibility.resamplingLoss(what: "label 5", beforeML: 2, afterML: 0, file: "f")?.message.contains("no voxel at all") == true)
    }
}
