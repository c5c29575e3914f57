import Testing
@testable import Dosimetry

/// CT number to density: the piecewise-linear rule by hand, the file format, and the default's
/// nodes against the published measurements they were fitted to (Schneider et al. 1996).
@Suite struct HUDensityCalibrationTests {
    @Test func piecewiseLinearAndClamped() throws {
        let c = try HUDensityCalibration(nodes: [(-1000, 0.001), (0, 1.0), (1000, 2.0)], source: "test")
        #expect(c.densityGPerML(hu: -1000) == 0.001 && c.densityGPerML(hu: 0) == 1.0 && c.densityGPerML(hu: 500) == 1.5)
        #expect(abs(c.densityGPerML(hu: -500) - 0.5005) < 1e-12)
        #expect(c.densityGPerML(hu: -3024) == 0.001 && c.densityGPerML(hu: 4000) == 2.0 && c.densityGPerML(hu: .nan).isNaN)
    }

    @Test func calibrationFiles() throws {
        let c = try HUDensityCalibration(csv: "hu,density_g_per_ml\n# scanner A, 120 kV\n-1000, 0.0012\n0,1.0\n1200,1.8\n", source: "a.csv")
        #expect(c.hu == [-1000, 0, 1200] && c.densityGPerML == [0.0012, 1.0, 1.8] && c.source == "a.csv")
        #expect(throws: HUDensityCalibration.Failure.self) { try HUDensityCalibration(csv: "0,1\n-10,0.9\n", source: "x") }
        #expect(throws: HUDensityCalibration.Failure.self) { try HUDensityCalibration(csv: "0,1\n10,0\n", source: "x") }
        #expect(throws: HUDensityCalibration.Failure.self) { try HUDensityCalibration(csv: "0,1\n", source: "x") }
        #expect(throws: HUDensityCalibration.Failure.self) { try HUDensityCalibration(csv: "0,1\n10,1.1\nten,1.2\n", source: "x") }
    }

    /// Schneider et al. 1996 (Phys Med Biol 41:111): the default passes through air and inflated
    /// lung, and its soft-tissue and bone segments are the least-squares lines of the 22 soft
    /// tissues and 11 bones — residuals that sum to zero and are orthogonal to HU.
    @Test func defaultFitsThePublishedTissues() throws {
        let c = HUDensityCalibration.schneider1996
        #expect(c.densityGPerML(hu: -1000) == 0.00121 && abs(c.densityGPerML(hu: -741) - 0.26) < 1e-12)
        let soft: [(Double, Double)] = zip([930, 1055, 1037, 1003, 1003, 1050, 1023, 1055, 1043, 1053, 1044, 1028, 1042, 1045, 1032, 1098, 1014, 958, 1075, 1054, 1032, 1040],
                                           [0.95, 1.06, 1.04, 1.02, 1.00, 1.07, 1.03, 1.06, 1.05, 1.06, 1.05, 1.03, 1.05, 1.05, 1.04, 1.10, 1.03, 0.98, 1.09, 1.06, 1.04, 1.05]).map { (Double($0) - 1000, $1) }
        let bone: [(Double, Double)] = zip([2376, 1903, 1499, 1683, 2006, 1595, 1763, 1413, 1260, 1609, 1477],
                                           [1.92, 1.61, 1.33, 1.46, 1.68, 1.41, 1.52, 1.29, 1.18, 1.42, 1.33]).map { (Double($0) - 1000, $1) }
        for tissues in [soft, bone] {
            let residuals = tissues.map { $0.1 - c.densityGPerML(hu: $0.0) }
            #expect(abs(residuals.reduce(0, +)) < 1e-9 && abs(zip(residuals, tissues).reduce(0) { $0 + $1.0 * $1.1.0 }) < 1e-6)
            #expect(residuals.allSatisfy { abs($0) < 0.06 }, "every tissue within 0.06 g/mL of the line")
        }
        // Water-like soft tissue near 1.01 g/mL at 0 HU; cortical bone near 1.9 g/mL at 1400 HU.
        #expect(abs(c.densityGPerML(hu: 0) - 1.012) < 0.005 && abs(c.densityGPerML(hu: 1376) - 1.92) < 0.05)
    }
}
