#!/usr/bin/env python3
"""The work of `voxdose lesions`, done with nibabel + numpy + scipy: the peer for its timing.

  python3 Benchmarks/lesions_numpy.py LABELS DOSE SUV OUT.json --muscle-label 10 --blood-pool-label 11

Per lesion (non-zero labels except the references): voxels, volume; dose mean/std/min/max/median,
D2/D50/D70/D90/D98, V50/V89/V100/V120/V205, BED (α/β 10 Gy, T_rep 1.5 h, T½ 64.05 h); SUV max/mean/
std/peak (1 mL sphere: the finite-masked SUV map convolved with the sphere, divided by the
convolved finite count — scipy.signal.fftconvolve), T/M, T/BP, hypoxic flag, hypoxic volume and
fraction; a 1 Gy cumulative DVH. Grouping by one argsort of the labelled voxels (the fast numpy
idiom, as ../shared/peers/npstats.py does). Meant to be timed as a whole process.
"""
import argparse
import json
import math

import nibabel as nib
import numpy as np
import scipy.signal as sig


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("labels"); ap.add_argument("dose"); ap.add_argument("suv"); ap.add_argument("out")
    ap.add_argument("--muscle-label", type=int); ap.add_argument("--blood-pool-label", type=int)
    a = ap.parse_args()
    lab_img = nib.load(a.labels)
    lab = np.asanyarray(lab_img.dataobj).astype(np.int32)
    dose = np.asanyarray(nib.load(a.dose).dataobj).astype(np.float32)
    suv = np.asanyarray(nib.load(a.suv).dataobj).astype(np.float32)
    zooms = np.array(lab_img.header.get_zooms()[:3], dtype=np.float64)
    table = lesion_table(lab, dose, suv, zooms, a.muscle_label, a.blood_pool_label)
    with open(a.out, "w") as f:
        json.dump(table, f)


def lesion_table(lab, dose, suv, zooms, muscle_label, blood_pool_label, excluded=()):
    """The lesion table of `voxdose lesions` from arrays in memory (also used by case_numpy.py)."""
    voxel_ml = float(np.prod(zooms)) / 1000

    def ref_mean(label):
        v = suv[lab == label]
        v = v[np.isfinite(v)]
        return float(v.mean())
    muscle, blood = ref_mean(muscle_label), ref_mean(blood_pool_label)

    # SUVpeak: mean of the finite voxels within 6.204 mm of every voxel, by FFT convolution.
    r = 6.204
    half = np.floor(r / zooms).astype(int)
    grids = np.meshgrid(*[np.arange(-h, h + 1) * z for h, z in zip(half, zooms)], indexing="ij")
    sphere = (sum(g * g for g in grids) <= r * r + 1e-9).astype(np.float32)
    finite = np.isfinite(suv)
    sums = sig.fftconvolve(np.where(finite, suv, 0).astype(np.float32), sphere, mode="same")
    counts = sig.fftconvolve(finite.astype(np.float32), sphere, mode="same")
    peak_map = sums / np.maximum(np.rint(counts), 1)

    flat = lab.ravel()
    idx = np.flatnonzero(flat)
    order = idx[np.argsort(flat[idx], kind="stable")]
    labels_sorted = flat[order]
    bounds = np.flatnonzero(np.diff(labels_sorted)) + 1
    lam, mu = math.log(2) / 64.05, math.log(2) / 1.5
    g = lam / ((mu + lam) * 10)
    lesions, dvh = [], []
    for group in np.split(order, bounds):
        label = int(flat[group[0]])
        if label in (muscle_label, blood_pool_label) or label in excluded:
            continue
        d = dose.ravel()[group].astype(np.float64); d = d[np.isfinite(d)]
        s_all = suv.ravel()[group]; fin = np.isfinite(s_all); s = s_all[fin].astype(np.float64)
        pct = np.percentile(d, [98, 50, 30, 10, 2, 50])
        dp = np.maximum(d, 0)
        smax = float(s.max())
        levels = np.arange(0, math.ceil(d.max()) + 1, 1.0)
        dvh.extend((label, float(L), float((d >= L).mean() * 100)) for L in levels)
        lesions.append({
            "label": label, "voxels": int(group.size), "volume_ml": group.size * voxel_ml,
            "dose": {"mean_gy": float(d.mean()), "std_gy": float(d.std()), "min_gy": float(d.min()),
                     "max_gy": float(d.max()), "median_gy": float(pct[5]),
                     "d": dict(zip(["2", "50", "70", "90", "98"], map(float, pct[:5]))),
                     "v_pct": {str(x): float((d >= x).mean() * 100) for x in (50, 89, 100, 120, 205)},
                     "bed_gy": float((dp * (1 + dp * g)).mean())},
            "suv": {"max": smax, "mean": float(s.mean()), "std": float(s.std()),
                    "peak": float(peak_map.ravel()[group[fin]].max())},
            "t_m": smax / muscle, "t_bp": smax / blood, "hypoxic": bool(smax / blood > 1.29),
            "hypoxic_volume_ml": float((s > 1.2 * blood).sum() * voxel_ml),
            "hypoxic_fraction": float((s > 1.2 * blood).mean()),
        })
    return {"lesions": lesions, "references": {"muscle_suv_mean": muscle, "blood_pool_suv_mean": blood}, "dvh_rows": len(dvh)}


if __name__ == "__main__":
    main()
