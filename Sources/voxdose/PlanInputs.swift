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
            var terms: [String: Double] = [:]
            flatten(row, prefix: "", into: &terms)
            let name: String? = if case .string(let s)? = object["name"] { s } else { nil }
            lesions.append(Lesion(label: Int(label), name: name, terms: terms))
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
    private static func flatten(_ value: JSONInput, prefix: String, into terms: inout [String: Double]) {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "_" + key }
        switch value {
        case .object(let object): for (key, inner) in object { flatten(inner, prefix: join(key), into: &terms) }
        case .array(let array): for (i, inner) in array.enumerated() { flatten(inner, prefix: join(String(i)), into: &terms) }
        case .bool(let b): terms[prefix] = b ? 1 : 0
        case .number(let d) where d.isFinite: terms[prefix] = d
        default: break
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
