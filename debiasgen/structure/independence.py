"""How columns enter the independence tests, and the mixed-data test's statistic.

Pure numpy: :func:`encode` builds the matrix causal-learn sees for each
``ci_test`` and :class:`BlockGaussianStats` computes the p-values of the
mixed-data test. Registering that test with causal-learn stays in
:mod:`debiasgen.structure.discovery`, the only module that imports causal-learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from debiasgen.core.encoding import is_categorical, rank_normal_scores

_RIDGE = 1e-6  # added to the correlation matrix: one-hot blocks and recodings make it singular
_MIN_LEVEL_ROWS = 20  # categories rarer than this (or 0.5% of rows) are pooled for the test
_MIN_LEVEL_SHARE = 0.005
_GSQ_BINS = 4  # quantile bins of a numeric column for the discrete (G-square / BDeu) model


def _one_hot(col: pd.Series) -> np.ndarray:
    """Dummies of a categorical column, rare levels pooled, most frequent level dropped."""
    codes, _ = pd.factorize(col, sort=True)
    counts = np.bincount(codes)
    floor = max(_MIN_LEVEL_ROWS, _MIN_LEVEL_SHARE * len(codes))
    rare = counts < floor
    if rare.sum() >= 1:
        codes = np.where(rare[codes], len(counts), codes)  # one pooled "other" level
        counts = np.bincount(codes)
    levels = np.flatnonzero(counts)
    keep = levels[levels != np.argmax(counts)]
    return (codes[:, None] == keep[None, :]).astype(float)


def encode(frame: pd.DataFrame, ci_test: str) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """The matrix causal-learn sees (one column per variable) and, for "mixed", the
    expanded matrix's column blocks of each variable."""
    per_column, blocks, parts, start = [], [], [], 0
    for name in frame.columns:
        col = frame[name]
        categorical = is_categorical(col.dtype)
        codes = pd.factorize(col, sort=True)[0].astype(float) if categorical else None
        if ci_test == "mixed":
            if categorical:
                part = _one_hot(col)
            else:  # the mid-rank ECDF's normal scores (Gaussian copula)
                part = rank_normal_scores(col.to_numpy(float))[:, None]
            parts.append(part)
            blocks.append(np.arange(start, start + part.shape[1]))
            start += part.shape[1]
            per_column.append(rank_normal_scores(codes) if categorical else part[:, 0])
        elif ci_test == "fisherz":  # naive: category codes used as numbers
            per_column.append(codes if categorical else col.to_numpy(float))
        else:  # gsq: numeric columns cut into quantile bins
            if categorical:
                per_column.append(codes)
            else:
                binned = pd.qcut(col.rank(method="first"), _GSQ_BINS, labels=False)
                per_column.append(binned.to_numpy(float))
    data = np.column_stack(per_column)
    if ci_test != "mixed":
        return data, None
    expanded = np.column_stack(parts)
    return data, [expanded, blocks]


class BlockGaussianStats:
    """Likelihood-ratio test of X independent of Y given Z between blocks of columns.

    Each variable is a block: one column (normal scores) for a numeric
    variable, its dummies for a categorical one. Under a joint Gaussian model
    of the expanded columns (a "degenerate Gaussian", Andrews, Ramsey &
    Cooper 2019), with R the correlation matrix,
    ``LR = n' [log|R_xz| + log|R_yz| - log|R_xyz| - log|R_z|]`` is
    chi-square with ``dim(x) * dim(y)`` degrees of freedom, where
    ``n' = n - dim(z) - (dim(x) + dim(y) + 3) / 2`` (Bartlett's correction).
    """

    def __init__(self, matrix: np.ndarray, blocks: list[np.ndarray]) -> None:
        corr = np.atleast_2d(np.corrcoef(matrix, rowvar=False))
        self.blocks = blocks
        self.corr = corr + _RIDGE * np.eye(len(corr))
        self.n = matrix.shape[0]
        self._memo: dict[tuple, float] = {}

    def _conditional_logdet(self, given: list[int], var: int) -> float:
        """``log|R_{var | given}|`` (variables, not columns), memoised: the same
        pair recurs across the tests of one search."""
        key = (tuple(given), var)
        if key not in self._memo:
            self._memo[key] = self._compute_logdet(given, var)
        return self._memo[key]

    def _compute_logdet(self, given_vars: list[int], var: int) -> float:
        given = np.concatenate([self.blocks[v] for v in given_vars] + [np.empty(0, int)])
        index = np.concatenate([given, self.blocks[var]])
        sub = self.corr[np.ix_(index, index)]
        try:
            diag = np.diagonal(np.linalg.cholesky(sub))[len(given) :]
            return 2.0 * float(np.log(diag).sum())
        except np.linalg.LinAlgError:  # not positive definite despite the ridge
            whole = np.linalg.slogdet(sub)[1]
            head = np.linalg.slogdet(sub[: len(given), : len(given)])[1] if len(given) else 0
            return float(whole - head)

    def pvalue(self, x: int, y: int, zs) -> float:
        """p-value of variable ``x`` independent of ``y`` given the variables ``zs``."""
        a = self.blocks[x]
        b = self.blocks[y]
        c = np.concatenate([self.blocks[z] for z in zs]) if zs else np.empty(0, int)
        df = len(a) * len(b)
        if df == 0:  # a constant column carries no information
            return 1.0
        # log|R_xz| + log|R_yz| - log|R_xyz| - log|R_z| = log|R_y|z| - log|R_y|xz|
        stat = self._conditional_logdet(zs, y) - self._conditional_logdet(sorted([*zs, x]), y)
        n_eff = max(self.n - len(c) - (len(a) + len(b) + 3) / 2.0, 1.0)
        return float(special.chdtrc(df, max(stat, 0.0) * n_eff))
