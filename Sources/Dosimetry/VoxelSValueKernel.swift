import Foundation
import VoxelKernels

/// A 90Y voxel S-value kernel for one voxel grid: S(i, j, k), the mean absorbed dose in the
/// voxel at offset (i, j, k) per unit cumulated activity in the source voxel, in mGy per (MBq·s),
/// for soft tissue at ``densityGPerML`` (1.04 g/mL). Symmetric: S(i, j, k) = S(|i|, |j|, |k|).
///
/// Two sources (Docs/DVK.md):
/// - the published table (Lanconelli et al., Phys Med Biol 2012;57:517), for cubic voxels of a
///   tabulated size (within 0.005 mm): 2.21, 2.33, 2.4, 3, 3.59, 3.9, 4, 4.42, 4.8, 5, 6, 6.8,
///   9.28 mm; offsets 0…5 per axis;
/// - any other grid, anisotropic included: a dose point kernel fitted to that table as a sum of
///   Gaussians, Φ(r) = Σ aₘ exp(−r²/σₘ²), averaged exactly over source and target voxels, which
///   factorises per axis: S(i, j, k) = Σₘ aₘ G(i, Lx, σₘ) G(j, Ly, σₘ) G(k, Lz, σₘ) with
///   G(n, L, σ) = [I₂(nL + L) − 2 I₂(nL) + I₂(nL − L)] / L², I₂(t) = t I₁(t) + σ²/2 (e^(−t²/σ²) − 1),
///   I₁(t) = σ√π/2 erf(t/σ). Each axis is cut where G(n)/G(0) < 1e-7 and rescaled so that
///   Σₙ G(n) L = σ√π, so the kernel holds exactly the fitted energy whatever the grid
///   (energy conservation). Against the table: main entries within 1.5 % at every size, and
///   within 0.3 % at 4.8 mm when that size is left out of the fit (the test).
public struct VoxelSValueKernel: Sendable {
    public enum Source: String, Sendable {
        case table = "lanconelli2012-table"
        case dosePointKernelFit = "lanconelli2012-dpk-gaussian-fit"
    }

    public let source: Source
    /// The voxel size the kernel is for (mm, along i, j, k).
    public let voxelMM: SIMD3<Double>
    /// The soft-tissue density the kernel holds its energy at.
    public let densityGPerML = Y90.kernelDensityGPerML
    /// Largest offset per axis.
    public let radius: SIMD3<Int>

    private enum Representation: Sendable {
        /// octant[(a · (Ry + 1) + b) · (Rz + 1) + c] = S(a, b, c).
        case octant([Double])
        /// S = Σ amplitude · x[|i|] · y[|j|] · z[|k|].
        case separable([(amplitude: Double, x: [Double], y: [Double], z: [Double])])
    }
    private let representation: Representation

    /// The kernel for a grid: the published table when the voxels are cubic and of a tabulated
    /// size (unless `preferTable` is false), else built from the fitted dose point kernel (the
    /// built-in fit, or `fit` when given: tests pass one fitted without a size).
    public static func y90(voxelMM: SIMD3<Double>, preferTable: Bool = true,
                           fit: [(widthMM: Double, amplitude: Double)]? = nil) -> VoxelSValueKernel {
        let fit = fit ?? y90DosePointKernelFit
        if preferTable, abs(voxelMM.x - voxelMM.y) < 0.005, abs(voxelMM.x - voxelMM.z) < 0.005,
           let entry = lanconelli2012SoftTissueY90.first(where: { abs($0.voxelMM - voxelMM.x) < 0.005 }) {
            return VoxelSValueKernel(source: .table, voxelMM: voxelMM, radius: SIMD3(5, 5, 5),
                                     representation: .octant(entry.octant))
        }
        var terms: [(amplitude: Double, x: [Double], y: [Double], z: [Double])] = []
        var radius = SIMD3<Int>(0, 0, 0)
        for (width, amplitude) in fit {
            let axes = (0..<3).map { axisTaps(length: voxelMM[$0], width: width) }
            for axis in 0..<3 { radius[axis] = max(radius[axis], axes[axis].count - 1) }
            terms.append((amplitude, axes[0], axes[1], axes[2]))
        }
        return VoxelSValueKernel(source: .dosePointKernelFit, voxelMM: voxelMM, radius: radius,
                                 representation: .separable(terms))
    }

    /// Most taps per axis of a fitted kernel: bounds the convolution's work for any voxel size.
    public static let maximumTaps = 1000

    /// False when the voxels are so small that the kernel was cut at ``maximumTaps`` before
    /// reaching the electrons' range (voxels of a few µm: not a PET grid). Such a kernel keeps
    /// its energy but not its shape; `voxdose dose` refuses it.
    public var reachesFullRange: Bool { radius.max() < Self.maximumTaps - 1 }

    /// S(i, j, k) in mGy per (MBq·s); 0 outside the kernel.
    public func sValue(_ i: Int, _ j: Int, _ k: Int) -> Double {
        let (a, b, c) = (abs(i), abs(j), abs(k))
        guard a <= radius.x, b <= radius.y, c <= radius.z else { return 0 }
        switch representation {
        case .octant(let values):
            return values[(a * (radius.y + 1) + b) * (radius.z + 1) + c]
        case .separable(let terms):
            return terms.reduce(0) { sum, t in
                sum + t.amplitude * (a < t.x.count ? t.x[a] : 0) * (b < t.y.count ? t.y[b] : 0) * (c < t.z.count ? t.z[c] : 0)
            }
        }
    }

    /// Σ over the whole kernel of S · voxel volume, mGy·mL per (MBq·s): times the density
    /// (g/mL) and 1e-9 it is the energy absorbed per decay in joules.
    public var sumTimesVoxelVolumeMGyML: Double {
        let volumeML = voxelMM.x * voxelMM.y * voxelMM.z / 1000
        switch representation {
        case .octant(let values):
            var total = 0.0
            for a in 0...radius.x { for b in 0...radius.y { for c in 0...radius.z {
                let copies = Double((a > 0 ? 2 : 1) * (b > 0 ? 2 : 1) * (c > 0 ? 2 : 1))
                total += copies * values[(a * (radius.y + 1) + b) * (radius.z + 1) + c]
            } } }
            return total * volumeML
        case .separable(let terms):
            func full(_ taps: [Double]) -> Double { taps[0] + 2 * taps.dropFirst().reduce(0, +) }
            return terms.reduce(0) { $0 + $1.amplitude * full($1.x) * full($1.y) * full($1.z) } * volumeML
        }
    }

    /// Σ_h S(k ← h) · values[h] · `scale`, zero outside the volume.
    public func convolve(_ values: [Float], dimensions: SIMD3<Int>, scale: Double) -> [Float] {
        switch representation {
        case .octant(let octant):
            return Convolution.octantSymmetric(values, dimensions: dimensions,
                                               octant: octant.map { Float($0 * scale) }, radius: radius)
        case .separable(let terms):
            let scaled = terms.map { t in
                Convolution.SeparableTerm(x: t.x.map { Float($0 * t.amplitude * scale) },
                                          y: t.y.map { Float($0) }, z: t.z.map { Float($0) })
            }
            return Convolution.separableSymmetric(values, dimensions: dimensions, terms: scaled)
        }
    }

    /// G(n, L, σ) for n = 0, 1, … until it falls below 1e-7 of G(0), rescaled so that
    /// Σ_{n=−R…R} G(n) · L = σ√π (the integral of e^(−x²/σ²)).
    static func axisTaps(length: Double, width: Double) -> [Double] {
        func i2(_ t: Double) -> Double {
            t * width * Double.pi.squareRoot() / 2 * erf(t / width) + width * width / 2 * (exp(-(t * t) / (width * width)) - 1)
        }
        func g(_ n: Int) -> Double {
            let x = Double(n) * length
            return max(0, (i2(x + length) - 2 * i2(x) + i2(x - length)) / (length * length))
        }
        var taps = [g(0)]
        while taps.count < maximumTaps {
            let next = g(taps.count)
            guard next > 1e-7 * taps[0] else { break }
            taps.append(next)
        }
        let total = (taps[0] + 2 * taps.dropFirst().reduce(0, +)) * length
        let exact = width * Double.pi.squareRoot()
        return taps.map { $0 * exact / total }
    }
}
