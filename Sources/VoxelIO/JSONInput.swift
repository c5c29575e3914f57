import Foundation

/// A JSON value as read from a file (sidecars, lesion tables, a case's step outputs): a Sendable
/// Swift value, booleans told apart from numbers, every number the Double its digits round to.
///
/// Parsed with `JSONDecoder`, not `JSONSerialization`: on Linux the latter misreads numbers by one
/// or more units in the last place (three of five in a check: `1.2989690770807953` became
/// `…958`, `110.57926829268295` became `…294`), which would break the round trip of a value one
/// step writes and the next reads (`total_activity_gbq` into `--activity`).
public enum JSONInput: Sendable, Equatable, Decodable {
    case string(String), number(Double), bool(Bool), array([JSONInput]), object([String: JSONInput]), null

    /// Files larger than this are refused before they are read: no sidecar or table comes near.
    public static let maximumFileBytes = 256 << 20

    /// Reads `path` as one JSON object; `what` names the document in the errors.
    /// - Throws: ``VoxelIOError`` naming the file: unreadable, too large, or not a JSON object.
    public static func readObject(_ path: String, what: String) throws -> [String: JSONInput] {
        let file = try FileSystem.ReadableFile(path)
        guard file.size <= maximumFileBytes else {
            throw VoxelIOError(path, "\(file.size) bytes is too large for \(what) (at most \(maximumFileBytes))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw VoxelIOError(path, "cannot read \(what)") }
        // JSONDecoder refuses a number beyond Double's range (1e-400); JSONSerialization reads it
        // (as 0 or ±inf), so it reads what the exact parse refuses.
        let parsed = (try? JSONDecoder().decode(JSONInput.self, from: data)) ?? (try? JSONSerialization.jsonObject(with: data)).map(JSONInput.init)
        guard case .object(let object)? = parsed else { throw VoxelIOError(path, "\(what) is not a JSON object") }
        return object
    }

    /// A `JSONSerialization` value (the fallback parse).
    init(_ any: Any) {
        switch any {
        case let s as String: self = .string(s)
        case let n as NSNumber:
            // JSONSerialization gives booleans as NSNumber with objCType "c" (and `is Bool` is
            // true for 0 and 1 too, so it cannot tell them apart).
            self = String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n.doubleValue)
        case let a as [Any]: self = .array(a.map(JSONInput.init))
        case let o as [String: Any]: self = .object(o.mapValues(JSONInput.init))
        default: self = .null
        }
    }

    public init(from decoder: Decoder) throws {
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { self = .null }
        else if let b = try? value.decode(Bool.self) { self = .bool(b) }  // `true`, never the number 1
        else if let d = try? value.decode(Double.self) { self = .number(d) }
        else if let s = try? value.decode(String.self) { self = .string(s) }
        else if let a = try? value.decode([JSONInput].self) { self = .array(a) }
        else { self = .object(try value.decode([String: JSONInput].self)) }
    }

    /// The number, when finite (not a boolean, not a string).
    public var finiteNumber: Double? {
        if case .number(let d) = self, d.isFinite { return d }
        return nil
    }
}
