/// The version printed in every document (`voxdose_version`).
public let voxdoseVersion = "0.1.0"

/// A JSON value whose objects keep their keys in insertion order, so documents read in the
/// order the contract lists them. Non-finite numbers are written as `null` (CONTRACT.md).
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// A Float64, written in the shortest form that reads back to the same Double.
    case number(Double)
    /// A Float32 voxel value, written in the shortest form that reads back to the same Float.
    case float(Float)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// `.number`, or `.null` for nil.
    public static func number(_ value: Double?) -> JSONValue { value.map(JSONValue.number) ?? .null }
    /// `.int`, or `.null` for nil.
    public static func int(_ value: Int?) -> JSONValue { value.map(JSONValue.int) ?? .null }
    /// `.string`, or `.null` for nil.
    public static func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
}

/// An ordered JSON object.
public struct JSONObject: Equatable, Sendable, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(key: String, value: JSONValue)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// Setting an existing key replaces its value in place; a new key goes last.
    public subscript(key: String) -> JSONValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    /// A document: `schema` and `voxdose_version` first, then these entries.
    public static func document(schema: String, _ body: JSONObject) -> JSONObject {
        var document: JSONObject = ["schema": .string(schema), "voxdose_version": .string(voxdoseVersion)]
        for (key, value) in body.entries { document[key] = value }
        return document
    }
}

extension JSONValue {
    /// Pretty-printed text: objects one key per line; arrays of scalars on one line.
    public func serialized(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent)
        return out
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let d): out += d.isFinite ? JSONValue.format(d) : "null"
        case .float(let f): out += f.isFinite ? JSONValue.format(f) : "null"
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            if items.allSatisfy(\.isScalar) {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(to: &out, indent: indent)
                }
                out += "]"
            } else {
                out += "[\n"
                for (i, item) in items.enumerated() {
                    out += String(repeating: " ", count: indent + 2)
                    item.write(to: &out, indent: indent + 2)
                    out += i + 1 < items.count ? ",\n" : "\n"
                }
                out += String(repeating: " ", count: indent) + "]"
            }
        case .object(let object):
            if object.entries.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, entry) in object.entries.enumerated() {
                out += String(repeating: " ", count: indent + 2)
                JSONValue.writeString(entry.key, to: &out)
                out += ": "
                entry.value.write(to: &out, indent: indent + 2)
                out += i + 1 < object.entries.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// Shortest round-trip decimal; integral values keep no ".0" noise beyond what Swift
    /// prints ("5.0"), which JSON reads as a number.
    static func format<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) -> String {
        value.description
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONObject {
    public func serialized() -> String { JSONValue.object(self).serialized() + "\n" }
}
