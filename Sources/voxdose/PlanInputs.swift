import CohortStatistics
import Foundation
import Planning

/// Reads a JSON document of a given schema: one object, or an error naming the file.
private func readDocument(_ path: String, schema: String) throws -> [String: Any] {
    let url = URL(fileURLWithPath: path)
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
    guard let size else { throw CommandFailure("\(path): cannot be read") }
    guard size <= 256 << 20 else { throw CommandFailure("\(path): \(size) bytes is too large for a \(schema) document") }
    guard let data = try? Data(contentsOf: url),
          let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
        throw CommandFailure("\(path): is not a JSON object")
    }
    guard object["schema"] as? String == schema else {
        throw CommandFailure("\(path): schema is \(object["schema"].map { "\($0)" } ?? "missing"), expected \(schema)")
    }
    return object
}

/// A JSON number (not a boolean) as a finite Double.
private func finiteNumber(_ value: Any?) -> Double? {
    guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
    let d = n.doubleValue
    return d.isFinite ? d : nil
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
        guard let rows = document["lesions"] as? [Any] else { throw CommandFailure("\(path): has no `lesions` list") }
        var lesions: [Lesion] = []
        for (i, row) in rows.enumerated() {
            guard let object = row as? [String: Any], let label = finiteNumber(object["label"]),
                  label == label.rounded(), abs(label) < 1e15 else {
                throw CommandFailure("\(path): lesion \(i) has no integer `label`")
            }
            var terms: [String: Double] = [:]
            flatten(object, prefix: "", into: &terms)
            lesions.append(Lesion(label: Int(label), name: object["name"] as? String, terms: terms))
        }
        let labels = lesions.map(\.label)
        if Set(labels).count != labels.count { throw CommandFailure("\(path): a label appears twice in `lesions`") }
        let parameters = document["parameters"] as? [String: Any]
        let references = document["references"] as? [String: Any]
        return LesionTable(lesions: lesions, activityGBq: finiteNumber(parameters?["activity_gbq"]),
                           normalLiverDoseGy: finiteNumber(references?["normal_liver_dose_mean_gy"]))
    }

    private static func flatten(_ value: Any, prefix: String, into terms: inout [String: Double]) {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "_" + key }
        switch value {
        case let object as [String: Any]:
            for (key, inner) in object { flatten(inner, prefix: join(key), into: &terms) }
        case let array as [Any]:
            for (i, inner) in array.enumerated() { flatten(inner, prefix: join(String(i)), into: &terms) }
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { terms[prefix] = number.boolValue ? 1 : 0 }
            else if number.doubleValue.isFinite { terms[prefix] = number.doubleValue }
        default: break
        }
    }
}

/// `voxdose.model/1` (Docs/COHORT.md), read by CohortStatistics' strict reader.
enum ModelFile {
    static func read(_ path: String) throws -> ResponseModel {
        do {
            var model = try LogisticModel.read(contentsOfFile: path)
            model.source = "\(path) (fitted on \(model.source), n = \(model.n))"
            return ResponseModel(model)
        } catch let error as CohortError {
            throw CommandFailure(error.description)
        }
    }
}
