/// Bad input to a cohort analysis or a malformed model file, with a message that names the
/// file and the problem.
public struct CohortError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    /// An error with this message.
    public init(_ description: String) { self.description = description }
}
