#!/usr/bin/env python3
"""`voxdose case` (with its report) against the sum of its separate commands and against a nibabel + numpy + scipy
script doing the same steps (Benchmarks/case_numpy.py), on a 400×400×300 patient: a 90Y PET and
an FMISO PET (.nii.gz, 2 × 2 × 2.5 mm), one label image with the liver, 50 lesions, muscle and
blood pool.

  python3 Benchmarks/case_bench.py [--reps 5] [--scene DIR] [--markdown FILE]

The three are run in alternating rounds (case, separate commands, peer, case, …), so every run
follows another program that has just used and freed gigabytes: the situation of a pipeline,
where the allocation strategy is tested, not a warm machine. Wall time per run (median, min–max)
and the peak resident memory (the largest of the processes of a run, from wait4) are reported.
Needs numpy and nibabel (the scene is generated once, seeded).
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VOXDOSE = ROOT / ".build" / "release" / "voxdose"
DATA = Path(os.environ.get("PEERS_DATA") or Path(tempfile.gettempdir()) / "voxdose-peers")
DIMS, SPACING = (400, 400, 300), (2.0, 2.0, 2.5)
NORMAL_LIVER, MUSCLE, BLOOD_POOL = 1, 60, 61
Y90_HALF_LIFE_S, DELAY_S = 64.05 * 3600, 20 * 3600
K_OVER_RHO = 49.67 / 1e9 / 1.05e-3            # Gy per Bq/mL at t0
FMISO_BQ_PER_SUV = 370e6 * 2 ** (-4 * 3600 / 6586.2) / 75000   # 370 MBq, 4 h, 75 kg


def make_scene(folder: Path) -> None:
    import nibabel as nib
    rng = np.random.default_rng(400)
    folder.mkdir(parents=True, exist_ok=True)
    axes = [(np.arange(n) - (n - 1) / 2) * s for n, s in zip(DIMS, SPACING)]
    x, y, z = np.meshgrid(*axes, indexing="ij", sparse=True)
    labels = np.zeros(DIMS, np.uint8)
    labels[((x - 60) / 150) ** 2 + (y / 110) ** 2 + (z / 100) ** 2 <= 1] = NORMAL_LIVER
    labels[np.broadcast_to((x + 40) ** 2 + (y + 90) ** 2 <= 12 ** 2, DIMS)] = BLOOD_POOL
    labels[(np.abs(x + 40) <= 30) & (y <= -150) & (y >= -200) & (np.abs(z) <= 100)] = MUSCLE
    tnr, hypoxia = {}, {}
    for label in range(2, 52):
        r = rng.uniform(4, 16)
        while True:  # a centre inside the liver
            c = rng.uniform([-80, -100, -90], [200, 100, 90])
            if ((c[0] - 60) / 150) ** 2 + (c[1] / 110) ** 2 + (c[2] / 100) ** 2 <= 0.7:
                break
        labels[(x - c[0]) ** 2 + (y - c[1]) ** 2 + (z - c[2]) ** 2 <= r * r] = label
        tnr[label], hypoxia[label] = rng.uniform(1, 6), rng.uniform(0.7, 2.5)
    c_nl = 0.8e6 * 2 ** (-DELAY_S / Y90_HALF_LIFE_S)
    uptake = np.zeros(256, np.float32)
    uptake[NORMAL_LIVER] = 1
    for label, t in tnr.items():
        uptake[label] = t
    pet = uptake[labels] * np.float32(c_nl)
    pet += rng.standard_normal(DIMS, dtype=np.float32) * np.sqrt(np.abs(pet) * c_nl).astype(np.float32) * np.float32(0.3)
    affine = np.diag([*SPACING, 1.0])
    affine[:3, 3] = [-(n - 1) / 2 * s for n, s in zip(DIMS, SPACING)]
    nib.save(nib.Nifti1Image(pet, affine), folder / "y90_pet.nii.gz")
    suv_of = np.full(256, 0.6, np.float32)
    suv_of[0], suv_of[NORMAL_LIVER], suv_of[MUSCLE], suv_of[BLOOD_POOL] = 0.3, 0.9, 1.0, 1.1
    for label, h in hypoxia.items():
        suv_of[label] = h * 1.1
    fmiso = suv_of[labels] * np.float32(FMISO_BQ_PER_SUV)
    fmiso += rng.standard_normal(DIMS, dtype=np.float32) * fmiso * np.float32(0.06)
    nib.save(nib.Nifti1Image(fmiso, affine), folder / "fmiso_pet.nii.gz")
    nib.save(nib.Nifti1Image(labels, affine), folder / "labels.nii.gz")
    (folder / "y90_pet.json").write_text(json.dumps({
        "Units": "BQML", "DecayCorrection": "START", "TracerRadionuclide": "Y90",
        "AcquisitionDateTime": "2026-03-03T05:41:00", "ConversionSoftware": "dcm2niix"}))
    (folder / "fmiso_pet.json").write_text(json.dumps({
        "TracerRadionuclide": "F18", "InjectedRadioactivity": 370, "InjectedRadioactivityUnits": "MBq",
        "TimeZero": "09:00:00", "InjectionStart": 0, "ScanStart": 14400, "ImageDecayCorrected": True,
        "ImageDecayCorrectionTime": 14400, "Units": "Bq/mL", "BodyWeight": 75}))
    (folder / "study.json").write_text(json.dumps({
        "patient_id": "BENCH-400", "labels": "labels.nii.gz",
        "treatment": {"implant_time": "2026-03-02T09:41:00", "lung_shunt": "6%"},
        "regions": {"normal_liver": NORMAL_LIVER, "muscle": MUSCLE, "blood_pool": BLOOD_POOL},
        "y90_pet": {"image": "y90_pet.nii.gz"}, "fmiso_pet": {"image": "fmiso_pet.nii.gz"}}, indent=2))
    (folder / "scene.json").write_text(json.dumps({
        "dose_gy_per_bq_per_ml": 2 ** (DELAY_S / Y90_HALF_LIFE_S) * K_OVER_RHO, "suv_per_bq_per_ml": 1 / FMISO_BQ_PER_SUV,
        "normal_liver_label": NORMAL_LIVER, "muscle_label": MUSCLE, "blood_pool_label": BLOOD_POOL}))


def timed(commands: list, cwd: Path) -> tuple:
    """Runs the commands one after the other: (wall seconds, peak RSS MiB of the largest)."""
    start, peak = time.perf_counter(), 0
    for command in commands:
        process = subprocess.Popen([str(c) for c in command], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors = process.stderr.read().decode()
        process.stderr.close()
        if process.returncode != 0:
            sys.exit(f"{command} failed: {errors}")
        peak = max(peak, usage.ru_maxrss)
    return time.perf_counter() - start, peak / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--scene", type=Path, default=DATA / "scratch" / "voxdose" / "case_400")
    ap.add_argument("--markdown")
    a = ap.parse_args()
    if not VOXDOSE.exists():
        sys.exit(f"{VOXDOSE} is missing: build it (swift build -c release --product voxdose)")
    if not (a.scene / "study.json").exists():
        make_scene(a.scene)
    out = a.scene / "out"
    out.mkdir(exist_ok=True)
    case = [[VOXDOSE, "case", "study.json", "--out", out / "case", "--overwrite"]]
    # The separate commands, as case.json records them (every file read by the command that needs it).
    subprocess.run([str(c) for c in case[0]], cwd=a.scene, check=True, stderr=subprocess.DEVNULL)
    steps = json.loads((out / "case" / "case.json").read_text())["steps"]
    separate = [[VOXDOSE] + [w.replace(str(out / "case"), str(out / "separate")) for w in s["argv"][1:]]
                for s in steps if s["name"] != "report"]
    # The report reads a case folder (case.json): the case's own, written to the separate folder.
    separate.append([VOXDOSE, "report", out / "case", "--out", out / "separate" / "report.html"])
    (out / "separate").mkdir(exist_ok=True)
    peer = [[sys.executable, ROOT / "Benchmarks" / "case_numpy.py", a.scene, out / "numpy"]]
    runs = {"case": [], "separate": [], "peer": []}
    report_share = []
    for _ in range(a.reps):
        for name, commands in (("case", case), ("separate", separate), ("peer", peer)):
            runs[name].append(timed(commands, a.scene))
            if name == "case":
                seconds = {s["name"]: s["seconds"] for s in json.loads((out / "case" / "case.json").read_text())["steps"]}
                report_share.append(seconds["report"] / (sum(seconds.values()) - seconds["report"]))
    input_mib = DIMS[0] * DIMS[1] * DIMS[2] * 4 / 2 ** 20
    labels_mib = DIMS[0] * DIMS[1] * DIMS[2] / 2 ** 20

    def cell(name):
        t = [r[0] for r in runs[name]]
        return f"{statistics.median(t):.2f} s ({min(t):.2f}–{max(t):.2f})", statistics.median(t), max(r[1] for r in runs[name])
    rows = {name: cell(name) for name in runs}
    lines = [
        f"| 400×400×300, 50 lesions, {a.reps} alternating rounds | wall, median (min–max) | ratio | peak RSS |",
        "| --- | --- | --- | --- |",
        f"| `voxdose case` (dose, suv_fmiso, lesions, plan, report) | {rows['case'][0]} | 1 | {rows['case'][2]:.0f} MiB |",
        f"| the same five commands run one by one | {rows['separate'][0]} | case / separate = {rows['case'][1] / rows['separate'][1]:.2f} | {rows['separate'][2]:.0f} MiB |",
        f"| `Benchmarks/case_numpy.py` (nibabel + numpy + scipy, same steps) | {rows['peer'][0]} | {rows['peer'][1] / rows['case'][1]:.1f}× slower than case | {rows['peer'][2]:.0f} MiB |",
        "",
        f"Largest input volume as Float32: {input_mib:.0f} MiB; the label image (uint8): {labels_mib:.0f} MiB; "
        f"goal for the peak: under 3 × {input_mib:.0f} + {labels_mib:.0f} = {3 * input_mib + labels_mib:.0f} MiB. "
        f"The report step's time over the other steps' (from case.json): median {100 * statistics.median(report_share):.0f} % "
        f"({100 * min(report_share):.0f}–{100 * max(report_share):.0f} %).",
    ]
    text = "\n".join(lines)
    print(text)
    if a.markdown:
        Path(a.markdown).write_text(text + "\n")


if __name__ == "__main__":
    main()
