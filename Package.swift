// swift-tools-version:6.0
//
// VoxDose: voxel dosimetry and PET quantification for 90Y radioembolization.
// The manifest is the architecture diagram: public modules first, then the C
// boundary, then the command-line tool, then tests (Docs/ARCHITECTURE.md).
import PackageDescription

let package = Package(
    name: "VoxDose",
    products: [
        .executable(name: "voxdose", targets: ["voxdose"]),
        .library(name: "VoxelKernels", targets: ["VoxelKernels"]),
        .library(name: "VoxelIO", targets: ["VoxelIO"]),
        .library(name: "VOIStatistics", targets: ["VOIStatistics"]),
        .library(name: "Dosimetry", targets: ["Dosimetry"]),
        .library(name: "PETQuant", targets: ["PETQuant"]),
        .library(name: "Reporting", targets: ["Reporting"]),
        .library(name: "Planning", targets: ["Planning"]),
        .library(name: "CohortStatistics", targets: ["CohortStatistics"]),
        .library(name: "PatientStages", targets: ["PatientStages"]),
        .library(name: "PatientCase", targets: ["PatientCase"]),
        .library(name: "CaseReport", targets: ["CaseReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Public modules

        /// Hot loops over contiguous Float32 storage: no file formats, no physics.
        .target(name: "VoxelKernels"),

        /// NIfTI-1/2 reading and writing over the system libnifti, zlib and libdeflate.
        .target(
            name: "VoxelIO",
            dependencies: ["VoxelKernels", "CNIfTI", "CLibdeflate", "CISAL"]
        ),

        /// 90Y absorbed dose: radionuclide data, decay, LDM, voxel S-value kernels, calibration.
        .target(name: "Dosimetry", dependencies: ["VoxelKernels"]),

        /// PET quantification: SUV, SUL, SUVbsa, body metrics, lesion uptake and hypoxia metrics.
        .target(name: "PETQuant", dependencies: ["VoxelKernels"]),

        /// Per-region statistics records built on the kernels.
        .target(name: "VOIStatistics", dependencies: ["VoxelKernels"]),

        /// JSON and CSV writers with the contract's conventions.
        .target(name: "Reporting"),

        /// Plausibility rules with their bounds: coded warnings for figures no patient shows.
        .target(name: "Plausibility"),

        /// General statistics with no imaging: special functions, ROC + DeLong, Mann–Whitney,
        /// 2×2 tables, logistic regression, CSV tables, the response-model file.
        .target(name: "CohortStatistics"),

        /// Dose × hypoxia groups, the response model, dose needed, activity prescription.
        .target(name: "Planning", dependencies: ["Dosimetry", "PETQuant", "CohortStatistics"]),

        /// Each stage of a patient (dose summary, SUV map, lesion table, plan, response) as a
        /// function from typed inputs to a typed result, and the one place its document is written.
        .target(name: "PatientStages", dependencies: ["VoxelKernels", "VoxelIO", "VOIStatistics", "PETQuant", "Dosimetry", "Planning",
                                                      "Plausibility", "Reporting", "CohortStatistics"]),

        /// One patient's study file, its steps as `voxdose` command lines, and the run that
        /// executes them into a case folder, all or nothing; many patients (batch, cohort table).
        .target(name: "PatientCase", dependencies: ["VoxelIO", "Reporting", "CohortStatistics", "CLibcrypto", "CSpawn"]),

        /// The report of a case: typed content read from a case folder, lesion slices (libpng),
        /// SVG plots, the self-contained HTML page. No physics: the numbers come from the case.
        .target(name: "CaseReport", dependencies: ["PatientCase", "VoxelIO", "VoxelKernels", "CLibpng"]),

        // MARK: - C boundary (system libraries, nothing vendored)

        /// Debian's libnifti2 + libznz + zlib. `include/znzlib.h` forwards to
        /// `<nifti/znzlib.h>` because `nifti2_io.h` includes it with angle brackets.
        .target(
            name: "CNIfTI",
            linkerSettings: [
                .linkedLibrary("nifti2"),
                .linkedLibrary("znz"),
                .linkedLibrary("z"),
            ]
        ),

        /// Debian's libdeflate: whole-buffer gzip inflate, the fastest inflater here (451 MB/s vs zlib 206).
        .systemLibrary(name: "CLibdeflate"),

        /// Debian's OpenSSL libcrypto: SHA-256 of the inputs a case records.
        .systemLibrary(name: "CLibcrypto"),

        /// Debian's libpng: the report's slice images (a thin C encoder over its full API, for
        /// the zlib level and the row filter; its setjmp error handling stays in C).
        .target(name: "CLibpng", linkerSettings: [.linkedLibrary("png16")]),

        /// glibc's spawn.h with its GNU extensions (starting a child process in another folder).
        .systemLibrary(name: "CSpawn"),

        /// Debian's ISA-L (igzip): the fastest gzip deflate measured here (Docs/PERFORMANCE.md).
        .systemLibrary(name: "CISAL"),

        // MARK: - Command-line tool

        .executableTarget(
            name: "voxdose",
            dependencies: [
                "PatientStages",
                "VoxelIO", "VoxelKernels", "VOIStatistics", "Reporting", "Dosimetry", "PETQuant", "Planning", "CohortStatistics",
                "Plausibility", "PatientCase", "CaseReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        /// The benchmark harness (`make bench`), apart from the tests.
        .executableTarget(
            name: "voxdose-bench",
            dependencies: [
                "VoxelIO", "VoxelKernels", "VOIStatistics", "Reporting", "Dosimetry", "PETQuant", "CaseReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/voxdose-bench"
        ),

        // MARK: - Tests

        /// What several test targets share (a seeded generator).
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(name: "VoxelKernelsTests", dependencies: ["TestSupport", "VoxelKernels"]),
        .testTarget(name: "VoxelIOTests", dependencies: ["VoxelIO", "VoxelKernels", "CNIfTI"]),
        .testTarget(name: "VOIStatisticsTests", dependencies: ["TestSupport", "VOIStatistics", "VoxelKernels"]),
        .testTarget(name: "DosimetryTests", dependencies: ["Dosimetry", "VoxelKernels"]),
        .testTarget(name: "PETQuantTests", dependencies: ["PETQuant", "VoxelKernels"]),
        .testTarget(name: "ReportingTests", dependencies: ["TestSupport", "Reporting"]),
        .testTarget(name: "PlanningTests", dependencies: ["Planning", "Dosimetry", "CohortStatistics"]),
        .testTarget(name: "CohortStatisticsTests", dependencies: ["TestSupport", "CohortStatistics"]),
        .testTarget(name: "PlausibilityTests", dependencies: ["Plausibility"]),
        .testTarget(name: "PatientStagesTests", dependencies: ["PatientStages", "Planning", "Reporting", "VoxelIO", "VoxelKernels"]),
        .testTarget(name: "PatientCaseTests", dependencies: ["PatientCase", "CaseReport", "VoxelKernels"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "voxdose", "CohortStatistics", "CaseReport"]),
    ]
)
