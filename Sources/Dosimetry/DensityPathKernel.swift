import Foundation
import VoxelKernels

/// The change that lung (or any matter lighter than soft tissue) along the electrons' paths makes
/// to the 90Y dose `dvk` computes in soft tissue: `dose --method dvk-path` is the `dvk` map plus this.
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
/// equilibrium). Rays follow 10 mm of radiological path (all but 5·10⁻⁴ of the energy; the rest
/// stays where the convolution put it) and at most 60 mm of geometric path (below 0.17 g/mL the
/// rest is not followed).
public enum DensityPathKernel {
    /// Turned ray sets, cycled over the source voxels.
    static let variantCount = 16
    /// Radiological reach followed along a ray, mm of soft tissue: G(10 mm) is all but 5·10⁻⁴ of G(∞).
    static let reachMM = 10.0
    /// Sources within this distance of the other kind of matter are corrected, mm.
    static let neighbourhoodMM = 10.0
    /// Densities within this ratio count as one matter (fat 0.95, liver and muscle 1.05 g/mL).
    static let sameMatterRatio: Float = 1.2
    /// Longest geometric path followed, mm.
    static let longestPathMM = 60.0

    /// Adds the density correction to `dose` (Gy, the `dvk` map with the density map's
    /// voxel-by-voxel scaling) for the cumulated activity densities `values` × `cumulatedMBqSPerMLPerValue`
    /// (MBq·s per mL; non-finite voxels carry none) in matter of `densityGPerML` (finite, > 0).
    ///
    /// A source takes 32 rays, or fewer in proportion (16 or 8; each set still spans all directions
    /// and the whole voxel) when its activity is below the 90th percentile of the corrected sources'
    /// or, in tissue-like matter, when only part of its energy can reach light matter at its
    /// distance. Below 8 rays' worth, a source is followed with that probability (a fixed hash of
    /// its index) and counts for as many: unbiased, and cheap for the low-activity voxels of a lung.
    /// A ray in tissue-like matter deposits nothing until it meets lighter matter, and stops where
    /// light matter lies beyond the rest of its reach. Returns the number of sources traced.
    @discardableResult
    public static func addCorrection(to dose: inout [Float], values activity: [Float], cumulatedMBqSPerMLPerValue: Double,
                                     densityGPerML rho: [Float], geometry: GridGeometry) -> Int {
        precondition(dose.count == geometry.voxelCount && activity.count == dose.count && rho.count == dose.count)
        let spacing = geometry.spacingMM, finest = spacing.min()
        let neighbourhood = Int((neighbourhoodMM / finest).rounded(.up))
        let matter = MatterDistance(density: rho, dimensions: geometry.dimensions, capVoxels: Int((reachMM / finest).rounded(.up)) + 2)
        let sources = interfaceSources(activity: activity, density: rho, matter: matter, dimensions: geometry.dimensions, within: neighbourhood)
        guard !sources.isEmpty else { return 0 }
        let rho0 = Y90.kernelDensityGPerML
        let pathMM = min(longestPathMM, reachMM * rho0 / min(rho0, Double(matter.minimumDensity)))
        let tiers = rayTiers.map { RayPaths(rays: $0, variants: variantCount, spacingMM: spacing, lengthMM: pathMM, dimensions: geometry.dimensions) }
        let reach = tiers.reduce(SIMD3<Int>.zero) { pointwiseMax($0, $1.reach) }
        let table = RadialIntegralTable(reachMM: reachMM)
        let d = geometry.dimensions, slice = d.x * d.y
        let traced = plan(sources, activity: activity, density: rho, matter: matter, table: table, finestMM: finest, neighbourhood: neighbourhood)
        guard !traced.isEmpty else { return 0 }
        // Contiguous runs of equal ray counts, one per thread; each deposits into its own slab of
        // slices (its sources' z-range and the rays' reach). Fewer runs when the slabs together
        // would hold more than twice the volume (many threads, few slices).
        let costs = traced.map { rayTiers[Int($0.tier)] }
        var runs: [Range<Int>] = [], slabs: [Range<Int>] = []
        for count in stride(from: Parallel.threadCount, through: 1, by: -1) {
            runs = Self.runs(of: costs, count: count)
            slabs = runs.map { range -> Range<Int> in
                let z = traced[range].lazy.map { Int($0.index) / slice }
                return max(0, z.min()! - reach.z)..<min(d.z, z.max()! + reach.z + 1)
            }
            if slabs.reduce(0, { $0 + $1.count }) <= 2 * d.z { break }
        }
        var deposits = slabs.map { [Float](repeating: 0, count: $0.count * slice) }
        activity.withUnsafeBufferPointer { a in
            rho.withUnsafeBufferPointer { r in
                matter.toLight.withUnsafeBufferPointer { toLight in
                    table.values.withUnsafeBufferPointer { g in
                        let tracer = RayTracer(density: r, toLight: toLight, table: g, tablePerMM: table.perMM,
                                               blocks: matter.blocks, finestMM: finest, dimensions: d)
                        deposits.withUnsafeMutableBufferPointer { buffers in
                            let slabBuffers = UncheckedSendable(buffers.baseAddress!)
                            Parallel.forEachChunk(count: runs.count, minimumChunk: 1) { _, chunk in
                                for run in chunk {
                                    slabBuffers.value[run].withUnsafeMutableBufferPointer { slab in
                                        let out = slab.baseAddress! - slabs[run].lowerBound * slice
                                        for source in traced[runs[run]] {
                                            let i = Int(source.index), paths = tiers[Int(source.tier)]
                                            // ã·Ω·ρ₀·10⁻⁶: Gy per mGy·mm³/(MBq·s) of ΔG, before the target's density.
                                            let weight = Double(a[i]) * cumulatedMBqSPerMLPerValue * 4 * Double.pi / Double(paths.rayCount) * rho0 * 1e-6
                                                * Double(source.weight)
                                            tracer.trace(paths, variant: Int((UInt64(i) &* 0x9E37_79B9_7F4A_7C15) >> 58) % paths.variants, source: i,
                                                         voxel: SIMD3(i % d.x, (i / d.x) % d.y, i / slice), weight: weight, fromLight: source.fromLight,
                                                         into: out, within: (slabs[run].lowerBound * slice)..<(slabs[run].upperBound * slice))
                                        }
                                    }
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
        return traced.count
    }

    /// A source to trace: its flat index, ray tier, kind of matter and weight (1 / the probability
    /// it was drawn with).
    struct TracedSource {
        var index: Int32
        var tier: UInt8
        var fromLight: Bool
        var weight: Float
    }

    /// `count` contiguous ranges of `costs`' indices (fewer if there are fewer costs) whose sums are
    /// about equal: each cut falls before or after the cost that crosses the next equal share,
    /// whichever is nearer.
    static func runs(of costs: [Int], count: Int) -> [Range<Int>] {
        let total = costs.reduce(0, +)
        var ranges: [Range<Int>] = [], start = 0, sum = 0
        for (n, cost) in costs.enumerated() where ranges.count < count - 1 {
            let share = Double(total) * Double(ranges.count + 1) / Double(count)
            sum += cost
            guard Double(sum) >= share else { continue }
            let cutBefore = n > start && Double(sum) - share > share - Double(sum - cost)
            ranges.append(start..<(cutBefore ? n : n + 1))
            start = cutBefore ? n : n + 1
        }
        if start < costs.count { ranges.append(start..<costs.count) }
        return ranges
    }

    /// Which of `sources` are traced, with how many rays: ``rayTiers``' largest in proportion to
    /// the activity against the 90th percentile of the sources' and, for a tissue-like source, to
    /// the share of its energy that can reach light matter from its block distance. Below the
    /// fewest rays, a source is traced with probability wanted / fewest (a fixed hash of its index)
    /// and weighs as many sources: unbiased, and cheap for the many low-activity voxels of a lung.
    static func plan(_ sources: [Int32], activity: [Float], density: [Float], matter: MatterDistance, table: RadialIntegralTable,
                     finestMM: Double, neighbourhood: Int) -> [TracedSource] {
        let typical = typicalActivity(sources.map { abs(activity[Int($0)]) })
        let d = matter.dimensions
        // The share of a tissue-like source's energy that can reach light matter `voxels` away
        // (beyond the gap between the voxels).
        let reachable = (0...neighbourhood).map { voxels in
            1 - table.value(at: min(reachMM, Double(max(0, voxels - 1)) * finestMM)) / table.values.last!
        }
        var traced: [TracedSource] = []
        for index in sources {
            let i = Int(index), value = activity[i]
            let isLight = density[i] < matter.threshold
            let voxel = SIMD3(i % d.x, (i / d.x) % d.y, i / (d.x * d.y))
            let share = isLight ? 1 : reachable[min(neighbourhood, MatterDistance.voxelsAtLeast(matter.toLight[matter.block(voxel)]))]
            let wanted = Double(rayTiers.last!) * min(1, Double(abs(value) / typical)) * share
            let kept = min(1, wanted / Double(rayTiers[0]))
            if kept < 1 && Double((UInt64(i) &* 0xD6E8_FEB8_6659_FD93) >> 11) / Double(1 << 53) >= kept { continue }
            let tier = rayTiers.firstIndex { Double($0) >= wanted } ?? rayTiers.count - 1
            traced.append(TracedSource(index: index, tier: UInt8(tier), fromLight: isLight, weight: Float(1 / kept)))
        }
        return traced
    }

    /// Rays per source, by tier.
    static let rayTiers = [8, 16, 32]

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
        static let blockShift = 1
        static let blockSize = 1 << blockShift
        /// The voxel grid's dimensions, and the blocks'.
        let dimensions: SIMD3<Int>
        let blocks: SIMD3<Int>
        let threshold: Float
        let toLight: [UInt8]
        let toTissue: [UInt8]
        /// The smallest density, g/mL.
        let minimumDensity: Float

        init(density: [Float], dimensions d: SIMD3<Int>, capVoxels: Int) {
            let b = Self.blockSize
            let blocks = (d &+ (b - 1)) / b
            dimensions = d
            self.blocks = blocks
            let threshold = Float(Y90.kernelDensityGPerML) / sameMatterRatio
            self.threshold = threshold
            let count = blocks.x * blocks.y * blocks.z
            var hasLight = [Bool](repeating: false, count: count), hasTissue = hasLight
            var minimum = Float.infinity
            density.withUnsafeBufferPointer { rho in
                hasLight.withUnsafeMutableBufferPointer { light in
                    hasTissue.withUnsafeMutableBufferPointer { tissue in
                        let (l, t) = (UncheckedSendable(light.baseAddress!), UncheckedSendable(tissue.baseAddress!))
                        let chunks = Parallel.chunks(count: blocks.z, minimumChunk: 1)
                        var minima = [Float](repeating: .infinity, count: chunks.count)
                        minima.withUnsafeMutableBufferPointer { m in
                            let lowest = UncheckedSendable(m.baseAddress!)
                            Parallel.forEachChunk(count: blocks.z, minimumChunk: 1) { chunk, range in
                                var smallest = Float.infinity
                                for z in (range.lowerBound * b)..<min(d.z, range.upperBound * b) {
                                    for y in 0..<d.y {
                                        let row = blocks.x * (y / b + blocks.y * (z / b)), start = d.x * (y + d.y * z)
                                        for x in 0..<d.x {
                                            let value = rho[start + x]
                                            smallest = min(smallest, value)
                                            if value < threshold { l.value[row + x / b] = true } else { t.value[row + x / b] = true }
                                        }
                                    }
                                }
                                lowest.value[chunk] = smallest
                            }
                        }
                        minimum = minima.min() ?? .infinity
                    }
                }
            }
            minimumDensity = minimum
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

        /// Chessboard distance to the nearest seed, capped: rounds of D ← min(D, min₃ₓ₃ₓ₃(D) + 1),
        /// the 3×3×3 minimum as three 3-tap passes.
        static func distance(seeds: [Bool], dimensions d: SIMD3<Int>, cap: Int) -> [UInt8] {
            let limit = UInt8(min(cap, 254))
            var distance = seeds.map { $0 ? UInt8(0) : limit }
            guard seeds.contains(true) else { return distance }
            var eroded = distance, scratch = distance
            for _ in 0..<Int(limit) {
                eroded = distance
                for axis in 0..<3 {
                    eroded.withUnsafeBufferPointer { input in
                        scratch.withUnsafeMutableBufferPointer { output in minimumOfThree(input, into: output, dimensions: d, axis: axis) }
                    }
                    swap(&eroded, &scratch)
                }
                var changed = false
                distance.withUnsafeMutableBufferPointer { current in
                    eroded.withUnsafeBufferPointer { near in
                        for n in 0..<current.count {
                            let next = min(current[n], near[n] &+ 1)  // near ≤ 254: no wrap
                            changed = changed || next != current[n]
                            current[n] = next
                        }
                    }
                }
                if !changed { break }
            }
            return distance
        }

        /// output = the minimum of each element and its two neighbours along `axis` (one at the
        /// edges); rows in parallel.
        private static func minimumOfThree(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>,
                                           dimensions d: SIMD3<Int>, axis: Int) {
            let (source, target) = (UncheckedSendable(input.baseAddress!), UncheckedSendable(output.baseAddress!))
            Parallel.forEachChunk(count: d.y * d.z, minimumChunk: 64) { _, rows in
                let (a, b) = (source.value, target.value)
                for r in rows {
                    let (y, z) = (r % d.y, r / d.y), row = d.x * r
                    if axis == 0 {
                        b[row] = d.x > 1 ? min(a[row], a[row + 1]) : a[row]
                        if d.x > 1 { b[row + d.x - 1] = min(a[row + d.x - 2], a[row + d.x - 1]) }
                        if d.x > 2 { for x in 1..<(d.x - 1) { b[row + x] = min(a[row + x - 1], min(a[row + x], a[row + x + 1])) } }
                    } else {
                        let (position, length, stride) = axis == 1 ? (y, d.y, d.x) : (z, d.z, d.x * d.y)
                        let before = a + row - (position > 0 ? stride : 0), after = a + row + (position < length - 1 ? stride : 0)
                        for x in 0..<d.x { b[row + x] = min(before[x], min(a[row + x], after[x])) }
                    }
                }
            }
        }
    }

    /// The source voxels (finite, non-zero activity) that may lie within `voxels` of the other
    /// kind of matter (``MatterDistance``: tissue-like voxels near light ones, light ones near
    /// tissue-like ones; a superset by at most a block), tile by tile (16 × 16 × 8 voxels, the
    /// tiles in z, y, x order) so that neighbouring sources, whose rays cross the same voxels, are
    /// followed one after another.
    static func interfaceSources(activity: [Float], density: [Float], matter: MatterDistance, dimensions d: SIMD3<Int>, within voxels: Int) -> [Int32] {
        let tile = SIMD3(16, 16, 8)
        let tiles = (d &+ tile &- 1) / tile
        var perTileRow = [[Int32]](repeating: [], count: tiles.z)
        perTileRow.withUnsafeMutableBufferPointer { lists in
            let found = UncheckedSendable(lists.baseAddress!)
            Parallel.forEachChunk(count: tiles.z, minimumChunk: 1) { _, range in
                for tz in range {
                    var list: [Int32] = []
                    for ty in 0..<tiles.y {
                        for tx in 0..<tiles.x {
                            for z in (tz * tile.z)..<min(d.z, (tz + 1) * tile.z) {
                                for y in (ty * tile.y)..<min(d.y, (ty + 1) * tile.y) {
                                    let blockRow = matter.block(SIMD3(0, y, z))
                                    for x in (tx * tile.x)..<min(d.x, (tx + 1) * tile.x) {
                                        let i = x + d.x * (y + d.y * z), value = activity[i]
                                        guard value.isFinite && value != 0 else { continue }
                                        let b = blockRow + (x >> MatterDistance.blockShift)
                                        let near = density[i] < matter.threshold ? matter.toTissue[b] : matter.toLight[b]
                                        if MatterDistance.voxelsAtLeast(near) <= voxels { list.append(Int32(i)) }
                                    }
                                }
                            }
                        }
                    }
                    found.value[tz] = list
                }
            }
        }
        return perTileRow.flatMap { $0 }
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

    init(reachMM: Double, stepMM: Double = 0.002) {
        let count = Int((reachMM / stepMM).rounded(.up))
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

/// Follows one source's rays and deposits the correction: the inner loop of
/// ``DensityPathKernel/addCorrection(to:values:cumulatedMBqSPerMLPerValue:densityGPerML:geometry:)``, over raw
/// buffers the caller keeps alive.
struct RayTracer {
    let density: UnsafeBufferPointer<Float>
    /// ``DensityPathKernel/MatterDistance``'s block distances to light matter.
    let toLight: UnsafeBufferPointer<UInt8>
    /// G(s) every 1/`tablePerMM` mm (``RadialIntegralTable``).
    let table: UnsafeBufferPointer<Double>
    let tablePerMM: Double
    let blocks: SIMD3<Int>
    let finestMM: Double
    let dimensions: SIMD3<Int>
    let rho0 = Y90.kernelDensityGPerML
    let perRho0 = 1 / Y90.kernelDensityGPerML
    let reachMM = DensityPathKernel.reachMM

    @inline(__always) private func g(_ s: Double) -> Double {
        let x = s * tablePerMM, k = Int(x)
        return table[k] + (x - Double(k)) * (table[k + 1] - table[k])
    }

    /// Every ray of `variant` from flat voxel `source` (at `voxel`): first, from a tissue-like
    /// source, the pieces in matter at least as dense as soft tissue, where actual and soft-tissue
    /// paths are the same and nothing changes (the ray ends there when its reach runs out or light
    /// matter lies beyond it); then, piece by piece, the actual-matter minus the soft-tissue energy
    /// over the piece's mass, `weight`·ΔG/ρ, into `out[j]` (j always in `slab`).
    @inline(__always)
    func trace(_ paths: RayPaths, variant: Int, source: Int, voxel: SIMD3<Int>, weight: Double, fromLight: Bool,
               into out: UnsafeMutablePointer<Float>, within slab: Range<Int>) {
        let d = dimensions
        let inside = all(voxel .>= paths.reach) && all(voxel &+ paths.reach .< d)
        let tissue = Float(rho0)
        paths.step.withUnsafeBufferPointer { step in
            paths.offset.withUnsafeBufferPointer { offset in
                paths.lengthMM.withUnsafeBufferPointer { lengthMM in
                    paths.starts.withUnsafeBufferPointer { starts in
                        for ray in (variant * paths.rayCount)..<((variant + 1) * paths.rayCount) {
                            var piece = starts[ray]
                            let end = starts[ray + 1]
                            var s = 0.0
                            if !fromLight {
                                while piece < end {
                                    let at = voxel &+ step[piece]
                                    if !inside && (any(at .< .zero) || any(at .>= d)) { piece = end; break }
                                    if density[source + offset[piece]] < tissue { break }
                                    s = min(s + Double(lengthMM[piece]), reachMM)
                                    let shift = DensityPathKernel.MatterDistance.blockShift
                                    let block = (at.x >> shift) + blocks.x * ((at.y >> shift) + blocks.y * (at.z >> shift))
                                    if s >= reachMM || Double(DensityPathKernel.MatterDistance.voxelsAtLeast(toLight[block]) - 1) * finestMM >= reachMM - s {
                                        piece = end
                                        break
                                    }
                                    piece += 1
                                }
                            }
                            var (actual, soft) = (s, s)
                            var (gActual, gSoft) = (g(s), g(s))
                            while piece < end {
                                let at = voxel &+ step[piece]
                                if !inside && (any(at .< .zero) || any(at .>= d)) { break }
                                let j = source + offset[piece]
                                let rhoJ = Double(density[j]), length = Double(lengthMM[piece])
                                actual = min(actual + min(rhoJ, rho0) * perRho0 * length, reachMM)
                                let nextActual = g(actual)
                                var change = nextActual - gActual
                                gActual = nextActual
                                if soft < reachMM {  // past the reach the soft-tissue path deposits nothing more
                                    soft = min(soft + length, reachMM)
                                    let nextSoft = g(soft)
                                    change -= nextSoft - gSoft
                                    gSoft = nextSoft
                                } else if actual >= reachMM {
                                    break
                                }
                                assert(slab.contains(j), "voxel \(j) outside the slab \(slab)")
                                if change != 0 { out[j] += Float(weight * change / rhoJ) }
                                piece += 1
                            }
                        }
                    }
                }
            }
        }
    }
}

private func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
