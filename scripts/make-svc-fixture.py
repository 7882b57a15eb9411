#!/usr/bin/env python3
"""Builds test/fixtures/svc-mia.json: scikit-learn's decisions for the mia.efficacy attacker.

The attacker of "MIA-efficacy" (Jia et al., NeurIPS 2023) is scikit-learn's SVC(C=3,
gamma='auto', kernel='rbf') on the true-class confidence, fitted on retain rows (members) vs
test rows (non-members). This writes confidences of both sides drawn like a trained model's
(mostly within 1e-2 of 1, a few mistakes), query confidences (half uniform on [0, 1], half like
the members'), and what scikit-learn's fit on
[members, non-members] decides for each query. Queries within 0.01 of the decision boundary are
left out: a solver that stops within the tolerance (1e-3) may decide those either way.

Usage: /usr/bin/python3 scripts/make-svc-fixture.py   (Debian's python3-sklearn; from the repository root)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.svm import SVC

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "svc-mia.json")
ROWS_PER_SIDE = 400
QUERIES = 400


def confidences(rng, rows, scale, mistakes):
    """1 - Exp(scale), a fraction `mistakes` of rows uniform in [0, 0.5), rounded to float32."""
    values = 1 - rng.exponential(scale, rows)
    wrong = rng.random(rows) < mistakes
    values[wrong] = rng.random(wrong.sum()) * 0.5
    return np.clip(values, 0, 1).astype(np.float32).astype(np.float64)


def main():
    rng = np.random.default_rng(0)
    members = confidences(rng, ROWS_PER_SIDE, 2e-3, 0.01)
    non_members = confidences(rng, ROWS_PER_SIDE, 1e-2, 0.05)
    # Half spread over [0, 1] (the fit's boundary lies near 0.9), half like a model's confidences.
    spread = rng.random(QUERIES // 2).astype(np.float32).astype(np.float64)
    queries = np.concatenate([spread, confidences(rng, QUERIES - QUERIES // 2, 5e-3, 0.03)])
    x = np.concatenate([members, non_members])[:, None]
    y = np.concatenate([np.ones(ROWS_PER_SIDE), np.zeros(ROWS_PER_SIDE)])
    svc = SVC(C=3, gamma="auto", kernel="rbf").fit(x, y)
    decision = svc.decision_function(queries[:, None])
    kept = np.abs(decision) >= 0.01
    fixture = {
        "generator": f"scripts/make-svc-fixture.py, scikit-learn {sklearn.__version__}",
        "svc": {"C": 3, "gamma": "auto", "kernel": "rbf", "tol": 1e-3},
        "members": members.tolist(),
        "nonMembers": non_members.tolist(),
        "queries": queries[kept].tolist(),
        "queryDecisions": decision[kept].tolist(),
        "queryMember": [bool(v) for v in svc.predict(queries[kept][:, None]) == 1],
        "supportVectors": int(svc.n_support_.sum()),
        "droppedNearBoundary": int((~kept).sum()),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f)
    print(f"{OUT}: {kept.sum()} queries ({(~kept).sum()} near the boundary left out), "
          f"{fixture['supportVectors']} support vectors, member fraction {np.mean(fixture['queryMember']):.4f}")


if __name__ == "__main__":
    main()
