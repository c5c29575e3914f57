import Foundation

/// A date-time as written: calendar fields, with a UTC offset or none.
///
/// Accepts ISO 8601 (`2026-03-02T09:41:00`, `…T09:41:00.5+02:00`, `…Z`, a space for `T`) and
/// DICOM forms (DT `YYYYMMDDHHMMSS.FFFFFF&ZZXX`; DA `YYYYMMDD` with TM `HH`, `HHMM`, `HHMMSS.FFFFFF`,
/// or `HH:MM:SS`). Times without an offset are resolved with ``resolved(defaultOffsetSeconds:)``.
public struct WrittenDateTime: Equatable, Sendable {
    /// Seconds since 1970-01-01T00:00:00 of the written wall-clock time, as if it were UTC.
    public var wallClockSeconds: Double
    /// The UTC offset written with it, in seconds, or nil.
    public var offsetSeconds: Int?

    public init(wallClockSeconds: Double, offsetSeconds: Int?) {
        self.wallClockSeconds = wallClockSeconds
        self.offsetSeconds = offsetSeconds
    }

    /// Seconds since the epoch (UTC), reading a time without an offset at `defaultOffsetSeconds`.
    public func resolved(defaultOffsetSeconds: Int?) -> Double {
        wallClockSeconds - Double(offsetSeconds ?? defaultOffsetSeconds ?? 0)
    }

    /// ISO 8601 text of the wall-clock time (with the offset when known).
    public var iso8601: String {
        // Years 0001–9999 only (±2.5e11 s); inputs are bounded far inside this where they enter.
        guard wallClockSeconds.isFinite, abs(wallClockSeconds) < 2.5e11 else { return "invalid date-time" }
        let whole = wallClockSeconds.rounded(.down)
        let (days, secondOfDay) = Int(whole).quotientAndRemainder(dividingBy: 86400)
        let (y, m, d) = Self.civil(fromDays: secondOfDay < 0 ? days - 1 : days)
        let s = secondOfDay < 0 ? secondOfDay + 86400 : secondOfDay
        var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, s / 3600, (s / 60) % 60, s % 60)
        let fraction = wallClockSeconds - whole
        if fraction > 0 { text += String(String(format: "%.6f", fraction).dropFirst()) }
        if let offset = offsetSeconds {
            text += offset == 0 ? "Z" : String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 3600, (abs(offset) / 60) % 60)
        }
        return text
    }

    /// Parses an ISO 8601 or DICOM DT date-time; nil when it is not one.
    public static func parse(_ text: String) -> WrittenDateTime? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let iso = parseISO(t) { return iso }
        return parseDICOMDateTime(t)
    }

    /// A DICOM DA date and a TM (or `HH:MM:SS`) time combined.
    public static func combine(date: String, time: String) -> WrittenDateTime? {
        guard let days = parseDate(date.trimmingCharacters(in: .whitespaces)),
              let seconds = parseTime(time.trimmingCharacters(in: .whitespaces)) else { return nil }
        return WrittenDateTime(wallClockSeconds: Double(days) * 86400 + seconds, offsetSeconds: nil)
    }

    /// Seconds after midnight of a DICOM TM (`HH`, `HHMM`, `HHMMSS`, optional `.FFFFFF`) or
    /// `HH:MM[:SS[.F]]` clock time.
    public static func parseTime(_ text: String) -> Double? {
        let digits = text.replacingOccurrences(of: ":", with: "")
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let main = parts[0]
        guard [2, 4, 6].contains(main.count), main.allSatisfy(\.isASCII), main.allSatisfy(\.isNumber) else { return nil }
        let fields = stride(from: 0, to: main.count, by: 2).map {
            Int(main[main.index(main.startIndex, offsetBy: $0)..<main.index(main.startIndex, offsetBy: $0 + 2)])!
        }
        let h = fields[0], m = fields.count > 1 ? fields[1] : 0, s = fields.count > 2 ? fields[2] : 0
        guard h < 24, m < 60, s < 61 else { return nil }
        var fraction = 0.0
        if parts.count == 2 {
            guard main.count == 6, !parts[1].isEmpty, parts[1].allSatisfy(\.isNumber), let f = Double("0." + parts[1]) else { return nil }
            fraction = f
        }
        return Double(h * 3600 + m * 60 + s) + fraction
    }

    /// Days since 1970-01-01 of a DICOM DA `YYYYMMDD` or ISO `YYYY-MM-DD` date.
    public static func parseDate(_ text: String) -> Int? {
        let digits = text.replacingOccurrences(of: "-", with: "")
        guard digits.count == 8, digits.allSatisfy(\.isNumber), let y = Int(digits.prefix(4)),
              let m = Int(digits.dropFirst(4).prefix(2)), let d = Int(digits.suffix(2)),
              (1...12).contains(m), (1...daysInMonth(y, m)).contains(d) else { return nil }
        return days(fromCivil: y, m, d)
    }

    private static func parseISO(_ t: String) -> WrittenDateTime? {
        guard let separator = t.firstIndex(where: { $0 == "T" || $0 == " " }) else {
            return nil
        }
        let datePart = String(t[..<separator])
        var timePart = String(t[t.index(after: separator)...])
        guard datePart.count == 10, datePart.contains("-"), let days = parseDate(datePart) else { return nil }
        var offset: Int?
        if timePart.hasSuffix("Z") || timePart.hasSuffix("z") {
            offset = 0
            timePart.removeLast()
        } else if let signIndex = timePart.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = timePart[timePart.index(after: signIndex)...].replacingOccurrences(of: ":", with: "")
            guard zone.count == 4 || zone.count == 2, zone.allSatisfy(\.isASCII), zone.allSatisfy(\.isNumber),
                  let value = Int(zone) else { return nil }
            guard let seconds = offsetSeconds(hours: zone.count == 4 ? value / 100 : value, minutes: zone.count == 4 ? value % 100 : 0,
                                              negative: timePart[signIndex] == "-") else { return nil }
            offset = seconds
            timePart = String(timePart[..<signIndex])
        }
        guard timePart.contains(":"), let seconds = parseTime(timePart) else { return nil }
        return WrittenDateTime(wallClockSeconds: Double(days) * 86400 + seconds, offsetSeconds: offset)
    }

    private static func parseDICOMDateTime(_ t: String) -> WrittenDateTime? {
        var body = t
        var offset: Int?
        if let signIndex = body.firstIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = body[body.index(after: signIndex)...]
            guard zone.count == 4, zone.allSatisfy(\.isASCII), zone.allSatisfy(\.isNumber), let value = Int(zone),
                  let seconds = offsetSeconds(hours: value / 100, minutes: value % 100, negative: body[signIndex] == "-") else { return nil }
            offset = seconds
            body = String(body[..<signIndex])
        }
        let main = body.split(separator: ".", maxSplits: 1).first.map(String.init) ?? body
        guard main.count >= 10, main.allSatisfy(\.isNumber), let days = parseDate(String(main.prefix(8))) else { return nil }
        guard let seconds = parseTime(String(body.dropFirst(8))) else { return nil }
        return WrittenDateTime(wallClockSeconds: Double(days) * 86400 + seconds, offsetSeconds: offset)
    }

    /// A UTC offset in seconds; nil beyond ±23:59 (hours 0–23, minutes 0–59: CONTRACT.md
    /// hardening rules; real zones span −12:00 to +14:00).
    private static func offsetSeconds(hours: Int, minutes: Int, negative: Bool) -> Int? {
        guard (0...23).contains(hours), (0...59).contains(minutes) else { return nil }
        return (negative ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    private static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
