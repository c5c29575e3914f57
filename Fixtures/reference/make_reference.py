#!/usr/bin/env python3
"""Independent reference fixtures for VoxDose, made with nibabel + numpy only.

Run from the repository root:

    python3 Fixtures/reference/make_reference.py

What it does
------------
1. Writes small NIfTI test images into Fixtures/reference/ with nibabel
   (random content from fixed numpy seeds, so every run gives the same bytes;
   nibabel's gzip writer uses mtime 0, so the .gz files are byte-stable too).
2. Reloads every image with nibabel, cross-checks the raw voxel bytes with a
   hand-rolled numpy parser, and writes Fixtures/reference/expected.json with
     * "images": header facts per file ("info", as nibabel reports them) plus a
       few raw header fields ("header") that are handy for reader tests;
     * "stats": cases {name, args, expected[, resampled_label_voxels]} where
       args are the `voxdose stats` arguments (paths relative to the repo root)
       and expected is the voxdose.stats/1 document.

Statistics definition (computed here, never taken from VoxDose)
---------------------------------------------------------------
* Voxel values are the scaled values slope*raw + inter computed in float64
  and rounded to float32 (this equals img.get_fdata(dtype=np.float32), which
  the script asserts). Images without valid scaling use raw values -> float32.
* Non-finite voxels (NaN, +inf, -inf) are excluded and counted in the
  region's "nan_voxels".
* Per region: voxels (finite count), volume_ml = voxels * (sx*sy*sz) / 1000
  with s = header.get_zooms()[:3] (float32 pixdims promoted to float64),
  sum (math.fsum, exactly rounded), mean = sum / n, std (population, ddof=0,
  two-pass with fsum), min, max, median, percentiles (numpy's default
  'linear' method). Everything is float64 accumulated over float32 values.
* Without --labels: one region, label null, all voxels. With --labels: one
  region per distinct non-zero label present in the label image, ascending.
* --frame N selects volume N of a 4-D image, counting from 0 (numpy index
  img.dataobj[..., N]).  (ASSUMPTION: 0-based; see README.)
* --resample-labels: for each target voxel (i,j,k), world = A_img.(i,j,k,1),
  src = inv(A_labels).world, source voxel = floor(src + 0.5) per axis, and
  outside the label grid -> 0.  A = nibabel's img.affine of each file (float32
  sform values promoted to float64).  The script asserts that no voxel lands
  within 1e-6 of a rounding tie.
* Floats are written with Python's repr (full precision); NaN/inf -> null.
"""

import json
import math
import os
import sys

import nibabel as nib
import numpy as np
from nibabel.openers import Opener

OUT_DIR = os.path.join("Fixtures", "reference")
if not os.path.isdir(OUT_DIR):
    sys.exit("run from the repository root: python3 Fixtures/reference/make_reference.py")

DEFAULT_PERCENTILES = "2,5,50,95,98"


def rel(name):
    return os.path.join(OUT_DIR, name)


# ----------------------------------------------------------------------------
# geometry helpers
# ----------------------------------------------------------------------------

def rot(ax_deg, ay_deg, az_deg):
    ax, ay, az = np.deg2rad([ax_deg, ay_deg, az_deg])
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def make_affine(r, zooms, offset, flip=(1, 1, 1)):
    a = np.eye(4)
    a[:3, :3] = r @ np.diag(np.asarray(zooms, float) * np.asarray(flip, float))
    a[:3, 3] = offset
    return a


PET_SHAPE = (32, 28, 20)
PET_ZOOMS = (2.5, 2.5, 3.0)
PET_AFFINE = make_affine(rot(3.0, -2.0, 5.0), PET_ZOOMS, (-41.3, -36.7, -27.9))


def finish_header(img, descrip, sform_code, qform_code, affine, units=("mm", None),
                  time_step=None):
    """Set codes, description and units on a nibabel image before saving."""
    img.set_sform(affine, code=sform_code)
    img.set_qform(affine, code=qform_code)
    hdr = img.header
    hdr["descrip"] = descrip.encode("ascii")
    hdr.set_xyzt_units(*units)
    if time_step is not None:
        z = list(hdr.get_zooms())
        z[3] = time_step
        hdr.set_zooms(z)
    return img


def save(img, name):
    img.to_filename(rel(name))


def write_raw_nifti1(name, hdr, raw):
    """Write a NIfTI-1 single file with nibabel's header serialiser and the raw
    array bytes *unchanged* (nibabel's image writer would recompute scl_slope /
    scl_inter, so scaled files are written this way)."""
    assert hdr.get_data_shape() == raw.shape
    hdr["magic"] = hdr.single_magic      # b"n+1": Nifti1Header() defaults to the pair magic
    out_dtype = hdr.get_data_dtype()          # includes header byte order
    assert np.array_equal(raw.astype(out_dtype), raw)
    with Opener(rel(name), "wb") as f:
        hdr.write_to(f)
        pad = int(hdr.get_data_offset()) - f.tell()
        assert pad >= 0
        f.write(b"\x00" * pad)
        f.write(np.asarray(raw, dtype=out_dtype).tobytes(order="F"))


# ----------------------------------------------------------------------------
# 1. images
# ----------------------------------------------------------------------------

def pet_values(rng):
    i, j, k = np.indices(PET_SHAPE).astype(float)
    c1 = np.array([14.3, 12.1, 9.6])
    c2 = np.array([22.7, 8.4, 12.2])
    r1 = ((i - c1[0]) * 2.5) ** 2 + ((j - c1[1]) * 2.5) ** 2 + ((k - c1[2]) * 3.0) ** 2
    r2 = ((i - c2[0]) * 2.5) ** 2 + ((j - c2[1]) * 2.5) ** 2 + ((k - c2[2]) * 3.0) ** 2
    blob = 950.0 * np.exp(-r1 / (2 * 12.0 ** 2)) + 400.0 * np.exp(-r2 / (2 * 6.0 ** 2))
    data = 25.0 + blob + rng.normal(0.0, 14.0, PET_SHAPE)
    return data.astype(np.float32)


def label_volume():
    i, j, k = np.indices(PET_SHAPE).astype(float)
    lab = np.zeros(PET_SHAPE, np.int16)
    # 300: a slab near the top
    lab[:, :, 16:19] = 300
    # 1: sphere around the main blob
    lab[((i - 14.3) * 2.5) ** 2 + ((j - 12.1) * 2.5) ** 2 + ((k - 9.6) * 3.0) ** 2 < 15.0 ** 2] = 1
    # 2: second sphere
    lab[((i - 22.7) * 2.5) ** 2 + ((j - 8.4) * 2.5) ** 2 + ((k - 12.2) * 3.0) ** 2 < 8.0 ** 2] = 2
    # 3: a box in background
    lab[3:9, 18:26, 2:7] = 3
    # 10: exactly one voxel
    lab[27, 23, 4] = 10
    return lab


def labels_uint8_volume():
    i, j, k = np.indices(PET_SHAPE).astype(float)
    lab = np.zeros(PET_SHAPE, np.uint8)
    inside = ((i - 15.5) / 13.0) ** 2 + ((j - 13.5) / 11.0) ** 2 + ((k - 9.5) / 8.0) ** 2 < 1.0
    quad = 1 + (i >= 15).astype(int) + 2 * (j >= 13).astype(int)   # 1..4
    lab[inside] = quad[inside].astype(np.uint8)
    lab[:, 0:2, :] = 255          # max uint8 (would be -1 if misread as int8)
    lab[0, 5, 0] = 7              # single voxel
    return lab


FINE_SHAPE = tuple(2 * s for s in PET_SHAPE)
# fine voxel (a,b,c) is at coarse index 0.3 + a/2 along each axis
FINE_AFFINE = PET_AFFINE @ np.array([[0.5, 0, 0, 0.3],
                                     [0, 0.5, 0, 0.3],
                                     [0, 0, 0.5, 0.3],
                                     [0, 0, 0, 1.0]])


def labels_fine_volume():
    idx = np.indices(FINE_SHAPE).reshape(3, -1).astype(float)
    world = (FINE_AFFINE @ np.vstack([idx, np.ones(idx.shape[1])]))[:3]
    lab = np.zeros(idx.shape[1], np.int16)

    def sphere(center_coarse_idx, radius_mm):
        c = PET_AFFINE @ np.append(center_coarse_idx, 1.0)
        return np.sum((world - c[:3, None]) ** 2, axis=0) < radius_mm ** 2

    lab[sphere([14.3, 12.1, 9.6], 16.0)] = 1
    lab[sphere([22.7, 8.4, 12.2], 7.0)] = 2
    lab[sphere([6.0, 21.0, 4.0], 5.0)] = 5
    lab[sphere([25.0, 22.0, 15.0], 4.0)] = 300
    return lab.reshape(FINE_SHAPE)


def build_images():
    rng = np.random.default_rng(20240601)
    made = {}

    # pet_float32.nii.gz -----------------------------------------------------
    pet = pet_values(rng)
    img = nib.Nifti1Image(pet, PET_AFFINE)
    finish_header(img, "VoxDose reference pet_float32", 1, 1, PET_AFFINE)
    save(img, "pet_float32.nii.gz")
    made["pet_float32.nii.gz"] = 3

    # pet_int16_scaled.nii ---------------------------------------------------
    slope, inter = 0.37, -12.0
    raw = np.clip(np.rint((pet.astype(np.float64) - inter) / slope), -32768, 32767).astype(np.int16)
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(PET_SHAPE)
    hdr.set_data_dtype(np.int16)
    hdr.set_zooms(PET_ZOOMS)
    hdr.set_sform(PET_AFFINE, code=1)
    hdr.set_qform(PET_AFFINE, code=1)
    hdr.set_xyzt_units("mm")
    hdr["descrip"] = b"VoxDose reference pet_int16_scaled"
    hdr.set_slope_inter(slope, inter)
    hdr.set_data_offset(352)
    write_raw_nifti1("pet_int16_scaled.nii", hdr, raw)
    made["pet_int16_scaled.nii"] = 3

    # pet_nan.nii.gz --------------------------------------------------------
    lab = label_volume()
    pet_nan = pet.copy()
    flat = pet_nan.reshape(-1)          # view (C order)
    candidates = np.flatnonzero(lab.reshape(-1) != 10)   # keep the 1-voxel label finite
    pick = rng.choice(candidates, size=48, replace=False)
    flat[pick[:40]] = np.nan
    flat[pick[40:46]] = np.inf
    flat[pick[46:]] = -np.inf
    img = nib.Nifti1Image(pet_nan, PET_AFFINE)
    finish_header(img, "VoxDose reference pet_nan", 1, 1, PET_AFFINE)
    save(img, "pet_nan.nii.gz")
    made["pet_nan.nii.gz"] = 3

    # labels.nii.gz ---------------------------------------------------------
    img = nib.Nifti1Image(lab, PET_AFFINE)
    finish_header(img, "VoxDose reference labels int16", 1, 1, PET_AFFINE)
    save(img, "labels.nii.gz")
    made["labels.nii.gz"] = 3

    # labels_uint8.nii ------------------------------------------------------
    img = nib.Nifti1Image(labels_uint8_volume(), PET_AFFINE)
    finish_header(img, "VoxDose reference labels uint8", 1, 1, PET_AFFINE)
    save(img, "labels_uint8.nii")
    made["labels_uint8.nii"] = 3

    # labels_fine.nii.gz ----------------------------------------------------
    img = nib.Nifti1Image(labels_fine_volume(), FINE_AFFINE)
    finish_header(img, "VoxDose reference labels fine +0.3 vox", 1, 1, FINE_AFFINE)
    save(img, "labels_fine.nii.gz")
    made["labels_fine.nii.gz"] = 3

    # frames_4d.nii.gz ------------------------------------------------------
    shape4 = (16, 14, 10, 3)
    aff4 = make_affine(np.eye(3), (3.0, 3.0, 4.0), (-22.5, -19.5, -18.0))
    i, j, k = np.indices(shape4[:3]).astype(float)
    base = 200.0 * np.exp(-(((i - 7.2) / 4.0) ** 2 + ((j - 6.1) / 3.5) ** 2 + ((k - 4.4) / 3.0) ** 2))
    frames = np.stack([base * (1.0 + 0.5 * f) + 10.0 * f + rng.normal(0, 5.0, shape4[:3])
                       for f in range(shape4[3])], axis=-1).astype(np.float32)
    img = nib.Nifti1Image(frames, aff4)
    finish_header(img, "VoxDose reference frames 4D", 2, 0, aff4, units=("mm", "sec"),
                  time_step=60.0)
    save(img, "frames_4d.nii.gz")
    made["frames_4d.nii.gz"] = 4

    # nifti2_float64.nii ----------------------------------------------------
    shape2 = (12, 10, 8)
    aff2 = make_affine(rot(-4.0, 6.0, 10.0), (1.7, 1.9, 2.3), (-10.123456789, 20.987654321, -5.5))
    # values on a 1/256 grid: exactly representable in float32, so the
    # float32-vs-float64 choice cannot change any expected statistic
    vals = np.round(rng.normal(100.0, 40.0, shape2) * 256.0) / 256.0
    img = nib.Nifti2Image(vals.astype(np.float64), aff2)
    finish_header(img, "VoxDose reference NIfTI-2 float64", 1, 1, aff2)
    save(img, "nifti2_float64.nii")
    made["nifti2_float64.nii"] = 3

    # bigendian_int16.nii ---------------------------------------------------
    shapeb = (20, 18, 12)
    affb = make_affine(np.eye(3), (2.0, 2.0, 2.2), (19.0, -17.0, -12.1), flip=(-1, 1, 1))
    datab = np.rint(rng.normal(0.0, 900.0, shapeb)).clip(-32768, 32767).astype(">i2")
    hdrb = nib.Nifti1Header(endianness=">")
    img = nib.Nifti1Image(datab, affb, header=hdrb)
    img.set_data_dtype(">i2")    # a passed header's dtype (float32) would win otherwise
    finish_header(img, "VoxDose reference big-endian int16", 1, 1, affb)
    save(img, "bigendian_int16.nii")
    made["bigendian_int16.nii"] = 3

    # qform_only.nii.gz (uint16, oblique, left-handed -> qfac = -1) ---------
    shapeq = (24, 20, 16)
    affq = make_affine(rot(7.0, 0.0, -12.0), (1.25, 1.5, 2.0), (30.2, -25.4, 14.6), flip=(1, 1, -1))
    dataq = rng.integers(0, 60000, shapeq).astype(np.uint16)
    img = nib.Nifti1Image(dataq, affq)
    finish_header(img, "VoxDose reference qform only", 0, 1, affq)
    save(img, "qform_only.nii.gz")
    made["qform_only.nii.gz"] = 3

    # extra: pixdim_only.nii (both codes 0, int8) ---------------------------
    shapep = (10, 9, 8)
    datap = rng.integers(-128, 128, shapep).astype(np.int8)
    affp = make_affine(np.eye(3), (1.5, 2.5, 3.5), (0.0, 0.0, 0.0))
    img = nib.Nifti1Image(datap, affp)
    finish_header(img, "VoxDose reference no sform/qform", 0, 0, affp)
    save(img, "pixdim_only.nii")
    made["pixdim_only.nii"] = 3

    # extra: slope_zero.nii (int16, scl_slope 0, scl_inter 5 -> no scaling) --
    shapez = (8, 7, 6)
    dataz = rng.integers(-1000, 1000, shapez).astype(np.int16)
    affz = make_affine(np.eye(3), (2.0, 2.0, 2.0), (-8.0, -7.0, -6.0))
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(shapez)
    hdr.set_data_dtype(np.int16)
    hdr.set_zooms((2.0, 2.0, 2.0))
    hdr.set_sform(affz, code=1)
    hdr.set_qform(affz, code=1)
    hdr.set_xyzt_units("mm")
    hdr["descrip"] = b"VoxDose reference scl_slope 0"
    hdr["scl_slope"] = 0.0
    hdr["scl_inter"] = 5.0
    hdr.set_data_offset(352)
    write_raw_nifti1("slope_zero.nii", hdr, dataz)
    made["slope_zero.nii"] = 3

    return made


# ----------------------------------------------------------------------------
# 2. reading back + cross-checks
# ----------------------------------------------------------------------------

DTYPE_NAMES = {"uint8", "int8", "int16", "uint16", "int32", "uint32", "int64",
               "uint64", "float32", "float64"}


def jf(x):
    """JSON float: full precision, non-finite -> None."""
    x = float(x)
    return x if math.isfinite(x) else None


def raw_by_hand(path, hdr):
    """Independent raw-byte parse (numpy only) to cross-check nibabel."""
    with Opener(path, "rb") as f:
        blob = f.read()
    first = blob[:4]
    sizeof_le = int.from_bytes(first, "little")
    sizeof_be = int.from_bytes(first, "big")
    if sizeof_le in (348, 540):
        order, sizeof = "<", sizeof_le
    elif sizeof_be in (348, 540):
        order, sizeof = ">", sizeof_be
    else:
        raise AssertionError(f"{path}: bad sizeof_hdr")
    if sizeof == 348:
        dim = np.frombuffer(blob, order + "i2", 8, 40)
        datatype = int(np.frombuffer(blob, order + "i2", 1, 70)[0])
        vox_offset = int(np.frombuffer(blob, order + "f4", 1, 108)[0])
    else:
        dim = np.frombuffer(blob, order + "i8", 8, 16)
        datatype = int(np.frombuffer(blob, order + "i2", 1, 12)[0])
        vox_offset = int(np.frombuffer(blob, order + "i8", 1, 168)[0])
    codes = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2",
             768: "u4", 1024: "i8", 1280: "u8"}
    shape = tuple(int(d) for d in dim[1:dim[0] + 1])
    n = int(np.prod(shape))
    dt = np.dtype(order + codes[datatype])
    arr = np.frombuffer(blob, dt, n, vox_offset).reshape(shape, order="F")
    return order, sizeof, arr


def image_info(name):
    path = rel(name)
    img = nib.load(path)
    # NB: nibabel resets scl_slope/scl_inter (to NaN) and vox_offset (to 0) in
    # img.header after loading (the scaling lives in img.dataobj), so header
    # facts are taken from a fresh parse of the file's header block.
    with Opener(path, "rb") as f:
        hdr = type(img.header).from_fileobj(f)
    assert hdr.endianness == img.header.endianness
    is2 = isinstance(hdr, nib.Nifti2Header)
    order, sizeof, raw = raw_by_hand(path, hdr)
    assert order == hdr.endianness, (name, order, hdr.endianness)
    assert sizeof == (540 if is2 else 348)
    unscaled = np.asarray(img.dataobj.get_unscaled())
    assert unscaled.dtype == raw.dtype and np.array_equal(unscaled, raw, equal_nan=True), name

    ndim = int(hdr["dim"][0])
    dt = hdr.get_data_dtype()
    dtname = dt.newbyteorder("=").name
    assert dtname in DTYPE_NAMES, dtname
    sform_code = int(hdr["sform_code"])
    qform_code = int(hdr["qform_code"])
    if sform_code > 0:
        source = "sform"
        assert np.array_equal(img.affine, hdr.get_sform())
    elif qform_code > 0:
        source = "qform"
        assert np.array_equal(img.affine, hdr.get_qform())
    else:
        source = "pixdim"
        assert np.array_equal(img.affine, hdr.get_base_affine())
    slope, inter = hdr.get_slope_inter()
    if slope is None:
        assert img.dataobj.slope == 1.0 and img.dataobj.inter == 0.0
    else:
        assert img.dataobj.slope == slope and img.dataobj.inter == inter
    descrip = hdr["descrip"].item().decode("latin1")
    space_u, time_u = hdr.get_xyzt_units()
    assert space_u == "mm", (name, space_u)

    info = {
        "format": "nifti2" if is2 else "nifti1",
        "compressed": name.endswith(".gz"),
        "byte_order": "big" if hdr.endianness == ">" else "little",
        "dim": [int(d) for d in hdr["dim"][1:ndim + 1]],
        "datatype": dtname,
        "datatype_code": int(hdr["datatype"]),
        "spacing_mm": [jf(z) for z in hdr.get_zooms()[:3]],
        "affine": [[jf(v) for v in row] for row in img.affine],
        "affine_source": source,
        "qform_code": qform_code,
        "sform_code": sform_code,
        "scl_slope": None if slope is None else jf(slope),
        "scl_inter": None if inter is None else jf(inter),
        "description": descrip,
    }
    extra = {
        "sizeof_hdr": sizeof,
        "vox_offset": float(hdr["vox_offset"]),
        "pixdim": [jf(p) for p in hdr["pixdim"]],
        "qfac": jf(hdr["pixdim"][0]),
        "xyzt_units": int(hdr["xyzt_units"]),
        "space_units": space_u,
        "time_units": time_u,
        "raw_scl_slope": jf(hdr["scl_slope"]) if math.isfinite(float(hdr["scl_slope"])) else str(float(hdr["scl_slope"])),
        "raw_scl_inter": jf(hdr["scl_inter"]) if math.isfinite(float(hdr["scl_inter"])) else str(float(hdr["scl_inter"])),
        "quatern_bcd": [jf(hdr[k]) for k in ("quatern_b", "quatern_c", "quatern_d")],
        "qoffset_xyz": [jf(hdr[k]) for k in ("qoffset_x", "qoffset_y", "qoffset_z")],
        "qform_affine": [[jf(v) for v in row] for row in hdr.get_qform()],
        "sform_affine": [[jf(v) for v in row] for row in hdr.get_sform()],
        "first4_bytes_hex": open_first4(path),
    }
    return img, info, extra


def open_first4(path):
    with Opener(path, "rb") as f:
        return f.read(4).hex()


def float32_values(img):
    """Scaled values, float64 math then rounded to float32; asserted equal to
    nibabel's get_fdata(dtype=float32)."""
    raw = np.asarray(img.dataobj.get_unscaled())
    slope, inter = float(img.dataobj.slope), float(img.dataobj.inter)
    if slope == 1.0 and inter == 0.0:
        slope = None
    v64 = raw.astype(np.float64)
    if slope is not None:
        v64 = v64 * slope + inter
    v32 = v64.astype(np.float32)
    nib32 = img.get_fdata(dtype=np.float32)
    assert np.array_equal(v32, nib32, equal_nan=True), "float32 rounding differs from nibabel"
    return v32


def region_stats(values32, label, percentiles):
    v = values32.reshape(-1)
    finite = np.isfinite(v)
    x = v[finite].astype(np.float64)
    n = int(x.size)
    assert n > 0
    s = math.fsum(x.tolist())
    mean = s / n
    var = math.fsum(((x - mean) ** 2).tolist()) / n
    return {
        "label": label,
        "name": None,
        "voxels": n,
        "nan_voxels": int(v.size - n),
        "volume_ml": None,   # filled by caller (needs spacing)
        "sum": jf(s),
        "mean": jf(mean),
        "std": jf(math.sqrt(var)),
        "min": jf(x.min()),
        "max": jf(x.max()),
        "median": jf(np.median(x)),
        "percentiles": {key: jf(np.percentile(x, float(key))) for key in percentiles},
    }


def resample_nearest(target_img, label_img):
    shape = target_img.shape[:3]
    idx = np.indices(shape).reshape(3, -1).astype(np.float64)
    world = target_img.affine @ np.vstack([idx, np.ones(idx.shape[1])])
    src = (np.linalg.inv(label_img.affine) @ world)[:3]
    shifted = src + 0.5
    tie_dist = np.abs(shifted - np.floor(shifted) - 0.0)
    tie_dist = np.minimum(tie_dist, 1.0 - tie_dist)      # distance to an integer
    assert tie_dist.min() > 1e-6, f"rounding tie: {tie_dist.min()}"
    vox = np.floor(shifted).astype(np.int64)
    lshape = np.array(label_img.shape[:3])[:, None]
    inside = np.all((vox >= 0) & (vox < lshape), axis=0)
    labs = np.asarray(label_img.dataobj)
    out = np.zeros(idx.shape[1], dtype=np.int64)
    out[inside] = labs[vox[0, inside], vox[1, inside], vox[2, inside]]
    return out.reshape(shape), float(tie_dist.min())


def stats_case(images, image, labels=None, percentiles=None, frame=None, resample=False):
    args = [rel(image)]
    if labels is not None:
        args += ["--labels", rel(labels)]
    if resample:
        args += ["--resample-labels"]
    if frame is not None:
        args += ["--frame", str(frame)]
    if percentiles is not None:
        args += ["--percentiles", percentiles]
    pkeys = (percentiles or DEFAULT_PERCENTILES).split(",")

    img = images[image]
    vals = float32_values(img)
    if frame is not None:
        assert vals.ndim == 4
        vals = vals[..., frame]
    assert vals.ndim == 3
    zooms = [float(z) for z in img.header.get_zooms()[:3]]

    case = {"name": None, "args": args}
    regions = []
    if labels is None:
        regions.append(region_stats(vals, None, pkeys))
    else:
        limg = images[labels]
        if resample:
            lab, tie = resample_nearest(img, limg)
            case["min_distance_to_rounding_tie"] = tie
        else:
            assert limg.shape[:3] == vals.shape
            lab = np.asarray(limg.dataobj)
        labf = np.asarray(lab, dtype=np.float64)
        assert np.array_equal(labf, np.round(labf))
        lab = labf.astype(np.int64)
        present = [int(u) for u in np.unique(lab) if u != 0]
        for u in present:
            regions.append(region_stats(vals[lab == u], u, pkeys))
        if resample:
            case["resampled_label_voxels"] = {str(u): int(np.sum(lab == u)) for u in present}
    for r in regions:
        r["volume_ml"] = jf(r["voxels"] * (zooms[0] * zooms[1] * zooms[2]) / 1000.0)
    case["expected"] = {
        "schema": "voxdose.stats/1",
        "image": rel(image),
        "labels": rel(labels) if labels is not None else None,
        "frame": frame,
        "regions": regions,
    }
    parts = [image.split(".")[0]]
    if labels:
        parts.append(labels.split(".")[0] + ("_resampled" if resample else ""))
    if frame is not None:
        parts.append(f"frame{frame}")
    if percentiles:
        parts.append("p" + percentiles.replace(",", "_"))
    case["name"] = "__".join(parts)
    return case


def main():
    made = build_images()
    images, infos = {}, {}
    for name, nd in made.items():
        img, info, extra = image_info(name)
        assert len(info["dim"]) == nd
        images[name] = img
        infos[name] = {"path": rel(name), "info": info, "header": extra}

    # sanity checks on what nibabel actually wrote
    assert infos["bigendian_int16.nii"]["header"]["first4_bytes_hex"] == "0000015c"
    assert infos["bigendian_int16.nii"]["info"]["byte_order"] == "big"
    assert infos["bigendian_int16.nii"]["info"]["datatype"] == "int16"
    for name, want in (("pet_float32.nii.gz", "float32"), ("pet_int16_scaled.nii", "int16"),
                       ("pet_nan.nii.gz", "float32"), ("labels.nii.gz", "int16"),
                       ("labels_uint8.nii", "uint8"), ("labels_fine.nii.gz", "int16"),
                       ("frames_4d.nii.gz", "float32"), ("nifti2_float64.nii", "float64"),
                       ("qform_only.nii.gz", "uint16"), ("pixdim_only.nii", "int8"),
                       ("slope_zero.nii", "int16")):
        assert infos[name]["info"]["datatype"] == want, (name, infos[name]["info"]["datatype"])
    assert infos["pet_int16_scaled.nii"]["info"]["scl_slope"] == float(np.float32(0.37))
    assert infos["pet_int16_scaled.nii"]["info"]["scl_inter"] == -12.0
    assert infos["slope_zero.nii"]["info"]["scl_slope"] is None
    assert infos["qform_only.nii.gz"]["info"]["affine_source"] == "qform"
    assert infos["qform_only.nii.gz"]["header"]["qfac"] == -1.0
    assert infos["pixdim_only.nii"]["info"]["affine_source"] == "pixdim"
    assert infos["frames_4d.nii.gz"]["info"]["sform_code"] == 2
    lab = np.asarray(images["labels.nii.gz"].dataobj)
    assert sorted(int(u) for u in np.unique(lab)) == [0, 1, 2, 3, 10, 300]
    assert int(np.sum(lab == 10)) == 1
    pn = np.asarray(images["pet_nan.nii.gz"].dataobj)
    assert np.isnan(pn).sum() == 40 and np.isposinf(pn).sum() == 6 and np.isneginf(pn).sum() == 2
    assert np.nanmin(np.asarray(images["pet_float32.nii.gz"].dataobj)) < 0

    cases = []
    three_d = [n for n, nd in made.items() if nd == 3]
    for n in three_d:
        cases.append(stats_case(images, n))
    cases.append(stats_case(images, "pet_float32.nii.gz", percentiles="2,5,50,95,97.5"))
    cases.append(stats_case(images, "pet_float32.nii.gz", percentiles="0,25,75,100,99.9"))
    for pet in ("pet_float32.nii.gz", "pet_int16_scaled.nii", "pet_nan.nii.gz"):
        cases.append(stats_case(images, pet, labels="labels.nii.gz", percentiles="2,5,50,95,97.5"))
        cases.append(stats_case(images, pet, labels="labels_uint8.nii"))
    cases.append(stats_case(images, "frames_4d.nii.gz", frame=1))
    cases.append(stats_case(images, "frames_4d.nii.gz", frame=1, percentiles="10,90"))
    cases.append(stats_case(images, "pet_float32.nii.gz", labels="labels_fine.nii.gz", resample=True))
    cases.append(stats_case(images, "pet_nan.nii.gz", labels="labels_fine.nii.gz", resample=True,
                            percentiles="2,5,50,95,97.5"))
    # every fine label survives resampling (no empty regions)
    fine_present = sorted(int(u) for u in np.unique(np.asarray(images["labels_fine.nii.gz"].dataobj)) if u)
    assert sorted(int(k) for k in cases[-2]["resampled_label_voxels"]) == fine_present
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names)

    doc = {
        "schema": "voxdose.reference/1",
        "generator": {
            "script": rel("make_reference.py"),
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "nibabel": nib.__version__,
        },
        "conventions": {
            "values": "slope*raw+inter in float64, rounded to float32; non-finite excluded (nan_voxels)",
            "accumulation": "float64; sum=math.fsum; std population (ddof=0), two-pass",
            "percentiles": "numpy.percentile default (linear), keys as written on the command line",
            "default_percentiles": DEFAULT_PERCENTILES,
            "frame_index_base": 0,
            "resample": "nearest: floor(inv(A_labels).A_image.(i,j,k,1) + 0.5), outside -> 0",
            "affine": "nibabel img.affine: sform if sform_code>0, else qform if qform_code>0, else nibabel base affine",
        },
        "images": infos,
        "stats": cases,
    }
    with open(rel("expected.json"), "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    total = sum(os.path.getsize(rel(n)) for n in list(made) + ["expected.json"])
    print(f"wrote {len(made)} images, {len(cases)} stats cases, {total} bytes total")


if __name__ == "__main__":
    main()
