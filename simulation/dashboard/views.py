"""The result panels of the page as HTML strings: the headline box, the mechanism indicators and
the city table, from a :class:`~simulation.dashboard.results.PairedResult`.

No Solara import (the page wraps these strings; tests read them directly). Every number carries its
95% interval; colours say better (green) or worse (red) by the outcome's desirability, grey when
the interval includes zero; ▲▼ give the direction. Data attributes (``data-metric``, ``data-agg``,
``data-kind``, ``data-sig``) let tests read what is shown.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

from .figures import arrow, desirability, sparkline_svg
from .i18n import city_name, not_sig, province_name, tr
from .levers import INDICATORS
from .results import Effect, PairedResult, effect
from .state import CITY_CHANGES, HEADLINE, OUTCOMES

CSS = """
.my-cards { display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 300px), 1fr)); }
.my-card { border: 1px solid #e0e0e0; border-radius: 6px; padding: 6px 10px; background: #fff; min-width: 0; }
.my-card-title { font-weight: 600; font-size: 14px; }
.my-card-title .u { font-weight: 400; color: #666; font-size: 12px; margin-left: 4px; }
.my-eff { font-size: 13px; line-height: 1.4; overflow-wrap: anywhere; margin-top: 3px; }
.my-eff .lab { color: #555; font-size: 12px; }
.my-eff .chg { font-weight: 600; font-size: 14px; }
.my-eff .ns { font-size: 11px; color: #757575; font-style: italic; }
.k-good { color: #2e7d32; } .k-bad { color: #c62828; }
.k-grey { color: #757575; } .k-neutral { color: #1565c0; }
.my-scroll { overflow-x: auto; max-width: 100%; }
table.my-t { border-collapse: collapse; font-size: 12.5px; width: 100%; }
table.my-t th { text-align: left; font-weight: 600; border-bottom: 1px solid #ccc; padding: 3px 6px;
  white-space: nowrap; }
table.my-t td { border-bottom: 1px solid #eee; padding: 3px 6px; white-space: nowrap; }
table.my-t td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.my-t .ci { color: #888; font-size: 11px; }
"""


def _decimals(ref: float) -> int:
    a = abs(ref)
    return 0 if a >= 100 else 1 if a >= 10 else 2 if a >= 1 else 3 if a >= 0.01 else 4


def fmt(v: float, dec: int | None = None) -> str:
    """A number for people: thousands separated, decimals by size (or ``dec``)."""
    if not math.isfinite(v):
        return "–"
    d = _decimals(v) if dec is None else dec
    text = f"{v:,.{d}f}"
    return "0" if float(text.replace(",", "")) == 0 else text


def signed(v: float, dec: int | None = None) -> str:
    text = fmt(v, dec)
    return text if text in ("–", "0") or text.startswith("-") else "+" + text


def pct(v: float, dec: int = 2) -> str:
    if not math.isfinite(v):
        return "–"
    text = f"{v:+.{dec}f}"
    return "0%" if float(text) == 0 else text + "%"


def _interval(lo: float, hi: float, dec: int | None = None) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    return f"[{signed(lo, dec)}, {signed(hi, dec)}]"


def pct_dec(*values: float) -> int:
    """Decimals of a % change and its interval: two, more for changes under 0.1%."""
    fin = [abs(v) for v in values if math.isfinite(v)]
    m = max(fin) if fin else 0.0
    return 2 if m >= 0.1 or m == 0 else 3 if m >= 0.01 else 4


def _pct_interval(lo: float, hi: float, dec: int | None = None) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    d = pct_dec(lo, hi) if dec is None else dec

    def bare(v: float) -> str:  # the number without its % sign
        text = pct(v, d)
        return "0" if text == "0%" else text[:-1]

    return f"[{bare(lo)}, {bare(hi)}]"


def _dec_of(*values: float) -> int:
    """Decimals that suit the largest of ``values`` (a change and its interval share them)."""
    fin = [abs(v) for v in values if math.isfinite(v)]
    return _decimals(max(fin)) if fin else 0


# ---------------------------------------------------------------------------- headline
def _line(lang: str, label: str, e: Effect, factor: float, better: int, pct_text: str, agg: str) -> str:
    kind = desirability(e.diff, better, e.significant)
    d = _dec_of(e.diff * factor, e.lo * factor, e.hi * factor)
    lv = _dec_of(e.base * factor, e.scen * factor)
    ns = "" if e.significant else f' <span class="ns">{not_sig(lang, e.n)}</span>'
    return (
        f'<div class="my-eff" data-agg="{agg}" data-kind="{kind}" data-sig="{int(e.significant)}">'
        f'<div class="lab">{escape(label)}: {fmt(e.base * factor, lv)} → {fmt(e.scen * factor, lv)}</div>'
        f'<div class="k-{kind}"><span class="chg">{_arrow(e.diff * factor, d)}{signed(e.diff * factor, d)} '
        f"{_interval(e.lo * factor, e.hi * factor, d)}</span> <span "
        f'class="pc">{pct_text}</span>{ns}</div></div>'
    )


def _arrow(v: float, dec: int) -> str:
    """▲ or ▼ with a space, or nothing when the change shows as 0."""
    return "" if signed(v, dec) == "0" else f"{arrow(v)} "


def _pct_text(lang: str, res: PairedResult, col: str, e: Effect, agg: str) -> str:
    if col == "fiscal_cost":  # zero in the baseline: as a share of the baseline's GDP instead
        g = res.summary("gdp", agg)
        share = 100 * e.diff / g.base if g.base else math.nan
        return tr(lang, "of_gdp", p=pct(share, pct_dec(share)))
    d = pct_dec(e.pct, e.pct_lo, e.pct_hi)
    return f"{pct(e.pct, d)} {_pct_interval(e.pct_lo, e.pct_hi, d)}"


def headline_html(res: PairedResult, lang: str) -> str:
    """One card per headline outcome: the last year and the whole period (2020-end, a total for
    flows, a mean for levels), baseline and scenario levels, the change with its interval."""
    first, last = res.start_year + 1, res.end_year
    cards = []
    for col in HEADLINE:
        if not res.has(col):
            continue
        better, agg, factor = OUTCOMES[col]
        fin, whole = res.summary(col, "final"), res.summary(col, agg)
        span = tr(lang, "cum_span" if agg == "cum" else "mean_span", first=first, last=last)
        cards.append(
            f'<div class="my-card" data-metric="{col}"><div '
            f'class="my-card-title">{escape(tr(lang, f"h_{col}"))}'
            f'<span class="u">{escape(tr(lang, f"hu_{col}"))}</span></div>'
            + _line(
                lang,
                tr(lang, "in_year", year=last),
                fin,
                factor,
                better,
                _pct_text(lang, res, col, fin, "final"),
                "final",
            )
            + _line(lang, span, whole, factor, better, _pct_text(lang, res, col, whole, agg), agg)
            + "</div>"
        )
    note = f'<div class="my-hint">{escape(tr(lang, "band_note", n=res.n))}</div>'
    return f'<div class="my-cards my-headline-box">{"".join(cards)}</div>{note}'


# ---------------------------------------------------------------------------- mechanisms
def indicator_paths(res: PairedResult, name: str, cities: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
    """(baseline, scenario) paths (n_seeds, n_years) of an indicator: a model column, or
    ``city:<column>`` aggregated over ``cities`` (mean of an index, sum of an amount)."""
    if not name.startswith("city:"):
        return res.paths(name) if res.has(name) else None
    col = name[5:]
    if col not in res.city_columns or not cities:
        return None
    idx = [res.city_ids.index(c) for c in cities if c in res.city_ids]
    b, s = res.city_paths(col)
    agg = np.mean if col.endswith("_index") else np.sum
    return agg(b[:, :, idx], axis=2), agg(s[:, :, idx], axis=2)


def _change(e: Effect) -> str:
    d = _dec_of(e.diff, e.lo, e.hi)
    kind = "neutral" if e.significant else "grey"
    ci = _interval(e.lo, e.hi, d)
    return f'<span class="k-{kind}">{signed(e.diff, d)}</span> <span class="ci">{ci}</span>'


def lever_cities(draft: dict, lever: str) -> list[str]:
    if lever == "red_lines":
        return list(draft["red_lines"]["protected_share"])
    return []


def mechanisms_html(res: PairedResult, levers_on: list[str], draft: dict, lang: str) -> str:
    if not levers_on:
        return f'<div class="my-hint">{escape(tr(lang, "mech_none"))}</div>'
    last = res.end_year
    blocks = []
    for lever in levers_on:
        rows = []
        for name in INDICATORS.get(lever, []):
            p = indicator_paths(res, name, lever_cities(draft, lever))
            if p is None:
                continue
            b, s = p
            fin = effect(b[:, -1], s[:, -1])
            tot = effect(b[:, 1:].sum(axis=1), s[:, 1:].sum(axis=1)) if b.shape[1] > 1 else fin
            rows.append(
                f'<tr data-indicator="{escape(name)}"><td>{escape(tr(lang, f"i_{name}"))}</td>'
                f'<td class="num">{fmt(fin.scen)} <span class="ci">({tr(lang, "baseline")} '
                f"{fmt(fin.base)})</span></td>"
                f'<td class="num">{_change(fin)}</td><td class="num">{_change(tot)}</td>'
                f"<td>{sparkline_svg(res.years, b, s)}</td></tr>"
            )
        head = (
            f"<tr><th>{tr(lang, 'col_indicator')}</th><th>{tr(lang, 'col_final', year=last)}</th>"
            f"<th>{tr(lang, 'difference')} {last}</th><th>{tr(lang, 'difference')} "
            f"{tr(lang, 'col_total')}</th><th></th></tr>"
        )
        blocks.append(
            f'<div class="my-card my-mech" data-lever="{lever}"><div class="my-card-title">'
            f'{escape(tr(lang, f"lever_{lever}"))}</div><div class="my-scroll"><table class="my-t">{head}'
            f"{''.join(rows)}</table></div></div>"
        )
    note = f'<div class="my-hint">{escape(tr(lang, "mech_note", year=last))}</div>'
    return f'{note}<div class="my-mechs">{"".join(blocks)}</div>'


# ---------------------------------------------------------------------------- cities
def city_rows(res: PairedResult, cities: pd.DataFrame, lang: str, sort: str = "d_gdp") -> list[dict]:
    """One row per city: name, province, GDP (scenario mean) and each change with its interval."""
    eff = {k: res.city_effects(col) for k, (col, _b) in CITY_CHANGES.items()}
    gdp = eff["d_gdp"]
    rows = []
    for cid in res.city_ids:
        row = {
            "id": cid,
            "city": city_name(cities, cid, lang),
            "province": province_name(str(cities.at[cid, "province"]), lang) if cid in cities.index else "",
            "gdp": float(gdp.at[cid, "scen"]),
        }
        for k in CITY_CHANGES:
            row[k] = eff[k].loc[cid]
        rows.append(row)
    rows.sort(key=lambda r: -(r[sort]["pct"] if math.isfinite(r[sort]["pct"]) else -1e9))
    return rows


def city_table_html(rows: list[dict], lang: str) -> str:
    keys = list(CITY_CHANGES)
    head = "".join(f"<th>{escape(tr(lang, k))} %</th>" for k in keys)
    body = []
    for r in rows:
        cells = []
        for k in keys:
            e = r[k]
            kind = desirability(float(e["pct"]), CITY_CHANGES[k][1], bool(e["significant"]))
            d = pct_dec(float(e["pct"]), float(e["pct_lo"]), float(e["pct_hi"]))
            cells.append(
                f'<td class="num k-{kind}" data-kind="{kind}">{pct(float(e["pct"]), d)} '
                f'<span class="ci">{_pct_interval(float(e["pct_lo"]), float(e["pct_hi"]), d)}</span></td>'
            )
        body.append(
            f'<tr data-city="{escape(r["id"])}"><td>{escape(r["city"])}</td><td>{escape(r["province"])}</td>'
            f'<td class="num">{fmt(r["gdp"])}</td>{"".join(cells)}</tr>'
        )
    return (
        f'<div class="my-scroll"><table class="my-t my-cities"><tr><th>{tr(lang, "city")}</th>'
        f"<th>{tr(lang, 'province')}</th><th>{tr(lang, 'gdp_100m')}</th>{head}</tr>"
        f"{''.join(body)}</table></div>"
    )
