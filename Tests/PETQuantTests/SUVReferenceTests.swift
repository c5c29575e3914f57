import Foundation
import Testing
import VoxelKernels
@testable import PETQuant

/// REFERENCE.md §2 cases, values independent of the code.
@Suite struct BodyMetricsTests {
    /// Worked patient: male, 70 kg, 175 cm → BMI 22.86, James LBM 56.52 kg, Janmahasatian
    /// 55.86 kg, DuBois BSA 1.848 m².
    @Test func workedPatient() {
        #expect(abs(BodyMetrics.bodyMassIndex(weightKg: 70, heightM: 1.75) - 22.86) < 0.005)
        #expect(abs(BodyMetrics.leanBodyMassJamesKg(weightKg: 70, heightM: 1.75, sex: .male) - 56.52) < 0.005)
        #expect(abs(BodyMetrics.leanBodyMassJanmahasatianKg(weightKg: 70, heightM: 1.75, sex: .male) - 55.86) < 0.005)
        #expect(abs(BodyMetrics.bodySurfaceAreaDuBoisM2(weightKg: 70, heightM: 1.75) - 1.848) < 0.0005)
    }

    /// The female formulas, evaluated by hand: 60 kg, 165 cm → James 1.07·60 − 148·(60/165)² =
    /// 44.63 kg; Janmahasatian 9270·60 / (8780 + 244·22.04) = 556200 / 14157.4 = 39.29 kg.
    @Test func femaleFormulas() {
        #expect(abs(BodyMetrics.leanBodyMassJamesKg(weightKg: 60, heightM: 1.65, sex: .female) - 44.63) < 0.005)
        #expect(abs(BodyMetrics.leanBodyMassJanmahasatianKg(weightKg: 60, heightM: 1.65, sex: .female) - 39.29) < 0.005)
    }
}

@Suite struct StandardizedUptakeTests {
    /// C = 5300 Bq/mL, 370 MBq, 70 kg, Δt = 60 min, 18F (6586.2 s) → SUVbw 1.465.
    @Test func workedSUVbw() throws {
        let f = try StandardizedUptake.factor(normalization: .bw, injectedBq: 370e6, elapsedSeconds: 3600,
                                              halfLifeSeconds: 6586.2, weightKg: 70, heightM: nil, sex: nil)
        #expect(abs(5300 * f.suvPerBqPerML - 1.465) < 0.0005)
        #expect(f.unit == "g/mL")
        #expect(abs(f.activityDecayFactor - pow(2, -3600 / 6586.2)) < 1e-12)
    }

    /// SUL and SUVbsa scale SUVbw by LBM/W and by BSA[cm²]/W[g].
    @Test func otherNormalizations() throws {
        func factor(_ n: StandardizedUptake.Normalization) throws -> StandardizedUptake.Factor {
            try StandardizedUptake.factor(normalization: n, injectedBq: 370e6, elapsedSeconds: 0,
                                          halfLifeSeconds: 6586.2, weightKg: 70, heightM: 1.75, sex: .male)
        }
        let bw = try factor(.bw).suvPerBqPerML
        #expect(abs(try factor(.lbmJames).suvPerBqPerML / bw - 56.52 / 70) < 1e-4)
        #expect(abs(try factor(.lbmJanmahasatian).suvPerBqPerML / bw - 55.86 / 70) < 1e-4)
        let bsa = try factor(.bsa)
        #expect(bsa.unit == "cm2/mL")
        #expect(abs(bsa.suvPerBqPerML / bw - 18480 / 70000) < 1e-4)
        #expect(throws: StandardizedUptake.Failure.missing("height")) {
            try StandardizedUptake.factor(normalization: .bsa, injectedBq: 1, elapsedSeconds: 0, halfLifeSeconds: 1,
                                          weightKg: 70, heightM: nil, sex: nil)
        }
    }
}

@Suite struct SUVpeakTests {
    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 10
        }
    }

    /// Every sphere position evaluated directly: all voxels whose centre distance ≤ r, finite
    /// ones averaged, on random volumes with anisotropic voxels and NaNs.
    @Test(arguments: [SIMD3<Double>(2, 2, 2), SIMD3(2, 2, 2.5), SIMD3(1.3, 2.7, 4.1), SIMD3(4.07, 4.07, 3)])
    func sphereMeansMatchBruteForce(spacing: SIMD3<Double>) {
        let d = SIMD3(13, 11, 9)
        var values = Self.random(d.x * d.y * d.z, seed: 42)
        for i in stride(from: 5, to: values.count, by: 37) { values[i] = .nan }
        let radius = 6.204
        let centres = Array(stride(from: 0, to: values.count, by: 7))
        let fast = SphereMeans.means(values, dimensions: d, spacingMM: spacing, radiusMM: radius, centres: centres)
        for (c, centre) in centres.enumerated() {
            let (ci, cj, ck) = (centre % d.x, (centre / d.x) % d.y, centre / (d.x * d.y))
            var sum = 0.0, n = 0
            for k in 0..<d.z { for j in 0..<d.y { for i in 0..<d.x {
                let dx = Double(i - ci) * spacing.x, dy = Double(j - cj) * spacing.y, dz = Double(k - ck) * spacing.z
                let v = values[i + d.x * (j + d.y * k)]
                if dx * dx + dy * dy + dz * dz <= radius * radius && v.isFinite { sum += Double(v); n += 1 }
            } } }
            #expect(abs(fast[c] - sum / Double(n)) <= 1e-9 * max(1, abs(sum / Double(n))))
        }
    }

    /// Lesion metrics on a hand-made case: references, ratios, strict cut-offs, hypoxic volume.
    @Test func lesionMetrics() {
        let d = SIMD3(6, 6, 6)
        let grid = GridGeometry(dimensions: d, spacingMM: SIMD3(2, 2, 2), affine: .scaling(SIMD3(2, 2, 2)))
        var suv = [Float](repeating: 1, count: 216)
        var labels = [Int32](repeating: 0, count: 216)
        for i in 0..<8 { labels[i] = 10 }           // blood pool, SUV 2 (reference label)
        for i in 0..<8 { suv[i] = 2 }
        // SUVs exactly representable in Float32, so "strictly above" is tested at the cut-off itself.
        let lesion = [100, 101, 102, 103]            // SUVs 2.5, 2.75, 3.0, NaN
        for (n, i) in lesion.enumerated() { labels[i] = 3; suv[i] = [2.5, 2.75, 3.0, .nan][n] }
        var settings = LesionUptake.Settings()
        settings.statistic = .mean
        settings.hypoxicVolumeCutoff = 1.25
        let references = LesionUptake.References(muscleMean: 1.0, bloodPoolMean: LesionUptake.regionMean(suv, mask: labels.map { $0 == 10 ? 1 : 0 }))
        #expect(references.bloodPoolMean == 2)
        let m = LesionUptake.metrics(suv: suv, geometry: grid, regions: LabelRegions(labels), excluding: [10], references: references, settings: settings)
        #expect(m.count == 1 && m[0].label == 3 && m[0].voxels == 4 && m[0].nanVoxels == 1)
        #expect(m[0].max == 3.0 && abs(m[0].mean - 2.75) < 1e-12)
        #expect(abs(m[0].tBP! - 1.375) < 1e-12 && m[0].hypoxic == true)
        // Voxels strictly above 1.25 × 2 = 2.5: 2.75 and 3.0 (2.5 is not above).
        #expect(abs(m[0].hypoxicVolumeML! - 0.016) < 1e-12 && abs(m[0].hypoxicFraction! - 2.0 / 3.0) < 1e-12)
        #expect(abs(m[0].tM! - 2.75) < 1e-12)
        // T/BP exactly at the cut-off is not hypoxic (strict): mean 2.75 / 2 = 1.375.
        settings.hypoxiaCutoff = 1.375
        #expect(LesionUptake.metrics(suv: suv, geometry: grid, regions: LabelRegions(labels), excluding: [10], references: references,
                                     settings: settings)[0].hypoxic == false)
    }
}

@Suite struct SphereSymmetryTests {
    /// r = 3 voxels exactly (6.204 mm on 2.068 mm voxels): the voxels at ±3 along x, y and z are
    /// all inside (the sphere must not depend on orientation; physics review, finding 2).
    @Test func voxelsOnTheSphereAreInsideOnEveryAxis() {
        let rows = SphereMeans.rows(radiusMM: 6.204, spacingMM: SIMD3(repeating: 2.068))
        #expect(rows.contains { $0.dj == 0 && $0.dk == 0 && $0.halfWidth == 3 })
        #expect(rows.contains { $0.dj == 3 && $0.dk == 0 && $0.halfWidth == 0 })
        #expect(rows.contains { $0.dj == 0 && $0.dk == -3 && $0.halfWidth == 0 })
        let count = rows.reduce(0) { $0 + 2 * $1.halfWidth + 1 }
        // Integer points with i² + j² + k² ≤ 9: 123.
        #expect(count == 123)
    }
}
