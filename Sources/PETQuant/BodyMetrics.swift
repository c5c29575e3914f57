import Foundation

/// Patient size measures used to normalise PET uptake (REFERENCE.md §2).
public enum BodyMetrics {
    public enum Sex: String, Sendable, CaseIterable { case male, female }

    /// Body-mass index, kg/m².
    public static func bodyMassIndex(weightKg w: Double, heightM h: Double) -> Double { w / (h * h) }

    /// Lean body mass by James (1976), kg: male 1.10·W − 128·(W/H)², female 1.07·W − 148·(W/H)²,
    /// W in kg, H in cm. Worked case: male 70 kg, 175 cm → 56.52 kg.
    public static func leanBodyMassJamesKg(weightKg w: Double, heightM h: Double, sex: Sex) -> Double {
        let ratio = w / (h * 100)
        switch sex {
        case .male: return 1.10 * w - 128 * ratio * ratio
        case .female: return 1.07 * w - 148 * ratio * ratio
        }
    }

    /// Lean body mass by Janmahasatian et al. (Clin Pharmacokinet 2005), kg: male
    /// 9270·W / (6680 + 216·BMI), female 9270·W / (8780 + 244·BMI). The EANM FDG guideline v2
    /// prefers it. Worked case: male 70 kg, 175 cm → 55.86 kg.
    public static func leanBodyMassJanmahasatianKg(weightKg w: Double, heightM h: Double, sex: Sex) -> Double {
        let bmi = bodyMassIndex(weightKg: w, heightM: h)
        switch sex {
        case .male: return 9270 * w / (6680 + 216 * bmi)
        case .female: return 9270 * w / (8780 + 244 * bmi)
        }
    }

    /// Body surface area by DuBois & DuBois (1916), m²: 0.007184 · H[cm]^0.725 · W[kg]^0.425.
    /// Worked case: 70 kg, 175 cm → 1.848 m².
    public static func bodySurfaceAreaDuBoisM2(weightKg w: Double, heightM h: Double) -> Double {
        0.007184 * pow(h * 100, 0.725) * pow(w, 0.425)
    }
}
