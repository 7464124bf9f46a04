"""Weighted, L2-regularised logistic regression fitted by Newton's method.

With 384 features the Hessian is 385x385, so exact Newton steps are cheap
and converge in ~10 iterations; deterministic, no learning-rate tuning and
no scikit-learn needed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def _sigmoid(z: F64) -> F64:
    out: F64 = 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
    return out


def balanced_weights(y: F64, w: F64) -> F64:
    """Rescale so positives and negatives carry equal total weight and the
    mean weight is 1 (keeps the L2 strength comparable across categories)."""
    out: F64 = w.astype(np.float64).copy()
    pos, neg = y == 1, y == 0
    if out[pos].sum() > 0 and out[neg].sum() > 0:
        out[pos] *= 0.5 / out[pos].sum()
        out[neg] *= 0.5 / out[neg].sum()
    out *= y.size / out.sum()
    return out


def fit(x: npt.ArrayLike, y: npt.ArrayLike, w: npt.ArrayLike, l2: float,
        max_iter: int = 50, tol: float = 1e-7) -> tuple[F64, float]:
    """Return (coef, intercept) minimising mean weighted log-loss + l2/2 |coef|^2."""
    xx = np.asarray(x, dtype=np.float64)
    yy = np.asarray(y, dtype=np.float64)
    ww = np.asarray(w, dtype=np.float64)
    n, d = xx.shape
    xb = np.hstack([xx, np.ones((n, 1))])
    beta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0  # never shrink the intercept
    for _ in range(max_iter):
        p = _sigmoid(xb @ beta)
        grad = xb.T @ (ww * (p - yy)) / n + reg * beta
        hess = (xb * (ww * p * (1.0 - p))[:, None]).T @ xb / n + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.max(np.abs(step))) < tol:
            break
    return beta[:-1], float(beta[-1])


def predict(x: npt.ArrayLike, coef: F64, intercept: float) -> F64:
    return _sigmoid(np.asarray(x, dtype=np.float64) @ coef + intercept)
