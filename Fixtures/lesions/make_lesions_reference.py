#!/usr/bin/env python3
"""Independent numpy reference for `voxdose lesions` (CONTRACT.md "voxdose lesions",
REFERENCE.md §2.1, §2.2, §5).

Run from anywhere: `python3 Fixtures/lesions/make_lesions_reference.py`. Deterministic (fixed
seed, numpy default_rng(20250611)); writes into this folder:

  dose.nii.gz          float32 24×20×16, 2×2×2.5 mm, sform/qform code 1; dose in Gy with
                       negative values, exact integers (ties for Vx and the DVH's ≥) and NaNs
  suv.nii.gz           float32, same grid; NaNs in other places than the dose map
  labels1.nii.gz       int16, one label (1)
  labels10.nii.gz      int16, ten labels: lesions 1 2 3 5 7 8 12, normal liver 50, muscle 98,
                       blood pool 99 (7 and 12 are one voxel; 12 has a NaN dose, 8 NaN SUVs)
  labels300.nii.gz     int16, 300 labels numbered 1…330 with 30 numbers absent (many one voxel)
  labels10_fine.nii.gz int16 48×40×32 of 1×1×1.25 mm whose origin is the coarse origin minus one
                       fine voxel: coarse centre (i, j, k) falls exactly on fine centre
                       (2i+1, 2j+1, 2k+1) (a subdividing grid shifted by half a fine voxel)
  muscle_mask.nii.gz, blood_pool_mask.nii.gz, normal_liver_mask.nii.gz
                       uint8 masks equal to labels 98, 99 and 50 of labels10
  blood_pool_mask_fine.nii.gz  uint8 blood-pool mask on the fine grid
  names10.tsv          header row, names for present and absent labels (4, 6, 13)
  expected.json        cases: {name, args, expected (voxdose.lesions/1 without parameters),
                       dvh (rows [label, dose_gy, volume_pct]) when --dvh is used}

Everything is computed in float64 from the float32 voxel values, from the definitions alone.
SUVpeak is brute force: for every finite lesion voxel, every voxel of the volume is tested
against the radius with the anisotropic spacing.
"""
import json
import math
import os

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REL = "Fixtures/lesions"  # paths in args are relative to the package root
SHAPE = (24, 20, 16)
SPACING = np.array([2.0, 2.0, 2.5])
ORIGIN = np.array([-23.0, -19.0, -20.0])
VOXEL_ML = float(np.prod(SPACING)) / 1000.0

rng = np.random.default_rng(20250611)


def affine(spacing, origin):
    a = np.diag(list(spacing) + [1.0])
    a[:3, 3] = origin
    return a


COARSE = affine(SPACING, ORIGIN)
FINE_SPACING = SPACING / 2
FINE_ORIGIN = ORIGIN - FINE_SPACING
FINE = affine(FINE_SPACING, FINE_ORIGIN)
FINE_SHAPE = tuple(2 * n for n in SHAPE)


def save(name, data, aff, dtype):
    img = nib.Nifti1Image(np.asarray(data).astype(dtype), aff)
    img.header.set_data_dtype(dtype)
    img.set_sform(aff, code=1)
    img.set_qform(aff, code=1)
    img.header["xyzt_units"] = 2 + 8  # mm, s
    nib.save(img, os.path.join(HERE, name))
    return f"{REL}/{name}"


# ---------------------------------------------------------------- maps
ii, jj, kk = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
smooth = 120 * np.exp(-(((ii - 9) / 7.0) ** 2 + ((jj - 10) / 6.0) ** 2 + ((kk - 7) / 5.0) ** 2))
dose = smooth + rng.normal(0, 12, SHAPE) - 4.0  # background slightly negative in places
dose = dose.astype(np.float32)
suv = (1.0 + 5.0 * np.exp(-(((ii - 14) / 6.0) ** 2 + ((jj - 9) / 5.0) ** 2 + ((kk - 8) / 4.0) ** 2))
       + rng.gamma(4.0, 0.12, SHAPE)).astype(np.float32)

# ---------------------------------------------------------------- 10-label image
lab10 = np.zeros(SHAPE, np.int16)
lab10[6:12, 7:13, 5:10] = 1          # big lesion in the hot dose region
lab10[14:18, 6:10, 6:10] = 2         # lesion in the hot SUV region
lab10[2:5, 14:17, 2:4] = 3           # small lesion in cool region (negative doses likely)
lab10[18:21, 14:18, 11:14] = 5
lab10[10, 3, 3] = 7                  # one voxel
lab10[4:6, 4:5, 12:13] = 8           # two voxels, SUV NaN in both
lab10[20, 2, 2] = 12                 # one voxel, dose NaN
lab10[0:24, 0:3, 13:16][lab10[0:24, 0:3, 13:16] == 0] = 50   # normal liver slab
lab10[21:24, 17:20, 0:5] = 98        # muscle
lab10[0:3, 0:3, 0:4] = 99            # blood pool
# exact ties for Vx / DVH (dose ≥ level) inside lesion 1 and 5
dose[7, 8, 6] = 50.0
dose[8, 9, 7] = 100.0
dose[9, 10, 8] = 120.0
dose[19, 15, 12] = 25.0
# a lesion-1 voxel strongly negative (EUD/BED clamp)
dose[6, 7, 5] = -7.5

# NaNs: dose and SUV in different places, some inside lesions and references
dose_nan = rng.random(SHAPE) < 0.03
suv_nan = rng.random(SHAPE) < 0.03
dose_nan[20, 2, 2] = True            # lesion 12: no finite dose voxel
dose_nan[10, 3, 3] = False
suv_nan[4:6, 4:5, 12:13] = True      # lesion 8: no finite SUV voxel
suv_nan[10, 3, 3] = False
suv_nan[20, 2, 2] = False
dose_nan[7, 8, 6] = dose_nan[8, 9, 7] = dose_nan[9, 10, 8] = dose_nan[19, 15, 12] = False
dose_nan[6, 7, 5] = False
dose[dose_nan] = np.nan
suv[suv_nan] = np.nan

# ---------------------------------------------------------------- 1-label image
lab1 = np.zeros(SHAPE, np.int16)
pos = ((ii - 10) * 2.0) ** 2 + ((jj - 9) * 2.0) ** 2 + ((kk - 8) * 2.5) ** 2
lab1[pos <= 9.0 ** 2] = 1

# ---------------------------------------------------------------- 300-label image
numbers = np.sort(rng.choice(np.arange(1, 331), size=300, replace=False)).astype(int)
lab300 = np.zeros(SHAPE, np.int16)
for n in rng.permutation(numbers):
    c = rng.integers(0, SHAPE)
    r = rng.integers(0, 3, 3)  # half-extents 0..2: many one-voxel boxes
    sl = tuple(slice(max(c[a] - r[a], 0), min(c[a] + r[a] + 1, SHAPE[a])) for a in range(3))
    box = lab300[sl]
    box[box == 0] = n
    if not (lab300 == n).any():
        free = np.argwhere(lab300 == 0)
        lab300[tuple(free[rng.integers(len(free))])] = n
assert sorted(np.unique(lab300[lab300 != 0]).tolist()) == numbers.tolist()

# ---------------------------------------------------------------- fine label image
# Fine voxel (a, b, c) ↔ coarse voxel (a//2, b//2, c//2) region, then mangled so that resampling
# is not the identity: the nearest-neighbour sample is the fine voxel (2i+1, 2j+1, 2k+1).
fine = np.zeros(FINE_SHAPE, np.int16)
fine[:] = np.repeat(np.repeat(np.repeat(lab10, 2, 0), 2, 1), 2, 2)
fine[12:24, 14:26, 10:20][::2, ::2, ::2] = 0          # erode lesion 1 on even fine indices only
fine[29:38, 12:20, 12:20] = 2                         # lesion 2 grows by odd/even boundary
fine[40, 6, 4] = 7                                    # label 7 moves: only an even voxel
fine[20:22, 6:8, 6:8] = 0
fine[21, 7, 7] = 7                                    # a sampled (odd) voxel keeps it too
fine[30, 30, 30] = 13                                 # one even fine voxel: vanishes
fine[41, 9, 5] = 14                                   # one odd voxel: one coarse voxel
bp_fine = np.zeros(FINE_SHAPE, np.uint8)
bp_fine[0:7, 0:7, 0:9] = 1                            # blood pool, slightly bigger on the fine grid
fine[fine == 99] = 0                                   # the fine image has no blood-pool label

# ---------------------------------------------------------------- write images
P = {}
P["dose"] = save("dose.nii.gz", dose, COARSE, np.float32)
P["suv"] = save("suv.nii.gz", suv, COARSE, np.float32)
P["lab1"] = save("labels1.nii.gz", lab1, COARSE, np.int16)
P["lab10"] = save("labels10.nii.gz", lab10, COARSE, np.int16)
P["lab300"] = save("labels300.nii.gz", lab300, COARSE, np.int16)
P["fine"] = save("labels10_fine.nii.gz", fine, FINE, np.int16)
P["muscle"] = save("muscle_mask.nii.gz", lab10 == 98, COARSE, np.uint8)
P["bp"] = save("blood_pool_mask.nii.gz", lab10 == 99, COARSE, np.uint8)
P["liver"] = save("normal_liver_mask.nii.gz", lab10 == 50, COARSE, np.uint8)
P["bp_fine"] = save("blood_pool_mask_fine.nii.gz", bp_fine, FINE, np.uint8)
NAMES = {1: "segment 7 HCC", 2: "segment 4a", 3: "dome", 4: "absent four", 5: "caudate",
         6: "absent six", 7: "tiny", 13: "absent thirteen", 50: "normal liver", 99: "aorta"}
with open(os.path.join(HERE, "names10.tsv"), "w") as f:
    f.write("label\tname\n")
    for k, v in NAMES.items():
        f.write(f"{k}\t{v}\n")
P["names"] = f"{REL}/names10.tsv"

# Read everything back as the tool will see it (float32 → float64).
def load(path):
    return np.asarray(nib.load(os.path.join(HERE, os.path.basename(path))).dataobj)

DOSE = load(P["dose"]).astype(np.float64)
SUV = load(P["suv"]).astype(np.float64)
assert np.array_equal(DOSE, dose.astype(np.float64), equal_nan=True)

# ---------------------------------------------------------------- resampling (independent)
def resample_nn(fine_img):
    """Nearest neighbour: fine index = floor(p + 0.5) of inv(FINE) · COARSE · (i, j, k)."""
    inv = np.linalg.inv(FINE)
    out = np.zeros(SHAPE, fine_img.dtype)
    for i in range(SHAPE[0]):
        for j in range(SHAPE[1]):
            for k in range(SHAPE[2]):
                p = inv @ COARSE @ np.array([i, j, k, 1.0])
                q = np.floor(p[:3] + 0.5).astype(int)
                assert np.allclose(p[:3], q, atol=1e-9)  # exact: no rounding ties
                if all(0 <= q[a] < FINE_SHAPE[a] for a in range(3)):
                    out[i, j, k] = fine_img[tuple(q)]
    return out

fine_res = resample_nn(load(P["fine"]))
bp_fine_res = resample_nn(load(P["bp_fine"]))

# ---------------------------------------------------------------- SUVpeak (brute force)
CENTRES = np.stack([ii, jj, kk], -1).reshape(-1, 3) * SPACING  # relative positions suffice
SUV_FLAT = SUV.reshape(-1)
FINITE_SUV = np.isfinite(SUV_FLAT)


def suv_peak(voxels, radius):
    best = -math.inf
    for v in voxels:
        c = np.array(v) * SPACING
        d2 = ((CENTRES - c) ** 2).sum(1)
        sel = (d2 <= radius * radius) & FINITE_SUV
        best = max(best, float(SUV_FLAT[sel].mean()))
    return best


# ---------------------------------------------------------------- the table
def num(x):
    return None if x is None else float(x)


def lesion_table(labels, *, dose=True, suv=True, muscle=None, bp=None, liver=None, names=None,
                 dx=(2, 50, 70, 90, 98), dx_keys=None, vx=(50, 89, 100, 120, 205), vx_keys=None,
                 eud_alpha=None, ab=10.0, trep=1.5, thalf=64.05, statistic="max",
                 hyp_cut=1.29, hvol_cut=1.2, radius=6.204, dvh_bin=None, ref_labels=()):
    """muscle/bp/liver: boolean masks of the reference regions (or None)."""
    dx_keys = dx_keys or [str(x) for x in dx]
    vx_keys = vx_keys or [str(x) for x in vx]
    refs = {}
    m_mean = bp_mean = None
    if suv and muscle is not None:
        v = SUV[muscle]; m_mean = float(v[np.isfinite(v)].mean()); refs["muscle_suv_mean"] = m_mean
    if suv and bp is not None:
        v = SUV[bp]; bp_mean = float(v[np.isfinite(v)].mean()); refs["blood_pool_suv_mean"] = bp_mean
    if dose and liver is not None:
        v = DOSE[liver]; refs["normal_liver_dose_mean_gy"] = float(v[np.isfinite(v)].mean())
    lam = math.log(2) / thalf
    mu = math.log(2) / trep
    lesions, dvh = [], []
    for lab in sorted(int(x) for x in np.unique(labels) if x != 0):
        if lab in ref_labels:
            continue
        mask = labels == lab
        n = int(mask.sum())
        row = {"label": lab, "name": (names or {}).get(lab), "voxels": n, "volume_ml": n * VOXEL_ML}
        if dose:
            d = DOSE[mask]
            f = d[np.isfinite(d)]
            blk = {"nan_voxels": int(n - f.size)}
            if f.size:
                dp = np.maximum(f, 0)
                blk.update(mean_gy=float(f.mean()), std_gy=float(f.std()), min_gy=float(f.min()),
                           max_gy=float(f.max()), median_gy=float(np.median(f)),
                           d={k: float(np.percentile(f, 100 - x)) for k, x in zip(dx_keys, dx)},
                           v_pct={k: 100.0 * float((f >= x).sum()) / f.size for k, x in zip(vx_keys, vx)},
                           eud_gy=None if eud_alpha is None else
                           float(-math.log(np.mean(np.exp(-eud_alpha * dp))) / eud_alpha),
                           bed_gy=float(np.mean(dp * (1 + dp * lam / ((mu + lam) * ab)))))
                if dvh_bin is not None:
                    k = 0
                    while k * dvh_bin < f.max():
                        k += 1
                    for q in range(k + 1):
                        level = q * dvh_bin
                        dvh.append([lab, level, 100.0 * float((f >= level).sum()) / f.size])
            else:
                blk.update(mean_gy=None, std_gy=None, min_gy=None, max_gy=None, median_gy=None,
                           # "null figures": d and v_pct keep their keys, each value null
                           d={k: None for k in dx_keys}, v_pct={k: None for k in vx_keys},
                           eud_gy=None, bed_gy=None)
            row["dose"] = blk
        if suv:
            s = SUV[mask]
            fin = np.isfinite(s)
            f = s[fin]
            blk = {"nan_voxels": int(n - f.size)}
            if f.size:
                vox = [tuple(v) for v in np.argwhere(mask & np.isfinite(SUV))]
                blk.update(max=float(f.max()), mean=float(f.mean()), std=float(f.std()),
                           peak=suv_peak(vox, radius))
                stat = {"max": blk["max"], "mean": blk["mean"], "peak": blk["peak"]}[statistic]
            else:
                blk.update(max=None, mean=None, std=None, peak=None)
                stat = None
            row["suv"] = blk
            if m_mean is not None:
                row["t_m"] = None if stat is None else stat / m_mean
            if bp_mean is not None:
                t_bp = None if stat is None else stat / bp_mean
                row["t_bp"] = t_bp
                row["hypoxic"] = None if t_bp is None else bool(t_bp > hyp_cut)
                if f.size:
                    count = int((f > hvol_cut * bp_mean).sum())
                    row["hypoxic_volume_ml"] = count * VOXEL_ML
                    row["hypoxic_fraction"] = count / f.size
                else:
                    row["hypoxic_volume_ml"] = None
                    row["hypoxic_fraction"] = None
        lesions.append(row)
    doc = {"schema": "voxdose.lesions/1", "lesions": lesions, "references": refs}
    # The normal liver's curve after the lesions', labelled normal_liver, when its region is given.
    if dvh_bin is not None and dose and liver is not None:
        f = DOSE[liver]
        f = f[np.isfinite(f)]
        k = 0
        while k * dvh_bin < f.max():
            k += 1
        for q in range(k + 1):
            dvh.append(["normal_liver", q * dvh_bin, 100.0 * float((f >= q * dvh_bin).sum()) / f.size])
    return doc, (dvh if dvh_bin is not None else None)


cases = []


def case(name, args, doc, dvh=None, note=""):
    c = {"name": name, "args": args, "expected": doc}
    if dvh is not None:
        c["dvh"] = dvh
    if note:
        c["note"] = note
    cases.append(c)


L10 = load(P["lab10"]); L1 = load(P["lab1"]); L300 = load(P["lab300"])
MUS, BP, LIV = load(P["muscle"]) != 0, load(P["bp"]) != 0, load(P["liver"]) != 0
DX_ARGS = ["--dx", "2,50,70,90,98,95.5", "--vx", "50,89,100,120,205"]
DX = dict(dx=(2, 50, 70, 90, 98, 95.5), dx_keys=["2", "50", "70", "90", "98", "95.5"])

doc, dvh = lesion_table(L10, muscle=L10 == 98, bp=L10 == 99, liver=L10 == 50, names=NAMES,
                        eud_alpha=0.005, dvh_bin=5.0, ref_labels=(98, 99, 50), **DX)
case("labels10_refs_as_labels",
     ["lesions", "--labels", P["lab10"], "--dose", P["dose"], "--suv", P["suv"], "--muscle-label", "98",
      "--blood-pool-label", "99", "--normal-liver-label", "50", "--names", P["names"], *DX_ARGS,
      "--eud-alpha", "0.005", "--dvh-bin", "5", "--dvh", "{DVH}"], doc, dvh)

doc, dvh = lesion_table(L10, muscle=MUS, bp=BP, liver=LIV, names=NAMES, eud_alpha=0.005,
                        dvh_bin=5.0, **DX)
case("labels10_refs_as_masks",
     ["lesions", "--labels", P["lab10"], "--dose", P["dose"], "--suv", P["suv"], "--muscle-mask", P["muscle"],
      "--blood-pool-mask", P["bp"], "--normal-liver-mask", P["liver"], "--names", P["names"], *DX_ARGS,
      "--eud-alpha", "0.005", "--dvh-bin", "5", "--dvh", "{DVH}"], doc, dvh,
     note="labels 50, 98, 99 are lesions here (the regions come from masks)")

doc, _ = lesion_table(L10, muscle=L10 == 98, bp=L10 == 99, names=NAMES, statistic="mean",
                      hyp_cut=1.1, hvol_cut=1.3, radius=9.0, dx=(50, 2.0), dx_keys=["50", "2.0"],
                      vx=(25, 10.5), vx_keys=["25", "10.5"], ref_labels=(98, 99))
case("labels10_statistic_mean_radius9",
     ["lesions", "--labels", P["lab10"], "--dose", P["dose"], "--suv", P["suv"], "--muscle-label", "98",
      "--blood-pool-label", "99", "--names", P["names"], "--hypoxia-statistic", "mean",
      "--hypoxia-cutoff", "1.1", "--hypoxic-volume-cutoff", "1.3", "--suvpeak-radius", "9mm",
      "--dx", "50,2.0", "--vx", "25,10.5"], doc)

doc, _ = lesion_table(L10, dose=False, bp=L10 == 99, statistic="peak", ref_labels=(99,))
case("labels10_suv_only_peak",
     ["lesions", "--labels", P["lab10"], "--suv", P["suv"], "--blood-pool-label", "99",
      "--hypoxia-statistic", "peak"], doc)

doc, dvh = lesion_table(L1, suv=False, eud_alpha=0.02, ab=3.0, trep=2.5, thalf=64.1, dvh_bin=0.7)
case("labels1_dose_only",
     ["lesions", "--labels", P["lab1"], "--dose", P["dose"], "--eud-alpha", "0.02", "--bed-alpha-beta", "3",
      "--bed-repair-half-time", "2.5", "--half-life", "64.1", "--dvh-bin", "0.7", "--dvh", "{DVH}"], doc, dvh)

doc, _ = lesion_table(L300, dose=False, muscle=MUS, bp=BP, statistic="peak", hyp_cut=1.5, hvol_cut=1.4)
case("labels300_suv_only",
     ["lesions", "--labels", P["lab300"], "--suv", P["suv"], "--muscle-mask", P["muscle"], "--blood-pool-mask",
      P["bp"], "--hypoxia-statistic", "peak", "--hypoxia-cutoff", "1.5", "--hypoxic-volume-cutoff", "1.4"], doc)

doc, dvh = lesion_table(L300, muscle=MUS, bp=BP, liver=LIV, dvh_bin=10.0, eud_alpha=0.01)
case("labels300_both_maps",
     ["lesions", "--labels", P["lab300"], "--dose", P["dose"], "--suv", P["suv"], "--muscle-mask", P["muscle"],
      "--blood-pool-mask", P["bp"], "--normal-liver-mask", P["liver"], "--eud-alpha", "0.01",
      "--dvh-bin", "10", "--dvh", "{DVH}"], doc, dvh)

# Resampled: fine labels (muscle 98, normal liver 50 inside) and a fine blood-pool mask.
FINE_L = load(P["fine"]); FINE_BP = load(P["bp_fine"])
doc, _ = lesion_table(fine_res, muscle=fine_res == 98, bp=bp_fine_res != 0, names=NAMES,
                      ref_labels=(98,))
resampling = {}
for lab in sorted(int(x) for x in np.unique(FINE_L) if x != 0):
    resampling[str(lab)] = {"voxels_before": int((FINE_L == lab).sum()),
                            "voxels_after": int((fine_res == lab).sum())}
resampling["blood_pool_mask"] = {"voxels_before": int((FINE_BP != 0).sum()),
                                 "voxels_after": int((bp_fine_res != 0).sum())}
doc["resampling"] = resampling
case("fine_labels_resampled",
     ["lesions", "--labels", P["fine"], "--dose", P["dose"], "--suv", P["suv"], "--muscle-label", "98",
      "--blood-pool-mask", P["bp_fine"], "--names", P["names"], "--resample-labels"], doc,
     note="label 13 is one even fine voxel: voxels_after 0, so it is not a lesion on the map grid")

with open(os.path.join(HERE, "expected.json"), "w") as f:
    json.dump({"generator": "Fixtures/lesions/make_lesions_reference.py", "seed": 20250611,
               "cases": cases,
               "refused_without_resampling": ["lesions", "--labels", P["fine"], "--dose", P["dose"],
                                              "--suv", P["suv"], "--muscle-label", "98",
                                              "--blood-pool-mask", P["bp_fine"]]},
              f, indent=1, allow_nan=False)
print("cases:", [c["name"] for c in cases])
print("resampling:", resampling)
