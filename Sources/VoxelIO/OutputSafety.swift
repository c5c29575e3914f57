/// Refuses output paths that would overwrite an input or each other (CONTRACT.md conventions:
/// the same device and inode, or the same path after resolving `.`, `..` and links).
public enum OutputSafety {
    /// - Throws: ``VoxelIOError`` naming the output that collides.
    public static func check(outputs: [String], inputs: [String]) throws {
        func same(_ a: String, _ b: String) -> Bool {
            if FileSystem.resolved(a) == FileSystem.resolved(b) { return true }
            guard let x = FileSystem.identity(a), let y = FileSystem.identity(b) else { return false }
            return x == y
        }
        for (index, output) in outputs.enumerated() {
            if let input = inputs.first(where: { same(output, $0) }) {
                throw VoxelIOError(output, "output is the same file as the input \(input); refusing to overwrite it")
            }
            if let other = outputs[..<index].first(where: { same(output, $0) }) {
                throw VoxelIOError(output, "two outputs name the same file (also \(other))")
            }
        }
    }
}

/// Text outputs (JSON, CSV) written like every other output: to a temporary name in the
/// target folder, renamed when complete.
public enum AtomicTextFile {
    public static func write(_ text: String, to path: String) throws {
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { try FileSystem.writeAtomically(path, pieces: [UnsafeRawBufferPointer($0)]) }
    }
}
