#!/usr/bin/env python3
"""The default response model of `voxdose plan`, derived from the ARTE-MISO abstract.

Soydal et al., Clin Nucl Med 2025;50(7):e391-e400 (REFERENCE.md §3) report, for 54 lesions:
  Dmean > 89 Gy: 86 % response, ≤ 89 Gy: 56 %;  T/BP > 1.29: 57 %, ≤ 1.29: 91 %;
  non-hypoxic / high dose 93 %;  hypoxic / low dose 39 %  (the mixed groups are not given);
  median Dmean by response: CR 114.8, PR 98.9, SD 56.7, PD 78.3 Gy.
No table of integer counts reproduces all six rounded rates at once (checked below for 30–60
lesions), so the model is solved from the figures, not fitted to reconstructed patients:

1. Grouped model logit P = c0 + c1·high + c2·hypoxic (no interaction: nothing in the abstract
   could estimate one), with unknown group sizes n_NH/HD, n_NH/LD, n_H/HD and n_H/LD summing
   to 54. Six unknowns (c0, c1, c2 and three free sizes) against the six published rates (the
   two groups and the four margins): solved exactly (residual ~1e-15) by least squares; 400
   random starts all reach the same solution, checked below.
2. Covariance: the Fisher information of that model at the solved group sizes and the model's
   own probabilities (large-sample; the groups are small, so it is rough).
3. Continuous dose: a high-dose lesion is represented by D_H = mean(CR, PR medians) =
   106.85 Gy and a low-dose one by D_L = mean(SD, PD medians) = 67.5 Gy, so
   b1 = c1 / (D_H − D_L), b0 = c0 − b1·D_L, b2 = c2, and the covariance maps through the same
   linear transformation (the uncertainty of D_H and D_L is not in it; they are medians by
   response category, not by dose group).

The model's uncertainty beyond its covariance (issue 15; Docs/PLANNING.md, "Scenarios"):
4. Group sizes the abstract allows: integer lesion counts n and responders k with
   round(100·k/n) equal to each published rate, the two groups of a split summing to 54. The
   dose split allows 22/32, 29/25 or 36/18 lesions; the hypoxia split 7/47 or 21/33. For every
   pair, the grouped model is fitted by least squares to the six rates (the four margins now
   exact counts, the two published groups rounded) with integer cell sizes that add up to both
   margins (the one free cell searched over all its values).
5. Dose gaps: lesion Dmean taken as lognormal with P(Dmean > 89 Gy) = the split's high-dose
   share and log-SD s; the high and low groups are represented by their conditional means,
   E[D | D > 89] and E[D | D ≤ 89]. The abstract bounds s: the median Dmean of the responders
   must lie between the PR and CR medians (98.9–114.8 Gy) and that of the non-responders between
   the SD and PD medians (56.7–78.3 Gy), since the median of a union lies between its parts'
   medians. Under each fitted model, s on a grid of 0.05 is kept where both hold. A split for
   which no s holds is not a scenario (it is printed).
6. The scenarios: the default model itself, and every (dose split, hypoxia split, s) kept. Their
   extremes are each lesion's `expected_response_range` and `dose_needed_range_gy`.
7. Design effect of lesions clustered in patients: deff = 1 + (m − 1)·ρ with m = 54/25 lesions
   per patient and ρ the latent-variable intraclass correlation of a logistic model with a
   patient random intercept of SD σ_u, ρ = σ_u² / (σ_u² + π²/3) (Snijders and Bosker,
   Multilevel Analysis, 2nd ed. 2012, §17.3): σ_u = 1.5, the middle of the 1–2 under which naive
   lesion-level intervals were found too narrow (issue 15), gives ρ = 0.406 and deff = 1.471.
   The default model's standard error of η is multiplied by √deff. No published intraclass
   correlation of lesion response within patients after radioembolization was found; this is an
   assumption, stated.
Writes Sources/Planning/ArteMisoModel.generated.swift and Fixtures/planning/artemiso_scenarios.json
(each scenario's coefficients and, for reference lesions, the ranges `plan` must print, computed
here independently of the Swift code), and prints the numbers. `--check` writes nothing and exits 1
when either file would change.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def integer_tables(n: int) -> int:
    """Tables (group sizes a, b, c, d; responders in each) reproducing all six rounded rates."""
    found = 0
    pct = lambda k, m: round(100 * k / m) if m else None  # noqa: E731
    for a in range(1, n):
        for d in range(1, n - a):
            for b in range(0, n - a - d + 1):
                c = n - a - b - d
                for ra in (k for k in range(a + 1) if pct(k, a) == 93):
                    for rd in (k for k in range(d + 1) if pct(k, d) == 39):
                        for rb in range(b + 1):
                            if pct(rb + rd, b + d) != 56 or pct(ra + rb, a + b) != 91:
                                continue
                            found += sum(1 for rc in range(c + 1)
                                         if pct(ra + rc, a + c) == 86 and pct(rc + rd, c + d) == 57)
    return found


CUTOFF_GY = 89.0
TOTAL = 54
PATIENTS = 25
RESPONDER_MEDIAN = (98.9, 114.8)       # PR and CR medians: the responders' median lies between
NONRESPONDER_MEDIAN = (56.7, 78.3)     # SD and PD medians
PATIENT_EFFECT_SD = 1.5                # σ_u on the logit scale (assumption, step 7)


def splits(rate_high: int, rate_low: int) -> list[tuple[int, int, int, int]]:
    """(n1, k1, n0, k0): integer groups of 54 lesions reproducing two rounded rates."""
    pct = lambda k, m: round(100 * k / m)  # noqa: E731
    return [(n1, k1, TOTAL - n1, k0) for n1 in range(1, TOTAL) for k1 in range(n1 + 1) if pct(k1, n1) == rate_high
            for k0 in range(TOTAL - n1 + 1) if pct(k0, TOTAL - n1) == rate_low]


def grouped_fit(dose: tuple, hypoxia: tuple) -> tuple[np.ndarray, tuple]:
    """The grouped model fitted to one pair of splits (step 4): (c0, c1, c2), cells (NH/HD, NH/LD, H/HD, H/LD)."""
    n_high, k_high, n_low, k_low = dose
    n_hyp, k_hyp, n_non, k_non = hypoxia
    best = None
    for c in range(max(0, n_high - n_non), min(n_high, n_hyp) + 1):
        a, d = n_high - c, n_hyp - c
        b = n_non - a
        if min(a, b, c, d) < 0:
            continue

        def residuals(x, a=a, b=b, c=c, d=d):
            pa, pb, pc, pd = (sigmoid(v) for v in (x[0] + x[1], x[0], x[0] + x[1] + x[2], x[0] + x[2]))
            return [pa - 0.93 if a else 0.0, pd - 0.39 if d else 0.0,
                    (a * pa + c * pc) / n_high - k_high / n_high, (b * pb + d * pd) / n_low - k_low / n_low,
                    (c * pc + d * pd) / n_hyp - k_hyp / n_hyp, (a * pa + b * pb) / n_non - k_non / n_non]
        fit = least_squares(residuals, [1.0, 1.0, -1.0])
        if best is None or fit.cost < best[0]:
            best = (fit.cost, fit.x, (a, b, c, d))
    return best[1], best[2]


def lognormal_groups(share_high: float, s: float) -> tuple[float, float, float]:
    """(μ, E[D | D ≤ 89], E[D | D > 89]) of a lognormal Dmean with P(D > 89) = share_high."""
    mu = math.log(CUTOFF_GY) - s * norm.ppf(1 - share_high)
    mean, a = math.exp(mu + s * s / 2), (math.log(CUTOFF_GY) - mu) / s
    return mu, mean * norm.cdf(a - s) / norm.cdf(a), mean * norm.sf(a - s) / norm.sf(a)


def group_medians(share_high: float, s: float, c: np.ndarray, hypoxic_share: float) -> tuple[float, float]:
    """Median Dmean of the responders and of the non-responders under a grouped model (step 5)."""
    mu = math.log(CUTOFF_GY) - s * norm.ppf(1 - share_high)
    log_d = np.linspace(mu - 7 * s, mu + 7 * s, 200_001)
    weight, high = norm.pdf((log_d - mu) / s), (np.exp(log_d) > CUTOFF_GY).astype(float)
    respond = (1 - hypoxic_share) / (1 + np.exp(-(c[0] + c[1] * high))) + hypoxic_share / (1 + np.exp(-(c[0] + c[1] * high + c[2])))

    def median(w):
        cdf = np.cumsum(w)
        return float(np.exp(log_d[np.searchsorted(cdf, cdf[-1] / 2)]))
    return median(weight * respond), median(weight * (1 - respond))


def scenarios() -> list[tuple[str, float, float, float]]:
    """(name, b0, b1, b2) of every scenario the abstract allows (steps 4–6), the default excluded."""
    found = []
    for dose in splits(86, 56):
        for hypoxia in splits(57, 91):
            c, cells = grouped_fit(dose, hypoxia)
            kept = []
            for s in np.round(np.arange(0.10, 1.501, 0.05), 2):
                responders, others = group_medians(dose[0] / TOTAL, s, c, hypoxia[0] / TOTAL)
                if RESPONDER_MEDIAN[0] <= responders <= RESPONDER_MEDIAN[1] and NONRESPONDER_MEDIAN[0] <= others <= NONRESPONDER_MEDIAN[1]:
                    _, d_low, d_high = lognormal_groups(dose[0] / TOTAL, s)
                    b1 = c[1] / (d_high - d_low)
                    kept.append((f"dose {dose[0]}/{dose[2]}, hypoxia {hypoxia[0]}/{hypoxia[2]}, s {s:.2f}",
                                 c[0] - b1 * d_low, b1, c[2]))
            label = f"dose split {dose[0]}/{dose[2]} ({dose[1]}+{dose[3]} responders), hypoxia split {hypoxia[0]}/{hypoxia[2]} ({hypoxia[1]}+{hypoxia[3]})"
            if kept:
                print(f"{label}: cells {cells}, c = {np.round(c, 3)}, s {kept[0][0].split('s ')[-1]}–{kept[-1][0].split('s ')[-1]}: {len(kept)} scenarios")
            else:
                print(f"{label}: cells {cells}, c = {np.round(c, 3)}: no s gives the published medians; not a scenario")
            found += kept
    return found


def main() -> None:
    assert all(integer_tables(n) == 0 for n in range(30, 61)), "a consistent table exists: refit to it"
    groups = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 0, 1]], dtype=float)  # NH/HD, NH/LD, H/HD, H/LD
    total = 54

    def rates(x: np.ndarray) -> np.ndarray:
        c, (na, nb, nc) = x[:3], x[3:]
        nd = total - na - nb - nc
        pa, pb, pc, pd = (sigmoid(v) for v in groups @ c)
        return np.array([pa, pd, (na * pa + nc * pc) / (na + nc), (nb * pb + nd * pd) / (nb + nd),
                         (nc * pc + nd * pd) / (nc + nd), (na * pa + nb * pb) / (na + nb)])

    published = np.array([0.93, 0.39, 0.86, 0.56, 0.57, 0.91])  # NH/HD, H/LD, high, low, hypoxic, non-hypoxic
    rng = np.random.default_rng(20251125)
    solutions = []
    for _ in range(400):
        start = np.concatenate([rng.uniform(-3, 3, 3), 1 + rng.dirichlet(np.ones(4))[:3] * (total - 4)])
        fit = least_squares(lambda x: rates(x) - published, start,
                            bounds=([-20, -20, -20, 0.5, 0.5, 0.5], [20, 20, 20, total, total, total]))
        sizes = np.append(fit.x[3:], total - fit.x[3:].sum())
        if np.max(np.abs(fit.fun)) < 1e-10 and sizes.min() > 0:
            solutions.append(fit.x)
    assert len(solutions) > 100, "no exact solution: revisit the derivation"
    spread = np.max(np.abs(np.array(solutions) - solutions[0]))
    assert spread < 1e-6, f"several solutions (spread {spread}): the figures do not pin the model"
    c, sizes = solutions[0][:3], np.append(solutions[0][3:], total - solutions[0][3:].sum())
    p = np.array([sigmoid(x) for x in groups @ c])
    information = sum(n * pk * (1 - pk) * np.outer(x, x) for x, pk, n in zip(groups, p, sizes))
    cov_c = np.linalg.inv(information)
    d_high, d_low = (114.8 + 98.9) / 2, (56.7 + 78.3) / 2
    span = d_high - d_low
    jacobian = np.array([[1, -d_low / span, 0], [0, 1 / span, 0], [0, 0, 1]])
    b = jacobian @ c
    cov_b = jacobian @ cov_c @ jacobian.T
    cov_b = (cov_b + cov_b.T) / 2  # exactly symmetric, as the model file requires
    print(f"{len(solutions)} of 400 starts reach the exact solution (spread {spread:.1e})")
    print("grouped c0, c1, c2:", c, "group sizes:", sizes, "group probabilities NH/HD, NH/LD, H/HD, H/LD:", p)
    print("b0, b1 (per Gy), b2:", b)
    print("covariance:", cov_b)

    def swift(x: float) -> str:
        return repr(float(x))

    alternatives = scenarios()
    slopes = [b1 for _, _, b1, _ in alternatives]
    print(f"{len(alternatives)} scenarios; dose slope {min(slopes):.4f}–{max(slopes):.4f} per Gy (default {b[1]:.4f})")
    rho = PATIENT_EFFECT_SD ** 2 / (PATIENT_EFFECT_SD ** 2 + math.pi ** 2 / 3)
    design_effect = 1 + (TOTAL / PATIENTS - 1) * rho
    print(f"intraclass correlation {rho:.3f}, design effect {design_effect:.3f}")
    scenario_rows = ",\n".join(f"            (\"{name}\", {swift(b0)}, {swift(b1)}, {swift(b2)})" for name, b0, b1, b2 in alternatives)

    rows = ",\n".join("            [" + ", ".join(swift(v) for v in row) + "]" for row in cov_b)
    text = f"""// Generated by Scripts/derive_artemiso_model.py; do not edit (Docs/PLANNING.md explains it).
import CohortStatistics

extension ResponseModel {{
    /// The default model, derived from the ARTE-MISO abstract's figures (Soydal et al., Clin Nucl
    /// Med 2025): logit P = b0 + b1·dose_mean_gy + b2·hypoxic. Group probabilities of the grouped
    /// model behind it (solved group sizes in brackets): non-hypoxic/high dose {p[0]:.3f} [{sizes[0]:.1f}],
    /// non-hypoxic/low {p[1]:.3f} [{sizes[1]:.1f}], hypoxic/high {p[2]:.3f} [{sizes[2]:.1f}], hypoxic/low {p[3]:.3f} [{sizes[3]:.1f}].
    public static let arteMiso = ResponseModel(try! LogisticModel(
        outcome: "responder", positive: .number(1),
        termOrder: ["intercept", "dose_mean_gy", "hypoxic"],
        coefficients: [{swift(b[0])}, {swift(b[1])}, {swift(b[2])}],
        covariance: [
{rows},
        ],
        n: 54,
        source: "ARTE-MISO default: derived from the published group rates (Soydal et al., Clin Nucl Med 2025; Docs/PLANNING.md)"),
        scenarios: arteMisoScenarios.map {{ Scenario(name: $0.0, coefficients: [$0.1, $0.2, $0.3]) }},
        designEffect: {swift(design_effect)})

    /// The design effect of 54 lesions in 25 patients: 1 + (54/25 − 1)·ρ, ρ = σ_u²/(σ_u² + π²/3)
    /// with a patient effect σ_u = {PATIENT_EFFECT_SD} on the logit scale (Docs/PLANNING.md).
    public static let arteMisoDesignEffect = {swift(design_effect)}

    /// The {len(alternatives)} other ways the abstract's figures allow (Docs/PLANNING.md, "Scenarios"):
    /// (name, b0, b1 per Gy, b2) over the terms intercept, dose_mean_gy, hypoxic.
    static let arteMisoScenarios: [(String, Double, Double, Double)] = [
{scenario_rows},
    ]
}}
"""
    # Reference ranges for lesions at 40, 89 and 150 Gy, hypoxic or not, target 0.8 (as `plan` prints them).
    models = [("default", *b)] + alternatives
    reference = []
    for dose in (40.0, 89.0, 150.0):
        for hypoxic in (0, 1):
            p_all = [sigmoid(b0 + b1 * dose + b2 * hypoxic) for _, b0, b1, b2 in models]
            needed = [max(0.0, (logit(0.8) - b0 - b2 * hypoxic) / b1) for _, b0, b1, b2 in models]
            reference.append({"dose_mean_gy": dose, "hypoxic": hypoxic,
                              "expected_response_range": [min(p_all), max(p_all)],
                              "dose_needed_range_gy": [min(needed), max(needed)]})
    fixture = json.dumps({
        "source": "Scripts/derive_artemiso_model.py",
        "design_effect": design_effect, "intraclass_correlation": rho,
        "scenarios": [{"name": name, "coefficients": [b0, b1, b2]} for name, b0, b1, b2 in alternatives],
        "lesions": reference}, indent=1) + "\n"
    outputs = {ROOT / "Sources" / "Planning" / "ArteMisoModel.generated.swift": text,
               ROOT / "Fixtures" / "planning" / "artemiso_scenarios.json": fixture}
    check = "--check" in sys.argv[1:]
    changed = [path for path, content in outputs.items() if not path.exists() or path.read_text() != content]
    for path in changed:
        print(("would change " if check else "wrote ") + str(path.relative_to(ROOT)))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(outputs[path])
    if check and changed:
        sys.exit(1)


if __name__ == "__main__":
    main()
