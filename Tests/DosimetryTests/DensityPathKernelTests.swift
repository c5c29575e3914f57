import Testing
import VoxelKernels
@testable import Dosimetry

/// The ray kernel conserves energy in uniform matter of any density (the density-scaling theorem
/// it rests on): deep inside a uniform activity, D·ρ is the kernel's energy per decay whatever ρ.
/// Its accuracy at interfaces is checked against Monte Carlo by Fixtures/dvk_mc/compare_dvk.py.
@Suite struct DensityPathKernelTests {
    @Test(arguments: [0.26, 1.04, 1.85])
    func uniformMatterGetsTheLocalDose(rho: Double) {
        // 1 MBq·s per mL everywhere, 4 mm voxels, 41³: 80 mm from the centre to each face, beyond the
        // kernel's reach even in lung (18 mm of soft tissue ≈ 72 mm at 0.26 g/mL).
        let n = 41
        let grid = GridGeometry(dimensions: SIMD3(n, n, n), spacingMM: SIMD3(4, 4, 4), affine: .scaling(SIMD3(4, 4, 4)))
        let centre = n / 2 + n * (n / 2 + n * (n / 2))
        let dose = DensityPathKernel.dose(cumulatedMBqSPerML: [Float](repeating: 1, count: n * n * n),
                                          densityGPerML: [Float](repeating: Float(rho), count: n * n * n), geometry: grid, targets: [centre])
        // 0.9354 MeV per decay: the soft-tissue kernel's energy (Docs/DVK.md); 1 MeV/g = 1.602e-10 Gy.
        let expected = 1e6 * 0.9354 * 1.602176634e-13 / (rho * 1e-3)
        #expect(abs(Double(dose[centre]) / expected - 1) < 0.01, "ρ \(rho): \(dose[centre]) Gy vs \(expected)")
        #expect(dose.enumerated().allSatisfy { $0.offset == centre || $0.element == 0 }, "only the target is computed")
    }
}
