#!/usr/bin/env python3
"""`voxdose batch` on 20 copies of the example patient (Fixtures/patient, every scan): the 20 cases
one after the other (`--jobs 1`) against two at once (`--jobs 2`), the CPU use of the parallel run
(CPU time of all processes / wall time), and the cost of a rerun that skips 20 complete cases.

  swift build -c release --product voxdose && python3 Benchmarks/batch_bench.py [--patients 20]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOXDOSE = ROOT / ".build" / "release" / "voxdose"
PATIENT = ROOT / "Fixtures" / "patient"


def make_cohort(folder: Path, patients: int) -> Path:
    lines = ["patient_id,study,arm"]
    for n in range(1, patients + 1):
        pid = f"P{n:02d}"
        study_dir = folder / "studies" / pid
        study_dir.mkdir(parents=True)
        for f in PATIENT.iterdir():
            if f.is_file() and f.suffix in (".gz", ".json", ".tsv") and f.name != "study.json":
                (study_dir / f.name).symlink_to(f)
        study = json.loads((PATIENT / "study.json").read_text())
        study["patient_id"] = pid
        (study_dir / "study.json").write_text(json.dumps(study))
        lines.append(f"{pid},studies/{pid}/study.json,{'AB'[n % 2]}")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def timed(args):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    status = subprocess.run([str(a) for a in args], stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert status == 0, args
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=20)
    a = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="voxdose-batch-bench-"))
    try:
        manifest = make_cohort(folder, a.patients)
        serial_wall, serial_cpu = timed([VOXDOSE, "batch", manifest, "--out", folder / "serial", "--jobs", "1"])
        parallel_wall, parallel_cpu = timed([VOXDOSE, "batch", manifest, "--out", folder / "parallel", "--jobs", "2"])
        skip_wall, _ = timed([VOXDOSE, "batch", manifest, "--out", folder / "parallel", "--jobs", "2"])
        same = (folder / "serial" / "cohort.csv").read_bytes() == (folder / "parallel" / "cohort.csv").read_bytes()
        print(f"| {a.patients} example patients (11 steps each, with the report) | wall | CPU / wall |")
        print("| --- | --- | --- |")
        print(f"| `voxdose batch --jobs 1` (one case after the other) | {serial_wall:.1f} s | {serial_cpu / serial_wall:.2f} |")
        print(f"| `voxdose batch --jobs 2` | {parallel_wall:.1f} s ({parallel_wall / serial_wall:.2f} × the serial run) | {parallel_cpu / parallel_wall:.2f} |")
        print(f"| rerun skipping {a.patients} complete cases (SHA-256 of every input) | {skip_wall:.2f} s | |")
        print(f"\ncohort.csv of both runs identical: {same}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
