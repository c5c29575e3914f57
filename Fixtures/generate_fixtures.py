#!/usr/bin/env python3
"""Generate the VoxDose NIfTI test fixtures.

Run from the repository root:

    python3 Fixtures/generate_fixtures.py           # (re)write all fixtures
    python3 Fixtures/generate_fixtures.py --check   # exit 1 if any file would change

The files are written next to this script (Fixtures/nifti, Fixtures/malformed,
Fixtures/example).  The generator is deterministic and idempotent: it uses no
clock, no OS randomness and no NIfTI library.  Headers are packed byte by byte
with `struct`, voxel data with numpy, and gzip containers are assembled by hand
(zlib raw deflate, level 6, mtime 0, no file name, OS byte 255) so that runs
are byte-identical.  (Compressed bytes depend on the zlib build; the
uncompressed content never does.)  Pseudo-random numbers come from a counter
based SplitMix64 hash written out below, and the "noise" uses only + - * /
and one correctly rounded sqrt, so the values do not depend on numpy's RNG or
on libm.

Only files listed here are written; stale files are never deleted.

Header layouts were checked against /usr/include/nifti/nifti1.h and nifti2.h
with offsetof(): NIfTI-1 348 bytes (+4 extension bytes, data at 352),
NIfTI-2 540 bytes (+4, data at 544).

Conventions shared by the valid fixtures (unless a file says otherwise)
-----------------------------------------------------------------------
* shape 4x3x2, voxel value at (i,j,k) = i + 4j + 12k (the flat index; data
  are stored x fastest, as NIfTI requires);
* pixdim = [-1 (qfac), 2, 3, 4, 1, 1, 1, 1], xyzt_units = 10 (mm + s);
* sform_code 1, srow = [[-2,0,0,10.5],[0,3,0,-20.25],[0,0,4,30]];
* qform_code 1 describing the same affine: quatern (b,c,d) = (0,1,0)
  (180 deg about y, so a = 0), qfac = -1, qoffset = (10.5,-20.25,30);
* scl_slope 1, scl_inter 0 (identity scaling: expected.json reports 1 and 0);
* descrip = "VoxDose <name>: <short note>" (at most 79 bytes, NUL-padded).

Fixtures/nifti/ (valid; every one is described in nifti/expected.json)
---------------------------------------------------------------------
expected.json has "notes" (the rules used), "files" (one entry per fixture
with the keys the brief asks for plus image_path, header_compressed,
vox_offset, xyzt_units, time_step_s and, where needed, nonfinite) and
"stats" (per-label count/volume/sum/mean/min/max of stats_image over
stats_labels, and which label files must be refused).

dt_<type>.nii            one per datatype: uint8 int8 int16 uint16 int32 uint32
                         int64 uint64 float32 float64 (values 0..23).
range_<type>.nii         (extra) 4x1x1 integer files holding the extremes of each
                         integer type, so signedness/width/byte-swap mistakes
                         show: [min, max, -1, 0] for signed, [0, max, 1, mid] for
                         unsigned.  The 64-bit values are chosen to be exactly
                         representable as Double: int64 [-2^63, 2^63-1024, -1,
                         2^53+2], uint64 [0, 2^64-2048, 1, 2^63].
scaled_int16.nii         raw = index, scl_slope 0.5, scl_inter -3.
scaled_slope_zero.nii    slope 0, inter 5 -> no scaling (inter ignored).
scaled_slope_nan.nii     slope NaN, inter 7 -> no scaling.
scaled_slope_one_inter.nii  slope 1, inter 100 -> values index + 100.
qform_only.nii           sform_code 0 (srow holds a decoy that must be ignored),
                         qform_code 1, oblique quaternion (0.1,-0.2,0.3),
                         qfac -1, qoffset (-35.5, 12.25, 48).
sform_only.nii           qform_code 0 (quaternion fields hold a decoy),
                         sform_code 2, oblique sheared srow.
pixdim_only.nii          both codes 0 (decoys in srow and quatern): NIfTI
                         "method 1" affine diag(2,3,4) with zero offset.
units_meter.nii          xyzt_units 1+8, pixdim 0.002/0.003/0.004, sform and
                         qform in metres (reader must convert x1000 to mm).
units_micron.nii         xyzt_units 3+8, pixdim 2000/3000/4000, sform/qform in
                         microns (x0.001).
units_unknown.nii        xyzt_units 0 -> treated as mm.
frames_4d.nii            float32 4x3x2x3, value = index + 1000 t, pixdim[4] 1.5 s.
single_frame_4d.nii      float32, dim[0] = 4 with dim[4] = 1.
twod.nii                 int16, dim[0] = 2 (4x3), value = index; pixdim[3] = 4
                         and the sform's third column are still present.
extension_comment.nii    (extra) extension[0] = 1 followed by one 48-byte
                         header extension (ecode 6, comment); vox_offset 400.
descrip_80.nii           (extra) descrip fills all 80 bytes with no NUL and
                         aux_file is filled too: a reader must stop at 80.
gzip_float32.nii.gz      gzip of exactly the bytes of dt_float32.nii.
gzip_int16_scaled.nii.gz gzip of exactly the bytes of scaled_int16.nii.
gzip_multimember.nii.gz  dt_float32.nii split into 3 concatenated gzip members
                         (split at bytes 200 and 380, i.e. inside the header
                         and inside the data).
big_endian_int16.nii     big-endian header and data, value = 100*index - 1000.
big_endian_float32.nii   big-endian, value = 1.5*(index - 10).
big_endian_float64_scaled.nii.gz  big-endian float64, raw = index,
                         slope 0.25, inter 1.5.
nifti2_float32.nii       NIfTI-2 (540-byte header, data at 544), offsets
                         (10.1,-20.2,30.3) that are not float32-representable,
                         so reading them as Float shows.
nifti2_int16_scaled.nii.gz  NIfTI-2, slope 0.1, inter -3.3 (doubles).
nifti2_big_endian.nii    NIfTI-2 big-endian int32, value = index - 12.
pair_int16.hdr/.img      magic "ni1\\0", vox_offset 0, .hdr is 352 bytes
                         (348 + 4 zero extension bytes).
pair_float32.hdr/.img.gz header plain (348 bytes, no extension bytes), image
                         gzipped: a reader opening the .hdr must look for
                         .img and then .img.gz.
pair_gz.hdr.gz/.img.gz   both halves gzipped (int16, value = index).
nan_values.nii           float32, value = index - 8 except: index 3 NaN,
                         9 +inf, 14 -inf, 20 = -0.001 (float32).
stats_image.nii          float32 6x5x4, value = k/16 with k a pseudo-random
                         integer in [-160, 800] (exact in float32, and sums of
                         them are exact in Double).
stats_labels.nii         int16, same grid: label 1 x0-2,y0-4,z0-1 (30 voxels);
                         2 x3-5,y0-2 (36); 3 x0-2,y0-4,z2-3 (30); 7 only at
                         (5,4,3) (1 voxel); 0 elsewhere; label 5 absent.
stats_labels_float.nii   the same labels stored as float32.
stats_labels_nonint.nii  as float32 labels but voxel (1,1,1) = 1.5 -> a stats
                         tool must refuse it.
stats_labels_othergrid.nii  the same labels on a 7x6x4 grid shifted by one
                         voxel in x and y (offset 12.5,-23.25,30): refuse
                         without --resample-labels; nearest-neighbour
                         resampling onto the image grid gives stats_labels
                         exactly (voxel centres coincide, no ties).

Fixtures/malformed/ (each must give an error; see malformed/MANIFEST.json)
-------------------------------------------------------------------------
Apart from empty, garbage and Analyze files, each one is a valid fixture
with a single defect.  MANIFEST.json maps a
file name to {"why", "expect", "also_ok", "stage"[, "companion"]}: "expect" is
the preferred lowercase substring of the error message, "also_ok" lists other
wordings that are equally defensible, "stage" is "header" or "data" (data =
header fine, data missing or corrupt), "companion" names a second file that
belongs to the case (not to be opened on its own).

Beyond the list in the brief there are: nifti2_short_header.nii (400 of the 540
NIfTI-2 header bytes) and crc_mismatch.nii.gz (intact deflate data, wrong
CRC32: nibabel, which stops reading once it has the voxels, loads it; a
careful reader checks the trailer).  corrupt.nii.gz fails inside inflate
itself, after the header and some data have come out.  huge_dims.nii uses
32767^3 because dim[] is int16 (65535 cannot be stored), and
huge_dims_nifti2.nii uses 2^40 x 2^20 x 1 so that, unlike
overflow_dims_nifti2.nii, its voxel and byte counts still fit in Int64.

Fixtures/example/ (demo data for the README)
--------------------------------------------
pet_y90.nii.gz  float32 Bq/mL, 64x64x40, 4 mm isotropic, sform+qform code 1,
                affine [[-4,0,0,126],[0,-4,0,150],[0,0,4,-78]] (x and y flipped;
                qform quaternion (0,0,1), qfac 1).  Torso elliptic cylinder at
                5 kBq/mL, liver ellipsoid 0.3 MBq/mL, three spherical lesions
                4.0 / 2.5 / 1.5 MBq/mL (radius 9 / 15 / 22 mm), multiplicative
                noise (1 + 0.25 n), n approximately normal from a fixed seed
                (|n| <= 2 sqrt 3, so the factor stays >= 0.13 and the clip
                at 0 is only a safeguard).
labels.nii.gz   int16 same grid: 1 liver, 2 lesion_small, 3 lesion_medium,
                4 lesion_large, 0 elsewhere.
labels.tsv      "label<TAB>name" then one row per label.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import math
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
GZIP_LEVEL = 6

# --------------------------------------------------------------------------
# Datatypes
# --------------------------------------------------------------------------

# name -> (NIfTI code, numpy dtype, bitpix)
DTYPES: dict[str, tuple[int, str, int]] = {
    "uint8": (2, "u1", 8),
    "int16": (4, "i2", 16),
    "int32": (8, "i4", 32),
    "float32": (16, "f4", 32),
    "complex64": (32, "c8", 64),
    "float64": (64, "f8", 64),
    "rgb24": (128, "u1", 24),  # written as raw bytes, 3 per voxel
    "int8": (256, "i1", 8),
    "uint16": (512, "u2", 16),
    "uint32": (768, "u4", 32),
    "int64": (1024, "i8", 64),
    "uint64": (1280, "u8", 64),
}

NIFTI2_MAGIC = b"n+2\0\r\n\x1a\n"
NIFTI2_PAIR_MAGIC = b"ni2\0\r\n\x1a\n"


def f32(x: float) -> float:
    """The float64 value of x after rounding to float32 (what a NIfTI-1 header stores)."""
    return float(np.float32(x))


# --------------------------------------------------------------------------
# Deterministic pseudo-random numbers (SplitMix64 as a counter-based hash)
# --------------------------------------------------------------------------


def splitmix64(seed: int, n: int) -> np.ndarray:
    """n uint64 values: the SplitMix64 output for counters 1..n under `seed`."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def uniform01(seed: int, n: int) -> np.ndarray:
    """n float64 values in [0, 1) with 53 random bits each (exact arithmetic)."""
    return (splitmix64(seed, n) >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)


def approx_normal(seed: int, n: int) -> np.ndarray:
    """Irwin-Hall approximation of N(0,1): (sum of 4 uniforms - 2) * sqrt(3)."""
    u = uniform01(seed, 4 * n).reshape(4, n)
    return (u[0] + u[1] + u[2] + u[3] - 2.0) * math.sqrt(3.0)


# --------------------------------------------------------------------------
# gzip, written by hand so every byte is under our control
# --------------------------------------------------------------------------


def gzip_member(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    co = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    body = co.compress(data) + co.flush()
    header = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + b"\x00" + b"\xff"  # no flags, mtime 0, XFL 0, OS unknown
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + body + trailer


def gzip_bytes(data: bytes, split_at: tuple[int, ...] = ()) -> bytes:
    """gzip `data`; with split_at, as several concatenated members."""
    cuts = [0, *split_at, len(data)]
    out = b"".join(gzip_member(data[a:b]) for a, b in zip(cuts, cuts[1:]))
    assert gzip.decompress(out) == data
    return out


# --------------------------------------------------------------------------
# Image description and header packing
# --------------------------------------------------------------------------

DEFAULT_SROW = ((-2.0, 0.0, 0.0, 10.5), (0.0, 3.0, 0.0, -20.25), (0.0, 0.0, 4.0, 30.0))
DEFAULT_QUATERN = (0.0, 1.0, 0.0)
DEFAULT_QOFFSET = (10.5, -20.25, 30.0)


@dataclasses.dataclass
class Img:
    """Everything that goes into one NIfTI file.  `raw` is the flat voxel array
    in file order (x fastest) with the file's numpy dtype (native order)."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    raw: np.ndarray | bytes
    fmt: str = "nifti1"  # or "nifti2"
    endian: str = "<"
    pixdim: tuple[float, ...] = (-1.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 1.0)
    xyzt_units: int = 10
    sform_code: int = 1
    srow: tuple[tuple[float, ...], ...] = DEFAULT_SROW
    qform_code: int = 1
    quatern: tuple[float, float, float] = DEFAULT_QUATERN
    qoffset: tuple[float, float, float] = DEFAULT_QOFFSET
    scl_slope: float = 1.0
    scl_inter: float = 0.0
    descrip: bytes = b""
    aux_file: bytes = b""
    extension: bytes = b""  # extension blocks after the 4-byte extender (sets extension[0]=1)
    # overrides used by the malformed fixtures
    dim_override: tuple[int, ...] | None = None  # the full dim[8]
    datatype_code: int | None = None
    bitpix: int | None = None
    vox_offset: float | None = None
    sizeof_hdr: int | None = None
    magic: bytes | None = None

    # -- derived -----------------------------------------------------------
    @property
    def code(self) -> int:
        return self.datatype_code if self.datatype_code is not None else DTYPES[self.datatype][0]

    @property
    def dim8(self) -> list[int]:
        if self.dim_override is not None:
            return list(self.dim_override)
        d = [len(self.shape), *self.shape]
        return d + [1] * (8 - len(d))

    def data_bytes(self) -> bytes:
        if isinstance(self.raw, (bytes, bytearray)):
            return bytes(self.raw)
        return self.raw.astype(self.raw.dtype.newbyteorder(self.endian)).tobytes()


def _fixed(s: bytes, n: int) -> bytes:
    assert len(s) <= n, (s, n)
    return s + b"\0" * (n - len(s))


def header_bytes(img: Img, pair: bool = False) -> bytes:
    """Pack the 348-byte (NIfTI-1) or 540-byte (NIfTI-2) header."""
    e = img.endian
    bitpix = img.bitpix if img.bitpix is not None else DTYPES[img.datatype][2]
    b, c, d = img.quatern
    qx, qy, qz = img.qoffset
    srow = [v for row in img.srow for v in row]
    if img.fmt == "nifti1":
        vox = img.vox_offset if img.vox_offset is not None else (0.0 if pair else 352.0 + len(img.extension))
        h = bytearray(348)
        struct.pack_into(e + "i", h, 0, img.sizeof_hdr if img.sizeof_hdr is not None else 348)
        h[38] = ord("r")  # regular (Analyze legacy), as most writers set it
        struct.pack_into(e + "8h", h, 40, *img.dim8)
        struct.pack_into(e + "3f", h, 56, 0.0, 0.0, 0.0)  # intent_p1..3
        struct.pack_into(e + "4h", h, 68, 0, img.code, bitpix, 0)  # intent_code datatype bitpix slice_start
        struct.pack_into(e + "8f", h, 76, *img.pixdim)
        struct.pack_into(e + "3f", h, 108, vox, img.scl_slope, img.scl_inter)
        struct.pack_into(e + "hBB", h, 120, 0, 0, img.xyzt_units)  # slice_end slice_code xyzt_units
        struct.pack_into(e + "4f2i", h, 124, 0.0, 0.0, 0.0, 0.0, 0, 0)  # cal_max cal_min slice_duration toffset glmax glmin
        h[148:228] = _fixed(img.descrip, 80)
        h[228:252] = _fixed(img.aux_file, 24)
        struct.pack_into(e + "2h", h, 252, img.qform_code, img.sform_code)
        struct.pack_into(e + "6f", h, 256, b, c, d, qx, qy, qz)
        struct.pack_into(e + "12f", h, 280, *srow)
        h[344:348] = img.magic if img.magic is not None else (b"ni1\0" if pair else b"n+1\0")
        return bytes(h)
    assert img.fmt == "nifti2"
    vox = img.vox_offset if img.vox_offset is not None else (0 if pair else 544 + len(img.extension))
    h = bytearray(540)
    struct.pack_into(e + "i", h, 0, img.sizeof_hdr if img.sizeof_hdr is not None else 540)
    h[4:12] = img.magic if img.magic is not None else (NIFTI2_PAIR_MAGIC if pair else NIFTI2_MAGIC)
    struct.pack_into(e + "2h", h, 12, img.code, bitpix)
    struct.pack_into(e + "8q", h, 16, *img.dim8)
    struct.pack_into(e + "3d", h, 80, 0.0, 0.0, 0.0)
    struct.pack_into(e + "8d", h, 104, *img.pixdim)
    struct.pack_into(e + "q", h, 168, int(vox))
    struct.pack_into(e + "6d", h, 176, img.scl_slope, img.scl_inter, 0.0, 0.0, 0.0, 0.0)
    struct.pack_into(e + "2q", h, 224, 0, 0)  # slice_start slice_end
    h[240:320] = _fixed(img.descrip, 80)
    h[320:344] = _fixed(img.aux_file, 24)
    struct.pack_into(e + "2i", h, 344, img.qform_code, img.sform_code)
    struct.pack_into(e + "6d", h, 352, b, c, d, qx, qy, qz)
    struct.pack_into(e + "12d", h, 400, *srow)
    struct.pack_into(e + "3i", h, 496, 0, img.xyzt_units, 0)  # slice_code xyzt_units intent_code
    # intent_name (508), dim_info (524), unused_str (525) stay zero
    return bytes(h)


def extender(img: Img) -> bytes:
    return (b"\x01\0\0\0" + img.extension) if img.extension else b"\0\0\0\0"


def nii_bytes(img: Img) -> bytes:
    """A single-file .nii: header, 4 extension bytes (+ extensions), data."""
    return header_bytes(img) + extender(img) + img.data_bytes()


# --------------------------------------------------------------------------
# Expected values (computed from what we write, never read back)
# --------------------------------------------------------------------------

UNIT_FACTOR_TO_MM = {0: 1.0, 1: 1000.0, 2: 1.0, 3: 0.001}


def json_number(x: Any) -> Any:
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else None


def expected_entry(img: Img, path: str, *, compressed: bool, header_compressed: bool,
                   image_path: str | None = None) -> dict[str, Any]:
    r = f32 if img.fmt == "nifti1" else float  # what the header can hold
    unit = img.xyzt_units & 7
    k = UNIT_FACTOR_TO_MM[unit]
    pix = [r(p) for p in img.pixdim]
    spacing = [pix[1] * k, pix[2] * k, pix[3] * k]
    if img.sform_code > 0:
        source = "sform"
        A = [[r(v) * k for v in row] for row in img.srow]
    elif img.qform_code > 0:
        source = "qform"
        b, c, d = (r(v) for v in img.quatern)
        a = math.sqrt(max(0.0, 1.0 - (b * b + c * c + d * d)))
        R = [
            [a * a + b * b - c * c - d * d, 2 * b * c - 2 * a * d, 2 * b * d + 2 * a * c],
            [2 * b * c + 2 * a * d, a * a + c * c - b * b - d * d, 2 * c * d - 2 * a * b],
            [2 * b * d - 2 * a * c, 2 * c * d + 2 * a * b, a * a + d * d - c * c - b * b],
        ]
        qfac = -1.0 if pix[0] < 0 else 1.0
        scale = [pix[1], pix[2], qfac * pix[3]]
        off = [r(v) for v in img.qoffset]
        A = [[R[i][j] * scale[j] * k for j in range(3)] + [off[i] * k] for i in range(3)]
    else:
        source = "pixdim"
        A = [[spacing[0], 0.0, 0.0, 0.0], [0.0, spacing[1], 0.0, 0.0], [0.0, 0.0, spacing[2], 0.0]]
    affine = [row for row in A] + [[0.0, 0.0, 0.0, 1.0]]

    slope, inter = r(img.scl_slope), r(img.scl_inter)
    scaled = not (slope == 0.0 or not math.isfinite(slope))
    assert isinstance(img.raw, np.ndarray)
    raw = img.raw
    if scaled and not (slope == 1.0 and inter == 0.0):  # identity scaling keeps raw (integer) values
        assert math.isfinite(inter)
        vals = raw.astype(np.float64) * slope + inter
    else:
        vals = raw
    flat = [json_number(v) for v in vals.tolist()]
    nonfinite = {}
    if vals.dtype.kind == "f":
        for idx, v in enumerate(vals.tolist()):
            if not math.isfinite(v):
                nonfinite[str(idx)] = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")

    ndim = img.dim8[0]
    dims = img.dim8[1 : ndim + 1]
    if ndim == 4:
        n3 = dims[0] * dims[1] * dims[2]
        values: Any = [flat[t * n3 : (t + 1) * n3] for t in range(dims[3])]
    else:
        values = flat

    desc = img.descrip.split(b"\0", 1)[0].decode("ascii")
    entry: dict[str, Any] = {
        "path": path,
        "image_path": image_path,
        "format": img.fmt,
        "compressed": compressed,
        "header_compressed": header_compressed,
        "byte_order": "little" if img.endian == "<" else "big",
        "vox_offset": int(img.vox_offset) if img.vox_offset is not None else (
            0 if image_path else (352 if img.fmt == "nifti1" else 544) + len(img.extension)),
        "dim": dims,
        "datatype": img.datatype,
        "datatype_code": img.code,
        "xyzt_units": img.xyzt_units,
        "spacing_mm": spacing,
        "time_step_s": pix[4] if ndim >= 4 else None,
        "affine": affine,
        "affine_source": source,
        "qform_code": img.qform_code,
        "sform_code": img.sform_code,
        "scl_slope": slope if scaled else None,
        "scl_inter": inter if scaled else None,
        "description": desc,
        "values": values,
    }
    if nonfinite:
        entry["nonfinite"] = nonfinite
    return entry


# --------------------------------------------------------------------------
# JSON output: stable, compact lists of numbers on one line
# --------------------------------------------------------------------------


def dump_json(obj: Any, indent: int = 0) -> str:
    pad = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {dump_json(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        one_line = json.dumps(obj, allow_nan=False) if all(not isinstance(v, (dict, list)) for v in obj) else None
        if one_line is not None and (len(one_line) <= 100 or all(not isinstance(v, str) for v in obj)):
            return one_line  # numbers on one line however long; short lists of strings too
        items = [f"{pad}  {dump_json(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, allow_nan=False)


# --------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------


def index_values(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.arange(int(np.prod(shape))).astype(DTYPES[dtype][1])


def base(name: str, datatype: str = "float32", note: str = "value = i+4j+12k", **kw: Any) -> Img:
    shape = kw.pop("shape", (4, 3, 2))
    raw = kw.pop("raw", None)
    if raw is None:
        raw = index_values(shape, datatype)
    descrip = kw.pop("descrip", f"VoxDose {name}: {note}".encode("ascii"))
    assert len(descrip) <= 79 or name == "descrip_80.nii", descrip
    return Img(name=name, datatype=datatype, shape=shape, raw=raw, descrip=descrip, **kw)


class Out:
    """Collects output files (relative path -> bytes) and expected entries."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.expected: list[dict[str, Any]] = []
        self.manifest: dict[str, dict[str, Any]] = {}

    def add(self, rel: str, data: bytes) -> None:
        assert rel not in self.files, rel
        self.files[rel] = data

    # valid fixtures ----------------------------------------------------------
    def nii(self, img: Img, gz: bool = False, split_at: tuple[int, ...] = ()) -> bytes:
        rel = f"nifti/{img.name}"
        data = nii_bytes(img)
        self.add(rel, gzip_bytes(data, split_at) if gz else data)
        self.expected.append(expected_entry(img, rel, compressed=gz, header_compressed=gz))
        return data

    def pair(self, img: Img, stem: str, hdr_gz: bool, img_gz: bool, ext_bytes: bool) -> None:
        hdr = header_bytes(img, pair=True) + (extender(img) if ext_bytes else b"")
        hrel = f"nifti/{stem}.hdr" + (".gz" if hdr_gz else "")
        irel = f"nifti/{stem}.img" + (".gz" if img_gz else "")
        self.add(hrel, gzip_bytes(hdr) if hdr_gz else hdr)
        self.add(irel, gzip_bytes(img.data_bytes()) if img_gz else img.data_bytes())
        self.expected.append(expected_entry(img, hrel, compressed=img_gz, header_compressed=hdr_gz,
                                            image_path=irel))

    # malformed fixtures ------------------------------------------------------
    def bad(self, name: str, data: bytes, why: str, expect: str, stage: str,
            also_ok: tuple[str, ...] = (), companion: tuple[str, bytes] | None = None) -> None:
        assert stage in ("header", "data")
        self.add(f"malformed/{name}", data)
        entry: dict[str, Any] = {"why": why, "expect": expect, "also_ok": list(also_ok), "stage": stage}
        if companion is not None:
            self.add(f"malformed/{companion[0]}", companion[1])
            entry["companion"] = companion[0]
        self.manifest[name] = entry


# --------------------------------------------------------------------------
# Valid fixtures
# --------------------------------------------------------------------------

STATS_SHAPE = (6, 5, 4)


def stats_labels_array() -> np.ndarray:
    lab = np.zeros(STATS_SHAPE, dtype=np.int16)  # indexed [i, j, k]
    lab[0:3, 0:5, 0:2] = 1
    lab[3:6, 0:3, 0:4] = 2
    lab[0:3, 0:5, 2:4] = 3
    lab[5, 4, 3] = 7
    return lab


def fortran_flat(a: np.ndarray) -> np.ndarray:
    return a.ravel(order="F")


def build_valid(out: Out) -> dict[str, Any]:
    # one file per datatype
    for dt in ("uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"):
        out.nii(base(f"dt_{dt}.nii", dt))

    # integer extremes
    ranges = {
        "int8": [-128, 127, -1, 0],
        "uint8": [0, 255, 1, 128],
        "int16": [-32768, 32767, -1, 0],
        "uint16": [0, 65535, 1, 32768],
        "int32": [-(2 ** 31), 2 ** 31 - 1, -1, 0],
        "uint32": [0, 2 ** 32 - 1, 1, 2 ** 31],
        "int64": [-(2 ** 63), 2 ** 63 - 1024, -1, 2 ** 53 + 2],
        "uint64": [0, 2 ** 64 - 2048, 1, 2 ** 63],
    }
    for dt, vals in ranges.items():
        for v in vals:  # all exactly representable as Double
            assert int(float(v)) == v
        out.nii(base(f"range_{dt}.nii", dt, note="[min, max, +-1, mid] of the type", shape=(4, 1, 1),
                     raw=np.array(vals, dtype=DTYPES[dt][1])))

    # scaling
    out.nii(base("scaled_int16.nii", "int16", "raw=index, slope 0.5, inter -3", scl_slope=0.5, scl_inter=-3.0))
    out.nii(base("scaled_slope_zero.nii", "int16", "slope 0 inter 5: unscaled", scl_slope=0.0, scl_inter=5.0))
    out.nii(base("scaled_slope_nan.nii", "int16", "slope NaN inter 7: unscaled", scl_slope=math.nan, scl_inter=7.0))
    out.nii(base("scaled_slope_one_inter.nii", "int16", "slope 1 inter 100", scl_slope=1.0, scl_inter=100.0))

    # orientation sources
    decoy_srow = ((7.0, 0.5, 0.0, 1.0), (0.0, 7.0, 0.5, 2.0), (0.5, 0.0, 7.0, 3.0))
    out.nii(base("qform_only.nii", note="qform only, oblique, qfac -1; srow is a decoy",
                 sform_code=0, srow=decoy_srow, qform_code=1,
                 quatern=(0.1, -0.2, 0.3), qoffset=(-35.5, 12.25, 48.0)))
    out.nii(base("sform_only.nii", note="sform_code 2 oblique sheared; quatern is a decoy",
                 qform_code=0, quatern=(0.5, 0.5, 0.5), qoffset=(1.0, 2.0, 3.0), sform_code=2,
                 srow=((-1.9, 0.3, 0.2, 12.5), (0.25, 2.8, -0.5, -7.75), (0.1, 0.4, 3.9, 22.0))))
    out.nii(base("pixdim_only.nii", note="no qform/sform: diag(pixdim), zero offset",
                 qform_code=0, sform_code=0, srow=decoy_srow, quatern=(0.5, 0.5, 0.5), qoffset=(1.0, 2.0, 3.0)))

    # spatial units
    out.nii(base("units_meter.nii", note="xyzt_units 9: metres", xyzt_units=1 + 8,
                 pixdim=(-1.0, 0.002, 0.003, 0.004, 1.0, 1.0, 1.0, 1.0),
                 srow=((-0.002, 0.0, 0.0, 0.0105), (0.0, 0.003, 0.0, -0.02025), (0.0, 0.0, 0.004, 0.030)),
                 qoffset=(0.0105, -0.02025, 0.030)))
    out.nii(base("units_micron.nii", note="xyzt_units 11: microns", xyzt_units=3 + 8,
                 pixdim=(-1.0, 2000.0, 3000.0, 4000.0, 1.0, 1.0, 1.0, 1.0),
                 srow=((-2000.0, 0.0, 0.0, 10500.0), (0.0, 3000.0, 0.0, -20250.0), (0.0, 0.0, 4000.0, 30000.0)),
                 qoffset=(10500.0, -20250.0, 30000.0)))
    out.nii(base("units_unknown.nii", note="xyzt_units 0: treat as mm", xyzt_units=0))

    # dimensionality
    frames = (np.arange(72) % 24 + 1000 * (np.arange(72) // 24)).astype("f4")
    out.nii(base("frames_4d.nii", note="4-D, value = index + 1000 t", shape=(4, 3, 2, 3), raw=frames,
                 pixdim=(-1.0, 2.0, 3.0, 4.0, 1.5, 1.0, 1.0, 1.0), scl_slope=math.nan, scl_inter=math.nan))
    out.nii(base("single_frame_4d.nii", note="dim[0]=4 with one frame", shape=(4, 3, 2, 1)))
    out.nii(base("twod.nii", "int16", "2-D 4x3, value = i+4j", shape=(4, 3)))

    # header extension and a full-length description
    ext = bytearray(48)
    struct.pack_into("<ii", ext, 0, 48, 6)  # esize, ecode (NIFTI_ECODE_COMMENT)
    text = b"VoxDose test extension: skip me"
    ext[8 : 8 + len(text)] = text
    out.nii(base("extension_comment.nii", note="one 48-byte extension, vox_offset 400", extension=bytes(ext)))
    d80 = b"VoxDose fixture descrip_80.nii: this description fills all eighty bytes, no NUL!"
    assert len(d80) == 80, len(d80)
    out.nii(base("descrip_80.nii", descrip=d80, aux_file=b"AUX_FILE_MUST_NOT_APPEAR"))

    # gzip
    dt_float32 = nii_bytes(base("dt_float32.nii", "float32"))
    scaled_int16 = nii_bytes(base("scaled_int16.nii", "int16", "raw=index, slope 0.5, inter -3",
                                  scl_slope=0.5, scl_inter=-3.0))
    same = out.nii(dataclasses.replace(base("dt_float32.nii", "float32"), name="gzip_float32.nii.gz"), gz=True)
    assert same == dt_float32
    same = out.nii(dataclasses.replace(base("scaled_int16.nii", "int16", "raw=index, slope 0.5, inter -3",
                                            scl_slope=0.5, scl_inter=-3.0), name="gzip_int16_scaled.nii.gz"), gz=True)
    assert same == scaled_int16
    same = out.nii(dataclasses.replace(base("dt_float32.nii", "float32"), name="gzip_multimember.nii.gz"),
                   gz=True, split_at=(200, 380))
    assert same == dt_float32

    # big endian
    out.nii(base("big_endian_int16.nii", "int16", "big-endian, value = 100*index - 1000", endian=">",
                 raw=(np.arange(24) * 100 - 1000).astype("i2")))
    out.nii(base("big_endian_float32.nii", "float32", "big-endian, value = 1.5*(index-10)", endian=">",
                 raw=((np.arange(24) - 10) * 1.5).astype("f4")))
    out.nii(base("big_endian_float64_scaled.nii.gz", "float64", "BE, slope 0.25 inter 1.5", endian=">",
                 scl_slope=0.25, scl_inter=1.5), gz=True)

    # NIfTI-2
    n2 = dict(fmt="nifti2", srow=((-2.0, 0.0, 0.0, 10.1), (0.0, 3.0, 0.0, -20.2), (0.0, 0.0, 4.0, 30.3)),
              qoffset=(10.1, -20.2, 30.3))
    out.nii(base("nifti2_float32.nii", "float32", "NIfTI-2", **n2))
    out.nii(base("nifti2_int16_scaled.nii.gz", "int16", "NIfTI-2, slope 0.1 inter -3.3",
                 scl_slope=0.1, scl_inter=-3.3, **n2), gz=True)
    out.nii(base("nifti2_big_endian.nii", "int32", "NIfTI-2 big-endian, value = index - 12", endian=">",
                 raw=(np.arange(24) - 12).astype("i4"), **n2))

    # header/image pairs
    out.pair(base("pair_int16", "int16", "pair, vox_offset 0"), "pair_int16", False, False, ext_bytes=True)
    out.pair(base("pair_float32", "float32", "pair, image gzipped, 348-byte hdr"), "pair_float32",
             False, True, ext_bytes=False)
    out.pair(base("pair_gz", "int16", "pair, both gzipped"), "pair_gz", True, True, ext_bytes=True)

    # non-finite values
    nv = (np.arange(24) - 8.0).astype("f4")
    nv[3], nv[9], nv[14], nv[20] = np.nan, np.inf, -np.inf, -0.001
    out.nii(base("nan_values.nii", note="index-8; NaN@3 +inf@9 -inf@14 -0.001@20", raw=nv,
                 scl_slope=math.nan, scl_inter=math.nan))

    # label statistics
    n = int(np.prod(STATS_SHAPE))
    kvals = (splitmix64(20240601, n) % np.uint64(961)).astype(np.int64) - 160
    image = (kvals / 16.0).astype("f4")  # flat, file order
    out.nii(base("stats_image.nii", shape=STATS_SHAPE, raw=image, note="k/16, pseudo-random k in [-160,800]"))
    lab = stats_labels_array()
    lab_flat = fortran_flat(lab)
    out.nii(base("stats_labels.nii", "int16", "labels 0,1,2,3,7 (5 absent)", shape=STATS_SHAPE, raw=lab_flat))
    out.nii(base("stats_labels_float.nii", "float32", "labels as float32", shape=STATS_SHAPE,
                 raw=lab_flat.astype("f4")))
    nonint = lab.astype("f4")
    nonint[1, 1, 1] = 1.5
    nonint_index = 1 + 6 * 1 + 30 * 1
    out.nii(base("stats_labels_nonint.nii", "float32", "labels with 1.5 at (1,1,1)", shape=STATS_SHAPE,
                 raw=fortran_flat(nonint)))
    other = np.zeros((7, 6, 4), dtype=np.int16)
    other[1:, 1:, :] = lab
    out.nii(base("stats_labels_othergrid.nii", "int16", "labels, 7x6x4 grid shifted 1 voxel in x,y",
                 shape=(7, 6, 4), raw=fortran_flat(other),
                 srow=((-2.0, 0.0, 0.0, 12.5), (0.0, 3.0, 0.0, -23.25), (0.0, 0.0, 4.0, 30.0)),
                 qoffset=(12.5, -23.25, 30.0)))

    img64 = image.astype(np.float64)
    per_label = {}
    for L in (1, 2, 3, 7):
        v = img64[lab_flat == L]
        per_label[str(L)] = {
            "count": int(v.size),
            "volume_mm3": float(v.size * 24.0),
            "sum": float(v.sum()),
            "mean": float(v.sum()) / v.size,
            "min": float(v.min()),
            "max": float(v.max()),
        }
    return {
        "image": "nifti/stats_image.nii",
        "labels": "nifti/stats_labels.nii",
        "equivalent_labels": ["nifti/stats_labels_float.nii"],
        "refuse_nonint": {"path": "nifti/stats_labels_nonint.nii", "index": nonint_index, "value": 1.5},
        "refuse_othergrid": {
            "path": "nifti/stats_labels_othergrid.nii",
            "note": "different grid: refuse unless --resample-labels; nearest-neighbour resampling "
                    "onto the image grid reproduces nifti/stats_labels.nii exactly",
        },
        "background_count": int((lab_flat == 0).sum()),
        "absent_labels": [5],
        "voxel_volume_mm3": 24.0,
        "per_label": per_label,
    }


# --------------------------------------------------------------------------
# Malformed fixtures
# --------------------------------------------------------------------------


def inflate_prefix(gz: bytes) -> tuple[bytes, str | None]:
    """Decompress as much of a (possibly broken) single-member gzip as possible,
    feeding it byte by byte; return what came out before any error, and the error."""
    d = zlib.decompressobj(31)
    out = bytearray()
    for i in range(len(gz)):
        try:
            out += d.decompress(gz[i : i + 1])
        except zlib.error as ex:
            return bytes(out), str(ex)
    return bytes(out), None


def gzip_fails(data: bytes) -> bool:
    try:
        gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        return True
    return False


def build_malformed(out: Out) -> None:
    good = base("x.nii", note="malformed fixture")
    good_bytes = nii_bytes(good)
    good_n2 = base("x2.nii", fmt="nifti2", note="malformed fixture")

    def variant(**kw: Any) -> bytes:
        return nii_bytes(dataclasses.replace(good, **kw))

    H = "header"
    D = "data"
    out.bad("empty.nii", b"", "Zero-byte file.", "truncated", H, ("empty",))
    out.bad("short_header.nii", good_bytes[:100], "Only the first 100 bytes of a valid header.", "truncated", H)

    garbage = splitmix64(12345, 125).astype("<u8").tobytes()
    assert len(garbage) == 1000 and garbage[:2] != b"\x1f\x8b"
    assert struct.unpack("<i", garbage[:4])[0] not in (348, 540) and struct.unpack(">i", garbage[:4])[0] not in (348, 540)
    out.bad("random_garbage.nii", garbage, "1000 pseudo-random bytes (SplitMix64, seed 12345).", "not nifti", H)

    # Analyze 7.5: sizeof_hdr 348 but no NIfTI magic (bytes 344..347 are the int smin = 0)
    an = bytearray(348)
    struct.pack_into("<i", an, 0, 348)
    struct.pack_into("<i", an, 32, 16384)  # extents
    an[38] = ord("r")
    struct.pack_into("<8h", an, 40, 3, 4, 3, 2, 1, 1, 1, 1)
    an[56:60] = b"mm\0\0"  # vox_units
    struct.pack_into("<3h", an, 70, 4, 16, 0)  # datatype int16, bitpix
    struct.pack_into("<8f", an, 76, 0.0, 2.0, 3.0, 4.0, 0.0, 0.0, 0.0, 0.0)
    struct.pack_into("<2i", an, 140, 23, 0)  # glmax glmin
    an[148:148 + 22] = b"Analyze 7.5, no magic!"
    out.bad("analyze75.hdr", bytes(an), "A valid Analyze 7.5 header (no NIfTI magic) with its .img.",
            "not nifti", H, ("analyze",), companion=("analyze75.img", np.arange(24, dtype="<i2").tobytes()))

    out.bad("bad_magic.nii", variant(magic=b"n+3\0"), "Valid NIfTI-1 layout but magic is 'n+3\\0'.",
            "not nifti", H, ("magic",))
    out.bad("bad_sizeof_hdr.nii", variant(sizeof_hdr=123),
            "sizeof_hdr is 123 (0x7B000000 when byte-swapped), neither 348 nor 540 in either byte order.",
            "not nifti", H, ("sizeof_hdr",))
    out.bad("dim0_zero.nii", variant(dim_override=(0, 4, 3, 2, 1, 1, 1, 1)), "dim[0] is 0.", "dim", H)
    out.bad("dim0_eight.nii", variant(dim_override=(8, 4, 3, 2, 1, 1, 1, 1)), "dim[0] is 8 (must be 1..7).", "dim", H)
    out.bad("dim_negative.nii", variant(dim_override=(3, -4, 3, 2, 1, 1, 1, 1)), "dim[1] is -4.", "dim", H)
    out.bad("dim_zero_used.nii", variant(dim_override=(3, 4, 0, 2, 1, 1, 1, 1)), "dim[0]=3 but dim[2] is 0.", "dim", H)
    out.bad("dim4_zero.nii", variant(dim_override=(4, 4, 3, 2, 0, 1, 1, 1), raw=b""),
            "dim[0]=4 but dim[4] is 0.", "dim", H)
    out.bad("huge_dims.nii", variant(dim_override=(3, 32767, 32767, 32767, 1, 1, 1, 1), datatype="float64",
                                     raw=np.zeros(4, "f8")),
            "32767^3 float64 (about 281 TB; 32767 is the int16 maximum) in a tiny file.", "too large", H,
            ("truncated",))
    out.bad("huge_dims_nifti2.nii", nii_bytes(dataclasses.replace(
        good_n2, dim_override=(3, 2 ** 40, 2 ** 20, 1, 1, 1, 1, 1), raw=np.zeros(4, "f4"))),
        "NIfTI-2 dims 2^40 x 2^20 x 1 float32 (2^62 bytes; fits in Int64, but far too large) in a tiny file.",
        "too large", H, ("truncated",))
    assert 3037000500 ** 2 > 2 ** 63 - 1 > 3037000499 ** 2
    out.bad("overflow_dims_nifti2.nii", nii_bytes(dataclasses.replace(
        good_n2, dim_override=(3, 3037000500, 3037000500, 1, 1, 1, 1, 1), raw=np.zeros(4, "f4"))),
        "NIfTI-2 dims 3037000500 x 3037000500 x 1: the voxel count overflows Int64.", "too large", H,
        ("overflow", "dim"))
    out.bad("unknown_datatype.nii", variant(datatype_code=999, bitpix=32), "datatype code 999 does not exist.",
            "datatype", H)
    out.bad("rgb24.nii", variant(datatype="rgb24", raw=np.arange(72, dtype="u1")),
            "RGB24 (datatype 128) is valid NIfTI but not a scalar type VoxDose supports.",
            "unsupported datatype", H)
    out.bad("complex64.nii", variant(datatype="complex64", raw=np.arange(24).astype("c8")),
            "COMPLEX64 (datatype 32) is valid NIfTI but not a scalar type VoxDose supports.",
            "unsupported datatype", H)
    P = list(good.pixdim)
    for name, i, v, why in (("pixdim_zero.nii", 1, 0.0, "pixdim[1] is 0."),
                            ("pixdim_negative.nii", 2, -3.0, "pixdim[2] is -3."),
                            ("pixdim_nan.nii", 3, math.nan, "pixdim[3] is NaN."),
                            ("pixdim_inf.nii", 1, math.inf, "pixdim[1] is +inf.")):
        p = P.copy()
        p[i] = v
        out.bad(name, variant(pixdim=tuple(p)), why, "pixdim", H)
    out.bad("vox_offset_beyond.nii", variant(vox_offset=100000.0),
            "vox_offset is 100000 but the file is only 448 bytes long.", "vox_offset", D, ("truncated",))
    out.bad("vox_offset_inside_header.nii", variant(vox_offset=100.0),
            "vox_offset is 100, inside the 348-byte header.", "vox_offset", H)
    out.bad("vox_offset_nan.nii", variant(vox_offset=math.nan), "vox_offset is NaN.", "vox_offset", H)
    out.bad("truncated_data.nii", good_bytes[: 352 + 48], "Valid header but only 48 of the 96 data bytes.",
            "truncated", D)

    # gzip defects use a larger, incompressible payload so the deflate stream is long
    big = dataclasses.replace(good, shape=(8, 8, 8), raw=uniform01(777, 512).astype("f4"))
    big_bytes = nii_bytes(big)
    big_gz = gzip_bytes(big_bytes)
    cut = big_gz[: len(big_gz) * 6 // 10]
    got, _ = inflate_prefix(cut)
    assert 352 < len(got) < len(big_bytes) and got == big_bytes[: len(got)], len(got)
    assert gzip_fails(cut)
    out.bad("truncated.nii.gz", cut, "A gzip stream cut at 60% of its length; the header inflates fine, "
            "the data stops early.", "truncated", D, ("gzip", "unexpected end"))
    # corrupt.nii.gz: the first byte position (searching from 40% of the deflate data on) whose
    # inversion makes inflate itself fail (not merely the CRC) after the header came out intact.
    # The payload must compress (small integers as float32): a stored block of random bytes
    # never makes inflate fail, only the CRC.
    comp = dataclasses.replace(good, shape=(16, 16, 8),
                               raw=(splitmix64(5, 2048) % np.uint64(50)).astype("f4"))
    comp_bytes = nii_bytes(comp)
    comp_gz = gzip_bytes(comp_bytes)
    body_start, body_end = 10, len(comp_gz) - 8
    for pos in range(body_start + (body_end - body_start) * 4 // 10, body_end):
        corrupt = bytearray(comp_gz)
        corrupt[pos] ^= 0xFF
        got, err = inflate_prefix(bytes(corrupt))
        if err and "incorrect data check" not in err and len(got) >= 352 and got[:352] == comp_bytes[:352] \
                and len(got) < len(comp_bytes):
            break
    else:
        raise AssertionError("no position gives an inflate error")
    assert gzip_fails(bytes(corrupt))
    out.bad("corrupt.nii.gz", bytes(corrupt), f"A gzip whose deflate byte {pos} is inverted: inflate fails "
            f"({err}) after a good header and {len(got) - 352} data bytes.", "gzip", D,
            ("corrupt", "inflate", "invalid", "deflate"))
    crc = bytearray(big_gz)
    for pos in range(len(big_gz) - 8, len(big_gz) - 4):
        crc[pos] ^= 0xFF
    crc = bytes(crc)
    got, err = inflate_prefix(crc)
    assert got == big_bytes and err is not None and "incorrect data check" in err and gzip_fails(crc)
    out.bad("crc_mismatch.nii.gz", crc, "A perfect deflate stream whose CRC32 trailer is inverted: the data "
            "inflate fine, only a reader that checks the CRC notices.", "gzip", D, ("crc", "checksum", "corrupt"))
    claims = dataclasses.replace(good, dim_override=(3, 1000, 1000, 1000, 1, 1, 1, 1), raw=np.zeros(16, "f4"))
    out.bad("gz_claims_huge.nii.gz", gzip_bytes(nii_bytes(claims)),
            "Valid gzip of a header claiming 1000^3 float32 (4 GB) followed by only 64 data bytes.",
            "truncated", D, ("too large",))
    out.bad("header_only.nii.gz", gzip_bytes(good_bytes[:200]), "Valid gzip holding only 200 header bytes.",
            "truncated", H)
    nag = b"\x1f\x8b" + splitmix64(999, 8).astype("<u8").tobytes()
    assert gzip_fails(nag)
    out.bad("not_a_gzip.nii.gz", nag, "Starts with the gzip magic 1f 8b, then 64 bytes of garbage.", "gzip", H)
    out.bad("missing_img.hdr", header_bytes(good, pair=True) + b"\0\0\0\0",
            "A valid ni1 pair header whose missing_img.img (or .img.gz) does not exist.", "not found", D,
            ("missing", "no such file", ".img"))
    out.bad("short_img.hdr", header_bytes(good, pair=True) + b"\0\0\0\0",
            "A valid ni1 pair header whose .img holds 40 of the 96 bytes needed.", "truncated", D,
            companion=("short_img.img", good.data_bytes()[:40]))
    out.bad("scl_inter_inf.nii", variant(datatype="int16", raw=index_values((4, 3, 2), "int16"),
                                         scl_slope=2.0, scl_inter=math.inf),
            "scl_slope 2 (valid) with scl_inter +inf (invalid intercept).", "scl_inter", H, ("intercept", "scaling"))
    out.bad("qform_nan.nii", variant(sform_code=0, quatern=(math.nan, 0.0, 0.0)),
            "qform_code 1, sform_code 0, quatern_b is NaN.", "qform", H, ("quatern",))
    out.bad("sform_nan.nii", variant(srow=((-2.0, math.nan, 0.0, 10.5),) + DEFAULT_SROW[1:]),
            "sform_code 1 with srow_x[1] NaN.", "sform", H, ("srow",))
    out.bad("nifti2_bad_magic.nii", nii_bytes(dataclasses.replace(good_n2, magic=b"n+2\0\n\r\x1a\n")),
            "NIfTI-2 header (sizeof_hdr 540) whose magic has \\r and \\n swapped.", "not nifti", H, ("magic",))
    out.bad("nifti2_vox_offset_negative.nii", nii_bytes(dataclasses.replace(good_n2, vox_offset=-16)),
            "NIfTI-2 vox_offset is -16.", "vox_offset", H)
    out.bad("nifti2_short_header.nii", nii_bytes(good_n2)[:400], "The first 400 of the 540 NIfTI-2 header bytes.",
            "truncated", H)


# --------------------------------------------------------------------------
# Example data
# --------------------------------------------------------------------------


def build_example(out: Out) -> None:
    nx, ny, nz = 64, 64, 40
    vs = 4.0
    # voxel centre coordinates in mm relative to the grid centre, arrays indexed [i, j, k]
    x = (np.arange(nx) - (nx - 1) / 2) * vs
    y = (np.arange(ny) - (ny - 1) / 2) * vs
    z = (np.arange(nz) - (nz - 1) / 2) * vs
    X, Y, Z = np.meshgrid(x, y, z, indexing="ij")

    body = (X / 115.0) ** 2 + (Y / 85.0) ** 2 <= 1.0
    liver = ((X - 40.0) / 70.0) ** 2 + ((Y - 10.0) / 55.0) ** 2 + ((Z - 5.0) / 60.0) ** 2 <= 1.0
    assert not (liver & ~body).any()
    lesions = [  # label, name, centre (mm), radius (mm), Bq/mL
        (2, "lesion_small", (20.0, -20.0, 30.0), 9.0, 4.0e6),
        (3, "lesion_medium", (70.0, 20.0, 25.0), 15.0, 2.5e6),
        (4, "lesion_large", (35.0, 5.0, -20.0), 22.0, 1.5e6),
    ]
    labels = np.zeros((nx, ny, nz), dtype=np.int16)
    labels[liver] = 1
    truth = np.where(body, 5.0e3, 0.0)
    truth[liver] = 3.0e5
    for lab, _, (cx, cy, cz), rad, act in lesions:
        m = (X - cx) ** 2 + (Y - cy) ** 2 + (Z - cz) ** 2 <= rad ** 2
        assert m.any() and not (m & ~liver).any() and not (labels[m] > 1).any(), lab
        labels[m] = lab
        truth[m] = act

    noise = approx_normal(90, nx * ny * nz).reshape((nx, ny, nz), order="F")
    pet = np.maximum(truth * (1.0 + 0.25 * noise), 0.0).astype("f4")

    common = dict(
        shape=(nx, ny, nz),
        pixdim=(1.0, vs, vs, vs, 1.0, 1.0, 1.0, 1.0),
        srow=((-vs, 0.0, 0.0, 126.0), (0.0, -vs, 0.0, 150.0), (0.0, 0.0, vs, -78.0)),
        quatern=(0.0, 0.0, 1.0),
        qoffset=(126.0, 150.0, -78.0),
        scl_slope=1.0,
        scl_inter=0.0,
    )
    pet_img = Img(name="pet_y90.nii.gz", datatype="float32", raw=fortran_flat(pet),
                  descrip=b"VoxDose synthetic Y-90 PET phantom, Bq/mL", **common)
    lab_img = Img(name="labels.nii.gz", datatype="int16", raw=fortran_flat(labels),
                  descrip=b"VoxDose synthetic phantom labels: 1 liver, 2-4 lesions", **common)
    out.add("example/pet_y90.nii.gz", gzip_bytes(nii_bytes(pet_img)))
    out.add("example/labels.nii.gz", gzip_bytes(nii_bytes(lab_img)))
    tsv = "label\tname\n1\tliver\n" + "".join(f"{lab}\t{name}\n" for lab, name, *_ in lesions)
    out.add("example/labels.tsv", tsv.encode("ascii"))

    # FMISO SUV map on the same grid (for `lesions` and `plan` in the demo), with muscle and
    # blood-pool masks outside the liver: SUV 1.0 in body, muscle and blood; liver 1.1; lesions
    # 0.95 (small, normoxic), 1.6 (medium) and 1.9 (large, hypoxic).
    muscle = (np.abs(X + 60.0) <= 16.0) & (np.abs(Y + 45.0) <= 16.0) & (np.abs(Z) <= 40.0) & body & ~liver
    blood = ((X + 5.0) ** 2 + (Y + 30.0) ** 2 <= 12.0 ** 2) & body & ~liver & ~muscle
    assert muscle.sum() > 100 and blood.sum() > 100
    suv_truth = np.where(body, 1.0, 0.0)
    suv_truth[liver] = 1.1
    for (lab, *_), suv in zip(lesions, (0.95, 1.6, 1.9)):
        suv_truth[labels == lab] = suv
    suv_noise = approx_normal(91, nx * ny * nz).reshape((nx, ny, nz), order="F")
    suv_map = np.maximum(suv_truth * (1.0 + 0.08 * suv_noise), 0.0).astype("f4")
    out.add("example/fmiso_suv.nii.gz", gzip_bytes(nii_bytes(Img(
        name="fmiso_suv.nii.gz", datatype="float32", raw=fortran_flat(suv_map),
        descrip=b"VoxDose synthetic 18F-FMISO SUV map", **common))))
    for name, mask, text in (("muscle_mask", muscle, b"muscle reference"), ("blood_pool_mask", blood, b"blood-pool reference")):
        out.add(f"example/{name}.nii.gz", gzip_bytes(nii_bytes(Img(
            name=f"{name}.nii.gz", datatype="uint8", raw=fortran_flat(mask.astype(np.uint8)),
            descrip=b"VoxDose synthetic " + text, **common))))


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def generate() -> dict[str, bytes]:
    out = Out()
    stats = build_valid(out)
    expected = {
        "schema": 1,
        "notes": [
            "Generated by Fixtures/generate_fixtures.py from the values written, not by reading files back.",
            "Paths are relative to Fixtures/. For .hdr/.img pairs, path is the header and image_path the image.",
            "compressed: the voxel data come from a gzip stream; header_compressed: the header does.",
            "Header floats are the float32 (NIfTI-1) or float64 (NIfTI-2) stored values, widened to Double.",
            "spacing_mm = pixdim[1..3] x unit factor (metre 1000, micron 0.001, mm or unknown 1).",
            "affine: 4x4 row-major in mm (linear part and translation x unit factor); source sform if "
            "sform_code>0, else qform (nifti1.h method 2, qfac -1 if pixdim[0]<0 else 1), else "
            "diag(spacing_mm) with zero offset (method 1).",
            "scl_slope/scl_inter are null when slope is 0 or not finite (no scaling); values are then raw. "
            "With identity scaling (1, 0) values are also listed raw, so integers stay exact integers.",
            "Scaled values = Double(raw) * slope + inter in float64. Compare floats with a small relative "
            "tolerance (1e-12 is plenty; qform affines 1e-9).",
            "values: flat in file order (x fastest); for 4-D a list per frame. null marks NaN/inf; "
            "'nonfinite' gives flat index -> nan/inf/-inf for those.",
            "time_step_s is pixdim[4] for 4-D images (null otherwise).",
        ],
        "files": out.expected,
        "stats": stats,
    }
    out.add("nifti/expected.json", (dump_json(expected) + "\n").encode("ascii"))
    build_malformed(out)
    out.add("malformed/MANIFEST.json", (dump_json(dict(sorted(out.manifest.items()))) + "\n").encode("ascii"))
    build_example(out)
    return out.files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if any file is missing or differs")
    ap.add_argument("--out", type=Path, default=HERE, help="output root (default: this script's folder)")
    args = ap.parse_args()
    files = generate()
    changed = []
    for rel, data in files.items():
        p = args.out / rel
        if p.exists() and p.read_bytes() == data:
            continue
        changed.append(rel)
        if not args.check:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
    total = sum(len(d) for d in files.values())
    if args.check:
        for rel in changed:
            print(f"out of date: {rel}")
        print(f"{len(files)} files checked, {len(changed)} out of date")
        return 1 if changed else 0
    print(f"{len(files)} files ({total} bytes), {len(changed)} written, {len(files) - len(changed)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
