// swift-tools-version:6.0
//
// libFuzzer targets for VoxDose's readers (Docs/FUZZING.md). A package of its own so the main
// manifest stays free of sanitizer flags; it uses the main package's public library products.
//
//   make fuzz        every target for FUZZ_SECONDS (default 60) each, built as below
//   swift build -c release --package-path Fuzz --scratch-path Fuzz/.build \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// (`-sanitize=fuzzer` alone builds without AddressSanitizer: faster, memory errors unseen.)
//
// Each executable target defines `LLVMFuzzerTestOneInput`; `-sanitize=fuzzer` links libFuzzer.
// SwiftPM links a Linux executable with `--defsym main=<module>_main` (its testable-executable
// entry point), a symbol that `-parse-as-library` never emits, so each target defines
// `<module>_main` itself (`@_cdecl`), and it calls libFuzzer's driver exactly as libFuzzer's own
// `main` would (LLVMFuzzerRunDriver, declared by the CFuzzerDriver module).
import PackageDescription

/// A path dependency's identity is its folder's name (lowercased), whatever the clone is called.
let mainPackage = Context.packageDirectory.split(separator: "/").dropLast().last.map { String($0).lowercased() } ?? "main"

let package = Package(
    name: "VoxDoseFuzz",
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        /// A per-process scratch folder under /dev/shm and whole-file writes.
        .target(name: "FuzzSupport"),

        /// The declaration of libFuzzer's `LLVMFuzzerRunDriver` (linked by `-sanitize=fuzzer`).
        .target(name: "CFuzzerDriver"),

        /// NIfTI reader: `.nii`, `.nii.gz` and `.hdr`/`.img` opened and read (frame 0 and the last).
        .executableTarget(
            name: "fuzz-nifti",
            dependencies: [
                "FuzzSupport", "CFuzzerDriver",
                .product(name: "VoxelIO", package: mainPackage),
                .product(name: "VoxelKernels", package: mainPackage),
            ]
        ),

        /// Text parsers: date-times, quantities, PET sidecars (JSON), CSV tables.
        .executableTarget(
            name: "fuzz-text",
            dependencies: [
                "FuzzSupport", "CFuzzerDriver",
                .product(name: "VoxelIO", package: mainPackage),
                .product(name: "CohortStatistics", package: mainPackage),
            ]
        ),
    ]
)
