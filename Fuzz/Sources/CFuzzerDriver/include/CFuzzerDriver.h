// libFuzzer's driver entry point (compiler-rt, FuzzerDriver.cpp): what libFuzzer's own `main`
// calls. The fuzz targets call it from the entry point SwiftPM expects (see FuzzerEntry.swift).
#pragma once
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
