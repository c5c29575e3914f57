#!/usr/bin/env python3
"""Monte Carlo reference dose maps for 90Y at tissue interfaces (issue 17), from ompMC.

ompMC (PyPI `ompmc`, GPL-3.0, run here as an outside tool, nothing of it is in VoxDose) is a C
port of EGSnrc's condensed-history electron and photon transport; its cross sections and PEGS4
media ship in the wheel (no download). It has no internal source, so every decay is written as
one electron of a phase-space file (IAEA format) that starts inside the phantom — position
uniform in a source voxel, direction isotropic, kinetic energy from the 90Y beta spectrum — and
`calc_forward_phsp` transports it from where it starts. Dose to medium per voxel, Gy per decay.

Phantoms: a sphere of radius 10 mm of uniform 90Y activity (1 MBq/mL in the voxels whose centres
lie inside) in soft tissue (ICRU tissue, 1.04 g/mL), at the centre of a cube; `uniform` is tissue
throughout, `lung` and `bone` put a half-space of ICRU lung (0.26 g/mL) or ICRP bone (1.85 g/mL)
from z = +10 mm, touching the sphere. Voxels of 4 mm (48³) and 2.4 mm (64³).

90Y spectrum: the allowed-shape-corrected first-forbidden unique spectrum p·W·q²·F0·(q² + λ2·p²)
(λ2 = F1/F0, point-charge generalised Fermi functions, Z = 40, endpoint 2.2801 MeV). Its mean is
0.4 % above ICRP-107's 0.9267 MeV; the maps are scaled by 0.9267 / the sampled mean so that the
energy per decay is ICRP-107's (the shape's remaining difference is below the statistics).

Each case folder gets `pet.nii.gz` (Bq/mL at implantation), `density.nii.gz` (g/mL),
`mc_dose_gy.nii.gz` (Gy for the complete decay of that activity: Gy per decay × Σ C·V·T½/ln 2),
`mc_uncertainty.nii.gz` (relative, 1σ, from 10 batches) and `case.json`.

  python3 -m venv /tmp/mcvenv && /tmp/mcvenv/bin/pip install ompmc nibabel
  /tmp/mcvenv/bin/python Fixtures/dvk_mc/make_mc_reference.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import ompmc
from scipy.special import loggamma

HERE = Path(__file__).resolve().parent
ME_MEV = 0.51099895
ENDPOINT_MEV = 2.2801
ICRP107_MEAN_MEV = 0.9267
HALF_LIFE_S = 64.05 * 3600
CONCENTRATION_BQ_PER_ML = 1e6
SPHERE_RADIUS_CM = 1.0
MEDIA = {"tissue": ("ICRUTISSUE521ICRU", 1.04), "lung": ("LUNG521ICRU", 0.26), "bone": ("ICRPBONE521ICRU", 1.85)}
GRIDS = {"4mm": (0.4, 48, 1e6), "2.4mm": (0.24, 64, 2e6)}   # voxel cm, voxels per axis, histories


def y90_spectrum(bins: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges (MeV) and probabilities of the 90Y beta spectrum (first-forbidden unique shape)."""
    alpha_z, radius = 40 / 137.035999, 1.2e-13 * 90 ** (1 / 3) / 3.8616e-11

    def log_fermi(k: int, p: np.ndarray, w: np.ndarray) -> np.ndarray:
        gamma, eta = math.sqrt(k * k - alpha_z ** 2), alpha_z * w / p
        return (2 * math.log(k * (1, 3)[k - 1]) + (k - 1) * math.log(4) + 2 * (gamma - k) * np.log(2 * p * radius) + math.pi * eta
                + 2 * np.real(loggamma(gamma + 1j * eta)) - 2 * np.real(loggamma(1 + 2 * gamma)))
    edges = np.linspace(0, ENDPOINT_MEV, bins + 1)
    w = 0.5 * (edges[1:] + edges[:-1]) / ME_MEV + 1
    p, q = np.sqrt(w * w - 1), ENDPOINT_MEV / ME_MEV + 1 - w
    shape = p * w * q * q * np.exp(log_fermi(1, p, w)) * (q * q + np.exp(log_fermi(2, p, w) - log_fermi(1, p, w)) * p * p)
    return edges, shape / shape.sum()


def write_phase_space(base: Path, position: np.ndarray, direction: np.ndarray, energy: np.ndarray) -> None:
    """One electron per history, as an IAEA phase-space file (negative energy: a new history)."""
    record = np.dtype([("type", "i1"), ("e", "<f4"), ("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("u", "<f4"), ("v", "<f4"), ("wt", "<f4")])
    data = np.empty(energy.size, record)
    data["type"] = np.where(direction[:, 2] < 0, -2, 2)  # electron; the sign carries that of w
    data["e"] = -energy
    data["x"], data["y"], data["z"] = position.T
    data["u"], data["v"], data["wt"] = direction[:, 0], direction[:, 1], 1.0
    data.tofile(f"{base}.IAEAphsp")
    n = energy.size
    fields = {"IAEA_INDEX": 0, "TITLE": "90Y internal source", "FILE_TYPE": 0, "CHECKSUM": n * record.itemsize,
              "RECORD_CONTENTS": "1 // X\n1 // Y\n1 // Z\n1 // U\n1 // V\n1 // W\n1 // Weight\n0 // extra floats\n0 // extra longs",
              "RECORD_LENGTH": record.itemsize, "BYTE_ORDER": 1234, "ORIG_HISTORIES": n, "PARTICLES": n, "PHOTONS": 0, "ELECTRONS": n}
    Path(f"{base}.IAEAheader").write_text("".join(f"${key}:\n{value}\n" for key, value in fields.items()))


def phantom(case: str, dx: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Bounds (cm), density (g/mL), 1-based media, media names, source mask; arrays indexed [i, j, k]."""
    bounds = (np.arange(n + 1) - n / 2) * dx
    centres = 0.5 * (bounds[1:] + bounds[:-1])
    x, y, z = np.meshgrid(centres, centres, centres, indexing="ij")
    source = x * x + y * y + z * z <= SPHERE_RADIUS_CM ** 2
    density = np.full((n, n, n), MEDIA["tissue"][1])
    media = np.ones((n, n, n), np.int32)
    names = [MEDIA["tissue"][0]]
    if case != "uniform":
        half = z >= SPHERE_RADIUS_CM
        density[half], media[half] = MEDIA[case][1], 2
        names.append(MEDIA[case][0])
    return bounds, density, media, names, source


def simulate(case: str, grid: str, histories: int, seed: int, folder: Path) -> dict:
    dx, n, _ = GRIDS[grid]
    bounds, density, media, names, source = phantom(case, dx, n)
    rng = np.random.default_rng(seed)
    voxel = rng.choice(np.flatnonzero(source), histories)
    i, j, k = np.unravel_index(voxel, source.shape)
    position = np.column_stack([bounds[i], bounds[j], bounds[k]]) + dx * rng.random((histories, 3))
    cos_theta, phi = 2 * rng.random(histories) - 1, 2 * math.pi * rng.random(histories)
    sin_theta = np.sqrt(1 - cos_theta ** 2)
    direction = np.column_stack([sin_theta * np.cos(phi), sin_theta * np.sin(phi), cos_theta])
    edges, probability = y90_spectrum()
    cdf = np.concatenate([[0], np.cumsum(probability)])
    u = rng.random(histories)
    b = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, probability.size - 1)
    energy = np.maximum(edges[b] + (u - cdf[b]) / probability[b] * (edges[b + 1] - edges[b]), 1e-3)
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "source"
        write_phase_space(base, position, direction, energy)
        geometry = ompmc.Geometry(bounds, bounds, bounds, names, np.asfortranarray(density), np.asfortranarray(media))
        physics = ompmc.Physics(pegs_file=ompmc.data_path() / "pegs4" / "521icru.pegs4dat", global_ecut=0.521, global_pcut=0.01,
                                n_split=1, seeds=(seed % 31328 + 1, 97))
        start = time.time()
        dose_per_decay, uncertainty, _ = ompmc.calc_forward_phsp(geometry, ompmc.PhaseSpaceSource(str(base)), physics,
                                                                 n_histories=histories, n_batches=10)
        seconds = time.time() - start
    dose_per_decay = np.asarray(dose_per_decay) * ICRP107_MEAN_MEV / energy.mean()
    voxel_ml = dx ** 3
    decays = source.sum() * CONCENTRATION_BQ_PER_ML * voxel_ml * HALF_LIFE_S / math.log(2)
    affine = np.diag([10 * dx] * 3 + [1.0])
    affine[:3, 3] = 10 * (bounds[0] + dx / 2)
    folder.mkdir(parents=True, exist_ok=True)
    for name, values in {"pet": source * CONCENTRATION_BQ_PER_ML, "density": density, "mc_dose_gy": dose_per_decay * decays,
                         "mc_uncertainty": np.asarray(uncertainty)}.items():
        nib.save(nib.Nifti1Image(values.astype(np.float32), affine), folder / f"{name}.nii.gz")
    record = {"case": case, "grid": grid, "voxel_mm": 10 * dx, "voxels": n, "histories": histories, "seed": seed, "seconds": round(seconds, 1),
              "media": names, "source_voxels": int(source.sum()), "sampled_mean_mev": float(energy.mean()),
              "sphere_mean_uncertainty": float(np.sqrt(np.sum((dose_per_decay * uncertainty)[source] ** 2)) / dose_per_decay[source].sum()),
              "sphere_median_voxel_uncertainty": float(np.median(np.asarray(uncertainty)[source])),
              "ompmc": getattr(ompmc, "__version__", "0.4.0")}
    (folder / "case.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a tenth of the histories (a trial, not the committed maps)")
    ap.add_argument("--out", type=Path, default=HERE)
    a = ap.parse_args()
    for seed, (case, grid) in enumerate([(c, g) for g in GRIDS for c in ("uniform", "lung", "bone")], start=17):
        histories = int(GRIDS[grid][2] / (10 if a.quick else 1))
        r = simulate(case, grid, histories, seed, a.out / f"{case}_{grid}")
        print(f"{case:8s} {grid:6s} {histories:>8d} histories {r['seconds']:6.1f} s; sphere mean ±{100 * r['sphere_mean_uncertainty']:.2f} %, "
              f"median voxel ±{100 * r['sphere_median_voxel_uncertainty']:.1f} %", flush=True)


if __name__ == "__main__":
    main()
