import CFuzzerDriver

/// The entry point SwiftPM links as `main` (`--defsym main=fuzz_text_main`): libFuzzer's driver
/// with this target's `LLVMFuzzerTestOneInput`, what libFuzzer's own `main` does.
@_cdecl("fuzz_text_main")
public func fuzzerEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}
