"""The page's result panels (Solara components): the status line, the headline box, the effect
curves, the mechanism indicators, the map and the city table, all drawn from the session's best
result (the full one, else the preview), dimmed while a newer one is computed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import reacton.ipyvuetify as rv
import solara

from . import results
from .figures import change_colour, effect_chart_svg, map_svg
from .i18n import S, city_name, tr
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
        text = tr(lang, "status_preview_run", n=min(PREVIEW_SEEDS, session.n_seeds), pct="…")
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
    text = _texts(lang)
    with solara.Div(classes=["my-charts"]):
        for col in CURVES:
            if not res.has(col):
                continue
            better, _agg, factor = OUTCOMES[col]
            b, s = res.paths(col)
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
                absolute=factor if col == "fiscal_cost" else None,
            )
            solara.HTML(tag="div", unsafe_innerHTML=svg)


MAP_METRICS = ("gdp", "air_quality", "talent", "water_quality", "emissions_air")


@solara.component
def MapView(session: Session, rev: Any):
    res, lang = session.result, session.lang
    which, set_which = solara.use_state("diff")
    metric, set_metric = solara.use_state("gdp")
    cities = session.cities
    gdp_b, gdp_s = res.city_paths("gdp")
    pm_s = res.city_paths("air_quality")[1]
    values = {"gdp": gdp_s[:, -1].mean(0), "air_quality": pm_s[:, -1].mean(0)}
    vals = pd.DataFrame(values, index=pd.Index(res.city_ids))
    better = {c: b for c, b in (v for v in CITY_CHANGES.values())}
    eff = res.city_effects(metric)
    span = float(eff["pct"].abs().max()) or 1.0

    def colour(cid: str) -> str:
        e = eff.loc[cid]
        return change_colour(float(e["pct"]), better[metric], bool(e["significant"]), span)

    def tips(cid: str) -> list[str]:
        e = eff.loc[cid]
        mname = tr(lang, f"h_{metric}")
        sig = "" if e["significant"] else f" ({tr(lang, 'not_sig')})"
        return [
            city_name(cities, cid, lang),
            f"{tr(lang, 'gdp_100m')}: {vals.at[cid, 'gdp']:,.0f}",
            f"PM2.5: {vals.at[cid, 'air_quality']:.1f} µg/m³",
            f"{mname}: {e['pct']:+.2f}% [{e['pct_lo']:+.2f}, {e['pct_hi']:+.2f}]{sig}",
        ]

    svg = map_svg(
        cities,
        vals,
        res.edges_scen,
        lambda c: city_name(cities, c, lang),
        _texts(lang),
        2.0 * float(gdp_b[:, 0].mean(0).max()),
        colour if which == "diff" else None,
        tips,
    )
    with solara.Row(style="align-items: center; gap: 10px; flex-wrap: wrap"):
        solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "map"), classes=["my-h"])
        labels = {tr(lang, "map_diff"): "diff", tr(lang, "map_level"): "level"}
        solara.ToggleButtonsSingle(
            value=tr(lang, "map_diff" if which == "diff" else "map_level"),
            on_value=lambda v: set_which(labels[v]),
            values=list(labels),
            dense=True,
            classes=["my-map-which"],
        )
        if which == "diff":
            rv.Select(
                items=[{"text": tr(lang, f"h_{m}"), "value": m} for m in MAP_METRICS],
                v_model=metric,
                on_v_model=set_metric,
                dense=True,
                hide_details=True,
                style_="max-width: 230px",
                class_="my-map-metric",
            )
    solara.HTML(tag="div", unsafe_innerHTML=svg, attributes={"data-map": which}, classes=["my-mapbox"])
    solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "map_note"), classes=["my-hint"])


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
    Charts(session, rev)
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "mech_title"), classes=["my-h"])
    solara.HTML(tag="div", unsafe_innerHTML=mechanisms_html(res, session.enabled(), session.draft, lang))
    with solara.Div(classes=["my-two"]):
        with solara.Div():
            MapView(session, rev)
        with solara.Div():
            CityTable(session, rev)
