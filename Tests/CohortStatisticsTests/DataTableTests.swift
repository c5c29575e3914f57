import Foundation
import Testing
@testable import CohortStatistics

@Suite struct DataTableTests {
    @Test func quotingLineEndsAndBOM() throws {
        let text = "\u{FEFF}label, name ,dose\r\n1,\"Smith, J\",12.5\r\n2,\"say \"\"hi\"\"\", 13 \r\n\r\n3,\"two\nlines\",NA\n"
        let table = try DataTable(csv: text, source: "t.csv")
        #expect(table.columns == ["label", "name", "dose"])
        #expect(table.rows == [["1", "Smith, J", "12.5"], ["2", "say \"hi\"", "13"], ["3", "two\nlines", "NA"]])
        // No trailing newline, a quoted empty cell, a lone CR line end.
        let bare = try DataTable(csv: "a,b\r1,\"\"\r2,3", source: "t.csv")
        #expect(bare.rows == [["1", ""], ["2", "3"]])
    }

    @Test func malformedTables() {
        func message(_ text: String) -> String? {
            do { _ = try DataTable(csv: text, source: "t.csv"); return nil } catch { return "\(error)" }
        }
        #expect(message("")?.contains("empty") == true)
        #expect(message("\n\n")?.contains("empty") == true)
        #expect(message("a,b\n1,2,3\n")?.contains("line 2 has 3 cells; the header has 2") == true)
        #expect(message("a,a\n1,2\n")?.contains("twice") == true)
        #expect(message("a,\n1,2\n")?.contains("empty column name") == true)
        #expect(message("a,b\n1,\"open\n")?.contains("not closed") == true)
        #expect(message("a,b\n1,\"x\"y\n")?.contains("after a closing quote") == true)
        #expect(message("a\n")?.hasPrefix("t.csv") == nil)  // a header alone is a table (with no rows)
    }

    @Test func missingTokensAndKinds() throws {
        for token in ["", "NA", "na", "NaN", "nan", "NAN", "null", "NULL", "Null", "."] {
            #expect(DataTable.isMissing(token), "\(token)")
        }
        for token in ["0", "N/A", "none", "-", "..", "nul"] { #expect(!DataTable.isMissing(token), "\(token)") }
        let table = try DataTable(csv: """
            num,flag,text,empty,mixed,exp
            1,true,a,,1,1e3
            -2.5,FALSE,b,NA,true,+.5E-2
            NA,,c,.,0,-3.
            """, source: "t.csv")
        #expect((0..<6).map { table.kind(ofColumn: $0) } == [.numeric, .boolean, .text, .empty, .text, .numeric])
    }

    @Test func strictNumbers() {
        for (text, value) in [("12", 12.0), ("-0.5", -0.5), ("+3", 3), (".5", 0.5), ("5.", 5), ("1e3", 1000), ("2.5E-1", 0.25)] {
            #expect(DataTable.number(text) == value, "\(text)")
        }
        for text in ["inf", "Infinity", "nan", "0x1p3", "1e", "e5", "1,5", "1.2.3", " 1", "--1", "1e400", ".", "+"] {
            #expect(DataTable.number(text) == nil, "\(text)")
        }
        #expect(DataTable.boolean("TRUE") == true && DataTable.boolean("False") == false && DataTable.boolean("1") == nil)
    }
}
