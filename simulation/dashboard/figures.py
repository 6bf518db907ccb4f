"""The dashboard's figures as inline SVG: the map, the effect curves with their bands, sparklines.

Plain SVG strings drawn by the browser: no plotting library, no font on the server (Chinese labels
are rendered by the browser), no front-end asset. Every value is in the page as text: each point
is a focusable group whose tip the page's CSS shows on hover *and* on focus, so a tap on a phone
shows it too (``.tip-host:focus .tip``). Data attributes (``data-metric``, ``data-max-diff-pct``,
``data-city``, ``data-sig``) let tests read what is drawn.

Colours say better or worse, never up or down: ``better`` is +1 when more is better (GDP) and -1
when less is (PM2.5); an effect whose interval includes zero is grey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

MODE_COLOURS = {"hsr": "#d62728", "intercity": "#9467bd", "rail": "#1f77b4", "expressway": "#9a9a9a"}
MODE_WIDTH = {"hsr": 2.2, "intercity": 1.8, "rail": 1.4, "expressway": 1.1}
MODE_ORDER = ("expressway", "rail", "intercity", "hsr")
HIGHLIGHT = "#f2b600"
SCEN_COLOUR = "#1565c0"
BASE_COLOUR = "#8a8a8a"
GOOD, BAD, GREY = "#2e7d32", "#c62828", "#9e9e9e"
BAND = "#90caf9"
# PM2.5 colour scale (µg/m³): green at 15, red at 75
PM_LO, PM_HI = 15.0, 75.0
PM_STOPS = [
    (0.0, (26, 152, 80)),
    (0.25, (145, 207, 96)),
    (0.5, (254, 224, 139)),
    (0.75, (252, 141, 89)),
    (1.0, (215, 48, 39)),
]
# the CSS the page adds for the tips (hover and focus: a tap focuses the group)
TIP_CSS = """
.tip-host { cursor: pointer; outline: none; }
.tip-host .tip { display: none; pointer-events: none; }
.tip-host:hover .tip, .tip-host:focus .tip, .tip-host:focus-within .tip { display: inline; }
.tip-host:focus > rect.mark { fill: rgba(21, 101, 192, 0.08); }
.tip-host:focus > circle.mark { stroke: #000; stroke-width: 2px; }
"""


def _ramp(x: float, stops) -> str:
    x = min(max(x, 0.0), 1.0)
    for (x0, c0), (x1, c1) in zip(stops, stops[1:], strict=False):
        if x <= x1:
            w = (x - x0) / (x1 - x0) if x1 > x0 else 0.0
            r, g, b = (round(a + (bb - a) * w) for a, bb in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    r, g, b = stops[-1][1]
    return f"#{r:02x}{g:02x}{b:02x}"


def pm_colour(pm: float) -> str:
    return _ramp((pm - PM_LO) / (PM_HI - PM_LO), PM_STOPS)


def desirability(diff: float, better: int, significant: bool) -> str:
    """GOOD, BAD or GREY for an effect: the sign times ``better``; grey when not significant or 0."""
    if not significant or diff == 0 or not math.isfinite(diff):
        return "grey"
    return "good" if diff * better > 0 else "bad"


COLOUR = {"good": GOOD, "bad": BAD, "grey": GREY}
ARROW = {1: "▲", -1: "▼", 0: ""}


def arrow(diff: float) -> str:
    return ARROW[int(np.sign(diff))] if math.isfinite(diff) else ""


def change_colour(pct: float, better: int, significant: bool, span: float) -> str:
    """Map colour of a % change: shades of green (better) or red (worse), grey if not significant."""
    kind = desirability(pct, better, significant)
    if kind == "grey":
        return "#d9d9d9"
    x = min(abs(pct) / span, 1.0) if span > 0 else 1.0
    end = (26, 152, 80) if kind == "good" else (215, 48, 39)
    return _ramp(0.25 + 0.75 * x, [(0.0, (247, 247, 247)), (1.0, end)])


def _num(x: float, dec: int = 1) -> str:
    return f"{x:,.{dec}f}"


def _pct(x: float) -> str:
    return f"{x:+.2f}%" if math.isfinite(x) else "–"


def _text_width(name: str, size: float = 11.0) -> float:
    return sum(size * (0.58 if ch.isascii() else 1.0) for ch in name)


def tip_svg(lines: Sequence[str], x: float, y: float, width: float, height: float, size: float = 11) -> str:
    """A tip box with ``lines`` near (x, y), kept inside the (width, height) view box."""
    w = max(_text_width(t, size) for t in lines) + 10
    h = len(lines) * (size + 3) + 6
    tx = x + 8 if x + 8 + w <= width else max(x - 8 - w, 0)
    ty = min(max(y - h - 6, 0), height - h)
    spans = "".join(
        f'<tspan x="{tx + 5:.1f}" y="{ty + 4 + (i + 1) * (size + 3) - 3:.1f}">{escape(t)}</tspan>'
        for i, t in enumerate(lines)
    )
    return (
        f'<g class="tip"><rect x="{tx:.1f}" y="{ty:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" '
        f'fill="#fffde7" stroke="#555" stroke-width="0.6" opacity="0.97"/>'
        f'<text font-size="{size}" fill="#111">{spans}</text></g>'
    )


# ---------------------------------------------------------------------------- effect curves
def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi <= lo:
        hi = lo + (abs(lo) * 0.1 or 1.0)
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=mag * 10)
    start = math.floor(lo / step) * step
    out = []
    t = start
    while t <= hi + step * 0.5:
        out.append(round(t, 10))
        t += step
    return out


def _tick_labels(ticks: list[float]) -> list[str]:
    """Tick labels with just enough decimals to tell the ticks apart."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    for d in range(0, 7):
        if all(abs(round(t, d) - t) <= step * 1e-6 for t in ticks):
            break
    return [f"{t:,.{d}f}" if t != 0 else "0" for t in ticks]


def fmt_val(v: float) -> str:
    a = abs(v)
    if not math.isfinite(v):
        return "–"
    if a >= 100:
        return f"{v:,.1f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:.4g}"


def effect_chart_svg(
    metric: str,
    title: str,
    unit: str,
    years: Sequence[int],
    base: Sequence[float],
    scen: Sequence[float],
    effects: Sequence,
    better: int,
    text: dict[str, str],
    width: int = 340,
    height: int = 270,
    absolute: float | None = None,
    overlays: Sequence[dict] = (),
) -> str:
    """Mean levels of scenario and baseline (top) and the % change with its 95% band (below),
    one bar a year coloured by desirability, grey where the interval includes zero. With
    ``absolute`` (a factor to the displayed unit) the lower panel shows the difference itself, for
    outcomes that are zero in the baseline (the fiscal cost of the levers).

    Args:
        base, scen: mean levels by year, displayed units.
        effects: one :class:`~simulation.dashboard.results.Effect` a year (``pct``, ``pct_lo``,
            ``pct_hi``, ``significant``).
        better: +1 more is better, -1 less is better, 0 neutral (bars blue).
        text: translated words (scenario, baseline, diff_pct, not_sig).
        overlays: other scenarios drawn as lines in their own colour (top: mean level; below: mean
            change, in the lower panel's unit), one legend row each: dicts with ``label``,
            ``colour``, ``years``, ``level``, ``change`` (``scenarios.overlay_series``).
    """
    yrs = np.asarray(years, float)
    s, b = np.asarray(scen, float), np.asarray(base, float)
    if absolute is None:
        pct = np.array([e.pct for e in effects], float)
        plo = np.array([e.pct_lo for e in effects], float)
        phi = np.array([e.pct_hi for e in effects], float)
    else:
        pct = np.array([e.diff for e in effects], float) * absolute
        plo = np.array([e.lo for e in effects], float) * absolute
        phi = np.array([e.hi for e in effects], float) * absolute
    show = _pct if absolute is None else (lambda v: f"{v:+,.4g}" if math.isfinite(v) else "–")
    sig = [e.significant for e in effects]
    fin = np.isfinite(pct)
    max_diff = float(np.abs(pct[fin]).max()) if fin.any() else 0.0
    pl, pr, pt, h1, gap = 54, 10, 42, 112, 28
    h2 = height - pt - h1 - gap - 22
    x0, x1 = pl, width - pr
    first, last = (int(yrs[0]), int(yrs[-1])) if len(yrs) else (0, 1)
    span = max(last - first, 1)

    def X(y: float) -> float:
        return x0 + (y - first) / span * (x1 - x0)

    lo = float(np.nanmin([s.min(), b.min()])) if len(s) else 0.0
    hi = float(np.nanmax([s.max(), b.max()])) if len(s) else 1.0
    ov = [(o, [(y, v, c) for y, v, c in zip(o["years"], o["level"], o["change"], strict=True)
               if first <= y <= last]) for o in overlays]  # fmt: skip
    ov_levels = [v for _o, pts in ov for _y, v, _c in pts if math.isfinite(v)]
    if ov_levels and len(s):
        lo, hi = min(lo, min(ov_levels)), max(hi, max(ov_levels))
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    ticks = _ticks(lo - pad, hi + pad)

    def Y(v: float) -> float:
        return pt + h1 - (v - ticks[0]) / ((ticks[-1] - ticks[0]) or 1.0) * h1

    ov_changes = [c for _o, pts in ov for _y, _v, c in pts if math.isfinite(c)]
    bands = np.concatenate([plo[np.isfinite(plo)], phi[np.isfinite(phi)], pct[fin], ov_changes, [0.0]])
    dmax = max(float(np.abs(bands).max()) * 1.1, 0.2)
    dt = _ticks(-dmax, dmax, 2)
    top2 = pt + h1 + gap

    def Yd(v: float) -> float:
        return top2 + h2 - (min(max(v, dt[0]), dt[-1]) - dt[0]) / ((dt[-1] - dt[0]) or 1.0) * h2

    n_sig = sum(sig)
    out = [
        f'<svg class="my-chart" data-metric="{metric}" data-points="{len(s)}" '
        f'data-max-diff-pct="{max_diff:.6g}" '
        f'data-significant-years="{n_sig}" data-overlays="{len(ov)}" '
        f'viewBox="0 0 {width} {height + 15 * len(ov)}" width="100%" '
        'xmlns="http://www.w3.org/2000/svg" style="font-family:sans-serif; background:#fff; '
        'border:1px solid #e3e3e3; border-radius:4px">',
        f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
        f'<text x="8" y="32" font-size="11" fill="#555">{escape(unit)}</text>',
    ]
    for t, lab in zip(ticks, _tick_labels(ticks), strict=True):
        out.append(
            f'<line x1="{x0}" y1="{Y(t):.1f}" x2="{x1}" y2="{Y(t):.1f}" stroke="#eee"/>'
            f'<text x="{x0 - 4}" y="{Y(t) + 3:.1f}" font-size="10" text-anchor="end" fill="#555">{lab}</text>'
        )
    for y in (y for y in range(first, last + 1) if (y - first) % max(1, round(span / 4)) == 0):
        out.append(
            f'<text x="{X(y):.1f}" y="{height - 6}" font-size="10" text-anchor="middle" '
            f'fill="#555">{y}</text>'
        )
    if len(s):
        pts = {
            k: " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v in zip(yrs, arr, strict=True))
            for k, arr in (("b", b), ("s", s))
        }
        out.append(
            f'<polyline class="baseline" points="{pts["b"]}" fill="none" stroke="{BASE_COLOUR}" '
            'stroke-width="2" '
            f'stroke-dasharray="5 3"/><polyline class="scenario" points="{pts["s"]}" fill="none" '
            f'stroke="{SCEN_COLOUR}" stroke-width="2"/>'
        )
    # difference panel: the band, the zero line, the bars
    lower = text["diff_pct"] if absolute is None else f"{text['difference']} ({unit})"
    out.append(f'<text x="{pl}" y="{top2 - 8}" font-size="11" fill="#333">{escape(lower)}</text>')
    ok = np.isfinite(plo) & np.isfinite(phi)
    if ok.sum() >= 2:
        up = " ".join(f"{X(y):.1f},{Yd(v):.1f}" for y, v in zip(yrs[ok], phi[ok], strict=True))
        down = " ".join(f"{X(y):.1f},{Yd(v):.1f}" for y, v in zip(yrs[ok][::-1], plo[ok][::-1], strict=True))
        out.append(
            f'<polygon class="band" points="{up} {down}" fill="{BAND}" fill-opacity="0.45" stroke="none"/>'
        )
    out.append(f'<line x1="{x0}" y1="{Yd(0):.1f}" x2="{x1}" y2="{Yd(0):.1f}" stroke="#999"/>')
    for t, lab in zip(dt, _tick_labels(dt), strict=True):
        out.append(
            f'<text x="{x0 - 4}" y="{Yd(t) + 3:.1f}" font-size="10" text-anchor="end" '
            f'fill="#555">{lab}</text>'
        )
    bw = max((x1 - x0) / (span + 1) * 0.6, 1.5)
    tips = []
    for i, y in enumerate(yrs):
        d = pct[i] if fin[i] else 0.0
        y_top, y_bot = sorted((Yd(0), Yd(d)))
        kind = desirability(d, better, sig[i]) if better else ("grey" if not sig[i] else "neutral")
        colour = COLOUR.get(kind, SCEN_COLOUR)
        lines = [
            f"{int(y)}: {text['scenario']} {fmt_val(s[i])}, {text['baseline']} {fmt_val(b[i])}",
            f"{arrow(d)} {show(d)} [{show(plo[i])}, {show(phi[i])}]"
            + ("" if sig[i] else f" {text['not_sig']}"),
            *(f"{o['label']}: {fmt_val(v)}, {show(c)}" for o, pts in ov for yy, v, c in pts if yy == int(y)),
        ]
        out.append(
            f'<rect class="diff" data-kind="{kind}" data-sig="{int(sig[i])}" x="{X(y) - bw / 2:.1f}" '
            f'y="{y_top:.1f}" width="{bw:.1f}" height="{max(y_bot - y_top, 0.6):.1f}" fill="{colour}"/>'
        )
        # a tall transparent hit area per year: hover or tap anywhere above the year shows its numbers
        tips.append(
            f'<g class="tip-host" tabindex="0" data-year="{int(y)}"><rect class="mark" x="{X(y) - bw:.1f}" '
            f'y="{pt}" width="{2 * bw:.1f}" height="{top2 + h2 - pt:.1f}" fill="transparent"/>'
            f'<circle cx="{X(y):.1f}" cy="{Y(s[i]):.1f}" r="2.4" fill="{SCEN_COLOUR}"/>'
            f"{tip_svg(lines, X(y), Y(s[i]), width, height, 10)}</g>"
        )
    for i, (o, pts) in enumerate(ov):  # the overlaid scenarios: a line in each panel, a legend row
        name, col = escape(str(o["label"])), escape(str(o["colour"]))
        top = " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v, _c in pts if math.isfinite(v))
        low = " ".join(f"{X(y):.1f},{Yd(c):.1f}" for y, _v, c in pts if math.isfinite(c))
        out.append(
            f'<g class="overlay" data-name="{name}"><polyline class="overlay-level" points="{top}" '
            f'fill="none" stroke="{col}" stroke-width="1.8"/><polyline class="overlay-change" '
            f'points="{low}" fill="none" stroke="{col}" stroke-width="1.6"/></g>'
        )
        ly = height + 8 + 15 * i
        label = str(o["label"])
        while len(label) > 1 and _text_width(label) > x1 - x0 - 22:  # a long name ends with …
            label = label[:-2] + "…"
        out.append(
            f'<g class="overlay-legend" data-name="{name}"><line x1="{x0}" y1="{ly}" x2="{x0 + 18}" '
            f'y2="{ly}" stroke="{col}" stroke-width="2.5"/><text x="{x0 + 22}" y="{ly + 4}" '
            f'font-size="11">{escape(label)}</text></g>'
        )
    out.extend(tips)
    lx = x1 - 160
    out.append(
        f'<line x1="{lx}" y1="28" x2="{lx + 18}" y2="28" stroke="{SCEN_COLOUR}" stroke-width="2.5"/>'
        f'<text x="{lx + 22}" y="32" font-size="11">{escape(text["scenario"])}</text>'
        f'<line x1="{lx + 84}" y1="28" x2="{lx + 102}" y2="28" stroke="{BASE_COLOUR}" stroke-width="2.5" '
        f'stroke-dasharray="5 3"/><text x="{lx + 106}" y="32" '
        f'font-size="11">{escape(text["baseline"])}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def sparkline_svg(
    years: Sequence[int], base: np.ndarray, scen: np.ndarray, width: int = 150, height: int = 34
) -> str:
    """A small chart of one indicator: scenario mean (blue) with its 95% band over the seeds,
    baseline mean dashed. ``base``, ``scen``: (n_seeds, n_years)."""
    from .results import effect

    yrs = np.asarray(years, float)
    sm, bm = scen.mean(axis=0), base.mean(axis=0)
    es = [effect(np.zeros(len(scen)), scen[:, t]) for t in range(len(yrs))]
    lo = np.array([e.lo if math.isfinite(e.lo) else e.diff for e in es])
    hi = np.array([e.hi if math.isfinite(e.hi) else e.diff for e in es])
    vmin, vmax = float(min(lo.min(), bm.min())), float(max(hi.max(), bm.max()))
    rng = (vmax - vmin) or (abs(vmax) or 1.0)

    def X(y: float) -> float:
        return 2 + (y - yrs[0]) / max(yrs[-1] - yrs[0], 1) * (width - 4)

    def Y(v: float) -> float:
        return height - 3 - (v - vmin) / rng * (height - 6)

    band = " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v in zip(yrs, hi, strict=True))
    band += " " + " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v in zip(yrs[::-1], lo[::-1], strict=True))
    line = " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v in zip(yrs, sm, strict=True))
    bl = " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v in zip(yrs, bm, strict=True))
    return (
        f'<svg class="my-spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">'
        f'<polygon points="{band}" fill="{BAND}" fill-opacity="0.5"/>'
        f'<polyline points="{bl}" fill="none" stroke="{BASE_COLOUR}" stroke-width="1.2" '
        'stroke-dasharray="3 2"/>'
        f'<polyline points="{line}" fill="none" stroke="{SCEN_COLOUR}" stroke-width="1.6"/></svg>'
    )


# ---------------------------------------------------------------------------- the map
def map_svg(*args, **kwargs) -> str:
    """The cluster map: see :func:`simulation.dashboard.mapsvg.map_svg` (geography, flows, labels)."""
    from .mapsvg import map_svg as draw

    return draw(*args, **kwargs)


def node_radius(gdp: float, gdp_ref: float) -> float:
    """A city node's radius (px) for its GDP: the area grows with GDP, ``gdp_ref`` gets 20 px."""
    from .mapsvg import node_radius as radius

    return radius(gdp, gdp_ref)
