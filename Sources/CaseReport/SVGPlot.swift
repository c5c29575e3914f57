import Foundation

/// The report's two plots as inline SVG: the cumulative DVH and Dmean against T/BP. Coordinates
/// and text only; the numbers come in as they are.
public enum SVGPlot {
    /// One curve or point, named for the legend; `key` goes to `data-label`.
    public struct Series: Sendable {
        public var key: String
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(key: String, name: String, points: [(x: Double, y: Double)]) {
            self.key = key
            self.name = name
            self.points = points
        }
    }

    /// Okabe and Ito's colour-blind-safe palette (2008), black last; dashes tell apart curves
    /// that share a colour.
    static let palette = ["#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442", "#000000"]
    static let dashes = ["", "6 3", "2 2", "8 3 2 3"]

    /// The tick step, the smallest round number (1, 2, 2.5 or 5 × 10ⁿ) at or above `maximum` / 5
    /// (so at most five intervals), and the axis end: the first multiple of it at or above `maximum`.
    static func axis(_ maximum: Double) -> (end: Double, step: Double) {
        let step = LesionSlice.niceCeiling(max(maximum, 1e-9) / 5)
        return (max(step, (maximum / step - 1e-9).rounded(.up) * step), step)
    }

    /// The plotting area inside a `width` × `height` figure.
    struct Frame {
        let width = 640.0, height = 380.0, left = 64.0, right = 180.0, top = 16.0, bottom = 52.0
        let xMax: Double, yMax: Double, xStep: Double, yStep: Double
        init(x: Double, y: Double) {
            (xMax, xStep) = SVGPlot.axis(x)
            (yMax, yStep) = SVGPlot.axis(y)
        }
        func x(_ v: Double) -> Double { left + v / xMax * (width - left - right) }
        func y(_ v: Double) -> Double { height - bottom - v / yMax * (height - top - bottom) }
    }

    /// Cumulative DVH: volume (%) receiving at least each dose (Gy), one `<path data-label>` per
    /// series, from dose 0.
    public static func dvh(_ series: [Series]) -> String {
        let frame = Frame(x: series.flatMap { $0.points.map(\.x) }.max() ?? 1, y: 100)
        var svg = open(id: "dvh", frame, title: "Cumulative dose-volume histograms")
        svg += axes(frame, xTitle: "Dose (Gy)", yTitle: "Volume (%)")
        for (n, s) in series.enumerated() {
            let d = s.points.enumerated().map { i, p in (i == 0 ? "M" : "L") + "\(fmt(frame.x(p.x))),\(fmt(frame.y(p.y)))" }.joined(separator: " ")
            svg += "<path data-label=\"\(escape(s.key))\" d=\"\(d)\" fill=\"none\" stroke=\"\(colour(n, s.key))\" stroke-width=\"1.8\""
                + "\(dash(n, s.key))><title>\(escape(s.name))</title></path>\n"
        }
        svg += legend(series, frame)
        return svg + "</svg>\n"
    }

    /// Dmean (x) against T/BP (y), one `<circle data-label>` per lesion, the plan's cut-off lines and
    /// the four ARTE-MISO groups named in their quadrants.
    public static func scatter(_ points: [Series], doseCutoffGy: Double, tbpCutoff: Double) -> String {
        let xs = points.flatMap { $0.points.map(\.x) }, ys = points.flatMap { $0.points.map(\.y) }
        let frame = Frame(x: max(xs.max() ?? 0, doseCutoffGy) * 1.1, y: max(ys.max() ?? 0, tbpCutoff) * 1.1)
        var svg = open(id: "scatter", frame, title: "Mean dose against hypoxia (T/BP)")
        svg += axes(frame, xTitle: "Dmean (Gy)", yTitle: "T/BP")
        let (cx, cy) = (frame.x(doseCutoffGy), frame.y(tbpCutoff))
        svg += "<line data-cutoff=\"dose_gy\" x1=\"\(fmt(cx))\" y1=\"\(fmt(frame.y(0)))\" x2=\"\(fmt(cx))\" y2=\"\(fmt(frame.y(frame.yMax)))\" stroke=\"#555\" stroke-dasharray=\"5 4\"/>\n"
        svg += "<line data-cutoff=\"t_bp\" x1=\"\(fmt(frame.x(0)))\" y1=\"\(fmt(cy))\" x2=\"\(fmt(frame.x(frame.xMax)))\" y2=\"\(fmt(cy))\" stroke=\"#555\" stroke-dasharray=\"5 4\"/>\n"
        let quadrants = [("hypoxic, low dose", frame.x(0) + 6, frame.y(frame.yMax) + 14, "start"),
                         ("hypoxic, high dose", frame.x(frame.xMax) - 6, frame.y(frame.yMax) + 14, "end"),
                         ("non-hypoxic, low dose", frame.x(0) + 6, frame.y(0) - 8, "start"),
                         ("non-hypoxic, high dose", frame.x(frame.xMax) - 6, frame.y(0) - 8, "end")]
        for (text, x, y, anchor) in quadrants {
            svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" text-anchor=\"\(anchor)\" class=\"quadrant\">\(text)</text>\n"
        }
        svg += "<text x=\"\(fmt(cx + 4))\" y=\"\(fmt(frame.y(frame.yMax) + 28))\" class=\"cutoff\">\(fmt(doseCutoffGy)) Gy</text>\n"
        svg += "<text x=\"\(fmt(frame.x(frame.xMax) - 4))\" y=\"\(fmt(cy - 4))\" text-anchor=\"end\" class=\"cutoff\">T/BP \(fmt(tbpCutoff))</text>\n"
        for (n, s) in points.enumerated() {
            guard let p = s.points.first else { continue }
            svg += "<circle data-label=\"\(escape(s.key))\" cx=\"\(fmt(frame.x(p.x)))\" cy=\"\(fmt(frame.y(p.y)))\" r=\"5\" fill=\"\(colour(n, s.key))\" stroke=\"#000\" stroke-width=\"0.8\">"
                + "<title>\(escape(s.name)): \(fmt(p.x)) Gy, T/BP \(fmt(p.y))</title></circle>\n"
        }
        svg += legend(points, frame, markers: true)
        return svg + "</svg>\n"
    }

    // MARK: - Pieces

    static func open(id: String, _ f: Frame, title: String) -> String {
        "<svg id=\"\(id)\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(fmt(f.width)) \(fmt(f.height))\" role=\"img\" aria-label=\"\(escape(title))\">\n"
    }

    static func ticks(_ maximum: Double, step: Double) -> [Double] {
        (0...Int((maximum / step + 1e-9).rounded(.down))).map { Double($0) * step }
    }

    static func axes(_ f: Frame, xTitle: String, yTitle: String) -> String {
        var s = "<rect x=\"\(fmt(f.left))\" y=\"\(fmt(f.top))\" width=\"\(fmt(f.width - f.left - f.right))\" height=\"\(fmt(f.height - f.top - f.bottom))\" fill=\"none\" stroke=\"#333\"/>\n"
        for t in ticks(f.xMax, step: f.xStep) {
            s += "<line x1=\"\(fmt(f.x(t)))\" y1=\"\(fmt(f.y(0)))\" x2=\"\(fmt(f.x(t)))\" y2=\"\(fmt(f.y(0) + 5))\" stroke=\"#333\"/>"
                + "<text x=\"\(fmt(f.x(t)))\" y=\"\(fmt(f.y(0) + 18))\" text-anchor=\"middle\">\(fmt(t))</text>\n"
        }
        for t in ticks(f.yMax, step: f.yStep) {
            s += "<line x1=\"\(fmt(f.left - 5))\" y1=\"\(fmt(f.y(t)))\" x2=\"\(fmt(f.left))\" y2=\"\(fmt(f.y(t)))\" stroke=\"#333\"/>"
                + "<text x=\"\(fmt(f.left - 8))\" y=\"\(fmt(f.y(t) + 4))\" text-anchor=\"end\">\(fmt(t))</text>\n"
        }
        s += "<text x=\"\(fmt((f.left + f.width - f.right) / 2))\" y=\"\(fmt(f.height - 12))\" text-anchor=\"middle\" class=\"axis-title\">\(escape(xTitle))</text>\n"
        s += "<text transform=\"translate(16 \(fmt((f.top + f.height - f.bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis-title\">\(escape(yTitle))</text>\n"
        return s
    }

    static func legend(_ series: [Series], _ f: Frame, markers: Bool = false) -> String {
        var s = ""
        let x = f.width - f.right + 14
        for (n, item) in series.enumerated() {
            let y = f.top + 10 + Double(n) * 16
            guard y < f.height - 8 else {
                s += "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" class=\"legend\">… \(series.count - n) more</text>\n"
                break
            }
            if markers {
                s += "<circle cx=\"\(fmt(x + 9))\" cy=\"\(fmt(y - 4))\" r=\"4.5\" fill=\"\(colour(n, item.key))\" stroke=\"#000\" stroke-width=\"0.8\"/>"
            } else {
                s += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(y - 4))\" x2=\"\(fmt(x + 18))\" y2=\"\(fmt(y - 4))\" stroke=\"\(colour(n, item.key))\" stroke-width=\"2\"\(dash(n, item.key))/>"
            }
            s += "<text x=\"\(fmt(x + 24))\" y=\"\(fmt(y))\" class=\"legend\">\(escape(item.name))</text>\n"
        }
        return s
    }

    /// The normal liver is drawn in grey; lesions cycle through the palette.
    static func colour(_ n: Int, _ key: String) -> String { key == "normal_liver" ? "#888888" : palette[n % palette.count] }

    static func dash(_ n: Int, _ key: String) -> String {
        let pattern = key == "normal_liver" ? "4 3" : dashes[(n / palette.count) % dashes.count]
        return pattern.isEmpty ? "" : " stroke-dasharray=\"\(pattern)\""
    }

    /// A coordinate or tick as short text: at most 2 decimals, no trailing zeros.
    static func fmt(_ v: Double) -> String {
        var text = String(format: "%.2f", v)
        while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}

/// Text for HTML and SVG: &, <, > and quotes escaped.
func escape(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}
