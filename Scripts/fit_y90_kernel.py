#!/usr/bin/env python3
"""Fit a 90Y dose point kernel to published voxel S-values; write the Swift data files.

  python3 Scripts/fit_y90_kernel.py          # from the repository root (numpy + scipy)

Source: Lanconelli N et al., Phys Med Biol 2012;57:517-533, soft-tissue 90Y voxel S-values,
13 cubic voxel sizes 2.21-9.28 mm, one octant (../shared/data/y90_voxel_s_values_lanconelli2012.csv,
mGy per MBq.s of cumulated activity in the source voxel).

Method (Docs/DVK.md): the dose point kernel is modelled as a non-negative sum of Gaussians,
Phi(r) = sum_m a_m exp(-r^2 / s_m^2), widths s_m fixed on a log grid, 0.05-25 mm. A voxel S-value
is Phi averaged over uniformly distributed source and target points in two voxels; for a
Gaussian this average factorises per axis in closed form:
  G(n, L, s) = [I2(nL + L) - 2 I2(nL) + I2(nL - L)] / L^2,
  I2(t) = t I1(t) + s^2/2 (exp(-t^2/s^2) - 1),  I1(t) = s sqrt(pi)/2 erf(t/s),
  S(i, j, k) = sum_m a_m G(i, Lx, s_m) G(j, Ly, s_m) G(k, Lz, s_m),
so the same coefficients give the kernel for any voxel size, anisotropic ones included. The
amplitudes are fitted by NNLS to every tabulated entry, each weighted by 1 / (S + 1e-3 S(0,0,0))
(relative error, with the far tail — entries below about 1e-4 of the centre, at most 0.22 % of
the energy — not allowed to dominate).

Writes:
  Sources/Dosimetry/Y90KernelData.generated.swift      the table and the all-sizes fit
  Tests/DosimetryTests/HeldOutKernelFit.generated.swift  the fit without 4.8 mm (for the test
                                                         that rebuilds a size it never saw)
and prints the residuals that Docs/DVK.md quotes.
"""
from __future__ import annotations

import collections
import csv
import math
from pathlib import Path

import numpy as np
from scipy.optimize import nnls
from scipy.special import erf

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT.parent / "shared" / "data" / "y90_voxel_s_values_lanconelli2012.csv"
HELD_OUT_MM = 4.8
WIDTHS_MM = np.geomspace(0.05, 25.0, 30)
MAIN = [(0, 0, 0), (0, 0, 1), (0, 1, 1), (1, 1, 1)]


def load() -> dict[float, dict[tuple[int, int, int], float]]:
    by: dict[float, dict] = collections.defaultdict(dict)
    for r in csv.DictReader(open(TABLE)):
        if r["tissue"] == "soft_tissue":
            by[float(r["voxel_mm"])][(int(r["i"]), int(r["j"]), int(r["k"]))] = float(r["s_mgy_per_mbq_s"])
    return dict(by)


def axis_factor(n: int, length: float, widths: np.ndarray) -> np.ndarray:
    def i2(t):
        i1 = widths * math.sqrt(math.pi) / 2 * erf(t / widths)
        return t * i1 + widths ** 2 / 2 * (np.exp(-(t / widths) ** 2) - 1)
    x = n * length
    return (i2(x + length) - 2 * i2(x) + i2(x - length)) / length ** 2


def design(length: float, keys) -> np.ndarray:
    return np.array([axis_factor(i, length, WIDTHS_MM) * axis_factor(j, length, WIDTHS_MM)
                     * axis_factor(k, length, WIDTHS_MM) for i, j, k in keys])


def fit(table, sizes) -> np.ndarray:
    rows, rhs = [], []
    for size in sizes:
        keys = list(table[size])
        s = np.array([table[size][k] for k in keys])
        w = 1.0 / (s + 1e-3 * table[size][(0, 0, 0)])
        rows.append(design(size, keys) * w[:, None])
        rhs.append(s * w)
    amplitudes, _ = nnls(np.vstack(rows), np.concatenate(rhs), maxiter=10000)
    return amplitudes


def swift_terms(amplitudes: np.ndarray) -> str:
    return "\n".join(f"        (widthMM: {float(s)!r}, amplitude: {float(a)!r}),"
                     for s, a in zip(WIDTHS_MM, amplitudes) if a > 0)


def report(table, amplitudes, sizes, label):
    print(f"{label}:")
    for size in sizes:
        keys = list(table[size])
        s = np.array([table[size][k] for k in keys])
        p = design(size, keys) @ amplitudes
        main = [keys.index(k) for k in MAIN]
        big = s > 0.01 * table[size][(0, 0, 0)]
        print(f"  {size:5.2f} mm: main entries max |rel err| {100 * np.max(np.abs(p[main] / s[main] - 1)):.2f} %, "
              f"entries > 1 % of S(0,0,0) {100 * np.max(np.abs(p[big] / s[big] - 1)):.2f} %")


def main():
    table = load()
    sizes = sorted(table)
    everything = fit(table, sizes)
    held = fit(table, [s for s in sizes if s != HELD_OUT_MM])
    report(table, everything, sizes, "fit on all sizes")
    report(table, held, [HELD_OUT_MM], f"fit without {HELD_OUT_MM} mm, evaluated at it")
    # Energy held by the fitted kernel: integral of Phi over space = sum a (sqrt(pi) s)^3.
    integral = float(np.sum(everything * (math.sqrt(math.pi) * WIDTHS_MM) ** 3))  # mGy mm^3 / (MBq s)
    # mGy/(MBq s) * mm^3 -> J per decay: 1e-3 Gy * (1e-3 mL/mm^3 * 1.04e-3 kg/mL) / 1e6 decays/MBq.s
    energy_j_per_decay = integral * 1e-3 * (1e-3 * 1.04e-3) / 1e6
    print(f"energy per decay held by the fit at 1.04 g/mL: {energy_j_per_decay / 1.602177e-13:.4f} MeV")

    rows = []
    for size in sizes:
        values = ", ".join(repr(table[size][(i, j, k)]) for i in range(6) for j in range(6) for k in range(6))
        rows.append(f"        ({size!r}, [{values}]),")
    (ROOT / "Sources" / "Dosimetry" / "Y90KernelData.generated.swift").write_text(f"""\
// Generated by Scripts/fit_y90_kernel.py from ../shared/data/y90_voxel_s_values_lanconelli2012.csv.
// Do not edit: rerun the script.

/// Lanconelli et al. 2012 (Phys Med Biol 57:517-533), 90Y in soft tissue: voxel S-values in
/// mGy per (MBq·s) for cubic voxels, one octant, index (i·36 + j·6 + k) for i, j, k in 0...5.
let lanconelli2012SoftTissueY90: [(voxelMM: Double, octant: [Double])] = [
{chr(10).join(rows)}
]

/// The 90Y dose point kernel fitted to every tabulated size: Φ(r) = Σ amplitude·exp(−r²/width²),
/// in mGy per (MBq·s) (Docs/DVK.md).
let y90DosePointKernelFit: [(widthMM: Double, amplitude: Double)] = [
{swift_terms(everything)}
]
""")
    test_dir = ROOT / "Tests" / "DosimetryTests"
    test_dir.mkdir(parents=True, exist_ok=True)
    (test_dir / "HeldOutKernelFit.generated.swift").write_text(f"""\
// Generated by Scripts/fit_y90_kernel.py. Do not edit: rerun the script.

/// The same fit with the {HELD_OUT_MM} mm table left out, for the test that builds a kernel for a
/// size the fit never saw.
let heldOutVoxelMM = {HELD_OUT_MM!r}
let y90DosePointKernelFitWithoutHeldOutSize: [(widthMM: Double, amplitude: Double)] = [
{swift_terms(held)}
]
""")


if __name__ == "__main__":
    main()
