"""The page's map panel (Solara): the map with its level / difference switch, the commuting flows
switch, and a city's own series, opened by a click on the city or from the city picker.

A click on a city in the SVG reaches Python through a small Vue template (``map_click.vue``): it
reads the ``data-city`` of the clicked group and calls ``event_pick``. The picker below the map
does the same for keyboards and for anyone who prefers a list.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import reacton.ipyvuetify as rv
import solara

from .figures import change_colour, effect_chart_svg
from .i18n import city_name, not_sig, tr
from .mapgeo import GeographyError, region_geography
from .mapsvg import flow_pairs, map_svg
from .results import PairedResult, effect
from .state import CITY_CHANGES, OUTCOMES, Session

MAP_METRICS = ("gdp", "air_quality", "talent", "water_quality", "emissions_air")
# a city's own series: city column -> (better, factor to the displayed unit, unit key)
CITY_SERIES: dict[str, tuple[int, float, str]] = {
    "gdp": (1, 1.0, "hu_gdp"),
    "air_quality": (-1, 1.0, "hu_air_quality"),
    "talent": (1, OUTCOMES["talent"][2], "hu_talent"),
    "water_quality": (-1, 1.0, "hu_water_quality"),
    "emissions_air": (-1, OUTCOMES["emissions_air"][2], "hu_emissions_air"),
    "commuters_out": (0, 1.0, "hu_persons"),
    "commuters_in": (0, 1.0, "hu_persons"),
}
MAP_TEXT_KEYS = (
    "scenario", "baseline", "diff_pct", "difference", "not_sig", "better", "worse", "legend_grey", "pm25",
    "gdp_100m", "lever_corridor", "minutes", "mode_hsr", "mode_intercity", "mode_rail", "mode_expressway",
    "key_water", "key_border_inner", "key_border_outer", "key_flow", "flow_commuters",
)  # fmt: skip


def map_texts(lang: str) -> dict[str, str]:
    return {k: tr(lang, k) for k in MAP_TEXT_KEYS}


def commute_flows(res: PairedResult) -> pd.DataFrame | None:
    """City pairs with their mean last-year commuters (both ways), or None if the runs kept none."""
    means = res.commute_means()
    if means is None:
        return None
    return flow_pairs(list(res.city_ids), *means)


def map_figure(res: PairedResult, cities: pd.DataFrame, region: str, lang: str, which: str, metric: str,
               flows: bool, selected: str | None = None) -> str:  # fmt: skip
    """The map's SVG for a result: ``which`` "diff" (colour = % change of ``metric`` against the
    baseline, by desirability) or "level" (colour = PM2.5); ``flows`` draws the commuting flows."""
    gdp_b, gdp_s = res.city_paths("gdp")
    pm_s = res.city_paths("air_quality")[1]
    vals = pd.DataFrame(
        {"gdp": gdp_s[:, -1].mean(0), "air_quality": pm_s[:, -1].mean(0)}, index=pd.Index(res.city_ids)
    )
    better = dict(CITY_CHANGES.values())[metric]
    eff = res.city_effects(metric)
    span = float(eff["pct"].abs().max()) or 1.0
    mname = tr(lang, f"h_{metric}")

    def colour(cid: str) -> str:
        e = eff.loc[cid]
        return change_colour(float(e["pct"]), better, bool(e["significant"]), span)

    def tips(cid: str) -> list[str]:
        e = eff.loc[cid]
        sig = "" if e["significant"] else f" ({not_sig(lang, res.n)})"
        return [
            city_name(cities, cid, lang),
            f"{tr(lang, 'gdp_100m')}: {vals.at[cid, 'gdp']:,.0f}",
            f"PM2.5: {vals.at[cid, 'air_quality']:.1f} µg/m³",
            f"{mname}: {e['pct']:+.2f}% [{e['pct_lo']:+.2f}, {e['pct_hi']:+.2f}]{sig}",
        ]

    try:
        geo = region_geography(region)
    except GeographyError:
        geo = None  # a broken geography file of a user's region: the map without it
    diff = which == "diff"
    return map_svg(
        cities, vals, res.edges_scen, lambda c: city_name(cities, c, lang), map_texts(lang),
        2.0 * float(gdp_b[:, 0].mean(0).max()), colour if diff else None, tips,
        geo=geo, lang=lang, flows=commute_flows(res) if flows else None,
        diff=(better, span, mname) if diff else None, selected=selected,
    )  # fmt: skip


def city_series_svgs(res: PairedResult, cid: str, lang: str) -> list[str]:
    """One chart per city column of :data:`CITY_SERIES` the result has: mean levels of scenario and
    baseline, the % change with its 95% band year by year, for the city ``cid``."""
    i = res.city_ids.index(cid)
    text = {k: tr(lang, k) for k in ("scenario", "baseline", "diff_pct", "difference")}
    text["not_sig"] = not_sig(lang, res.n)
    out = []
    for col, (better, factor, unit) in CITY_SERIES.items():
        if col not in res.city_columns:
            continue
        b, s = res.city_paths(col)
        b, s = b[:, :, i], s[:, :, i]
        effects = [effect(b[:, t], s[:, t]) for t in range(len(res.years))]
        out.append(
            effect_chart_svg(
                f"city:{col}",
                tr(lang, f"h_{col}"),
                tr(lang, unit),
                res.years,
                b.mean(0) * factor,
                s.mean(0) * factor,
                effects,
                better,
                text,
            )  # fmt: skip
        )
    return out


@solara.component_vue("map_click.vue")
def MapSvg(svg: str, which: str, event_pick: Any):
    pass


@solara.component
def MapView(session: Session, rev: Any):
    res, lang = session.result, session.lang
    which, set_which = solara.use_state("diff")
    metric, set_metric = solara.use_state("gdp")
    flows_choice, set_flows = solara.use_state(None)  # None: on while the circle lever is on
    picked, set_picked = solara.use_state(None)
    cities = session.cities
    flows = ("city_circle" in session.enabled()) if flows_choice is None else bool(flows_choice)
    if picked is not None and picked not in res.city_ids:
        picked = None
    svg = map_figure(res, cities, session.draft["run"]["region"], lang, which, metric, flows, picked)
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
        with solara.Div(classes=["my-map-flows"]):
            solara.Checkbox(label=tr(lang, "map_flows"), value=flows, on_value=set_flows)
    MapSvg(svg=svg, which=which, event_pick=set_picked)
    if flows and res.commute_means() is not None and not np.any(res.commute_means()[1]):
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "map_flows_none"), classes=["my-hint"])
    solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "map_note"), classes=["my-hint"])
    solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "map_sources"), classes=["my-hint", "my-map-sources"])
    CitySeries(res, cities, lang, picked, set_picked)


@solara.component
def CitySeries(res: PairedResult, cities: pd.DataFrame, lang: str, picked: str | None, set_picked: Any):
    """The picker and, for the picked city, its own series."""
    with solara.Row(style="align-items: center; gap: 10px; flex-wrap: wrap", classes=["my-city-pick"]):
        solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "city_series"), classes=["my-h"])
        rv.Select(
            items=[{"text": city_name(cities, c, lang), "value": c} for c in res.city_ids],
            v_model=picked,
            on_v_model=set_picked,
            label=tr(lang, "city_pick"),
            dense=True,
            hide_details=True,
            clearable=True,
            style_="max-width: 200px",
            class_="my-city-select",
        )
        if picked is not None:
            solara.Button(
                tr(lang, "city_close"),
                on_click=lambda: set_picked(None),
                text=True,
                classes=["my-city-close"],
            )
    if picked is None:
        return
    name = city_name(cities, picked, lang)
    note = tr(lang, "city_series_note", city=name, n=res.n)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=note,
        classes=["my-hint", "my-city-note"],
        attributes={"data-city": picked},
    )
    with solara.Div(classes=["my-charts", "my-city-series"]):
        for svg in city_series_svgs(res, picked, lang):
            solara.HTML(tag="div", unsafe_innerHTML=svg)
