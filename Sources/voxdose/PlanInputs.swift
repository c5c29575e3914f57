import CohortStatistics
import Foundation
import Planning
import VoxelIO

/// Reads a JSON document of a given schema: one object, or an error naming the file.
private func readDocument(_ path: String, schema: String) throws -> [String: JSONInput] {
    let object = try JSONInput.readObject(path, what: "a \(schema) document")
    guard case .string(let found)? = object["schema"] else { throw CommandFailure("\(path): has no `schema`; expected \(schema)") }
    guard found == schema else { throw CommandFailure("\(path): schema is \(found), expected \(schema)") }
    return object
}

/// The lesion table `voxdose plan` consumes (`voxdose.lesions/1`).
struct LesionTable {
    struct Lesion {
        var label: Int
        var name: String?
        /// Every number and boolean of the lesion's row under its CSV column name (nested keys
        /// joined with `_`, booleans as 0/1): the model's term values.
        var terms: [String: Double]
        /// Every text cell of the row under its column name (`histology`): the values a
        /// categorical model term `COLUMN=LEVEL` is judged on.
        var texts: [String: String] = [:]
    }
    var lesions: [Lesion]
    /// `parameters.activity_gbq`.
    var activityGBq: Double?
    /// `references.normal_liver_dose_mean_gy`.
    var normalLiverDoseGy: Double?

    static func read(_ path: String) throws -> LesionTable {
        let document = try readDocument(path, schema: "voxdose.lesions/1")
        guard case .array(let rows)? = document["lesions"] else { throw CommandFailure("\(path): has no `lesions` list") }
        var lesions: [Lesion] = []
        for (i, row) in rows.enumerated() {
            guard case .object(let object) = row, let label = object["label"]?.finiteNumber,
                  label == label.rounded(), abs(label) < 1e15 else {
                throw CommandFailure("\(path): lesion \(i) has no integer `label`")
            }
            var terms: [String: Double] = [:], texts: [String: String] = [:]
            flatten(row, prefix: "", into: &terms, texts: &texts)
            let name: String? = if case .string(let s)? = object["name"] { s } else { nil }
            lesions.append(Lesion(label: Int(label), name: name, terms: terms, texts: texts))
        }
        let labels = lesions.map(\.label)
        if Set(labels).count != labels.count { throw CommandFailure("\(path): a label appears twice in `lesions`") }
        func number(_ section: String, _ key: String) -> Double? {
            if case .object(let o)? = document[section] { return o[key]?.finiteNumber }
            return nil
        }
        return LesionTable(lesions: lesions, activityGBq: number("parameters", "activity_gbq"),
                           normalLiverDoseGy: number("references", "normal_liver_dose_mean_gy"))
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
}

extension LesionTable {
    /// Adds the columns of a CSV keyed by `label` (`--lesion-data`: histology, a lab value …) to
    /// the lesions: numbers and booleans as terms, text as texts; a missing cell adds nothing.
    mutating func merge(lesionData path: String) throws {
        let table = try DataTable.read(path: path)
        guard let labelIndex = table.columnIndex("label") else {
            throw CommandFailure("\(path): has no `label` column (the lesion data are keyed by label)")
        }
        var byLabel: [Int: [String]] = [:]
        for (number, row) in table.rows.enumerated() {
            guard let label = DataTable.number(row[labelIndex]), label == label.rounded(), abs(label) < 1e15 else {
                throw CommandFailure("\(path): data row \(number + 1) has no integer label")
            }
            guard byLabel[Int(label)] == nil else { throw CommandFailure("\(path): label \(Int(label)) appears twice") }
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

/// `voxdose.model/1` (Docs/COHORT.md), read by CohortStatistics' strict reader.
enum ModelFile {
    static func read(_ path: String) throws -> ResponseModel {
        var model = try LogisticModel.read(contentsOfFile: path)
        model.source = "\(path) (fitted on \(model.source), n = \(model.n))"
        return ResponseModel(model)
    }
}
