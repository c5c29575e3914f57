import Foundation

/// Radionuclide data, one table for every module (dose, SUV). Values and sources:
/// `../shared/REFERENCE.md` §1–2.
public struct Radionuclide: Sendable, Equatable {
    /// Canonical symbol: "Y90", "F18", …
    public let symbol: String
    /// Physical half-life, s.
    public let halfLifeSeconds: Double
    /// Mean β energy per decay, MeV (nil where the engine does not need it).
    public let meanBetaEnergyMeV: Double?
    /// Where the half-life comes from.
    public let source: String

    /// Every radionuclide the engine knows.
    public static let all: [Radionuclide] = [
        Radionuclide(symbol: "Y90", halfLifeSeconds: 64.05 * 3600, meanBetaEnergyMeV: 0.932,
                     source: "ENSDF/DDEP; mean β energy ENSDF main branch 932.4 keV"),
        Radionuclide(symbol: "F18", halfLifeSeconds: 6586.2, meanBetaEnergyMeV: nil, source: "REFERENCE.md §2 (109.77 min; not 6500 s)"),
        Radionuclide(symbol: "Ga68", halfLifeSeconds: 4062.6, meanBetaEnergyMeV: nil, source: "REFERENCE.md §2"),
        Radionuclide(symbol: "C11", halfLifeSeconds: 1221.8, meanBetaEnergyMeV: nil, source: "REFERENCE.md §2"),
        Radionuclide(symbol: "Zr89", halfLifeSeconds: 78.41 * 3600, meanBetaEnergyMeV: nil, source: "REFERENCE.md §2"),
        Radionuclide(symbol: "Tc99m", halfLifeSeconds: 6.0067 * 3600, meanBetaEnergyMeV: nil, source: "REFERENCE.md §2"),
        Radionuclide(symbol: "Lu177", halfLifeSeconds: 6.647 * 86400, meanBetaEnergyMeV: nil, source: "REFERENCE.md §2"),
    ]

    public static let y90 = named("Y90")!

    /// The known radionuclide whose half-life is within 0.1 % of `seconds` (a sidecar's
    /// `RadionuclideHalfLife` without `TracerRadionuclide`), or nil.
    public static func matching(halfLifeSeconds seconds: Double) -> Radionuclide? {
        all.first { abs($0.halfLifeSeconds - seconds) <= 1e-3 * $0.halfLifeSeconds }
    }

    /// Looks a radionuclide up by symbol in any common spelling: `Y90`, `Y-90`, `90Y`, `^90^Y`,
    /// `F18`, `18F`, `Tc99m`, `99mTc` (case-insensitive).
    public static func named(_ text: String) -> Radionuclide? {
        guard let wanted = Spelling(text) else { return nil }
        return all.first { Spelling($0.symbol) == wanted }
    }

    /// Element letters, mass number and the metastable flag of a written symbol.
    private struct Spelling: Equatable {
        var element: String, massNumber: String, metastable: Bool

        init?(_ text: String) {
            let cleaned = Array(text.lowercased().filter { $0.isLetter || $0.isNumber })
            guard let first = cleaned.firstIndex(where: \.isNumber) else { return nil }
            var last = first
            while last + 1 < cleaned.count && cleaned[last + 1].isNumber { last += 1 }
            massNumber = String(cleaned[first...last])
            var rest = cleaned
            rest.removeSubrange(first...last)
            // An "m" right after the mass number marks a metastable state (99mTc, Tc99m).
            metastable = last + 1 < cleaned.count && cleaned[last + 1] == "m"
            if metastable { rest.remove(at: first) }
            element = String(rest)
            guard !element.isEmpty, element.allSatisfy(\.isLetter) else { return nil }
        }
    }
}

/// Radioactive decay (no biological clearance).
public enum Decay {
    /// The factor that brings activity measured at a later time back to an earlier one:
    /// 2^(Δt / T½), Δt = t_later − t_earlier (s). ≥ 1 for Δt ≥ 0.
    public static func correctionFactor(elapsedSeconds: Double, halfLifeSeconds: Double) -> Double {
        pow(2, elapsedSeconds / halfLifeSeconds)
    }

    /// Mean life τ = T½ / ln 2 (s): the cumulated activity of a permanently trapped source
    /// is Ã = A(t0) · τ.
    public static func meanLifeSeconds(halfLifeSeconds: Double) -> Double {
        halfLifeSeconds / M_LN2
    }
}
