import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

// Regression tests for the reliability audit (issue 18, CONTRACT.md "Hardening rules"): each
// reproduction the audit listed, and other spellings of the same class.

// MARK: - Helpers

/// A NIfTI-1 file of any datatype: dims, pixdim (mm) and the sform rows (nil: no sform, pixdim
/// geometry), and the stored bytes.
private func rawNIfTI(dims: [Int], datatype: Int16, bitpix: Int16, pixdim: [Float] = [2, 2, 2],
                      srow: [[Float]]? = nil, slope: Float = 0, data: [UInt8]) -> Data {
    var header = [UInt8](repeating: 0, count: 352)
    func put(_ offset: Int, _ bytes: [UInt8]) { header.replaceSubrange(offset..<offset + bytes.count, with: bytes) }
    put(0, littleEndian(Int32(348)))
    var dim = [Int16](repeating: 1, count: 8)
    dim[0] = Int16(dims.count)
    for (n, d) in dims.enumerated() { dim[n + 1] = Int16(d) }
    for n in 0..<8 { put(40 + 2 * n, littleEndian(dim[n])) }
    put(70, littleEndian(datatype))
    put(72, littleEndian(bitpix))
    let pix: [Float] = [1] + pixdim + [1, 1, 1, 1]
    for n in 0..<8 { put(76 + 4 * n, littleEndian(pix[n])) }
    put(108, littleEndian(Float(352)))
    put(112, littleEndian(slope))
    header[123] = 2 | 8
    if let srow {
        put(254, littleEndian(Int16(1)))
        for r in 0..<3 { for c in 0..<4 { put(280 + 16 * r + 4 * c, littleEndian(srow[r][c])) } }
    }
    put(344, Array("n+1".utf8) + [0])
    return Data(header + data)
}

private func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] { values.flatMap { littleEndian($0) } }
private func bytes(_ values: [Double]) -> [UInt8] { values.flatMap { littleEndian($0.bitPattern) } }

private func sha(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

/// Exit 1 with one `error: ` line naming every string of `naming`, nothing on stdout.
private func expectRefused(_ args: [String], status: Int32 = 1, naming: [String] = [],
                           sourceLocation: SourceLocation = #_sourceLocation) {
    let run = voxdose(args)
    #expect(run.status == status, "\(args): status \(run.status), stderr \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout \(run.stdout)", sourceLocation: sourceLocation)
    if status == 1 {
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "\(args): \(run.stderr)", sourceLocation: sourceLocation)
    }
    for word in naming {
        #expect(run.stderr.contains(word), "\(args): \(run.stderr) should name \(word)", sourceLocation: sourceLocation)
    }
}

/// Copies the int16 .hdr/.img pair fixture into `ws` and returns the header's path.
private func pair(in ws: Workspace) throws -> String {
    for ext in ["hdr", "img"] {
        try FileManager.default.copyItem(atPath: packageRoot.path + "/Fixtures/nifti/pair_int16.\(ext)", toPath: ws.path("pair.\(ext)"))
    }
    return ws.path("pair.hdr")
}

// MARK: - Never destroy an input, never replace what is not a plain file

@Suite struct InputsNeverOverwrittenTests {
    /// `dose pair.hdr --out pair.img` once overwrote the pair's voxels with exit 0.
    @Test func aPairsDataFileIsAnInput() throws {
        let ws = Workspace()
        let hdr = try pair(in: ws)
        let img = ws.path("pair.img"), before = sha(img)
        try FileManager.default.createDirectory(atPath: ws.path("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: ws.path("link.nii"), withDestinationPath: "pair.img")
        #expect(link(img, ws.path("hard.nii")) == 0)
        for spelling in [img, ws.path("sub/../pair.img"), ws.path("./pair.img"), ws.path("link.nii"), ws.path("hard.nii")] {
            expectRefused(["dose", hdr, "--out", spelling, "--no-decay-correction"], naming: ["pair.img"])
            expectRefused(["dose", hdr, "--out", ws.path("ok.nii"), "--summary", spelling, "--no-decay-correction"])
            expectRefused(["stats", hdr, "--out", spelling])
            expectRefused(["lesions", "--labels", hdr, "--suv", hdr, "--csv", spelling])
        }
        // The data file of a pair used as labels.
        expectRefused(["stats", hdr, "--labels", hdr, "--out", img])
        #expect(sha(img) == before, "the pair's voxels changed")
        #expect(!ws.listing.contains("ok.nii"), "a first output was left by a refused run")
    }

    @Test func devicesFIFOsFoldersAndLinksToThemAreNeverReplaced() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        #expect(mkfifo(ws.path("fifo"), 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: ws.path("null.nii"), withDestinationPath: "/dev/null")
        try FileManager.default.createSymbolicLink(atPath: ws.path("fifo.nii"), withDestinationPath: "fifo")
        try FileManager.default.createDirectory(atPath: ws.path("folder.nii"), withIntermediateDirectories: true)
        for target in ["/dev/null", ws.path("fifo"), ws.path("null.nii"), ws.path("fifo.nii"), ws.path("folder.nii")] {
            expectRefused(["dose", pet, "--out", target, "--no-decay-correction"], naming: [target])
            expectRefused(["stats", pet, "--out", target], naming: [target])
        }
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "/dev/null is no longer a device")
        #expect(lstat(ws.path("fifo"), &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO)
        #expect(lstat(ws.path("null.nii"), &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
    }

    /// A command whose second output fails once left the first: now all or nothing.
    @Test func aFailingSecondOutputLeavesNoFirst() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        try FileManager.default.createDirectory(atPath: ws.path("summary.json"), withIntermediateDirectories: true)
        expectRefused(["dose", pet, "--out", ws.path("dose.nii"), "--summary", ws.path("summary.json"), "--no-decay-correction"])
        expectRefused(["dose", pet, "--out", ws.path("dose.nii"), "--summary", ws.path("missing/summary.json"), "--no-decay-correction"])
        #expect(ws.listing == ["pet.nii", "summary.json"], "\(ws.listing)")
    }

    /// A legal 255-byte name was refused because the temporary name was 16 bytes longer.
    @Test func longestLegalOutputNameIsAccepted() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        let name = String(repeating: "d", count: 251) + ".nii"
        let run = voxdose(["dose", pet, "--out", ws.path(name), "--no-decay-correction", "--summary", ws.path(String(repeating: "s", count: 250) + ".json")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(ws.listing.contains(name))
    }
}

// MARK: - Outputs committed together; signals leave no temporary file

@Suite(.serialized) struct TemporaryFileTests {
    /// A volume large enough that writing it takes a while (32 MiB as .nii.gz).
    func bigPET(_ ws: Workspace) throws -> String {
        let grid = Grid(dims: [256, 256, 128])
        var values = [Float](repeating: 0, count: grid.voxelCount)
        var rng = SplitMix64(seed: 7)
        for i in values.indices { values[i] = Float(rng.next() % 100_000) }
        return try ws.volume("pet.nii", grid, values)
    }

    /// Runs `args`; the moment a temporary output appears in `folder` the process is stopped
    /// (SIGSTOP), sent `signal`, and continued. Signals start at their default action in the
    /// child, whatever the test runner ignores.
    func killWhileWriting(_ args: [String], folder: String, signal: Int32) -> (status: Int32, sawTemporary: Bool) {
        let argv = ([voxdoseBinary] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        guard posix_spawn(&pid, voxdoseBinary, &actions, &attributes, argv, environ) == 0 else { return (-1, false) }
        var saw = false
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains(where: { $0.hasPrefix(".voxdose-") }) {
                kill(pid, SIGSTOP)
                saw = true
                kill(pid, signal)
                kill(pid, SIGCONT)
                break
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return (status, false) }
            usleep(100)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status, saw)
    }

    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func aSignalWhileWritingRemovesTheTemporaryFile(_ signal: Int32) throws {
        let ws = Workspace()
        let pet = try bigPET(ws)
        let out = Workspace()
        let (status, saw) = killWhileWriting(["dose", pet, "--out", out.path("dose.nii.gz"), "--summary", out.path("dose.json"),
                                              "--no-decay-correction"], folder: out.folder.path, signal: signal)
        try #require(saw, "no temporary file was seen: the run ended first")
        // Stopped while a temporary file existed: the run dies of the signal and leaves nothing,
        // unless the signal arrived inside the commit (held back there), which then completes.
        let listing = out.listing
        #expect(listing.isEmpty || listing == ["dose.json", "dose.nii.gz"], "left behind: \(listing)")
        if listing.isEmpty { #expect(status & 0x7f == signal, "status \(status)") }
    }

    /// After a SIGKILL (which nothing can catch) the next run into the folder removes the leftover.
    @Test func theNextRunRemovesWhatASIGKILLLeft() throws {
        let ws = Workspace()
        let pet = try bigPET(ws)
        let out = Workspace()
        let (_, saw) = killWhileWriting(["dose", pet, "--out", out.path("dose.nii.gz"), "--no-decay-correction"],
                                        folder: out.folder.path, signal: SIGKILL)
        try #require(saw)
        #expect(out.listing.contains { $0.hasPrefix(".voxdose-") }, "SIGKILL should have left the temporary file")
        let small = try ws.uniform(5, name: "small.nii")
        let run = voxdose(["dose", small, "--out", out.path("other.nii"), "--no-decay-correction"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(out.listing == ["other.nii"], "\(out.listing)")
    }
}

// MARK: - Numbers that enter from files and options

@Suite struct NumbersCheckedWhereTheyEnterTests {
    func sidecar(_ ws: Workspace, _ changes: [String: Any]) throws -> String {
        var object: [String: Any] = ["TracerRadionuclide": "Y90", "Units": "Bq/mL", "DecayCorrection": "START",
                                     "TimeZero": "10:15:00", "ScanStart": 0, "InjectionStart": -88_440,
                                     "AcquisitionDateTime": "2026-03-03T10:15:00",
                                     "RadiopharmaceuticalStartDateTime": "2026-03-02T09:41:00"]
        for (key, value) in changes { object[key] = value }
        return try ws.json("side.json", object)
    }

    /// Half-lives and BIDS time offsets that are not finite or outside their physical range.
    @Test func sidecarNumbersOutOfRangeNameTheKey() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        let cases: [(String, Any)] = [("RadionuclideHalfLife", 0), ("RadionuclideHalfLife", -230_580), ("RadionuclideHalfLife", "nan"),
                                      ("RadionuclideHalfLife", "inf"), ("RadionuclideHalfLife", "0x1p3"), ("RadionuclideHalfLife", "-inf"),
                                      ("RadionuclideHalfLife", "1e999")]
        for (key, value) in cases {
            let side = try sidecar(ws, [key: value])
            expectRefused(["dose", pet, "--out", ws.out, "--sidecar", side], naming: [key])
        }
        // Times: "inf" and -1e20 s once crashed formatting the date-time.
        for value: Any in ["inf", -1e20, 1e10, "nan", "Infinity"] {
            let side = try sidecar(ws, ["RadiopharmaceuticalStartDateTime": NSNull(), "InjectionStart": value, "DecayCorrection": NSNull(),
                                        "AcquisitionDateTime": NSNull(), "ImageDecayCorrected": true])
            expectRefused(["dose", pet, "--out", ws.out, "--sidecar", side], naming: ["InjectionStart"])
        }
        #expect(!ws.listing.contains("dose.nii"))
    }

    /// Strings "inf", "nan" and hexadecimal once passed into the SUV (an all-inf map).
    @Test func suvSidecarStringsMustBeDecimalNumbers() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        let base: [String: Any] = ["TracerRadionuclide": "F18", "Units": "Bq/mL", "DecayCorrection": "ADMIN",
                                   "InjectedRadioactivity": 300, "InjectedRadioactivityUnits": "MBq", "BodyWeight": 70]
        for (key, value) in [("InjectedRadioactivity", "inf"), ("InjectedRadioactivity", "nan"), ("InjectedRadioactivity", "0x12c"),
                             ("BodyWeight", "inf"), ("BodyWeight", 0), ("BodyWeight", -70), ("BodyWeight", "1e400"),
                             ("RadionuclideHalfLife", "nan")] as [(String, Any)] {
            var object = base
            object[key] = value
            let side = try ws.json("suv.json", object)
            expectRefused(["suv", pet, "--out", ws.path("suv.nii"), "--sidecar", side], naming: [key])
        }
        // The same sidecar with sound values works: the refusals above were the values.
        let side = try ws.json("suv.json", base)
        #expect(voxdose(["suv", pet, "--out", ws.path("suv.nii"), "--sidecar", side]).status == 0)
    }

    /// UTC offsets beyond ±23:59 once shifted the decay by ~100 h.
    @Test func utcOffsetsBeyondADayAreRefused() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        for offset in ["+99:99", "+25:00", "-24:00", "+23:60", "+2400"] {
            expectRefused(["dose", pet, "--out", ws.out, "--implant-time", "2026-03-02T09:41:00" + offset,
                           "--reference-time", "2026-03-03T10:15:00+01:00"], status: 64)
            let side = try sidecar(ws, ["RadiopharmaceuticalStartDateTime": "2026-03-02T09:41:00" + offset])
            expectRefused(["dose", pet, "--out", ws.out, "--sidecar", side], naming: ["RadiopharmaceuticalStartDateTime"])
        }
        for offset in ["+23:59", "-12:00", "+14:00", "Z", "+0530"] {
            let run = voxdose(["dose", pet, "--out", ws.out, "--implant-time", "2026-03-02T09:41:00" + offset,
                               "--reference-time", "2026-03-03T10:15:00+14:00"])
            #expect(run.status == 0 || run.stderr.contains("before"), "\(offset): \(run.stderr)")
        }
    }

    /// Options whose product overflows the map: seconds typed as hours, absurd factors.
    @Test func aMapThatWouldNotBeFiniteIsRefusedNamingTheOption() throws {
        let ws = Workspace()
        let pet = try ws.uniform(1000)
        for (args, option) in [(["--decay-hours", "86400"], "--decay-hours"), (["--no-decay-correction", "--dose-factor", "1e308"], "--dose-factor"),
                               (["--no-decay-correction", "--density", "1e-308"], "--density"),
                               (["--no-decay-correction", "--method", "dvk", "--density", "1e-308"], "--density")] {
            let run = voxdose(["dose", pet, "--out", ws.out] + args)
            #expect(run.status == 64, "\(args): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains(option), "\(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let side = try ws.json("side.json", ["RadionuclideHalfLife": 1e-300, "DecayCorrection": "START",
                                             "AcquisitionDateTime": "2026-03-03T10:15:00", "RadiopharmaceuticalStartDateTime": "2026-03-02T09:41:00"])
        expectRefused(["dose", pet, "--out", ws.out, "--sidecar", side], naming: ["RadionuclideHalfLife"])
        #expect(!ws.listing.contains("dose.nii"))
        // Just inside: a decay of 14 days is finite and runs.
        #expect(voxdose(["dose", pet, "--out", ws.out, "--decay-hours", "336"]).status == 0)
        // Quantities are finite after their unit; an SUV factor that overflows or vanishes is refused.
        expectRefused(["dose", pet, "--out", ws.out, "--calibrate-activity", "1e308GBq", "--calibration-mask", pet], status: 64)
        let suv = ws.path("suv.nii")
        for args in [["--injected-activity", "1e-300MBq", "--weight", "70kg", "--nuclide", "F18", "--decay-corrected", "admin"],
                     ["--injected-activity", "300MBq", "--weight", "70kg", "--half-life", "1e-300s",
                      "--injection-time", "2026-01-01T10:00:00", "--reference-time", "2026-01-01T11:00:00"]] {
            let run = voxdose(["suv", pet, "--out", suv] + args)
            #expect(run.status == 64 && run.stderr.contains(args[0]), "\(args): \(run.status) \(run.stderr)")
        }
        #expect(!ws.listing.contains("suv.nii"))
    }
}

// MARK: - Bounded work

@Suite struct BoundedWorkTests {
    @Test func dvhRowsAndSpheresAreBoundedBeforeTheWork() throws {
        let ws = Workspace()
        let map = try ws.uniform(100)
        let labels = try ws.volume("labels.nii", Grid(dims: [4, 4, 4]), [Float](repeating: 1, count: 64), int16: true)
        for bin in ["1e-300", "1e-6", "0x1p-1000"] {
            let run = voxdose(["lesions", "--labels", labels, "--dose", map, "--dvh", ws.path("dvh.csv"), "--dvh-bin", bin])
            #expect(run.status == 1 || run.status == 64, "\(bin): \(run.status) \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1 || run.status == 64, "\(run.stderr)")
        }
        for radius in ["1e30", "20000", "1km"] {
            let run = voxdose(["lesions", "--labels", labels, "--suv", map, "--suvpeak-radius", radius])
            #expect(run.status == 1 || run.status == 64, "\(radius): \(run.status) \(run.stderr)")
            #expect(run.seconds < 10, "\(radius) took \(run.seconds) s")
        }
        // Just inside: 1e6 voxels is allowed (a 124 mm sphere on 2 mm voxels holds < 1e6).
        let run = voxdose(["lesions", "--labels", labels, "--suv", map, "--suvpeak-radius", "60mm"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!ws.listing.contains("dvh.csv"))
    }

    /// Voxels of a micrometre once aborted at 6.6 GB building the SUVpeak sphere.
    @Test func micrometreVoxels() throws {
        let ws = Workspace()
        let grid = Grid(dims: [8, 8, 8], spacing: [1e-6, 1e-6, 1e-6])
        let map = try ws.volume("tiny.nii", grid, [Float](repeating: 1000, count: 512))
        let labels = try ws.volume("labels.nii", grid, [Float](repeating: 1, count: 512), int16: true)
        expectRefused(["lesions", "--labels", labels, "--suv", map], naming: ["--suvpeak-radius"])
        expectRefused(["dose", map, "--out", ws.out, "--method", "dvk", "--no-decay-correction"], naming: ["too small"])
        expectRefused(["dose", map, "--out", ws.out, "--method", "dvk-path", "--no-decay-correction"], naming: ["too small"])
        #expect(voxdose(["dose", map, "--out", ws.out, "--no-decay-correction"]).status == 0, "LDM needs no kernel")
    }
}

// MARK: - Labels and geometry

@Suite struct ExactLabelsTests {
    /// 16777216 and 16777217 once merged through Float32; labels up to 2^53 are exact.
    @Test(arguments: [("int64", Int16(1024), Int16(64)), ("uint32", 768, 32), ("float64", 64, 64), ("uint64", 1280, 64)])
    func largeLabelsStayApart(_ name: String, _ datatype: Int16, _ bitpix: Int16) throws {
        let ws = Workspace()
        let big: [Int64] = name == "uint32" ? [16_777_216, 16_777_217, 4_000_000_000, 7] : [16_777_216, 16_777_217, 1 << 53, 7]
        let data: [UInt8]
        switch name {
        case "int64": data = bytes(big)
        case "uint32": data = bytes(big.map { UInt32($0) })
        case "uint64": data = bytes(big.map { UInt64($0) })
        default: data = bytes(big.map { Double($0) })
        }
        let labels = ws.path("labels.nii")
        try rawNIfTI(dims: [4, 1, 1], datatype: datatype, bitpix: bitpix, data: data).write(to: URL(fileURLWithPath: labels))
        let image = try ws.volume("image.nii", Grid(dims: [4, 1, 1]), [10, 20, 30, 40])
        let run = voxdose(["stats", image, "--labels", labels])
        #expect(run.status == 0, "\(run.stderr)")
        let regions = try #require(run.json["regions"] as? [[String: Any]])
        let pairs = regions.map { (($0["label"] as? NSNumber)?.int64Value ?? -1, ($0["mean"] as? NSNumber)?.doubleValue ?? -1) }
        #expect(pairs.map(\.0) == big.sorted())
        #expect(pairs.map(\.1) == [40, 10, 20, 30])
        // The lesion table and a reference label given by its exact number.
        let table = voxdose(["lesions", "--labels", labels, "--suv", image, "--blood-pool-label", "7"])
        #expect(table.status == 0, "\(table.stderr)")
        let lesions = try #require(table.json["lesions"] as? [[String: Any]])
        #expect(lesions.map { ($0["label"] as? NSNumber)?.int64Value } == big.sorted().dropFirst().map { $0 })
        #expect(lesions.map { ($0["t_bp"] as? NSNumber)?.doubleValue } == [0.25, 0.5, 0.75])
    }

    @Test func labelsBeyondTwoToThe53AreRefusedNamingTheValue() throws {
        let ws = Workspace()
        let labels = ws.path("labels.nii")
        try rawNIfTI(dims: [3, 1, 1], datatype: 1024, bitpix: 64, data: bytes([Int64(1), (1 << 53) + 2, 3]))
            .write(to: URL(fileURLWithPath: labels))
        let image = try ws.volume("image.nii", Grid(dims: [3, 1, 1]), [1, 2, 3])
        expectRefused(["stats", image, "--labels", labels], naming: ["9007199254740994", "(1, 0, 0)"])
        // Int64.min once trapped in abs() (found by fuzz-nifti).
        try rawNIfTI(dims: [3, 1, 1], datatype: 1024, bitpix: 64, data: bytes([Int64(1), 2, Int64.min]))
            .write(to: URL(fileURLWithPath: labels))
        expectRefused(["stats", image, "--labels", labels], naming: ["-9223372036854775808", "(2, 0, 0)"])
        try rawNIfTI(dims: [3, 1, 1], datatype: 64, bitpix: 64, data: bytes([1.0, 2.5, 3]))
            .write(to: URL(fileURLWithPath: labels))
        expectRefused(["stats", image, "--labels", labels], naming: ["2.5"])
    }
}

@Suite struct GeometryTests {
    /// pixdim 1 mm and an sform of 4 mm: volumes once used pixdim while positions followed the
    /// sform (64× in mL). The sform is the geometry; a warning says they disagree.
    @Test func theAffineInUseGivesTheVoxelVolume() throws {
        let ws = Workspace()
        let srow: [[Float]] = [[4, 0, 0, 0], [0, 4, 0, 0], [0, 0, 4, 0]]
        let image = ws.path("image.nii")
        try rawNIfTI(dims: [2, 2, 2], datatype: 16, bitpix: 32, pixdim: [1, 1, 1], srow: srow,
                     data: [Float](repeating: 1000, count: 8).flatMap { littleEndian($0) }).write(to: URL(fileURLWithPath: image))
        let run = voxdose(["stats", image])
        #expect(run.status == 0)
        let region = try #require((run.json["regions"] as? [[String: Any]])?.first)
        #expect(close(region["volume_ml"], 8 * 0.064))
        let warnings = run.json["warnings"] as? [String] ?? []
        #expect(warnings.count == 1 && warnings[0].hasPrefix("pixdim_mismatch: "), "\(warnings)")
        #expect(run.stderr.contains("warning: pixdim_mismatch: "))
        // The dose summary's activity follows the same volume: 1000 Bq/mL × 8 × 0.064 mL.
        let dose = voxdose(["dose", image, "--out", ws.out, "--no-decay-correction"])
        #expect(close(dose.json["total_activity_gbq"], 1000 * 8 * 0.064 * 1e-9))
        // A file whose pixdim agrees gets no warning.
        try rawNIfTI(dims: [2, 2, 2], datatype: 16, bitpix: 32, pixdim: [4, 4, 4], srow: srow,
                     data: [Float](repeating: 1000, count: 8).flatMap { littleEndian($0) }).write(to: URL(fileURLWithPath: image))
        #expect((voxdose(["stats", image]).json["warnings"] as? [String]) == [])
    }
}

// MARK: - Memory and threads under an address-space limit

@Suite struct AddressSpaceLimitTests {
    /// Under `ulimit -v` the process once hung (threads) or aborted (allocation): at every limit
    /// it now succeeds or exits 1 with one `error:` line.
    @Test func everyLimitGivesSuccessOrOneErrorLine() throws {
        let ws = Workspace()
        let grid = Grid(dims: [96, 96, 64])
        let pet = try ws.volume("pet.nii", grid, (0..<grid.voxelCount).map { Float($0 % 977) })
        let labels = try ws.volume("labels.nii", grid, (0..<grid.voxelCount).map { Float($0 % 5) }, int16: true)
        var outcomes: Set<Int32> = []
        for limitMiB in [88, 100, 112, 128, 160, 200, 256, 512] {
            for args in [["dose", pet, "--out", ws.path("d.nii.gz"), "--no-decay-correction", "--method", "dvk", "--labels", labels],
                         ["stats", pet, "--labels", labels],
                         ["lesions", "--labels", labels, "--dose", pet, "--suv", pet, "--blood-pool-label", "4"]] {
                let command = "ulimit -v \(limitMiB * 1024); exec '\(voxdoseBinary)' " + args.map { "'\($0)'" }.joined(separator: " ")
                let run = shell(command)
                outcomes.insert(run.status)
                #expect(run.status == 0 || run.status == 1 || run.status == 127, "\(limitMiB) MiB \(args[0]): status \(run.status) \(run.stderr.prefix(300))")
                if run.status == 1 {
                    #expect(run.stderr.hasPrefix("error: ") && run.stderr.split(separator: "\n").count == 1, "\(limitMiB) MiB: \(run.stderr.prefix(300))")
                }
            }
        }
        #expect(outcomes.contains(0), "no limit was large enough: the test proves nothing")
    }

    /// `sh -c command` with stdout and stderr captured (127: the loader itself could not map
    /// the program at a tiny limit, before VoxDose runs).
    func shell(_ command: String) -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try? process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return (status, String(decoding: data, as: UTF8.self))
    }
}
