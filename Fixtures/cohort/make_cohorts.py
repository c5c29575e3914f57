#!/usr/bin/env python3
"""Synthetic cohort tables for `voxdose cohort` (Docs/COHORT.md, CONTRACT.md "voxdose cohort").

SYNTHETIC DATA ONLY: no row comes from a patient. The figures of ARTE-MISO (REFERENCE.md §3) are
used only to choose group sizes and response rates for `artemiso_like.csv`.

Run from anywhere:

    python3 Fixtures/cohort/make_cohorts.py          # (re)write the CSVs beside this script
    python3 Fixtures/cohort/make_cohorts.py --check  # exit 1 if any CSV would change

Each table has its own fixed seed (numpy.random.default_rng(SEED)); the seeds were chosen before
any table was looked at and are never tuned. The CSVs are committed, and the reference
(make_reference.py) reads the committed CSVs, so expected.json depends only on them, not on the
numpy version that drew them. Columns follow the lesion table's CSV (`label`, `dose_mean_gy`,
`t_bp`, `hypoxic` as true/false, `suv_max`) plus `patient_id` and the outcomes `responder` (0/1)
and `response` (CR/PR/SD/PD). `hypoxic` is always `t_bp > 1.29` (strict, as in the lesion table).
"""
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

from reference_files import write_changed  # noqa: E402

SEEDS = {
    "artemiso_like": 1001,
    "ties": 1002,
    "separation": 1003,
    "quasi_separation": 1004,
    "missing": 1005,
    "synthetic_known": 1006,
    "constant": 1007,
}

# True model of synthetic_known.csv: logit P(responder = 1) = B0 + B_DOSE·dose_mean_gy + B_HYP·hypoxic
TRUE_COEF = {"intercept": -1.5, "dose_mean_gy": 0.025, "hypoxic": -1.0}

HEADER = ["label", "patient_id", "dose_mean_gy", "t_bp", "hypoxic", "suv_max", "response",
          "responder"]


def fmt(x, places):
    """Fixed-point text of x rounded to `places` decimals (no exponent, no trailing garbage)."""
    return f"{x:.{places}f}"


def boolstr(b):
    return "true" if b else "false"


def csv_text(header, rows):
    lines = [",".join(header)]
    for r in rows:
        lines.append(",".join(str(c) for c in r))
    return "\n".join(lines) + "\n"


def response_text(rng, responder):
    if responder:
        return "CR" if rng.random() < 0.4 else "PR"
    return "SD" if rng.random() < 0.5 else "PD"


def patients(rng, n_lesions, n_patients, first=101):
    """Patient ids (numeric, 101…): every patient has at least one lesion."""
    ids = list(range(first, first + n_patients))
    extra = rng.integers(first, first + n_patients, size=n_lesions - n_patients).tolist()
    allids = ids + extra
    rng.shuffle(allids)
    return allids


# ---------------------------------------------------------------------------------------------
def artemiso_like():
    """54 lesions, 25 patients. Cells (dose > 89 Gy?, hypoxic = T/BP > 1.29?) with fixed sizes and
    responder counts chosen to land near the trial's rates:
        high dose, not hypoxic: 14 lesions, 13 responders (93 %)
        high dose, hypoxic:     15 lesions, 12 responders
        low dose,  not hypoxic:  9 lesions,  8 responders
        low dose,  hypoxic:     16 lesions,  6 responders (37.5 %; trial 39 %)
    so Dmean > 89 Gy: 25/29 = 86 % vs 14/25 = 56 %; T/BP > 1.29: 18/31 = 58 % vs 21/23 = 91 %.
    Values inside each cell are drawn at random (responders a little higher in dose)."""
    rng = np.random.default_rng(SEEDS["artemiso_like"])
    cells = [(True, False, 14, 13), (True, True, 15, 12), (False, False, 9, 8), (False, True, 16, 6)]
    rows = []
    for high, hyp, n, r in cells:
        for k in range(n):
            resp = k < r
            if high:
                med = 112.0 if resp else 100.0
                d = med * math.exp(0.18 * rng.standard_normal())
                d = min(max(d, 89.6), 190.0)
            else:
                med = 70.0 if resp else 60.0
                d = med * math.exp(0.2 * rng.standard_normal())
                d = min(max(d, 25.0), 88.4)
            if hyp:
                t = 1.30 + rng.gamma(2.0, 0.18)
                t = min(t, 2.8)
            else:
                t = 1.28 - rng.gamma(2.0, 0.08)
                t = max(t, 0.7)
            s = 8.0 * math.exp(0.35 * rng.standard_normal())
            rows.append([fmt(d, 1), fmt(t, 2), hyp, fmt(s, 1), response_text(rng, resp), int(resp)])
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    pids = patients(rng, len(rows), 25)
    out = []
    for i, (d, t, hyp, s, rtext, resp) in enumerate(rows):
        assert (float(t) > 1.29) == hyp
        out.append([i + 1, pids[i], d, t, boolstr(hyp), s, rtext, resp])
    return csv_text(HEADER, out)


# ---------------------------------------------------------------------------------------------
def ties():
    """40 lesions whose predictors take few values, each shared by positives and negatives,
    including 89 Gy and T/BP 1.29 exactly (written 89, 89.0, 89.00 / 1.29, 1.290: equal numbers),
    which a strict cut-off counts as below. suv_max takes four integer values."""
    rng = np.random.default_rng(SEEDS["ties"])
    dose_values = [50.0, 70.0, 89.0, 110.0, 130.0]
    tbp_values = [0.9, 1.1, 1.29, 1.5, 1.8]
    dose_text = {50.0: ["50"], 70.0: ["70"], 89.0: ["89", "89.0", "89.00"], 110.0: ["110"],
                 130.0: ["130"]}
    tbp_text = {0.9: ["0.9"], 1.1: ["1.1"], 1.29: ["1.29", "1.290"], 1.5: ["1.5"], 1.8: ["1.8"]}
    draws = []
    # rows 0–9: every dose level with each outcome; rows 10–19: every T/BP level with each
    # outcome (the other predictor at random); rows 20–39: both at random, outcome from a
    # logistic model (responders more likely at high dose and low T/BP)
    for k in range(40):
        if k < 10:
            d, t, resp = dose_values[k // 2], tbp_values[rng.integers(5)], k % 2 == 1
        elif k < 20:
            d, t, resp = dose_values[rng.integers(5)], tbp_values[(k - 10) // 2], k % 2 == 1
        else:
            d, t = dose_values[rng.integers(5)], tbp_values[rng.integers(5)]
            eta = -0.5 + 0.03 * (d - 89.0) - 1.2 * (t - 1.29)
            resp = bool(rng.random() < 1.0 / (1.0 + math.exp(-eta)))
        dt = dose_text[d][rng.integers(len(dose_text[d]))]
        tt = tbp_text[t][rng.integers(len(tbp_text[t]))]
        s = str(int(rng.integers(5, 9)))
        draws.append((dt, tt, s, resp))
    order = rng.permutation(len(draws))
    rows = []
    for i, j in enumerate(order):
        dt, tt, s, resp = draws[j]
        rows.append([i + 1, 201 + i // 2, dt, tt, boolstr(float(tt) > 1.29), s,
                     response_text(rng, resp), int(resp)])
    # every tied level must hold positives and negatives (the point of this table)
    for col, levels in ((2, {50.0, 70.0, 89.0, 110.0, 130.0}), (3, {0.9, 1.1, 1.29, 1.5, 1.8})):
        for v in levels:
            ys = {r[7] for r in rows if float(r[col]) == v}
            assert ys == {0, 1}, (col, v, ys)
    return csv_text(HEADER, rows)


# ---------------------------------------------------------------------------------------------
def _overlap_free(xs_pos, xs_neg):
    """One predictor + intercept is (quasi-)separated exactly when one group's values all lie on
    or beyond the other group's values."""
    return max(xs_neg) <= min(xs_pos) or max(xs_pos) <= min(xs_neg)


def separation(quasi):
    """30 lesions. dose_mean_gy separates the outcome: completely (positives 92–160 Gy, negatives
    40–85 Gy) or, with quasi=True, quasi-completely (positives ≥ 89, negatives ≤ 89, and 89 Gy
    held by two positives and two negatives). t_bp, hypoxic and suv_max overlap between the
    outcomes, so their univariable fits exist."""
    rng = np.random.default_rng(SEEDS["quasi_separation" if quasi else "separation"])
    n_pos, n_neg = 14, 16
    rows = []
    for i in range(n_pos + n_neg):
        resp = i < n_pos
        if quasi:
            if i in (0, 1) or i in (n_pos, n_pos + 1):
                d = 89.0
            elif resp:
                d = rng.uniform(89.5, 150.0)
            else:
                d = rng.uniform(35.0, 88.5)
        else:
            d = rng.uniform(92.0, 160.0) if resp else rng.uniform(40.0, 85.0)
        t = 1.2 * math.exp(0.25 * rng.standard_normal()) * (0.93 if resp else 1.05)
        s = 8.0 * math.exp(0.35 * rng.standard_normal())
        rows.append([fmt(d, 1), fmt(t, 2), fmt(s, 1), resp])
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    out = []
    for i, (d, t, s, resp) in enumerate(rows):
        hyp = float(t) > 1.29
        out.append([i + 1, 301 + i // 2, d, t, boolstr(hyp), s, response_text(rng, resp), int(resp)])
    pos = [r for r in out if r[7] == 1]
    neg = [r for r in out if r[7] == 0]
    dp, dn = [float(r[2]) for r in pos], [float(r[2]) for r in neg]
    if quasi:
        assert max(dn) == min(dp) == 89.0
    else:
        assert max(dn) < min(dp)
    for col in (3, 5):
        assert not _overlap_free([float(r[col]) for r in pos], [float(r[col]) for r in neg]), col
    hp = {r[4] for r in pos}
    hn = {r[4] for r in neg}
    assert hp == {"true", "false"} and hn == {"true", "false"}
    return csv_text(HEADER, out)


# ---------------------------------------------------------------------------------------------
MISSING_SPELLINGS = ["", "NA", "NaN", "null", ".", "na", "NAN", "Null", "NULL", "nan"]


def missing():
    """32 lesions with missing values spelled every way COHORT.md lists (empty, NA, NaN, null, `.`,
    and other letter cases) in the outcomes and in predictors, plus:
      * `id` and `scan_id` (numeric, never default predictors; `scan_id` has a missing cell that
        drops no row because the column is not used), `patient_id` numeric;
      * `name`: text, some cells quoted with a comma inside ("S4, dome");
      * `response` text outcome, `responder` 0/1 outcome, missing in different rows;
      * booleans written true/false/TRUE/False; some numbers padded with spaces."""
    rng = np.random.default_rng(SEEDS["missing"])
    header = ["label", "id", "scan_id", "patient_id", "name", "dose_mean_gy", "t_bp", "hypoxic",
              "suv_max", "response", "responder"]
    n = 32
    names = ["S2", "S3", "\"S4, dome\"", "S5", "\"S7, posterior\"", "S8", "caudate"]
    rows = []
    for i in range(n):
        resp = rng.random() < 0.6
        d = (105.0 if resp else 75.0) * math.exp(0.25 * rng.standard_normal())
        t = (1.15 if resp else 1.4) * math.exp(0.2 * rng.standard_normal())
        s = 8.0 * math.exp(0.35 * rng.standard_normal())
        hyp = round(t, 2) > 1.29
        hyptext = ["true", "false", "TRUE", "False"][(0 if hyp else 1) + 2 * (i % 3 == 0)]
        rows.append({
            "label": str(i + 1), "id": str(1000 + i), "scan_id": str(5000 + 7 * i),
            "patient_id": str(401 + i // 3), "name": names[i % len(names)],
            "dose_mean_gy": fmt(d, 1), "t_bp": fmt(t, 2), "hypoxic": hyptext,
            "suv_max": fmt(s, 1), "response": response_text(rng, resp), "responder": str(int(resp)),
        })
    # padded cells (trimmed by the reader)
    rows[3]["dose_mean_gy"] = "  " + rows[3]["dose_mean_gy"] + " "
    rows[8]["t_bp"] = " " + rows[8]["t_bp"]
    rows[12]["responder"] = rows[12]["responder"] + "  "
    rows[15]["hypoxic"] = " " + rows[15]["hypoxic"] + " "
    # missing cells: (row, column, spelling); each spelling at least once in an outcome and in
    # a predictor, never two in one row so that every drop has a single cause
    holes = [
        (1, "responder", ""), (4, "responder", "NA"), (6, "responder", "NaN"),
        (9, "responder", "null"), (11, "responder", "."),
        (2, "response", "na"), (5, "response", "NULL"), (7, "response", "."),
        (10, "response", ""), (13, "response", "NaN"), (17, "response", "Null"),
        (14, "dose_mean_gy", ""), (16, "dose_mean_gy", "NA"), (18, "t_bp", "NaN"),
        (19, "t_bp", "null"), (20, "hypoxic", "."), (21, "hypoxic", "NAN"),
        (22, "suv_max", "nan"), (23, "suv_max", "Null"), (24, "suv_max", ""),
        (25, "scan_id", "NA"), (26, "name", ""),
    ]
    used_rows = set()
    for r, c, v in holes:
        assert r not in used_rows
        used_rows.add(r)
        rows[r][c] = v
    spellings_seen = {v for _, _, v in holes}
    assert set(MISSING_SPELLINGS) <= spellings_seen
    return csv_text(header, [[row[h] for h in header] for row in rows])


# ---------------------------------------------------------------------------------------------
def synthetic_known():
    """n = 2000 lesions from logit P(responder) = -1.5 + 0.025·dose_mean_gy - 1.0·hypoxic, with
    dose and T/BP written rounded (to 0.1 Gy and 0.01) and the probability computed from the
    written values, so the model holds exactly for the file. suv_max is noise."""
    rng = np.random.default_rng(SEEDS["synthetic_known"])
    n = 2000
    rows = []
    for i in range(n):
        d = float(fmt(90.0 * math.exp(0.45 * rng.standard_normal()), 1))
        t = float(fmt(1.2 * math.exp(0.3 * rng.standard_normal()), 2))
        s = float(fmt(8.0 * math.exp(0.35 * rng.standard_normal()), 1))
        hyp = t > 1.29
        eta = TRUE_COEF["intercept"] + TRUE_COEF["dose_mean_gy"] * d + TRUE_COEF["hypoxic"] * hyp
        resp = rng.random() < 1.0 / (1.0 + math.exp(-eta))
        rows.append([i + 1, 100001 + i // 2, fmt(d, 1), fmt(t, 2), boolstr(hyp), fmt(s, 1),
                     response_text(rng, resp), int(resp)])
    return csv_text(HEADER, rows)


# ---------------------------------------------------------------------------------------------
def small():
    """Six lesions, every figure checkable by hand (README.md). Fixed, no randomness."""
    rows = [
        [1, 1, "120", "1.10", "false", "8", "CR", 1],
        [2, 1, "89", "1.29", "false", "6", "PR", 1],
        [3, 2, "70", "1.50", "true", "9", "PR", 1],
        [4, 2, "89", "1.40", "true", "7", "SD", 0],
        [5, 3, "60", "1.20", "false", "5", "PD", 0],
        [6, 3, "50", "1.80", "true", "6", "SD", 0],
    ]
    return csv_text(HEADER, rows)


# ---------------------------------------------------------------------------------------------
def constant():
    """20 lesions with `activity_gbq` the same for every row (1.5): a constant predictor makes the
    information matrix singular (not separation), every value of it is one tie group (Mann–Whitney
    σ = 0), and its only Youden candidate is that value."""
    rng = np.random.default_rng(SEEDS["constant"])
    header = HEADER[:6] + ["activity_gbq"] + HEADER[6:]
    rows = []
    for i in range(20):
        resp = i % 2 == 0
        d = (100.0 if resp else 80.0) * math.exp(0.25 * rng.standard_normal())
        t = 1.2 * math.exp(0.25 * rng.standard_normal())
        s = 8.0 * math.exp(0.35 * rng.standard_normal())
        hyp = round(t, 2) > 1.29
        rows.append([i + 1, 601 + i // 2, fmt(d, 1), fmt(t, 2), boolstr(hyp), fmt(s, 1), "1.5",
                     response_text(rng, resp), int(resp)])
    dp = [float(r[2]) for r in rows if r[8] == 1]
    dn = [float(r[2]) for r in rows if r[8] == 0]
    assert not _overlap_free(dp, dn)
    return csv_text(header, rows)


def youden_float():
    """Ten lesions built so that two Youden candidates have exactly equal J (1/6) but the sums
    sens + spec − 1 in floating point differ in the last bit, the wrong way: 40 Gy gives
    2/4 + 1/6 − 1 = 0.16666666666666674 (specificity 1/6) and 90 Gy gives 2/4 + 4/6 − 1 =
    0.16666666666666652 (specificity 4/6). COHORT.md compares J exactly and breaks the tie by
    specificity: 90 Gy. Comparing the floats picks 40 Gy. AUC is exactly 0.5 (direction
    "greater"). Fixed, no randomness."""
    outcome = [0, 1, 0, 1, 0, 0, 1, 0, 1, 0]
    tbp = ["1.05", "1.42", "0.98", "1.31", "1.18", "1.55", "1.12", "1.27", "0.92", "1.60"]
    suv = ["6.1", "7.4", "5.2", "8.8", "9.3", "6.6", "7.0", "5.9", "10.4", "4.8"]
    rows = []
    for i, yv in enumerate(outcome):
        rows.append([i + 1, 701 + i // 2, str(40 + 10 * i), tbp[i], boolstr(float(tbp[i]) > 1.29),
                     suv[i], "PR" if yv else "SD", yv])
    return csv_text(HEADER, rows)


FILES = {
    "artemiso_like.csv": artemiso_like,
    "ties.csv": ties,
    "separation.csv": lambda: separation(False),
    "quasi_separation.csv": lambda: separation(True),
    "missing.csv": missing,
    "synthetic_known.csv": synthetic_known,
    "small.csv": small,
    "constant.csv": constant,
    "youden_float.csv": youden_float,
}


def main():
    check = "--check" in sys.argv[1:]
    changed = write_changed(HERE, {name: make() for name, make in FILES.items()}, check)
    if check:
        if changed:
            print("would change: " + ", ".join(changed))
            sys.exit(1)
        print("all cohort CSVs up to date")
    else:
        print("written: " + (", ".join(changed) if changed else "nothing changed"))


if __name__ == "__main__":
    main()
