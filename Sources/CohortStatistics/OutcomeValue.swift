/// The value of an outcome cell that counts as positive, typed by the column's kind.
public enum OutcomeValue: Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case boolean(Bool)
    case text(String)

    public var description: String {
        switch self {
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .boolean(let value): return value ? "true" : "false"
        case .text(let value): return value
        }
    }
}
