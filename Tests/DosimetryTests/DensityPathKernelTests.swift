import Testing
import VoxelKernels
@testable import Dosimetry

/// `dvk-path` = `dvk` + the change light matter makes along the electrons' paths. Checked here by
/// what must hold exactly (nothing changes without light matter, energy is only moved, the
/// kernel integral is the closed form); its accuracy at a lung interface is checked against Monte
/// Carlo in DVKMonteCarloTests.
@Suite struct DensityPathKernelTests {
    /// 40³ voxels of 4 mm: density `below` in z < 20, `above` in z ≥ 20; activity (1 MBq/mL below,
    /// `activityAbove` above) in the central 40 × 40 mm columns, 60 mm from the side faces (beyond
    /// every ray's reach, so no energy leaves the volume).
    func slab(below: Float, above: Float, activityAbove: Float = 0) -> (GridGeometry, [Float], [Float]) {
        let n = 40
        let grid = GridGeometry(dimensions: SIMD3(n, n, n), spacingMM: SIMD3(4, 4, 4), affine: .scaling(SIMD3(4, 4, 4)))
        let activity = (0..<(n * n * n)).map { i -> Float in
            let (x, y) = (i % n, (i / n) % n)
            guard (15..<25).contains(x) && (15..<25).contains(y) else { return 0 }
            return i / (n * n) < n / 2 ? 1e6 : activityAbove
        }
        let density = (0..<(n * n * n)).map { $0 / (n * n) < n / 2 ? below : above }
        return (grid, activity, density)
    }

    func dose(_ method: DoseMap.Method, _ grid: GridGeometry, _ activity: [Float], _ density: [Float]) -> DoseMap.Result {
        var settings = DoseMap.Settings()
        settings.method = method
        settings.density = .map(density)
        return DoseMap.compute(concentrations: activity, geometry: grid, settings: settings)
    }

    @Test(arguments: [(Float(1.04), Float(1.04)), (1.05, 1.85), (0.95, 1.10)])
    func withoutLightMatterItIsDVK(below: Float, above: Float) {
        let (grid, activity, density) = slab(below: below, above: above)
        let path = dose(.dvkPath, grid, activity, density), dvk = dose(.dvk, grid, activity, density)
        #expect(path.doseGy == dvk.doseGy)
        #expect(path.pathTracedSources == 0)
    }

    @Test func uniformDensityIsDVK() {
        let (grid, activity, _) = slab(below: 1, above: 1)
        for rho in [0.26, 1.05] {
            var settings = DoseMap.Settings()
            settings.density = .uniform(rho)
            settings.method = .dvk
            let dvk = DoseMap.compute(concentrations: activity, geometry: grid, settings: settings)
            settings.method = .dvkPath
            #expect(DoseMap.compute(concentrations: activity, geometry: grid, settings: settings).doseGy == dvk.doseGy)
        }
    }

    /// Liver under lung: the rays move energy from the lung layers next to the liver deeper into the
    /// lung, and no energy is made or lost (Σ D·ρ over the volume, far from its faces).
    @Test func lungInterfaceMovesEnergyOnly() {
        let (grid, activity, density) = slab(below: 1.04, above: 0.26, activityAbove: 2e4)
        let path = dose(.dvkPath, grid, activity, density), dvk = dose(.dvk, grid, activity, density)
        #expect((path.pathTracedSources ?? 0) > 0)
        let n = 40
        func energy(_ d: [Float]) -> Double { d.indices.reduce(0.0) { $0 + Double(d[$1]) * Double(density[$1]) } }
        #expect(abs(energy(path.doseGy) / energy(dvk.doseGy) - 1) < 1e-4)
        func layer(_ d: [Float], _ z: Int) -> Double {  // the central column's mean
            (18..<22).reduce(0.0) { sum, y in (18..<22).reduce(sum) { $0 + Double(d[$1 + n * (y + n * z)]) } } / 16
        }
        #expect(layer(path.doseGy, 20) < 0.6 * layer(dvk.doseGy, 20), "first lung layer: the kernel's tissue range overdoses it")
        #expect(layer(path.doseGy, 23) > 1.1 * layer(dvk.doseGy, 23), "12–16 mm into lung the electrons still arrive")
        #expect(abs(layer(path.doseGy, 10) / layer(dvk.doseGy, 10) - 1) < 1e-6, "deep liver unchanged")
    }

    /// Sources on every face, anisotropic voxels, lung and activity everywhere: rays that leave the
    /// grid stop (the debug build checks every index), and the map stays finite.
    @Test func raysStopAtTheGridsFaces() {
        let d = SIMD3(24, 20, 16)
        let spacing = SIMD3(2.0, 3.0, 4.5)
        let grid = GridGeometry(dimensions: d, spacingMM: spacing, affine: .scaling(spacing))
        let count = d.x * d.y * d.z
        let density = (0..<count).map { i -> Float in (i % d.x) + (i / (d.x * d.y)) > 18 ? 0.26 : 1.05 }
        let activity = (0..<count).map { i -> Float in density[i] < 1 ? 3e4 : Float(1e6 + Double(i % 7) * 1e5) }
        let path = dose(.dvkPath, grid, activity, density)
        #expect((path.pathTracedSources ?? 0) > 0)
        #expect(!path.doseGy.contains { !$0.isFinite })
    }

    @Test func runsCoverTheSourcesInOrderWithEqualWork() {
        let costs = [32, 8, 8, 16, 32, 8, 8, 8, 16, 8]  // 144 in all
        let runs = DensityPathKernel.runs(of: costs, count: 2)
        #expect(runs == [0..<4, 4..<10])  // 64 and 80: the first run ends where its share (72) is first reached or just before
        #expect(DensityPathKernel.runs(of: costs, count: 1) == [0..<10])
        #expect(DensityPathKernel.runs(of: [8], count: 4) == [0..<1])
    }

    @Test func radialIntegralTableIsTheClosedForm() {
        let table = RadialIntegralTable(reachMM: 12)
        for s in stride(from: 0.0, through: 12, by: 0.0137) {
            #expect(abs(table.value(at: s) - RadialIntegralTable.exact(s)) <= 2e-4 * RadialIntegralTable.exact(12))
        }
        // 4π·G(∞)·ρ₀ is the kernel's energy per decay, 0.9354 MeV (Docs/DVK.md): G in mGy·mm³ per MBq·s,
        // 1 mGy = 10⁻³ J/kg, ρ₀ = 1.04·10⁻⁶ kg/mm³, 10⁶ decays per MBq·s, 1 MeV = 1.602·10⁻¹³ J.
        let mevPerDecay = 4 * Double.pi * RadialIntegralTable.exact(30) * 1e-3 * 1.04e-6 / 1e6 / 1.602176634e-13
        #expect(abs(mevPerDecay - 0.9354) < 0.002, "\(mevPerDecay) MeV")
    }
}
