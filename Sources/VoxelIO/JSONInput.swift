import Foundation

/// A JSON value as read from a file (sidecars, lesion tables): Foundation's parse turned into a
/// Sendable Swift value, booleans told apart from numbers.
public enum JSONInput: Sendable, Equatable {
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
        guard let parsed = try? JSONSerialization.jsonObject(with: data), case .object(let object) = JSONInput(parsed) else {
            throw VoxelIOError(path, "\(what) is not a JSON object")
        }
        return object
    }

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

    /// The number, when finite (not a boolean, not a string).
    public var finiteNumber: Double? {
        if case .number(let d) = self, d.isFinite { return d }
        return nil
    }
}
