"""What the page downloads besides the TOML: the results as CSV, the curves as PNG, a one-page summary.

* :func:`results_csv`: one row per (scenario, metric, year) for the current scenario and every
  overlaid one: the mean baseline and scenario levels, the paired difference and its 95% band, the
  % change and its band (the band the curves draw), whether it is distinguishable from zero, the
  seeds and the scale. Values are in the model table's units (the ``unit`` column).
* :func:`curves_png`: the effect curves (change against the baseline with the 95% band, one panel
  per outcome of the page's curves), every overlaid scenario in its page colour. Matplotlib, only
  here and imported when a PNG is asked for (the model core never imports it).
* :func:`summary_html`: one printable page: the settings, the link, the headline box as the page
  shows it, the seeds, the model's version, and the overlaid scenarios' headline changes.

No Solara import: the page hands these functions to ``solara.FileDownload`` (which calls them in a
thread when the trainee clicks), tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from .figures import SCEN_COLOUR
from .i18n import tr
from .results import PairedResult
from .state import CURVES, HEADLINE, LEVERS, OUTCOMES

CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Droid Sans Fallback",
)
CJK_FILES = ("wqy", "notosanscjk", "noto-cjk", "sourcehansans", "droidsansfallback")


@dataclass(frozen=True)
class Entry:
    """One scenario to export: its label, its curve colour, its result and the levers it switches on."""

    label: str
    colour: str
    result: PairedResult
    levers: tuple[str, ...]


def levers_of(res: PairedResult) -> tuple[str, ...]:
    """The levers switched on in the config a result was computed for."""
    cfg = res.meta.get("config") or {}
    return tuple(k for k in LEVERS if (cfg.get(k) or {}).get("enabled"))


def entries(session: Any) -> list[Entry]:
    """The current scenario (if it has a result) and every computed overlay of ``session``."""
    out = []
    if session.result is not None:
        out.append(
            Entry(tr(session.lang, "current_scenario"), SCEN_COLOUR, session.result, tuple(session.enabled()))
        )
    for o in getattr(session, "overlays", []):
        if o.result is not None:
            out.append(Entry(o.name, o.colour, o.result, levers_of(o.result)))
    return out


# ---------------------------------------------------------------------------- CSV
def shown_columns(res: PairedResult, levers: Sequence[str]) -> list[str]:
    """The page's curves, then the indicators of the levers switched on (what the page shows)."""
    from .levers import INDICATORS

    extra = sorted({c for k in levers for c in INDICATORS.get(k, []) if not c.startswith("city:")})
    return [c for c in (*CURVES, *extra) if res.has(c)]


def unit_of(column: str) -> str:
    """The unit of a model-table column: ``run.py compare``'s table of units, else the page's unit
    where the page shows the column unconverted, else "-"."""
    from simulation.experiments.headline import RAW_UNITS

    if column in RAW_UNITS:
        return RAW_UNITS[column]
    if column in OUTCOMES and OUTCOMES[column][2] == 1.0:
        return tr("en", f"hu_{column}")
    return "-"


def results_csv(items: Sequence[Entry]) -> str:
    """The per-year table of every scenario in ``items`` (see the module); "" when none."""
    frames = []
    for e in items:
        res = e.result
        df = res.yearly_frame(shown_columns(res, e.levers))
        if df.empty:
            continue
        df.insert(0, "scenario", e.label)
        df.insert(2, "unit", [unit_of(c) for c in df["metric"]])
        df["seeds"] = res.n
        df["scale"] = res.scale
        frames.append(df)
    return pd.concat(frames, ignore_index=True).to_csv(index=False) if frames else ""


# ---------------------------------------------------------------------------- PNG
@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font family with Chinese glyphs known to matplotlib (registered from the system's font
    files if matplotlib's font cache predates them), or None."""
    from matplotlib import font_manager as fm

    def known() -> str | None:
        names = {f.name for f in fm.fontManager.ttflist}
        return next((n for n in CJK_FONTS if n in names), None)

    if known() is None:
        for path in fm.findSystemFonts():
            if any(k in path.lower().replace(" ", "") for k in CJK_FILES):
                try:
                    fm.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
    return known()


def curves_png(items: Sequence[Entry], lang: str, dpi: int = 110) -> bytes:
    """The effect curves of ``items`` as one PNG (see the module); b"" when there is nothing."""
    if not items:
        return b""
    from matplotlib.figure import Figure

    font = cjk_font()
    text_lang = lang if (lang != "zh" or font is not None) else "en"  # no Chinese font: English labels
    cols = [c for c in CURVES if items[0].result.has(c)]
    ncol = 5 if len(cols) > 4 else max(len(cols), 1)
    nrow = math.ceil(len(cols) / ncol)
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    fig = Figure(figsize=(3.3 * ncol, 2.7 * nrow + 0.9), dpi=dpi, layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False).ravel()
    for ax, col in zip(axes, cols, strict=False):
        _panel(ax, col, items, text_lang, family)
    for ax in axes[len(cols) :]:
        ax.set_visible(False)
    fig.legend(
        *axes[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncol=min(len(items), 4),
        prop={"family": family},
    )
    res = items[0].result
    fig.suptitle(
        tr(text_lang, "png_title", n=res.n, first=res.start_year, last=res.end_year),
        fontsize=11,
        fontfamily=family,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _panel(ax, col: str, items: Sequence[Entry], lang: str, family: list[str]) -> None:
    _better, _agg, factor = OUTCOMES[col]
    absolute = col == "fiscal_cost"  # zero in the baseline: the difference itself, as on the page
    for e in items:
        res = e.result
        if not res.has(col):
            continue
        eff = res.yearly(col)
        k = factor if absolute else 1.0
        mid = [(x.diff if absolute else x.pct) * k for x in eff]
        lo = [(x.lo if absolute else x.pct_lo) * k for x in eff]
        hi = [(x.hi if absolute else x.pct_hi) * k for x in eff]
        years = [int(y) for y in res.years]
        ax.fill_between(years, lo, hi, color=e.colour, alpha=0.18, linewidth=0)
        ax.plot(years, mid, color=e.colour, linewidth=1.6, label=e.label)
    ax.axhline(0.0, color="#999999", linewidth=0.8)
    unit = f"{tr(lang, 'difference')} ({tr(lang, f'hu_{col}')})" if absolute else tr(lang, "diff_pct")
    ax.set_title(tr(lang, f"h_{col}"), fontsize=9.5, fontfamily=family)
    ax.set_ylabel(unit, fontsize=8, fontfamily=family)
    ax.tick_params(labelsize=7.5)
    ax.grid(alpha=0.3, linewidth=0.5)


# ---------------------------------------------------------------------------- summary
@functools.lru_cache(maxsize=1)
def model_version() -> dict[str, Any]:
    """The package version, the sha256 of the model's sources (the result cache's code version) and
    the git commit (None outside a git checkout)."""
    from importlib import metadata

    from simulation.archive.provenance import code_version as git_version

    from .runcache import code_version

    try:
        package = metadata.version("midyangtze")
    except metadata.PackageNotFoundError:
        package = None
    return {"package": package, "source_sha256": code_version(), **git_version()}


SUMMARY_CSS = """
body { font-family: sans-serif; margin: 18px; color: #111; max-width: 1100px; }
h1 { font-size: 20px; margin: 0 0 4px 0; } h2 { font-size: 15px; margin: 14px 0 6px 0; }
.meta { font-size: 12px; color: #555; } code { font-size: 11.5px; word-break: break-all; }
@media print { body { margin: 8mm; } .my-cards { grid-template-columns: repeat(3, 1fr) !important; } }
"""


def summary_html(session: Any) -> str:
    """The one-page summary of the session's current scenario (see the module); "" without a result."""
    from . import views

    lang, res = session.lang, session.result
    if res is None:
        return ""
    v = model_version()
    commit = (v.get("git_commit") or "-")[:12] + (" (dirty)" if v.get("git_dirty") else "")
    rows = [
        (tr(lang, "seed"), str(session.draft["run"]["seed"])),
        (tr(lang, "end_year"), f"{res.start_year}–{res.end_year}"),
        (tr(lang, "n_seeds"), str(res.n)),
        (tr(lang, "summary_scale"), f"{100 * res.scale:g}%"),
        (tr(lang, "summary_levers"), _levers_text(session)),
    ]
    if session.overrides:
        rows.append((tr(lang, "summary_overrides"), "; ".join(_overrides_text(session.overrides))))
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(x)}</td></tr>" for k, x in rows)
    seeds = ", ".join(str(s) for s in res.seeds)
    version = (
        f"midyangtze {escape(str(v.get('package')))} · {tr(lang, 'summary_source')} "
        f"<code>{escape(str(v['source_sha256'])[:16])}</code> · git <code>{escape(commit)}</code>"
    )
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    parts = [
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>'
        f"{escape(tr(lang, 'summary_title'))}</title><style>{SUMMARY_CSS}{views.CSS}</style></head><body>",
        f"<h1>{escape(tr(lang, 'title'))} · {escape(tr(lang, 'summary_title'))}</h1>",
        f'<div class="meta">{escape(tr(lang, "summary_generated", at=now))} · {version}</div>',
        f"<h2>{escape(tr(lang, 'settings'))}</h2><table class='my-t'>{table}</table>",
        f'<div class="meta">{escape(tr(lang, "summary_link"))}: '
        f"<code>?{escape(session.query())}</code></div>",
        f"<h2>{escape(tr(lang, 'headline_title'))}</h2>{views.headline_html(res, lang)}",
        f"<h2>{escape(tr(lang, 'summary_seeds'))}</h2><div class='meta'><code>{seeds}</code></div>",
        _overlays_html(session),
        "</body></html>",
    ]
    return "".join(parts)


def _levers_text(session: Any) -> str:
    lang = session.lang
    on = session.enabled()
    if not on:
        return tr(lang, "summary_levers_none")
    from .state import preset_raw

    out = []
    for lever in on:
        shipped = preset_raw(lever)[lever]
        changed = [
            f"{_field(lang, lever, k)} = {val}"
            for k, val in session.draft[lever].items()
            if k != "enabled" and val != shipped.get(k)
        ]
        out.append(tr(lang, f"lever_{lever}") + (f" ({'; '.join(changed)})" if changed else ""))
    return " · ".join(out)


def _field(lang: str, lever: str, key: str) -> str:
    from .i18n import field_label

    try:
        return field_label(lang, lever, key)
    except KeyError:
        return key


def _overrides_text(overrides: Any) -> list[str]:
    if isinstance(overrides, dict):
        return [f"{k}={val}" for k, val in overrides.items()]
    return [str(x) for x in overrides]


def _overlays_html(session: Any) -> str:
    """The final-year % change of every headline outcome, the current scenario and each overlay."""
    from .views import pct, signed

    lang = session.lang
    items = entries(session)
    if len(items) < 2:
        return ""
    head = "".join(f"<th>{escape(e.label)}</th>" for e in items)
    body = []
    for col in HEADLINE:
        if not items[0].result.has(col):
            continue
        cells = []
        for e in items:
            if not e.result.has(col):
                cells.append("<td>–</td>")
                continue
            x = e.result.summary(col, "final")
            note = "" if x.significant else " *"
            shown = pct(x.pct) if math.isfinite(x.pct) else signed(x.diff * OUTCOMES[col][2])
            cells.append(f'<td class="num">{shown}{note}</td>')
        unit = "%" if col != "fiscal_cost" else tr(lang, "hu_fiscal_cost")
        body.append(f"<tr><td>{escape(tr(lang, f'h_{col}'))} ({escape(unit)})</td>{''.join(cells)}</tr>")
    return (
        f"<h2>{escape(tr(lang, 'summary_overlays'))}</h2><table class='my-t'><tr><th></th>{head}</tr>"
        f"{''.join(body)}</table><div class='meta'>{escape(tr(lang, 'summary_overlays_note'))}</div>"
    )


def file_stem(session: Any) -> str:
    """The page's export name without its extension (``midyangtze-<levers>-seed<seed>``)."""
    return session.export_name("x")[:-2]
