#!/usr/bin/env python3
"""The per-label statistics stage of the lesion scene, done by the peers (issue 6).

On the scene `voxdose-bench --lesion-scene` writes (dose.nii and labels.nii: 50 spherical
lesions, muscle and blood pool, 400×400×300), times with the volumes already in memory:
  numpy_grouped  ../shared/peers/npstats.py `stats_grouped` (one radix argsort of the
                 foreground, per-label sort; mean, std, min, max, p2, p50, p98, D70, V100,
                 1 Gy DVH), median of --reps after one warm-up;
  pyradiomics    first-order features (../shared/peers/peer_radiomics.py's extractor, lean
                 configuration) for every label: one warm-up call, then --radiomics-reps timed
                 calls per label (median); the total is the sum over labels.
Prints one JSON object: medians in seconds, the label count, and the versions.

Usage: python3 stats_stage_peers.py SCENE_DIR [--reps 7] [--radiomics-reps 1] [--no-radiomics]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np

PEERS = Path(__file__).resolve().parents[1].parent / "shared" / "peers"
sys.path.insert(0, str(PEERS))
import npstats  # noqa: E402


def median_seconds(function, reps: int) -> float:
    function()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scene", type=Path)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--radiomics-reps", type=int, default=1)
    ap.add_argument("--no-radiomics", action="store_true")
    a = ap.parse_args()
    dose = np.asanyarray(nib.load(a.scene / "dose.nii").dataobj)
    labels = np.asanyarray(nib.load(a.scene / "labels.nii").dataobj)
    ids = [int(i) for i in np.unique(labels) if i != 0]
    result = {"labels": len(ids), "foreground_voxels": int(np.count_nonzero(labels)),
              "numpy_grouped_s": median_seconds(lambda: npstats.stats_grouped(dose, labels), a.reps),
              "versions": {"numpy": np.__version__, "nibabel": nib.__version__}}
    if not a.no_radiomics:
        import logging

        import SimpleITK as sitk
        import radiomics
        from peer_radiomics import make_extractor
        radiomics.setVerbosity(logging.ERROR)
        image = sitk.ReadImage(str(a.scene / "dose.nii"), sitk.sitkFloat32)
        mask = sitk.ReadImage(str(a.scene / "labels.nii"))
        extractor = make_extractor(additional_info=False)
        extractor.execute(image, mask, label=ids[0])  # warm-up (imports, caches)
        total = 0.0
        for lid in ids:
            samples = []
            for _ in range(a.radiomics_reps):
                start = time.perf_counter()
                extractor.execute(image, mask, label=lid)
                samples.append(time.perf_counter() - start)
            total += statistics.median(samples)
        result["pyradiomics_s"] = total
        result["versions"]["pyradiomics"] = radiomics.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
