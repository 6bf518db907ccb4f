"""Seed noise in a sweep's runs: what the replicates say and what they ask for.

With common random numbers (``crn = true``: replicate r uses the same seed at every point) the runs
form a two-way layout, point x seed. On the complete points (every replicate completed), with P
points, R seeds, y_pr the metric, m the grand mean, ybar_p. and ybar_.r the point and seed means::

    SS_point = R * sum_p (ybar_p. - m)^2          (what the parameters do)
    SS_seed  = P * sum_r (ybar_.r - m)^2          (seed blocks: shared by every point)
    SS_ps    = sum_pr (y_pr - ybar_p. - ybar_.r + m)^2   (point x seed: noise that differs by point)

and the shares are each over their sum. A seed block shifts every point alike, so it cancels from
every difference between points; only the point x seed part blurs the point means. Without common
random numbers the seeds differ at every point and the split is one-way: SS_point and the
within-point SS_within = sum_pr (y_pr - ybar_p.)^2.

``means_noise`` = MS_noise / MS_point (MS_noise = SS_ps / ((P-1)(R-1)) or SS_within / (n - P);
MS_point = SS_point / (P-1)) estimates the share of the spread of the point means that is seed
noise: the indices are computed on the point means, so this — not the share of the run-to-run
variance — is what more replicates would lower (it falls as 1/R).

:func:`remove_seed_blocks` subtracts each seed block's effect (ybar_.r - m, estimated on the complete
points) from every run before the point means are taken: with every replicate complete that leaves
the means as they were; with some runs failed it keeps a missing good or bad seed from shifting the
points that lack it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

TARGET = 0.10  # the share of the point means' spread that replicates should bring the noise down to


@dataclass(frozen=True)
class NoiseSplit:
    """The variance split of one metric (shares of the total sum of squares; NaN where undefined).

    Attributes:
        crn: the runs share seeds across points (common random numbers).
        points: complete points used; replicates: replicates per complete point.
        seed_share: seed blocks (crn only).
        point_share: between points.
        noise_share: point x seed (crn) or within points.
        means_noise: MS_noise / MS_point, at most 1: the share of the point means' spread that is
            seed noise.
    """

    crn: bool
    points: int
    replicates: int
    seed_share: float
    point_share: float
    noise_share: float
    means_noise: float


def is_crn(runs: pd.DataFrame) -> bool:
    """True when every replicate's runs share one seed across more than one point."""
    if runs["point"].nunique() < 2:
        return False
    return bool(runs.groupby("replicate")["seed"].nunique().eq(1).all())


def _complete(runs: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Points x replicates of ``metric`` for the points that have every replicate (finite)."""
    ok = runs[np.isfinite(runs[metric].to_numpy(float))]
    wide = ok.pivot_table(index="point", columns="replicate", values=metric, aggfunc="mean")
    reps = sorted(runs["replicate"].unique())
    wide = wide.reindex(columns=reps)
    return wide.dropna(axis=0, how="any")


def remove_seed_blocks(runs: pd.DataFrame, metric: str, crn: bool) -> np.ndarray:
    """The metric of every run with its seed block's effect removed (crn), else as it is."""
    y = runs[metric].to_numpy(float).copy()
    if not crn:
        return y
    wide = _complete(runs, metric)
    if len(wide) < 2 or wide.shape[1] < 2:
        return y
    effect = (wide.mean(axis=0) - float(wide.to_numpy().mean())).to_dict()
    return y - runs["replicate"].map(effect).fillna(0.0).to_numpy(float)


def split(runs: pd.DataFrame, metric: str, crn: bool) -> NoiseSplit:
    """The variance split of ``metric`` over the ok runs ``runs`` (columns point, replicate, seed)."""
    nan = math.nan
    if crn:
        wide = _complete(runs, metric)
        y = wide.to_numpy(float)
        p, r = y.shape if y.size else (0, 0)
        if p < 2 or r < 2:
            return NoiseSplit(True, p, r, nan, nan, nan, nan)
        m = y.mean()
        ss_point = r * float(((y.mean(axis=1) - m) ** 2).sum())
        ss_seed = p * float(((y.mean(axis=0) - m) ** 2).sum())
        resid = y - y.mean(axis=1, keepdims=True) - y.mean(axis=0, keepdims=True) + m
        ss_noise = float((resid**2).sum())
        total = ss_point + ss_seed + ss_noise
        ms_noise, ms_point = ss_noise / ((p - 1) * (r - 1)), ss_point / (p - 1)
        seed_share = ss_seed / total if total > 0 else nan
    else:
        ok = runs[np.isfinite(runs[metric].to_numpy(float))]
        counts = ok.groupby("point")[metric].size()
        p, n = len(counts), len(ok)
        r = int(round(counts.mean())) if p else 0
        if p < 2 or n - p < 1:
            return NoiseSplit(False, p, r, nan, nan, nan, nan)
        m = float(ok[metric].mean())
        means = ok.groupby("point")[metric].transform("mean").to_numpy(float)
        y = ok[metric].to_numpy(float)
        ss_point = float(((means - m) ** 2).sum())
        ss_noise = float(((y - means) ** 2).sum())
        total = ss_point + ss_noise
        ms_noise, ms_point = ss_noise / (n - p), ss_point / (p - 1)
        seed_share = nan
    if total <= 0:
        return NoiseSplit(crn, p, r, seed_share, nan, 0.0, 0.0)
    means_noise = min(1.0, ms_noise / ms_point) if ms_point > 0 else 1.0
    return NoiseSplit(crn, p, r, seed_share, ss_point / total, ss_noise / total, means_noise)


def _pct(x: float) -> str:
    return "under 1%" if x < 0.005 else f"{x:.0%}"


def advice(ns: NoiseSplit, replicates: int, sampled: bool = True) -> str:
    """What the split asks for: more replicates only when seed noise blurs the point means
    (``sampled``: a sampled design, whose intervals narrow with more points)."""
    if replicates < 2 or not math.isfinite(ns.means_noise):
        if replicates < 2:
            return (
                "one replicate per point: seed noise cannot be told apart from the parameters here; "
                "the dummy's index shows its size (run 2 or more replicates to split the variance)"
            )
        return "too few complete points to split the variance"
    s = ns.means_noise
    share = f"seed noise is {_pct(s)} of the spread of the point means"
    if ns.crn and math.isfinite(ns.seed_share):
        share += (
            f" (the seed blocks, {_pct(ns.seed_share)} of the run-to-run variance, are common to all "
            f"points and cancel; point x seed is {_pct(ns.noise_share)})"
        )
    if s > TARGET:
        need = math.ceil(replicates * s / max(1.0 - s, 1e-9) * (1 - TARGET) / TARGET)
        more = f"~{need} replicates" if s < 0.99 else f"many more than {10 * replicates} replicates"
        return f"add replicates: {share}; {more} would bring it to {TARGET:.0%}" + (
            "" if ns.crn else ", or use crn = true (common random numbers)"
        )
    if not sampled:
        return f"replicates suffice: {share}"
    return (
        f"replicates suffice: {share}; more of them will not sharpen the indices — "
        "raise the number of points (samples) instead"
    )
