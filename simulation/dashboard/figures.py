"""The dashboard's figures as inline SVG: the map of the cluster and the paired curves.

Plain SVG strings drawn by the browser: no plotting library, no font on the server (Chinese
labels are rendered by the browser), no front-end asset, and every value is in the page as text,
shown on hover through SVG ``<title>`` elements. Data attributes (``data-metric``,
``data-max-diff-pct``, ``data-city``) let tests read what is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

import numpy as np
import pandas as pd

MODE_COLOURS = {"hsr": "#d62728", "intercity": "#9467bd", "rail": "#1f77b4", "expressway": "#9a9a9a"}
MODE_WIDTH = {"hsr": 2.2, "intercity": 1.8, "rail": 1.4, "expressway": 1.1}
MODE_ORDER = ("expressway", "rail", "intercity", "hsr")
HIGHLIGHT = "#f2b600"
SCEN_COLOUR = "#1565c0"
BASE_COLOUR = "#8a8a8a"
# PM2.5 colour scale (µg/m³): green at 15, red at 75
PM_LO, PM_HI = 15.0, 75.0
PM_STOPS = [
    (0.0, (26, 152, 80)),
    (0.25, (145, 207, 96)),
    (0.5, (254, 224, 139)),
    (0.75, (252, 141, 89)),
    (1.0, (215, 48, 39)),
]


def pm_colour(pm: float) -> str:
    x = min(max((pm - PM_LO) / (PM_HI - PM_LO), 0.0), 1.0)
    for (x0, c0), (x1, c1) in zip(PM_STOPS, PM_STOPS[1:], strict=False):
        if x <= x1:
            w = (x - x0) / (x1 - x0) if x1 > x0 else 0.0
            r, g, b = (round(a + (bb - a) * w) for a, bb in zip(c0, c1, strict=True))
            return f"#{r:02x}{g:02x}{b:02x}"
    r, g, b = PM_STOPS[-1][1]
    return f"#{r:02x}{g:02x}{b:02x}"


def _num(x: float, dec: int = 1) -> str:
    return f"{x:,.{dec}f}"


def _pct(x: float) -> str:
    return f"{x:+.2f}%"


def map_svg(
    cities: pd.DataFrame,
    values: pd.DataFrame,
    edges: pd.DataFrame,
    label: Callable[[str], str],
    text: dict[str, str],
    gdp_ref: float,
    width: int = 660,
    height: int = 600,
) -> str:
    """The cities at their coordinates, links coloured by mode (lever corridors highlighted), node
    size = GDP, colour = PM2.5, hover for values.

    Args:
        cities: region cities (index id; lat, lon).
        values: per city id: gdp, talent, air_quality, water_quality and the same with ``_base``.
        edges: open links (a, b, mode, time_min, highlight).
        label: city id -> displayed name.
        text: translated legend words (keys: mode_*, lever_corridor, gdp_100m, talent_10k, pm25,
            water_index, vs_base, minutes).
        gdp_ref: GDP (100m yuan) that gets the largest node (fixed over a run, so growth shows).
    """
    lat, lon = cities["lat"].to_numpy(float), cities["lon"].to_numpy(float)
    kx = math.cos(math.radians(float(lat.mean())))
    pad_l, pad_r, pad_t, pad_b = 40, 80, 26, 84
    sx = (width - pad_l - pad_r) / ((lon.max() - lon.min()) * kx)
    sy = (height - pad_t - pad_b) / (lat.max() - lat.min())
    s = min(sx, sy)

    def xy(cid: str) -> tuple[float, float]:
        la, lo = float(cities.at[cid, "lat"]), float(cities.at[cid, "lon"])
        return pad_l + (lo - lon.min()) * kx * s, pad_t + (lat.max() - la) * s

    out = [
        f'<svg class="my-map" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" '
        'style="font-family: sans-serif; background:#fbfbf8; border:1px solid #ddd; border-radius:4px">'
    ]
    # links: parallel links of a pair side by side
    e = edges.copy()
    e["rank"] = e["mode"].map({m: i for i, m in enumerate(MODE_ORDER)}).fillna(0)
    e = e.sort_values(["highlight", "rank"], kind="stable")
    pair_modes: dict[frozenset, list[str]] = {}
    for a, b, mode in zip(edges["a"], edges["b"], edges["mode"], strict=True):
        lst = pair_modes.setdefault(frozenset((a, b)), [])
        if mode not in lst:
            lst.append(mode)
    for row in e.itertuples(index=False):
        if row.a not in cities.index or row.b not in cities.index:
            continue
        (x1, y1), (x2, y2) = xy(row.a), xy(row.b)
        modes = sorted(pair_modes[frozenset((row.a, row.b))], key=MODE_ORDER.index)
        k = modes.index(row.mode) - (len(modes) - 1) / 2
        dx, dy = x2 - x1, y2 - y1
        norm = math.hypot(dx, dy) or 1.0
        ox, oy = -dy / norm * 2.2 * k, dx / norm * 2.2 * k
        tip = (
            f"{label(row.a)} – {label(row.b)}: {text['mode_' + row.mode]}, "
            f"{row.time_min:.0f} {text['minutes']}"
            + (f" ({text['lever_corridor']})" if row.highlight else "")
        )
        coords = f'x1="{x1 + ox:.1f}" y1="{y1 + oy:.1f}" x2="{x2 + ox:.1f}" y2="{y2 + oy:.1f}"'
        if row.highlight:
            out.append(
                f'<line {coords} stroke="{HIGHLIGHT}" stroke-width="7" stroke-opacity="0.55" '
                f'stroke-linecap="round" class="corridor" data-a="{row.a}" data-b="{row.b}"/>'
            )
        out.append(
            f'<line {coords} stroke="{MODE_COLOURS.get(row.mode, "#666")}" '
            f'stroke-width="{MODE_WIDTH.get(row.mode, 1.2) + (0.8 if row.highlight else 0)}" '
            f'stroke-opacity="0.85"><title>{escape(tip)}</title></line>'
        )
    # nodes, biggest first so small cities stay on top; labels placed greedily where they overlap least
    order = [c for c in values.sort_values("gdp", ascending=False).index if c in cities.index]
    geo = {}
    for cid in order:
        x, y = xy(cid)
        geo[cid] = (x, y, node_radius(float(values.at[cid, "gdp"]), gdp_ref))
    boxes: list[tuple[float, float, float, float]] = []
    nodes_svg, labels_svg = [], []
    for cid in order:
        v = values.loc[cid]
        x, y, r = geo[cid]
        name = label(cid)

        def ch(col: str, v=v) -> str:
            b = float(v[f"{col}_base"])
            return _pct(100 * (float(v[col]) / b - 1)) if b else "–"

        tip = (
            f"{name}\n{text['gdp_100m']}: {_num(v['gdp'], 0)} ({text['vs_base']} {ch('gdp')})\n"
            f"{text['talent_10k']}: {_num(v['talent'] / 1e4, 1)} ({text['vs_base']} {ch('talent')})\n"
            f"{text['pm25']}: {_num(v['air_quality'], 1)} µg/m³ ({text['vs_base']} {ch('air_quality')})\n"
            f"{text['water_index']}: {_num(v['water_quality'], 3)} ({text['vs_base']} {ch('water_quality')})"
        )
        tx, ty, anchor = _place_label(name, x, y, r, boxes, geo.values())
        nodes_svg.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" data-city="{escape(cid)}" '
            f'fill="{pm_colour(float(v["air_quality"]))}" stroke="#333" stroke-width="0.8" '
            'fill-opacity="0.9">'
            f"<title>{escape(tip)}</title></circle>"
        )
        labels_svg.append(
            f'<text class="city-label" data-city="{escape(cid)}" x="{tx:.1f}" y="{ty:.1f}" font-size="11" '
            f'text-anchor="{anchor}" fill="#222" '
            'style="paint-order:stroke; stroke:#fbfbf8; stroke-width:3px">'
            f"{escape(name)}<title>{escape(tip)}</title></text>"
        )
    out.extend(nodes_svg)
    out.extend(labels_svg)
    out.append(_map_legend(text, width, height, gdp_ref))
    out.append("</svg>")
    return "".join(out)


def node_radius(gdp: float, gdp_ref: float) -> float:
    return 3.0 + 17.0 * math.sqrt(max(gdp, 0.0) / gdp_ref)


def _text_width(name: str, size: float = 11.0) -> float:
    return sum(size * (0.58 if ch.isascii() else 1.0) for ch in name)


def _place_label(name, x, y, r, boxes, circles) -> tuple[float, float, str]:
    """Put a node's label right, left, above or below it, where it overlaps fewest labels and nodes."""
    w, h = _text_width(name), 12.0
    options = [
        (x + r + 2, y + 4, "start", (x + r + 2, y - 8, x + r + 2 + w, y + 4)),
        (x - r - 2, y + 4, "end", (x - r - 2 - w, y - 8, x - r - 2, y + 4)),
        (x, y - r - 3, "middle", (x - w / 2, y - r - 3 - h, x + w / 2, y - r - 3)),
        (x, y + r + 12, "middle", (x - w / 2, y + r, x + w / 2, y + r + 12)),
    ]

    def overlap(a, b) -> float:
        return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))

    best = None
    for tx, ty, anchor, box in options:
        score = sum(overlap(box, b) for b in boxes)
        score += sum(
            overlap(box, (cx - cr, cy - cr, cx + cr, cy + cr)) for cx, cy, cr in circles if (cx, cy) != (x, y)
        )
        if best is None or score < best[0] - 1e-9:
            best = (score, tx, ty, anchor, box)
    assert best is not None
    boxes.append(best[4])
    return best[1], best[2], best[3]


def _map_legend(text: dict[str, str], width: int, height: int, gdp_ref: float) -> str:
    parts = []
    y0 = height - 50
    x = 12.0
    for key, colour, sw, op in (
        *((f"mode_{m}", MODE_COLOURS[m], 2.5, 1.0) for m in ("hsr", "intercity", "rail", "expressway")),
        ("lever_corridor", HIGHLIGHT, 7, 0.55),
    ):
        parts.append(
            f'<line x1="{x:.1f}" y1="{y0}" x2="{x + 22:.1f}" y2="{y0}" stroke="{colour}" stroke-width="{sw}" '
            f'stroke-opacity="{op}"/>'
            f'<text x="{x + 26:.1f}" y="{y0 + 4}" font-size="11">{escape(text[key])}</text>'
        )
        x += 26 + _text_width(text[key]) + 14
    # PM2.5 scale
    y1 = height - 22
    gx, n, gw = 12, 30, 140
    for i in range(n):
        pm = PM_LO + (PM_HI - PM_LO) * i / (n - 1)
        parts.append(
            f'<rect x="{gx + i * gw / n:.1f}" y="{y1 - 8}" width="{gw / n + 0.5:.1f}" height="10" '
            f'fill="{pm_colour(pm)}"/>'
        )
    parts.append(
        f'<text x="{gx}" y="{y1 + 14}" font-size="10">{PM_LO:.0f}</text>'
        f'<text x="{gx + gw}" y="{y1 + 14}" font-size="10" text-anchor="end">{PM_HI:.0f} µg/m³</text>'
        f'<text x="{gx + gw + 6}" y="{y1 + 1}" font-size="11">{escape(text["pm25"])}</text>'
    )
    # node sizes, bottoms aligned, values to the right
    sx = gx + gw + 20 + _text_width(text["pm25"])
    bottom = height - 6
    for frac in (0.05, 0.25, 1.0):
        r = node_radius(gdp_ref * frac, gdp_ref)
        label = f"{gdp_ref * frac:,.0f}"
        parts.append(
            f'<circle cx="{sx + r:.1f}" cy="{bottom - r:.1f}" r="{r:.1f}" fill="none" stroke="#555"/>'
            f'<text x="{sx + 2 * r + 3:.1f}" y="{bottom - 2:.1f}" font-size="10">{label}</text>'
        )
        sx += 2 * r + 8 + _text_width(label, 10)
    parts.append(f'<text x="{sx:.1f}" y="{bottom - 2:.1f}" font-size="11">{escape(text["gdp_100m"])}</text>')
    return "".join(parts)


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


def chart_svg(
    metric: str,
    title: str,
    unit: str,
    years: Sequence[int],
    scen: Sequence[float],
    base: Sequence[float],
    start_year: int,
    end_year: int,
    text: dict[str, str],
    width: int = 340,
    height: int = 262,
) -> str:
    """Levels of a metric for the scenario and the baseline over the horizon, and below them the
    scenario's difference from the baseline in %, one bar a year."""
    yrs = np.asarray(years, float)
    s = np.asarray(scen, float)
    b = np.asarray(base, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(b != 0, 100.0 * (s / b - 1.0), 0.0)
    max_diff = float(np.abs(d).max()) if len(d) else 0.0
    pl, pr, pt = 50, 10, 42
    h1 = 118  # levels panel
    gap = 26
    h2 = height - pt - h1 - gap - 22  # difference panel
    x0, x1 = pl, width - pr
    span = max(end_year - start_year, 1)

    def X(y: float) -> float:
        return x0 + (y - start_year) / span * (x1 - x0)

    if len(s):
        lo, hi = float(min(s.min(), b.min())), float(max(s.max(), b.max()))
    else:
        lo, hi = 0.0, 1.0
    pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1.0
    ticks = _ticks(lo - pad, hi + pad)
    lo_t, hi_t = ticks[0], ticks[-1]

    def Y(v: float) -> float:
        return pt + h1 - (v - lo_t) / ((hi_t - lo_t) or 1.0) * h1

    dmax = max(max_diff * 1.15, 0.5)
    dticks = _ticks(-dmax, dmax, 2)
    d_lo, d_hi = dticks[0], dticks[-1]
    top2 = pt + h1 + gap

    def Yd(v: float) -> float:
        return top2 + h2 - (v - d_lo) / ((d_hi - d_lo) or 1.0) * h2

    out = [
        f'<svg class="my-chart" data-metric="{metric}" data-points="{len(s)}" '
        f'data-max-diff-pct="{max_diff:.6g}" '
        f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" '
        'style="font-family:sans-serif; background:#fff; border:1px solid #e3e3e3; border-radius:4px">',
        f'<text x="8" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
        f'<text x="8" y="32" font-size="11" fill="#555">{escape(unit)}</text>',
    ]
    for t, lab in zip(ticks, _tick_labels(ticks), strict=True):
        out.append(
            f'<line x1="{x0}" y1="{Y(t):.1f}" x2="{x1}" y2="{Y(t):.1f}" stroke="#eee"/>'
            f'<text x="{x0 - 4}" y="{Y(t) + 3:.1f}" font-size="10" text-anchor="end" fill="#555">'
            f"{lab}</text>"
        )
    xt = [y for y in range(start_year, end_year + 1) if (y - start_year) % max(1, round(span / 4)) == 0]
    for y in xt:
        out.append(
            f'<text x="{X(y):.1f}" y="{height - 6}" font-size="10" text-anchor="middle" '
            f'fill="#555">{y}</text>'
            f'<line x1="{X(y):.1f}" y1="{top2 + h2}" x2="{X(y):.1f}" y2="{top2 + h2 + 3}" stroke="#999"/>'
        )
    if len(s):
        pts_b = " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v in zip(yrs, b, strict=True))
        pts_s = " ".join(f"{X(y):.1f},{Y(v):.1f}" for y, v in zip(yrs, s, strict=True))
        out.append(
            f'<polyline class="baseline" points="{pts_b}" fill="none" stroke="{BASE_COLOUR}" '
            f'stroke-width="2" stroke-dasharray="5 3"/>'
            f'<polyline class="scenario" points="{pts_s}" fill="none" stroke="{SCEN_COLOUR}" '
            'stroke-width="2"/>'
        )
        for y, vs, vb, dd in zip(yrs, s, b, d, strict=True):
            tip = (
                f"{int(y)}: {text['scenario']} {_fmt_val(vs)}, {text['baseline']} {_fmt_val(vb)} "
                f"({text['difference']} {_pct(dd)})"
            )
            out.append(
                f'<circle cx="{X(y):.1f}" cy="{Y(vs):.1f}" r="2.6" fill="{SCEN_COLOUR}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    # difference panel
    out.append(
        f'<text x="{pl}" y="{top2 - 7}" font-size="11" fill="#333">{escape(text["diff_pct"])}</text>'
        f'<line x1="{x0}" y1="{Yd(0):.1f}" x2="{x1}" y2="{Yd(0):.1f}" stroke="#999"/>'
    )
    for t, lab in zip(dticks, _tick_labels(dticks), strict=True):
        out.append(
            f'<text x="{x0 - 4}" y="{Yd(t) + 3:.1f}" font-size="10" text-anchor="end" fill="#555">'
            f"{lab}</text>"
        )
    bw = max((x1 - x0) / (span + 1) * 0.7, 1.5)
    for y, dd in zip(yrs, d, strict=True):
        y_top, y_bot = sorted((Yd(0), Yd(dd)))
        colour = "#2e7d32" if dd >= 0 else "#c62828"
        out.append(
            f'<rect class="diff" x="{X(y) - bw / 2:.1f}" y="{y_top:.1f}" width="{bw:.1f}" '
            f'height="{max(y_bot - y_top, 0.6):.1f}" fill="{colour}">'
            f"<title>{int(y)}: {_pct(dd)}</title></rect>"
        )
    # legend
    lx = x1 - 170
    out.append(
        f'<line x1="{lx}" y1="28" x2="{lx + 20}" y2="28" stroke="{SCEN_COLOUR}" stroke-width="2.5"/>'
        f'<text x="{lx + 24}" y="32" font-size="11">{escape(text["scenario"])}</text>'
        f'<line x1="{lx + 90}" y1="28" x2="{lx + 110}" y2="28" stroke="{BASE_COLOUR}" '
        f'stroke-width="2.5" stroke-dasharray="5 3"/>'
        f'<text x="{lx + 114}" y="32" font-size="11">{escape(text["baseline"])}</text>'
    )
    out.append("</svg>")
    return "".join(out)


def _fmt_val(v: float) -> str:
    a = abs(v)
    if a >= 100:
        return f"{v:,.1f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:.4g}"
