/// A file that cannot be read or written as asked. `description` is one line that names the
/// file and the problem, ready for `error: …` on stderr.
public struct VoxelIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file at fault.
    public var path: String
    /// What is wrong, in words a physicist can act on.
    public var reason: String

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
