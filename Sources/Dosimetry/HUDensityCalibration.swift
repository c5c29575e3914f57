import Foundation

/// CT numbers (HU) to mass density (g/mL): a piecewise-linear curve through (HU, ρ) nodes, held at
/// the first node's density below it and the last node's above it (a scanner's metal artefacts
/// are not denser tissue). The default, ``schneider1996``, is fitted to published tissue
/// measurements (Scripts/derive_hu_density.py); a scanner's own calibration replaces it
/// (``init(csv:source:)``).
public struct HUDensityCalibration: Sendable, Equatable {
    /// Increasing CT numbers, HU.
    public let hu: [Double]
    /// The density at each, g/mL (positive).
    public let densityGPerML: [Double]
    /// Where the nodes come from (the summary records it).
    public let source: String

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// - Throws: ``Failure`` for fewer than two nodes, CT numbers not strictly increasing or not
    ///   finite, or a density that is not positive and finite.
    public init(nodes: [(hu: Double, densityGPerML: Double)], source: String) throws {
        guard nodes.count >= 2 else { throw Failure(description: "a calibration needs at least two (HU, density) nodes; it has \(nodes.count)") }
        for (n, node) in nodes.enumerated() {
            guard node.hu.isFinite, n == 0 || node.hu > nodes[n - 1].hu else {
                throw Failure(description: "node \(n + 1): CT numbers must be finite and strictly increasing (\(node.hu) HU)")
            }
            guard node.densityGPerML.isFinite, node.densityGPerML > 0 else {
                throw Failure(description: "node \(n + 1): the density must be positive (\(node.densityGPerML) g/mL at \(node.hu) HU)")
            }
        }
        hu = nodes.map(\.hu)
        densityGPerML = nodes.map(\.densityGPerML)
        self.source = source
    }

    /// A calibration file: lines `HU,density` (g/mL), an optional header line, `#` comments.
    public init(csv text: String, source: String) throws {
        var nodes: [(Double, Double)] = []
        for (number, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, let hu = Double(fields[0]), let rho = Double(fields[1]) else {
                if nodes.isEmpty && number == 0 { continue }  // a header
                throw Failure(description: "line \(number + 1) is not HU,density (g/mL)")
            }
            nodes.append((hu, rho))
        }
        try self.init(nodes: nodes, source: source)
    }

    /// ρ(HU), g/mL; NaN for a NaN CT number.
    public func densityGPerML(hu value: Double) -> Double {
        guard !value.isNaN else { return .nan }
        if value <= hu[0] { return densityGPerML[0] }
        if value >= hu[hu.count - 1] { return densityGPerML[hu.count - 1] }
        var upper = 1
        while hu[upper] < value { upper += 1 }
        let t = (value - hu[upper - 1]) / (hu[upper] - hu[upper - 1])
        return densityGPerML[upper - 1] + t * (densityGPerML[upper] - densityGPerML[upper - 1])
    }

    /// Turns CT numbers into densities in place; a non-finite CT number (outside the CT, or next
    /// to a non-finite value) gets `otherwise`. Returns how many did.
    public func convert(_ values: inout [Float], otherwise: Double) -> Int {
        var missing = 0
        for i in values.indices {
            if values[i].isFinite { values[i] = Float(densityGPerML(hu: Double(values[i]))) } else {
                values[i] = Float(otherwise)
                missing += 1
            }
        }
        return missing
    }
}
