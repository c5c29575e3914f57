import Foundation
import VoxelIO

/// One patient's study file (`voxdose.study/1`): the scans, their label images, the reference
/// regions and the treatment, checked key by key before anything runs (Docs/CASE.md).
///
/// Paths are kept as written (relative to the study file's folder, or absolute): every step runs
/// from that folder, so a step's command line names the files exactly as the study does.
public struct Study: Sendable {
    public static let schema = "voxdose.study/1"

    /// The study file as given on the command line.
    public var path: String
    /// The folder the study's relative paths start from (absolute).
    public var folder: String
    public var patientID: String
    public var treatment: Treatment
    /// The default label image of every scan without its own.
    public var labels: String?
    /// TSV of label<TAB>name.
    public var names: String?
    public var regions: [Region: RegionSource]
    public var scans: [ScanKind: Scan]
    /// Extra options of the `lesions` and `plan` steps.
    public var lesionsOptions: StepOptions
    public var planOptions: StepOptions

    /// The scans a study may name, in the order their steps run.
    public enum ScanKind: String, CaseIterable, Sendable {
        case y90PET = "y90_pet", fmisoPET = "fmiso_pet", fdgBaseline = "fdg_baseline", fdgFollowup = "fdg_followup"
        case maaSPECT = "maa_spect", anatomy
    }

    /// Reference regions, each looked up in the label image of the scan whose map it serves.
    public enum Region: String, CaseIterable, Sendable {
        case normalLiver = "normal_liver", muscle, bloodPool = "blood_pool", liver, lung
    }

    /// A region as a label number in the scan's label image, or a mask file.
    public enum RegionSource: Equatable, Sendable {
        case label(Int64)
        case mask(String)
    }

    public struct Scan: Sendable {
        public var image: String
        /// The sidecar named in the study, else the BIDS sidecar beside the image (nil: none).
        public var sidecar: String?
        /// Whether `sidecar` was named in the study (else found beside the image).
        public var sidecarNamed: Bool
        /// This scan's label image, else the study's `labels`.
        public var labels: String?
        public var options: StepOptions
    }

    public struct Treatment: Sendable {
        public enum Microspheres: String, Sendable { case resin, glass }
        public var microspheres: Microspheres = .resin
        /// Each kept as written (with its unit), checked to parse.
        public var implantTime: String?
        public var administeredActivity: String?
        public var residualActivity: String?
        public var lungShunt: String?
        public var lungMass: String?
    }

    /// `patient_id`: 1–64 of `A-Z a-z 0-9 . _ -`, not starting with `.` (safe as a folder name).
    public static func isValidPatientID(_ id: String) -> Bool {
        guard (1...64).contains(id.utf8.count), !id.hasPrefix(".") else { return false }
        return id.utf8.allSatisfy { c in
            (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 46 || c == 95 || c == 45
        }
    }

    /// Reads and checks the study file.
    /// - Throws: ``VoxelIOError`` naming the study file and the key at fault: not JSON, an unknown
    ///   schema or key, a missing or malformed `patient_id`, a quantity without its unit, a file
    ///   that does not exist, or neither `y90_pet` nor `maa_spect`.
    public init(path: String) throws {
        self.path = path
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        folder = (absolute as NSString).deletingLastPathComponent
        let root = try JSONInput.readObject(path, what: "a study file")
        let reader = KeyReader(file: path, folder: folder)

        try reader.onlyKnownKeys(root, ["schema", "patient_id", "treatment", "labels", "names", "regions", "lesions", "plan"]
                                     + ScanKind.allCases.map(\.rawValue), at: "")
        if let schema = root["schema"] {
            guard case .string(Self.schema) = schema else {
                throw reader.error("schema", "is \(Self.describe(schema)); this version reads \"\(Self.schema)\"")
            }
        }
        guard let idValue = root["patient_id"] else { throw reader.error("patient_id", "is missing (a patient id is required)") }
        guard case .string(let id) = idValue, Self.isValidPatientID(id) else {
            throw reader.error("patient_id", "is \(Self.describe(idValue)); it must be 1–64 of A-Z a-z 0-9 . _ - and not start with .")
        }
        patientID = id
        treatment = try reader.treatment(root["treatment"])
        labels = try reader.file(root["labels"], key: "labels")
        names = try reader.file(root["names"], key: "names")
        regions = try reader.regions(root["regions"])
        var scans: [ScanKind: Scan] = [:]
        for kind in ScanKind.allCases {
            if let value = root[kind.rawValue] { scans[kind] = try reader.scan(value, key: kind.rawValue, defaultLabels: labels) }
        }
        guard scans[.y90PET] != nil || scans[.maaSPECT] != nil else {
            throw reader.error("y90_pet", "is missing: a study needs a 90Y PET (y90_pet) or a 99mTc-MAA SPECT (maa_spect)")
        }
        self.scans = scans
        lesionsOptions = try reader.options(root["lesions"], key: "lesions")
        planOptions = try reader.options(root["plan"], key: "plan")
    }

    static func describe(_ value: JSONInput) -> String {
        switch value {
        case .string(let s): return "\"\(s)\""
        case .number(let d): return "\(d)"
        case .bool(let b): return "\(b)"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Reads the study's keys, naming the file and the key path in every error.
private struct KeyReader {
    let file: String
    let folder: String

    func error(_ key: String, _ reason: String) -> VoxelIOError { VoxelIOError(file, "\(key): \(reason)") }

    func onlyKnownKeys(_ object: [String: JSONInput], _ known: [String], at prefix: String) throws {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw error(prefix + unknown, "is not a study key (known here: \(known.joined(separator: ", ")))")
        }
    }

    func object(_ value: JSONInput, key: String) throws -> [String: JSONInput] {
        guard case .object(let o) = value else { throw error(key, "is \(Study.describe(value)); an object is expected") }
        return o
    }

    func string(_ value: JSONInput?, key: String) throws -> String? {
        guard let value else { return nil }
        guard case .string(let s) = value, !s.isEmpty else { throw error(key, "is \(Study.describe(value)); a non-empty string is expected") }
        return s
    }

    /// A path that must name an existing regular file (checked from the study's folder).
    func file(_ value: JSONInput?, key: String) throws -> String? {
        guard let path = try string(value, key: key) else { return nil }
        let resolved = path.hasPrefix("/") ? path : folder + "/" + path
        var info = stat()
        guard stat(resolved, &info) == 0 else { throw error(key, "\(path) does not exist (paths are relative to the study file's folder)") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw error(key, "\(path) is not a regular file") }
        return path
    }

    /// A quantity written with its unit (`"1.8GBq"`), checked to parse as `dimension`.
    func quantity(_ value: JSONInput?, key: String, _ dimension: Quantity.Dimension, example: String) throws -> String? {
        guard let value else { return nil }
        guard case .string(let text) = value, Double(text.trimmingCharacters(in: .whitespaces)) == nil,
              let parsed = Quantity.parse(text, as: dimension), parsed.isFinite, parsed >= 0 else {
            throw error(key, "is \(Study.describe(value)); write it with its unit, as \(example)")
        }
        return text
    }

    func treatment(_ value: JSONInput?) throws -> Study.Treatment {
        var treatment = Study.Treatment()
        guard let value else { return treatment }
        let o = try object(value, key: "treatment")
        try onlyKnownKeys(o, ["microspheres", "implant_time", "administered_activity", "residual_activity", "lung_shunt", "lung_mass"],
                          at: "treatment.")
        if let text = try string(o["microspheres"], key: "treatment.microspheres") {
            guard let kind = Study.Treatment.Microspheres(rawValue: text) else {
                throw error("treatment.microspheres", "is \"\(text)\"; resin or glass")
            }
            treatment.microspheres = kind
        }
        if let text = try string(o["implant_time"], key: "treatment.implant_time") {
            guard WrittenDateTime.parse(text) != nil, text.contains("T") else {
                throw error("treatment.implant_time", "is \"\(text)\"; an ISO 8601 date-time is expected (2026-03-02T09:41:00+01:00)")
            }
            treatment.implantTime = text
        }
        treatment.administeredActivity = try quantity(o["administered_activity"], key: "treatment.administered_activity",
                                                      .activity, example: "\"1.8GBq\"")
        treatment.residualActivity = try quantity(o["residual_activity"], key: "treatment.residual_activity", .activity, example: "\"0.05GBq\"")
        treatment.lungMass = try quantity(o["lung_mass"], key: "treatment.lung_mass", .mass, example: "\"1kg\"")
        if let shunt = o["lung_shunt"] {
            let fraction: Double?
            switch shunt {
            case .number(let d): fraction = d
            case .string(let s): fraction = s.hasSuffix("%") ? Quantity.parse(s, as: .fraction) : nil
            default: fraction = nil
            }
            guard let fraction, fraction.isFinite, fraction >= 0, fraction < 1 else {
                throw error("treatment.lung_shunt", "is \(Study.describe(shunt)); a fraction in [0, 1), as 0.06 or \"6%\"")
            }
            if case .string(let s) = shunt { treatment.lungShunt = s } else { treatment.lungShunt = Self.number(fraction) }
        }
        return treatment
    }

    func regions(_ value: JSONInput?) throws -> [Study.Region: Study.RegionSource] {
        guard let value else { return [:] }
        let o = try object(value, key: "regions")
        try onlyKnownKeys(o, Study.Region.allCases.map(\.rawValue), at: "regions.")
        var regions: [Study.Region: Study.RegionSource] = [:]
        for region in Study.Region.allCases {
            let key = "regions." + region.rawValue
            switch o[region.rawValue] {
            case nil: continue
            case .number(let d)?:
                guard d == d.rounded(), d >= 1, d <= 9_007_199_254_740_992 else {
                    throw error(key, "is \(d); a label number is a positive integer (or give a mask path)")
                }
                regions[region] = .label(Int64(d))
            case let other?:
                guard let path = try file(other, key: key) else { continue }
                regions[region] = .mask(path)
            }
        }
        return regions
    }

    func scan(_ value: JSONInput, key: String, defaultLabels: String?) throws -> Study.Scan {
        let o = try object(value, key: key)
        try onlyKnownKeys(o, ["image", "sidecar", "labels", "options"], at: key + ".")
        guard let image = try file(o["image"], key: key + ".image") else { throw error(key + ".image", "is missing (each scan names its image)") }
        let named = try file(o["sidecar"], key: key + ".sidecar")
        let beside = named == nil ? PETSidecar.beside(image.hasPrefix("/") ? image : folder + "/" + image) : nil
        let sidecar = named ?? beside.map { relative($0) }
        return Study.Scan(image: image, sidecar: sidecar, sidecarNamed: named != nil,
                          labels: try file(o["labels"], key: key + ".labels") ?? defaultLabels,
                          options: try options(o["options"], key: key + ".options"))
    }

    /// A path under the study's folder written relative to it again.
    func relative(_ path: String) -> String {
        path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
    }

    func options(_ value: JSONInput?, key: String) throws -> StepOptions {
        guard let value else { return StepOptions() }
        var options = StepOptions()
        for (name, option) in try object(value, key: key).sorted(by: { $0.key < $1.key }) {
            let where_ = key + "." + name
            guard !name.hasPrefix("-"), !name.isEmpty else { throw error(where_, "write options without their dashes (\"method\", not \"--method\")") }
            guard !StepOptions.managed.contains(name) else {
                throw error(where_, "names an output or the output format, which the case sets itself (Docs/CASE.md)")
            }
            switch option {
            case .bool(let flag): options.entries.append((name, flag ? .flag : .absent))
            case .string(let s): options.entries.append((name, .value(s)))
            case .number(let d) where d.isFinite: options.entries.append((name, .value(Self.number(d))))
            case .array(let items):
                let texts = items.compactMap { item -> String? in
                    if case .number(let d) = item, d.isFinite { return Self.number(d) }
                    if case .string(let s) = item { return s }
                    return nil
                }
                guard texts.count == items.count, !texts.isEmpty else { throw error(where_, "a list holds numbers or strings") }
                options.entries.append((name, .value(texts.joined(separator: ","))))
            default: throw error(where_, "is \(Study.describe(option)); a string, a number, a list or true/false")
            }
        }
        return options
    }

    /// A JSON number as a command line writes it: integers without a fraction, others at full
    /// round-trip precision.
    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 9e15 ? String(Int64(d)) : "\(d)"
    }
}

/// A step's options from the study (`"method": "dvk"`, `"density": 1.05`, a flag as `true`),
/// by their command-line names without the dashes; they override what the study implies.
public struct StepOptions: Sendable {
    public enum Value: Sendable, Equatable {
        case value(String)
        case flag
        /// `false`: the flag (or an implied option) is left out.
        case absent
    }

    public var entries: [(name: String, value: Value)] = []

    public init() {}

    /// Options the case sets itself, refused in a study: the outputs and their format.
    static let managed: Set<String> = ["out", "summary", "csv", "dvh", "format", "strict", "quiet", "patient-id"]

    /// Options that name files (read from the study's folder and recorded among the inputs).
    static let fileOptions: Set<String> = [
        "sidecar", "density-map", "calibration-mask", "labels", "suv-labels", "names", "muscle-mask", "blood-pool-mask",
        "normal-liver-mask", "liver-mask", "baseline-liver-mask", "followup-liver-mask", "baseline-blood-pool-mask",
        "followup-blood-pool-mask", "model", "lesion-data", "lung", "liver",
    ]
}
