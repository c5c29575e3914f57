import Foundation

/// A physical quantity written with an optional unit, as on the command line and in sidecars:
/// `370MBq`, `1.8 GBq`, `10mCi`, `70kg`, `154lb`, `175cm`, `1.75m`, `64.05h`, `6586.2s`, `8%`.
public enum Quantity {
    /// What a quantity measures; each has one base unit.
    public enum Dimension: String, Sendable {
        /// Base unit Bq.
        case activity
        /// Base unit kg.
        case mass
        /// Base unit m.
        case length
        /// Base unit s.
        case time
        /// Base unit 1 (`8%` = 0.08).
        case fraction
        /// Base unit g/mL.
        case density
        /// Base unit Bq/mL.
        case concentration
        /// Base unit Gy.
        case dose
        /// Base unit J/GBq.
        case energyPerActivity
        /// Base unit mL.
        case volume
    }

    /// Units by dimension, as factors to the base unit (lowercased names).
    static let units: [Dimension: [String: Double]] = [
        .activity: ["bq": 1, "kbq": 1e3, "mbq": 1e6, "gbq": 1e9, "tbq": 1e12,
                    "ci": 3.7e10, "mci": 3.7e7, "uci": 3.7e4, "µci": 3.7e4, "μci": 3.7e4],
        .mass: ["kg": 1, "g": 1e-3, "lb": 0.45359237, "lbs": 0.45359237],
        .length: ["m": 1, "cm": 1e-2, "mm": 1e-3, "in": 0.0254],
        .time: ["s": 1, "sec": 1, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400, "days": 86400],
        .fraction: ["%": 0.01],
        .density: ["g/ml": 1, "g/cm3": 1, "kg/l": 1, "kg/m3": 1e-3],
        .concentration: ["bq/ml": 1, "kbq/ml": 1e3, "mbq/ml": 1e6, "bq/cc": 1, "bqml": 1, "bq/cm3": 1],
        .dose: ["gy": 1, "cgy": 0.01, "mgy": 1e-3],
        .energyPerActivity: ["j/gbq": 1, "gy*kg/gbq": 1, "gy.kg/gbq": 1, "gy*g/mbq": 1],
        .volume: ["ml": 1, "cc": 1, "cm3": 1, "l": 1000],
    ]

    /// The factor from `unit` (a unit name of `dimension`, any case) to the base unit.
    public static func factor(of unit: String, in dimension: Dimension) -> Double? {
        units[dimension]?[unit.lowercased()]
    }

    /// Parses `text` as a `dimension`, in its base unit. A bare number is in `bareUnit` (a unit
    /// name of that dimension, e.g. "mbq"; nil means the base unit).
    /// - Returns: nil when the text does not parse or names a unit of another dimension.
    public static func parse(_ text: String, as dimension: Dimension, bareUnit: String? = nil) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Split at the first character that cannot belong to a decimal number.
        var end = trimmed.startIndex
        var seenDigit = false
        for index in trimmed.indices {
            let c = trimmed[index]
            let previous = index > trimmed.startIndex ? trimmed[trimmed.index(before: index)] : " "
            if c.isNumber { seenDigit = true; end = trimmed.index(after: index); continue }
            if c == "." || ((c == "-" || c == "+") && (index == trimmed.startIndex || "eE".contains(previous))) {
                end = trimmed.index(after: index); continue
            }
            if (c == "e" || c == "E") && seenDigit, trimmed.index(after: index) < trimmed.endIndex,
               let next = trimmed[trimmed.index(after: index)...].first, next.isNumber || next == "-" || next == "+" {
                end = trimmed.index(after: index); continue
            }
            break
        }
        guard seenDigit, let number = Double(trimmed[..<end]), number.isFinite else { return nil }
        let unit = trimmed[end...].trimmingCharacters(in: .whitespaces).lowercased()
        let table = units[dimension] ?? [:]
        let factor = unit.isEmpty ? (bareUnit.map { table[$0.lowercased()] } ?? 1) : table[unit]
        // Finite after the unit too: `1e308 GBq` overflows.
        return factor.map { scaled(number, by: $0) }.flatMap { $0.isFinite ? $0 : nil }
    }

    /// number × factor, as number / n when the factor is 1/n (`35%` is 35/100 = 0.35 exactly
    /// rounded, where 35 × 0.01 gives 0.35000000000000003).
    static func scaled(_ number: Double, by factor: Double) -> Double {
        let inverse = (1 / factor).rounded()
        return factor < 1 && abs(1 / factor - inverse) <= 1e-9 * inverse ? number / inverse : number * factor
    }
}
