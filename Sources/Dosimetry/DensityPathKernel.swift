import Foundation
import VoxelKernels

/// The change that lung, bone or any other matter along the electrons' paths makes to the 90Y
/// dose `dvk` computes in soft tissue: `dose --method dvk-path` is the `dvk` map plus this.
///
/// Model — the density-scaling theorem (O'Connor, Proc Phys Soc A 1957) applied along each path,
/// as density-scaled dose-point-kernel methods do for β emitters (Dieudonné et al., J Nucl Med
/// 2013;54:236): from a source, the energy the soft-tissue point kernel Φ₀ (mGy per MBq·s at
/// ρ₀ = 1.04 g/mL, ``VoxelSValueKernel``'s fit) deposits in a cone of solid angle Ω between
/// radiological radii s_a and s_b is the same in any matter, Ω·ρ₀·[G(s_b) − G(s_a)] with
/// G(s) = ∫₀^s Φ₀(u)·u² du and s = ∫ ρ(r)/ρ₀ dr along the path. So along a ray from a source the
/// kernel's energy is conserved exactly and only its spread follows the matter crossed.
///
/// The convolution already deposits the kernel as if all matter were soft tissue (s = r). For each
/// source whose neighbourhood is not of one density, N rays of equal solid angle Ω = 4π/N from a
/// point in its voxel deposit, voxel by voxel, the actual-matter energy minus the soft-tissue
/// energy (the same pieces, s taken both ways), divided by the voxel's mass:
///
///     ΔD_j = Σ_sources ã_i · Ω · (ρ₀ / ρ_j) · Σ_rays [ΔG(actual) − ΔG(tissue)]_j · 10⁻⁶   (Gy)
///
/// with ã_i in MBq·s per mL. In soft tissue the two agree piece by piece and the correction is 0;
/// summed over the volume it is 0 too (energy conserved: the convolution's near field, integrated
/// over whole voxels, stays; the rays only move energy). Each source voxel takes one of 64 start
/// points and turned ray sets (a low-discrepancy sequence), so over a region the rays' sampling
/// averages over the voxel and all directions.
///
/// Sources whose neighbourhood (10 mm of soft tissue, all but 5·10⁻⁴ of the kernel's energy) holds
/// only densities within a factor 1.2 of each other keep the convolution alone: in uniform matter
/// the dose of a smooth activity is the local one, whatever the range (charged-particle
/// equilibrium). Rays follow 12 mm of radiological path (all but 2·10⁻⁵ of the energy) and at
/// most 60 mm of geometric path (below 0.2 g/mL the rest is not followed).
public enum DensityPathKernel {
    /// Turned ray sets, cycled over the source voxels.
    static let variantCount = 16
    /// Radiological reach followed along a ray, mm of soft tissue: G(12 mm) is all but 2·10⁻⁵ of G(∞).
    static let reachMM = 12.0
    /// Sources within this radiological distance of other matter are corrected (mm of soft tissue).
    static let neighbourhoodMM = 10.0
    /// Densities within this ratio count as one matter (fat 0.95, liver and muscle 1.05 g/mL).
    static let sameMatterRatio: Float = 1.2
    /// Longest geometric path followed, mm.
    static let longestPathMM = 60.0

    /// Adds the density correction to `dose` (Gy, the `dvk` map with the density map's
    /// voxel-by-voxel scaling) for cumulated activity densities `cumulatedMBqSPerML` (MBq·s per mL;
    /// non-finite voxels carry none) in matter of `densityGPerML` (finite, > 0). Returns the number
    /// of source voxels whose rays were followed.
    ///
    /// A source takes 64 rays, or — when its activity is below the 90th percentile of the corrected
    /// sources' — fewer in proportion, at least 8 (each set still spans all directions and the whole
    /// voxel): low-activity voxels such as lung cost little, each still unbiased.
    @discardableResult
    public static func addCorrection(to dose: inout [Float], cumulatedMBqSPerML activity: [Float], densityGPerML rho: [Float],
                                     geometry: GridGeometry) -> Int {
        precondition(dose.count == geometry.voxelCount && activity.count == dose.count && rho.count == dose.count)
        let (sources, minimumDensity) = interfaceSources(activity: activity, density: rho, geometry: geometry)
        guard !sources.isEmpty else { return 0 }
        let rho0 = Y90.kernelDensityGPerML
        let pathMM = min(longestPathMM, reachMM * rho0 / Double(min(Float(rho0), minimumDensity)))
        let tiers = rayTiers.map { RayPaths(rays: $0, variants: variantCount, spacingMM: geometry.spacingMM, lengthMM: pathMM, dimensions: geometry.dimensions) }
        let reach = tiers.reduce(SIMD3<Int>.zero) { pointwiseMax($0, $1.reach) }
        let table = RadialIntegralTable(reachMM: reachMM)
        let typical = typicalActivity(sources.map { abs(activity[Int($0)]) })
        let d = geometry.dimensions, slice = d.x * d.y
        let chunks = Parallel.chunks(count: sources.count, minimumChunk: 256)
        // Each chunk deposits into its own slab of slices (its sources' z-range and the rays' reach).
        let slabs = chunks.map { range -> Range<Int> in
            let first = Int(sources[range.lowerBound]) / slice, last = Int(sources[range.upperBound - 1]) / slice
            return max(0, first - reach.z)..<min(d.z, last + reach.z + 1)
        }
        var deposits = slabs.map { [Float](repeating: 0, count: $0.count * slice) }
        activity.withUnsafeBufferPointer { a in
            rho.withUnsafeBufferPointer { r in
                deposits.withUnsafeMutableBufferPointer { buffers in
                    let (source, density, slabBuffers) = (UncheckedSendable(a), UncheckedSendable(r), UncheckedSendable(buffers.baseAddress!))
                    Parallel.forEachChunk(count: sources.count, minimumChunk: 256) { chunk, range in
                        let base = slabs[chunk].lowerBound * slice
                        slabBuffers.value[chunk].withUnsafeMutableBufferPointer { out in
                            for t in range {
                                let i = Int(sources[t]), value = source.value[i]
                                let tier = tiers.firstIndex { Float($0.rayCount) >= Float(rayTiers.last!) * abs(value) / typical } ?? tiers.count - 1
                                let paths = tiers[tier]
                                let voxel = SIMD3(i % d.x, (i / d.x) % d.y, i / slice)
                                let variant = Int((UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >> 58) % paths.variants
                                let inside = all(voxel .>= paths.reach) && all(voxel &+ paths.reach .< d)
                                // Gy per mGy·mm³/(MBq·s) of ΔG, before the target's density: ã·Ω·ρ₀·10⁻⁶.
                                let weight = Double(value) * 4 * Double.pi / Double(paths.rayCount) * rho0 * 1e-6
                                paths.walk(variant: variant, source: i, voxel: voxel, inside: inside, dimensions: d) { j, length, state in
                                    let rhoJ = Double(density.value[j])
                                    state.actual = min(state.actual + min(rhoJ, rho0) / rho0 * length, reachMM)
                                    state.tissue = min(state.tissue + length, reachMM)
                                    let (gActual, gTissue) = (table.value(at: state.actual), table.value(at: state.tissue))
                                    let change = (gActual - state.gActual) - (gTissue - state.gTissue)
                                    if change != 0 { out[j - base] += Float(weight * change / rhoJ) }
                                    (state.gActual, state.gTissue) = (gActual, gTissue)
                                    return state.actual < reachMM || state.tissue < reachMM
                                }
                            }
                        }
                    }
                }
            }
        }
        for (slab, deposit) in zip(slabs, deposits) {
            let base = slab.lowerBound * slice
            dose.withUnsafeMutableBufferPointer { out in
                for k in deposit.indices { out[base + k] += deposit[k] }
            }
        }
        return sources.count
    }

    /// Rays per source, by tier.
    static let rayTiers = [8, 16, 32, 64]

    /// The 90th percentile of the sources' absolute activities (the scale of the ray tiers).
    static func typicalActivity(_ values: [Float]) -> Float {
        var copy = values
        let typical = copy.withUnsafeMutableBufferPointer { buffer in Float(OrderStatistics.percentiles(&buffer, [90])[0]) }
        return typical > 0 ? typical : 1
    }

    /// The source voxels (finite, non-zero activity) within ``neighbourhoodMM`` of matter more than
    /// ``sameMatterRatio`` apart, ascending; and the smallest density. Decided per block of 2³
    /// voxels: a block's sources count when the densities of the blocks around it (far enough to
    /// cover the neighbourhood) span more than the ratio — a superset by at most two voxels.
    static func interfaceSources(activity: [Float], density: [Float], geometry: GridGeometry) -> (sources: [Int32], minimumDensity: Float) {
        let d = geometry.dimensions, blockSize = 2, tissue = Float(Y90.kernelDensityGPerML)
        let blocks = (d &+ (blockSize - 1)) / blockSize
        let blockCount = blocks.x * blocks.y * blocks.z
        var low = [Float](repeating: .infinity, count: blockCount), high = [Float](repeating: 0, count: blockCount)
        density.withUnsafeBufferPointer { rho in
            low.withUnsafeMutableBufferPointer { lo in
                high.withUnsafeMutableBufferPointer { hi in
                    let (l, h) = (UncheckedSendable(lo.baseAddress!), UncheckedSendable(hi.baseAddress!))
                    Parallel.forEachChunk(count: blocks.z, minimumChunk: 1) { _, range in
                        for bz in range {
                            for z in (bz * blockSize)..<min(d.z, (bz + 1) * blockSize) {
                                for y in 0..<d.y {
                                    let row = (y / blockSize + blocks.y * bz) * blocks.x, start = d.x * (y + d.y * z)
                                    for x in 0..<d.x {
                                        let b = row + x / blockSize, value = min(rho[start + x], tissue)
                                        l.value[b] = min(l.value[b], value)
                                        h.value[b] = max(h.value[b], value)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let minimumDensity = low.min() ?? 1
        // Blocks to each side: the neighbourhood in voxels, rounded up to whole blocks.
        let spacing = geometry.spacingMM
        let radius = SIMD3((0..<3).map { Int((neighbourhoodMM / spacing[$0]).rounded(.up) + Double(blockSize - 1)) / blockSize })
        let stride = SIMD3(1, blocks.x, blocks.x * blocks.y)
        for axis in 0..<3 {
            low = extreme(low, axis: axis, radius: radius[axis], blocks: blocks, stride: stride[axis], combine: min)
            high = extreme(high, axis: axis, radius: radius[axis], blocks: blocks, stride: stride[axis], combine: max)
        }
        let mixed = (0..<blockCount).map { high[$0] > low[$0] * sameMatterRatio }
        guard mixed.contains(true) else { return ([], minimumDensity) }
        let slice = d.x * d.y
        var perChunk = [[Int32]](repeating: [], count: Parallel.chunks(count: d.z, minimumChunk: 1).count)
        activity.withUnsafeBufferPointer { a in
            perChunk.withUnsafeMutableBufferPointer { lists in
            let (source, found) = (UncheckedSendable(a), UncheckedSendable(lists.baseAddress!))
            Parallel.forEachChunk(count: d.z, minimumChunk: 1) { chunk, range in
                var list: [Int32] = []
                for z in range {
                    for y in 0..<d.y {
                        let row = (y / blockSize + blocks.y * (z / blockSize)) * blocks.x
                        for x in 0..<d.x where mixed[row + x / blockSize] {
                            let i = x + d.x * y + slice * z, value = source.value[i]
                            if value.isFinite && value != 0 { list.append(Int32(i)) }
                        }
                    }
                }
                found.value[chunk] = list
            }
            }
        }
        return (perChunk.flatMap { $0 }, minimumDensity)
    }

    /// The minimum or maximum over `radius` blocks to either side along one axis.
    private static func extreme(_ values: [Float], axis: Int, radius: Int, blocks: SIMD3<Int>, stride: Int,
                                combine: (Float, Float) -> Float) -> [Float] {
        guard radius > 0 else { return values }
        let length = blocks[axis]
        var out = values
        for n in values.indices {
            let position = (n / stride) % length
            var value = values[n]
            for k in max(0, position - radius)...min(length - 1, position + radius) { value = combine(value, values[n + (k - position) * stride]) }
            out[n] = value
        }
        return out
    }

    /// `count` unit vectors spread evenly over the sphere (the Fibonacci lattice).
    static func fibonacciSphere(_ count: Int) -> [SIMD3<Double>] {
        let golden = Double.pi * (3 - 5.0.squareRoot())
        return (0..<count).map { n in
            let z = 1 - (2 * Double(n) + 1) / Double(count)
            let radius = (1 - z * z).squareRoot(), angle = golden * Double(n)
            return SIMD3(radius * cos(angle), radius * sin(angle), z)
        }
    }
}

/// G(s) = ∫₀^s Φ₀(u)·u² du (mGy·mm³ per MBq·s) of the soft-tissue point kernel, tabulated every
/// 2 µm up to the reach and read linearly. Φ₀ is a sum of Gaussians a·exp(−u²/w²), so
/// G(s) = Σ a·(w³√π/4·erf(s/w) − w²/2·s·exp(−s²/w²)).
struct RadialIntegralTable {
    let values: [Double]
    let perMM: Double
    let reachMM: Double

    init(reachMM: Double, stepMM: Double = 0.002) {
        let count = Int((reachMM / stepMM).rounded(.up))
        self.reachMM = reachMM
        perMM = Double(count) / reachMM
        var values = (0...count).map { Self.exact(Double($0) / Double(count) * reachMM) }
        values.append(values[count])
        self.values = values
    }

    static func exact(_ s: Double) -> Double {
        y90DosePointKernelFit.reduce(0) { sum, term in
            let w = term.widthMM, x = s / w
            return sum + term.amplitude * (w * w * w * Double.pi.squareRoot() / 4 * erf(x) - w * w / 2 * s * exp(-x * x))
        }
    }

    /// G(s) for 0 ≤ s ≤ reach.
    @inline(__always) func value(at s: Double) -> Double {
        let x = s * perMM, k = Int(x)
        return values[k] + (x - Double(k)) * (values[k + 1] - values[k])
    }
}

/// The voxels a ray crosses from a point of its source voxel, with the length of each piece, for
/// `variants` sets of `rays` rays: ray r of a set leaves from its own point of the voxel (the
/// three-dimensional R-sequence) along direction r of a Fibonacci lattice of `rays` directions
/// (equal solid angles), the lattice turned by the set's own rotation; traced through the grid
/// (Amanatides & Woo 1987) for `lengthMM`. Start points and directions are thus both spread evenly,
/// and a source's rays average its dose over the voxel as well as over directions.
struct RayPaths {
    let rayCount: Int
    let variants: Int
    /// Per piece: the voxel step from the source, the flat index offset, the length (mm).
    private(set) var step: [SIMD3<Int>] = []
    private(set) var offset: [Int] = []
    private(set) var lengthMM: [Float] = []
    /// Ray r of variant v is pieces `starts[v * rayCount + r] ..< starts[v * rayCount + r + 1]`.
    private(set) var starts: [Int] = [0]
    /// The largest step along each axis.
    private(set) var reach = SIMD3<Int>(repeating: 0)

    init(rays: Int, variants: Int, spacingMM: SIMD3<Double>, lengthMM length: Double, dimensions d: SIMD3<Int>) {
        rayCount = rays
        self.variants = variants
        let directions = DensityPathKernel.fibonacciSphere(rays)
        for v in 0..<variants {
            let turn = Self.rotation(Self.sequence(v, seed: 0.25))
            for (r, direction) in directions.enumerated() {
                trace(from: Self.sequence(v * rays + r) - 0.5, direction: turn(direction), spacingMM: spacingMM, lengthMM: length, dimensions: d)
                starts.append(offset.count)
            }
        }
    }

    /// The radiological distances along a ray and the kernel integrals at them.
    struct RayState {
        var actual = 0.0, tissue = 0.0, gActual = 0.0, gTissue = 0.0
    }

    /// Calls `visit(j, length, state)` for every piece of every ray of `variant` from flat voxel
    /// `source` at `voxel`, in order along each ray, while `visit` returns true and (unless `inside`,
    /// the source far enough from every face) the piece is in the grid.
    @inline(__always)
    func walk(variant: Int, source: Int, voxel: SIMD3<Int>, inside: Bool, dimensions d: SIMD3<Int>,
              _ visit: (Int, Double, inout RayState) -> Bool) {
        starts.withUnsafeBufferPointer { starts in
            offset.withUnsafeBufferPointer { offset in
                lengthMM.withUnsafeBufferPointer { lengthMM in
                    for ray in (variant * rayCount)..<((variant + 1) * rayCount) {
                        var state = RayState()
                        for piece in starts[ray]..<starts[ray + 1] {
                            if !inside {
                                let at = voxel &+ step[piece]
                                if any(at .< .zero) || any(at .>= d) { break }
                            }
                            if !visit(source + offset[piece], Double(lengthMM[piece]), &state) { break }
                        }
                    }
                }
            }
        }
    }

    private mutating func trace(from start: SIMD3<Double>, direction u: SIMD3<Double>, spacingMM: SIMD3<Double>,
                                lengthMM length: Double, dimensions d: SIMD3<Int>) {
        var next = SIMD3<Double>(repeating: .infinity), delta = SIMD3<Double>(repeating: .infinity)
        var move = SIMD3<Int>(repeating: 0)
        for axis in 0..<3 where u[axis] != 0 {
            delta[axis] = spacingMM[axis] / abs(u[axis])
            next[axis] = delta[axis] * (u[axis] > 0 ? 0.5 - start[axis] : 0.5 + start[axis])
            move[axis] = u[axis] > 0 ? 1 : -1
        }
        var voxel = SIMD3<Int>(repeating: 0), travelled = 0.0
        while travelled < length {
            let axis = next.x < next.y ? (next.x < next.z ? 0 : 2) : (next.y < next.z ? 1 : 2)
            let end = min(next[axis], length)
            step.append(voxel)
            offset.append(voxel.x + d.x * (voxel.y + d.y * voxel.z))
            lengthMM.append(Float(end - travelled))
            reach = pointwiseMax(reach, SIMD3(abs(voxel.x), abs(voxel.y), abs(voxel.z)))
            travelled = end
            voxel[axis] += move[axis]
            next[axis] += delta[axis]
        }
    }

    /// Point n of the three-dimensional R-sequence (Roberts 2018): frac(seed + n·α), α_k = φ₃^−k
    /// with φ₃ the real root of x⁴ = x + 1 (1.2207…).
    static func sequence(_ n: Int, seed: Double = 0.5) -> SIMD3<Double> {
        let phi = 1.2207440846057596
        let alpha = SIMD3(1 / phi, 1 / (phi * phi), 1 / (phi * phi * phi))
        let x = seed + Double(n) * alpha
        return x - x.rounded(.down)
    }

    /// The rotation of the unit quaternion from three uniform numbers (Shoemake 1992).
    static func rotation(_ u: SIMD3<Double>) -> (SIMD3<Double>) -> SIMD3<Double> {
        let (a, b) = ((1 - u[0]).squareRoot(), u[0].squareRoot())
        let q = SIMD3(a * sin(2 * .pi * u[1]), a * cos(2 * .pi * u[1]), b * sin(2 * .pi * u[2]))
        let w = b * cos(2 * .pi * u[2])
        return { v in
            let t = 2 * cross(q, v)
            return v + w * t + cross(q, t)
        }
    }
}

private func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
