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
/// source near other matter, rays of equal solid angle Ω = 4π/N, each from its own point of the
/// source voxel, deposit voxel by voxel the actual-matter energy minus the soft-tissue energy (the
/// same pieces, s taken both ways), divided by the voxel's mass:
///
///     ΔD_j = Σ_sources ã_i · Ω · (ρ₀ / ρ_j) · Σ_rays [ΔG(actual) − ΔG(tissue)]_j · 10⁻⁶   (Gy)
///
/// with ã_i in MBq·s per mL. In soft tissue the two agree piece by piece and the correction is 0;
/// summed over the volume it is 0 too (energy conserved: the convolution's near field, integrated
/// over whole voxels, stays; the rays only move energy across the change of matter).
///
/// Which matter counts: voxels are light (density below ρ₀/1.2: lung, air) or tissue-like. Only
/// light matter lengthens the path's range; in denser matter (bone) the path density is taken as
/// soft tissue's, so bone keeps `dvk`'s mass-scaled dose — against Monte Carlo that is within
/// 2–10 % at a bone interface, where density-scaling the range (the theorem assumes one atomic
/// composition) overestimates it by 4–5 %. Sources farther than 10 mm of tissue (all but 5·10⁻⁴
/// of the kernel's energy) from the other kind of matter keep the convolution alone: in uniform
/// matter the dose of a smooth activity is the local one, whatever the range (charged-particle
/// equilibrium). Rays follow 12 mm of radiological path (all but 2·10⁻⁵ of the energy) and at most
/// 60 mm of geometric path (below 0.2 g/mL the rest is not followed).
public enum DensityPathKernel {
    /// Turned ray sets, cycled over the source voxels.
    static let variantCount = 16
    /// Radiological reach followed along a ray, mm of soft tissue: G(12 mm) is all but 2·10⁻⁵ of G(∞).
    static let reachMM = 12.0
    /// Sources within this distance of the other kind of matter are corrected, mm.
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
    /// A source takes 64 rays, or fewer in proportion (at least 8; each set still spans all
    /// directions and the whole voxel, so each source stays unbiased) when its activity is below
    /// the 90th percentile of the corrected sources' or, in tissue-like matter, when only part of
    /// its energy can reach light matter at its distance. A ray in tissue-like matter stops where
    /// light matter lies beyond the rest of its reach.
    @discardableResult
    public static func addCorrection(to dose: inout [Float], cumulatedMBqSPerML activity: [Float], densityGPerML rho: [Float],
                                     geometry: GridGeometry) -> Int {
        precondition(dose.count == geometry.voxelCount && activity.count == dose.count && rho.count == dose.count)
        let spacing = geometry.spacingMM, finest = spacing.min()
        let neighbourhood = Int((neighbourhoodMM / finest).rounded(.up))
        let matter = MatterDistance(density: rho, dimensions: geometry.dimensions, capVoxels: Int((reachMM / finest).rounded(.up)) + 2)
        let sources = interfaceSources(activity: activity, density: rho, matter: matter, dimensions: geometry.dimensions, within: neighbourhood)
        guard !sources.isEmpty else { return 0 }
        let rho0 = Y90.kernelDensityGPerML
        let minimumDensity = Double(rho.min() ?? Float(rho0))
        let pathMM = min(longestPathMM, reachMM * rho0 / min(rho0, minimumDensity))
        let tiers = rayTiers.map { RayPaths(rays: $0, variants: variantCount, spacingMM: spacing, lengthMM: pathMM, dimensions: geometry.dimensions) }
        let reach = tiers.reduce(SIMD3<Int>.zero) { pointwiseMax($0, $1.reach) }
        let table = RadialIntegralTable(reachMM: reachMM)
        let typical = typicalActivity(sources.map { abs(activity[Int($0)]) })
        let d = geometry.dimensions, slice = d.x * d.y
        /// The share of a tissue-like source's energy that can reach light matter `voxels` away
        /// (beyond the gap between the voxels), relative to all of it.
        let reachable = (0...neighbourhood).map { voxels in
            1 - table.value(at: min(reachMM, Double(max(0, voxels - 1)) * finest)) / table.values.last!
        }
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
                                let voxel = SIMD3(i % d.x, (i / d.x) % d.y, i / slice)
                                let isLight = density.value[i] < matter.threshold
                                let share = Float(isLight ? 1 : reachable[min(neighbourhood, MatterDistance.voxelsAtLeast(matter.toLight[matter.block(voxel)]))])
                                let wanted = Float(rayTiers.last!) * min(1, abs(value) / typical) * share
                                let tier = tiers.firstIndex { Float($0.rayCount) >= wanted } ?? tiers.count - 1
                                let paths = tiers[tier]
                                let variant = Int((UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >> 58) % paths.variants
                                let inside = all(voxel .>= paths.reach) && all(voxel &+ paths.reach .< d)
                                // Gy per mGy·mm³/(MBq·s) of ΔG, before the target's density: ã·Ω·ρ₀·10⁻⁶.
                                let weight = Double(value) * 4 * Double.pi / Double(paths.rayCount) * rho0 * 1e-6
                                paths.walk(variant: variant, source: i, voxel: voxel, inside: inside, dimensions: d) { j, at, length, state in
                                    let rhoJ = Double(density.value[j])
                                    state.actual = min(state.actual + min(rhoJ, rho0) / rho0 * length, reachMM)
                                    state.tissue = min(state.tissue + length, reachMM)
                                    let (gActual, gTissue) = (table.value(at: state.actual), table.value(at: state.tissue))
                                    let change = (gActual - state.gActual) - (gTissue - state.gTissue)
                                    if change != 0 { out[j - base] += Float(weight * change / rhoJ) }
                                    (state.gActual, state.gTissue) = (gActual, gTissue)
                                    // Still in tissue-like matter with light matter beyond the rest of the reach: nothing more changes.
                                    if !isLight && state.actual == state.tissue
                                        && Double(MatterDistance.voxelsAtLeast(matter.toLight[matter.block(at)]) - 1) * finest >= reachMM - state.tissue { return false }
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

    /// Where the matter changes, per block of 2³ voxels: each voxel is light (a density below soft
    /// tissue's by more than ``sameMatterRatio``: lung, air) or tissue-like (soft tissue, and bone,
    /// whose path density is taken as soft tissue's); for every block the chessboard distance, in
    /// blocks and capped, to the nearest block holding a light voxel and to the nearest holding a
    /// tissue-like one. A voxel in a block at distance D ≥ 1 is at least (D − 1)·2 + 1 voxels from
    /// the nearest voxel of that kind (``voxelsAtLeast``).
    struct MatterDistance {
        static let blockSize = 2
        let blocks: SIMD3<Int>
        let threshold: Float
        let toLight: [UInt8]
        let toTissue: [UInt8]

        init(density: [Float], dimensions d: SIMD3<Int>, capVoxels: Int) {
            let b = Self.blockSize
            blocks = (d &+ (b - 1)) / b
            threshold = Float(Y90.kernelDensityGPerML) / sameMatterRatio
            var hasLight = [Bool](repeating: false, count: blocks.x * blocks.y * blocks.z), hasTissue = hasLight
            for z in 0..<d.z {
                for y in 0..<d.y {
                    let row = blocks.x * (y / b + blocks.y * (z / b)), start = d.x * (y + d.y * z)
                    for x in 0..<d.x {
                        if density[start + x] < threshold { hasLight[row + x / b] = true } else { hasTissue[row + x / b] = true }
                    }
                }
            }
            let cap = capVoxels / b + 2
            toLight = Self.distance(seeds: hasLight, dimensions: blocks, cap: cap)
            toTissue = Self.distance(seeds: hasTissue, dimensions: blocks, cap: cap)
        }

        @inline(__always) func block(_ voxel: SIMD3<Int>) -> Int {
            voxel.x / Self.blockSize + blocks.x * (voxel.y / Self.blockSize + blocks.y * (voxel.z / Self.blockSize))
        }

        /// The fewest voxels between a voxel of a block at block distance `blockDistance` and the
        /// nearest voxel of the kind.
        @inline(__always) static func voxelsAtLeast(_ blockDistance: UInt8) -> Int {
            blockDistance == 0 ? 0 : (Int(blockDistance) - 1) * blockSize + 1
        }

        /// Chessboard distance to the nearest seed, capped: rounds of D ← min(D, min₃ₓ₃ₓ₃(D) + 1).
        static func distance(seeds: [Bool], dimensions d: SIMD3<Int>, cap: Int) -> [UInt8] {
            let limit = UInt8(min(cap, 254))
            var distance = seeds.map { $0 ? UInt8(0) : limit }
            guard seeds.contains(true) else { return distance }
            for round in 0..<Int(limit) {
                var next = distance
                for z in 0..<d.z {
                    for y in 0..<d.y {
                        for x in 0..<d.x where distance[x + d.x * (y + d.y * z)] == limit {
                            var nearest = limit
                            for k in max(0, z - 1)...min(d.z - 1, z + 1) {
                                for j in max(0, y - 1)...min(d.y - 1, y + 1) {
                                    for i in max(0, x - 1)...min(d.x - 1, x + 1) { nearest = min(nearest, distance[i + d.x * (j + d.y * k)]) }
                                }
                            }
                            if Int(nearest) == round { next[x + d.x * (y + d.y * z)] = nearest + 1 }
                        }
                    }
                }
                if next == distance { break }
                distance = next
            }
            return distance
        }
    }

    /// The source voxels (finite, non-zero activity) that may lie within `voxels` of the other
    /// kind of matter (``MatterDistance``: tissue-like voxels near light ones, light ones near
    /// tissue-like ones; a superset by at most a block), ascending.
    static func interfaceSources(activity: [Float], density: [Float], matter: MatterDistance, dimensions d: SIMD3<Int>, within voxels: Int) -> [Int32] {
        var sources: [Int32] = []
        for z in 0..<d.z {
            for y in 0..<d.y {
                for x in 0..<d.x {
                    let i = x + d.x * (y + d.y * z), value = activity[i]
                    guard value.isFinite && value != 0 else { continue }
                    let b = matter.block(SIMD3(x, y, z))
                    let near = density[i] < matter.threshold ? matter.toTissue[b] : matter.toLight[b]
                    if MatterDistance.voxelsAtLeast(near) <= voxels { sources.append(Int32(i)) }
                }
            }
        }
        return sources
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

    /// Calls `visit(j, voxel j, length, state)` for every piece of every ray of `variant` from flat voxel
    /// `source` at `voxel`, in order along each ray, while `visit` returns true and (unless `inside`,
    /// the source far enough from every face) the piece is in the grid.
    @inline(__always)
    func walk(variant: Int, source: Int, voxel: SIMD3<Int>, inside: Bool, dimensions d: SIMD3<Int>,
              _ visit: (Int, SIMD3<Int>, Double, inout RayState) -> Bool) {
        starts.withUnsafeBufferPointer { starts in
            offset.withUnsafeBufferPointer { offset in
                lengthMM.withUnsafeBufferPointer { lengthMM in
                    for ray in (variant * rayCount)..<((variant + 1) * rayCount) {
                        var state = RayState()
                        for piece in starts[ray]..<starts[ray + 1] {
                            let at = voxel &+ step[piece]
                            if !inside && (any(at .< .zero) || any(at .>= d)) { break }
                            if !visit(source + offset[piece], at, Double(lengthMM[piece]), &state) { break }
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
