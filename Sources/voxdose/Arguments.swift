import ArgumentParser
import Dosimetry
import VoxelIO

/// What a quantity option measures and which unit a bare number is in.
protocol QuantityKind {
    static var dimension: Quantity.Dimension { get }
    static var bareUnit: String? { get }
    static var name: String { get }
}

/// An option value with an optional unit (`1.8GBq`, `48mCi`, `64.05h`, `8%`), held in the
/// dimension's base unit (Bq, s, fraction, g/mL, J/GBq). A value that does not parse is bad
/// usage (exit 64).
struct QuantityArgument<Kind: QuantityKind>: ExpressibleByArgument {
    var base: Double
    init?(argument: String) {
        guard let value = Quantity.parse(argument, as: Kind.dimension, bareUnit: Kind.bareUnit), value.isFinite else { return nil }
        base = value
    }
    static var defaultCompletionKind: CompletionKind { .default }
}

enum ActivityGBq: QuantityKind {
    static let dimension = Quantity.Dimension.activity, bareUnit: String? = "gbq", name = "activity"
}
enum DurationHours: QuantityKind {
    static let dimension = Quantity.Dimension.time, bareUnit: String? = "h", name = "duration"
}
enum Fraction: QuantityKind {
    static let dimension = Quantity.Dimension.fraction, bareUnit: String? = nil, name = "fraction"
}
enum DensityGPerML: QuantityKind {
    static let dimension = Quantity.Dimension.density, bareUnit: String? = nil, name = "density"
}
enum EnergyPerActivity: QuantityKind {
    static let dimension = Quantity.Dimension.energyPerActivity, bareUnit: String? = nil, name = "J/GBq"
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

    var toBqPerML: Double {
        switch self {
        case .bqPerML: return 1
        case .kBqPerML: return 1e3
        case .mBqPerML: return 1e6
        }
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

enum ActivityMBq: QuantityKind {
    static let dimension = Quantity.Dimension.activity, bareUnit: String? = "mbq", name = "activity"
}
enum MassKg: QuantityKind {
    static let dimension = Quantity.Dimension.mass, bareUnit: String? = nil, name = "mass"
}
enum LengthCm: QuantityKind {
    static let dimension = Quantity.Dimension.length, bareUnit: String? = "cm", name = "length"
}
enum DurationSeconds: QuantityKind {
    static let dimension = Quantity.Dimension.time, bareUnit: String? = nil, name = "duration"
}

enum DoseGray: QuantityKind {
    static let dimension = Quantity.Dimension.dose, bareUnit: String? = nil, name = "dose"
}
enum LengthMM: QuantityKind {
    static let dimension = Quantity.Dimension.length, bareUnit: String? = "mm", name = "length"
}
