#!/usr/bin/env python3
"""Independent reference for `voxdose cohort` logistic fits with categorical predictors
(text columns named in --predictors), boolean predictors and `--interaction a:b` terms.

Run from anywhere:

    python3 Fixtures/cohort/make_categorical_reference.py          # (re)write categorical_*.csv
                                                                   # and expected_categorical.json
    python3 Fixtures/cohort/make_categorical_reference.py --check  # exit 1 if any would change

Needs numpy, scipy, pandas and statsmodels (`pip install statsmodels`). Written from the rules
below without looking at the Swift engine. Deterministic: the two tables come from
numpy.random.default_rng with the seeds in SEEDS (chosen before any table was drawn, never
tuned); everything in expected_categorical.json is computed from the CSV text as written.

Rules implemented (the brief for the program under test):
  * Cells are trimmed; a cell is missing when it is empty, `.`, or NA / NaN / null (any case).
    A row with a missing outcome, a missing cell in any predictor of the case, in either factor
    of an interaction or in the --cluster column is dropped once, for every fit (listwise).
    Missing cells in unused columns (here `label`) drop nothing.
  * Column kinds: numeric if every present cell is a number, boolean if every present cell is
    true/false (any case; entered as 1/0), otherwise text.
  * A text predictor is categorical: its levels (present cells, after listwise deletion) sorted
    in code-point order (Python `sorted` on str); the first is the reference level; one 0/1
    indicator term `COLUMN=LEVEL` per other level, in level order. A fit containing such terms
    reports reference_levels {column: reference}; fits without one have reference_levels {}.
  * Univariable fit of P: intercept + P's terms. Multivariable: intercept, then every predictor's
    terms in --predictors order, then each interaction `a:b` (values a·b) in the order given.
    Interactions enter the multivariable fit only.
  * statsmodels.api.Logit(y, X).fit(disp=0, method="newton", maxiter=100), X built column by
    column here (no formula). With --cluster C: cov_type="cluster",
    cov_kwds={"groups": integer codes of C's trimmed text, "use_correction": True} (the default;
    factor G/(G-1)·(N-1)/(N-K)). Per term: coef, se = sqrt(diag(cov)), z = coef/se,
    p = 2·norm.sf(|z|), odds_ratio = exp(coef), or_ci95 = exp(coef ± 1.959964·se).
    covariance = cov_params() in term_order.

Cross-checks before anything is written (the script stops on a disagreement):
  * own Newton-Raphson from beta = 0 (coefficients) and own inverse information / cluster
    sandwich c·B⁻¹(Σ_g s_g s_gᵀ)B⁻¹ (covariance), 1e-8 relative;
  * statsmodels bse / pvalues equal the written se / p;
  * univariable fits of a categorical column (saturated) against the closed form from the
    responder counts per level (written as `closed_form`);
  * every written fit converged without any warning, has a full-rank design and no
    (quasi-)separation by a Konis (2007) linear program;
  * the formula API, `C(histology, Treatment(reference="CRC"))` with the interaction written
    `dose_mean_gy:t_bp`, gives the same coefficients and covariance as the explicit design for
    case main_interaction (names mapped one to one), and patsy's default Treatment coding
    (levels sorted) picks the same reference;
  * main_interaction_cluster has exactly the coefficients of main_interaction (same rows).
"""
import json
import math
import os
import re
import sys
import warnings

import numpy as np
import pandas as pd
import scipy
import scipy.optimize
import scipy.stats
import statsmodels
import statsmodels.api as sm
import statsmodels.formula.api as smf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REL = os.path.relpath(HERE, ROOT).replace(os.sep, "/")  # "Fixtures/cohort"
Z95 = 1.959964
MAXITER = 100

SEEDS = {"categorical_main": 3001, "categorical_quasi_separation": 3002}

HEADER = ["patient_id", "label", "dose_mean_gy", "t_bp", "hypoxic", "histology", "responder"]


# ============================================================================ synthetic tables
def _csv_text(rows):
    return "\n".join(",".join(str(c) for c in r) for r in [HEADER] + rows) + "\n"


def _lesion_values(rng, dose_factor):
    d = min(max(90.0 * dose_factor * math.exp(0.3 * rng.standard_normal()), 30.0), 200.0)
    t = min(max(1.25 * math.exp(0.2 * rng.standard_normal()), 0.6), 2.8)
    return f"{d:.1f}", f"{t:.2f}"


def categorical_main():
    """121 lesions in 45 patients (10 with 1 lesion, 12 with 2, 10 with 3, 8 with 4, 5 with 5;
    order drawn), patient ids 101-145. Histology per patient drawn with probabilities
    CRC 0.25, HCC 0.50, NET 0.25, so the reference level CRC (first in code-point order) is not
    the most common one. Dose has a patient factor, and a patient random effect u ~ N(0, 0.8²)
    sits on the logit:
        logit P(responder) = 0.2 + 0.03·(dose − 90) − 1.0·hypoxic − 0.8·[HCC] + 0.7·[NET]
                             + 0.04·(dose − 90)·(t_bp − 1.25) + u_patient
    computed from the values as written (dose 0.1 Gy, T/BP 0.01, hypoxic = T/BP > 1.29).
    Rows shuffled (patients interleave), label L001... in file order. Then seven missing cells,
    one per row, at fixed rows: responder `NA`, dose_mean_gy `.`, t_bp `null` (hypoxic kept),
    hypoxic `NaN`, histology `` and `NULL` (two rows: a missing text cell is not a level), and
    label `nan` (unused column: drops nothing)."""
    rng = np.random.default_rng(SEEDS["categorical_main"])
    sizes = rng.permutation([1] * 10 + [2] * 12 + [3] * 10 + [4] * 8 + [5] * 5)
    effect = {"CRC": 0.0, "HCC": -0.8, "NET": 0.7}
    draws = []
    for k, size in enumerate(sizes):
        pid = 101 + k
        hist = str(rng.choice(["CRC", "HCC", "NET"], p=[0.25, 0.5, 0.25]))
        u = 0.8 * rng.standard_normal()
        dose_factor = math.exp(0.15 * rng.standard_normal())
        for _ in range(int(size)):
            d, t = _lesion_values(rng, dose_factor)
            hyp = float(t) > 1.29
            eta = (0.2 + 0.03 * (float(d) - 90.0) - 1.0 * hyp + effect[hist]
                   + 0.04 * (float(d) - 90.0) * (float(t) - 1.25) + u)
            resp = int(rng.random() < 1.0 / (1.0 + math.exp(-eta)))
            draws.append([pid, d, t, "true" if hyp else "false", hist, resp])
    order = rng.permutation(len(draws))
    rows = [[draws[j][0], f"L{i + 1:03d}"] + draws[j][1:] for i, j in enumerate(order)]
    # columns: 0 patient_id, 1 label, 2 dose, 3 t_bp, 4 hypoxic, 5 histology, 6 responder
    for r, col, tok in ((4, 6, "NA"), (17, 2, "."), (29, 3, "null"), (41, 4, "NaN"),
                        (56, 5, ""), (73, 5, "NULL"), (88, 1, "nan")):
        rows[r][col] = tok
    assert sum(sizes) == len(rows) == 121 and len(sizes) == 45
    return _csv_text(rows)


def categorical_quasi_separation():
    """36 lesions in 14 patients (sizes 1-5 fixed by design, order drawn), ids 201-214.
    Histology fixed by design per patient: 5 CRC, 6 HCC, 3 NET patients. Every NET lesion is a
    responder (forced); CRC and HCC lesions are drawn from
        logit P = 0.3 + 0.03·(dose − 90) − 0.8·[HCC]
    and must hold both outcomes (asserted), as must the dose range of each outcome (overlap).
    So the NET indicator quasi-separates (NET → responder, but responders also elsewhere);
    dose alone does not. No missing cells."""
    rng = np.random.default_rng(SEEDS["categorical_quasi_separation"])
    sizes = rng.permutation([1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 2])
    hists = rng.permutation(["CRC"] * 5 + ["HCC"] * 6 + ["NET"] * 3)
    draws = []
    for k, (size, hist) in enumerate(zip(sizes, hists)):
        pid = 201 + k
        hist = str(hist)
        dose_factor = math.exp(0.15 * rng.standard_normal())
        for _ in range(int(size)):
            d, t = _lesion_values(rng, dose_factor)
            eta = 0.3 + 0.03 * (float(d) - 90.0) - (0.8 if hist == "HCC" else 0.0)
            p = 1.0 / (1.0 + math.exp(-eta))
            resp = 1 if hist == "NET" else int(rng.random() < p)
            draws.append([pid, d, t, "true" if float(t) > 1.29 else "false", hist, resp])
    order = rng.permutation(len(draws))
    rows = [[draws[j][0], f"Q{i + 1:03d}"] + draws[j][1:] for i, j in enumerate(order)]
    for h in ("CRC", "HCC"):
        assert {r[6] for r in rows if r[5] == h} == {0, 1}, h
    pos = [float(r[2]) for r in rows if r[6] == 1]
    neg = [float(r[2]) for r in rows if r[6] == 0]
    assert max(neg) > min(pos) and max(pos) > min(neg), "dose must overlap"
    assert len(rows) == 36
    return _csv_text(rows)


TABLES = {"categorical_main.csv": categorical_main,
          "categorical_quasi_separation.csv": categorical_quasi_separation}

# ============================================================================ cases
MAIN = f"{REL}/categorical_main.csv"
QUASI = f"{REL}/categorical_quasi_separation.csv"
CASES = [
    ("main_dose_histology",
     [MAIN, "--outcome", "responder", "--predictors", "dose_mean_gy,histology"],
     "numeric + categorical; reference CRC is first in code-point order, HCC most common"),
    ("main_interaction",
     [MAIN, "--outcome", "responder", "--predictors", "dose_mean_gy,t_bp,histology",
      "--interaction", "dose_mean_gy:t_bp"],
     "interaction after the main terms, multivariable fit only"),
    ("main_interaction_cluster",
     [MAIN, "--outcome", "responder", "--predictors", "dose_mean_gy,t_bp,histology",
      "--interaction", "dose_mean_gy:t_bp", "--cluster", "patient_id"],
     "as main_interaction with cluster-robust covariance (patient_id has no missing cell, so "
     "the rows and coefficients equal main_interaction's)"),
    ("main_hypoxic_histology",
     [MAIN, "--outcome", "responder", "--predictors", "hypoxic,histology"],
     "boolean (0/1) + categorical; the missing t_bp cell drops nothing here, the missing "
     "hypoxic cell does"),
    ("quasi_separation_histology",
     [QUASI, "--outcome", "responder", "--predictors", "dose_mean_gy,histology"],
     "every NET lesion responds: the histology and multivariable fits are quasi-separated "
     "(statsmodels' behaviour recorded, no numbers); the dose fit is ordinary"),
]


def parse_args(args):
    out = {"table": args[0], "outcome": None, "predictors": [], "interactions": [],
           "cluster": None}
    i = 1
    while i < len(args):
        flag, val = args[i], args[i + 1]
        if flag == "--outcome":
            out["outcome"] = val
        elif flag == "--predictors":
            out["predictors"] = val.split(",")
        elif flag == "--interaction":
            a, b = val.split(":")
            out["interactions"].append((a, b))
        elif flag == "--cluster":
            out["cluster"] = val
        else:
            raise ValueError(flag)
        i += 2
    return out


# ============================================================================ reading
from cohort_table import column_kind, is_missing, parse_number, read_table  # noqa: E402
from reference_files import assert_finite, write_changed  # noqa: E402


def load_case(spec):
    header, data = read_table(os.path.join(ROOT, spec["table"]))
    col = {name: k for k, name in enumerate(header)}
    kinds = {name: column_kind([r[col[name]] for r in data]) for name in header}
    used = [spec["outcome"]] + spec["predictors"]
    used += [c for ab in spec["interactions"] for c in ab]
    if spec["cluster"]:
        used.append(spec["cluster"])
    keep = [r for r in data if not any(is_missing(r[col[c]]) for c in used)]
    assert kinds[spec["outcome"]] == "numeric"
    y = np.array([parse_number(r[col[spec["outcome"]]]) for r in keep])
    assert set(y.tolist()) <= {0.0, 1.0}
    # terms per predictor: list of (name, values), plus reference level for text columns
    pred_terms, refs = {}, {}
    for p in spec["predictors"]:
        cells = [r[col[p]] for r in keep]
        if kinds[p] == "numeric":
            pred_terms[p] = [(p, np.array([parse_number(c) for c in cells]))]
        elif kinds[p] == "boolean":
            pred_terms[p] = [(p, np.array([1.0 if c.lower() == "true" else 0.0 for c in cells]))]
        else:
            levels = sorted(set(cells))
            all_levels = sorted({r[col[p]] for r in data if not is_missing(r[col[p]])})
            assert levels == all_levels, "listwise deletion removed a level (ambiguous)"
            refs[p] = levels[0]
            pred_terms[p] = [(f"{p}={lv}", np.array([1.0 if c == lv else 0.0 for c in cells]))
                             for lv in levels[1:]]
    inter_terms = []
    for a, b in spec["interactions"]:
        assert kinds[a] in ("numeric", "boolean") and kinds[b] in ("numeric", "boolean")
        va, vb = pred_terms[a][0][1], pred_terms[b][0][1]
        inter_terms.append((f"{a}:{b}", va * vb))
    codes = None
    if spec["cluster"]:
        cl = np.array([r[col[spec["cluster"]]] for r in keep], dtype=object).astype(str)
        _, codes = np.unique(cl, return_inverse=True)
        codes = codes.astype(np.int64)
    frame = {"responder": y}
    for p in spec["predictors"]:
        frame[p] = ([r[col[p]] for r in keep] if kinds[p] == "text" else pred_terms[p][0][1])
    return {"n_rows": len(data), "dropped_rows": len(data) - len(keep), "y": y,
            "pred_terms": pred_terms, "refs": refs, "inter_terms": inter_terms,
            "codes": codes, "kinds": kinds, "frame": pd.DataFrame(frame),
            "levels_count": {p: {lv: int(sum(1 for r in keep if r[col[p]] == lv))
                                 for lv in sorted({r[col[p]] for r in keep})}
                             for p in spec["predictors"] if kinds[p] == "text"}}


# ============================================================================ fitting
def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def lp_separated(X, y):
    """Konis (2007): (quasi-)separation iff some beta != 0 has (2y-1)·x·beta >= 0 for every row.
    Columns centred and scaled (intercept kept), beta boxed in [-1, 1]; separated when
    max Σ(2y-1)·x·beta > 1e-7."""
    Z = X.copy()
    for j in range(1, Z.shape[1]):
        sd = Z[:, j].std()
        Z[:, j] = (Z[:, j] - Z[:, j].mean()) / (sd if sd > 0 else 1.0)
    A = (2 * y - 1)[:, None] * Z
    res = scipy.optimize.linprog(c=-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)),
                                 bounds=[(-1, 1)] * Z.shape[1], method="highs")
    assert res.status == 0, res.message
    return bool(-res.fun > 1e-7)


def own_newton(X, y, iters=100):
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-X @ beta))
        B = X.T @ (X * (p * (1 - p))[:, None])
        step = np.linalg.solve(B, X.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-14 * (1 + np.max(np.abs(beta))):
            break
    p = 1.0 / (1.0 + np.exp(-X @ beta))
    B = X.T @ (X * (p * (1 - p))[:, None])
    return beta, B, p


def own_cluster_cov(X, y, B, p, codes):
    G = int(codes.max()) + 1
    N, K = X.shape
    S = np.zeros((G, K))
    np.add.at(S, codes, X * (y - p)[:, None])
    Binv = np.linalg.inv(B)
    c = G / (G - 1) * (N - 1) / (N - K)
    return c * Binv @ (S.T @ S) @ Binv, c


def design(data, preds, with_interactions):
    names, cols = ["intercept"], [np.ones(len(data["y"]))]
    for p in preds:
        for name, v in data["pred_terms"][p]:
            names.append(name)
            cols.append(v)
    if with_interactions:
        for name, v in data["inter_terms"]:
            names.append(name)
            cols.append(v)
    refs = {p: data["refs"][p] for p in preds if p in data["refs"]}
    return names, np.column_stack(cols), refs


def sm_fit(X, y, codes):
    kw = {} if codes is None else {"cov_type": "cluster",
                                   "cov_kwds": {"groups": codes, "use_correction": True}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, X).fit(disp=0, method="newton", maxiter=MAXITER, **kw)
            err = None
        except Exception as e:  # recorded for the separation case
            res, err = None, e
    return res, err, caught


def logistic_fit(data, preds, with_interactions):
    y, codes = data["y"], data["codes"]
    names, X, refs = design(data, preds, with_interactions)
    assert np.linalg.matrix_rank(X) == X.shape[1], "singular design"
    assert not lp_separated(X, y), ("separated", preds)
    res, err, caught = sm_fit(X, y, codes)
    assert err is None, err
    assert not caught, [str(w.message) for w in caught]
    assert res.mle_retvals["converged"]
    params = np.asarray(res.params)
    cov = np.asarray(res.cov_params())
    N, K = X.shape

    beta, B, p = own_newton(X, y)
    assert np.allclose(beta, params, rtol=1e-8, atol=1e-10 * np.max(np.abs(params)))
    if codes is None:
        own_cov, c = np.linalg.inv(B), None
    else:
        own_cov, c = own_cluster_cov(X, y, B, p, codes)
        assert res.cov_kwds["use_correction"] is True
    scale = np.max(np.abs(cov))
    assert np.allclose(own_cov, cov, rtol=1e-8, atol=1e-10 * scale), (own_cov, cov)

    se = np.sqrt(np.diag(cov))
    terms = {}
    for k, name in enumerate(names):
        coef, s = float(params[k]), float(se[k])
        z = coef / s
        pv = float(2 * scipy.stats.norm.sf(abs(z)))
        assert close(s, float(np.asarray(res.bse)[k]), 1e-12)
        assert close(pv, float(np.asarray(res.pvalues)[k]), 1e-9)
        terms[name] = {"coef": coef, "se": s, "z": z, "p": pv, "odds_ratio": math.exp(coef),
                       "or_ci95": [math.exp(coef - Z95 * s), math.exp(coef + Z95 * s)]}
    fit = {"n": int(N), "term_order": names, "reference_levels": refs, "converged": True,
           "terms": terms, "covariance": [[float(v) for v in row] for row in cov]}
    if codes is not None:
        fit["n_clusters"] = int(codes.max()) + 1
        fit["small_sample_factor"] = c
    if codes is None and len(preds) == 1 and preds[0] in refs:
        fit["closed_form"] = closed_form_categorical(data, preds[0], names, params, cov)
    return fit


def closed_form_categorical(data, p, names, params, cov):
    """Univariable fit of one categorical column is saturated: intercept = log(a_r/b_r),
    [level] = log(a_l/b_l) − log(a_r/b_r), var(intercept) = 1/a_r + 1/b_r,
    var([level]) = 1/a_r + 1/b_r + 1/a_l + 1/b_l (a = responders, b = non-responders).
    Checked against statsmodels to 1e-8 (absolute for a coefficient that is exactly 0)."""
    y = data["y"]
    ind = {name: v for name, v in data["pred_terms"][p]}
    ref_mask = np.ones(len(y), dtype=bool)
    for v in ind.values():
        ref_mask &= v == 0
    def counts(mask):
        return int(y[mask].sum()), int((1 - y[mask]).sum())
    a_r, b_r = counts(ref_mask)
    out = {"counts_responders_nonresponders": {data["refs"][p]: [a_r, b_r]},
           "coef": {"intercept": math.log(a_r / b_r)},
           "se": {"intercept": math.sqrt(1 / a_r + 1 / b_r)}}
    for name, v in ind.items():
        a, b = counts(v == 1)
        out["counts_responders_nonresponders"][name.split("=", 1)[1]] = [a, b]
        out["coef"][name] = math.log(a / b) - math.log(a_r / b_r)
        out["se"][name] = math.sqrt(1 / a_r + 1 / b_r + 1 / a + 1 / b)
    se = np.sqrt(np.diag(cov))
    for k, name in enumerate(names):
        assert abs(out["coef"][name] - params[k]) <= 1e-8 * max(1.0, abs(params[k])), name
        assert close(out["se"][name], float(se[k]), 1e-8), name
    out["exact_zero_coefficients"] = [n for n in names if out["coef"][n] == 0.0]
    return out


def separated_fit(data, preds, with_interactions):
    """A fit expected to be (quasi-)separated: record what statsmodels does, not numbers."""
    y, codes = data["y"], data["codes"]
    names, X, refs = design(data, preds, with_interactions)
    assert np.linalg.matrix_rank(X) == X.shape[1]
    sep = lp_separated(X, y)
    res, err, caught = sm_fit(X, y, codes)
    seen = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    behaviour = {"exception": None if err is None else f"{type(err).__name__}: {err}",
                 "warnings": seen}
    if res is not None:
        fitted = np.asarray(res.predict())
        params = np.asarray(res.params)
        big = [names[k] for k in range(len(names)) if abs(params[k]) > 10]
        behaviour.update({
            "converged": bool(res.mle_retvals["converged"]),
            "iterations_hit_maxiter": bool(res.mle_retvals.get("iterations", 0) >= MAXITER),
            "some_fitted_probability_within_1e-6_of_0_or_1":
                bool(np.any((fitted > 1 - 1e-6) | (fitted < 1e-6))),
            "terms_with_abs_coef_over_10": big,
            "se_finite": bool(np.all(np.isfinite(np.asarray(res.bse)))),
        })
    return {"n": int(len(y)), "term_order": names, "reference_levels": refs,
            "separated": sep, "terms": None, "covariance": None, "statsmodels": behaviour}


# ============================================================================ cross-checks
def formula_crosscheck(data, multivariable):
    """Case main_interaction through the formula API with explicit Treatment coding."""
    df = data["frame"]
    ref = data["refs"]["histology"]
    formula = (f"responder ~ dose_mean_gy + t_bp + C(histology, Treatment(reference='{ref}'))"
               " + dose_mean_gy:t_bp")
    res = smf.logit(formula, data=df).fit(disp=0, method="newton", maxiter=MAXITER)
    fnames = list(res.params.index)
    mapping = {"Intercept": "intercept", "dose_mean_gy": "dose_mean_gy", "t_bp": "t_bp",
               "dose_mean_gy:t_bp": "dose_mean_gy:t_bp"}
    for f in fnames:
        m = re.match(r"^C\(histology, Treatment\(reference='[^']*'\)\)\[T\.(.+)\]$", f)
        if m:
            mapping[f] = f"histology={m.group(1)}"
    assert set(mapping) == set(fnames), fnames
    mine = multivariable["term_order"]
    assert sorted(mapping[f] for f in fnames) == sorted(mine), (fnames, mine)
    idx = [fnames.index(next(f for f in fnames if mapping[f] == t)) for t in mine]
    fp = np.asarray(res.params)[idx]
    fc = np.asarray(res.cov_params())[np.ix_(idx, idx)]
    mp = np.array([multivariable["terms"][t]["coef"] for t in mine])
    mc = np.array(multivariable["covariance"])
    assert np.allclose(fp, mp, rtol=1e-9, atol=0), (fp, mp)
    assert np.allclose(fc, mc, rtol=1e-9, atol=1e-12 * np.max(np.abs(mc)))
    # default Treatment coding: patsy/formulaic sort the levels; same reference?
    res2 = smf.logit("responder ~ dose_mean_gy + t_bp + C(histology) + dose_mean_gy:t_bp",
                     data=df).fit(disp=0, method="newton", maxiter=MAXITER)
    default_levels = [re.match(r"^C\(histology\)\[T\.(.+)\]$", f).group(1)
                      for f in res2.params.index if f.startswith("C(histology)")]
    assert default_levels == [n.split("=", 1)[1] for n in mine if n.startswith("histology=")]
    return {"case": "main_interaction",
            "formula": formula,
            "formula_terms": fnames,
            "mapped_to": [mapping[f] for f in fnames],
            "coefficients_and_covariance_agree_rel": 1e-9,
            "default_treatment_coding_levels": default_levels}


# ============================================================================ driver
def run_case(name, args, about):
    spec = parse_args(args)
    data = load_case(spec)
    preds = spec["predictors"]
    case = {"name": name, "args": args, "n_rows": data["n_rows"],
            "dropped_rows": data["dropped_rows"], "n": int(len(data["y"])),
            "n_positive": int(data["y"].sum())}
    if data["codes"] is not None:
        case["n_clusters"] = int(data["codes"].max()) + 1
    case["level_counts"] = data["levels_count"]
    notes = [about]
    if name.startswith("quasi"):
        uni = {}
        for p in preds:
            names, X, _ = design(data, [p], False)
            uni[p] = (separated_fit(data, [p], False) if lp_separated(X, data["y"])
                      else logistic_fit(data, [p], False))
        multi = separated_fit(data, preds, True)
        assert uni["histology"]["separated"] and multi["separated"]
        assert "terms" in uni["dose_mean_gy"] and uni["dose_mean_gy"]["terms"] is not None
        notes.append("univariable histology and multivariable: 'terms' and 'covariance' null on "
                     "purpose; 'statsmodels' records what Logit.fit(method='newton', maxiter=100) "
                     "did; 'separated' is the Konis linear program's verdict")
    else:
        uni = {p: logistic_fit(data, [p], False) for p in preds}
        multi = logistic_fit(data, preds, True)
    for p, f in uni.items():
        zero = (f.get("closed_form") or {}).get("exact_zero_coefficients")
        if zero:
            notes.append(f"univariable {p}: {', '.join(zero)} is exactly 0 (equal responders and "
                         "non-responders in the reference level); statsmodels' coef and z are "
                         "rounding noise near 1e-16, odds_ratio and p 1 to ~1e-15: compare coef "
                         "and z with an absolute tolerance (e.g. 1e-9), not a relative one")
    case["logistic"] = {"univariable": uni, "multivariable": multi}
    case["notes"] = notes
    return case, data


def main():
    check = "--check" in sys.argv[1:]
    changed = write_changed(HERE, {fname: make() for fname, make in TABLES.items()}, check)
    if check and changed:
        # the reference must be computed from the tables the script would write
        print("would change: " + ", ".join(changed))
        return 1

    cases, datas = [], {}
    for name, args, about in CASES:
        c, d = run_case(name, args, about)
        cases.append(c)
        datas[name] = d
    by = {c["name"]: c for c in cases}

    # (c) equals (b) in rows and coefficients; only the covariance differs
    b, cl = by["main_interaction"], by["main_interaction_cluster"]
    assert b["n"] == cl["n"] and b["dropped_rows"] == cl["dropped_rows"]
    for fb, fc in ([b["logistic"]["multivariable"], cl["logistic"]["multivariable"]],
                   *[[b["logistic"]["univariable"][p], cl["logistic"]["univariable"][p]]
                     for p in b["logistic"]["univariable"]]):
        assert fb["term_order"] == fc["term_order"]
        for t in fb["term_order"]:
            assert close(fb["terms"][t]["coef"], fc["terms"][t]["coef"], 1e-12)
    # reference level is not the most common one
    counts = by["main_dose_histology"]["level_counts"]["histology"]
    assert min(counts) == "CRC" and max(counts, key=counts.get) != "CRC", counts
    cross = formula_crosscheck(datas["main_interaction"], b["logistic"]["multivariable"])

    out = {"generator": f"{REL}/make_categorical_reference.py",
           "python_version": sys.version.split()[0], "numpy_version": np.__version__,
           "scipy_version": scipy.__version__, "pandas_version": pd.__version__,
           "statsmodels_version": statsmodels.__version__,
           "seeds": SEEDS, "z95": Z95,
           "fit_call": "statsmodels.api.Logit(y, X).fit(disp=0, method='newton', maxiter=100)"
                       " [+ cov_type='cluster', cov_kwds={'groups': codes, "
                       "'use_correction': True} with --cluster]",
           "notes": {
               "reference_levels": "{} in a fit without an indicator term (the program may omit "
                                   "the key there)",
               "small_sample_factor": "G/(G-1)*(N-1)/(N-K)",
               "listwise": "rows missing the outcome, any predictor, an interaction factor or the "
                           "cluster are dropped for every fit of the case",
               "formula_crosscheck": cross,
               "tolerances_suggested": "1e-6 relative for coef, se, z, odds_ratio, covariance; "
                                       "1e-4 relative for p and or_ci95 (as expected.json)"},
           "cases": cases}
    assert_finite(out)
    text = json.dumps(out, indent=1, ensure_ascii=False) + "\n"
    changed += write_changed(HERE, {"expected_categorical.json": text}, check)
    if check:
        if changed:
            print("would change: " + ", ".join(changed))
            return 1
        print("up to date")
        return 0
    print("wrote: " + (", ".join(changed) if changed else "nothing (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
