#!/usr/bin/env python3
"""Mutation fuzzing of the release `voxdose` binary: every command must exit 0 or 1 with one
`error: ` line, whatever the input (CONTRACT.md: a signal, a trap or an abort is never acceptable).

  make build && python3 Scripts/fuzz_cli.py SEED CASES      # e.g. 1 500 (about a minute)

Each case takes a valid fixture from Fixtures/nifti, mutates header bytes (random or boundary
values), truncates it, or flips bytes anywhere (re-gzipping, and sometimes cutting, the result),
then runs `info`, `stats --frame 0` and `dose --no-decay-correction`. Failing inputs are saved
beside the scratch file; keep them in Fixtures/fuzz/ as regressions (FuzzRegressionTests).
"""
import glob, gzip, os, random, subprocess, sys, tempfile
rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, ".build", "release", "voxdose")
seeds = sorted(glob.glob(os.path.join(ROOT, "Fixtures/nifti/*.nii"))) + sorted(glob.glob(os.path.join(ROOT, "Fixtures/nifti/*.nii.gz")))
SCRATCH = tempfile.mkdtemp(prefix="voxdose-fuzz-")
bad = []
n = int(sys.argv[2]) if len(sys.argv) > 2 else 600
for t in range(n):
    src = rng.choice(seeds)
    data = bytearray(open(src, "rb").read())
    gz = src.endswith(".gz")
    if gz and rng.random() < 0.5:
        data = bytearray(gzip.decompress(bytes(data))); gz_out = True
    else:
        gz_out = False
    kind = rng.random()
    if kind < 0.6:   # mutate header bytes (first 544), sometimes with interesting values
        for _ in range(rng.randint(1, 6)):
            off = rng.randrange(0, min(len(data), 544))
            if rng.random() < 0.5:
                data[off] = rng.randrange(256)
            else:
                val = rng.choice([0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff])
                size = rng.choice([1, 2, 4, 8])
                chunk = val.to_bytes(8, "little")[:size]
                data[off:off + size] = chunk[:max(0, min(size, len(data) - off))]
    elif kind < 0.8: # truncate
        data = data[:rng.randrange(0, len(data) + 1)]
    else:            # random bytes anywhere
        for _ in range(rng.randint(1, 20)):
            if data: data[rng.randrange(len(data))] = rng.randrange(256)
    if gz_out:
        data = bytearray(gzip.compress(bytes(data)))
        if rng.random() < 0.3: data = data[:rng.randrange(0, len(data) + 1)]
    path = SCRATCH + f"/case{'.nii.gz' if (gz or gz_out) else '.nii'}"
    open(path, "wb").write(data)
    for cmd in (["info", path], ["stats", path, "--frame", "0"], ["dose", path, "--out", SCRATCH + "/out.nii", "--no-decay-correction", "--method", rng.choice(["ldm", "dvk"])]):
        try:
            p = subprocess.run([B] + cmd, capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            bad.append((t, cmd[0], "timeout")); continue
        if p.returncode not in (0, 1) or (p.returncode == 1 and (not p.stderr.startswith(b"error: ") or p.stderr.count(b"\n") != 1)):
            bad.append((t, cmd[0], p.returncode, p.stderr[-300:]))
            open(SCRATCH + f"/crash_{t}_{cmd[0]}" + (".nii.gz" if path.endswith("gz") else ".nii"), "wb").write(data)
print("cases", n, "problems", len(bad))
for b in bad[:10]: print(b)
