#!/usr/bin/env python3
"""`voxdose dose --method dvk` against the Monte Carlo reference maps of this folder.

For every case folder (make_mc_reference.py), runs the built `voxdose` on `pet.nii.gz` — with the
uniform liver density (1.04 g/mL, the tissue of the phantom), and, where the phantom has another
medium, also with `--density-map density.nii.gz` — and prints the ratios DVK / Monte Carlo of:
the sphere's mean dose; the mean over the first layer of the half-space touching the sphere and
over the half-space within 10 mm and at 10–18 mm of the interface (all within the sphere's
footprint, x² + y² ≤ r²). The Monte Carlo statistics are in each case.json.

  swift build -c release --product voxdose
  python3 Fixtures/dvk_mc/compare_dvk.py
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np

HERE = Path(__file__).resolve().parent
VOXDOSE = HERE.parents[1] / ".build" / "release" / "voxdose"


def regions(folder: Path) -> dict[str, np.ndarray]:
    pet = nib.load(folder / "pet.nii.gz")
    n, dx_mm = pet.shape[0], float(pet.header.get_zooms()[0])
    centres = (np.arange(n) - n / 2 + 0.5) * dx_mm
    x, y, z = np.meshgrid(centres, centres, centres, indexing="ij")
    footprint = x * x + y * y <= 100.0
    out = {"sphere": np.asarray(pet.dataobj) > 0}
    if json.loads((folder / "case.json").read_text())["case"] != "uniform":
        out["first layer"] = footprint & (z >= 10) & (z < 10 + dx_mm)
        out["within 10 mm"] = footprint & (z >= 10) & (z < 20)
        out["10–18 mm"] = footprint & (z >= 20) & (z < 28)
    return out


def dvk(folder: Path, density_map: bool, method: str = "dvk") -> np.ndarray:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "dose.nii"
        command = [str(VOXDOSE), "dose", str(folder / "pet.nii.gz"), "--out", str(out), "--method", method,
                   "--no-decay-correction", "--no-sidecar", "--summary", str(Path(scratch) / "dose.json")]
        command += ["--density-map", str(folder / "density.nii.gz")] if density_map else ["--density", "1.04"]
        subprocess.run(command, check=True, capture_output=True)
        return np.asarray(nib.load(out).dataobj)


def main() -> None:
    import sys
    method = sys.argv[1] if len(sys.argv) > 1 else "dvk"
    print(f"`--method {method}`, DVK / Monte Carlo:\n")
    print("| case | voxels | density | sphere | first layer | within 10 mm | 10–18 mm |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for folder in sorted(p for p in HERE.iterdir() if (p / "case.json").exists()):
        record = json.loads((folder / "case.json").read_text())
        mc = np.asarray(nib.load(folder / "mc_dose_gy.nii.gz").dataobj)
        masks = regions(folder)
        for density_map in ([False] if record["case"] == "uniform" else [False, True]):
            dose = dvk(folder, density_map, method)
            ratios = [f"{dose[m].mean() / mc[m].mean():.3f}" for m in masks.values()]
            ratios += [""] * (4 - len(ratios))
            print(f"| {record['case']} | {record['voxel_mm']:g} mm | {'map' if density_map else 'uniform 1.04'} | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
