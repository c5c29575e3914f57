#!/usr/bin/env python3
"""`make bench`: VoxDose's harness and the peers in ../shared/peers, on the same files, in one run.

  python3 Benchmarks/run_bench.py [--sizes 256] [--reps 7] [--markdown FILE]

1. Makes the peers' deterministic phantoms (../shared/peers/gen_phantom.py; cached in
   $PEERS_DATA, default /tmp/voxdose-peers).
2. Times VoxDose's stages with .build/release/voxdose-bench (median after a warm-up).
3. Times nibabel + numpy reading the same .nii and .nii.gz (peer_numpy.py --read-only).
4. Prints a markdown table with the ratios (and writes it to --markdown if given).

Needs the peers' Python packages: `bash ../shared/peers/setup.sh` once per machine.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = (ROOT.parent / "shared" / "peers").resolve()
DATA = Path(os.environ.get("PEERS_DATA") or Path(tempfile.gettempdir()) / "voxdose-peers")
BENCH = ROOT / ".build" / "release" / "voxdose-bench"


def run(cmd: list[str]) -> str:
    print("$ " + " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout


def peer_read(size: str, nii: bool) -> dict:
    """nibabel + numpy read stages from peer_numpy.py (its own result file)."""
    run([sys.executable, PEERS / "peer_numpy.py", "--size", size, "--read-only", "--no-extra"]
        + (["--nii"] if nii else []))
    name = f"numpy_{size}_{'nii' if nii else 'nii.gz'}.json"
    return json.loads((DATA / "results" / name).read_text())["stages"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="256")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--markdown", default=None)
    a = ap.parse_args()
    if not BENCH.exists():
        sys.exit(f"{BENCH} is missing: run `make bench` (it builds it)")
    sizes = [s for s in a.sizes.split(",") if s]
    run([sys.executable, PEERS / "gen_phantom.py", "--sizes", ",".join(sizes)])
    rows = []
    for size in sizes:
        nii = DATA / "phantoms" / "nii" / f"act_{size}.nii"
        gz = DATA / "phantoms" / "gz" / f"act_{size}.nii.gz"
        labels = DATA / "phantoms" / "nii" / f"labels_{size}.nii"
        ours = json.loads(run([BENCH, "--nii", nii, "--gz", gz, "--labels", labels, "--reps", a.reps]))["stages"]
        peer_nii, peer_gz = peer_read(size, nii=True), peer_read(size, nii=False)
        floor = ours["pagecache_read_nii"]["median_s"]
        rows.append((size, "read .nii", ours["read_nii"]["median_s"], peer_nii["read_act"]["median"], floor))
        rows.append((size, "read .nii.gz", ours["read_gz"]["median_s"], peer_gz["read_act"]["median"], None))
        rows.append((size, "per-label statistics (11 labels, exact p2/p50/p98)", ours["stats_labels"]["median_s"], None, None))
        rows.append((size, "page-cache read of the .nii (floor)", floor, None, None))
    lines = ["| size | stage | VoxDose | nibabel + numpy | nibabel / VoxDose | VoxDose / floor |",
             "| --- | --- | --- | --- | --- | --- |"]
    for size, stage, mine, peer, floor in rows:
        ms = lambda s: f"{s * 1e3:.1f} ms"  # noqa: E731
        lines.append(f"| {size} | {stage} | {ms(mine)} | {ms(peer) if peer else ''} | "
                     f"{f'{peer / mine:.1f}×' if peer else ''} | {f'{mine / floor:.2f}×' if floor else ''} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if a.markdown:
        Path(a.markdown).write_text(table)


if __name__ == "__main__":
    main()
