import ArgumentParser
import Foundation
import Dosimetry
import VoxelIO

/// What a quantity option measures and which unit a bare number is in.
protocol QuantityKind {
    static var dimension: Quantity.Dimension { get }
    static var bareUnit: String? { get }
    /// Activities and masses must carry their unit (CONTRACT.md guard rails): `1800` meant as
    /// MBq but read as GBq, or `200` meant as grams, is the commonest slip.
    static var requiresUnit: Bool { get }
}

extension QuantityKind {
    static var requiresUnit: Bool { false }
}

/// An option value with an optional unit (`1.8GBq`, `48mCi`, `64.05h`, `8%`), held in the
/// dimension's base unit (Bq, s, fraction, g/mL, J/GBq). A value that does not parse is bad
/// usage (exit 64).
struct QuantityArgument<Kind: QuantityKind>: ExpressibleByArgument {
    var base: Double
    init?(argument: String) {
        if Kind.requiresUnit && Double(argument.trimmingCharacters(in: .whitespaces)) != nil { return nil }  // a bare number
        guard let value = Quantity.parse(argument, as: Kind.dimension, bareUnit: Kind.bareUnit), value.isFinite else { return nil }
        base = value
    }
    static var defaultCompletionKind: CompletionKind { .default }
    /// The default as `--help` shows it: in the bare unit (`6.204 mm`, `0.8`).
    var defaultValueDescription: String {
        guard let unit = Kind.bareUnit, let factor = Quantity.factor(of: unit, in: Kind.dimension) else { return "\(base)" }
        return "\(base / factor) \(unit)"
    }
}

enum ActivityGBq: QuantityKind {
    static let dimension = Quantity.Dimension.activity, bareUnit: String? = "gbq", requiresUnit = true
}
enum DurationHours: QuantityKind {
    static let dimension = Quantity.Dimension.time, bareUnit: String? = "h"
}
enum Fraction: QuantityKind {
    static let dimension = Quantity.Dimension.fraction, bareUnit: String? = nil
}
enum DensityGPerML: QuantityKind {
    static let dimension = Quantity.Dimension.density, bareUnit: String? = nil
}
enum EnergyPerActivity: QuantityKind {
    static let dimension = Quantity.Dimension.energyPerActivity, bareUnit: String? = nil
}

/// An ISO 8601 date-time (`2026-03-02T09:41:00`, offset optional) or a DICOM DT.
struct DateTimeArgument: ExpressibleByArgument {
    var value: WrittenDateTime
    init?(argument: String) {
        guard let parsed = WrittenDateTime.parse(argument) else { return nil }
        value = parsed
    }
}

/// Activity-concentration units of PET voxels.
enum ConcentrationUnit: String, ExpressibleByArgument, CaseIterable {
    case bqPerML = "Bq/mL", kBqPerML = "kBq/mL", mBqPerML = "MBq/mL"

    var toBqPerML: Double { Quantity.factor(of: rawValue, in: .concentration)! }

    /// The factor from image units to Bq/mL: the option, else the sidecar's `Units`, else 1.
    /// The sidecar is read only when the option is absent (an option overrides its key).
    static func factor(_ option: ConcentrationUnit?, sidecar: PETSidecar?) throws -> Double {
        if let option { return option.toBqPerML }
        return try sidecar?.unitsToBqPerML()?.factor ?? 1
    }
}

extension DoseMap.Method: ExpressibleByArgument {}

/// `label=value` pairs, comma-separated: `10=0.30,11=1.06` (values positive, labels integers).
struct LabelValues: ExpressibleByArgument {
    var values: [Int32: Double]
    init?(argument: String) {
        var values: [Int32: Double] = [:]
        for item in argument.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let label = Int32(parts[0]), label != 0,
                  let value = Quantity.parse(parts[1], as: .density), value > 0, values[label] == nil else { return nil }
            values[label] = value
        }
        guard !values.isEmpty else { return nil }
        self.values = values
    }
}

enum MassKg: QuantityKind {
    static let dimension = Quantity.Dimension.mass, bareUnit: String? = nil, requiresUnit = true
}
enum LengthCm: QuantityKind {
    static let dimension = Quantity.Dimension.length, bareUnit: String? = "cm"
}
enum DurationSeconds: QuantityKind {
    static let dimension = Quantity.Dimension.time, bareUnit: String? = nil
}

enum DoseGray: QuantityKind {
    static let dimension = Quantity.Dimension.dose, bareUnit: String? = nil
}
enum VolumeML: QuantityKind {
    static let dimension = Quantity.Dimension.volume, bareUnit: String? = nil
}
enum LengthMM: QuantityKind {
    static let dimension = Quantity.Dimension.length, bareUnit: String? = "mm"
}

/// A comma-separated list of numbers, each keeping its text as written ("97.5") for use as a
/// JSON key.
struct KeyedNumbers: ExpressibleByArgument {
    var entries: [(key: String, value: Double)]

    init?(argument: String) { self.init(argument, allowed: -.infinity ... .infinity) }

    init?(_ argument: String, allowed: ClosedRange<Double>) {
        var entries: [(String, Double)] = []
        for token in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let text = token.trimmingCharacters(in: .whitespaces)
            guard let value = Double(text), value.isFinite, allowed.contains(value) else { return nil }
            entries.append((text, value))
        }
        guard !entries.isEmpty else { return nil }
        self.entries = entries
    }

    /// The default as `--help` shows it: `50,89,100`.
    var defaultValueDescription: String { entries.map(\.key).joined(separator: ",") }
}

/// Percentiles in [0, 100], keyed as written.
struct PercentileList: ExpressibleByArgument {
    var entries: [(key: String, value: Double)]
    init?(argument: String) {
        guard let list = KeyedNumbers(argument, allowed: 0...100) else { return nil }
        entries = list.entries
    }
    static let standard = PercentileList(argument: "2,5,50,95,98")!

    /// The default as `--help` shows it: `2,5,50,95,98`.
    var defaultValueDescription: String { entries.map(\.key).joined(separator: ",") }
}

/// A comma-separated list of positive integer labels (`7,9`): `--not-lesion-labels`.
struct LabelList: ExpressibleByArgument {
    var labels: [Int64] = []
    init() {}
    init?(argument: String) {
        var labels: [Int64] = []
        for field in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let label = Int64(field.trimmingCharacters(in: .whitespaces)), label > 0 else { return nil }
            labels.append(label)
        }
        self.labels = labels
    }
    var defaultValueDescription: String { "none" }
}
