import Foundation
import VoxelKernels

/// A map of a case (dose or SUV) with what a slice picture needs besides it.
public struct MapLayer: Sendable {
    public var map: ScalarVolume
    /// The label image the lesions were drawn on, on its own grid.
    public var labels: LabelLayer
    /// The anatomy (a CT or MRI) shown in grey under the map's colour wash; nil: the map itself
    /// in grey (the PET it was made from, scaled).
    public var background: ScalarVolume?
    /// Shown beside the colour bar: "Gy", "SUV".
    public var unit: String
    /// The grey window of every picture (``ctWindow(of:)`` for a CT); nil: each picture its own
    /// 1st–99th percentile.
    public var fixedWindow: (lower: Double, upper: Double)?

    public init(map: ScalarVolume, labels: LabelLayer, background: ScalarVolume?, unit: String,
                fixedWindow: (lower: Double, upper: Double)? = nil) {
        self.map = map
        self.labels = labels
        self.background = background
        self.unit = unit
        self.fixedWindow = fixedWindow
    }

    /// The soft-tissue window −160…240 HU when `background` is a CT (air, below −500 HU, anywhere
    /// in it); nil otherwise. One pass over the volume: decide it once per scan.
    public static func ctWindow(of background: ScalarVolume) -> (lower: Double, upper: Double)? {
        (background.voxels.min() ?? 0) < -500 ? (-160, 240) : nil
    }
}

/// Integer labels on their own grid, as codes (``LabelImage``), with each label's code and its
/// centre of mass, found in one pass over the voxels.
public struct LabelLayer: Sendable {
    public var geometry: GridGeometry
    public var codes: [Int32]
    public var codeOfLabel: [Int64: Int32]
    /// Per code: the sum of its voxels' indices (i, j, k) and their number.
    private var sums: [Int32: (SIMD3<Double>, Int)]

    public init(geometry: GridGeometry, codes: [Int32], labelOfCode: (Int32) -> Int64) {
        self.geometry = geometry
        self.codes = codes
        let d = geometry.dimensions
        var sums: [Int32: (SIMD3<Double>, Int)] = [:]
        codes.withUnsafeBufferPointer { all in
            var n = 0
            for k in 0..<d.z {
                for j in 0..<d.y {
                    var i = 0
                    while i < d.x {
                        let code = all[n]
                        guard code != 0 else { i += 1; n += 1; continue }
                        // A run of one code along the row: its index sum in closed form.
                        var end = i + 1
                        while end < d.x && all[n + end - i] == code { end += 1 }
                        let length = end - i
                        let run = SIMD3(Double(i + end - 1) * Double(length) / 2, Double(j * length), Double(k * length))
                        let previous = sums[code] ?? (.zero, 0)
                        sums[code] = (previous.0 + run, previous.1 + length)
                        n += length
                        i = end
                    }
                }
            }
        }
        self.sums = sums
        codeOfLabel = Dictionary(uniqueKeysWithValues: sums.keys.map { (labelOfCode($0), $0) })
    }

    /// The centre of mass of a label's voxels in world coordinates (mm) and its volume (mL);
    /// nil when the label has no voxel.
    public func centre(ofLabel label: Int64) -> (world: SIMD3<Double>, volumeML: Double)? {
        guard let code = codeOfLabel[label], let (sum, count) = sums[code], count > 0 else { return nil }
        return (geometry.affine.apply(sum / Double(count)), Double(count) * geometry.voxelVolumeML)
    }
}

/// An axial picture through a lesion: the map as a colour wash (inferno) over the anatomy in grey,
/// the lesion's outline, square, patient's right on the left and anterior at the top
/// (radiological convention). Pure rendering: the numbers come from the maps as they are.
public struct LesionSlice: Sendable {
    public var width: Int
    public var height: Int
    /// RGB, rows top to bottom.
    public var rgb: [UInt8]
    /// The top of the colour scale (the map's unit).
    public var scaleMax: Double
    /// Per pixel: inside the lesion (nearest voxel of its label image).
    public var inside: [Bool]
    /// Per pixel: the map's value (trilinear); NaN outside the map or next to a non-finite voxel.
    public var values: [Float]

    /// Colour of the lesion outline.
    public static let outline: (UInt8, UInt8, UInt8) = (0, 230, 255)

    /// Renders `size` × `size` pixels over a square field centred on the lesion's centre of mass:
    /// side max(60 mm, 3 × the diameter of a sphere of the lesion's volume).
    public static func render(_ layer: MapLayer, label: Int64, size: Int = 256) -> LesionSlice? {
        guard let (centre, volumeML) = layer.labels.centre(ofLabel: label), let code = layer.labels.codeOfLabel[label],
              let mapSampler = WorldSampler(layer.map.geometry), let labelSampler = WorldSampler(layer.labels.geometry) else { return nil }
        let diameterMM = 2 * pow(3 * volumeML * 1000 / (4 * Double.pi), 1.0 / 3)
        let side = max(60, 3 * diameterMM), pixelMM = side / Double(size)
        let backgroundSampler = layer.background.flatMap { WorldSampler($0.geometry) }
        let count = size * size
        // NaN marks a pixel outside a volume (or next to a non-finite voxel).
        var values = [Float](repeating: .nan, count: count), grey = values
        var inside = [Bool](repeating: false, count: count)
        // Radiological view from the feet: +x (patient's right) to the left, +y (anterior) up. The
        // pixel centres step linearly in each grid's index space, so each sampler gets the index
        // of the first pixel and the steps along a row and down a column.
        let corner = SIMD3(centre.x + side / 2 - 0.5 * pixelMM, centre.y + side / 2 - 0.5 * pixelMM, centre.z)
        func steps(_ sampler: WorldSampler) -> (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>) {
            let origin = sampler.index(corner)
            return (origin, sampler.index(corner - SIMD3(pixelMM, 0, 0)) - origin, sampler.index(corner - SIMD3(0, pixelMM, 0)) - origin)
        }
        let (mapOrigin, mapU, mapV) = steps(mapSampler), (labelOrigin, labelU, labelV) = steps(labelSampler)
        let backgroundSteps = backgroundSampler.map(steps)
        layer.map.voxels.withUnsafeBufferPointer { map in
            values.withUnsafeMutableBufferPointer {
                mapSampler.sampleLattice(map, origin: mapOrigin, stepU: mapU, stepV: mapV, width: size, height: size, into: $0)
            }
        }
        if let background = layer.background, let sampler = backgroundSampler, let (origin, stepU, stepV) = backgroundSteps {
            background.voxels.withUnsafeBufferPointer { voxels in
                grey.withUnsafeMutableBufferPointer {
                    sampler.sampleLattice(voxels, origin: origin, stepU: stepU, stepV: stepV, width: size, height: size, into: $0)
                }
            }
        } else {
            grey = values
        }
        layer.labels.codes.withUnsafeBufferPointer { codes in
            inside.withUnsafeMutableBufferPointer { inside in
                for v in 0..<size {
                    for u in 0..<size {
                        if let index = labelSampler.nearestIndex(atIndex: labelOrigin + Double(u) * labelU + Double(v) * labelV) {
                            inside[v * size + u] = codes[index] == code
                        }
                    }
                }
            }
        }
        // The colour scale's top: the 99.5th percentile of the map's pixels; the grey window: the
        // 1st–99th of the background's, taken in the same selection when the map is the background.
        var finiteValues = values.filter { !$0.isNaN }
        let window: (lower: Double, upper: Double), scaleMax: Double
        if layer.background == nil, layer.fixedWindow == nil {
            let p = percentiles(of: &finiteValues, [1, 99, 99.5])
            window = greyWindow(p.count == 3 ? (p[0], p[1]) : nil)
            scaleMax = niceCeiling(p.last ?? 1)
        } else {
            scaleMax = niceCeiling(percentiles(of: &finiteValues, [99.5]).first ?? 1)
            var finiteGrey = grey.filter { !$0.isNaN }
            let p = layer.fixedWindow == nil ? percentiles(of: &finiteGrey, [1, 99]) : []
            window = layer.fixedWindow ?? greyWindow(p.count == 2 ? (p[0], p[1]) : nil)
        }
        var rgb = [UInt8](repeating: 0, count: count * 3)
        let lower = Float(window.lower), greyScale = Float(255 / (window.upper - window.lower))
        let top = Float(scaleMax), washFrom = 0.05 * top, alpha: Float = 0.7
        rgb.withUnsafeMutableBufferPointer { rgb in
            values.withUnsafeBufferPointer { values in
                grey.withUnsafeBufferPointer { grey in
                    for n in 0..<count {
                        // Values in [0, 255]: truncation is ⌊x⌋, and ⌊x + ½⌋ rounds (no libm call per pixel).
                        let g = grey[n].isNaN ? 0 : Float(Int(max(0, min(255, (grey[n] - lower) * greyScale))))
                        var pixel = SIMD3<Float>(repeating: g)
                        let value = values[n]
                        if !value.isNaN && value >= washFrom {
                            let c = infernoColourMap[Int(max(0, min(255, value / top * 255)))]
                            pixel = alpha * SIMD3(Float(c.0), Float(c.1), Float(c.2)) + (1 - alpha) * pixel
                        }
                        rgb[3 * n] = UInt8(pixel.x + 0.5)
                        rgb[3 * n + 1] = UInt8(pixel.y + 0.5)
                        rgb[3 * n + 2] = UInt8(pixel.z + 0.5)
                    }
                }
            }
        }
        // The outline: lesion pixels with a 4-neighbour outside the lesion.
        for v in 0..<size {
            for u in 0..<size where inside[v * size + u] {
                let edge = u == 0 || v == 0 || u == size - 1 || v == size - 1 || !inside[v * size + u - 1] || !inside[v * size + u + 1]
                    || !inside[(v - 1) * size + u] || !inside[(v + 1) * size + u]
                if edge { (rgb[3 * (v * size + u)], rgb[3 * (v * size + u) + 1], rgb[3 * (v * size + u) + 2]) = outline }
            }
        }
        return LesionSlice(width: size, height: size, rgb: rgb, scaleMax: scaleMax, inside: inside, values: values)
    }

    /// A picture's own grey window from the 1st and 99th percentiles of its finite values (nil:
    /// none), at least one unit wide.
    static func greyWindow(_ p: (Double, Double)?) -> (lower: Double, upper: Double) {
        guard let p else { return (0, 1) }
        return p.1 > p.0 ? (p.0, p.1) : (p.0, p.0 + 1)
    }

    /// Percentiles (numpy's linear rule) by selection, not a full sort; `values` is reordered.
    static func percentiles(of values: inout [Float], _ qs: [Double]) -> [Double] {
        guard !values.isEmpty else { return [] }
        return values.withUnsafeMutableBufferPointer { buffer in OrderStatistics.percentiles(&buffer, qs) }
    }

    /// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `x` (a colour-bar top people can read).
    static func niceCeiling(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let power = pow(10, (log10(x)).rounded(.down))
        for step in [1, 2, 2.5, 5, 10] where step * power >= x * (1 - 1e-12) { return step * power }
        return 10 * power
    }
}
