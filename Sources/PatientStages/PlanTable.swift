import CohortStatistics
import Foundation
import Planning
import Reporting
import VoxelIO

/// A lesion table as `plan` and `compare` read it: every lesion's row as model terms, whatever
/// columns it has (`voxdose.lesions/1`, read from a file or taken from a ``LesionTable`` value).
public struct PlanTable: Sendable {
    public struct Lesion: Sendable {
        public var label: Int
        public var name: String?
        /// Every number and boolean of the lesion's row under its CSV column name (nested keys
        /// joined with `_`, booleans as 0/1): the model's term values.
        public var terms: [String: Double]
        /// Every text cell of the row under its column name (`histology`): the values a
        /// categorical model term `COLUMN=LEVEL` is judged on.
        public var texts: [String: String] = [:]
    }
    public var lesions: [Lesion]
    /// `parameters.activity_gbq`.
    public var activityGBq: Double?
    /// `references.normal_liver_dose_mean_gy`.
    public var normalLiverDoseGy: Double?

    /// The table as its written file gives it.
    public init(_ table: LesionTable) {
        lesions = table.rows.map { row in
            var terms: [String: Double] = [:], texts: [String: String] = [:]
            Self.flatten(.object(table.object(row)), prefix: "", into: &terms, texts: &texts)
            return Lesion(label: Int(row.label), name: row.name, terms: terms, texts: texts)
        }
        activityGBq = table.parameters.activityGBq.flatMap { $0.isFinite ? $0 : nil }
        normalLiverDoseGy = table.references.normalLiverDoseMeanGy.flatMap { $0.isFinite ? $0 : nil }
    }

    /// Reads a `voxdose.lesions/1` file.
    public static func read(_ path: String) throws -> PlanTable {
        let document = try JSONInput.readDocument(path, schema: "voxdose.lesions/1")
        guard case .array(let rows)? = document["lesions"] else { throw StageFailure("\(path): has no `lesions` list") }
        var lesions: [Lesion] = []
        for (i, row) in rows.enumerated() {
            guard case .object(let object) = row, let label = object["label"]?.finiteNumber,
                  label == label.rounded(), abs(label) < 1e15 else {
                throw StageFailure("\(path): lesion \(i) has no integer `label`")
            }
            var terms: [String: Double] = [:], texts: [String: String] = [:]
            flatten(row, prefix: "", into: &terms, texts: &texts)
            let name: String? = if case .string(let s)? = object["name"] { s } else { nil }
            lesions.append(Lesion(label: Int(label), name: name, terms: terms, texts: texts))
        }
        let labels = lesions.map(\.label)
        if Set(labels).count != labels.count { throw StageFailure("\(path): a label appears twice in `lesions`") }
        func number(_ section: String, _ key: String) -> Double? {
            if case .object(let o)? = document[section] { return o[key]?.finiteNumber }
            return nil
        }
        return PlanTable(lesions: lesions, activityGBq: number("parameters", "activity_gbq"),
                         normalLiverDoseGy: number("references", "normal_liver_dose_mean_gy"))
    }

    init(lesions: [Lesion], activityGBq: Double?, normalLiverDoseGy: Double?) {
        self.lesions = lesions
        self.activityGBq = activityGBq
        self.normalLiverDoseGy = normalLiverDoseGy
    }

    /// Numbers and booleans (as 0/1) under their CSV column names: nested keys joined with `_`.
    private static func flatten(_ value: JSONInput, prefix: String, into terms: inout [String: Double],
                                texts: inout [String: String]) {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "_" + key }
        switch value {
        case .object(let object): for (key, inner) in object { flatten(inner, prefix: join(key), into: &terms, texts: &texts) }
        case .array(let array): for (i, inner) in array.enumerated() { flatten(inner, prefix: join(String(i)), into: &terms, texts: &texts) }
        case .bool(let b): terms[prefix] = b ? 1 : 0
        case .string(let s): texts[prefix] = s
        case .number(let d) where d.isFinite: terms[prefix] = d
        default: break
        }
    }

    /// The same for a row being written: a number is the value its JSON text gives back (a
    /// Float32 cell as written, not widened), so a table value and its file plan alike.
    private static func flatten(_ value: JSONValue, prefix: String, into terms: inout [String: Double],
                                texts: inout [String: String]) {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "_" + key }
        switch value {
        case .object(let object): for (key, inner) in object.entries { flatten(inner, prefix: join(key), into: &terms, texts: &texts) }
        case .array(let array): for (i, inner) in array.enumerated() { flatten(inner, prefix: join(String(i)), into: &terms, texts: &texts) }
        case .bool(let b): terms[prefix] = b ? 1 : 0
        case .string(let s): texts[prefix] = s
        case .int(let i): terms[prefix] = Double(i)
        case .number(let d) where d.isFinite: terms[prefix] = d  // its shortest text reads back as itself
        case .float(let f) where f.isFinite: terms[prefix] = Double(f.description)  // the Float32 as written
        default: break
        }
    }

    /// Adds the columns of a CSV keyed by `label` (`--lesion-data`: histology, a lab value …) to
    /// the lesions: numbers and booleans as terms, text as texts; a missing cell adds nothing.
    public mutating func merge(lesionData path: String) throws {
        let table = try DataTable.read(path: path)
        guard let labelIndex = table.columnIndex("label") else {
            throw StageFailure("\(path): has no `label` column (the lesion data are keyed by label)")
        }
        var byLabel: [Int: [String]] = [:]
        for (number, row) in table.rows.enumerated() {
            guard let label = DataTable.number(row[labelIndex]), label == label.rounded(), abs(label) < 1e15 else {
                throw StageFailure("\(path): data row \(number + 1) has no integer label")
            }
            guard byLabel[Int(label)] == nil else { throw StageFailure("\(path): label \(Int(label)) appears twice") }
            byLabel[Int(label)] = row
        }
        for i in lesions.indices {
            guard let row = byLabel[lesions[i].label] else { continue }
            for (column, name) in table.columns.enumerated() where column != labelIndex && !DataTable.isMissing(row[column]) {
                switch table.kind(ofColumn: column) {
                case .numeric: lesions[i].terms[name] = DataTable.number(row[column])
                case .boolean: lesions[i].terms[name] = DataTable.boolean(row[column]).map { $0 ? 1 : 0 }
                case .text: lesions[i].texts[name] = row[column]
                case .empty: break
                }
            }
        }
    }
}

extension ResponseModel {
    /// A fitted model file (`voxdose.model/1`, Docs/COHORT.md), read by CohortStatistics' strict
    /// reader, its source naming the file.
    public static func read(_ path: String) throws -> ResponseModel {
        var model = try LogisticModel.read(contentsOfFile: path)
        model.source = "\(path) (fitted on \(model.source), n = \(model.n))"
        return ResponseModel(model)
    }
}

extension JSONInput {
    /// Reads a JSON document of a given schema: one object, or an error naming the file.
    public static func readDocument(_ path: String, schema: String) throws -> [String: JSONInput] {
        let object = try JSONInput.readObject(path, what: "a \(schema) document")
        guard case .string(let found)? = object["schema"] else { throw StageFailure("\(path): has no `schema`; expected \(schema)") }
        guard found == schema else { throw StageFailure("\(path): schema is \(found), expected \(schema)") }
        return object
    }
}
