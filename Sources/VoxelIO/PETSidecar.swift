#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The JSON sidecar that dcm2niix or a BIDS-PET converter writes beside a PET NIfTI: the keys
/// of `../shared/CONTRACT.md` ("Sidecar keys read"), with units and date-times interpreted.
/// Every accessor names the key it used, so outputs and errors can say where a value came from.
public struct PETSidecar: Sendable {
    public let path: String
    private let object: [String: JSONInput]

    /// How the image values are decay-corrected (DICOM Decay Correction, 0054,1102).
    public enum DecayCorrection: String, Sendable {
        /// To the start of the acquisition.
        case start = "START"
        /// To the administration (injection, implantation) time.
        case admin = "ADMIN"
        /// Not decay-corrected.
        case none = "NONE"
    }

    /// A time read from the sidecar, with the keys it came from. `dateKnown` is false for a
    /// BIDS time (TimeZero is a clock time) when the sidecar holds no date: such times can only
    /// be compared with each other.
    public struct Time: Sendable, Equatable {
        public var value: WrittenDateTime
        public var keys: String
        public var dateKnown: Bool
    }

    /// The BIDS sidecar beside an image (`x.nii.gz`, `x.nii`, `x.hdr` → `x.json`) when that file
    /// exists, else nil.
    public static func beside(_ image: String) -> String? {
        let lower = image.lowercased()
        guard let suffix = [".nii.gz", ".nii", ".hdr.gz", ".hdr"].first(where: lower.hasSuffix) else { return nil }
        let path = String(image.dropLast(suffix.count)) + ".json"
        return FileSystem.fileType(path) == S_IFREG ? path : nil
    }

    /// Reads `path` as a JSON object.
    public init(path: String) throws {
        self.path = path
        object = try JSONInput.readObject(path, what: "the sidecar")
    }

    // MARK: - Raw values

    public func string(_ key: String) -> String? {
        if case .string(let s)? = object[key] { return s.trimmingCharacters(in: .whitespaces) }
        return nil
    }

    /// The physical range of each numeric key VoxDose reads (CONTRACT.md hardening rules): a
    /// half-life, weight, height or activity must be positive; a BIDS time offset from
    /// `TimeZero` lies within ±1e9 s (31 years). Other keys need only be finite.
    public static let numberRanges: [String: ClosedRange<Double>] = {
        let positive = Double.leastNonzeroMagnitude ... Double.greatestFiniteMagnitude
        let offset = -1e9 ... 1e9
        return ["RadionuclideHalfLife": positive, "InjectedRadioactivity": positive, "RadionuclideTotalDose": positive,
                "BodyWeight": positive, "PatientWeight": positive, "PatientSize": positive,
                "InjectionStart": offset, "ScanStart": offset, "ImageDecayCorrectionTime": offset]
    }()

    /// The number under `key` (a JSON number, a decimal number written as a string, or the
    /// first element of a list), or nil when the key is absent or null.
    /// - Throws: ``VoxelIOError`` naming the key when the value is not a finite decimal number
    ///   (`"inf"`, `"nan"`, hexadecimal and words are refused) or lies outside the key's
    ///   physical range (``numberRanges``).
    public func number(_ key: String) throws -> Double? {
        let value: Double
        switch object[key] {
        case nil, .null?: return nil
        case .number(let d)?: value = d
        case .string(let s)?:
            guard let d = Self.decimal(s) else { throw VoxelIOError(path, "\(key) is \"\(s)\", not a finite decimal number") }
            value = d
        case .array(let a)?:
            guard case .number(let d)? = a.first else { throw VoxelIOError(path, "\(key) is a list that does not start with a number") }
            value = d
        default:
            throw VoxelIOError(path, "\(key) is not a number")
        }
        guard value.isFinite else { throw VoxelIOError(path, "\(key) is not finite") }
        if let range = Self.numberRanges[key], !range.contains(value) {
            let bound = range.lowerBound > 0 ? "must be positive" : "must lie within ±\(Int(range.upperBound)) s"
            throw VoxelIOError(path, "\(key) is \(value): it \(bound)")
        }
        return value
    }

    /// A finite decimal number as JSON writes one (`-12.5e3`), surrounding spaces allowed;
    /// nil for anything else (`inf`, `nan`, `0x1p3`, `1,5`).
    static func decimal(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        var digits = 0, seenExponent = false, previous: Character = " "
        for c in t {
            switch c {
            case "0"..."9": digits += 1
            case "+", "-": guard previous == " " || previous == "e" || previous == "E" else { return nil }
            case ".": guard !seenExponent else { return nil }
            case "e", "E": guard digits > 0, !seenExponent else { return nil }; seenExponent = true
            default: return nil
            }
            previous = c
        }
        guard digits > 0, let value = Double(t), value.isFinite else { return nil }
        return value
    }

    public func bool(_ key: String) -> Bool? {
        switch object[key] {
        case .bool(let b)?: return b
        case .string(let s)?: return ["true", "yes"].contains(s.lowercased()) ? true : (["false", "no"].contains(s.lowercased()) ? false : nil)
        default: return nil
        }
    }

    public func has(_ key: String) -> Bool { object[key] != nil }

    // MARK: - Interpreted values

    /// `DecayCorrection` (START/ADMIN/NONE), else BIDS `ImageDecayCorrected` (false → NONE;
    /// true → ADMIN when `ImageDecayCorrectionTime` equals `InjectionStart`, else START).
    public func decayCorrection() throws -> (mode: DecayCorrection, key: String)? {
        if let text = string("DecayCorrection") {
            guard let mode = DecayCorrection(rawValue: text.uppercased()) else {
                throw VoxelIOError(path, "DecayCorrection is \"\(text)\"; expected START, ADMIN or NONE")
            }
            return (mode, "DecayCorrection")
        }
        if let corrected = bool("ImageDecayCorrected") {
            guard corrected else { return (.none, "ImageDecayCorrected") }
            if let at = try number("ImageDecayCorrectionTime"), let injection = try number("InjectionStart"), at == injection {
                return (.admin, "ImageDecayCorrected, ImageDecayCorrectionTime = InjectionStart")
            }
            return (.start, "ImageDecayCorrected")
        }
        return nil
    }

    /// The factor from the sidecar's `Units` to Bq/mL, or nil when there is no `Units` key.
    /// - Throws: for units that are not an activity concentration (counts, SUV, …).
    public func unitsToBqPerML() throws -> (factor: Double, text: String)? {
        guard let text = string("Units") else { return nil }
        guard let factor = Quantity.parse("1 " + text, as: .concentration) else {
            throw VoxelIOError(path, "Units is \"\(text)\"; VoxDose needs an activity concentration (Bq/mL, kBq/mL, MBq/mL or BQML)")
        }
        return (factor, text)
    }

    /// The administered (injected, implanted) activity in Bq: `InjectedRadioactivity` with its
    /// `InjectedRadioactivityUnits` (or the older `InjectedRadioactivityUnit`), and
    /// `RadionuclideTotalDose` (Bq), which must agree within 1 %; nil when neither is present.
    /// - Parameter option: the option that would supply the value, named in the errors.
    /// - Throws: a value without units, units that are not an activity, "MBq" above 1e5 (recent
    ///   dcm2niix writes Bq under that label), or the two keys disagreeing.
    public func administeredActivityBq(option: String) throws -> Double? {
        var injected: Double?
        if let value = try number("InjectedRadioactivity") {
            let unitKey = has("InjectedRadioactivityUnits") ? "InjectedRadioactivityUnits" : "InjectedRadioactivityUnit"
            guard let unit = string(unitKey) else {
                throw VoxelIOError(path, "InjectedRadioactivity has no InjectedRadioactivityUnits; give \(option)")
            }
            guard let perUnit = Quantity.parse("1 " + unit, as: .activity) else {
                throw VoxelIOError(path, "InjectedRadioactivityUnits \"\(unit)\" is not an activity unit; give \(option)")
            }
            if unit.lowercased() == "mbq" && value > 1e5 {
                throw VoxelIOError(path, "InjectedRadioactivity is \(value) MBq, likely Bq labelled as MBq; give \(option)")
            }
            injected = value * perUnit
        }
        let total = try number("RadionuclideTotalDose")
        switch (injected, total) {
        case let (a?, b?):
            guard abs(a - b) <= 0.01 * max(a, b) else {
                throw VoxelIOError(path, "InjectedRadioactivity (\(a) Bq) and RadionuclideTotalDose (\(b) Bq) differ by more than 1 %; give \(option)")
            }
            return a
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }

    /// The date of the series, else of the acquisition (for clock times without a date; QIBA).
    private func seriesOrAcquisitionDay() -> (days: Int, key: String)? {
        if let d = string("SeriesDate").flatMap(WrittenDateTime.parseDate) { return (d, "SeriesDate") }
        if let t = string("AcquisitionDateTime").flatMap(WrittenDateTime.parse) {
            return (Int((t.wallClockSeconds / 86400).rounded(.down)), "AcquisitionDateTime")
        }
        if let d = string("AcquisitionDate").flatMap(WrittenDateTime.parseDate) { return (d, "AcquisitionDate") }
        if let d = string("StudyDate").flatMap(WrittenDateTime.parseDate) { return (d, "StudyDate") }
        return nil
    }

    /// A BIDS time: TimeZero (a clock time, on the series or acquisition date when one is known)
    /// plus `seconds`.
    private func bidsTime(plus secondsKey: String) throws -> Time? {
        guard let zero = string("TimeZero"), let offset = try number(secondsKey) else { return nil }
        if let full = WrittenDateTime.parse(zero) {
            return Time(value: WrittenDateTime(wallClockSeconds: full.wallClockSeconds + offset, offsetSeconds: full.offsetSeconds),
                        keys: "TimeZero + \(secondsKey)", dateKnown: true)
        }
        guard let clock = WrittenDateTime.parseTime(zero) else { throw VoxelIOError(path, "TimeZero \"\(zero)\" is not a time") }
        let day = seriesOrAcquisitionDay()
        return Time(value: WrittenDateTime(wallClockSeconds: Double(day?.days ?? 0) * 86400 + clock + offset, offsetSeconds: nil),
                    keys: "TimeZero + \(secondsKey)" + (day.map { " on \($0.key)" } ?? ""), dateKnown: day != nil)
    }

    /// The administration (injection, implantation) time: `RadiopharmaceuticalStartDateTime`,
    /// else `RadiopharmaceuticalStartTime` on the series date (or the acquisition date when there
    /// is no series date; QIBA), else BIDS `TimeZero` + `InjectionStart`.
    public func administrationTime() throws -> Time? {
        if let text = string("RadiopharmaceuticalStartDateTime") {
            guard let t = WrittenDateTime.parse(text) else {
                throw VoxelIOError(path, "RadiopharmaceuticalStartDateTime \"\(text)\" is not a date-time")
            }
            return Time(value: t, keys: "RadiopharmaceuticalStartDateTime", dateKnown: true)
        }
        if let text = string("RadiopharmaceuticalStartTime") {
            guard let clock = WrittenDateTime.parseTime(text) else {
                throw VoxelIOError(path, "RadiopharmaceuticalStartTime \"\(text)\" is not a time")
            }
            let day = seriesOrAcquisitionDay()
            return Time(value: WrittenDateTime(wallClockSeconds: Double(day?.days ?? 0) * 86400 + clock, offsetSeconds: nil),
                        keys: "RadiopharmaceuticalStartTime" + (day.map { " on \($0.key)" } ?? ""), dateKnown: day != nil)
        }
        return try bidsTime(plus: "InjectionStart")
    }

    /// The start of the acquisition, the reference of a START decay correction. BIDS
    /// `ImageDecayCorrectionTime` (seconds from TimeZero) when given; else the QIBA rule: the
    /// series date-time unless it is later than the acquisition date-time; else BIDS
    /// `TimeZero` + `ScanStart`.
    public func acquisitionStartTime() throws -> Time? {
        if let t = try bidsTime(plus: "ImageDecayCorrectionTime") { return t }
        var series: Time?
        if let date = string("SeriesDate"), let time = string("SeriesTime") {
            guard let t = WrittenDateTime.combine(date: date, time: time) else {
                throw VoxelIOError(path, "SeriesDate/SeriesTime \"\(date)\" \"\(time)\" is not a date-time")
            }
            series = Time(value: t, keys: "SeriesDate + SeriesTime", dateKnown: true)
        }
        var acquisition: Time?
        if let text = string("AcquisitionDateTime") {
            guard let t = WrittenDateTime.parse(text) else {
                throw VoxelIOError(path, "AcquisitionDateTime \"\(text)\" is not a date-time")
            }
            acquisition = Time(value: t, keys: "AcquisitionDateTime", dateKnown: true)
        } else if let text = string("AcquisitionTime"), let clock = WrittenDateTime.parseTime(text),
                  let day = seriesOrAcquisitionDay() {
            acquisition = Time(value: WrittenDateTime(wallClockSeconds: Double(day.days) * 86400 + clock, offsetSeconds: nil),
                               keys: "AcquisitionTime on \(day.key)", dateKnown: true)
        }
        switch (series, acquisition) {
        case let (s?, a?): return s.value.wallClockSeconds > a.value.wallClockSeconds ? a : s
        case let (s?, nil): return s
        case let (nil, a?): return a
        case (nil, nil): return try bidsTime(plus: "ScanStart")
        }
    }
}
