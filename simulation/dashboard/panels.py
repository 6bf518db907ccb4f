"""The page's result panels (Solara components): the status line, the headline box, the effect
curves, the mechanism indicators, the map and the city table, all drawn from the session's best
result (the full one, else the preview), dimmed while a newer one is computed.
"""

from __future__ import annotations

from typing import Any

import reacton.ipyvuetify as rv
import solara

from . import results
from .figures import effect_chart_svg
from .i18n import S, not_sig, tr
from .mapview import MapView  # the map panel (geography, flows, a city's own series)
from .scenarios import overlay_series
from .state import CITY_CHANGES, CURVES, OUTCOMES, PREVIEW_SEEDS, Session
from .views import city_rows, city_table_html, headline_html, mechanisms_html


def _texts(lang: str) -> dict[str, str]:
    keys = (
        "scenario",
        "baseline",
        "diff_pct",
        "difference",
        "not_sig",
        "better",
        "worse",
        "legend_grey",
        "pm25",
        "gdp_100m",
        "lever_corridor",
        "minutes",
        *(k for k in S if k.startswith("mode_")),
    )
    return {k: tr(lang, k) for k in keys}


@solara.component
def Status(session: Session, rev: Any):
    lang, res = session.lang, session.result
    if session.message is not None:
        kind, text = session.message
        {"error": solara.Error, "warning": solara.Warning}.get(kind, solara.Info)(
            text, dense=True, classes=["my-message"]
        )
    queue = getattr(results.RUNNER, "status", None)
    ahead = None
    if session.computing and callable(queue):
        try:
            ahead = queue().get("ahead")
        except Exception:  # noqa: BLE001 - the queue's status is a nicety
            ahead = None
    pct = f"{100 * (session.preview.scale if session.preview else 0):g}"
    if session.full is not None:
        took = session.timings.get("full", 0.0)
        key = "status_full" if took >= 0.05 else "status_full_cached"
        text = tr(lang, key, n=session.full.n, s=f"{took:.1f}")
    elif session.preview is not None:
        text = tr(
            lang,
            "status_preview",
            n=session.preview.n,
            pct=pct,
            s=f"{session.timings.get('preview', 0):.1f}",
            full=session.n_seeds,
        )
    elif session.computing:
        n = min(PREVIEW_SEEDS, session.n_seeds)
        text = tr(lang, "status_preview_run", n=n, full=session.n_seeds, pct="…")
    else:
        text = ""
    if ahead:
        text += " · " + tr(lang, "status_wait", ahead=ahead)
    state = "full" if session.full is not None else "preview" if session.preview is not None else "none"
    if session.stale and res is not None:
        state, text = "stale", tr(lang, "status_stale")
    import zlib

    marks = {
        "data-state": state,
        "data-n": str(res.n if res else 0),
        "data-want": str(zlib.crc32(session.key().encode())),
    }
    if session.result_key is not None:
        marks["data-for"] = str(zlib.crc32(session.result_key.encode()))
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=["my-status"], attributes=marks)
    if state == "preview":
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "preview_note"), classes=["my-hint"])


@solara.component
def Charts(session: Session, rev: Any):
    res, lang = session.result, session.lang
    text = {**_texts(lang), "not_sig": not_sig(lang, res.n)}
    with solara.Div(classes=["my-charts"]):
        for col in CURVES:
            if not res.has(col):
                continue
            better, _agg, factor = OUTCOMES[col]
            b, s = res.paths(col)
            absolute = col == "fiscal_cost"
            svg = effect_chart_svg(
                col,
                tr(lang, f"h_{col}"),
                tr(lang, f"hu_{col}"),
                res.years,
                b.mean(0) * factor,
                s.mean(0) * factor,
                res.yearly(col),
                better,
                text,
                absolute=factor if absolute else None,
                overlays=overlay_series(session.overlays, col, factor, absolute),
            )
            solara.HTML(tag="div", unsafe_innerHTML=svg)


@solara.component
def CityTable(session: Session, rev: Any):
    res, lang = session.result, session.lang
    sort, set_sort = solara.use_state("d_gdp")
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "cities"), classes=["my-h"])
    rv.Select(
        items=[{"text": tr(lang, k), "value": k} for k in CITY_CHANGES],
        v_model=sort,
        on_v_model=set_sort,
        dense=True,
        hide_details=True,
        style_="max-width: 220px",
        class_="my-sort",
    )
    solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "city_note", year=res.end_year), classes=["my-hint"])
    rows = city_rows(res, session.cities, lang, sort)
    solara.HTML(tag="div", unsafe_innerHTML=city_table_html(rows, lang))


@solara.component
def Results(session: Session, rev: Any):
    res = session.result
    if res is None:
        return
    if session.stale:
        solara.Style(".my-results { opacity: 0.55; }")
    with solara.Div(classes=["my-results"]):
        ResultPanels(session, rev)


@solara.component
def ResultPanels(session: Session, rev: Any):
    res, lang = session.result, session.lang
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "headline_title"), classes=["my-h"])
    solara.HTML(tag="div", unsafe_innerHTML=headline_html(res, lang))
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "curves"), classes=["my-h"])
    solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "curves_note"), classes=["my-hint"])
    if session.overlays:
        note = tr(lang, "overlay_note")
        solara.HTML(tag="div", unsafe_innerHTML=note, classes=["my-hint", "my-overlay-note"])
    Charts(session, rev)
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "mech_title"), classes=["my-h"])
    solara.HTML(tag="div", unsafe_innerHTML=mechanisms_html(res, session.enabled(), session.draft, lang))
    with solara.Div(classes=["my-two"]):
        with solara.Div():
            MapView(session, rev)
        with solara.Div():
            CityTable(session, rev)
