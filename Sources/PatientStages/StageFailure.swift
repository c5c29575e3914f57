/// A stage that cannot produce its result from the inputs it was given: one line naming the
/// file and the problem (the command prints it as `error: …` and exits 1).
public struct StageFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
