#!/usr/bin/env python3
"""The built-in example patient of `voxdose case` (Fixtures/patient), and the truth it was built with.

A synthetic 90Y radioembolization patient as the ARTE-MISO workflow sees one:

- a liver with five lesions of different size, 90Y uptake and FMISO hypoxia, chosen so that the
  four dose x hypoxia groups of the plan are all present (truth.json lists each lesion's group);
- a 90Y PET in Bq/mL on a PET/MRI-like grid (3.4 x 3.4 x 3.0 mm), decay-corrected to scan start,
  with a dcm2niix-style sidecar; the lesions drawn on an MRI-like grid (1.6 x 1.6 x 3.0 mm);
- an 18F-FMISO PET on a PET/CT-like grid (4.07 x 4.07 x 3.27 mm) with a BIDS sidecar, and labels
  drawn on the CT grid (2 x 2 x 3 mm) with muscle and blood pool (the aorta);
- 18F-FDG baseline (same PET/CT grid) and follow-up (another session: another grid) with
  dcm2niix-style sidecars (weight, height and sex for SUL);
- a CT-like anatomy image on the CT grid (the report's background);
- a 99mTc-MAA SPECT in counts (128 x 128 x 100 voxels of 4.42 mm, 14 mm FWHM, 10 % noise) with
  its SPECT/CT's labels (liver, lesions, lungs as label 9) on a low-dose-CT grid (3 mm) and the
  perfused liver as a mask; lesion uptake 0.8-1.3 x the 90Y pattern (MAA and 90Y are never quite
  concordant), 6 % of the counts in the lungs;
- study.json (voxdose.study/1) and truth.json;
- pet_grid/: the same label images mapped onto each PET grid here (nearest neighbour in world
  coordinates) and study.json using them: a case on it must give the same lesion table, which
  checks VoxDose's resampling against this independent one.

Images are PET-like: the true activity, averaged over each voxel (4^3 sub-samples), blurred by
a Gaussian of the scanner's resolution (FWHM: 90Y PET 8 mm, FMISO and FDG 6 mm), plus white
Gaussian noise whose standard deviation grows with the square root of the blurred activity
(Poisson-like), stored as int16 with scl_slope as dcm2niix writes PET.

truth.json holds, per lesion, the values it was built with (true uptake, true Dmean) and the
values VoxDose must measure (`expected`): the same statistic computed here, independently of
VoxDose, on the noise-free blurred image with the label image mapped to the image grid by
nearest neighbour, and a tolerance derived from the noise: 4 standard deviations of a mean of N
independent voxels (sigma / sqrt(N)), plus half an int16 quantisation step. Ratios built on the
SUVmax (T/BP) are checked as classes (hypoxic or not, the plan's group), with the margins stated
in truth.json.

Needs numpy and scipy. Deterministic (seeded). Run from anywhere:
    python3 Fixtures/patient/make_example_patient.py
"""
from __future__ import annotations

import gzip
import json
import math
import struct
from pathlib import Path

import numpy as np
from scipy import ndimage

OUT = Path(__file__).resolve().parent
RNG = np.random.default_rng(20260302)

# ---------------------------------------------------------------- anatomy (world mm, RAS+)
LIVER_CENTRE, LIVER_AXES = np.array([80.0, 0.0, 0.0]), np.array([85.0, 70.0, 62.0])
BODY_CENTRE, BODY_AXES = np.array([40.0, -20.0, 0.0]), np.array([170.0, 130.0, 400.0])
AORTA_XY, AORTA_RADIUS = np.array([20.0, -60.0]), 11.0
MUSCLE_BOX = (np.array([-30.0, -125.0, -60.0]), np.array([10.0, -100.0, 60.0]))  # paraspinal
# label, name, centre (mm), radius (mm), 90Y uptake relative to normal liver (TNR),
# FMISO rim and core SUV relative to the blood pool, FDG SULpeak-like uptake baseline -> follow-up
LESIONS = [
    (2, "S8_large", (110.0, 15.0, 18.0), 24.0, 5.0, (0.75, 0.75), (9.0, 3.2)),
    (3, "S6_hypoxic", (72.0, -35.0, -22.0), 16.0, 4.0, (1.2, 2.4), (8.0, 4.8)),
    (4, "S4_hypoxic_cold", (38.0, 28.0, -8.0), 13.0, 1.2, (1.2, 2.2), (7.0, 10.5)),
    (5, "S7_cold", (120.0, -30.0, -30.0), 14.0, 1.1, (0.7, 0.7), (6.0, 6.0)),
    (6, "S2_small_hot", (45.0, -10.0, 30.0), 13.0, 4.5, (0.75, 0.75), (6.5, 2.6)),
]
NORMAL_LIVER, MUSCLE, BLOOD_POOL, LUNG = 1, 7, 8, 9
# Lungs: right and left, above the liver (the liver wins where they meet at the dome).
LUNGS = [((75.0, 0.0, 150.0), (65.0, 75.0, 110.0)), ((-60.0, 0.0, 150.0), (55.0, 70.0, 105.0))]
# MAA uptake relative to the 90Y pattern, per lesion (MAA/90Y discordance).
MAA_TNR_FACTOR = {2: 1.15, 3: 0.8, 4: 1.0, 5: 1.3, 6: 0.9}
MAA_LUNG_SHUNT = 0.06

# ---------------------------------------------------------------- treatment and scans
ADMINISTERED_GBQ, RESIDUAL_GBQ, LUNG_SHUNT = 1.65, 0.05, 0.06
IMPLANT = "2026-03-02T09:41:00+01:00"
Y90_HALF_LIFE_S = 64.05 * 3600
Y90_SCAN_DELAY_S = 20.5 * 3600           # 90Y PET/MRI the next morning
LDM_GY_PER_BQ_PER_ML = 49.67 / 1e9 / 1.05e-3   # K / rho: Gy per Bq/mL at t0 (EANM)
F18_HALF_LIFE_S = 6586.2
WEIGHT_KG, HEIGHT_M, SEX = 78.0, 1.74, "M"
FMISO_MBQ, FMISO_DELAY_S = 370.0, 4 * 3600   # FMISO PET 4 h after injection (hypoxia imaging)
FDG_MBQ, FDG_DELAY_S = 300.0, 3600
BP_SUV = 1.1                              # FMISO blood pool SUV
FMISO_LIVER_REL, FMISO_MUSCLE_REL, FMISO_BODY_REL = 0.9, 0.95, 0.6
FDG_LIVER_SUL, FDG_BLOOD_SUL, FDG_BODY_SUL = 2.0, 1.6, 0.8


def grid(dims, spacing, centre):
    dims, spacing, centre = np.array(dims), np.array(spacing, float), np.array(centre, float)
    origin = centre - (dims - 1) / 2 * spacing
    return {"dims": tuple(int(d) for d in dims), "spacing": spacing, "origin": origin}


PET_MR = grid((80, 84, 70), (3.4, 3.4, 3.0), (60, -10, 0))
MRI = grid((170, 176, 70), (1.6, 1.6, 3.0), (62, -8, 2))
PET_CT = grid((72, 76, 64), (4.07, 4.07, 3.27), (55, -15, -3))
PET_CT_FOLLOWUP = grid((70, 74, 66), (4.07, 4.07, 3.0), (58, -12, 4))
CT = grid((128, 136, 72), (2.0, 2.0, 3.0), (55, -15, 0))
SPECT = grid((128, 128, 100), (4.42, 4.42, 4.42), (40, -10, 70))
SPECT_CT = grid((150, 150, 140), (3.0, 3.0, 3.0), (42, -8, 72))


def centres(g, sub=1):
    """World coordinates of voxel centres (sub=1) or of sub^3 sub-samples per voxel."""
    offsets = (np.arange(sub) + 0.5) / sub - 0.5
    axes = [g["origin"][a] + (np.arange(g["dims"][a])[:, None] + offsets[None, :]).ravel() * g["spacing"][a] for a in range(3)]
    return np.meshgrid(*axes, indexing="ij")


def regions(x, y, z):
    """Label of every point: 0 outside, 1 normal liver, 2-6 lesions, 7 muscle, 8 aorta; body mask."""
    label = np.zeros(x.shape, np.int16)
    body = (((x - BODY_CENTRE[0]) / BODY_AXES[0]) ** 2 + ((y - BODY_CENTRE[1]) / BODY_AXES[1]) ** 2) <= 1
    for centre, axes in LUNGS:
        label[sum(((c - centre[i]) / axes[i]) ** 2 for i, c in enumerate((x, y, z))) <= 1] = LUNG
    liver = sum(((c - LIVER_CENTRE[i]) / LIVER_AXES[i]) ** 2 for i, c in enumerate((x, y, z))) <= 1
    label[liver] = NORMAL_LIVER
    lo, hi = MUSCLE_BOX
    label[(x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1]) & (z >= lo[2]) & (z <= hi[2])] = MUSCLE
    label[(x - AORTA_XY[0]) ** 2 + (y - AORTA_XY[1]) ** 2 <= AORTA_RADIUS ** 2] = BLOOD_POOL
    for number, _, centre, radius, *_ in LESIONS:
        label[(x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= radius ** 2] = number
    return label, body


def lesion_core(x, y, z, lesion):
    _, _, centre, radius, *_ = lesion
    return (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= (0.6 * radius) ** 2


def voxel_average(g, value_of, sub=4):
    """The mean of `value_of(x, y, z)` over sub^3 points in each voxel (partial volume)."""
    x, y, z = centres(g, sub)
    v = value_of(x, y, z)
    d = g["dims"]
    return v.reshape(d[0], sub, d[1], sub, d[2], sub).mean(axis=(1, 3, 5))


def blur(image, g, fwhm_mm):
    return ndimage.gaussian_filter(image, sigma=fwhm_mm / 2.3548 / g["spacing"], mode="constant")


def noisy(clean, relative_sigma, scale):
    """White noise with sigma = relative_sigma * sqrt(scale * |clean|) (Poisson-like around `scale`)."""
    sigma = relative_sigma * np.sqrt(scale * np.abs(clean))
    return clean + RNG.standard_normal(clean.shape) * sigma, sigma


# ---------------------------------------------------------------- the activity of each scan
def y90_concentration_t0():
    """True 90Y concentration at implantation (Bq/mL): the liver's share of the activity split
    between normal liver and lesions by their TNR."""
    x, y, z = centres(MRI, 1)
    label, _ = regions(x, y, z)
    voxel_ml = np.prod(MRI["spacing"]) / 1000
    weight = (label == NORMAL_LIVER).sum() * voxel_ml + sum((label == l[0]).sum() * voxel_ml * l[4] for l in LESIONS)
    liver_bq = (ADMINISTERED_GBQ - RESIDUAL_GBQ) * (1 - LUNG_SHUNT) * 1e9
    return liver_bq / weight


def y90_value(c_nl):
    tnr = {l[0]: l[4] for l in LESIONS}

    def value(x, y, z):
        label, _ = regions(x, y, z)
        out = np.where(label == NORMAL_LIVER, c_nl, 0.0)
        for number, t in tnr.items():
            out = np.where(label == number, c_nl * t, out)
        return out
    return value


def suv_value(kind):
    """SUV of every point for FMISO (kind 'fmiso') or SUL for FDG ('fdg0', 'fdg1')."""
    def value(x, y, z):
        label, body = regions(x, y, z)
        if kind == "fmiso":
            out = np.where(body, FMISO_BODY_REL * BP_SUV, 0.0)
            out = np.where(label == NORMAL_LIVER, FMISO_LIVER_REL * BP_SUV, out)
            out = np.where(label == MUSCLE, FMISO_MUSCLE_REL * BP_SUV, out)
            out = np.where(label == BLOOD_POOL, BP_SUV, out)
            for lesion in LESIONS:
                rim, core = lesion[5]
                inside = label == lesion[0]
                out = np.where(inside, rim * BP_SUV, out)
                out = np.where(inside & lesion_core(x, y, z, lesion), core * BP_SUV, out)
        else:
            follow = kind == "fdg1"
            out = np.where(body, FDG_BODY_SUL, 0.0)
            out = np.where(label == NORMAL_LIVER, FDG_LIVER_SUL, out)
            out = np.where(label == MUSCLE, FDG_BODY_SUL, out)
            out = np.where(label == BLOOD_POOL, FDG_BLOOD_SUL, out)
            for lesion in LESIONS:
                out = np.where(label == lesion[0], lesion[6][1 if follow else 0], out)
        return out
    return value


# ---------------------------------------------------------------- body metrics (SUV factors)
def lbm_janmahasatian_kg():
    bmi = WEIGHT_KG / HEIGHT_M ** 2
    return 9270 * WEIGHT_KG / (6680 + 216 * bmi)  # male


def suv_to_bq_per_ml(suv, injected_mbq, delay_s, normaliser_kg):
    """Concentration at scan start (decay-corrected to scan start) that gives this SUV/SUL."""
    activity_at_scan = injected_mbq * 1e6 * 2 ** (-delay_s / F18_HALF_LIFE_S)
    return suv * activity_at_scan / (normaliser_kg * 1000)


# ---------------------------------------------------------------- NIfTI-1 writer (int16 + slope)
def write_nifti(path, data, g, *, datatype="int16", description="", slope=None):
    dims = g["dims"]
    if datatype == "int16":
        if slope is None:
            slope = max(float(np.abs(data).max()) / 32000.0, 1e-12)
        stored = np.clip(np.rint(data / slope), -32768, 32767).astype("<i2")
        code, bitpix, intercept = 4, 16, 0.0
    else:
        raise ValueError(datatype)
    sx, sy, sz = g["spacing"]
    ox, oy, oz = g["origin"]
    header = bytearray(348)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, dims[0], dims[1], dims[2], 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, code, bitpix)
    struct.pack_into("<8f", header, 76, 1.0, sx, sy, sz, 0, 0, 0, 0)
    struct.pack_into("<f", header, 108, 352.0)            # vox_offset
    struct.pack_into("<ff", header, 112, slope if slope else 1.0, intercept)
    struct.pack_into("<B", header, 123, 2 | 8)             # xyzt_units: mm, s
    header[148:148 + 80] = description.encode()[:79].ljust(80, b"\0")
    struct.pack_into("<hh", header, 252, 1, 1)             # qform_code, sform_code (scanner)
    struct.pack_into("<3f", header, 268, ox, oy, oz)       # qoffset (quaternion b=c=d=0)
    struct.pack_into("<4f", header, 280, sx, 0, 0, ox)
    struct.pack_into("<4f", header, 296, 0, sy, 0, oy)
    struct.pack_into("<4f", header, 312, 0, 0, sz, oz)
    header[344:348] = b"n+1\0"
    payload = bytes(header) + b"\0" * 4 + stored.tobytes(order="F")
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(payload)
    return stored.astype(np.float64) * (slope if slope else 1.0)


def write_labels(path, labels, g, description):
    dims = g["dims"]
    sx, sy, sz = g["spacing"]
    ox, oy, oz = g["origin"]
    header = bytearray(348)
    struct.pack_into("<i", header, 0, 348)
    struct.pack_into("<8h", header, 40, 3, dims[0], dims[1], dims[2], 1, 1, 1, 1)
    struct.pack_into("<hh", header, 70, 2, 8)             # uint8
    struct.pack_into("<8f", header, 76, 1.0, sx, sy, sz, 0, 0, 0, 0)
    struct.pack_into("<f", header, 108, 352.0)
    struct.pack_into("<ff", header, 112, 1.0, 0.0)
    struct.pack_into("<B", header, 123, 2 | 8)
    header[148:148 + 80] = description.encode()[:79].ljust(80, b"\0")
    struct.pack_into("<hh", header, 252, 1, 1)
    struct.pack_into("<3f", header, 268, ox, oy, oz)
    struct.pack_into("<4f", header, 280, sx, 0, 0, ox)
    struct.pack_into("<4f", header, 296, 0, sy, 0, oy)
    struct.pack_into("<4f", header, 312, 0, 0, sz, oz)
    header[344:348] = b"n+1\0"
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(bytes(header) + b"\0" * 4 + labels.astype(np.uint8).tobytes(order="F"))


def labels_on(label_grid, labels, image_grid):
    """The label image mapped to another grid by nearest neighbour in world coordinates (what
    `--resample-labels` does for axis-aligned grids); outside the label image: 0."""
    x, y, z = centres(image_grid, 1)
    idx = [np.rint((c - label_grid["origin"][a]) / label_grid["spacing"][a]).astype(int) for a, c in enumerate((x, y, z))]
    inside = np.ones(x.shape, bool)
    for a in range(3):
        inside &= (idx[a] >= 0) & (idx[a] < label_grid["dims"][a])
        idx[a] = np.clip(idx[a], 0, label_grid["dims"][a] - 1)
    return np.where(inside, labels[idx[0], idx[1], idx[2]], 0)


def iso(seconds_after_implant):
    from datetime import datetime, timedelta
    t = datetime.fromisoformat(IMPLANT) + timedelta(seconds=seconds_after_implant)
    return t.isoformat(timespec="seconds")


def main():
    truth = {"note": "Built by make_example_patient.py; see its docstring for how `expected` and each tolerance are derived.",
             "treatment": {"administered_activity_gbq": ADMINISTERED_GBQ, "residual_activity_gbq": RESIDUAL_GBQ,
                           "lung_shunt": LUNG_SHUNT, "implant_time": IMPLANT},
             "lesions": {}}

    # Label images: MRI grid (90Y side) and CT grid (FMISO, FDG side).
    mri_labels, _ = regions(*centres(MRI, 1))
    mri_labels = np.where(mri_labels <= 6, mri_labels, 0)  # the MRI side draws liver and lesions only
    ct_labels_maa, _ = regions(*centres(SPECT_CT, 1))
    ct_labels_maa = np.where((ct_labels_maa <= 6) | (ct_labels_maa == LUNG), ct_labels_maa, 0)
    write_labels(OUT / "maa_labels.nii.gz", ct_labels_maa, SPECT_CT, "liver 1, lesions 2-6, lungs 9 (SPECT/CT grid)")
    perfused = (ct_labels_maa >= 1) & (ct_labels_maa <= 6)
    write_labels(OUT / "perfused_liver_mask.nii.gz", perfused, SPECT_CT, "perfused liver (liver and lesions)")
    write_labels(OUT / "mri_labels.nii.gz", mri_labels, MRI, "liver 1, lesions 2-6 (MRI grid)")
    ct_labels, _ = regions(*centres(CT, 1))
    write_labels(OUT / "ct_labels.nii.gz", ct_labels, CT, "liver 1, lesions 2-6, muscle 7, aorta 8 (CT grid)")
    (OUT / "lesion_names.tsv").write_text("label\tname\n" + "".join(f"{l[0]}\t{l[1]}\n" for l in LESIONS))

    # 90Y PET (Bq/mL at scan start).
    c_nl = y90_concentration_t0()
    decay = 2 ** (-Y90_SCAN_DELAY_S / Y90_HALF_LIFE_S)
    true_t0 = voxel_average(PET_MR, y90_value(c_nl))
    clean_t0 = blur(true_t0, PET_MR, 8.0)
    noisy_scan, sigma_scan = noisy(clean_t0 * decay, 0.35, c_nl * decay)  # 90Y PET: very noisy
    stored_scan = write_nifti(OUT / "y90_pet.nii.gz", noisy_scan, PET_MR, description="90Y PET Bq/mL (decay-corrected to scan start)")
    slope_y90 = float(np.abs(noisy_scan).max()) / 32000.0
    scan_time = iso(Y90_SCAN_DELAY_S)
    (OUT / "y90_pet.json").write_text(json.dumps({
        "Modality": "PT", "Manufacturer": "Siemens", "ManufacturersModelName": "Biograph_mMR",
        "SeriesDescription": "Y90_PET_MR_liver", "PatientSex": SEX, "PatientWeight": WEIGHT_KG,
        "AcquisitionDateTime": scan_time[:19] + ".000000", "SeriesDate": scan_time[:10], "SeriesTime": scan_time[11:19],
        "Radiopharmaceutical": "Y90 microspheres (resin)", "TracerRadionuclide": "Y90",
        "RadionuclideHalfLife": Y90_HALF_LIFE_S, "Units": "BQML", "DecayCorrection": "START",
        "FrameTimesStart": [0], "FrameDuration": [1800], "ConvolutionKernel": "XYZGAUSS4.00",
        "ConversionSoftware": "dcm2niix", "ConversionSoftwareVersion": "v1.0.20240202"}, indent=2) + "\n")
    pet_labels = labels_on(MRI, mri_labels, PET_MR)
    dose_clean = clean_t0 * LDM_GY_PER_BQ_PER_ML
    sigma_dose = sigma_scan / decay * LDM_GY_PER_BQ_PER_ML
    quant_dose = 0.5 * slope_y90 / decay * LDM_GY_PER_BQ_PER_ML
    truth["normal_liver"] = {"true_dose_gy": c_nl * LDM_GY_PER_BQ_PER_ML,
                             "expected_dose_mean_gy": float(dose_clean[pet_labels == NORMAL_LIVER].mean())}
    truth["total_activity_gbq_expected"] = float(np.sum(stored_scan) / decay * np.prod(PET_MR["spacing"]) / 1000 / 1e9)

    # FMISO PET (SUV body weight); FDG baseline and follow-up (SUL Janmahasatian).
    bw_g = WEIGHT_KG
    fmiso_true = voxel_average(PET_CT, suv_value("fmiso"))
    fmiso_clean = blur(fmiso_true, PET_CT, 6.0)
    fmiso_bq = suv_to_bq_per_ml(1.0, FMISO_MBQ, FMISO_DELAY_S, bw_g)
    fmiso_noisy, fmiso_sigma = noisy(fmiso_clean, 0.06, BP_SUV)
    write_nifti(OUT / "fmiso_pet.nii.gz", fmiso_noisy * fmiso_bq, PET_CT, description="18F-FMISO PET Bq/mL")
    (OUT / "fmiso_pet.json").write_text(json.dumps({
        "Manufacturer": "Siemens", "ManufacturersModelName": "Biograph mCT", "TracerName": "FMISO",
        "TracerRadionuclide": "F18", "InjectedRadioactivity": FMISO_MBQ, "InjectedRadioactivityUnits": "MBq",
        "TimeZero": "09:10:00", "InjectionStart": 0, "ScanStart": FMISO_DELAY_S, "FrameTimesStart": [0],
        "FrameDuration": [900], "ImageDecayCorrected": True, "ImageDecayCorrectionTime": FMISO_DELAY_S,
        "Units": "Bq/mL", "BodyWeight": WEIGHT_KG}, indent=2) + "\n")
    lbm = lbm_janmahasatian_kg()
    fdg = {}
    for kind, g, name, day in (("fdg0", PET_CT, "fdg_baseline", "2026-02-20"), ("fdg1", PET_CT_FOLLOWUP, "fdg_followup", "2026-05-29")):
        clean = blur(voxel_average(g, suv_value(kind)), g, 6.0)
        image, _ = noisy(clean, 0.05, FDG_LIVER_SUL)
        factor = suv_to_bq_per_ml(1.0, FDG_MBQ, FDG_DELAY_S, lbm)
        write_nifti(OUT / f"{name}.nii.gz", image * factor, g, description="18F-FDG PET Bq/mL")
        (OUT / f"{name}.json").write_text(json.dumps({
            "Modality": "PT", "Manufacturer": "Siemens", "ManufacturersModelName": "Biograph_mCT_Flow",
            "PatientSex": SEX, "PatientWeight": WEIGHT_KG, "PatientSize": HEIGHT_M,
            "AcquisitionDateTime": f"{day}T11:00:00.000000", "SeriesDate": day, "SeriesTime": "11:00:00",
            "RadiopharmaceuticalStartTime": "10:00:00.000000", "TracerRadionuclide": "F18",
            "RadionuclideTotalDose": FDG_MBQ * 1e6, "RadionuclideHalfLife": F18_HALF_LIFE_S,
            "Units": "BQML", "DecayCorrection": "START", "FrameTimesStart": [0], "FrameDuration": [900],
            "ConversionSoftware": "dcm2niix"}, indent=2) + "\n")
        fdg[kind] = (clean, g)

    # CT-like anatomy (HU), for the report's background: no noise, smooth edges.
    def hu(x, y, z):
        label, body = regions(x, y, z)
        out = np.where(body, -80.0, -1000.0)
        out = np.where(label == NORMAL_LIVER, 60.0, out)
        out = np.where(label == MUSCLE, 50.0, out)
        out = np.where(label == BLOOD_POOL, 40.0, out)
        out = np.where((label >= 2) & (label <= 6), 35.0, out)
        return out
    write_nifti(OUT / "ct.nii.gz", blur(voxel_average(CT, hu, sub=2), CT, 1.5), CT, description="CT-like anatomy HU", slope=1.0)

    # 99mTc-MAA SPECT in counts: the perfused liver with the MAA pattern, 6 % of the counts in
    # the lungs (spread uniformly), then SPECT blur and noise.
    def maa(x, y, z):
        label, _ = regions(x, y, z)
        out = np.where(label == NORMAL_LIVER, 1.0, 0.0)
        for number, *rest in LESIONS:
            out = np.where(label == number, rest[3] * MAA_TNR_FACTOR[number], out)
        return out, label == LUNG
    xs, ys, zs = centres(SPECT_CT, 1)
    liver_rel, lung_mask = maa(xs, ys, zs)
    liver_total, lung_voxels = liver_rel.sum(), lung_mask.sum()
    lung_level = MAA_LUNG_SHUNT / (1 - MAA_LUNG_SHUNT) * liver_total / lung_voxels  # per (SPECT/CT) voxel volume
    def maa_value(x, y, z):
        rel, lung = maa(x, y, z)
        return np.where(lung, lung_level, rel)
    counts_scale = 400.0   # counts per SPECT voxel in the normal liver
    maa_clean = blur(voxel_average(SPECT, maa_value, sub=3), SPECT, 14.0) * counts_scale
    maa_noisy, maa_sigma = noisy(maa_clean, 0.1, counts_scale)
    write_nifti(OUT / "maa_spect.nii.gz", np.maximum(maa_noisy, 0), SPECT, description="99mTc-MAA SPECT counts")
    (OUT / "maa_spect.json").write_text(json.dumps({
        "Modality": "NM", "Manufacturer": "Siemens", "ManufacturersModelName": "Symbia_Intevo",
        "SeriesDescription": "MAA_SPECT_CT_liver", "Radiopharmaceutical": "Tc99m MAA", "TracerRadionuclide": "Tc99m",
        "RadionuclideHalfLife": 21624.12, "Units": "counts", "AcquisitionDateTime": "2026-02-16T11:30:00.000000",
        "ConversionSoftware": "dcm2niix"}, indent=2) + "\n")
    spect_labels = labels_on(SPECT_CT, ct_labels_maa, SPECT)
    spect_perfused = labels_on(SPECT_CT, perfused.astype(np.int16), SPECT) > 0
    lung_counts = float(maa_clean[spect_labels == LUNG].sum())
    liver_counts = float(maa_clean[spect_perfused].sum())
    # Counts are clipped at 0 after the noise: the expected value of max(X, 0) for X ~ N(mu, sigma)
    # is mu Phi(mu/sigma) + sigma phi(mu/sigma), which raises the low lung counts a little.
    from scipy.stats import norm

    def clipped_sum(mask):
        mu, sd = maa_clean[mask], np.maximum(maa_sigma[mask], 1e-12)
        return float(np.sum(mu * norm.cdf(mu / sd) + sd * norm.pdf(mu / sd))), float(np.sqrt(np.sum(sd ** 2)))
    lung_e, lung_sd = clipped_sum(spect_labels == LUNG)
    liver_e, liver_sd = clipped_sum(spect_perfused)
    shunt_e = lung_e / (lung_e + liver_e)
    # First-order propagation of the two sums' noise to F = L / (L + V).
    shunt_sd = math.hypot(liver_e * lung_sd, lung_e * liver_sd) / (lung_e + liver_e) ** 2
    truth["maa"] = {
        "lung_shunt_built": MAA_LUNG_SHUNT,
        "lung_shunt_noise_free": lung_counts / (lung_counts + liver_counts),
        "lung_shunt_expected": shunt_e,
        "lung_shunt_tolerance": 4 * shunt_sd,
        "note": "noise_free = the blurred SPECT summed over the masks mapped to the SPECT grid (blur spills liver "
                "counts into the lung base, so it differs from the built 6 %); expected adds the clipping of noisy "
                "counts at 0; tolerance = 4 sigma of the noise propagated to the fraction",
    }
    # The predicted 90Y dose: the noise-free SPECT calibrated so that the perfused liver holds A(1 - F).
    planned_bq = ADMINISTERED_GBQ * 1e9 * (1 - LUNG_SHUNT)
    spect_voxel_ml = np.prod(SPECT["spacing"]) / 1000
    maa_dose_clean = maa_clean * planned_bq / (liver_counts * spect_voxel_ml) * LDM_GY_PER_BQ_PER_ML
    maa_sigma_dose = maa_sigma * planned_bq / (liver_counts * spect_voxel_ml) * LDM_GY_PER_BQ_PER_ML

    # Truth per lesion.
    fmiso_labels = labels_on(CT, ct_labels, PET_CT)
    bp_clean = float(fmiso_clean[fmiso_labels == BLOOD_POOL].mean())
    for lesion in LESIONS:
        number, name, centre, radius, tnr, (rim, core), (sul0, sul1) = lesion
        on_pet = pet_labels == number
        n = int(on_pet.sum())
        expected = float(dose_clean[on_pet].mean())
        tolerance = 4 * math.sqrt(float(np.sum(sigma_dose[on_pet] ** 2))) / n + quant_dose
        true_dose = c_nl * tnr * LDM_GY_PER_BQ_PER_ML
        hypoxic = core > 1.29
        tbp_clean = float(fmiso_clean[fmiso_labels == number].max()) / bp_clean
        high = expected > 89
        on_spect = spect_labels == number
        maa_expected = float(maa_dose_clean[on_spect].mean())
        maa_tolerance = 4 * math.sqrt(float(np.sum(maa_sigma_dose[on_spect] ** 2))) / on_spect.sum() + 0.02 * maa_expected
        truth["lesions"][str(number)] = {
            "maa_expected_dose_mean_gy": maa_expected, "maa_dose_mean_tolerance_gy": maa_tolerance,
            "name": name, "radius_mm": radius, "volume_ml_true": 4 / 3 * math.pi * radius ** 3 / 1000,
            "tnr": tnr, "true_dose_mean_gy": true_dose,
            "expected_dose_mean_gy": expected, "dose_mean_tolerance_gy": tolerance, "voxels_on_pet_grid": n,
            "fmiso_core_over_blood_pool": core, "fmiso_rim_over_blood_pool": rim,
            "expected_t_bp_noise_free": tbp_clean, "hypoxic": hypoxic,
            "group": ("hypoxic" if hypoxic else "nonhypoxic") + ("_highdose" if high else "_lowdose"),
            "fdg_sul_baseline": sul0, "fdg_sul_followup": sul1,
            "fdg_change_pct_true": 100 * (sul1 - sul0) / sul0,
        }
    truth["tolerances"] = {
        "dose_mean": "4 sigma of the mean of N independent noisy voxels + half an int16 step, per lesion",
        "t_bp": "classes only: non-hypoxic lesions are built at <= 0.9 x blood pool with 6 % noise (max far below 1.29), "
                "hypoxic ones with a core at >= 2.2 x blood pool (max far above 1.29)",
        "dose_group": "every lesion's expected Dmean is at least 25 Gy from the 89 Gy cut-off",
    }
    (OUT / "truth.json").write_text(json.dumps(truth, indent=2) + "\n")

    study = {
        "schema": "voxdose.study/1",
        "patient_id": "EXAMPLE-001",
        "treatment": {"microspheres": "resin", "implant_time": IMPLANT,
                      "administered_activity": f"{ADMINISTERED_GBQ}GBq", "residual_activity": f"{RESIDUAL_GBQ}GBq",
                      "lung_shunt": f"{LUNG_SHUNT * 100:g}%", "lung_mass": "1kg"},
        "names": "lesion_names.tsv",
        "regions": {"normal_liver": NORMAL_LIVER, "muscle": MUSCLE, "blood_pool": BLOOD_POOL, "lung": LUNG,
                    "liver": "perfused_liver_mask.nii.gz"},
        "y90_pet": {"image": "y90_pet.nii.gz", "labels": "mri_labels.nii.gz"},
        "fmiso_pet": {"image": "fmiso_pet.nii.gz", "labels": "ct_labels.nii.gz"},
        "fdg_baseline": {"image": "fdg_baseline.nii.gz", "labels": "ct_labels.nii.gz"},
        "fdg_followup": {"image": "fdg_followup.nii.gz", "labels": "ct_labels.nii.gz"},
        "maa_spect": {"image": "maa_spect.nii.gz", "labels": "maa_labels.nii.gz"},
        "anatomy": {"image": "ct.nii.gz"},
    }
    (OUT / "study.json").write_text(json.dumps(study, indent=2) + "\n")

    # The same patient with every label image already on its scan's grid.
    pet_grid = OUT / "pet_grid"
    pet_grid.mkdir(exist_ok=True)
    write_labels(pet_grid / "y90_labels.nii.gz", pet_labels, PET_MR, "MRI labels on the 90Y PET grid")
    write_labels(pet_grid / "fmiso_labels.nii.gz", fmiso_labels, PET_CT, "CT labels on the FMISO PET grid")
    write_labels(pet_grid / "fdg_followup_labels.nii.gz", labels_on(CT, ct_labels, PET_CT_FOLLOWUP), PET_CT_FOLLOWUP,
                 "CT labels on the FDG follow-up grid")
    same_grid = json.loads(json.dumps(study))
    for key in ("y90_pet", "fmiso_pet", "fdg_baseline", "fdg_followup", "maa_spect", "anatomy"):
        same_grid[key]["image"] = "../" + study[key]["image"]
    same_grid["names"] = "../" + study["names"]
    same_grid["regions"]["liver"] = "../" + study["regions"]["liver"]
    write_labels(pet_grid / "maa_labels.nii.gz", spect_labels, SPECT, "SPECT/CT labels on the SPECT grid")
    same_grid["maa_spect"]["labels"] = "maa_labels.nii.gz"
    same_grid["y90_pet"]["labels"] = "y90_labels.nii.gz"
    same_grid["fmiso_pet"]["labels"] = "fmiso_labels.nii.gz"
    same_grid["fdg_baseline"]["labels"] = "fmiso_labels.nii.gz"   # the same PET/CT grid
    same_grid["fdg_followup"]["labels"] = "fdg_followup_labels.nii.gz"
    (pet_grid / "study.json").write_text(json.dumps(same_grid, indent=2) + "\n")
    for lesion in truth["lesions"].values():
        assert abs(lesion["expected_dose_mean_gy"] - 89) >= 25, lesion


if __name__ == "__main__":
    main()
