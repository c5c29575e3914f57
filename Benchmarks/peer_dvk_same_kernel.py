#!/usr/bin/env python3
"""scipy.signal.fftconvolve with 2 workers on the kernel VoxDose builds, timed on the same volume.

  python3 Benchmarks/peer_dvk_same_kernel.py ACT.nii KERNEL.json VOXDOSE_DVK.nii [--reps 5]

KERNEL.json and VOXDOSE_DVK.nii come from `voxdose-bench --export-kernel … --dvk-output …` on
ACT.nii: the voxel S-values (mGy/(MBq·s)) for ACT's grid and VoxDose's DVK dose map. This script
times `fftconvolve(act, S, mode="same")` inside `scipy.fft.set_workers(2)` (median after a
warm-up), scales it to Gy exactly as VoxDose does, and reports the largest difference between
the two dose maps relative to the maximum dose (a check that both computed the same thing).
Prints one JSON object.
"""
import argparse
import json
import statistics
import time

import nibabel as nib
import numpy as np
import scipy
import scipy.fft
import scipy.signal as sig


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("act")
    ap.add_argument("kernel")
    ap.add_argument("voxdose_dvk")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    act = np.ascontiguousarray(np.asarray(nib.load(a.act, mmap=False).dataobj, dtype=np.float32))
    k = json.load(open(a.kernel))
    kernel = np.asarray(k["s_mgy_per_mbq_s"], dtype=np.float32).reshape(k["shape"])  # [i][j][k] = x, y, z
    scale = k["gy_per_bq_per_ml_per_s_unit"]

    def run():
        with scipy.fft.set_workers(2):
            return sig.fftconvolve(act, kernel, mode="same")

    reference = run()  # warm-up (plans, allocations) and the result checked below
    samples = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        run()
        samples.append(time.perf_counter() - t0)
    dose_scipy = reference.astype(np.float64) * scale
    dose_voxdose = np.asarray(nib.load(a.voxdose_dvk, mmap=False).dataobj, dtype=np.float64)
    print(json.dumps({
        "peer": "scipy.signal.fftconvolve, 2 workers, VoxDose's kernel",
        "scipy": scipy.__version__, "kernel_shape": k["shape"], "kernel_source": k["source"],
        "median_s": statistics.median(samples), "min_s": min(samples), "samples_s": samples,
        "max_abs_diff_over_max_dose": float(np.max(np.abs(dose_scipy - dose_voxdose)) / np.max(np.abs(dose_scipy))),
    }))


if __name__ == "__main__":
    main()
