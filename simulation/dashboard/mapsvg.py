"""The page's map as inline SVG: geography, links, commuting flows, cities, labels, legend.

Layers, bottom to top: the three provinces (pale land), lakes and rivers, province borders
(dashed between two cluster provinces, solid towards the rest of China), the transport links
coloured by mode (lever corridors highlighted), commuting flows (curves whose width is the number
of commuters between two cities, both directions), the city nodes (size = GDP, colour = PM2.5 or
the % change of the chosen outcome against the baseline, by desirability), the labels placed
without overlap (:func:`simulation.dashboard.mapgeo.place_labels`), the legend.

Every city is a focusable group with ``data-city``: the page's click handler reads it to open the
city's own series. Data attributes (``data-city``, ``data-a``/``data-b``, ``data-commuters``,
``data-province``, ``data-lake``, ``data-river``) let tests read what is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from html import escape

import numpy as np
import pandas as pd

from .figures import (
    BAD,
    GOOD,
    HIGHLIGHT,
    MODE_COLOURS,
    MODE_ORDER,
    MODE_WIDTH,
    PM_HI,
    PM_LO,
    _text_width,
    change_colour,
    pm_colour,
    tip_svg,
)
from .mapgeo import Frame, Geography, place_labels

PADS = (40.0, 80.0, 26.0, 84.0)  # left, right, top, bottom: room for labels and the legend
LABEL_SIZE = 11.0
LAND, OUTSIDE, WATER, WATER_EDGE = "#fdfcf6", "#efefea", "#cfe3f3", "#86b6de"
BORDER_INNER, BORDER_OUTER = "#6f6f6f", "#a5a5a5"
FLOW = "#8e24aa"
MAX_FLOWS = 40  # the largest city pairs drawn (the rest are listed in no tip)
MIN_FLOW_SHARE = 0.01  # and only pairs with at least this share of the largest pair


def map_svg(
    cities: pd.DataFrame,
    values: pd.DataFrame,
    edges: pd.DataFrame,
    label: Callable[[str], str],
    text: dict[str, str],
    gdp_ref: float,
    colour: Callable[[str], str] | None = None,
    tips: Callable[[str], list[str]] | None = None,
    width: int = 660,
    height: int = 600,
    *,
    geo: Geography | None = None,
    lang: str = "zh",
    flows: pd.DataFrame | None = None,
    diff: tuple[int, float, str] | None = None,
    selected: str | None = None,
) -> str:
    """The map. ``cities``: region cities (index id; lat, lon); ``values``: per city id gdp and
    air_quality (scenario means); ``edges``: open links (a, b, mode, time_min, highlight);
    ``text``: translated words; ``gdp_ref``: the GDP (100m yuan) of the largest node.

    Optional: ``colour(city)`` instead of the PM2.5 scale (the difference view) with ``diff`` =
    (better, span %, metric name) for its legend; ``tips(city)`` the lines of a city's tip;
    ``geo`` the region's geography (names in ``lang``); ``flows`` commuters between city pairs
    (a, b, base, scen: persons, both directions); ``selected`` a city drawn with a ring.
    """
    frame = Frame.fit(cities["lon"].to_numpy(float), cities["lat"].to_numpy(float), width, height, PADS)

    def xy(cid: str) -> tuple[float, float]:
        x, y = frame.xy(float(cities.at[cid, "lon"]), float(cities.at[cid, "lat"]))
        return float(x), float(y)

    out = [
        f'<svg class="my-map" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" '
        f'style="font-family: sans-serif; background:{OUTSIDE if geo else "#fbfbf8"}; border:1px solid #ddd; '
        'border-radius:4px">'
    ]
    if geo is not None:
        out.extend(_geography_svg(geo, frame))
    out.extend(_edges_svg(edges, cities, xy, label, text))
    if flows is not None and len(flows):
        out.extend(_flows_svg(flows, cities, xy, label, text))
    order = [c for c in values.sort_values("gdp", ascending=False).index if c in cities.index]
    geo_nodes = {cid: (*xy(cid), node_radius(float(values.at[cid, "gdp"]), gdp_ref)) for cid in order}
    names = [label(c) for c in order]
    water = _water_labels(geo, frame, lang) if geo is not None else []
    legend_h = 62.0
    reserved = [(0.0, height - legend_h, width, height), _key_box(text, width, geo, flows)]
    placed = place_labels(
        [*geo_nodes.values(), *((x, y, 0.0) for _f, _k, x, y in water)],
        [*(label_width(n, LABEL_SIZE) for n in names), *(label_width(f.name(lang), 10.0) for f, *_ in water)],
        LABEL_SIZE,
        (2.0, 2.0, width - 2.0, height - legend_h),
        reserved,
    )
    nodes, labels, rings = [], [], []
    for cid, name, lab in zip(order, names, placed, strict=False):
        x, y, r = geo_nodes[cid]
        fill = colour(cid) if colour is not None else pm_colour(float(values.at[cid, "air_quality"]))
        lines = tips(cid) if tips is not None else [name]
        if cid == selected:
            rings.append(
                f'<circle class="selected-ring" data-city="{escape(cid)}" cx="{x:.1f}" cy="{y:.1f}" '
                f'r="{r + 3.5:.1f}" fill="none" stroke="#111" stroke-width="2"/>'
            )
        nodes.append(
            f'<g class="tip-host" tabindex="0" role="button" aria-label="{escape(name)}" '
            f'data-city="{escape(cid)}"><circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
            f'data-city="{escape(cid)}" fill="{fill}" stroke="#333" stroke-width="0.8" fill-opacity="0.9"/>'
            f"{tip_svg(lines, x, y, width, height)}</g>"
        )
        labels.append(
            _label_svg(lab, name, LABEL_SIZE, "#222", f'class="city-label" data-city="{escape(cid)}"')
        )
    for (feat, kind, _x, _y), lab in zip(water, placed[len(order) :], strict=True):
        attrs = f'class="water-label" data-{kind}="{escape(feat.id)}" font-style="italic"'
        labels.append(_label_svg(replace(lab, leader=None), feat.name(lang), 10.0, "#2f6ea5", attrs))
    out.extend(rings)
    out.extend(labels)
    out.extend(nodes)  # last, so that a city's tip lies above every label
    out.append(_map_legend(text, width, height, gdp_ref, diff, geo is not None, flows is not None))
    out.append("</svg>")
    return "".join(out)


def label_width(name: str, size: float) -> float:
    """A generous width of a label (px): 1 em a Chinese character, 0.62 em a Latin one (measured in
    Chromium's sans-serif: the widest names, "Wuhan", "Huanggang", run 0.56-0.6 em)."""
    return sum(size * (0.62 if ch.isascii() else 1.0) for ch in name) + 2.0


def node_radius(gdp: float, gdp_ref: float) -> float:
    return 3.0 + 17.0 * math.sqrt(max(gdp, 0.0) / gdp_ref)


def _label_svg(lab, name: str, size: float, fill: str, attrs: str) -> str:
    leader = ""
    if lab.leader is not None:
        x1, y1, x2, y2 = lab.leader
        leader = (
            f'<line class="leader" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#777" '
            'stroke-width="0.7"/>'
        )
    b = lab.box
    return (
        f'{leader}<text {attrs} x="{lab.x:.1f}" y="{lab.y:.1f}" font-size="{size:g}" '
        f'text-anchor="{lab.anchor}" '
        f'fill="{fill}" data-box="{b[0]:.1f},{b[1]:.1f},{b[2]:.1f},{b[3]:.1f}" style="paint-order:stroke; '
        f'stroke:#fbfbf8; stroke-width:3px; pointer-events:none">{escape(name)}</text>'
    )


# ---------------------------------------------------------------------------- geography
def _geography_svg(geo: Geography, frame: Frame) -> list[str]:
    out = ['<g class="geography" pointer-events="none">']
    for pid, rings in geo.provinces.items():
        d = " ".join(frame.path(r, closed=True) for r in rings)
        out.append(
            f'<path class="province" data-province="{escape(pid)}" d="{d}" fill="{LAND}" stroke="none"/>'
        )
    for lake in geo.lakes:
        d = " ".join(frame.path(r, closed=True) for r in lake.parts)
        out.append(
            f'<path class="lake" data-lake="{escape(lake.id)}" d="{d}" fill="{WATER}" stroke="{WATER_EDGE}" '
            'stroke-width="0.6"/>'
        )
    for river in geo.rivers:
        d = " ".join(frame.path(ln) for ln in river.parts)
        w = 2.4 if river.id == "yangtze" else 1.3
        out.append(
            f'<path class="river" data-river="{escape(river.id)}" d="{d}" fill="none" stroke="{WATER_EDGE}" '
            f'stroke-width="{w}" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    for b in geo.borders:
        d = " ".join(frame.path(ln) for ln in b.lines)
        inner = b.b is not None
        style = (
            f'stroke="{BORDER_INNER}" stroke-width="1.1" stroke-dasharray="6 3"'
            if inner
            else f'stroke="{BORDER_OUTER}" stroke-width="0.9"'
        )
        out.append(
            f'<path class="border" data-a="{escape(b.a)}" data-b="{escape(b.b or "")}" d="{d}" fill="none" '
            f"{style}/>"
        )
    out.append("</g>")
    return out


def _water_labels(geo: Geography, frame: Frame, lang: str) -> list[tuple]:
    """Anchor points of the lake and river names: a lake's largest ring's centre, a river's
    longest piece at two fifths of its points."""
    out = []
    for lake in geo.lakes:
        ring = max(lake.parts, key=len)
        x, y = frame.xy(ring[:, 0], ring[:, 1])
        out.append((lake, "lake", float((x.min() + x.max()) / 2), float((y.min() + y.max()) / 2)))
    for river in geo.rivers:
        line = max(river.parts, key=len)
        x, y = frame.xy(line[:, 0], line[:, 1])
        inside = (x > 0) & (x < frame.width) & (y > 0) & (y < frame.height)
        if not inside.any():
            continue
        k = np.flatnonzero(inside)[int(0.4 * inside.sum())]
        out.append((river, "river", float(x[k]), float(y[k])))
    return out


# ---------------------------------------------------------------------------- links and flows
def _edges_svg(edges, cities, xy, label, text) -> list[str]:
    e = edges.copy()
    e["rank"] = e["mode"].map({m: i for i, m in enumerate(MODE_ORDER)}).fillna(0)
    e = e.sort_values(["highlight", "rank"], kind="stable")
    pair_modes: dict[frozenset, list[str]] = {}
    for a, b, mode in zip(edges["a"], edges["b"], edges["mode"], strict=True):
        lst = pair_modes.setdefault(frozenset((a, b)), [])
        if mode not in lst:
            lst.append(mode)
    out = []
    for row in e.itertuples(index=False):
        if row.a not in cities.index or row.b not in cities.index:
            continue
        (x1, y1), (x2, y2) = xy(row.a), xy(row.b)
        modes = sorted(pair_modes[frozenset((row.a, row.b))], key=MODE_ORDER.index)
        k = modes.index(row.mode) - (len(modes) - 1) / 2
        norm = math.hypot(x2 - x1, y2 - y1) or 1.0
        ox, oy = -(y2 - y1) / norm * 2.2 * k, (x2 - x1) / norm * 2.2 * k
        tip = (
            f"{label(row.a)} – {label(row.b)}: {text['mode_' + row.mode]}, {row.time_min:.0f} "
            f"{text['minutes']}" + (f" ({text['lever_corridor']})" if row.highlight else "")
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
    return out


def flow_pairs(origin: list[str], base: np.ndarray, scen: np.ndarray) -> pd.DataFrame:
    """City pairs with their commuters both ways: ``base``/``scen`` are (n, n) home x work
    matrices (persons); rows a < b by position, sorted by scenario commuters, largest first."""
    n = len(origin)
    iu = np.triu_indices(n, 1)
    b = (base + base.T)[iu]
    s = (scen + scen.T)[iu]
    df = pd.DataFrame({"a": np.asarray(origin)[iu[0]], "b": np.asarray(origin)[iu[1]], "base": b, "scen": s})
    df = df[(df["base"] > 0) | (df["scen"] > 0)]
    return df.sort_values(["scen", "a", "b"], ascending=[False, True, True], kind="stable").reset_index(
        drop=True
    )


def _flows_svg(flows, cities, xy, label, text) -> list[str]:
    f = flows[flows["a"].isin(cities.index) & flows["b"].isin(cities.index)]
    top = float(max(f["scen"].max(), f["base"].max())) if len(f) else 0.0
    if top <= 0:
        return []
    f = f[f["scen"] >= MIN_FLOW_SHARE * top].head(MAX_FLOWS)
    out = ['<g class="flows">']
    for row in f.iloc[::-1].itertuples(index=False):  # the largest last, on top
        (x1, y1), (x2, y2) = xy(row.a), xy(row.b)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        cx, cy = mx - (y2 - y1) * 0.18, my + (x2 - x1) * 0.18  # a bend, off the straight link
        w = 0.8 + 7.0 * math.sqrt(row.scen / top)
        pct = (row.scen - row.base) / row.base * 100 if row.base > 0 else math.nan
        change = f", {pct:+.0f}%" if math.isfinite(pct) else ""
        lines = [
            f"{label(row.a)} ↔ {label(row.b)}",
            f"{text['flow_commuters']}: {row.scen:,.0f} ({text['baseline']} {row.base:,.0f}{change})",
        ]
        tx, ty = (mx + cx) / 2, (my + cy) / 2
        out.append(
            f'<g class="tip-host flow-host" tabindex="0"><path class="flow" data-a="{escape(row.a)}" '
            f'data-b="{escape(row.b)}" data-commuters="{row.scen:.0f}" data-base="{row.base:.0f}" '
            f'd="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}" fill="none" stroke="{FLOW}" '
            f'stroke-opacity="0.5" stroke-width="{w:.2f}" stroke-linecap="round"/>'
            f"{tip_svg(lines, tx, ty, 10_000, 10_000)}</g>"
        )
    out.append("</g>")
    return out


# ---------------------------------------------------------------------------- legend
def _key_box(text: dict[str, str], width: int, geo, flows) -> tuple[float, float, float, float]:
    """The top-right key of the geography and flow symbols (reserved for no label)."""
    rows = _key_rows(text, geo is not None, flows is not None)
    if not rows:
        return (width, 0.0, width, 0.0)
    w = max(_text_width(t, 10.0) for t, *_ in rows) + 34
    return (width - w - 6, 6.0, width - 6.0, 12.0 + 15 * len(rows))


def _key_rows(text, geo: bool, flows: bool) -> list[tuple[str, str, str]]:
    rows = []
    if geo:
        rows += [
            (text["key_water"], WATER_EDGE, ""),
            (text["key_border_inner"], BORDER_INNER, "6 3"),
            (text["key_border_outer"], BORDER_OUTER, ""),
        ]
    if flows:
        rows.append((text["key_flow"], FLOW, ""))
    return rows


def _map_legend(text, width, height, gdp_ref, diff, geo: bool, flows: bool) -> str:
    parts = []
    rows = _key_rows(text, geo, flows)
    if rows:
        x0, y0, x1, y1 = _key_box(text, width, geo, flows)
        parts.append(
            f'<rect class="key" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" '
            'fill="#ffffff" fill-opacity="0.85" stroke="#ccc" rx="3"/>'
        )
        for i, (t, c, dash) in enumerate(rows):
            y = y0 + 12 + 15 * i
            sw = 3 if c == FLOW else 1.6
            parts.append(
                f'<line x1="{x0 + 6:.1f}" y1="{y - 3:.1f}" x2="{x0 + 26:.1f}" y2="{y - 3:.1f}" stroke="{c}" '
                f'stroke-width="{sw}"{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>'
                f'<text x="{x0 + 30:.1f}" y="{y:.1f}" font-size="10">{escape(t)}</text>'
            )
    parts.append(
        f'<rect x="0" y="{height - 62}" width="{width}" height="62" fill="#fbfbf8" fill-opacity="0.9"/>'
    )
    y0, x = height - 50, 12.0
    for key, colour, sw, op in (
        *((f"mode_{m}", MODE_COLOURS[m], 2.5, 1.0) for m in ("hsr", "intercity", "rail", "expressway")),
        ("lever_corridor", HIGHLIGHT, 7, 0.55),
    ):
        parts.append(
            f'<line x1="{x:.1f}" y1="{y0}" x2="{x + 22:.1f}" y2="{y0}" stroke="{colour}" stroke-width="{sw}" '
            f'stroke-opacity="{op}"/><text x="{x + 26:.1f}" y="{y0 + 4}" '
            f'font-size="11">{escape(text[key])}</text>'
        )
        x += 26 + _text_width(text[key]) + 14
    y1, gx, n, gw = height - 22, 12, 30, 140
    if diff is None:
        for i in range(n):
            parts.append(
                f'<rect x="{gx + i * gw / n:.1f}" y="{y1 - 8}" width="{gw / n + 0.5:.1f}" height="10" '
                f'fill="{pm_colour(PM_LO + (PM_HI - PM_LO) * i / (n - 1))}"/>'
            )
        parts.append(
            f'<text x="{gx}" y="{y1 + 14}" font-size="10">{PM_LO:.0f}</text>'
            f'<text x="{gx + gw}" y="{y1 + 14}" font-size="10" text-anchor="end">{PM_HI:.0f} µg/m³</text>'
            f'<text x="{gx + gw + 6}" y="{y1 + 1}" font-size="11">{escape(text["pm25"])}</text>'
        )
        sx = gx + gw + 20 + _text_width(text["pm25"])
    else:
        parts.append(_diff_scale(text, diff, gx, y1, gw, n))
        sx = gx + gw + 20 + max(_text_width(diff[2]), _text_width(text["legend_grey"], 10) + 16)
    bottom = height - 6
    for frac in (0.05, 0.25, 1.0):
        r = node_radius(gdp_ref * frac, gdp_ref)
        lab = f"{gdp_ref * frac:,.0f}"
        parts.append(
            f'<circle cx="{sx + r:.1f}" cy="{bottom - r:.1f}" r="{r:.1f}" fill="none" stroke="#555"/>'
            f'<text x="{sx + 2 * r + 3:.1f}" y="{bottom - 2:.1f}" font-size="10">{lab}</text>'
        )
        sx += 2 * r + 8 + _text_width(lab, 10)
    parts.append(f'<text x="{sx:.1f}" y="{bottom - 2:.1f}" font-size="11">{escape(text["gdp_100m"])}</text>')
    return "".join(parts)


def _diff_scale(text, diff, gx, y1, gw, n) -> str:
    """Worse (red, left) to better (green, right) with the % change each end stands for: for an
    outcome where less is better the right end is a fall."""
    better, span, name = diff
    parts = []
    for i in range(n):
        v = -span + 2 * span * i / (n - 1)  # desirability-signed change, worse -> better
        c = change_colour(v * (better or 1), better or 1, True, span) if abs(v) > 1e-12 else "#f7f7f7"
        parts.append(
            f'<rect class="diff-scale" x="{gx + i * gw / n:.1f}" y="{y1 - 8}" width="{gw / n + 0.5:.1f}" '
            f'height="10" fill="{c}"/>'
        )
    lo, hi = (-span, span) if better >= 0 else (span, -span)
    parts.append(
        f'<text class="diff-lo" x="{gx}" y="{y1 + 14}" font-size="10" fill="{BAD}">{lo:+.1f}% '
        f"{escape(text['worse'])}</text>"
        f'<text class="diff-hi" x="{gx + gw}" y="{y1 + 14}" font-size="10" text-anchor="end" '
        f'fill="{GOOD}">{escape(text["better"])} {hi:+.1f}%</text>'
        f'<text x="{gx + gw + 6}" y="{y1 - 2}" font-size="11">{escape(name)}</text>'
        f'<rect x="{gx + gw + 6}" y="{y1 + 5}" width="10" height="9" fill="#d9d9d9"/>'
        f'<text x="{gx + gw + 19}" y="{y1 + 13}" font-size="10">{escape(text["legend_grey"])}</text>'
    )
    return "".join(parts)
