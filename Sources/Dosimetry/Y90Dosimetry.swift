/// 90Y dosimetry constants, each with its source (`../shared/REFERENCE.md` §1).
public enum Y90 {
    /// LDM conversion factor K: energy of the complete decay of 1 GBq of 90Y, J/GBq
    /// (= Gy·kg/GBq). EANM Dosimetry Committee SOP, Chiesa et al., EJNMMI Phys 2021. With
    /// T½ 64.05 h and Ē 0.932 MeV: K = 1e9 · T½ · 3600 / ln 2 · Ē · 1.602177e-13 = 49.67.
    public static let doseFactorJPerGBq = 49.67
    /// Default tissue density, g/mL (liver; Taranis default; ICRU 46 gives 1.03–1.06).
    public static let liverDensityGPerML = 1.05
    /// Density of the soft tissue the voxel S-values were simulated in, g/mL: the tabulated
    /// kernels hold the full β energy at this density (REFERENCE.md §1.2; the fitted kernel
    /// holds 0.9354 MeV per decay at it, Docs/DVK.md).
    public static let kernelDensityGPerML = 1.04
}

/// The local deposition method (LDM): all β energy is absorbed in the voxel where the decay
/// happens.
///
/// D[Gy] = K[J/GBq] · C(t0)[Bq/mL] · 1e-9 [GBq/Bq] / (ρ[g/mL] · 1e-3 [kg/g]) = K · C · 1e-6 / ρ.
/// Case (REFERENCE.md §6.1): C = 1 MBq/mL, K = 49.67 → 49.67 / 48.22 / 47.30 / 46.86 Gy at
/// ρ = 1.00 / 1.03 / 1.05 / 1.06. Tests compare these to 1e-4.
public enum LocalDeposition {
    /// Gy per (Bq/mL) at density ρ: K · 1e-6 / ρ.
    public static func grayPerBqPerML(doseFactorJPerGBq k: Double, densityGPerML rho: Double) -> Double {
        k * 1e-6 / rho
    }
}
