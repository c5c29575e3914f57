import VoxelKernels

/// Absorbed-dose maps from activity concentrations at implantation time.
public enum DoseMap {
    public enum Method: String, Sendable, CaseIterable {
        /// Local deposition: all β energy absorbed in the voxel of the decay.
        case ldm
        /// Dose voxel kernel: convolution with 90Y voxel S-values for the image's grid.
        case dvk
        /// DVK, plus with a density map the change lung (any matter lighter than soft tissue)
        /// makes along each electron path (``DensityPathKernel``).
        case dvkPath = "dvk-path"
    }

    /// Tissue density at the dose point.
    public enum Density: Sendable {
        /// One density everywhere, g/mL.
        case uniform(Double)
        /// A density per voxel, g/mL, on the image grid (every value finite and > 0).
        case map([Float])
    }

    /// How a DVK dose was scaled for density (contract: `density_scaling`).
    public enum DensityScaling: String, Sendable { case none, uniform, voxel }

    public struct Settings: Sendable {
        public var method: Method = .ldm
        /// K for LDM, J/GBq.
        public var doseFactorJPerGBq = Y90.doseFactorJPerGBq
        /// For the cumulated activity of DVK, Ã = A(t0) · T½ / ln 2.
        public var halfLifeSeconds = Radionuclide.y90.halfLifeSeconds
        public var density: Density = .uniform(Y90.liverDensityGPerML)
        /// Multiplies the image values to give Bq/mL at implantation time (units × decay ×
        /// calibration).
        public var concentrationScale: Double = 1

        public init() {}
    }

    public struct Result: Sendable {
        /// Gy, on the image grid; NaN where the image is NaN.
        public var doseGy: [Float]
        /// The kernel used (DVK only).
        public var kernel: VoxelSValueKernel?
        public var densityScaling: DensityScaling
        /// DVK only: Gy per image unit per S unit, the factor the convolution applied (ρk/ρ
        /// included for a uniform density; a density map divides afterwards, voxel by voxel).
        public var kernelScale: Double? = nil
        /// `dvk-path` with a density map: the source voxels whose rays were followed.
        public var pathTracedSources: Int? = nil
    }

    /// The dose map.
    ///
    /// - LDM: D = C(t0) · K · 1e-6 / ρ (``LocalDeposition``), per voxel.
    /// - DVK: D(k) = (ρk / ρ) · 1e-3 · Σ_h S(k ← h) · Ã_h, Ã_h = C_h(t0) · V_mL · 1e-6 · T½ / ln 2
    ///   [MBq·s], S in mGy/(MBq·s) for soft tissue at ρk = 1.04 g/mL. A uniform ρ ≠ ρk scales the
    ///   dose by ρk/ρ (charged-particle equilibrium: a large uniform region then reads the LDM
    ///   dose at ρ); a density map scales voxel by voxel at the dose point (energy-conserving,
    ///   but the electron range stays that of soft tissue).
    ///
    /// Negative concentrations (reconstruction noise) give negative doses; NaN stays NaN.
    /// - Complexity: LDM one pass; DVK see ``Convolution``.
    ///
    /// `values` is consumed: LDM with a uniform density scales it in place (pass the last
    /// reference to the array so no copy is made).
    public static func compute(concentrations values: consuming [Float], geometry: GridGeometry, settings s: Settings) -> Result {
        switch s.method {
        case .ldm:
            var dose = consume values
            switch s.density {
            case .uniform(let rho):
                let gyPerImageUnit = s.concentrationScale * LocalDeposition.grayPerBqPerML(doseFactorJPerGBq: s.doseFactorJPerGBq, densityGPerML: rho)
                ElementwiseMaps.scale(&dose, by: Float(gyPerImageUnit))
            case .map(let rho):
                let gyPerImageUnitAtUnitDensity = s.concentrationScale * LocalDeposition.grayPerBqPerML(doseFactorJPerGBq: s.doseFactorJPerGBq, densityGPerML: 1)
                ElementwiseMaps.scaleDividing(&dose, by: rho, factor: Float(gyPerImageUnitAtUnitDensity))
            }
            return Result(doseGy: dose, kernel: nil, densityScaling: .none)
        case .dvk, .dvkPath:
            // Non-finite voxels carry no activity into the convolution (else one NaN would spread
            // over the kernel's reach); their own dose is NaN again afterwards.
            guard Reductions.finiteSummary(values).finite < values.count else {
                return convolve(values, geometry: geometry, settings: s)
            }
            let nonFinite = values.indices.filter { !values[$0].isFinite }
            var finiteValues = consume values
            for i in nonFinite { finiteValues[i] = 0 }
            var result = convolve(finiteValues, geometry: geometry, settings: s)
            for i in nonFinite { result.doseGy[i] = .nan }
            return result
        }
    }

    /// The DVK dose of finite concentrations.
    private static func convolve(_ values: [Float], geometry: GridGeometry, settings s: Settings) -> Result {
        let kernel = VoxelSValueKernel.y90(voxelMM: geometry.spacingMM)
        let gyPerImageUnit = s.concentrationScale * geometry.voxelVolumeML * 1e-6
            * Decay.meanLifeSeconds(halfLifeSeconds: s.halfLifeSeconds) * 1e-3
        switch s.density {
        case .uniform(let rho):
            let ratio = kernel.densityGPerML / rho
            let scale = gyPerImageUnit * ratio
            let dose = kernel.convolve(values, dimensions: geometry.dimensions, scale: scale)
            return Result(doseGy: dose, kernel: kernel, densityScaling: abs(ratio - 1) < 1e-12 ? .none : .uniform, kernelScale: scale)
        case .map(let rho):
            var dose = kernel.convolve(values, dimensions: geometry.dimensions, scale: gyPerImageUnit)  // at the kernel's density
            ElementwiseMaps.scaleDividing(&dose, by: rho, factor: Float(kernel.densityGPerML))
            var pathSources: Int? = nil
            if s.method == .dvkPath {
                let cumulatedMBqSPerMLPerValue = s.concentrationScale * 1e-6 * Decay.meanLifeSeconds(halfLifeSeconds: s.halfLifeSeconds)
                pathSources = DensityPathKernel.addCorrection(to: &dose, values: values, cumulatedMBqSPerMLPerValue: cumulatedMBqSPerMLPerValue,
                                                              densityGPerML: rho, geometry: geometry)
            }
            return Result(doseGy: dose, kernel: kernel, densityScaling: .voxel, kernelScale: gyPerImageUnit, pathTracedSources: pathSources)
        }
    }
}

/// Patient-relative calibration (EANM SOP; REFERENCE.md §1.1): scale the image so that the
/// activity inside a calibration VOI equals the net administered activity,
/// A_net = (A_administered − residual) · (1 − lung shunt fraction).
public enum Calibration {
    public enum Failure: Error, Equatable {
        /// The mask holds no voxel, or the activity inside it is not positive and finite.
        case noActivityInMask(sumBqPerML: Double, voxels: Int)
        /// A_net ≤ 0.
        case nonPositiveNetActivity(Double)
    }

    /// A_net in Bq.
    public static func netActivityBq(administeredBq: Double, residualBq: Double, lungShuntFraction: Double) -> Double {
        (administeredBq - residualBq) * (1 - lungShuntFraction)
    }

    /// The factor f such that Σ_mask f · C · V_mL = A_net: f = A_net / (V_mL · Σ_mask C), C the
    /// image values in Bq/mL (negative voxels included, non-finite ones excluded).
    public static func factor(concentrationsBqPerML values: [Float], mask: [Int32], voxelVolumeML: Double,
                              netActivityBq: Double) throws(Failure) -> Double {
        guard netActivityBq > 0, netActivityBq.isFinite else { throw .nonPositiveNetActivity(netActivityBq) }
        let (sum, voxels, _) = Reductions.maskedSum(values, mask: mask)
        guard voxels > 0, sum > 0, sum.isFinite else { throw .noActivityInMask(sumBqPerML: sum, voxels: voxels) }
        return netActivityBq / (sum * voxelVolumeML)
    }
}

extension DoseMap.Density {
    /// A density per label: voxels whose label is in `densities` get that density (g/mL), all
    /// others `otherwise` (label 0 included). One parallel pass.
    public static func perLabel(_ labels: [Int32], densities: [Int32: Double], otherwise: Double) -> DoseMap.Density {
        let table = densities.mapValues(Float.init)
        let fallback = Float(otherwise)
        let map = [Float](unsafeUninitializedCapacity: labels.count) { out, initialized in
            let output = UncheckedSendable(out.baseAddress!)
            Parallel.forEachChunk(count: labels.count) { _, range in
                labels.withUnsafeBufferPointer { l in
                    for i in range { output.value[i] = table[l[i]] ?? fallback }
                }
            }
            initialized = labels.count
        }
        return .map(map)
    }
}
