/// AddressSanitizer's defaults for these binaries (read at start-up; ASAN_OPTIONS still
/// overrides them). Leak checking is off: the Swift runtime's metadata caches and Foundation
/// (`FileManager.contents(atPath:)` keeps a 4 KiB buffer per empty file read, swift-foundation
/// 6.3) are reported as leaks at exit, which would turn every run into a failure. A fuzz target
/// here looks for crashes and memory errors, not leaks.
@_cdecl("__asan_default_options")
public func asanDefaultOptions() -> UnsafePointer<CChar> {
    UnsafeRawPointer(asanOptions.utf8Start).assumingMemoryBound(to: CChar.self)
}

private let asanOptions: StaticString = "detect_leaks=0"
