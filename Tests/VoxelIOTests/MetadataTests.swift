import Foundation
import Testing
@testable import VoxelIO

/// Quantities, date-times and sidecar keys; expected values worked out by hand.
@Suite struct QuantityTests {
    @Test(arguments: [("370MBq", 370e6), ("1.8 GBq", 1.8e9), ("10mCi", 3.7e8), ("48 mCi", 1.776e9),
                      ("1800MBq", 1.8e9), ("2", 2e9), ("1e9Bq", 1e9), ("3.7e10 Bq", 3.7e10)])
    func activities(text: String, bq: Double) {
        #expect(abs((Quantity.parse(text, as: .activity, bareUnit: "gbq") ?? .nan) / bq - 1) < 1e-12)
    }

    @Test func otherDimensions() {
        #expect(Quantity.parse("70kg", as: .mass) == 70)
        #expect(abs(Quantity.parse("154lb", as: .mass)! - 69.85322498) < 1e-6)
        #expect(Quantity.parse("175cm", as: .length) == 1.75)
        #expect(Quantity.parse("1.75m", as: .length) == 1.75)
        let hours: Double = 64.05 * 3600, hours641: Double = 64.1 * 3600
        #expect(Quantity.parse("64.05h", as: .time) == hours)
        #expect(Quantity.parse("6586.2s", as: .time) == 6586.2)
        #expect(Quantity.parse("64.1", as: .time, bareUnit: "h") == hours641)
        #expect(Quantity.parse("8%", as: .fraction) == 0.08)
        #expect(Quantity.parse("0.08", as: .fraction) == 0.08)
        #expect(Quantity.parse("1 BQML", as: .concentration) == 1)
        #expect(Quantity.parse("1 kBq/mL", as: .concentration) == 1000)
    }

    @Test(arguments: ["", "abc", "12 parsecs", "1.8GBq/mL", "--", "kg", "nan", "inf"])
    func refused(text: String) {
        #expect(Quantity.parse(text, as: .activity, bareUnit: "gbq") == nil)
    }
}

@Suite struct DateTimeTests {
    @Test func isoAndDicomAgree() throws {
        let iso = try #require(WrittenDateTime.parse("2026-03-02T09:41:00"))
        let dicom = try #require(WrittenDateTime.parse("20260302094100"))
        let combined = try #require(WrittenDateTime.combine(date: "20260302", time: "094100.000000"))
        #expect(iso == dicom && dicom == combined)
        #expect(iso.offsetSeconds == nil)
        // 2026-03-02 is day 20514 since 1970-01-01 (56 years, 14 leap days, + 60 days).
        let expected: Double = 20514 * 86400 + 9 * 3600 + 41 * 60
        #expect(iso.wallClockSeconds == expected)
        #expect(iso.iso8601 == "2026-03-02T09:41:00")
    }

    @Test func offsetsAndNextDay() throws {
        let implant = try #require(WrittenDateTime.parse("2026-03-02T09:41:00Z"))
        let scan = try #require(WrittenDateTime.parse("2026-03-03T10:41:00+01:00"))
        #expect(scan.offsetSeconds == 3600)
        let elapsed = scan.resolved(defaultOffsetSeconds: nil) - implant.resolved(defaultOffsetSeconds: nil)
        #expect(elapsed == 86400)
        let dicom = try #require(WrittenDateTime.parse("20260303104100.5&+0100".replacingOccurrences(of: "&", with: "")))
        #expect(dicom.offsetSeconds == 3600 && dicom.wallClockSeconds == scan.wallClockSeconds + 0.5)
        // A local time is read in the zone of the other time.
        let local = try #require(WrittenDateTime.parse("2026-03-03 10:41"))
        #expect(local.resolved(defaultOffsetSeconds: 3600) == scan.resolved(defaultOffsetSeconds: nil))
    }

    /// UTC offsets within ±23:59 (hours 0–23, minutes 0–59), in ISO and DICOM spellings.
    @Test func offsetBounds() throws {
        #expect(WrittenDateTime.parse("2026-03-02T09:41:00+23:59")?.offsetSeconds == 23 * 3600 + 59 * 60)
        #expect(WrittenDateTime.parse("2026-03-02T09:41:00-23:59")?.offsetSeconds == -(23 * 3600 + 59 * 60))
        #expect(WrittenDateTime.parse("20260302094100-2359")?.offsetSeconds == -(23 * 3600 + 59 * 60))
        #expect(WrittenDateTime.parse("2026-03-02T09:41:00+05")?.offsetSeconds == 5 * 3600)
        // A value out of the formatter's range never traps.
        #expect(WrittenDateTime(wallClockSeconds: .infinity, offsetSeconds: nil).iso8601 == "invalid date-time")
        #expect(WrittenDateTime(wallClockSeconds: -1e20, offsetSeconds: nil).iso8601 == "invalid date-time")
    }

    @Test(arguments: ["2026-02-30T10:00:00", "2026-13-01T10:00:00", "20260302", "09:41", "2026-03-02T25:00:00", "garbage",
                      "2026-03-02T09:41:00+99:99", "2026-03-02T09:41:00+25:00", "2026-03-02T09:41:00-24:00",
                      "2026-03-02T09:41:00+23:60", "2026-03-02T09:41:00+24", "20260302094100+2400", "20260302094100-0075"])
    func refused(text: String) {
        #expect(WrittenDateTime.parse(text) == nil)
    }

    @Test func clockTimes() {
        let nine: Double = 9 * 3600, nineFortyOne: Double = 9 * 3600 + 41 * 60, withSeconds: Double = nineFortyOne + 30.25
        #expect(WrittenDateTime.parseTime("09") == nine)
        #expect(WrittenDateTime.parseTime("0941") == nineFortyOne)
        #expect(WrittenDateTime.parseTime("09:41:30.25") == withSeconds)
        #expect(WrittenDateTime.parseTime("094130.250000") == withSeconds)
        #expect(WrittenDateTime.parseTime("9:41") == nil)
    }
}

@Suite struct PETSidecarTests {
    func sidecar(_ json: String) throws -> PETSidecar {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString).json")
        try json.write(to: url, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try PETSidecar(path: url.path)
    }

    /// dcm2niix: a clock-time injection on the series date; QIBA picks the series time unless it
    /// is later than the acquisition time.
    @Test func dcm2niixSpelling() throws {
        let s = try sidecar("""
        {"Units": "BQML", "DecayCorrection": "START", "SeriesDate": "20260303", "SeriesTime": "101500.000000",
         "AcquisitionDateTime": "2026-03-03T10:20:00.000000", "RadiopharmaceuticalStartTime": "094100.000000",
         "ImageDecayCorrected": true}
        """)
        #expect(try s.decayCorrection()?.mode == .start)
        #expect(try s.unitsToBqPerML()?.factor == 1)
        let injection = try #require(try s.administrationTime())
        #expect(injection.value.iso8601 == "2026-03-03T09:41:00" && injection.dateKnown)
        let start = try #require(try s.acquisitionStartTime())
        #expect(start.value.iso8601 == "2026-03-03T10:15:00")
        #expect(start.keys == "SeriesDate + SeriesTime")
    }

    @Test func seriesLaterThanAcquisitionUsesAcquisition() throws {
        let s = try sidecar("""
        {"SeriesDate": "20260303", "SeriesTime": "103000", "AcquisitionDateTime": "20260303101500"}
        """)
        #expect(try s.acquisitionStartTime()?.value.iso8601 == "2026-03-03T10:15:00")
    }

    /// BIDS-PET: times in seconds from TimeZero; ADMIN when the correction time is the injection.
    @Test func bidsSpelling() throws {
        let s = try sidecar("""
        {"TimeZero": "10:15:00", "ScanStart": 0, "InjectionStart": -2040, "ImageDecayCorrected": true,
         "ImageDecayCorrectionTime": -2040, "Units": "kBq/mL", "BodyWeight": 70}
        """)
        #expect(try s.decayCorrection()?.mode == .admin)
        #expect(try s.unitsToBqPerML()?.factor == 1000)
        let injection = try #require(try s.administrationTime())
        let start = try #require(try s.acquisitionStartTime())
        #expect(!injection.dateKnown && !start.dateKnown)
        #expect(start.value.wallClockSeconds - injection.value.wallClockSeconds == 0)  // correction time = injection
        #expect(try s.number("BodyWeight") == 70)
    }

    @Test func refusals() throws {
        #expect(throws: VoxelIOError.self) { try self.sidecar(#"{"Units": "CNTS"}"#).unitsToBqPerML() }
        #expect(throws: VoxelIOError.self) { try self.sidecar(#"{"DecayCorrection": "LATER"}"#).decayCorrection() }
        #expect(throws: VoxelIOError.self) { try self.sidecar("[1, 2]") }
        #expect(try sidecar(#"{"ImageDecayCorrected": false}"#).decayCorrection()?.mode == PETSidecar.DecayCorrection.none)
        #expect(try sidecar(#"{"ImageDecayCorrected": 1}"#).decayCorrection() == nil)  // a number is not a boolean
    }

    /// Numbers are finite decimals within the key's physical range, or an error naming the key
    /// (CONTRACT.md hardening rules); strings Double() would take ("inf", "nan", hex) are refused.
    @Test func numbersCheckedWhereTheyEnter() throws {
        let s = try sidecar("""
        {"A": "12.5", "B": " -3e2 ", "C": [7, 8], "D": null, "RadionuclideHalfLife": 230580, "InjectionStart": -1e9,
         "ScanStart": 1000000000}
        """)
        #expect(try s.number("A") == 12.5)
        #expect(try s.number("B") == -300)
        #expect(try s.number("C") == 7)
        #expect(try s.number("D") == nil && s.number("absent") == nil)
        #expect(try s.number("RadionuclideHalfLife") == 230_580)
        #expect(try s.number("InjectionStart") == -1e9 && s.number("ScanStart") == 1e9)  // exactly at the bound: inside
        for (key, value) in [("RadionuclideHalfLife", "0"), ("RadionuclideHalfLife", "-1"), ("RadionuclideHalfLife", "\"nan\""),
                             ("RadionuclideHalfLife", "\"inf\""), ("BodyWeight", "\"0x46\""), ("BodyWeight", "\"Infinity\""),
                             ("InjectedRadioactivity", "\"1e999\""), ("PatientSize", "\"1,75\""), ("InjectionStart", "-1.0000001e9"),
                             ("ScanStart", "\"inf\""), ("ImageDecayCorrectionTime", "1e20"), ("BodyWeight", "true"), ("BodyWeight", "{}")] {
            let bad = try sidecar("{\"\(key)\": \(value)}")
            #expect(throws: VoxelIOError.self, "\(key) = \(value)") { try bad.number(key) }
            do { _ = try bad.number(key) } catch let e as VoxelIOError { #expect(e.reason.contains(key)) }
        }
    }
}
