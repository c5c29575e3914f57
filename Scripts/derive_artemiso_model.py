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
Writes Sources/Planning/ArteMisoModel.generated.swift (and prints the numbers).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

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
        source: "ARTE-MISO default: derived from the published group rates (Soydal et al., Clin Nucl Med 2025; Docs/PLANNING.md)"))
}}
"""
    out = ROOT / "Sources" / "Planning" / "ArteMisoModel.generated.swift"
    out.write_text(text)
    print("wrote", out.relative_to(ROOT))


if __name__ == "__main__":
    main()
