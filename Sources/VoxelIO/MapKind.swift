/// What a volume VoxDose writes holds, in its NIfTI `intent_name` (CONTRACT.md guard rails): so
/// that an SUV map given as a dose map, a dose map given as an SUV map, or either given as the
/// PET of `dose` or `suv`, is refused instead of turned into confident numbers.
public enum MapKind: String, Sendable, CaseIterable {
    /// Absorbed dose, Gy.
    case doseGy = "dose_gy"
    /// SUV normalised by body weight, g/mL.
    case suvBodyWeight = "suv_bw"
    /// SUL, lean body mass by James, g/mL.
    case sulJames = "sul_james"
    /// SUL, lean body mass by Janmahasatian, g/mL.
    case sulJanmahasatian = "sul_janma"
    /// SUV normalised by body surface area, cm²/mL.
    case suvBodySurfaceArea = "suv_bsa"

    /// The SUV and SUL kinds.
    public var isUptake: Bool { self != .doseGy }
}
