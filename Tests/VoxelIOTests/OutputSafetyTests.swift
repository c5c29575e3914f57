import Foundation
import Testing
@testable import VoxelIO
#if canImport(Glibc)
import Glibc
#endif

@Suite struct OutputSafetyTests {
    /// folder/x/in.nii (a file), folder/link.nii → x/in.nii, folder/linkdir → x.
    func setUp() throws -> String {
        let folder = try makeTemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder + "/x", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: folder + "/x/in.nii", contents: Data([1, 2, 3])))
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.nii", withDestinationPath: "x/in.nii")
        try FileManager.default.createSymbolicLink(atPath: folder + "/linkdir", withDestinationPath: "x")
        return folder
    }

    func refuses(_ outputs: [String], _ inputs: [String]) -> VoxelIOError? {
        do { try OutputSafety.check(outputs: outputs, inputs: inputs); return nil } catch let e as VoxelIOError { return e } catch { return nil }
    }

    @Test func outputSameAsInput() throws {
        let f = try setUp()
        defer { cleanup(f) }
        let input = f + "/x/in.nii"
        #expect(refuses([input], [input]) != nil)
        let viaSymlink = try #require(refuses([f + "/link.nii"], [input]))
        #expect(viaSymlink.path == f + "/link.nii")
        #expect(refuses([input], [f + "/link.nii"]) != nil, "input named through the link")
        #expect(refuses([f + "/./x/../x/in.nii"], [input]) != nil, "./x/../x spelling")
        #expect(refuses([f + "/x/./in.nii"], [input]) != nil)
        #expect(refuses([f + "/linkdir/in.nii"], [input]) != nil, "through a linked folder")
        #expect(refuses([f + "//x//in.nii"], [input]) != nil, "doubled slashes")
        // A hard link is the same file under another name (same device and inode).
        #expect(link(input, f + "/hard.nii") == 0)
        #expect(refuses([f + "/hard.nii"], [input]) != nil, "hard link")
    }

    @Test func relativeSpelling() throws {
        let f = try setUp()
        defer { cleanup(f) }
        // A relative path spelled from the current directory, whatever it is.
        let cwd = FileManager.default.currentDirectoryPath
        let up = cwd.split(separator: "/").map { _ in ".." }.joined(separator: "/")
        let relative = "./" + up + f + "/x/../x/in.nii"
        #expect(FileManager.default.fileExists(atPath: relative))
        #expect(refuses([relative], [f + "/x/in.nii"]) != nil)
    }

    @Test func twoOutputsNamingTheSameFile() throws {
        let f = try setUp()
        defer { cleanup(f) }
        // Outputs that do not exist yet.
        let e = try #require(refuses([f + "/out.json", f + "/x/../out.json"], [f + "/x/in.nii"]))
        #expect(e.path == f + "/x/../out.json")
        #expect(refuses([f + "/x/new.csv", f + "/linkdir/new.csv"], []) != nil, "new file through a linked folder")
        #expect(refuses([f + "/a.json", f + "/./a.json"], []) != nil)
        // Existing outputs, one through a symlink.
        #expect(refuses([f + "/x/in.nii", f + "/link.nii"], []) != nil)
    }

    @Test func distinctPathsPass() throws {
        let f = try setUp()
        defer { cleanup(f) }
        #expect(refuses([f + "/out.json", f + "/out.csv", f + "/x/out.nii.gz"], [f + "/x/in.nii", f + "/link.nii"]) == nil)
        #expect(refuses([f + "/out.json"], []) == nil)
        #expect(refuses([], [f + "/x/in.nii"]) == nil)
    }
}

@Suite struct AtomicTextFileTests {
    @Test func writesReplacesAndLeavesNoTemporaryFile() throws {
        let f = try makeTemporaryFolder()
        defer { cleanup(f) }
        let path = f + "/stats.json"
        let text = "{\n  \"é\": \"漢\"\n}\n"
        try AtomicTextFile.write(text, to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        try AtomicTextFile.write("second\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        try AtomicTextFile.write("", to: f + "/empty.csv")
        #expect(try Data(contentsOf: URL(fileURLWithPath: f + "/empty.csv")).isEmpty)
        #expect(throws: VoxelIOError.self) { try AtomicTextFile.write("x", to: f + "/nope/a.json") }
        #expect(listing(f) == ["empty.csv", "stats.json"])
        // Not left owner-only by mkstemp: at least the owner can read and write, and group/other
        // permissions come from the umask (0o666 & ~umask), not 0o600.
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o600 == 0o600)
    }
}

@Suite struct OutputFilesTests {
    /// A `.hdr` input brings its data file along: an output there is refused in every spelling.
    @Test func aPairsDataFileCountsAsTheInput() throws {
        let f = try makeTemporaryFolder()
        defer { cleanup(f) }
        for name in ["p.hdr", "p.img"] { #expect(FileManager.default.createFile(atPath: f + "/" + name, contents: Data([1]))) }
        #expect(throws: VoxelIOError.self) { try OutputSafety.check(outputs: [f + "/p.img"], inputs: [f + "/p.hdr"]) }
        #expect(throws: VoxelIOError.self) { try OutputSafety.check(outputs: [f + "/./p.img.gz"], inputs: [f + "/p.hdr"]) }
        #expect(throws: VoxelIOError.self) { try OutputSafety.check(outputs: [f + "/p.IMG"], inputs: [f + "/p.HDR"]) }
        try OutputSafety.check(outputs: [f + "/q.img"], inputs: [f + "/p.hdr"])
    }

    @Test func nothingIsWrittenUntilTheCommitAndThenEverything() throws {
        let f = try makeTemporaryFolder()
        defer { cleanup(f) }
        try AtomicTextFile.write("old map", to: f + "/map.nii")
        try AtomicTextFile.write("old summary", to: f + "/summary.json")
        do {
            let outputs = try OutputFiles([f + "/map.nii", f + "/summary.json", nil], inputs: [])
            try outputs.stage(text: "new map", to: f + "/map.nii")
            // Staged but never committed (the command failed): dropped with the set.
            #expect(listing(f).filter { $0.hasPrefix(".voxdose-") }.count == 1)
        }
        #expect(listing(f) == ["map.nii", "summary.json"])
        #expect(try String(contentsOfFile: f + "/map.nii", encoding: .utf8) == "old map")
        let outputs = try OutputFiles([f + "/map.nii", f + "/summary.json"], inputs: [])
        try outputs.stage(text: "new map", to: f + "/map.nii")
        try outputs.stage(text: "new summary", to: f + "/summary.json")
        try outputs.commit()
        #expect(listing(f) == ["map.nii", "summary.json"])
        #expect(try String(contentsOfFile: f + "/summary.json", encoding: .utf8) == "new summary")
        #expect(try String(contentsOfFile: f + "/map.nii", encoding: .utf8) == "new map")
    }

    /// Temporary names do not grow with the output's name: a 255-byte name is legal.
    @Test func longestNames() throws {
        let f = try makeTemporaryFolder()
        defer { cleanup(f) }
        let path = f + "/" + String(repeating: "n", count: 255)
        try AtomicTextFile.write("x", to: path)
        #expect(listing(f).count == 1)
    }

    /// A file that shrinks while it is read gives an error, not SIGBUS (it is read, not mapped).
    @Test func aFileThatShrinksWhileReadIsTruncatedNotACrash() throws {
        let f = try makeTemporaryFolder()
        defer { cleanup(f) }
        let path = f + "/shrinks.nii.gz"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x1f, count: 1 << 20)))
        let file = try FileSystem.ReadableFile(path)
        #expect(truncate(path, 1000) == 0)
        #expect(throws: VoxelIOError.self) { try file.withContents { _ in } }
    }
}
