import CaseReport
import Foundation
import Testing
import TestSupport

/// `voxdose report` (CONTRACT.md Part 2) on the example patient's case: the fixed hooks against
/// the case's JSON, the plots' geometry, the slices decoded through libpng, and the page in
/// headless Chromium.
@Suite struct ReportTests {
    var out: URL { CaseTests.exampleRun.folder }

    func page() throws -> String {
        try #require(CaseTests.exampleRun.result.status == 0, "\(CaseTests.exampleRun.result.stderr)")
        return try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    }

    func json(_ name: String) throws -> [String: Any] {
        try #require(try exactJSONObject(Data(contentsOf: out.appendingPathComponent(name))) as? [String: Any])
    }

    /// The text between `<tag … id="ID"` and its closing tag (no nesting of the same tag inside).
    func element(_ html: String, _ tag: String, id: String) throws -> String {
        let start = try #require(html.range(of: "<\(tag) id=\"\(id)\""))
        let end = try #require(html.range(of: "</\(tag)>", range: start.upperBound..<html.endIndex))
        return String(html[start.lowerBound..<end.upperBound])
    }

    func attributes(_ text: String, _ pattern: Regex<(Substring, Substring, Substring)>) -> [(String, String)] {
        text.matches(of: pattern).map { (String($0.1), String($0.2)) }
    }

    @Test func selfContainedAndPrintable() throws {
        let html = try page()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<meta charset=\"utf-8\">"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"))
        for match in html.matches(of: #/src="([^"]*)"/#) { #expect(match.1.hasPrefix("data:image/png;base64,"), "\(match.1.prefix(40))") }
        for match in html.matches(of: #/url\(([^)]*)\)/#) { #expect(match.1.hasPrefix("#"), "\(match.1)") }
        #expect(html.contains("@page{size:A4") && html.contains("@media print"))
    }

    /// One row per lesion of lesions.json in its order; every data-value equals the JSON value
    /// (the plan's for hypoxic, group, expected_response, dose_needed_gy).
    @Test func lesionTableHooksEqualTheCaseJSON() throws {
        let table = try element(try page(), "table", id: "lesions")
        let lesions = try #require(try json("lesions.json")["lesions"] as? [[String: Any]])
        let plan = try #require(try json("plan.json")["lesions"] as? [[String: Any]])
        let rows = table.matches(of: #/<tr data-label="(\d+)">(.*?)</tr>/#)
        #expect(rows.map { Int($0.1) } == lesions.map { $0["label"] as? Int })
        for (row, lesion) in zip(rows, lesions) {
            let planRow = plan.first { $0["label"] as? Int == lesion["label"] as? Int } ?? [:]
            let expected: [String: Any?] = [
                "name": lesion["name"], "volume_ml": lesion["volume_ml"], "dose_mean_gy": (lesion["dose"] as? [String: Any])?["mean_gy"],
                "dose_d_70": ((lesion["dose"] as? [String: Any])?["d"] as? [String: Any])?["70"],
                "dose_v_pct_100": ((lesion["dose"] as? [String: Any])?["v_pct"] as? [String: Any])?["100"],
                "suv_max": (lesion["suv"] as? [String: Any])?["max"], "t_bp": lesion["t_bp"], "hypoxic": planRow["hypoxic"],
                "group": planRow["group"], "expected_response": planRow["expected_response"], "dose_needed_gy": planRow["dose_needed_gy"],
            ]
            let cells = attributes(String(row.2), #/data-key="([^"]*)" data-value="([^"]*)"/#)
            #expect(Set(cells.map(\.0)) == Set(expected.keys))
            for (key, value) in cells {
                let wanted = expected[key] ?? nil
                if wanted == nil || wanted is NSNull { #expect(value == "", "lesion \(row.1) \(key) should be null") }
                else if key == "hypoxic" { #expect(value == ((wanted as? Bool) == true ? "true" : "false"), "lesion \(row.1) hypoxic") }
                else if let text = wanted as? String { #expect(value == text, "lesion \(row.1) \(key)") }
                else if let number = wanted as? NSNumber { #expect(Double(value) == number.doubleValue, "lesion \(row.1) \(key): \(value) vs \(number)") }
            }
        }
    }

    /// One DVH path per lesion and the normal liver, from dose 0, dose rising and volume falling
    /// along it; one scatter point per lesion on the right side of both cut-off lines.
    @Test func plotsAreGeometricallyRight() throws {
        let html = try page()
        let dvh = try element(html, "svg", id: "dvh")
        let paths = dvh.matches(of: #/<path data-label="([^"]+)" d="([^"]+)"/#)
        #expect(paths.map { String($0.1) } == ["2", "3", "4", "5", "6", "normal_liver"])
        for path in paths {
            let points = path.2.split(separator: " ").map { $0.dropFirst().split(separator: ",").compactMap { Double($0) } }
            #expect(points.first?.first == 64, "curve \(path.1) starts at dose 0 (the axis)")
            for (a, b) in zip(points, points.dropFirst()) {
                #expect(b[0] >= a[0] && b[1] >= a[1], "curve \(path.1): dose rises and volume falls (SVG y grows downwards)")
            }
        }
        #expect(dvh.contains(">Dose (Gy)<") && dvh.contains(">Volume (%)<"))
        let scatter = try element(html, "svg", id: "scatter")
        let doseLine = try #require(scatter.firstMatch(of: #/data-cutoff="dose_gy" x1="([\d.]+)"/#)).1
        let tbpLine = try #require(scatter.firstMatch(of: #/data-cutoff="t_bp" x1="[\d.]+" y1="([\d.]+)"/#)).1
        let lesions = try #require(try json("plan.json")["lesions"] as? [[String: Any]])
        let circles = scatter.matches(of: #/<circle data-label="(\d+)" cx="([\d.]+)" cy="([\d.]+)"/#)
        #expect(circles.count == lesions.count)
        for circle in circles {
            let lesion = try #require(lesions.first { $0["label"] as? Int == Int(circle.1) })
            let high = (lesion["dose_mean_gy"] as? Double ?? 0) > 89, hypoxic = (lesion["t_bp"] as? Double ?? 0) > 1.29
            #expect((Double(circle.2)! > Double(doseLine)!) == high, "lesion \(circle.1) left or right of 89 Gy")
            #expect((Double(circle.3)! < Double(tbpLine)!) == hypoxic, "lesion \(circle.1) above or below T/BP 1.29")
        }
    }

    /// Every lesion has its dose and SUV pictures: PNGs libpng decodes at 256 px; plan, warnings
    /// and provenance hooks hold the case's figures.
    @Test func figuresPlanWarningsProvenance() throws {
        let html = try page()
        let figures = html.matches(of: #/<figure data-label="(\d+)" class="lesion">(.*?)</figure>/#.dotMatchesNewlines())
        #expect(figures.map { Int($0.1) } == [2, 3, 4, 5, 6])
        for figure in figures {
            let images = figure.2.matches(of: #/<img data-kind="(\w+)"[^>]*src="data:image/png;base64,([^"]+)"/#)
            #expect(images.map { String($0.1) } == ["dose", "suv"])
            for image in images {
                let png = try #require(Data(base64Encoded: String(image.2)))
                let decoded = try #require(PNGImage.decodeRGB([UInt8](png)))
                #expect(decoded.width >= 256 && decoded.height >= 256)
            }
        }
        let plan = try element(html, "section", id: "plan")
        let prescription = try #require(try json("plan.json")["prescription"] as? [String: Any])
        for (key, value) in attributes(plan, #/data-key="([^"]*)" data-value="([^"]*)"/#) {
            if let number = prescription[key] as? Double { #expect(Double(value) == number, "\(key)") } else { #expect(value == prescription[key] as? String) }
        }
        let warnings = try element(html, "section", id: "warnings")
        let record = try json("case.json")
        #expect(warnings.matches(of: #/<li>/#).count == (record["warnings"] as? [String])?.count)
        let provenance = try element(html, "section", id: "provenance")
        for input in record["inputs"] as? [[String: Any]] ?? [] {
            #expect(provenance.contains(input["path"] as? String ?? "?") && provenance.contains(input["sha256"] as? String ?? "?"))
        }
    }

    /// The pictures themselves: the hot lesions' hottest pixel lies inside their outline.
    @Test func hotSpotsLieInsideTheirOutlines() throws {
        _ = try page()
        let content = try CaseFolder.content(out.path)
        #expect(content.figures.count == 5)
        let study = packageRoot.appendingPathComponent("\(CaseTests.patient)/")
        let layer = MapLayer(map: try CaseFolder.readVolume(out.appendingPathComponent("dose.nii.gz").path),
                             labels: try CaseFolder.readLabels(study.appendingPathComponent("mri_labels.nii.gz").path),
                             background: nil, unit: "Gy")
        for label: Int64 in [2, 3, 6] {
            let slice = try #require(LesionSlice.render(layer, label: label))
            let hottest = try #require(slice.values.indices.max { (slice.values[$0].isNaN ? -.infinity : slice.values[$0]) < (slice.values[$1].isNaN ? -.infinity : slice.values[$1]) })
            #expect(slice.inside[hottest], "lesion \(label): the hottest pixel is outside the outline")
            let png = try PNGImage.encodeRGB(slice.rgb, width: slice.width, height: slice.height)
            let decoded = try #require(PNGImage.decodeRGB(png))
            #expect(decoded.pixels == slice.rgb, "libpng round trip")
        }
    }

    @Test func notACompleteCaseIsRefused() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = CLITests.voxdose(["report", folder.path])
        #expect(empty.status == 1 && empty.stderr.hasPrefix("error: ") && empty.stderr.contains("case.json"), "\(empty.stderr)")
        // A copy of the case without one step's output.
        let copy = folder.appendingPathComponent("case")
        _ = try page()
        try FileManager.default.copyItem(at: out, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("report.html"))
        try FileManager.default.removeItem(at: copy.appendingPathComponent("plan.json"))
        let partial = CLITests.voxdose(["report", copy.path])
        #expect(partial.status == 1 && partial.stderr.contains("plan.json"), "\(partial.stderr)")
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent("report.html").path))
        // The case's own files are never outputs (of report, or of collect).
        let before = try Data(contentsOf: out.appendingPathComponent("lesions.csv"))
        #expect(CLITests.voxdose(["report", out.path, "--out", out.appendingPathComponent("lesions.csv").path]).status == 1)
        #expect(CLITests.voxdose(["collect", out.path, "--out", out.appendingPathComponent("lesions.csv").path]).status == 1)
        #expect(try Data(contentsOf: out.appendingPathComponent("lesions.csv")) == before)
    }

    /// Debian's chromium, headless: a screenshot that is not blank, a PDF of several A4 pages,
    /// and the DOM with JavaScript disabled still holding the table.
    @Test func opensInHeadlessChromium() throws {
        _ = try page()
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try #require(chromium, "chromium is not installed (make test installs it)")
        let scratch = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let url = out.appendingPathComponent("report.html").absoluteString
        func run(_ args: [String]) throws -> String {
            try runProgram(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                     "--user-data-dir=\(scratch.appendingPathComponent("profile").path)"] + args + [url],
                           capturing: .stdout).text
        }
        let shot = scratch.appendingPathComponent("shot.png")
        _ = try run(["--window-size=1280,1600", "--screenshot=\(shot.path)"])
        let image = try #require(PNGImage.decodeRGB([UInt8](try Data(contentsOf: shot))))
        var colours = Set<Int>()
        for n in stride(from: 0, to: image.width * image.height, by: 7) {
            colours.insert(Int(image.pixels[3 * n]) << 16 | Int(image.pixels[3 * n + 1]) << 8 | Int(image.pixels[3 * n + 2]))
        }
        #expect(colours.count > 200, "the screenshot looks blank (\(colours.count) colours)")
        let pdf = scratch.appendingPathComponent("report.pdf")
        _ = try run(["--print-to-pdf=\(pdf.path)", "--no-pdf-header-footer"])
        let bytes = try Data(contentsOf: pdf)
        #expect(bytes.starts(with: Array("%PDF".utf8)))
        let pages = String(decoding: bytes, as: UTF8.self).matches(of: #/\/Type\s*\/Page[^s]/#).count
        #expect(pages >= 2, "\(pages) pages")
        let dom = try run(["--disable-javascript", "--dump-dom"])
        #expect(dom.contains("<table id=\"lesions\">") && dom.contains("data-label=\"6\""))
    }
}
