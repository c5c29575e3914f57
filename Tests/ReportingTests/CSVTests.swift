import Testing
import Reporting

/// A small RFC 4180 reader: quoted cells may hold commas, quotes ("") and newlines.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], cell = ""
    var quoted = false, afterQuote = false
    var it = Array(text).makeIterator()
    var pending: Character? = nil
    while let c = pending ?? it.next() {
        pending = nil
        if quoted {
            if c == "\"" {
                if let n = it.next() {
                    if n == "\"" { cell.append("\"") } else { quoted = false; afterQuote = true; pending = n }
                } else { quoted = false }
            } else { cell.append(c) }
            continue
        }
        switch c {
        case "\"" where cell.isEmpty && !afterQuote: quoted = true
        case ",": row.append(cell); cell = ""; afterQuote = false
        case "\n": row.append(cell); rows.append(row); row = []; cell = ""; afterQuote = false
        default: cell.append(c)
        }
    }
    if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
    return rows
}

@Suite struct CSVTests {
    @Test func flatteningRules() {
        let row: JSONObject = [
            "label": .int(3),
            "stats": .object(["mean": .number(2.5), "percentiles": .object(["97.5": .number(7), "2": .number(-1.25)])]),
            "arr": .array([.int(10), .int(20), .array([.bool(false)])]),
            "ok": .bool(true),
            "bad": .bool(false),
            "none": .null,
            "nan": .number(.nan),
            "finf": .float(.infinity),
            "f": .float(0.1),
        ]
        let text = CSV.table([row])
        let expected = "label,stats_mean,stats_percentiles_97.5,stats_percentiles_2,arr_0,arr_1,arr_2_0,ok,bad,none,nan,finf,f\n"
                     + "3,2.5,7.0,-1.25,10,20,false,true,false,,,,0.1\n"
        #expect(text == expected)
    }

    @Test func quotingOfCellsAndHeaders() {
        let rows: [JSONObject] = [
            ["name": .string("plain"), "note": .string("a,b"), "q": .string("say \"hi\""), "nl": .string("line1\nline2"), "cr": .string("x\ry")],
            ["name": .string(""), "note": .string(" spaced "), "q": .string("\""), "nl": .string("no"), "cr": .string("z")],
        ]
        let text = CSV.table(rows)
        let expected = "name,note,q,nl,cr\n"
            + "plain,\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"x\ry\"\n"
            + ", spaced ,\"\"\"\",no,z\n"
        #expect(text == expected)
        let parsed = parseCSV(text)
        #expect(parsed == [["name", "note", "q", "nl", "cr"],
                           ["plain", "a,b", "say \"hi\"", "line1\nline2", "x\ry"],
                           ["", " spaced ", "\"", "no", "z"]])
        // A key needing quotes is quoted in the header too.
        let h = CSV.table([["a,b": .object(["c\"d": .int(1)])]])
        #expect(h == "\"a,b_c\"\"d\"\n1\n")
        #expect(parseCSV(h) == [["a,b_c\"d"], ["1"]])
    }

    @Test func headerIsUnionOfKeysInFirstSeenOrder() {
        let rows: [JSONObject] = [
            ["label": .int(1), "mean": .number(1.5), "p": .array([.int(1), .int(2)])],
            ["label": .int(2), "extra": .string("x"), "p": .array([.int(3), .int(4), .int(5)])],
            ["mean": .number(3)],
        ]
        let text = CSV.table(rows)
        #expect(text == "label,mean,p_0,p_1,extra,p_2\n1,1.5,1,2,,\n2,,3,4,x,5\n,3.0,,,,\n")
        let parsed = parseCSV(text)
        #expect(parsed.count == 4 && parsed.allSatisfy { $0.count == 6 })
    }

    @Test func emptyTable() {
        #expect(CSV.table([]) == "\n")
    }
}
