#!/usr/bin/env python3
"""Independent reference for `voxdose cohort --cluster COLUMN` (Docs/COHORT.md "Lesions of one
patient", Docs/CLI.md): cluster-robust logistic fits and Obuchowski's clustered AUC variance.

Run from anywhere:

    python3 Fixtures/cohort/make_cluster_reference.py          # (re)write clustered_*.csv and
                                                               # expected_cluster.json
    python3 Fixtures/cohort/make_cluster_reference.py --check  # exit 1 if any of them would change

Needs numpy, scipy and statsmodels (`pip install statsmodels`). Written from Docs/COHORT.md, the
statsmodels source and the papers, without looking at the Swift engine. Deterministic: the two
tables it draws (clustered_small.csv, clustered_one_positive_patient.csv) come from
numpy.random.default_rng with the fixed seeds in SEEDS (chosen before any table was drawn, never
tuned); everything in expected_cluster.json is computed from the CSV files as committed, with no
randomness.

Rows. Cells are trimmed; a cell is missing when it is empty, `.`, or NA / NaN / null (any case).
A row with a missing outcome, a missing value in any of the case's predictors, or a missing
cluster value is dropped, once, for the whole case (listwise): every fit and every AUC of a case
uses the same rows. Cluster values are compared as trimmed text (`101` and `101.0` would be two
clusters; no fixture has such a pair). `positive` is compared as a number when the outcome
column is numeric, case-insensitively when it is boolean (true/false), else as exact text.

1. Logistic fits (every univariable fit and the multivariable one, terms [intercept, predictors…]):
       statsmodels.api.Logit(y, X).fit(method="newton", maxiter=200, disp=0, cov_type="cluster",
                                        cov_kwds={"groups": codes, "use_correction": True})
   codes = integer codes of the cluster column (numpy.unique(..., return_inverse=True)).
   Small-sample factor, confirmed in the installed statsmodels (0.15.0) source:
     * statsmodels/base/covtype.py, get_robustcov_results, cov_type "cluster":
       `use_correction = kwds.get("use_correction", True)` -> the default is True;
     * statsmodels/stats/sandwich_covariance.py, cov_cluster(..., use_correction=True,
       crv_type="cluster"): cov = H⁻¹·(Σ_g s_g s_gᵀ)·H⁻¹, then, when use_correction,
       `cov_c *= n_groups / (n_groups - 1.0) * ((nobs - 1.0) / float(nobs - k_params))`,
     i.e. exactly c = G/(G−1)·(N−1)/(N−K) (G clusters, N rows, K parameters incl. the intercept).
     `use_correction=True` is passed explicitly anyway (same as the default).
     `df_correction` (default True) changes only df_resid (t-based inference when use_t); Logit
     has use_t False, so p-values are normal. It does not touch the covariance.
   Per term: coef, se = √diag(cov), z = coef/se, p = 2·Φ(−|z|) (scipy.stats.norm.sf, upper tail
   computed directly), odds_ratio = exp(coef), or_ci95 = exp(coef ± 1.959964·se). Per fit: n,
   n_clusters, the factor c, the full covariance in term_order.
   Cross-checks (the script stops on a disagreement): own Newton–Raphson from β = 0 and own
   sandwich c·B⁻¹MB⁻¹ (B = XᵀWX, M = Σ_g s_g s_gᵀ, s_g = Σ_{i∈g} xᵢ(yᵢ − pᵢ)) agree with statsmodels
   to 1e-8 relative; statsmodels' bse and pvalues equal the ones written; statsmodels converged
   without warnings; a linear program (Konis 2007) finds no (quasi-)separation. With one row per
   cluster (case artemiso_singletons) c = N/(N−K) and the robust covariance is HC1
   (N/(N−K) × the HC0 sandwich), checked; the model-based (naive) fit is written beside it.

2. AUC and Obuchowski's clustered variance (Obuchowski 1997, Biometrics 53:567–578), written here
   directly. I clusters, positives X_ij (cluster i, j = 1..m_i), negatives Y_kl (l = 1..n_k),
   M = Σm_i, N = Σn_k, ψ(x, y) = 1 if x > y, ½ if equal, 0 otherwise;
       θ = ΣΣΣΣ ψ(X_ij, Y_kl)/(M·N);  V10(X_ij) = (1/N) Σ_k Σ_l ψ(X_ij, Y_kl);
       V01(Y_kl) = (1/M) Σ_i Σ_j ψ(X_ij, Y_kl);  V10_i = Σ_j V10(X_ij), V01_i = Σ_l V01(Y_il)
       (0 for a cluster without positives / negatives);
       S10 = I10/((I10−1)·M) · Σ_i (V10_i − m_i·θ)²
       S01 = I01/((I01−1)·N) · Σ_i (V01_i − n_i·θ)²
       S11 = I/(I−1) · Σ_i (V10_i − m_i·θ)(V01_i − n_i·θ)
       var(θ) = S10/M + S01/N + 2·S11/(M·N)
   with I10 = the number of clusters holding at least one positive, I01 = the number holding at
   least one negative, I = all clusters.
   DIFFERENCE FROM THE BRIEF AND FROM Docs/COHORT.md, which put I (all clusters) in all three
   factors. The paper's text is not in the stored corpora this script was written with; the
   I10/I01 version is what three independent public implementations of the paper use:
   DIDSR/mitoticFigureCounts R/doAUCcluster.R ("an adaptation of" funcs_clusteredROC.R from the
   Cleveland Clinic QHS software page, i.e. the author's group), hild0146/fastAUC R/auc.R
   (n_cluster_pos / n_cluster_neg / n_cluster_tot), and a third R `roc.clustered` (I10, I01, I),
   and it matches the paper's definitions as remembered when writing this (I10, I01 = clusters
   with at least one abnormal / normal unit; not checked against the printed page). It is also
   the only reading under which one unit per cluster gives DeLong's estimator exactly (I10 = M, I01 = N, S11 = 0 since no cluster holds both):
   S10 = Σ(V10 − θ)²/(M − 1) etc. With I everywhere, one unit per cluster gives S10·I(M−1)/((I−1)M),
   which is not DeLong's and not "DeLong's times I/(I−1)" either (COHORT.md says the latter).
   So `se` and `auc_ci95` use I10/I01; each `roc` entry also carries `obuchowski` with every
   component and `var_I_everywhere` / `se_I_everywhere`, the brief's/COHORT.md's reading, so a
   test can show (or choose) either.
   When all positives (I10 = 1) or all negatives (I01 = 1) lie in one cluster, S10 (S01) is 0/0:
   se and auc_ci95 are null. (Under the I-everywhere reading the variance would be finite there:
   V10_i − m_i·θ = 0 for the one cluster, so S10 = S11 = 0 and the positives' variability would
   silently vanish; COHORT.md's "null with a warning" is right for both readings.)
   auc_ci95 = [max(0, θ − 1.959964·se), min(1, θ + 1.959964·se)]. The AUC is P(positive >
   negative) + ½P(tie), whatever the direction.
   Cross-checks: every AUC and variance is computed twice, in floats (ψ matrix, numpy) and in exact
   fractions (fractions.Fraction); they agree to 1e-12 relative.
   `delong_singleton_check` (every case, every predictor): every row its own cluster, Obuchowski's
   variance (paper reading) vs DeLong's (1988: S10 = Σ(V10(X_i) − θ)²/(M−1), S01 likewise with
   N−1, var = S10/M + S01/N, V10/V01 from midranks as a second route): they agree to 1e-12
   (the script stops otherwise); the I-everywhere variance and its ratio to DeLong's are written.

Output: expected_cluster.json = {"generator", versions, "z95", "cases": [case…]}; case = {"name",
"table", "outcome", "positive" (as text), "predictors", "cluster", "n_rows" (data rows in the
file), "dropped_rows", "n", "n_positive", "n_clusters", "roc", "logistic" {"univariable",
"multivariable"}, "delong_singleton_check"} (+ "naive_logistic" for artemiso_singletons).
Floats are Python repr (shortest round-trip), non-finite never occurs (asserted).
"""
import json
import math
import os
import sys
import warnings
from fractions import Fraction

import numpy as np
import scipy
import scipy.optimize
import scipy.stats
import statsmodels
import statsmodels.api as sm

HERE = os.path.dirname(os.path.abspath(__file__))
Z95 = 1.959964  # the contract's constant, not the exact quantile
SEEDS = {"clustered_small": 2001, "clustered_one_positive_patient": 2002}
HEADER = ["label", "patient_id", "dose_mean_gy", "t_bp", "hypoxic", "suv_max", "response",
          "responder"]


# ============================================================================ synthetic tables
def _fmt(x, places):
    return f"{x:.{places}f}"


def _csv_text(rows):
    return "\n".join(",".join(str(c) for c in r) for r in [HEADER] + rows) + "\n"


def _response_text(rng, resp):
    if resp:
        return "CR" if rng.random() < 0.4 else "PR"
    return "SD" if rng.random() < 0.5 else "PD"


def clustered_small():
    """42 lesions in 12 patients, two each with 1, 2, … 6 lesions (sizes fixed by design, their
    order drawn), patient ids 701–712. Patient-level random effect on the
    logit (σ = 1.5) and a shared patient factor on the dose, so lesions of one patient are
    correlated in outcome and predictor:
        logit P(responder) = 0.3 + 0.03·(dose − 90) − 1.5·(t_bp − 1.29) + u_patient.
    Rows are shuffled (clusters interleave). Then five missing cells, one per row, at fixed rows:
    patient_id `NA` (the cluster column), dose_mean_gy `.`, t_bp `null`, responder `NaN` (these
    four drop a row each when those columns are used) and suv_max `` (an unused column here:
    drops nothing)."""
    rng = np.random.default_rng(SEEDS["clustered_small"])
    sizes = rng.permutation([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6])
    draws = []
    for p, size in enumerate(sizes):
        pid = 701 + p
        u = 1.5 * rng.standard_normal()
        dose_factor = math.exp(0.15 * rng.standard_normal())
        for _ in range(int(size)):
            d = min(max(90.0 * dose_factor * math.exp(0.25 * rng.standard_normal()), 30.0), 180.0)
            t = min(max(1.25 * math.exp(0.2 * rng.standard_normal()), 0.6), 2.8)
            s = 8.0 * math.exp(0.35 * rng.standard_normal())
            d, t, s = _fmt(d, 1), _fmt(t, 2), _fmt(s, 1)
            eta = 0.3 + 0.03 * (float(d) - 90.0) - 1.5 * (float(t) - 1.29) + u
            resp = bool(rng.random() < 1.0 / (1.0 + math.exp(-eta)))
            draws.append([pid, d, t, "true" if float(t) > 1.29 else "false", s,
                          _response_text(rng, resp), int(resp)])
    order = rng.permutation(len(draws))
    rows = [[i + 1] + draws[j] for i, j in enumerate(order)]
    # column index in HEADER: 1 patient_id, 2 dose, 3 t_bp, 5 suv_max, 7 responder
    for r, col, tok in ((3, 1, "NA"), (11, 2, "."), (19, 3, "null"), (27, 7, "NaN"), (35, 5, "")):
        rows[r][col] = tok
    assert 1 <= min(sizes) and max(sizes) <= 6
    return _csv_text(rows)


def clustered_one_positive_patient():
    """Every positive in one patient: patient 801 has 3 responding lesions and 1 non-responding;
    patients 802–809 have 1–3 non-responding lesions each. Doses overlap between the outcomes
    (positives 90·e^{0.25ε}, negatives 80·e^{0.25ε}), so the univariable fit exists, while
    Obuchowski's S10 has one cluster of positives: auc_ci95 null."""
    rng = np.random.default_rng(SEEDS["clustered_one_positive_patient"])
    draws = []
    plan = [(801, 3, 1)] + [(801 + k, 0, int(rng.integers(1, 4))) for k in range(1, 9)]
    for pid, npos, nneg in plan:
        for resp in [True] * npos + [False] * nneg:
            d = (90.0 if resp else 80.0) * math.exp(0.25 * rng.standard_normal())
            t = 1.25 * math.exp(0.2 * rng.standard_normal())
            s = 8.0 * math.exp(0.35 * rng.standard_normal())
            d, t, s = _fmt(d, 1), _fmt(t, 2), _fmt(s, 1)
            draws.append([pid, d, t, "true" if float(t) > 1.29 else "false", s,
                          _response_text(rng, resp), int(resp)])
    order = rng.permutation(len(draws))
    rows = [[i + 1] + draws[j] for i, j in enumerate(order)]
    pos = [float(r[2]) for r in rows if r[7] == 1]
    neg = [float(r[2]) for r in rows if r[7] == 0]
    assert max(neg) > min(pos) and max(pos) > min(neg), "dose must overlap (no separation)"
    return _csv_text(rows)


TABLES = {"clustered_small.csv": clustered_small,
          "clustered_one_positive_patient.csv": clustered_one_positive_patient}

# ============================================================================ cases
# (name, table, outcome, positive, predictors, cluster, what it is for)
CASES = [
    ("artemiso_dose_tbp", "artemiso_like.csv", "responder", "1", ["dose_mean_gy", "t_bp"],
     "patient_id", "54 lesions in 25 patients"),
    ("artemiso_dose", "artemiso_like.csv", "responder", "1", ["dose_mean_gy"], "patient_id",
     "one predictor: univariable = multivariable fit"),
    ("artemiso_default_predictors", "artemiso_like.csv", "responder", "1",
     ["dose_mean_gy", "t_bp", "hypoxic", "suv_max"], "patient_id",
     "all default predictors, a boolean among them"),
    ("clustered_small", "clustered_small.csv", "responder", "1", ["dose_mean_gy", "t_bp"],
     "patient_id", "patient random effect; listwise deletion incl. a missing cluster value"),
    ("clustered_small_dose", "clustered_small.csv", "responder", "1", ["dose_mean_gy"],
     "patient_id", "t_bp not used: its missing cell drops nothing"),
    ("artemiso_singletons", "artemiso_like.csv", "responder", "1", ["dose_mean_gy", "t_bp"],
     "label", "every row its own cluster: robust = HC1, Obuchowski = DeLong; naive fit beside"),
    ("one_positive_patient", "clustered_one_positive_patient.csv", "responder", "1",
     ["dose_mean_gy"], "patient_id", "all positives in one patient: se and auc_ci95 null"),
]

# ============================================================================ reading
from cohort_table import column_kind, is_missing, parse_number, read_table  # noqa: E402
from reference_files import assert_finite, write_changed  # noqa: E402


def predictor_value(cell, kind):
    if kind == "numeric":
        v = parse_number(cell)
        assert v is not None, cell
        return v
    assert kind == "boolean", kind
    return 1.0 if cell.lower() == "true" else 0.0


def is_positive(cell, kind, positive):
    if kind == "numeric":
        return parse_number(cell) == parse_number(positive)
    if kind == "boolean":
        return cell.lower() == positive.lower()
    return cell == positive


def load_case(table, outcome, positive, predictors, cluster):
    header, data = read_table(os.path.join(HERE, table))
    col = {name: k for k, name in enumerate(header)}
    kinds = {name: column_kind([r[col[name]] for r in data]) for name in header}
    used = [outcome, cluster] + predictors
    keep = [r for r in data if not any(is_missing(r[col[c]]) for c in used)]
    y = np.array([1.0 if is_positive(r[col[outcome]], kinds[outcome], positive) else 0.0
                  for r in keep])
    X = {p: np.array([predictor_value(r[col[p]], kinds[p]) for r in keep]) for p in predictors}
    clusters = [r[col[cluster]] for r in keep]
    _, codes = np.unique(np.array(clusters, dtype=object).astype(str), return_inverse=True)
    codes = codes.astype(np.int64)
    return {"n_rows": len(data), "dropped_rows": len(data) - len(keep), "y": y, "X": X,
            "codes": codes, "kinds": kinds}


# ============================================================================ ROC
def psi(a, b):
    return 1.0 if a > b else (0.5 if a == b else 0.0)


def obuchowski(pos, pos_cl, neg, neg_cl, n_clusters):
    """Obuchowski (1997) in floats. Returns θ and the components (see the module docstring)."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    M, N = len(pos), len(neg)
    P = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    theta = P.sum() / (M * N)
    v10 = P.sum(axis=1) / N
    v01 = P.sum(axis=0) / M
    I = n_clusters
    m = np.bincount(pos_cl, minlength=I).astype(float)
    n = np.bincount(neg_cl, minlength=I).astype(float)
    V10 = np.bincount(pos_cl, weights=v10, minlength=I)
    V01 = np.bincount(neg_cl, weights=v01, minlength=I)
    d10, d01 = V10 - m * theta, V01 - n * theta
    I10, I01 = int((m > 0).sum()), int((n > 0).sum())
    ss10, ss01, s11x = float((d10 ** 2).sum()), float((d01 ** 2).sum()), float((d10 * d01).sum())
    S11 = I / (I - 1) * s11x
    S10 = I10 / ((I10 - 1) * M) * ss10 if I10 > 1 else None
    S01 = I01 / ((I01 - 1) * N) * ss01 if I01 > 1 else None
    var = None if S10 is None or S01 is None else S10 / M + S01 / N + 2 * S11 / (M * N)
    S10a = I / ((I - 1) * M) * ss10
    S01a = I / ((I - 1) * N) * ss01
    var_a = S10a / M + S01a / N + 2 * S11 / (M * N)
    return {"theta": float(theta), "I": I, "I10": I10, "I01": I01, "M": M, "N": N,
            "S10": S10, "S01": S01, "S11": S11, "var": var,
            "S10_I_everywhere": S10a, "S01_I_everywhere": S01a, "var_I_everywhere": var_a}


def obuchowski_exact(pos, pos_cl, neg, neg_cl, n_clusters):
    """The same in exact fractions, by loops straight from the formulas (second route)."""
    M, N, I = len(pos), len(neg), n_clusters
    two_psi = [[2 if a > b else (1 if a == b else 0) for b in neg] for a in pos]
    theta = Fraction(sum(map(sum, two_psi)), 2 * M * N)
    V10 = [Fraction(0)] * I
    V01 = [Fraction(0)] * I
    m, n = [0] * I, [0] * I
    for j, c in enumerate(pos_cl):
        V10[c] += Fraction(sum(two_psi[j]), 2 * N)
        m[c] += 1
    for l, c in enumerate(neg_cl):
        V01[c] += Fraction(sum(two_psi[j][l] for j in range(M)), 2 * M)
        n[c] += 1
    I10, I01 = sum(1 for k in m if k), sum(1 for k in n if k)
    ss10 = sum((V10[i] - m[i] * theta) ** 2 for i in range(I))
    ss01 = sum((V01[i] - n[i] * theta) ** 2 for i in range(I))
    s11 = Fraction(I, I - 1) * sum((V10[i] - m[i] * theta) * (V01[i] - n[i] * theta)
                                   for i in range(I))
    var = None
    if I10 > 1 and I01 > 1:
        S10 = Fraction(I10, (I10 - 1) * M) * ss10
        S01 = Fraction(I01, (I01 - 1) * N) * ss01
        var = S10 / M + S01 / N + 2 * s11 / (M * N)
    var_a = (Fraction(I, (I - 1) * M) * ss10 / M + Fraction(I, (I - 1) * N) * ss01 / N
             + 2 * s11 / (M * N))
    return theta, var, var_a


def delong_var(pos, neg):
    """DeLong (1988) from midranks: V10 = (rank among all − rank among positives)/N, etc."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    M, N = len(pos), len(neg)
    r_all = scipy.stats.rankdata(np.concatenate([pos, neg]))
    v10 = (r_all[:M] - scipy.stats.rankdata(pos)) / N
    v01 = 1.0 - (r_all[M:] - scipy.stats.rankdata(neg)) / M
    theta = float(v10.mean())
    s10 = float(((v10 - theta) ** 2).sum() / (M - 1))
    s01 = float(((v01 - theta) ** 2).sum() / (N - 1))
    return theta, s10 / M + s01 / N


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def roc_block(values, y, codes):
    n_clusters = int(codes.max()) + 1
    pos_mask = y == 1
    pos, neg = values[pos_mask], values[~pos_mask]
    pos_cl, neg_cl = codes[pos_mask], codes[~pos_mask]
    o = obuchowski(pos, pos_cl, neg, neg_cl, n_clusters)
    theta_x, var_x, var_a_x = obuchowski_exact(pos.tolist(), pos_cl.tolist(), neg.tolist(),
                                               neg_cl.tolist(), n_clusters)
    assert close(o["theta"], float(theta_x), 1e-13)
    assert (o["var"] is None) == (var_x is None)
    if var_x is not None:
        assert close(o["var"], float(var_x), 1e-12), (o["var"], float(var_x))
    assert close(o["var_I_everywhere"], float(var_a_x), 1e-12)
    auc = float(theta_x)
    var = None if var_x is None else float(var_x)
    se = None if var is None or var < 0 else math.sqrt(var)
    ci = None if se is None else [max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se)]
    var_a = float(var_a_x)
    detail = {k: o[k] for k in ("I", "I10", "I01", "M", "N", "S10", "S01", "S11")}
    detail.update({"var": var, "var_I_everywhere": var_a,
                   "se_I_everywhere": math.sqrt(var_a) if var_a >= 0 else None})
    block = {"auc": auc, "se": se, "auc_ci95": ci, "n": int(len(values)),
             "n_clusters": n_clusters, "obuchowski": detail}

    # every row its own cluster: Obuchowski (paper reading) must equal DeLong
    singles = np.arange(len(values))
    s = obuchowski(pos, singles[pos_mask], neg, singles[~pos_mask], len(values))
    d_auc, d_var = delong_var(pos, neg)
    assert close(d_auc, auc, 1e-13)
    assert s["var"] is not None and close(s["var"], d_var, 1e-12), (s["var"], d_var)
    check = {"auc": auc, "M": len(pos), "N": len(neg), "delong_var": d_var,
             "obuchowski_var": s["var"], "obuchowski_var_I_everywhere": s["var_I_everywhere"],
             "ratio_I_everywhere_to_delong": s["var_I_everywhere"] / d_var,
             "delong_se": math.sqrt(d_var), "obuchowski_se": math.sqrt(s["var"])}
    return block, check


# ============================================================================ logistic
def lp_separated(X, y):
    """Konis (2007): (quasi-)separation iff some β ≠ 0 has (2y−1)·xβ ≥ 0 for every row. Columns
    centred and scaled (intercept kept), β boxed in [−1, 1]; separated when max Σ(2y−1)xβ > 1e-7."""
    Z = X.copy()
    for j in range(1, Z.shape[1]):
        sd = Z[:, j].std()
        Z[:, j] = (Z[:, j] - Z[:, j].mean()) / (sd if sd > 0 else 1.0)
    A = (2 * y - 1)[:, None] * Z
    res = scipy.optimize.linprog(c=-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)),
                                 bounds=[(-1, 1)] * Z.shape[1], method="highs")
    assert res.status == 0, res.message
    return -res.fun > 1e-7


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


def own_cluster_cov(X, y, beta, B, p, codes):
    G = int(codes.max()) + 1
    N, K = X.shape
    scores = X * (y - p)[:, None]
    S = np.zeros((G, K))
    np.add.at(S, codes, scores)
    Binv = np.linalg.inv(B)
    c = G / (G - 1) * (N - 1) / (N - K)
    return c * Binv @ (S.T @ S) @ Binv, c


def terms_block(names, params, cov):
    se = np.sqrt(np.diag(cov))
    out = {}
    for k, name in enumerate(names):
        coef, s = float(params[k]), float(se[k])
        z = coef / s
        out[name] = {"coef": coef, "se": s, "z": z, "p": float(2 * scipy.stats.norm.sf(abs(z))),
                     "odds_ratio": math.exp(coef),
                     "or_ci95": [math.exp(coef - Z95 * s), math.exp(coef + Z95 * s)]}
    return out


def logistic_fit(data, preds, naive=False):
    y, codes = data["y"], data["codes"]
    names = ["intercept"] + list(preds)
    X = np.column_stack([np.ones(len(y))] + [data["X"][p] for p in preds])
    assert np.linalg.matrix_rank(X) == X.shape[1], "singular design"
    assert not lp_separated(X, y), ("separated", preds)
    kw = {} if naive else {"cov_type": "cluster",
                           "cov_kwds": {"groups": codes, "use_correction": True}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.Logit(y, X).fit(method="newton", maxiter=200, disp=0, **kw)
    assert not caught, [str(w.message) for w in caught]
    assert res.mle_retvals["converged"]
    params = np.asarray(res.params)
    cov = np.asarray(res.cov_params())
    G = int(codes.max()) + 1
    N, K = X.shape

    beta, B, p = own_newton(X, y)
    assert np.allclose(beta, params, rtol=1e-8, atol=1e-10 * np.max(np.abs(params))), (beta, params)
    if naive:
        own_cov, c = np.linalg.inv(B), None
    else:
        own_cov, c = own_cluster_cov(X, y, params, B, p, codes)
        assert res.cov_kwds["use_correction"] is True
    scale = np.max(np.abs(cov))
    assert np.allclose(own_cov, cov, rtol=1e-8, atol=1e-10 * scale), (own_cov, cov)
    terms = terms_block(names, params, cov)
    for k, name in enumerate(names):
        assert close(terms[name]["se"], float(np.asarray(res.bse)[k]), 1e-12)
        assert close(terms[name]["p"], float(np.asarray(res.pvalues)[k]), 1e-9)
    fit = {"n": int(N), "n_clusters": None if naive else G, "converged": True,
           "terms": terms, "term_order": names,
           "covariance": [[float(v) for v in row] for row in cov]}
    if not naive:
        fit["small_sample_factor"] = c
        if G == N:  # one row per cluster: the robust covariance is HC1
            Binv = np.linalg.inv(B)
            sc = X * (y - p)[:, None]
            hc1 = N / (N - K) * Binv @ (sc.T @ sc) @ Binv
            assert np.allclose(hc1, cov, rtol=1e-8, atol=1e-10 * scale)
    return fit


# ============================================================================ driver
def run_case(name, table, outcome, positive, preds, cluster, about):
    data = load_case(table, outcome, positive, preds, cluster)
    y = data["y"]
    case = {"name": name, "about": about, "table": table, "outcome": outcome,
            "positive": positive, "predictors": preds, "cluster": cluster,
            "n_rows": data["n_rows"], "dropped_rows": data["dropped_rows"], "n": int(len(y)),
            "n_positive": int(y.sum()), "n_clusters": int(data["codes"].max()) + 1}
    roc, checks = {}, {}
    for p in preds:
        roc[p], checks[p] = roc_block(data["X"][p], y, data["codes"])
    case["roc"] = roc
    case["logistic"] = {"univariable": {p: logistic_fit(data, [p]) for p in preds},
                        "multivariable": logistic_fit(data, preds)}
    if case["n_clusters"] == case["n"]:
        case["naive_logistic"] = {"univariable": {p: logistic_fit(data, [p], naive=True)
                                                  for p in preds},
                                  "multivariable": logistic_fit(data, preds, naive=True)}
    case["delong_singleton_check"] = checks
    return case


def main():
    check = "--check" in sys.argv[1:]
    changed = write_changed(HERE, {fname: make() for fname, make in TABLES.items()}, check)
    cases = [run_case(*c) for c in CASES]
    out = {"generator": "Fixtures/cohort/make_cluster_reference.py",
           "python_version": sys.version.split()[0], "numpy_version": np.__version__,
           "scipy_version": scipy.__version__, "statsmodels_version": statsmodels.__version__,
           "seeds": SEEDS, "z95": Z95,
           "notes": {
               "small_sample_factor": "G/(G-1)*(N-1)/(N-K), statsmodels cov_type='cluster' "
                                      "default use_correction=True (sandwich_covariance.cov_cluster)",
               "obuchowski": "se/auc_ci95 use I10/((I10-1)M) in S10 and I01/((I01-1)N) in S01 "
                             "(I10, I01 = clusters holding positives / negatives), I/(I-1) in S11; "
                             "obuchowski.var_I_everywhere is the reading with I in all three",
               "listwise": "rows missing the outcome, any listed predictor or the cluster are "
                           "dropped for the whole case"}}
    out["cases"] = cases
    assert_finite(out)
    text = json.dumps(out, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    changed += write_changed(HERE, {"expected_cluster.json": text}, check)
    if check:
        print("would change: " + ", ".join(changed) if changed else "expected files up to date")
        sys.exit(1 if changed else 0)
    print("written: " + (", ".join(changed) if changed else "nothing changed"))


if __name__ == "__main__":
    main()
