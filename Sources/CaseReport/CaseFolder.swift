import Foundation
import PatientCase
import VoxelIO
import VoxelKernels

/// A complete case folder read for the report: `case.json`, the tables, the DVH, the maps, and
/// the study's label images and anatomy (found through `case.json`'s `study_folder`).
public enum CaseFolder {
    /// The lesion-table columns the report shows (CSV names of the lesion table and the plan).
    static let columns: [(key: String, heading: String)] = [
        ("name", "name"), ("volume_ml", "volume (mL)"), ("dose_mean_gy", "Dmean (Gy)"), ("dose_d_70", "D70 (Gy)"),
        ("dose_v_pct_100", "V100 (%)"), ("suv_max", "SUVmax"), ("t_bp", "T/BP"), ("hypoxic", "hypoxic"), ("group", "group"),
        ("expected_response", "expected response"), ("dose_needed_gy", "dose needed (Gy)"),
    ]

    /// Reads the case in `folder` and renders its pictures.
    /// - Throws: ``VoxelIOError`` naming the folder when it is not a complete case (no
    ///   `case.json` with status `complete`, or a step's output missing), or naming the file
    ///   that cannot be read.
    public static func content(_ folder: String) throws -> ReportContent {
        let dir = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        func file(_ name: String) -> String { dir + "/" + name }
        guard FileManager.default.fileExists(atPath: file("case.json")) else {
            throw VoxelIOError(folder, "is not a case folder: it has no case.json (make one with voxdose case)")
        }
        let record = try JSONInput.readObject(file("case.json"), what: "a case record")
        guard case .string("complete")? = record["status"] else {
            throw VoxelIOError(file("case.json"), "status is not \"complete\": the case did not finish")
        }
        let steps = record.array("steps").compactMap(\.object)
        for step in steps {
            for case .string(let name) in step.array("outputs") where name != "report.html" {
                guard FileManager.default.fileExists(atPath: file(name)) else {
                    throw VoxelIOError(folder, "is not a complete case: \(name) (an output of step \(step.string("name") ?? "?")) is missing")
                }
            }
        }
        guard let studyFolder = record.string("study_folder"), let studyName = record.array("inputs").first?.object?.string("path") else {
            throw VoxelIOError(file("case.json"), "names no study_folder: the report reads the study's label images (rerun voxdose case)")
        }
        let study = try Study(path: studyFolder + "/" + studyName)

        // Tables.
        let postTreatment = FileManager.default.fileExists(atPath: file("lesions.json"))
        let table = try JSONInput.readObject(file(postTreatment ? "lesions.json" : "maa_lesions.json"), what: "a lesion table")
        let plan = try JSONInput.readObject(file("plan.json"), what: "a plan")
        let planRows = Dictionary(plan.array("lesions").compactMap(\.object).map { (Int($0.number("label") ?? -1), $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [ReportContent.LesionRow] = []
        var names: [Int: String] = [:]
        var scatter: [SVGPlot.Series] = []
        var defaultModelRanges = false
        for lesion in table.array("lesions").compactMap(\.object) {
            let label = Int(lesion.number("label") ?? -1)
            var flat = flatten(lesion)
            for key in ["hypoxic", "group", "expected_response", "dose_needed_gy"] { flat[key] = planRows[label]?[key] ?? flat[key] }
            let name = lesion.string("name") ?? "lesion \(label)"
            names[label] = name
            var cells = columns.compactMap { column -> ReportContent.Cell? in
                guard let value = flat[column.key] else { return nil }
                return ReportContent.Cell(key: column.key, value: fullText(value), text: readable(value, key: column.key))
            }
            if let interval = planRows[label]?["expected_response_ci95"], case .array(let bounds) = interval, bounds.count == 2,
               let lo = bounds[0].finiteNumber, let hi = bounds[1].finiteNumber,
               let index = cells.firstIndex(where: { $0.key == "expected_response" }) {
                cells[index].text += Self.bracketed(String(format: "%.2f", lo), String(format: "%.2f", hi))
            }
            // The default model's spread over the scenarios the abstract allows (no upper end: one never reaches it).
            if let range = planRows[label]?["dose_needed_range_gy"], case .array(let bounds) = range, bounds.count == 2,
               let lo = bounds[0].finiteNumber, let index = cells.firstIndex(where: { $0.key == "dose_needed_gy" }) {
                // Whole grays rounded outwards, so the printed range holds the value beside it.
                cells[index].text += bounds[1].finiteNumber.map { Self.bracketed(String(format: "%.0f", lo.rounded(.down)), String(format: "%.0f", $0.rounded(.up))) }
                    ?? "\u{A0}(≥\u{A0}\(String(format: "%.0f", lo.rounded(.down))))"
                defaultModelRanges = true
            }
            rows.append(ReportContent.LesionRow(label: label, cells: cells))
            if let dose = flat["dose_mean_gy"]?.finiteNumber, let tbp = flat["t_bp"]?.finiteNumber {
                scatter.append(SVGPlot.Series(key: String(label), name: name, points: [(dose, tbp)]))
            }
        }
        let dvh = try dvhSeries(file("dvh.csv"), names: names)

        // Pictures: the dose (or predicted dose) and the FMISO SUV through each lesion.
        let doseScan: Study.ScanKind = postTreatment ? .y90PET : .maaSPECT
        let relative = { (path: String) in path.hasPrefix("/") ? path : studyFolder + "/" + path }
        let anatomy = try study.scans[.anatomy].map { try readVolume(relative($0.image)) }
        let anatomyWindow = anatomy.flatMap(MapLayer.ctWindow(of:))
        var doseLayer: MapLayer?, suvLayer: MapLayer?
        var labelLayers: [String: LabelLayer] = [:]  // a label image shared by two scans is read once
        func labelLayer(_ path: String) throws -> LabelLayer {
            if let layer = labelLayers[path] { return layer }
            let layer = try readLabels(path)
            labelLayers[path] = layer
            return layer
        }
        // Without an anatomy scan the background is the map itself in grey: the PET it was made
        // from, scaled (reading the PET again would only repeat it, at the cost of a volume).
        if let scan = study.scans[doseScan], let labels = scan.labels {
            let map = try readVolume(file(postTreatment ? "dose.nii.gz" : "maa_dose.nii.gz"))
            doseLayer = MapLayer(map: map, labels: try labelLayer(relative(labels)), background: anatomy, unit: "Gy",
                                 fixedWindow: anatomyWindow)
        }
        if let scan = study.scans[.fmisoPET], let labels = scan.labels, FileManager.default.fileExists(atPath: file("fmiso_suv.nii.gz")) {
            let map = try readVolume(file("fmiso_suv.nii.gz"))
            suvLayer = MapLayer(map: map, labels: try labelLayer(relative(labels)), background: anatomy, unit: "SUV",
                                fixedWindow: anatomyWindow)
        }
        let labels = rows.map(\.label)
        let pictures = FigureSlots(count: labels.count)
        let (doseMap, suvMap, lesionNames) = (doseLayer, suvLayer, names)
        // The pictures on the threads the run may use (VOXDOSE_THREADS: a case's --jobs).
        Parallel.forEachChunk(count: labels.count, minimumChunk: 1) { _, range in for n in range {
            let label = labels[n]
            func image(_ layer: MapLayer?) -> ReportContent.Image? {
                guard let layer, let slice = LesionSlice.render(layer, label: Int64(label)),
                      let png = try? PNGImage.encodeRGB(slice.rgb, width: slice.width, height: slice.height) else { return nil }
                return ReportContent.Image(png: png, scaleMax: slice.scaleMax, unit: layer.unit)
            }
            pictures.set(n, ReportContent.Figure(label: label, name: lesionNames[label] ?? "", dose: image(doseMap), suv: image(suvMap)))
        } }

        // Facts, plan, warnings, provenance.
        let t = study.treatment
        let dose = postTreatment ? try JSONInput.readObject(file("dose.json"), what: "a dose summary") : [:]
        let shunt = FileManager.default.fileExists(atPath: file("shunt.json")) ? try JSONInput.readObject(file("shunt.json"), what: "a shunt summary") : [:]
        let parameters = plan["parameters"]?.object ?? [:]
        var facts: [(String, String)] = [("Patient", study.patientID), ("Microspheres", t.microspheres.rawValue)]
        if let a = t.administeredActivity { facts.append(("Administered activity", a + (t.residualActivity.map { " (residual \($0))" } ?? ""))) }
        if let time = t.implantTime ?? dose.string("implant_time") { facts.append(("Implantation", time)) }
        if let time = dose.string("reference_time") { facts.append(("90Y PET (image reference time)", time)) }
        if let activity = dose.number("total_activity_gbq") { facts.append(("Activity in the 90Y PET at implantation", String(format: "%.3f GBq", activity))) }
        if let f = parameters.number("lung_shunt") { facts.append(("Lung shunt used by the plan", String(format: "%.1f %%", 100 * f))) }
        if let f = shunt.number("lung_shunt_fraction") { facts.append(("Lung shunt from the MAA SPECT/CT", String(format: "%.1f %%", 100 * f))) }
        if let m = t.lungMass { facts.append(("Lung mass", m)) }
        if let nl = table["references"]?.object?.number("normal_liver_dose_mean_gy") {
            facts.append(("Normal-liver mean dose" + (postTreatment ? "" : " (predicted)"), String(format: "%.1f Gy", nl)))
        }
        var prescription: [ReportContent.Cell]?
        var planNotes: [String] = []
        if let rx = plan["prescription"]?.object {
            prescription = ["activity_gbq", "activity_max_gbq", "binding_constraint", "normal_liver_dose_gy", "lung_dose_gy"].compactMap { key in
                rx[key].map { ReportContent.Cell(key: key, value: fullText($0), text: readable($0, key: key)) }
            }
            if let limit = parameters.number("normal_liver_limit_gy"), let lung = parameters.number("lung_limit_gy") {
                planNotes.append(String(format: "Limits: normal liver %.0f Gy (%@), lungs %.0f Gy.", limit, parameters.string("microspheres") ?? t.microspheres.rawValue, lung))
            }
        }
        if let source = plan["model"]?.object?.string("source") { planNotes.append("Response model: \(source).") }
        var content = ReportContent(
            patientID: study.patientID, facts: facts, columns: columns.filter { c in rows.contains { $0.cells.contains { $0.key == c.key } } },
            rows: rows, dvh: dvh, scatter: scatter,
            doseCutoffGy: parameters.number("dose_cutoff_gy") ?? 89, tbpCutoff: parameters.number("hypoxia_cutoff") ?? 1.29,
            figures: pictures.figures.compactMap { $0 }, prescription: prescription, planNotes: planNotes,
            warnings: record.array("warnings").compactMap { if case .string(let s) = $0 { return s } else { return nil } },
            version: record.string("voxdose_version") ?? "?",
            inputs: record.array("inputs").compactMap(\.object).map { ($0.string("path") ?? "", $0.string("sha256") ?? "", Int($0.number("bytes") ?? 0)) },
            steps: steps.filter { $0.string("name") != "report" }.map {
                ($0.string("name") ?? "", $0.array("argv").compactMap { if case .string(let s) = $0 { return s } else { return nil } })
            },
            finishedAt: record.string("finished_at") ?? "")
        content.predicted = !postTreatment
        content.doseNeededRanges = defaultModelRanges
        return content
    }

    /// " (lo–hi)" that a table cell does not break inside (a no-break space, word joiners around the dash).
    static func bracketed(_ lo: String, _ hi: String) -> String { "\u{A0}(\(lo)\u{2060}–\u{2060}\(hi))" }

    // MARK: - Reading

    /// Frame 0 of a NIfTI volume.
    public static func readVolume(_ path: String) throws -> ScalarVolume { try NIfTIFile(path: path).readFrame(0) }

    /// A label image on its own grid.
    public static func readLabels(_ path: String) throws -> LabelLayer {
        let file = try NIfTIFile(path: path)
        let image = try file.readLabelFrame(0)
        return LabelLayer(geometry: file.header.geometry, codes: image.codes, labelOfCode: image.label(ofCode:))
    }

    /// DVH curves from `dvh.csv` (label, dose_gy, volume_pct), lesions first, the normal liver last.
    static func dvhSeries(_ path: String, names: [Int: String]) throws -> [SVGPlot.Series] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var curves: [String: [(x: Double, y: Double)]] = [:], order: [String] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 3, let dose = Double(fields[1]), let volume = Double(fields[2]) else { continue }
            let key = String(fields[0])
            if curves[key] == nil { order.append(key) }
            curves[key, default: []].append((dose, volume))
        }
        return order.sorted { ($0 == "normal_liver" ? 1 : 0, Int($0) ?? 0) < ($1 == "normal_liver" ? 1 : 0, Int($1) ?? 0) }.map { key in
            SVGPlot.Series(key: key, name: key == "normal_liver" ? "normal liver" : "\(key) \(names[Int(key) ?? -1] ?? "")", points: curves[key]!)
        }
    }

    // MARK: - Values

    /// The lesion row with nested keys joined by `_`, as the lesion table's CSV names them.
    static func flatten(_ object: [String: JSONInput], prefix: String = "") -> [String: JSONInput] {
        var out: [String: JSONInput] = [:]
        for (key, value) in object {
            if case .object(let inner) = value { out.merge(flatten(inner, prefix: prefix + key + "_")) { a, _ in a } } else { out[prefix + key] = value }
        }
        return out
    }

    /// The value at full precision: numbers as JSON wrote them (integers without a fraction),
    /// booleans as true/false, null as empty.
    static func fullText(_ value: JSONInput) -> String {
        switch value {
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        default: return ""
        }
    }

    /// The value rounded for reading.
    static func readable(_ value: JSONInput, key: String) -> String {
        switch value {
        case .number(let d):
            if key.hasSuffix("_gbq") { return String(format: "%.2f", d) }
            if key == "expected_response" || key == "t_bp" || key.hasPrefix("suv") { return String(format: "%.2f", d) }
            return String(format: "%.1f", d)
        case .string(let s) where key == "group":
            return s.replacingOccurrences(of: "nonhypoxic", with: "non-hypoxic").replacingOccurrences(of: "_highdose", with: ", high dose")
                .replacingOccurrences(of: "_lowdose", with: ", low dose")
        case .string(let s): return s
        case .bool(let b): return b ? "yes" : "no"
        default: return "–"
        }
    }
}

/// Figures filled in from several threads, each index once, under a lock.
private final class FigureSlots: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var figures: [ReportContent.Figure?]
    init(count: Int) { figures = Array(repeating: nil, count: count) }
    func set(_ n: Int, _ figure: ReportContent.Figure) { lock.withLock { figures[n] = figure } }
}

extension Dictionary where Key == String, Value == JSONInput {
    func string(_ key: String) -> String? { if case .string(let s)? = self[key] { return s } else { return nil } }
    func number(_ key: String) -> Double? { self[key]?.finiteNumber }
    func array(_ key: String) -> [JSONInput] { if case .array(let a)? = self[key] { return a } else { return [] } }
}

extension JSONInput {
    var object: [String: JSONInput]? { if case .object(let o) = self { return o } else { return nil } }
}
