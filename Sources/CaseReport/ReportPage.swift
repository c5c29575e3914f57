import Foundation

/// What the report shows, as typed values (``CaseFolder`` reads them from a case folder). The
/// page is a function of this alone: no file, no physics.
public struct ReportContent: Sendable {
    /// A value with its full-precision text (`data-value`, empty for null) and the text shown.
    public struct Cell: Sendable {
        public var key: String
        public var value: String
        public var text: String
        public init(key: String, value: String, text: String) {
            self.key = key
            self.value = value
            self.text = text
        }
    }

    public struct LesionRow: Sendable {
        public var label: Int
        public var cells: [Cell]
    }

    public struct Image: Sendable {
        public var png: [UInt8]
        public var scaleMax: Double
        public var unit: String
    }

    public struct Figure: Sendable {
        public var label: Int
        public var name: String
        public var dose: Image?
        public var suv: Image?
    }

    public var patientID: String
    /// Patient and treatment facts, in reading order.
    public var facts: [(String, String)]
    /// Column keys with their headings.
    public var columns: [(key: String, heading: String)]
    public var rows: [LesionRow]
    public var dvh: [SVGPlot.Series]
    /// The dose is the 99mTc-MAA SPECT/CT's prediction at the planned activity (no 90Y PET).
    public var predicted = false
    /// The dose needed carries the default model's range over its scenarios.
    public var doseNeededRanges = false
    public var scatter: [SVGPlot.Series]
    public var doseCutoffGy: Double
    public var tbpCutoff: Double
    public var figures: [Figure]
    /// The prescription's figures, nil without one; `planNotes` say why or what bound it.
    public var prescription: [Cell]?
    public var planNotes: [String]
    public var warnings: [String]
    public var version: String
    public var inputs: [(path: String, sha256: String, bytes: Int)]
    public var steps: [(name: String, argv: [String])]
    public var finishedAt: String
}

/// The report page: self-contained HTML (inline SVG, PNG as data URIs, no script, no external
/// resource), readable as served, printable on A4.
public enum ReportPage {
    public static func html(_ c: ReportContent) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>VoxDose report · \(escape(c.patientID))</title>
        <style>\(style)</style>
        </head>
        <body>
        <header><h1>VoxDose report · patient \(escape(c.patientID))</h1>
        <p class="sub">\(c.predicted ? "90Y radioembolization planning: doses predicted from the 99mTc-MAA SPECT/CT at the planned activity" : "90Y radioembolization dosimetry") · case finished \(escape(c.finishedAt)) · VoxDose \(escape(c.version))</p></header>

        """
        h += "<section id=\"patient\"><h2>Patient and treatment</h2>\n<dl>\n"
        for (term, value) in c.facts { h += "<dt>\(escape(term))</dt><dd>\(escape(value))</dd>\n" }
        h += "</dl>\n</section>\n"

        h += "<section id=\"lesion-table\"><h2>Lesions</h2>\n<table id=\"lesions\">\n<thead><tr><th>label</th>"
        for column in c.columns { h += "<th\(column.key == "name" || column.key == "group" ? " class=\"text\"" : "")>\(escape(column.heading))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        for row in c.rows {
            h += "<tr data-label=\"\(row.label)\"><td>\(row.label)</td>"
            for cell in row.cells {
                h += "<td data-key=\"\(escape(cell.key))\" data-value=\"\(escape(cell.value))\"\(cell.key == "name" || cell.key == "group" ? " class=\"text\"" : "")>\(escape(cell.text))</td>"
            }
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n<p class=\"note\">Dmean, D70 and V100 from the dose map; SUVmax and T/BP from the FMISO map; "
            + "hypoxic, group, expected response (95 % interval) and dose needed from the plan"
            + (c.doseNeededRanges ? "; the dose needed's range in brackets is its spread over the scenarios the ARTE-MISO abstract allows "
                + "(the built-in model: fit local data before prescribing from it)" : "") + ".</p>\n</section>\n"

        h += "<section id=\"plots\"><h2>Dose-volume histograms and dose × hypoxia</h2>\n<div class=\"plots\">\n"
        h += "<figure class=\"plot\">" + SVGPlot.dvh(c.dvh) + "<figcaption>\(c.predicted ? "Predicted cumulative" : "Cumulative") DVH of every lesion and the normal liver.</figcaption></figure>\n"
        h += "<figure class=\"plot\">" + SVGPlot.scatter(c.scatter, doseCutoffGy: c.doseCutoffGy, tbpCutoff: c.tbpCutoff)
            + "<figcaption>Dmean against T/BP with the plan's cut-offs (\(SVGPlot.fmt(c.doseCutoffGy)) Gy, T/BP \(SVGPlot.fmt(c.tbpCutoff))): "
            + "the four ARTE-MISO groups.</figcaption></figure>\n"
        h += "</div>\n</section>\n"

        h += "<section id=\"slices\"><h2>Lesion slices</h2>\n<p class=\"note\">Axial slices through each lesion's centre of mass, "
            + "patient's right on the left, anterior up; the map as a colour wash (inferno) over the anatomy, the lesion outlined in cyan.</p>\n"
            + "<div class=\"figures\">\n"
        for figure in c.figures {
            let row = c.rows.first { $0.label == figure.label }
            let summary = ["dose_mean_gy", "t_bp", "group"].compactMap { key in row?.cells.first { $0.key == key } }
                .map { ($0.key == "dose_mean_gy" ? "Dmean " + $0.text + " Gy" : $0.key == "t_bp" ? "T/BP " + $0.text : $0.text) }
            h += "<figure data-label=\"\(figure.label)\" class=\"lesion\"><figcaption>\(figure.label) · \(escape(figure.name))"
                + (summary.isEmpty ? "" : "<span class=\"facts\"> — \(escape(summary.joined(separator: " · ")))</span>") + "</figcaption>\n<div class=\"pair\">"
            for (kind, image) in [("dose", figure.dose), ("suv", figure.suv)] {
                guard let image else { continue }
                h += "<div class=\"panel\"><img data-kind=\"\(kind)\" width=\"256\" height=\"256\" alt=\"\(kind == "dose" ? "dose" : "FMISO SUV") of lesion \(figure.label)\" "
                    + "src=\"data:image/png;base64,\(Data(image.png).base64EncodedString())\">" + colourBar(image, id: "bar-\(figure.label)-\(kind)") + "</div>"
            }
            h += "</div></figure>\n"
        }
        h += "</div>\n</section>\n"

        h += "<section id=\"plan\"><h2>Plan</h2>\n"
        if let prescription = c.prescription {
            h += "<dl class=\"plan\">\n"
            for cell in prescription {
                h += "<dt>\(escape(planHeading(cell.key)))</dt><dd data-key=\"\(escape(cell.key))\" data-value=\"\(escape(cell.value))\">\(escape(cell.text))</dd>\n"
            }
            h += "</dl>\n"
        } else {
            h += "<p>No prescription (the plan had no lung shunt to bound it).</p>\n"
        }
        for note in c.planNotes { h += "<p class=\"note\">\(escape(note))</p>\n" }
        h += "</section>\n"

        h += "<section id=\"warnings\"><h2>Warnings</h2>\n"
        h += c.warnings.isEmpty ? "<p>None.</p>\n<ul></ul>\n" : "<ul>\n" + c.warnings.map { "<li>\(escape($0))</li>\n" }.joined() + "</ul>\n"
        h += "</section>\n"

        h += "<section id=\"provenance\"><h2>Provenance</h2>\n<p>VoxDose <span data-key=\"voxdose_version\">\(escape(c.version))</span>. Inputs:</p>\n"
            + "<table class=\"inputs\"><thead><tr><th class=\"text\">path</th><th>bytes</th><th class=\"text\">sha256</th></tr></thead><tbody>\n"
        for input in c.inputs {
            h += "<tr><td class=\"text\">\(escape(input.path))</td><td>\(input.bytes)</td><td class=\"hash\">\(escape(input.sha256))</td></tr>\n"
        }
        h += "</tbody></table>\n<p>Steps (each command line reruns from the study's folder to the same file):</p>\n<ol class=\"steps\">\n"
        for step in c.steps { h += "<li><b>\(escape(step.name))</b> <code>\(escape(step.argv.joined(separator: " ")))</code></li>\n" }
        h += "</ol>\n</section>\n</body>\n</html>\n"
        return h
    }

    static func planHeading(_ key: String) -> String {
        switch key {
        case "activity_gbq": return "Prescribed activity (GBq)"
        case "activity_max_gbq": return "Largest activity within the limits (GBq)"
        case "binding_constraint": return "Binding constraint"
        case "normal_liver_dose_gy": return "Normal-liver mean dose at it (Gy)"
        case "lung_dose_gy": return "Lung mean dose at it (Gy)"
        default: return key
        }
    }

    /// A vertical colour bar (inferno) with 0, half and the top of the scale in the map's unit.
    static func colourBar(_ image: ReportContent.Image, id: String) -> String {
        let stops = stride(from: 0, through: 255, by: 17).map { i -> String in
            let c = infernoColourMap[i]
            return "<stop offset=\"\(SVGPlot.fmt(Double(i) / 255))\" stop-color=\"rgb(\(c.0),\(c.1),\(c.2))\"/>"
        }.joined()
        var s = "<svg class=\"bar\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 256\" width=\"64\" height=\"256\">"
            + "<defs><linearGradient id=\"\(id)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\(stops)</linearGradient></defs>"
            + "<rect x=\"4\" y=\"8\" width=\"14\" height=\"232\" fill=\"url(#\(id))\" stroke=\"#333\"/>"
        for (fraction, value) in [(0.0, 0.0), (0.5, image.scaleMax / 2), (1.0, image.scaleMax)] {
            let y = 240 - fraction * 232
            s += "<line x1=\"18\" y1=\"\(SVGPlot.fmt(y))\" x2=\"22\" y2=\"\(SVGPlot.fmt(y))\" stroke=\"#333\"/>"
                + "<text x=\"24\" y=\"\(SVGPlot.fmt(y + 4))\">\(SVGPlot.fmt(value))</text>"
        }
        return s + "<text x=\"4\" y=\"254\" class=\"unit\">\(escape(image.unit))</text></svg>"
    }

    static let style = """
    body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#111;margin:24px auto;max-width:1180px;padding:0 16px}
    h1{font-size:22px;margin:0}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ccc;padding-bottom:3px}
    .sub{color:#555;margin:2px 0 0}.note{color:#555;font-size:12px}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#555}dd{margin:0}
    table{border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{padding:3px 8px;border-bottom:1px solid #e3e3e3;text-align:right}
    th{background:#f3f3f3;font-weight:600}td.text,th.text{text-align:left;white-space:nowrap}
    .plots{display:flex;flex-wrap:wrap;gap:16px}.plot{margin:0;flex:1 1 520px}.plot svg{width:100%;height:auto;font-size:12px}
    .axis-title{font-size:13px}.quadrant{fill:#666;font-size:12px;font-style:italic}.cutoff{fill:#444;font-size:11px}.legend{font-size:12px}
    figcaption{font-size:12px;color:#333;margin-top:4px}
    .figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(700px,1fr));gap:14px}
    figure.lesion{margin:0;border:1px solid #ddd;padding:8px;break-inside:avoid}figure.lesion figcaption{font-weight:600;margin:0 0 6px}.facts{font-weight:400;color:#444}
    .pair{display:flex;gap:10px;flex-wrap:wrap}.panel{display:flex;align-items:flex-start;gap:2px}.panel img{image-rendering:auto;border:1px solid #999}
    svg.bar{font-size:11px}.unit{font-weight:600}
    table.inputs td.hash{font-family:ui-monospace,monospace;font-size:11px;text-align:left}
    ol.steps code{font-size:11px;word-break:break-all}
    @page{size:A4;margin:14mm}
    @media print{body{margin:0;max-width:none;font-size:11px}.figures{grid-template-columns:1fr 1fr}.pair{flex-wrap:nowrap}figure.lesion{padding:4px}
    .panel img{width:42mm;height:42mm}svg.bar{height:42mm;width:11mm}.plot{flex:1 1 100%}section{break-inside:auto}h2{break-after:avoid}}
    """
}
