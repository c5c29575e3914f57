#!/usr/bin/env python3
"""Do `voxdose cohort`'s 95 % intervals cover the truth when lesions are clustered in patients?

Simulates ARTE-MISO-sized cohorts — 54 lesions in 25 patients (6 with one lesion, 11 with two,
6 with three, 2 with four) — and cohorts twice that size (108 lesions in 50 patients), with a
patient random intercept on the logit scale, runs `voxdose cohort` on each without and with
`--cluster patient_id`, and counts how often each interval holds the true value:

  lesion Dmean  = exp(log 90 + a_p + e_l),  a_p ~ N(0, 0.5²) per patient, e_l ~ N(0, 0.3²)
                  (a patient's lesions get similar doses: one activity, one liver)
  hypoxic       ~ Bernoulli(0.39) per lesion (21 of 54 in ARTE-MISO)
  responder     ~ Bernoulli(σ(−1.5 + 0.025·Dmean − 1.2·hypoxic + u_p)),  u_p ~ N(0, σ_u²)

The intervals checked: the dose coefficient of the two-predictor logistic fit (coef ± 1.959964·SE)
and the dose AUC (`roc.auc_ci95`). Their targets are population-averaged: the cluster-robust fit
estimates the marginal coefficient (the logistic fit to the whole population, lesions weighted
alike), which a random intercept attenuates, and the AUC is the probability that a responding
lesion has the higher dose than a non-responding one. Both are computed once on 400,000 simulated
patients. Slow (two `voxdose` runs per cohort): run by hand, not in `make test`.

  swift build -c release --product voxdose
  python3 Fixtures/cohort/simulate_cluster_coverage.py [--reps 1000] [--seed 15]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import statsmodels.api as sm

ROOT = Path(__file__).resolve().parents[2]
LESIONS_PER_PATIENT = [1] * 6 + [2] * 11 + [3] * 6 + [4] * 2          # 25 patients, 54 lesions
BETA = (-1.5, 0.025, -1.2)


def cohort(rng: np.random.Generator, sigma_u: float, sizes: list[int]) -> dict[str, np.ndarray]:
    patient = np.repeat(np.arange(len(sizes)), sizes)
    a = rng.normal(0, 0.5, len(sizes))[patient]
    dose = np.exp(np.log(90) + a + rng.normal(0, 0.3, len(patient)))
    hypoxic = (rng.random(len(patient)) < 0.39).astype(float)
    u = rng.normal(0, sigma_u, len(sizes))[patient]
    eta = BETA[0] + BETA[1] * dose + BETA[2] * hypoxic + u
    responder = (rng.random(len(patient)) < 1 / (1 + np.exp(-eta))).astype(int)
    return {"patient": patient, "dose": dose, "hypoxic": hypoxic, "responder": responder}


def truth(sigma_u: float, seed: int) -> tuple[float, float]:
    """Marginal dose coefficient and population AUC of dose, on 400,000 patients."""
    rng = np.random.default_rng(seed)
    big = cohort(rng, sigma_u, LESIONS_PER_PATIENT * 16_000)
    x = sm.add_constant(np.column_stack([big["dose"], big["hypoxic"]]))
    coefficient = sm.Logit(big["responder"], x).fit(disp=0).params[1]
    positive, negative = big["dose"][big["responder"] == 1], big["dose"][big["responder"] == 0]
    ranks = np.argsort(np.argsort(np.concatenate([positive, negative]))) + 1   # continuous: no ties
    auc = (ranks[:len(positive)].sum() - len(positive) * (len(positive) + 1) / 2) / (len(positive) * len(negative))
    return float(coefficient), float(auc)


def run(voxdose: Path, table: Path, cluster: bool) -> tuple[float, float, list | None] | None:
    command = [str(voxdose), "cohort", str(table), "--outcome", "responder", "--predictors", "dose_mean_gy,hypoxic"]
    if cluster:
        command += ["--cluster", "patient_id"]
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        return None
    document = json.loads(out.stdout)
    fit = (document["logistic"] or {}).get("multivariable")
    if not fit or not fit.get("converged") or fit.get("separation"):
        return None
    term = fit["terms"]["dose_mean_gy"]
    return term["coef"], term["se"], document["predictors"]["dose_mean_gy"]["roc"]["auc_ci95"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--voxdose", type=Path, default=ROOT / ".build" / "release" / "voxdose")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    print("| patients (lesions) | patient effect σ_u | interval | naive coverage | clustered coverage | cohorts |")
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "cohort.csv"
        for scale, sigma_u in ((1, 1.0), (1, 2.0), (2, 1.0), (2, 2.0)):
            sizes = LESIONS_PER_PATIENT * scale
            true_coefficient, true_auc = truth(sigma_u, a.seed + int(10 * sigma_u))
            hits = {"coef": [0, 0], "auc": [0, 0]}
            used = 0
            for _ in range(a.reps):
                c = cohort(rng, sigma_u, sizes)
                rows = ["patient_id,dose_mean_gy,hypoxic,responder"] + [
                    f"P{p},{float(d)!r},{int(h)},{r}" for p, d, h, r in zip(c["patient"], c["dose"], c["hypoxic"], c["responder"])]
                table.write_text("\n".join(rows) + "\n")
                results = [run(a.voxdose, table, cluster) for cluster in (False, True)]
                if None in results or any(r[2] is None for r in results):
                    continue   # a separated or degenerate cohort: no interval to judge
                used += 1
                for k, (coef, se, auc_ci) in enumerate(results):
                    hits["coef"][k] += abs(coef - true_coefficient) <= 1.959964 * se
                    hits["auc"][k] += auc_ci[0] <= true_auc <= auc_ci[1]
            for name, label in (("coef", f"dose coefficient (true marginal {true_coefficient:.4f} per Gy)"),
                                ("auc", f"dose AUC (true {true_auc:.3f})")):
                naive, clustered = (100 * h / used for h in hits[name])
                print(f"| {len(sizes)} ({sum(sizes)}) | {sigma_u:g} | {label} | {naive:.1f} % | {clustered:.1f} % | {used} |", flush=True)


if __name__ == "__main__":
    main()
