#!/usr/bin/env python3
"""Independent reference for `voxdose cohort` (CONTRACT.md "voxdose cohort", Docs/COHORT.md).

Run from anywhere (after make_cohorts.py):

    python3 Fixtures/cohort/make_reference.py          # write expected.json, expected.meta.json
    python3 Fixtures/cohort/make_reference.py --check  # exit 1 if either would change

Needs numpy, scipy and statsmodels (`pip install statsmodels`). Written from Docs/COHORT.md and
the papers it cites, without looking at the Swift engine. Deterministic: it reads the committed
CSVs and uses no randomness.

expected.json = {case name: {"args": [...], "exit_status": 0|1, "expected": {...}, ...}}.
`expected` is the voxdose.cohort/1 body without `schema`/`voxdose_version`, except `warnings`,
which is a list with one entry per expected warning: the sorted list of predictor names that
warning must name (the wording is not fixed). `warning_reasons` says what each is about. An error
case has "expected": {"error": true} and exit_status 1. Floats are written with repr (full
precision); non-finite numbers as null.

Every figure is computed twice where a second independent route exists, and the two must agree
before anything is written:
  AUC            pairwise ψ matrix (O(n₁n₀))           vs  midranks (Mann–Whitney U)
  DeLong SE      structural components from midranks   vs  brute-force ψ matrix row/column means
  Youden         exact fractions (fractions.Fraction)  (floats are never compared for J)
  Mann–Whitney   scipy.stats.mannwhitneyu              vs  the formula in COHORT.md
  χ², Yates      scipy.stats.chi2_contingency          vs  Σ(O−E)²/E by hand
  Fisher         scipy.stats.fisher_exact              vs  hypergeometric sum by hand
  logistic       statsmodels Logit (newton)            vs  own Newton–Raphson in numpy
  separation     linear program (scipy linprog, HiGHS) vs  statsmodels' warning/divergence, and
                                                           for one predictor the overlap rule
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
from statsmodels.tools import sm_exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # paths in args are relative to the repo root
Z95 = 1.959964  # the contract's constant, not the exact quantile

sys.path.insert(0, HERE)
from reference_files import write_changed  # noqa: E402
import make_cohorts  # noqa: E402  (true coefficients and seeds, recorded in the meta file)


class CohortError(Exception):
    """What `voxdose cohort` must refuse with exit 1."""


# ------------------------------------------------------------------------------------ reading
from cohort_table import column_kind, is_missing, parse_number, read_table  # noqa: E402


def cell_value(cell, kind):
    """Predictor value as a float (booleans 1/0)."""
    if kind == "numeric":
        return parse_number(cell)
    if kind == "boolean":
        return 1.0 if cell.lower() == "true" else 0.0
    raise CohortError("text predictor")


# ------------------------------------------------------------------------------------ ROC
def psi_matrix(pos, neg):
    p = np.asarray(pos)[:, None]
    q = np.asarray(neg)[None, :]
    return (p > q) + 0.5 * (p == q)


def midranks(x):
    return scipy.stats.rankdata(x, method="average")


def auc_delong(pos, neg):
    """AUC and DeLong SE from midranks: for a positive value x, the number of negatives below it
    plus half those tied equals (its midrank among all values) − (its midrank among positives);
    likewise for negatives. V₁₀ (per positive) and V₀₁ (per negative) are those counts over n₀
    and n₁ (DeLong, DeLong & Clarke-Pearson 1988, structural components)."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    n1, n0 = len(pos), len(neg)
    r_all = midranks(np.concatenate([pos, neg]))
    r_pos, r_neg = midranks(pos), midranks(neg)
    v10 = (r_all[:n1] - r_pos) / n0
    v01 = 1.0 - (r_all[n1:] - r_neg) / n1  # fraction of positives above each negative (ψ)
    auc = float(np.mean(v10))
    se = None
    if n1 >= 2 and n0 >= 2:
        s10 = float(np.var(v10, ddof=1))
        s01 = float(np.var(v01, ddof=1))
        se = math.sqrt(s10 / n1 + s01 / n0)
    return auc, se, v10, v01


def auc_delong_bruteforce(pos, neg):
    m = psi_matrix(pos, neg)
    v10 = m.mean(axis=1)
    v01 = m.mean(axis=0)
    auc = Fraction(int(round(2 * m.sum())), 2 * m.size)
    se = None
    if len(pos) >= 2 and len(neg) >= 2:
        se = math.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    return auc, se


def youden(values, y, direction):
    """Cut-off c among distinct observed values maximising J = sens + spec − 1 exactly (fractions);
    ties: higher specificity."""
    n1 = sum(y)
    n0 = len(y) - n1
    best = None
    for c in sorted(set(values)):
        if direction == "greater":
            test = [v > c for v in values]
        else:
            test = [v <= c for v in values]
        tp = sum(1 for t, yy in zip(test, y) if t and yy)
        tn = sum(1 for t, yy in zip(test, y) if not t and not yy)
        sens, spec = Fraction(tp, n1), Fraction(tn, n0)
        j = sens + spec - 1
        key = (j, spec)
        if best is None or key > best[0]:
            best = (key, c, sens, spec)
        elif key == best[0]:
            raise AssertionError("two cut-offs with equal J and equal specificity")
    _, c, sens, spec = best
    return c, sens, spec


def youden_ties(values, y, direction):
    """How many candidates share the maximal J (for the README: where the tie-break acts)."""
    n1 = sum(y)
    n0 = len(y) - n1
    js = []
    for c in sorted(set(values)):
        test = [(v > c) if direction == "greater" else (v <= c) for v in values]
        tp = sum(1 for t, yy in zip(test, y) if t and yy)
        tn = sum(1 for t, yy in zip(test, y) if not t and not yy)
        js.append(Fraction(tp, n1) + Fraction(tn, n0) - 1)
    jmax = max(js)
    exact_ties = sum(1 for j in js if j == jmax)
    # J as a program summing floats would get it: sens + spec - 1 from tp/n1 and tn/n0
    float_js = []
    for c in sorted(set(values)):
        test = [(v > c) if direction == "greater" else (v <= c) for v in values]
        tp = sum(1 for t, yy in zip(test, y) if t and yy)
        tn = sum(1 for t, yy in zip(test, y) if not t and not yy)
        float_js.append(tp / n1 + tn / n0 - 1.0)
    return exact_ties, float_js


# ------------------------------------------------------------------------------------ Mann–Whitney
def mann_whitney(pos, neg, auc):
    n1, n0 = len(pos), len(neg)
    n = n1 + n0
    u = float(auc * n1 * n0)  # exact (auc is a Fraction): a whole or half number
    auc = float(auc)
    _, counts = np.unique(np.concatenate([pos, neg]), return_counts=True)
    tie = float(np.sum(counts.astype(float) ** 3 - counts))
    var = n1 * n0 / 12.0 * ((n + 1) - tie / (n * (n - 1)))
    if var <= 0:
        return u, None
    sigma = math.sqrt(var)
    z = max((abs(u - n1 * n0 / 2.0) - 0.5) / sigma, 0.0)
    p_own = min(1.0, 2.0 * scipy.stats.norm.sf(z))
    res = scipy.stats.mannwhitneyu(pos, neg, alternative="two-sided", method="asymptotic",
                                   use_continuity=True)
    assert abs(float(res.statistic) - u) <= 1e-9 * max(1.0, u), (res.statistic, u)
    assert abs(float(res.pvalue) - p_own) <= 1e-12 + 1e-10 * p_own, (res.pvalue, p_own)
    return u, float(res.pvalue)


# ------------------------------------------------------------------------------------ tables
def fisher_by_hand(t):
    a, b = t[0]
    c, d = t[1]
    r1, c1, n = a + b, a + c, a + b + c + d

    def prob(x):
        return Fraction(math.comb(c1, x) * math.comb(n - c1, r1 - x), math.comb(n, r1))

    p_obs = prob(a)
    lo, hi = max(0, r1 - (n - c1)), min(r1, c1)
    total = Fraction(0)
    for x in range(lo, hi + 1):
        px = prob(x)
        if px <= p_obs * Fraction(1 + 10**-7):  # scipy's relative tolerance 1 + 1e-7
            total += px
    return min(1.0, float(total))


def chi2_by_hand(t, yates):
    t = np.asarray(t, float)
    e = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    d = np.abs(t - e)
    if yates:
        d = d - np.minimum(0.5, d)
    return float(np.sum(d * d / e))


def cutoff_block(values, y, cut):
    ap = sum(1 for v, yy in zip(values, y) if v > cut and yy)
    an = sum(1 for v, yy in zip(values, y) if v > cut and not yy)
    bp = sum(1 for v, yy in zip(values, y) if not v > cut and yy)
    bn = sum(1 for v, yy in zip(values, y) if not v > cut and not yy)
    t = np.array([[ap, an], [bp, bn]])
    block = {
        "value": cut,
        "table": {"above_positive": ap, "above_negative": an, "below_positive": bp,
                  "below_negative": bn},
        "response_above_pct": 100.0 * ap / (ap + an) if ap + an else None,
        "response_below_pct": 100.0 * bp / (bp + bn) if bp + bn else None,
    }
    expected_zero = (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any()
    if expected_zero:
        block.update(chi2=None, chi2_p=None, chi2_yates_p=None)
        try:
            scipy.stats.chi2_contingency(t, correction=False)
            raise AssertionError("scipy accepted a table with a zero expected count")
        except ValueError:
            pass
    else:
        chi2, p, dof, _ = scipy.stats.chi2_contingency(t, correction=False)
        chi2y, py, _, _ = scipy.stats.chi2_contingency(t, correction=True)
        assert dof == 1
        own, owny = chi2_by_hand(t, False), chi2_by_hand(t, True)
        assert abs(chi2 - own) <= 1e-12 * max(1.0, own), (chi2, own)
        assert abs(chi2y - owny) <= 1e-12 * max(1.0, owny), (chi2y, owny)
        assert abs(p - scipy.stats.chi2.sf(own, 1)) <= 1e-12
        block.update(chi2=float(chi2), chi2_p=float(p), chi2_yates_p=float(py))
    fp = float(scipy.stats.fisher_exact(t, alternative="two-sided").pvalue)
    fh = fisher_by_hand(t.tolist())
    assert abs(fp - fh) <= 1e-10 * max(fh, 1e-300) + 1e-15, (fp, fh, t)
    block["fisher_p"] = fp
    return block


# ------------------------------------------------------------------------------------ logistic
def lp_separation(X, y):
    """Konis (2007) linear-programming test for (quasi-)complete separation (Albert & Anderson
    1984): is there β ≠ 0 with (2y−1)·xᵢβ ≥ 0 for every row, strictly for at least one?
    Maximise Σ (2yᵢ−1)xᵢβ subject to (2yᵢ−1)xᵢβ ≥ 0 and −1 ≤ βⱼ ≤ 1; the optimum is > 0 exactly
    when such a β exists. Columns are centred and scaled first (an invertible change of β, which
    keeps the answer and helps the numerics)."""
    Z = X.copy().astype(float)
    for j in range(1, Z.shape[1]):
        sd = Z[:, j].std()
        Z[:, j] = (Z[:, j] - Z[:, j].mean()) / (sd if sd > 0 else 1.0)
    A = (2.0 * y - 1.0)[:, None] * Z
    res = scipy.optimize.linprog(c=-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)),
                                 bounds=[(-1.0, 1.0)] * Z.shape[1], method="highs")
    assert res.status == 0, res.message
    value = -res.fun
    margins = A @ res.x
    return value > 1e-7, value, int(np.sum(margins > 1e-7))


def own_newton(X, y, iters=100):
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        w = p * (1.0 - p)
        info = X.T @ (w[:, None] * X)
        step = np.linalg.solve(info, X.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-13 * max(1.0, np.max(np.abs(beta))):
            break
    else:
        return None, None
    p = 1.0 / (1.0 + np.exp(-(X @ beta)))
    info = X.T @ ((p * (1.0 - p))[:, None] * X)
    return beta, np.linalg.inv(info)


def statsmodels_fit(X, y):
    """Logit(y, X).fit(newton); returns (result or None, signals of trouble)."""
    signals = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = sm.Logit(y, X).fit(method="newton", maxiter=200, disp=0)
        except (np.linalg.LinAlgError, sm_exceptions.PerfectSeparationError) as e:
            return None, [type(e).__name__]
    for w in caught:
        if issubclass(w.category, (sm_exceptions.PerfectSeparationWarning,
                                   sm_exceptions.ConvergenceWarning, RuntimeWarning,
                                   sm_exceptions.HessianInversionWarning)):
            if w.category.__name__ not in signals:
                signals.append(w.category.__name__)
    if not res.mle_retvals.get("converged", False):
        signals.append("not converged")
    fitted = res.predict(X)
    if np.min(np.minimum(fitted, 1.0 - fitted)) < 1e-6:
        signals.append("fitted probability within 1e-6 of 0 or 1")
    if not np.all(np.isfinite(res.params)) or np.max(np.abs(res.params)) > 1e3:
        signals.append("coefficients diverging")
    return res, signals


def logistic_fit(X, y, names, log):
    """One fit (`names` are the predictors; X has the intercept column first)."""
    fit = {"n": int(len(y)), "converged": False, "separation": False, "terms": None}
    terms_order = ["intercept"] + names
    if np.linalg.matrix_rank(X) < X.shape[1]:
        # Newton from β = 0: the first information matrix is XᵀX/4; confirm it is singular
        info0 = X.T @ X / 4.0
        cond = float(np.linalg.cond(info0))
        assert not cond < 1e12, cond
        res, signals = statsmodels_fit(X, y)
        log.append(("singular information matrix", names,
                    {"condition_number_at_beta0": cond, "statsmodels": signals or
                     ["nothing (it fits with a pseudo-inverse; not used)"]}))
        return fit, ("singular information matrix", sorted(names))
    separated, lpval, strict_rows = lp_separation(X, y)
    res, signals = statsmodels_fit(X, y)
    if len(names) == 1:
        xs = X[:, 1]
        overlap_free = (xs[y == 0].max() <= xs[y == 1].min()) or (xs[y == 1].max() <= xs[y == 0].min())
        assert overlap_free == separated, (names, overlap_free, separated)
    if separated:
        assert signals, ("LP says separated, statsmodels shows nothing", names)
        log.append(("separation", names, {"lp_value": lpval, "rows_strict": strict_rows,
                                          "statsmodels": signals}))
        fit["separation"] = True
        return fit, ("separation", sorted(names))
    assert res is not None and not signals, ("LP says not separated, statsmodels:", names, signals)
    coef = np.asarray(res.params, float)
    se = np.sqrt(np.diag(np.asarray(res.cov_params(), float)))
    z = coef / se
    p = 2.0 * scipy.stats.norm.sf(np.abs(z))
    assert np.allclose(p, np.asarray(res.pvalues, float), rtol=1e-10, atol=1e-300)
    beta, cov = own_newton(X, y)
    assert beta is not None
    assert np.allclose(beta, coef, rtol=1e-8, atol=1e-10), (beta, coef)
    assert np.allclose(np.sqrt(np.diag(cov)), se, rtol=1e-8), (cov, se)
    fit["converged"] = True
    fit["terms"] = {}
    for k, name in enumerate(terms_order):
        fit["terms"][name] = {
            "coef": float(coef[k]), "se": float(se[k]), "z": float(z[k]), "p": float(p[k]),
            "odds_ratio": math.exp(coef[k]),
            "or_ci95": [math.exp(coef[k] - Z95 * se[k]), math.exp(coef[k] + Z95 * se[k])],
        }
    fit["_cov"] = np.asarray(res.cov_params(), float).tolist()
    return fit, None


# ------------------------------------------------------------------------------------ one case
def parse_args(args):
    path = args[0]
    opts = {"--outcome": None, "--positive": None, "--predictors": None, "--cutoffs": None}
    i = 1
    while i < len(args):
        assert args[i] in opts, args[i]
        opts[args[i]] = args[i + 1]
        i += 2
    return path, opts


def run_case(args, log):
    path, opts = parse_args(args)
    header, data = read_table(os.path.join(ROOT, path))
    cols = {h: [r[k] for r in data] for k, h in enumerate(header)}
    kinds = {h: column_kind(cols[h]) for h in header}
    outcome = opts["--outcome"]
    if outcome not in cols:
        raise CohortError("no such outcome column")
    okind = kinds[outcome]
    present = [c for c in cols[outcome] if not is_missing(c)]

    # positive value and the test "is this cell positive"
    if okind == "numeric" and set(parse_number(c) for c in present) <= {0.0, 1.0}:
        pos_val = parse_number(opts["--positive"]) if opts["--positive"] is not None else 1.0
        if pos_val is None:
            raise CohortError("--positive is not a number for a numeric outcome")
        is_pos = lambda c: parse_number(c) == pos_val  # noqa: E731
        positive_out = int(pos_val) if pos_val.is_integer() else pos_val
    elif okind == "boolean":
        pos_txt = (opts["--positive"] or "true").lower()
        if pos_txt not in ("true", "false"):
            raise CohortError("--positive is not a boolean for a boolean outcome")
        is_pos = lambda c: c.lower() == pos_txt  # noqa: E731
        positive_out = pos_txt == "true"
    else:
        if opts["--positive"] is None:
            raise CohortError("outcome needs --positive")
        pv = opts["--positive"]
        if okind == "numeric":
            pos_val = parse_number(pv)
            is_pos = lambda c: parse_number(c) == pos_val  # noqa: E731
            positive_out = int(pos_val) if pos_val.is_integer() else pos_val
        else:
            is_pos = lambda c: c == pv  # noqa: E731
            positive_out = pv

    # predictors
    if opts["--predictors"] is not None:
        preds = opts["--predictors"].split(",")
        for p in preds:
            if p not in cols or kinds[p] == "text":
                raise CohortError("predictor missing or text")
    else:
        preds = [h for h in header
                 if h != outcome and h != "label" and h != "id" and not h.endswith("_id")
                 and kinds[h] in ("numeric", "boolean")]
    cutoffs = {}
    if opts["--cutoffs"] is not None:
        for item in opts["--cutoffs"].split(","):
            k, v = item.split("=")
            assert k in preds, "a cut-off for a column that is not a predictor: not covered"
            cutoffs[k] = float(v)

    used = [outcome] + preds
    keep = [i for i in range(len(data)) if not any(is_missing(cols[c][i]) for c in used)]
    y = np.array([1 if is_pos(cols[outcome][i]) else 0 for i in keep])
    xs = {p: np.array([cell_value(cols[p][i], kinds[p]) for i in keep]) for p in preds}
    n1 = int(y.sum())
    n0 = len(y) - n1
    assert n1 > 0 and n0 > 0, "no case here has a one-class outcome"

    body = {
        "n_rows": len(data), "dropped_rows": len(data) - len(keep), "n_positive": n1,
        "outcome": outcome, "positive": positive_out, "warnings": [], "predictors": {},
        "logistic": {"univariable": {}, "multivariable": None},
    }
    reasons = []
    youden_log = []
    for p in preds:
        v = xs[p]
        pos, neg = v[y == 1], v[y == 0]
        auc, se, _, _ = auc_delong(pos, neg)
        auc_exact, se_bf = auc_delong_bruteforce(pos, neg)
        assert abs(auc - float(auc_exact)) <= 1e-13, (auc, auc_exact)
        assert (se is None) == (se_bf is None)
        if se is not None:
            assert abs(se - se_bf) <= 1e-12 * max(se, 1e-300) + 1e-15, (se, se_bf)
        direction = "greater" if auc_exact >= Fraction(1, 2) else "less"
        c, sens, spec = youden(v.tolist(), y.tolist(), direction)
        block = {"n": int(len(y)), "roc": {
            "auc": float(auc_exact),
            "auc_ci95": None if se is None else [max(0.0, float(auc_exact) - Z95 * se),
                                                 min(1.0, float(auc_exact) + Z95 * se)],
            "direction": direction, "youden_cutoff": float(c),
            "sensitivity": float(sens), "specificity": float(spec)}}
        u, mwp = mann_whitney(pos, neg, auc_exact)
        ties_j, float_js = youden_ties(v.tolist(), y.tolist(), direction)
        if ties_j > 1:
            cands = sorted(set(v.tolist()))
            jmax = max(float_js)
            youden_log.append({
                "predictor": p, "candidates_with_max_j": ties_j, "chosen": float(c),
                "float_sens_plus_spec_minus_1_at_max": {
                    repr(cc): jj for cc, jj in zip(cands, float_js) if abs(jj - jmax) < 1e-12}})
        block["mann_whitney_u"] = u
        block["mann_whitney_p"] = mwp
        if p in cutoffs:
            block["cutoff"] = cutoff_block(v.tolist(), y.tolist(), cutoffs[p])
        body["predictors"][p] = block

    def design(names):
        return np.column_stack([np.ones(len(y))] + [xs[n] for n in names])

    for p in preds:
        fit, warn = logistic_fit(design([p]), y.astype(float), [p], log)
        fit.pop("_cov", None)
        body["logistic"]["univariable"][p] = fit
        if warn:
            reasons.append(f"univariable {p}: {warn[0]}")
            body["warnings"].append(warn[1])
    fit, warn = logistic_fit(design(preds), y.astype(float), preds, log)
    cov = fit.pop("_cov", None)
    body["logistic"]["multivariable"] = fit
    if warn:
        reasons.append(f"multivariable: {warn[0]}")
        body["warnings"].append(warn[1])
    model = None
    if fit["terms"] is not None:
        order = ["intercept"] + preds
        model = {"outcome": outcome, "positive": positive_out,
                 "terms": {k: fit["terms"][k]["coef"] for k in order}, "term_order": order,
                 "covariance": cov, "n": fit["n"], "source": path}
    if youden_log:
        log.append(("youden ties", [d["predictor"] for d in youden_log], youden_log))
    return body, reasons, model


# ------------------------------------------------------------------------------------ cases
C = "Fixtures/cohort/"
CASES = [
    ("artemiso_default", [C + "artemiso_like.csv", "--outcome", "responder"]),
    ("artemiso_cutoffs", [C + "artemiso_like.csv", "--outcome", "responder",
                          "--cutoffs", "dose_mean_gy=89,t_bp=1.29"]),
    ("artemiso_predictors_subset", [C + "artemiso_like.csv", "--outcome", "responder",
                                    "--predictors", "t_bp,dose_mean_gy", "--cutoffs", "t_bp=1.29"]),
    ("artemiso_positive_zero", [C + "artemiso_like.csv", "--outcome", "responder",
                                "--positive", "0", "--predictors", "dose_mean_gy,hypoxic",
                                "--cutoffs", "dose_mean_gy=89"]),
    ("artemiso_text_outcome_cr", [C + "artemiso_like.csv", "--outcome", "response",
                                  "--positive", "CR", "--predictors", "dose_mean_gy,t_bp,hypoxic",
                                  "--cutoffs", "dose_mean_gy=89"]),
    ("artemiso_text_outcome_default_predictors", [C + "artemiso_like.csv", "--outcome", "response",
                                                  "--positive", "PR"]),
    ("artemiso_text_outcome_without_positive", [C + "artemiso_like.csv", "--outcome", "response"]),
    ("artemiso_boolean_outcome", [C + "artemiso_like.csv", "--outcome", "hypoxic",
                                  "--predictors", "dose_mean_gy,suv_max"]),
    ("artemiso_nonbinary_numeric_outcome_without_positive", [C + "artemiso_like.csv", "--outcome",
                                                             "suv_max"]),
    ("ties_cutoffs", [C + "ties.csv", "--outcome", "responder",
                      "--cutoffs", "dose_mean_gy=89,t_bp=1.29,suv_max=6"]),
    ("separation", [C + "separation.csv", "--outcome", "responder", "--cutoffs", "dose_mean_gy=89"]),
    ("separation_without_separating_predictor", [C + "separation.csv", "--outcome", "responder",
                                                 "--predictors", "t_bp,suv_max"]),
    ("quasi_separation", [C + "quasi_separation.csv", "--outcome", "responder",
                          "--cutoffs", "dose_mean_gy=89"]),
    ("missing_responder", [C + "missing.csv", "--outcome", "responder",
                           "--cutoffs", "dose_mean_gy=89,t_bp=1.29"]),
    ("missing_text_outcome_pr", [C + "missing.csv", "--outcome", "response", "--positive", "PR",
                                 "--predictors", "dose_mean_gy,t_bp"]),
    ("missing_text_outcome_without_positive", [C + "missing.csv", "--outcome", "response"]),
    ("synthetic_known_true_model", [C + "synthetic_known.csv", "--outcome", "responder",
                                    "--predictors", "dose_mean_gy,hypoxic"]),
    ("synthetic_known_default", [C + "synthetic_known.csv", "--outcome", "responder",
                                 "--cutoffs", "dose_mean_gy=89,t_bp=1.29"]),
    ("small", [C + "small.csv", "--outcome", "responder", "--cutoffs", "dose_mean_gy=89,t_bp=1.29"]),
    ("small_two_predictors", [C + "small.csv", "--outcome", "responder",
                              "--predictors", "dose_mean_gy,t_bp"]),
    ("youden_float_tie", [C + "youden_float.csv", "--outcome", "responder",
                          "--predictors", "dose_mean_gy"]),
    ("constant_predictor", [C + "constant.csv", "--outcome", "responder",
                            "--predictors", "dose_mean_gy,activity_gbq"]),
]


def clean(x):
    """Non-finite → None, numpy scalars → Python."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else None
    return x


def coverage(case_body, truth):
    terms = case_body["logistic"]["multivariable"]["terms"]
    out = {}
    for name, t in terms.items():
        true = truth.get(name, 0.0)
        lo, hi = t["coef"] - Z95 * t["se"], t["coef"] + Z95 * t["se"]
        out[name] = {"true": true, "coef": t["coef"], "ci95": [lo, hi], "covers": lo <= true <= hi}
    return out


def main():
    check = "--check" in sys.argv[1:]
    expected, diagnostics = {}, {}
    for name, args in CASES:
        log = []
        try:
            body, reasons, model = run_case(args, log)
        except CohortError as e:
            expected[name] = {"args": args, "exit_status": 1, "expected": {"error": True},
                              "why": str(e)}
            continue
        entry = {"args": args, "exit_status": 0, "expected": clean(body),
                 "warning_reasons": reasons}
        if name.startswith("synthetic_known"):
            entry["true_coefficients"] = dict(make_cohorts.TRUE_COEF)
            entry["ci95_covers_truth"] = clean(coverage(body, make_cohorts.TRUE_COEF))
        if name == "synthetic_known_true_model":
            entry["fit_model"] = clean(model)
        expected[name] = entry
        diagnostics[name] = clean([{"about": a, "predictors": b, "cross_check": c}
                                   for a, b, c in log])
    meta = {
        "generator": "Fixtures/cohort/make_reference.py",
        "cohorts": "Fixtures/cohort/make_cohorts.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
        "seeds": make_cohorts.SEEDS,
        "true_coefficients_synthetic_known": make_cohorts.TRUE_COEF,
        "tolerances": {"estimates_relative": 1e-6, "p_values_and_ci_relative": 1e-4},
        "cross_checks": diagnostics,
    }
    outputs = {
        "expected.json": json.dumps(expected, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
        "expected.meta.json": json.dumps(meta, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
    }
    changed = write_changed(HERE, outputs, check)
    if check:
        print("would change: " + ", ".join(changed) if changed else "expected files up to date")
        sys.exit(1 if changed else 0)
    print("written: " + (", ".join(changed) if changed else "nothing changed"))


if __name__ == "__main__":
    main()
