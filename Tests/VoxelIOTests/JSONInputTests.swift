import Foundation
import Testing
@testable import VoxelIO

/// JSON inputs read every number as the Double its digits round to (Swift's own literal parse is
/// the reference), booleans apart from numbers, and still accept what only a lenient parse reads.
@Suite struct JSONInputTests {
    func read(_ text: String) throws -> [String: JSONInput] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("json-input-\(getpid())-\(text.hashValue).json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try JSONInput.readObject(url.path, what: "a test document")
    }

    @Test func numbersRoundTripExactly() throws {
        // Foundation's JSONSerialization on Linux misreads the first, second and fifth.
        let values = [1.2989690770807953, 110.57926829268295, 0.1, 1e-300, 123456789.12345678, 1.5065606860404819]
        let object = try read("{\"v\": [" + values.map { "\($0)" }.joined(separator: ", ") + "]}")
        guard case .array(let parsed)? = object["v"] else { Issue.record("no array"); return }
        #expect(parsed.map(\.finiteNumber) == values)
    }

    @Test func booleansAreNotNumbers() throws {
        let object = try read(#"{"t": true, "one": 1, "zero": 0, "f": false, "s": "1", "n": null, "o": {"x": [true, 2.5]}}"#)
        #expect(object["t"] == .bool(true) && object["f"] == .bool(false) && object["one"] == .number(1) && object["zero"] == .number(0))
        #expect(object["s"] == .string("1") && object["n"] == .null && object["o"] == .object(["x": .array([.bool(true), .number(2.5)])]))
    }

    /// Beyond Double's range the exact parse refuses; the lenient one reads 1e-400 as 0.
    @Test func numbersBeyondDoubleStillRead() throws {
        #expect(try read(#"{"tiny": 1e-400}"#)["tiny"] == .number(0))
        #expect(throws: VoxelIOError.self) { try read("[1, 2]") }
    }
}
