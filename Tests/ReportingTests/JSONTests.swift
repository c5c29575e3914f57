import Foundation
import Testing
import Reporting
import TestSupport

func parse(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

@Suite struct JSONTests {
    @Test func exactPrettyPrintedText() {
        var inner = JSONObject()
        inner["x"] = .bool(true)
        let object: JSONObject = [
            "b": .int(1),
            "a": .array([.int(1), .number(2.5), .null]),
            "o": .object(inner),
            "e": .object(JSONObject()),
            "empty": .array([]),
            "list": .array([.object(["k": .string("v")]), .int(-3)]),
        ]
        let expected = """
        {
          "b": 1,
          "a": [1, 2.5, null],
          "o": {
            "x": true
          },
          "e": {},
          "empty": [],
          "list": [
            {
              "k": "v"
            },
            -3
          ]
        }

        """
        #expect(object.serialized() == expected)
    }

    @Test func keyOrderIsInsertionOrder() throws {
        let keys = ["zeta", "alpha", "mu", "beta", "omega", "a", "Z", "10", "2"]
        var object = JSONObject()
        for (i, k) in keys.enumerated() { object[k] = .int(i) }
        #expect(object.entries.map(\.key) == keys)
        let text = object.serialized()
        let positions = keys.map { text.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted(), "keys written out of insertion order")
        // Replacing keeps the position; removing drops the key; a new key goes last.
        object["mu"] = .string("replaced")
        object["alpha"] = nil
        object["new"] = .null
        #expect(object.entries.map(\.key) == ["zeta", "mu", "beta", "omega", "a", "Z", "10", "2", "new"])
        #expect(object["mu"] == .string("replaced"))
        let parsed = try #require(try parse(object.serialized()) as? [String: Any])
        #expect(parsed["mu"] as? String == "replaced" && parsed["new"] is NSNull && parsed["alpha"] == nil)
    }

    @Test func documentPutsSchemaAndVersionFirst() {
        let plain = JSONObject.document(schema: "s", ["a": .int(1), "b": .int(2)])
        #expect(plain.entries.map(\.key) == ["schema", "voxdose_version", "a", "b"])
        #expect(plain["voxdose_version"] == .string(voxdoseVersion))
    }

    @Test func nonFiniteNumbersAreNull() throws {
        let object: JSONObject = [
            "nan": .number(.nan), "inf": .number(.infinity), "ninf": .number(-.infinity),
            "fnan": .float(.nan), "finf": .float(.infinity), "fninf": .float(-.infinity),
            "arr": .array([.number(.nan), .float(-.infinity), .number(1)]),
            "nil": .number(nil as Double?), "nilInt": .int(nil as Int?), "nilString": .string(nil as String?),
        ]
        let text = object.serialized()
        #expect(!text.contains("nan,") && !text.contains(": nan") && !text.contains("inf,") && !text.contains(": inf") && !text.contains("-inf"))
        #expect(text.contains("\"nan\": null") && text.contains("\"inf\": null") && text.contains("\"ninf\": null"))
        #expect(text.contains("\"fnan\": null") && text.contains("\"finf\": null") && text.contains("\"fninf\": null"))
        #expect(text.contains("\"arr\": [null, null, 1.0]"))
        let parsed = try #require(try parse(text) as? [String: Any])
        for key in ["nan", "inf", "ninf", "fnan", "finf", "fninf", "nil", "nilInt", "nilString"] {
            #expect(parsed[key] is NSNull, "\(key)")
        }
    }

    @Test func stringEscaping() throws {
        let nasty = "quote \" backslash \\ slash / newline \n return \r tab \t nul \u{0} bell \u{7} bs \u{8} ff \u{C} esc \u{1B} us \u{1F} del \u{7F} é 漢 🧪 \u{2028}"
        let object: JSONObject = ["s": .string(nasty), nasty: .int(1)]
        let text = object.serialized()
        // Every control character is escaped: no raw byte below 0x20 except the layout newlines.
        let body = text.split(separator: "\n")
        #expect(body.allSatisfy { line in line.unicodeScalars.allSatisfy { $0.value >= 0x20 } })
        #expect(text.contains(#"quote \" backslash \\ slash"#))
        #expect(text.contains(#"newline \n return \r tab \t nul \u0000 bell \u0007 bs \u0008 ff \u000c esc \u001b us \u001f del "#
                              + "\u{7F} é 漢 🧪 \u{2028}"), "DEL and non-ASCII are written as they are")
        let parsed = try #require(try parse(text) as? [String: Any])
        #expect(parsed["s"] as? String == nasty)
        #expect((parsed[nasty] as? NSNumber)?.intValue == 1, "keys are escaped too")
    }

    @Test func everyControlCharacterRoundTrips() throws {
        for v in 0..<0x20 {
            let s = "a" + String(UnicodeScalar(UInt8(v))) + "b"
            let text = JSONValue.array([.string(s)]).serialized()
            let parsed = try #require(try parse(text) as? [Any])
            #expect(parsed.first as? String == s, "U+\(String(v, radix: 16))")
        }
    }

    @Test func numbersRoundTripThroughJSONSerialization() throws {
        var rng = SplitMix64(seed: 1)
        let fixedDoubles: [Double] = [0, -0.0, 1, -1, 0.1, 0.1 + 0.2, 1e-300, 1.7976931348623157e308,
                                      -2.2250738585072014e-308, 123456789.123456789, 1e16, 1e21, 1e22, 2.5e-7, .leastNonzeroMagnitude]
        let randomDoubles = (0..<2000).map { _ in Double(bitPattern: rng.next() & ~(0x7FF << 52) | (UInt64.random(in: 1...2046, using: &rng) << 52)) }
        let doubles = fixedDoubles + randomDoubles
        let fixedFloats: [Float] = [0.1, -0.0, 1, 3.4028235e38, .leastNonzeroMagnitude, 1.1754944e-38, 16777216, 0.3, 2.5e-7]
        let randomFloats = (0..<2000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & ~(0xFF << 23) | (UInt32.random(in: 1...254, using: &rng) << 23)) }
        let floats = fixedFloats + randomFloats
        let ints = [0, 1, -1, Int(Int32.max), Int(Int32.min), Int.max, Int.min + 1]
        let object: JSONObject = [
            "d": .array(doubles.map { .number($0) }),
            "f": .array(floats.map { .float($0) }),
            "i": .array(ints.map { .int($0) }),
        ]
        let text = object.serialized()
        // Exact: Foundation's JSONDecoder reads the shortest round-trip text back bit for bit.
        struct Numbers: Decodable { var d: [Double]; var f: [Float]; var i: [Int] }
        let decoded = try JSONDecoder().decode(Numbers.self, from: Data(text.utf8))
        #expect(decoded.d.count == doubles.count && decoded.f.count == floats.count && decoded.i == ints)
        for (got, d) in zip(decoded.d, doubles) where got.bitPattern != d.bitPattern {
            Issue.record("double \(d) written as text that reads back as \(got)")
        }
        for (got, f) in zip(decoded.f, floats) where got.bitPattern != f.bitPattern {
            Issue.record("float \(f) written as text that reads back as \(got)")
        }
        // JSONSerialization (swift-corelibs-foundation on Linux) parses the same text, but its
        // own decimal conversion can be off by a few ULPs (Double("0.30000000000000004") is
        // exact, JSONSerialization gives 0.3000000000000001): compare within 1e-13 (its error grows for tiny exponents).
        let parsed = try #require(try parse(text) as? [String: Any])
        let pd = try #require(parsed["d"] as? [NSNumber])
        let pf = try #require(parsed["f"] as? [NSNumber])
        #expect(pd.count == doubles.count && pf.count == floats.count)
        for (n, d) in zip(pd, doubles) where abs(n.doubleValue - d) > 1e-13 * abs(d) {
            Issue.record("double \(d) read back by JSONSerialization as \(n.doubleValue)")
        }
        for (n, f) in zip(pf, floats) where Float(n.doubleValue) != f {
            Issue.record("float \(f) read back by JSONSerialization as \(n.doubleValue)")
        }
    }

    @Test func scalarsAndTopLevel() throws {
        #expect(JSONValue.null.serialized() == "null")
        #expect(JSONValue.bool(false).serialized() == "false")
        #expect(JSONValue.int(-42).serialized() == "-42")
        #expect(JSONValue.number(0.5).serialized() == "0.5")
        #expect(JSONValue.float(0.1).serialized() == "0.1", "shortest Float form, not 0.10000000149")
        #expect(JSONValue.string("x").serialized() == "\"x\"")
        #expect(JSONObject().serialized() == "{}\n")
        #expect(JSONValue.number(5).serialized() == "5.0")
    }
}
