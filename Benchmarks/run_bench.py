#!/usr/bin/env python3
"""`make bench`: VoxDose's harness and the peers in ../shared/peers, on the same files, in one run.

  python3 Benchmarks/run_bench.py [--sizes 128,256,400] [--reps 5] [--markdown FILE]

For each size (the peers' deterministic phantoms, made by ../shared/peers/gen_phantom.py and
cached in $PEERS_DATA, default /tmp/voxdose-peers):
  stages    .build/release/voxdose-bench: read .nii / .nii.gz, a STREAM-style scale over two
            arrays (the memory-bandwidth reference of this run), LDM map, DVK map, per-label
            statistics, write .nii / .nii.gz; beside nibabel + numpy's read stages
            (../shared/peers/peer_numpy.py --read-only)
  dvk       scipy.signal.fftconvolve with 2 workers on VoxDose's own kernel for that grid
            (Benchmarks/peer_dvk_same_kernel.py), with the largest difference between the two
            dose maps (sizes 128 and 256)
  e2e       whole processes, read .nii.gz → LDM dose → per-label statistics → write .nii.gz:
            `voxdose dose … --labels …` against ../shared/peers/e2e_numpy.py (median wall time)
  lesions   on the largest size, a scene of 50 lesions + muscle + blood pool: the whole
            `voxdose lesions` process against Benchmarks/lesions_numpy.py, and the per-label
            statistics stage (voxdose-bench --scene-stats) against npstats.py grouped and
            pyradiomics first-order features (Benchmarks/stats_stage_peers.py)
Prints markdown tables with the ratios (and writes them to --markdown if given).
Needs the peers' Python packages: `bash ../shared/peers/setup.sh` once per machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = (ROOT.parent / "shared" / "peers").resolve()
DATA = Path(os.environ.get("PEERS_DATA") or Path(tempfile.gettempdir()) / "voxdose-peers")
BENCH = ROOT / ".build" / "release" / "voxdose-bench"
VOXDOSE = ROOT / ".build" / "release" / "voxdose"
SCRATCH = DATA / "scratch" / "voxdose"


def run(cmd: list) -> str:
    print("$ " + " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout


def wall(cmd: list, reps: int) -> float:
    """Median wall time of a whole process (one warm-up run first)."""
    samples = []
    for i in range(reps + 1):
        t0 = time.perf_counter()
        subprocess.run([str(c) for c in cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if i:
            samples.append(time.perf_counter() - t0)
    print(f"  {Path(str(cmd[1] if 'python' in str(cmd[0]) else cmd[0])).name}: {[round(s, 3) for s in samples]}", file=sys.stderr)
    return statistics.median(samples)


def ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="128,256,400")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--markdown", default=None)
    a = ap.parse_args()
    for exe in (BENCH, VOXDOSE):
        if not exe.exists():
            sys.exit(f"{exe} is missing: run `make bench` (it builds it)")
    sizes = [s for s in a.sizes.split(",") if s]
    SCRATCH.mkdir(parents=True, exist_ok=True)
    run([sys.executable, PEERS / "gen_phantom.py", "--sizes", ",".join(sizes)])
    stage_rows, dvk_rows, e2e_rows = [], [], []
    for size in sizes:
        nii = DATA / "phantoms" / "nii" / f"act_{size}.nii"
        gz = DATA / "phantoms" / "gz" / f"act_{size}.nii.gz"
        labels_nii = DATA / "phantoms" / "nii" / f"labels_{size}.nii"
        labels_gz = DATA / "phantoms" / "gz" / f"labels_{size}.nii.gz"
        kernel, dvk_out = SCRATCH / f"kernel_{size}.json", SCRATCH / f"dvk_{size}.nii"
        ours = json.loads(run([BENCH, "--nii", nii, "--gz", gz, "--labels", labels_nii, "--reps", a.reps,
                               "--export-kernel", kernel, "--dvk-output", dvk_out]))["stages"]
        run([sys.executable, PEERS / "peer_numpy.py", "--size", size, "--read-only", "--no-extra", "--nii"])
        peer_nii = json.loads((DATA / "results" / f"numpy_{size}_nii.json").read_text())["stages"]
        run([sys.executable, PEERS / "peer_numpy.py", "--size", size, "--read-only", "--no-extra"])
        peer_gz = json.loads((DATA / "results" / f"numpy_{size}_nii.gz.json").read_text())["stages"]
        m = lambda k: ours[k]["median_s"]  # noqa: E731
        # What one command-line run pays: the first read in a fresh process (median of 7 processes).
        firsts = [json.loads(run([BENCH, "--nii", nii, "--gz", gz, "--first-read-only"]))["stages"]
                  for _ in range(7)]
        first = statistics.median(f["first_read_nii"]["seconds"] for f in firsts)
        first_floor = statistics.median(f["pagecache_read_nii"]["median_s"] for f in firsts)
        stage_rows += [
            (size, "read .nii, first read in a fresh process (median of 7 processes)", first, None,
             f"{first / first_floor:.2f}× the page-cache read ({ms(first_floor)})"),
            (size, "read .nii, repeated in one process", m("read_nii"), peer_nii["read_act"]["median"], f"{m('read_nii') / m('pagecache_read_nii'):.2f}× the page-cache read ({ms(m('pagecache_read_nii'))})"),
            (size, "read .nii.gz", m("read_gz"), peer_gz["read_act"]["median"], ""),
            (size, "LDM map (in place)", m("ldm_map"), None, f"{ours['ldm_map']['mb_per_s'] / 1e3:.1f} GB/s = {ours['ldm_map']['mb_per_s'] / ours['stream_scale']['mb_per_s'] * 100:.0f} % of STREAM scale ({ours['stream_scale']['mb_per_s'] / 1e3:.1f} GB/s, same run)"),
            (size, "DVK map", m("dvk_map"), None, ""),
            (size, "per-label statistics (11 labels, exact median, p2, p98)", m("stats_labels"), None, ""),
            (size, "lesion uptake, 50 lesions (SUVmax/mean/peak 1 mL, T/BP, hypoxic volume)", m("lesion_uptake_50"), None, ""),
            (size, "write .nii", m("write_nii"), None, ""),
            (size, "write .nii.gz", m("write_gz"), None, ""),
        ]
        if size in ("128", "256"):
            peer = json.loads(run([sys.executable, ROOT / "Benchmarks" / "peer_dvk_same_kernel.py", nii, kernel, dvk_out,
                                   "--reps", a.reps]))
            dvk_rows.append((size, peer["kernel_shape"], m("dvk_map"), peer["median_s"], peer["max_abs_diff_over_max_dose"]))
        out = SCRATCH / f"e2e_{size}.nii.gz"
        mine = wall([VOXDOSE, "dose", gz, "--out", out, "--no-decay-correction", "--density", "1.03",
                     "--labels", labels_gz, "--summary", SCRATCH / f"e2e_{size}.json"], max(3, a.reps // 2))
        theirs = wall([sys.executable, PEERS / "e2e_numpy.py", gz, labels_gz, SCRATCH / f"e2e_np_{size}.nii.gz",
                       "--stats", SCRATCH / f"e2e_np_{size}.json"], max(3, a.reps // 2))
        # nibabel reads VoxDose's .nii.gz (ISA-L, several gzip members) and finds numpy's dose.
        check = run([sys.executable, "-c", (
            "import sys, nibabel as nib, numpy as np; "
            "a = np.asarray(nib.load(sys.argv[1]).dataobj, dtype=np.float64); "
            "b = np.asarray(nib.load(sys.argv[2]).dataobj, dtype=np.float64); "
            "print(float(np.max(np.abs(a - b)) / np.max(np.abs(b))))"),
            out, SCRATCH / f"e2e_np_{size}.nii.gz"])
        e2e_rows.append((size, mine, theirs, float(check)))

    # The lesion table (issue 6) on the largest size: 50 lesions, muscle and blood-pool references.
    lesion_rows = []
    size = sizes[-1]
    nii = DATA / "phantoms" / "nii" / f"act_{size}.nii"
    labels_nii = DATA / "phantoms" / "nii" / f"labels_{size}.nii"
    scene = SCRATCH / f"lesions_{size}"
    run([BENCH, "--nii", nii, "--gz", DATA / "phantoms" / "gz" / f"act_{size}.nii.gz", "--labels", labels_nii,
         "--lesion-scene", scene])
    mine = wall([VOXDOSE, "lesions", "--labels", scene / "labels.nii", "--dose", scene / "dose.nii", "--suv", scene / "suv.nii",
                 "--muscle-label", "10", "--blood-pool-label", "11", "--dvh", scene / "dvh.csv", "--out", scene / "table.json"],
                max(3, a.reps // 2))
    theirs = wall([sys.executable, ROOT / "Benchmarks" / "lesions_numpy.py", scene / "labels.nii", scene / "dose.nii",
                   scene / "suv.nii", scene / "numpy.json", "--muscle-label", "10", "--blood-pool-label", "11"], max(3, a.reps // 2))
    lesion_rows.append((size, mine, theirs))
    # The per-label statistics stage on the same scene, volumes in memory: VoxDose against
    # npstats.py grouped statistics and pyradiomics first-order features (one call per label).
    stage = json.loads(run([BENCH, "--nii", scene / "dose.nii", "--gz", scene / "dose.nii", "--scene-stats", scene,
                            "--reps", str(max(7, a.reps))]))
    peers = json.loads(run([sys.executable, ROOT / "Benchmarks" / "stats_stage_peers.py", scene, "--reps", str(max(3, a.reps // 2))]))
    stats_row = (size, stage["labels"], stage["stages"]["lesion_dose_stats"]["median_s"], peers["numpy_grouped_s"], peers["pyradiomics_s"])

    lines = ["| size | stage | VoxDose | nibabel + numpy | ratio | note |", "| --- | --- | --- | --- | --- | --- |"]
    for size, stage, mine, peer, note in stage_rows:
        ratio = f"{peer / mine:.1f}× faster" if peer else ""
        lines.append(f"| {size} | {stage} | {ms(mine)} | {ms(peer)} | {ratio} | {note} |")
    lines += ["", "| size | DVK kernel | VoxDose DVK | scipy fftconvolve, 2 workers, same kernel | ratio | max |Δ| / max dose |",
              "| --- | --- | --- | --- | --- | --- |"]
    for size, shape, mine, peer, diff in dvk_rows:
        lines.append(f"| {size} | {'×'.join(map(str, shape))} | {ms(mine)} | {ms(peer)} | {peer / mine:.1f}× faster | {diff:.1e} |")
    lines += ["", "| size | `voxdose dose` (whole process) | `e2e_numpy.py` (whole process) | ratio | dose maps read by nibabel: max |Δ| / max |",
              "| --- | --- | --- | --- | --- |"]
    for size, mine, theirs, diff in e2e_rows:
        lines.append(f"| {size} | {ms(mine)} | {ms(theirs)} | {theirs / mine:.1f}× faster | {diff:.1e} |")
    lines += ["", "| size | `voxdose lesions` (50 lesions, 2 references, dose + SUV, DVH; whole process) | `Benchmarks/lesions_numpy.py` (same work) | ratio |",
              "| --- | --- | --- | --- |"]
    for size, mine, theirs in lesion_rows:
        lines.append(f"| {size} | {ms(mine)} | {ms(theirs)} | {theirs / mine:.1f}× faster |")
    size, labels, mine, grouped, radiomics = stats_row
    lines += ["", f"| size | per-label statistics stage, {labels} labels (VoxDose: partition, dose metrics, 1 Gy DVH) | npstats.py grouped | ratio | pyradiomics first-order, every label | ratio |",
              "| --- | --- | --- | --- | --- | --- |",
              f"| {size} | {ms(mine)} | {ms(grouped)} | {grouped / mine:.1f}× faster | {radiomics:.1f} s | {radiomics / mine:.0f}× faster |"]
    table = "\n".join(lines) + "\n"
    print(table)
    if a.markdown:
        Path(a.markdown).write_text(table)


if __name__ == "__main__":
    main()
