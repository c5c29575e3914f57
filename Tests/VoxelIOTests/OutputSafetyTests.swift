import Foundation
import Testing
import VoxelIO
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
