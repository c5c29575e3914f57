import Foundation
import VoxelKernels

/// 90Y dose in heterogeneous tissue by rays from every dose point (a collapsed-cone convolution of
/// the dose point kernel, density-scaled along each ray).
///
/// The soft-tissue dose point kernel Φ₀(s) (``VoxelSValueKernel``'s fit, mGy per MBq·s at
/// ρ₀ = 1.04 g/mL) becomes, between a source and a dose point r apart through matter of mean
/// density ρ̄, Φ(r) = Φ₀(s)·(s/r)² with the radiological distance s = ρ̄·r/ρ₀ — the density-scaling
/// theorem (O'Connor 1957) along the path, which conserves energy in uniform matter of any density.
/// Around each dose point, N rays of equal solid angle Ω = 4π/N carry the sources in their cones:
/// D = Σ_rays Ω ∫ ã(r)·Φ₀(s(r))·s(r)² dr. Within a voxel ρ and ã are constant and s is linear in r,
/// so each piece integrates in closed form (Φ₀ is a sum of Gaussians: ∫ a·e^{−s²/w²}·s² ds =
/// a·(w³√π/4·erf(s/w) − w²/2·s·e^{−s²/w²})); a ray stops where s passes the kernel's reach.
public enum DensityPathKernel {
    /// Rays per dose point.
    public static let defaultRays = 48
    /// Dose points per voxel (its dose is their mean, as a voxel's dose is an average): the centres
    /// of its eight octants.
    static let pointOffsets: [SIMD3<Double>] = [-0.25, 0.25].flatMap { x in [-0.25, 0.25].flatMap { y in [-0.25, 0.25].map { z in SIMD3(x, y, z) } } }

    /// Dose (Gy) from cumulated activity densities `cumulatedMBqSPerML` (MBq·s per mL, per voxel)
    /// in matter of `densityGPerML`: each voxel's dose is the mean over the centres of its eight
    /// octants. Every voxel of `geometry`, or only `targets` (flat indices; the others 0).
    public static func dose(cumulatedMBqSPerML activity: [Float], densityGPerML rho: [Float], geometry: GridGeometry,
                            rays: Int = defaultRays, targets: [Int]? = nil) -> [Float] {
        let d = geometry.dimensions, spacing = geometry.spacingMM
        let terms = y90DosePointKernelFit
        let rho0 = Y90.kernelDensityGPerML
        let reachMM = 5 * (terms.map(\.widthMM).max() ?? 4)
        // Each dose point its own set of directions (the lattice turned), so the points' ray
        // patterns do not line up.
        let directionSets = pointOffsets.indices.map { fibonacciSphere(rays, turn: Double($0) * 2.399963229728653 / Double(pointOffsets.count)) }
        let omega = 4 * Double.pi / Double(rays * pointOffsets.count)
        /// ∫₀^s Φ₀(u)·u² du, mGy·mm³ per MBq·s.
        func radialIntegral(_ s: Double) -> Double {
            var sum = 0.0
            for t in terms {
                let w = t.widthMM, x = s / w
                sum += t.amplitude * (w * w * w * Double.pi.squareRoot() / 4 * erf(x) - w * w / 2 * s * exp(-x * x))
            }
            return sum
        }
        var out = [Float](repeating: 0, count: activity.count)
        activity.withUnsafeBufferPointer { a in
            rho.withUnsafeBufferPointer { r in
                out.withUnsafeMutableBufferPointer { o in
                    let (source, density, result) = (UncheckedSendable(a), UncheckedSendable(r), UncheckedSendable(o.baseAddress!))
                    let list = targets ?? Array(0..<activity.count)
                    Parallel.forEachChunk(count: list.count, minimumChunk: 64) { _, range in
                        for t in range {
                            let n = list[t]
                            guard source.value[n].isFinite else { result.value[n] = .nan; continue }
                            let start = SIMD3(n % d.x, (n / d.x) % d.y, n / (d.x * d.y))
                            var dose = 0.0
                            for (offset, directions) in zip(pointOffsets, directionSets) {
                                for direction in directions { dose += ray(from: start, offset: offset, direction: direction) }
                            }
                            result.value[n] = Float(dose * omega * 1e-3)  // mGy → Gy
                        }
                    }
                    /// ∫ ã Φ₀(s) s² dr along one ray from voxel `start`'s centre moved by `offset` (in voxels), mGy per sr.
                    func ray(from start: SIMD3<Int>, offset: SIMD3<Double>, direction u: SIMD3<Double>) -> Double {
                        var voxel = start
                        // Distance along the ray to the next boundary on each axis, and between boundaries.
                        var next = SIMD3<Double>(repeating: .infinity), step = SIMD3<Double>(repeating: .infinity)
                        var move = SIMD3<Int>(repeating: 0)
                        for axis in 0..<3 where u[axis] != 0 {
                            step[axis] = spacing[axis] / abs(u[axis])
                            next[axis] = step[axis] * (0.5 - (u[axis] > 0 ? offset[axis] : -offset[axis]))
                            move[axis] = u[axis] > 0 ? 1 : -1
                        }
                        var r = 0.0, s = 0.0, total = 0.0
                        // ∫₀^s at the end of the last piece that had activity: the next piece's start when adjacent.
                        var known: (s: Double, integral: Double) = (0, 0)
                        while true {
                            let n = voxel.x + d.x * (voxel.y + d.y * voxel.z)
                            let axis = next.x < next.y ? (next.x < next.z ? 0 : 2) : (next.y < next.z ? 1 : 2)
                            let end = next[axis]
                            let scale = Double(density.value[n]) / rho0
                            let sEnd = s + scale * (end - r)
                            let c = source.value[n]
                            if c.isFinite && c != 0 {  // per mm³; ds = scale·dr
                                let lower = known.s == s ? known.integral : radialIntegral(min(s, reachMM))
                                known = (sEnd, radialIntegral(min(sEnd, reachMM)))
                                total += Double(c) / 1000 / scale * (known.integral - lower)
                            }
                            r = end
                            s = sEnd
                            if s >= reachMM { break }
                            voxel[axis] += move[axis]
                            if voxel[axis] < 0 || voxel[axis] >= (axis == 0 ? d.x : axis == 1 ? d.y : d.z) { break }
                            next[axis] += step[axis]
                        }
                        return total
                    }
                }
            }
        }
        return out
    }

    /// `count` unit vectors spread evenly over the sphere (the Fibonacci lattice), turned by
    /// `turn` radians about z.
    static func fibonacciSphere(_ count: Int, turn: Double = 0) -> [SIMD3<Double>] {
        let golden = Double.pi * (3 - 5.0.squareRoot())
        return (0..<count).map { n in
            let z = 1 - (2 * Double(n) + 1) / Double(count)
            let radius = (1 - z * z).squareRoot(), angle = golden * Double(n) + turn
            return SIMD3(radius * cos(angle), radius * sin(angle), z)
        }
    }
}
