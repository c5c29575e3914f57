// fuzz-text: VoxDose's text parsers on arbitrary bytes.
//
// The first byte selects the parser (its value modulo 8, so the seeds can start with a digit);
// the rest is the text, decoded as UTF-8 with invalid sequences replaced (files get the raw bytes).
//
//   0  WrittenDateTime.parse (ISO 8601 and DICOM DT)
//   1  WrittenDateTime.parseTime (DICOM TM, HH:MM:SS)
//   2  WrittenDateTime.parseDate (DICOM DA, ISO date)
//   3  WrittenDateTime.combine(date:time:) (the text split at its first "|": date|time)
//   4  Quantity.parse in every Quantity.Dimension, without and with a bare unit; Quantity.factor
//   5  PETSidecar: the raw bytes as a JSON file; every accessor (decayCorrection, unitsToBqPerML,
//      administrationTime, acquisitionStartTime, number/string/bool/has of the keys the commands read)
//   6  DataTable(csv:) and every column's kind, number, boolean and missing-value checks
//   7  DataTable.read(path:) on the raw bytes as a file (the UTF-8 check, then the same as 6)
//
// Every parsed date-time is also printed (iso8601) and resolved, as the commands do in their
// outputs and messages. A thrown error or nil is a correct answer; a trap or a crash is a finding.
import CohortStatistics
import FuzzSupport
import VoxelIO

/// What the commands do with a parsed date-time.
private func use(_ time: WrittenDateTime?) {
    guard let time else { return }
    _ = time.iso8601
    _ = time.resolved(defaultOffsetSeconds: nil)
    _ = time.resolved(defaultOffsetSeconds: 3600)
}

private let dimensions: [(Quantity.Dimension, bareUnit: String)] = [
    (.activity, "mbq"), (.mass, "kg"), (.length, "cm"), (.time, "h"), (.fraction, "%"),
    (.density, "g/ml"), (.concentration, "kbq/ml"), (.dose, "gy"), (.energyPerActivity, "j/gbq"),
    (.volume, "ml"),
]

/// Sidecar keys the commands read directly, besides those the accessors read.
private let sidecarKeys = [
    "Units", "DecayCorrection", "ImageDecayCorrected", "ImageDecayCorrectionTime", "InjectionStart",
    "ScanStart", "TimeZero", "RadionuclideTotalDose", "InjectedRadioactivity", "InjectedRadioactivityUnits",
    "PatientWeight", "BodyWeight", "PatientSize", "RadionuclideHalfLife", "TracerRadionuclide",
    "RadiopharmaceuticalStartDateTime", "RadiopharmaceuticalStartTime", "SeriesDate", "SeriesTime",
    "AcquisitionDateTime", "AcquisitionDate", "AcquisitionTime", "StudyDate", "DecayFactor", "",
]

private func sidecar(_ bytes: UnsafeRawBufferPointer) {
    let path = Scratch.path("sidecar.json")
    Scratch.write(bytes, to: path)
    defer { Scratch.remove(path) }
    _ = try? JSONInput.readObject(path, what: "the fuzz input").mapValues { $0.finiteNumber }
    guard let sidecar = try? PETSidecar(path: path) else { return }
    _ = try? sidecar.decayCorrection()
    _ = try? sidecar.unitsToBqPerML()
    for time in [try? sidecar.administrationTime(), try? sidecar.acquisitionStartTime()] {
        if let time = time ?? nil { use(time.value) }
    }
    for key in sidecarKeys {
        _ = (try? sidecar.number(key), sidecar.string(key), sidecar.bool(key), sidecar.has(key))
    }
}

private func table(_ table: DataTable?) {
    guard let table else { return }
    for index in table.columns.indices {
        _ = table.kind(ofColumn: index)
        for cell in table.cells(ofColumn: index) {
            _ = (DataTable.number(cell), DataTable.boolean(cell), DataTable.isMissing(cell))
        }
        _ = table.columnIndex(table.columns[index])
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let rest = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let text = String(decoding: rest, as: UTF8.self)
    switch data[0] % 8 {
    case 0:
        use(WrittenDateTime.parse(text))
    case 1:
        _ = WrittenDateTime.parseTime(text)
    case 2:
        _ = WrittenDateTime.parseDate(text)
    case 3:
        let parts = text.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        use(WrittenDateTime.combine(date: String(parts[0]), time: parts.count > 1 ? String(parts[1]) : ""))
    case 4:
        for (dimension, bareUnit) in dimensions {
            _ = Quantity.parse(text, as: dimension)
            _ = Quantity.parse(text, as: dimension, bareUnit: bareUnit)
            _ = Quantity.factor(of: text, in: dimension)
        }
    case 5:
        sidecar(rest)
    case 6:
        table(try? DataTable(csv: text, source: "fuzz input"))
    default:
        let path = Scratch.path("table.csv")
        Scratch.write(rest, to: path)
        table(try? DataTable.read(path: path))
        Scratch.remove(path)
    }
    return 0
}
