import Foundation
import Testing
@testable import CaseReport
import VoxelKernels

/// The report's small pieces, by hand: round axis ends, the colour-scale top, escaping, a plot's
/// coordinates, and a slice of a known volume.
@Suite struct ReportPieceTests {
    @Test func roundNumbers() {
        #expect(LesionSlice.niceCeiling(1.7) == 2 && LesionSlice.niceCeiling(2.1) == 2.5 && LesionSlice.niceCeiling(299.4) == 500)
        #expect(LesionSlice.niceCeiling(0.031) == 0.05 && LesionSlice.niceCeiling(100) == 100)
        // Step: the smallest round number ≥ maximum / 5 (at most five intervals); end: the first
        // multiple of it at or above the maximum.
        #expect(SVGPlot.axis(299.4) == (300, 100))
        #expect(SVGPlot.axis(100) == (100, 20))
        #expect(SVGPlot.axis(2.75 * 1.1) == (4, 1))
        #expect(SVGPlot.axis(183) == (200, 50))
        #expect(SVGPlot.ticks(300, step: 50) == [0, 50, 100, 150, 200, 250, 300])
    }

    @Test func escapingAndNumbers() {
        #expect(escape(#"<a href="x">&'"#) == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(SVGPlot.fmt(12.0) == "12" && SVGPlot.fmt(12.345) == "12.35" && SVGPlot.fmt(-0.001) == "0")
    }

    /// A DVH curve from (0, 100 %) to (300 Gy, 0 %) spans the plot frame: left 64, right 640 − 180,
    /// bottom 380 − 52, top 16.
    @Test func dvhCoordinates() {
        let svg = SVGPlot.dvh([SVGPlot.Series(key: "2", name: "lesion", points: [(0, 100), (150, 50), (300, 0)])])
        #expect(svg.contains(#"<path data-label="2" d="M64,16 L262,172 L460,328""#), "\(svg)")
    }

    /// A ball of 10 in a volume of 1 (4 mm voxels): the slice through its centre shows it inside
    /// the outline, 1 outside, with the right orientation (patient's right, +x, on the left).
    @Test func sliceOfAKnownVolume() throws {
        let dims = SIMD3(32, 32, 16), spacing = SIMD3(4.0, 4.0, 4.0)
        let geometry = GridGeometry(dimensions: dims, spacingMM: spacing, affine: .scaling(spacing))
        var values = [Float](repeating: 1, count: geometry.voxelCount), codes = [Int32](repeating: 0, count: geometry.voxelCount)
        for k in 0..<16 { for j in 0..<32 { for i in 0..<32 {
            let d = SIMD3(Double(i) - 20, Double(j) - 12, Double(k) - 8)
            if (d * d).sum() <= 9 { values[i + 32 * (j + 32 * k)] = 10; codes[i + 32 * (j + 32 * k)] = 1 }
        } } }
        let layer = MapLayer(map: ScalarVolume(geometry: geometry, voxels: values),
                             labels: LabelLayer(geometry: geometry, codes: codes, labelOfCode: { Int64($0) }), background: nil, unit: "Gy")
        let centre = try #require(layer.labels.centre(ofLabel: 1))
        #expect(centre.world == SIMD3(80, 48, 32))
        let slice = try #require(LesionSlice.render(layer, label: 1, size: 64))
        #expect(slice.width == 64 && slice.rgb.count == 64 * 64 * 3 && slice.scaleMax == 10)
        // The centre pixel is in the lesion and reads 10; a corner reads the background 1.
        #expect(slice.inside[32 * 64 + 32] && slice.values[32 * 64 + 32] == 10)
        #expect(!slice.inside[0] && slice.values[0] == 1)
        // Radiological orientation: the pixel at column u sits at x = centre + side/2 − (u + ½)·pixel.
        let side = 60.0, pixel = side / 64
        let u = 40, x = 80 + side / 2 - (Double(u) + 0.5) * pixel
        #expect(slice.inside[32 * 64 + u] == (abs(x - 80) <= 12))
    }
}
