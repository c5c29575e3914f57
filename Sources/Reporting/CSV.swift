/// CSV with the contract's conventions: one header row, one row per record, nested keys
/// joined with `_` (`percentiles_97.5`), arrays flattened to `_0`, `_1`, booleans as
/// `true`/`false`, null (and non-finite numbers) as an empty cell.
public enum CSV {
    /// The table for `rows`; the header is the union of their flattened keys in first-seen order.
    public static func table(_ rows: [JSONObject]) -> String {
        let flattened = rows.map { flatten(.object($0), prefix: "") }
        var columns: [String] = []
        var seen = Set<String>()
        for row in flattened {
            for (key, _) in row where seen.insert(key).inserted { columns.append(key) }
        }
        var out = columns.map(escape).joined(separator: ",") + "\n"
        for row in flattened {
            let cells = Dictionary(row, uniquingKeysWith: { first, _ in first })
            out += columns.map { cells[$0] ?? "" }.map(escape).joined(separator: ",") + "\n"
        }
        return out
    }

    private static func flatten(_ value: JSONValue, prefix: String) -> [(String, String)] {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "_" + key }
        switch value {
        case .object(let object):
            return object.entries.flatMap { flatten($0.value, prefix: join($0.key)) }
        case .array(let items):
            return items.enumerated().flatMap { flatten($1, prefix: join(String($0))) }
        case .null: return [(prefix, "")]
        case .bool(let b): return [(prefix, b ? "true" : "false")]
        case .int(let i): return [(prefix, String(i))]
        case .number(let d): return [(prefix, d.isFinite ? JSONValue.format(d) : "")]
        case .float(let f): return [(prefix, f.isFinite ? JSONValue.format(f) : "")]
        case .string(let s): return [(prefix, s)]
        }
    }

    /// A cell as RFC 4180 writes it: quoted, with quotes doubled, when it holds a comma, a quote
    /// or a line break.
    public static func escape(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        var quoted = "\""
        for character in cell { quoted += character == "\"" ? "\"\"" : String(character) }
        return quoted + "\""
    }
}
