import CohortStatistics
import Foundation
import Reporting
import VoxelIO

/// The cohort table of many cases (`batch`'s and `collect`'s `cohort.csv`): one row per lesion
/// of every complete case — `patient_id`, the manifest's own columns, the lesion table's CSV
/// columns, the plan's `group`, `expected_response`, `dose_needed_gy`, and with FDG scans PERCIST's
/// `percist_category` and `responder` — as `voxdose cohort` reads it.
public enum CohortTable {
    /// One case for the table: its folder and the manifest's values for its extra columns.
    public struct Entry: Sendable {
        public var folder: String
        public var extra: [String]
        public init(folder: String, extra: [String]) {
            self.folder = folder
            self.extra = extra
        }
    }

    /// The CSV text, cases in the order given, lesions by label.
    /// - Throws: ``VoxelIOError`` naming a case folder whose tables cannot be read.
    public static func csv(_ entries: [Entry], extraColumns: [String]) throws -> String {
        var lesionColumns: [String] = []
        var anyResponse = false
        var cases: [(entry: Entry, table: DataTable, plan: [Int: [String: JSONInput]], response: [Int: [String: JSONInput]])] = []
        for entry in entries {
            let folder = entry.folder.hasSuffix("/") ? entry.folder : entry.folder + "/"
            let table: DataTable
            do { table = try DataTable.read(path: folder + "lesions.csv") } catch { throw VoxelIOError(folder + "lesions.csv", "\(error)") }
            for column in table.columns where column != "patient_id" && !lesionColumns.contains(column) { lesionColumns.append(column) }
            let plan = try byLabel(folder + "plan.json")
            let response = FileManager.default.fileExists(atPath: folder + "response.json") ? try byLabel(folder + "response.json") : [:]
            anyResponse = anyResponse || FileManager.default.fileExists(atPath: folder + "response.json")
            cases.append((entry, table, plan, response))
        }
        let planColumns = ["group", "expected_response", "dose_needed_gy"]
        var lines = [(["patient_id"] + extraColumns + lesionColumns + planColumns + (anyResponse ? ["percist_category", "responder"] : []))
            .map(CSV.escape).joined(separator: ",")]
        for (entry, table, plan, response) in cases {
            let id = table.columnIndex("patient_id")
            let rows = table.rows.sorted { (Int($0[table.columnIndex("label")!]) ?? 0) < (Int($1[table.columnIndex("label")!]) ?? 0) }
            for row in rows {
                let label = Int(row[table.columnIndex("label")!]) ?? -1
                var cells = [id.map { row[$0] } ?? ""] + entry.extra
                cells += lesionColumns.map { column in table.columnIndex(column).map { row[$0] } ?? "" }
                cells += planColumns.map { text(plan[label]?[$0]) }
                if anyResponse { cells += [text(response[label]?["category"]), text(response[label]?["responder"])] }
                lines.append(cells.map(CSV.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A table's `lesions` keyed by label.
    static func byLabel(_ path: String) throws -> [Int: [String: JSONInput]] {
        guard case .array(let lesions)? = try JSONInput.readObject(path, what: "a table")["lesions"] else { return [:] }
        var out: [Int: [String: JSONInput]] = [:]
        for case .object(let lesion) in lesions {
            if let label = lesion["label"]?.finiteNumber { out[Int(label)] = lesion }
        }
        return out
    }

    /// A JSON value as the lesion table's CSV writes it (null empty, booleans true/false).
    static func text(_ value: JSONInput?) -> String {
        switch value {
        case .number(let d)?: return JSONValue.number(d).serialized()
        case .string(let s)?: return s
        case .bool(let b)?: return b ? "true" : "false"
        default: return ""
        }
    }
}
