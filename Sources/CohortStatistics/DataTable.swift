import Foundation

/// A CSV table of text cells with one header row (Docs/COHORT.md, "Reading the table"):
/// RFC 4180 quoting (a quoted cell may hold commas, quotes doubled, line breaks), LF or CRLF
/// line ends, a UTF-8 byte-order mark ignored, blank lines skipped, every cell trimmed of
/// surrounding spaces and tabs (quoted cells too).
public struct DataTable: Sendable {
    /// What the non-missing cells of a column hold.
    public enum ColumnKind: String, Sendable {
        /// Every non-missing cell is a finite decimal number.
        case numeric
        /// Every non-missing cell is `true` or `false` (any case).
        case boolean
        case text
        /// No non-missing cell at all.
        case empty
    }

    /// Where the table came from (a path), for messages.
    public var source: String
    public var columns: [String]
    /// Data rows, each with one trimmed cell per column.
    public var rows: [[String]]

    /// Reads a CSV file.
    public static func read(path: String) throws -> DataTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CohortError("\(path): cannot read the table")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CohortError("\(path): the table is not UTF-8 text")
        }
        return try DataTable(csv: text, source: path)
    }

    /// Parses CSV text; `source` names it in errors.
    public init(csv text: String, source: String) throws {
        self.source = source
        var records: [(line: Int, cells: [String])] = []
        var cells: [String] = []
        var cell = ""
        var quoted = false, wasQuoted = false, afterQuote = false
        var line = 1, recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        func endCell() {
            cells.append(cell.trimmingCharacters(in: .whitespaces))
            cell = ""
            wasQuoted = false
            afterQuote = false
        }
        func endRecord() {
            endCell()
            if !(cells.count == 1 && cells[0].isEmpty) { records.append((recordLine, cells)) }
            cells = []
        }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if quoted {
                if scalar == "\"" {
                    if index < scalars.count && scalars[index] == "\"" {
                        cell.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    cell.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                endCell()
            case "\r" where index < scalars.count && scalars[index] == "\n":
                continue
            case "\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            case "\"" where !afterQuote && cell.trimmingCharacters(in: .whitespaces).isEmpty:
                quoted = true
                wasQuoted = true
                cell = ""
            default:
                if afterQuote {
                    guard scalar == " " || scalar == "\t" else {
                        throw CohortError("\(source): line \(line): text after a closing quote")
                    }
                    continue
                }
                cell.unicodeScalars.append(scalar)
            }
        }
        if quoted { throw CohortError("\(source): line \(recordLine): a quoted cell is not closed") }
        if !cell.isEmpty || wasQuoted || !cells.isEmpty { endRecord() }

        guard let header = records.first else { throw CohortError("\(source): the table is empty (no header row)") }
        var seen = Set<String>()
        for name in header.cells {
            guard !name.isEmpty else { throw CohortError("\(source): the header has an empty column name") }
            guard seen.insert(name).inserted else { throw CohortError("\(source): the header names the column \"\(name)\" twice") }
        }
        for record in records.dropFirst() where record.cells.count != header.cells.count {
            throw CohortError("\(source): line \(record.line) has \(record.cells.count) cells; the header has \(header.cells.count)")
        }
        columns = header.cells
        rows = records.dropFirst().map(\.cells)
    }

    /// The position of the column named `name`.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    /// The cells of a column, top to bottom.
    public func cells(ofColumn index: Int) -> [String] { rows.map { $0[index] } }

    /// The column's kind, from its non-missing cells in every data row.
    public func kind(ofColumn index: Int) -> ColumnKind {
        let present = rows.map { $0[index] }.filter { !Self.isMissing($0) }
        if present.isEmpty { return .empty }
        if present.allSatisfy({ Self.number($0) != nil }) { return .numeric }
        if present.allSatisfy({ Self.boolean($0) != nil }) { return .boolean }
        return .text
    }

    /// Missing: an empty cell, `NA`, `NaN`, `null` or `.` (words in any case).
    public static func isMissing(_ cell: String) -> Bool {
        switch cell.lowercased() {
        case "", "na", "nan", "null", ".": return true
        default: return false
        }
    }

    /// A finite decimal number: optional sign, digits with an optional point (at least one
    /// digit), optional exponent. Not hexadecimal, `inf` or `nan`, which Double(String) accepts.
    public static func number(_ cell: String) -> Double? {
        var digits = 0, index = cell.utf8.startIndex
        let bytes = cell.utf8
        func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }
        if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index = bytes.index(after: index) }
        while let b = peek(), b >= 48, b <= 57 { digits += 1; index = bytes.index(after: index) }
        if peek() == UInt8(ascii: ".") {
            index = bytes.index(after: index)
            while let b = peek(), b >= 48, b <= 57 { digits += 1; index = bytes.index(after: index) }
        }
        guard digits > 0 else { return nil }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index = bytes.index(after: index)
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index = bytes.index(after: index) }
            var exponentDigits = 0
            while let b = peek(), b >= 48, b <= 57 { exponentDigits += 1; index = bytes.index(after: index) }
            guard exponentDigits > 0 else { return nil }
        }
        guard index == bytes.endIndex, let value = Double(cell), value.isFinite else { return nil }
        return value
    }

    /// `true` or `false`, any case.
    public static func boolean(_ cell: String) -> Bool? {
        switch cell.lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }
}
