import Foundation

/// A JSON document as `JSONSerialization` would give it ([String: Any], [Any], String, NSNumber,
/// NSNull), but with every number parsed exactly: on Linux `JSONSerialization` misreads numbers by
/// a unit or more in the last place, so a test comparing a program's full-precision output with it
/// would compare against the wrong value.
public func exactJSONObject(_ data: Data) throws -> Any {
    try JSONDecoder().decode(ExactJSON.self, from: data).value
}

private struct ExactJSON: Decodable {
    var value: Any

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { value = NSNull() }
        else if let b = try? c.decode(Bool.self) { value = b }
        else if let d = try? c.decode(Double.self) { value = NSNumber(value: d) }
        else if let s = try? c.decode(String.self) { value = s }
        else if let a = try? c.decode([ExactJSON].self) { value = a.map(\.value) }
        else { value = try c.decode([String: ExactJSON].self).mapValues(\.value) }
    }
}
