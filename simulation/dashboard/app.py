"""The what-if page (Solara): levers and seed on the left; Run, Step, Reset; the map, the paired
curves and the city table; a 中文 / English switch; export of the scenario; archive replay.

Every browser session gets its own :class:`~simulation.dashboard.state.Session` (created in
``Page`` with ``use_memo``, so per Solara kernel = per page): nothing is shared between trainees.
Start it with ``uv run run.py dashboard`` (which also makes the page work offline).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import reacton.ipyvuetify as rv
import solara
import solara.lab

from simulation.config import LEVER_SECTIONS

from .figures import chart_svg, map_svg
from .i18n import DEFAULT_LANG, LANGS, city_name, province_name, tr
from .state import METRICS, PRESETS, RESULTS_DIR, Session, archive_names, bounds, corridor_key

MAP_TEXT_KEYS = (
    "mode_hsr",
    "mode_intercity",
    "mode_rail",
    "mode_expressway",
    "lever_corridor",
    "gdp_100m",
    "talent_10k",
    "pm25",
    "water_index",
    "vs_base",
    "minutes",
    "scenario",
    "baseline",
    "difference",
    "diff_pct",
)
LANG_LABELS = {"zh": "中文", "en": "English"}
LANG_OF = {v: k for k, v in LANG_LABELS.items()}
CSS = """
.v-btn { text-transform: none !important; }
.my-year { font-size: 22px; font-weight: 600; }
.my-headline { font-size: 14px; color: #333; }
.my-hint { font-size: 12px; color: #666; margin: -4px 0 4px 0; }
.my-charts { display: grid; grid-template-columns: repeat(2, minmax(260px, 1fr)); gap: 10px; }
.my-charts svg { max-width: 460px; }
.my-mapbox svg { max-width: 720px; }
.my-lever .v-card__title { font-size: 15px; padding: 6px 12px; }
.my-lever .v-card__text { padding: 4px 12px 10px 12px; }
.my-table td, .my-table th { white-space: nowrap; }
.my-side { width: 370px; max-width: 370px; }
.my-side .v-chip { white-space: normal; height: auto !important; max-width: 100%;
  padding-top: 2px; padding-bottom: 2px; }
.my-side .v-chip .v-chip__content { max-width: 100%; }
.my-lever .v-input { margin-top: 14px; }
.my-lever .my-hint { margin-bottom: 18px; }
.my-lever .v-input--switch { margin-top: 0; }
"""


def _lang_from_query(search: str | None) -> str:
    for part in (search or "").split("&"):
        k, _, v = part.partition("=")
        if k == "lang" and v in LANGS:
            return v
    return DEFAULT_LANG


# ---------------------------------------------------------------------------- small controls
@solara.component
def NumberField(
    session: Session,
    path: tuple[str, ...],
    label_key: str,
    lang: str,
    after: Callable,
    integer: bool = False,
    apply_to: list[tuple[str, ...]] | None = None,
    disabled: bool = False,
    rev: int = 0,
):
    """A number input bound to the draft; out-of-range values are refused (and the field reverts)."""
    label = tr(lang, label_key)
    run = session.draft["run"]
    if path == ("run", "seed"):
        lo, hi = 0, None
    elif path == ("run", "end_year"):
        lo, hi = run["start_year"] + 1, bounds(path)[1]
    elif path[-1] == "start_year":  # a lever's: inside the horizon
        lo, hi = run["start_year"] + 1, run["end_year"]
    else:
        lo, hi = bounds(path)
    hint = f"{'' if lo is None else f'{lo:g}'} – {'' if hi is None else f'{hi:g}'}"
    value = session.get(path)

    def on_value(v: Any) -> None:
        if v is None:
            session._refuse(tr(lang, "not_number", field=label))
        else:
            targets = apply_to if apply_to else [path]
            session.edit({p: (int(v) if integer else float(v)) for p in targets}, label)
        after()

    Input = solara.InputInt if integer else solara.InputFloat
    Input(
        label=f"{label} ({hint})",
        value=value,
        on_value=on_value,
        dense=True,
        disabled=disabled,
        optional=True,
        continuous_update=False,
    )


@solara.component
def MultiField(
    session: Session,
    label_key: str,
    items: list[dict],
    value: list[str],
    on_change: Callable[[list[str]], None],
    disabled: bool = False,
):
    rv.Select(
        label=tr(session.lang, label_key),
        items=items,
        v_model=value,
        on_v_model=on_change,
        multiple=True,
        small_chips=True,
        deletable_chips=True,
        dense=True,
        disabled=disabled,
        hide_details=True,
        class_="mb-2",
    )


# ---------------------------------------------------------------------------- lever cards
@solara.component
def LeverCard(session: Session, lever: str, lang: str, after: Callable, key_salt: int, busy: bool, rev: int):
    sec = session.draft[lever]
    cities = session.scen.region.cities if session.scen is not None else None
    city_items = (
        [{"text": city_name(cities, c, lang), "value": c} for c in cities.index] if cities is not None else []
    )

    def setv(path: tuple[str, ...], value: Any) -> None:
        session.edit({path: value}, tr(lang, path[-1]) if path[-1] in _LABELLED else path[-1])
        after()

    def num(key: str, **kw: Any) -> None:
        NumberField(session, (lever, key), key, lang, after, disabled=busy, rev=rev, **kw).key(
            f"{lever}.{key}.{key_salt}"
        )

    with rv.Card(class_="my-lever mb-2", outlined=True):
        with rv.CardTitle():
            solara.Switch(
                label=tr(lang, f"lever_{lever}"),
                value=bool(sec["enabled"]),
                disabled=busy,
                on_value=lambda v: (session.switch_lever(lever, bool(v)), after()),
            )
        with rv.CardText():
            solara.HTML(tag="div", unsafe_innerHTML=tr(lang, f"hint_{lever}"), classes=["my-hint"])
            if not sec["enabled"]:
                return
            num("start_year", integer=True)
            if lever == "industry_transfer":
                MultiField(
                    session,
                    "receiving_zones",
                    city_items,
                    sec["receiving_zones"],
                    lambda v: setv((lever, "receiving_zones"), list(v)),
                    busy,
                )
                num("subsidy")
                MultiField(
                    session,
                    "push_cities",
                    city_items,
                    sec["push_cities"],
                    lambda v: setv((lever, "push_cities"), list(v)),
                    busy,
                )
                num("push_strength")
                num("coastal_inflow_factor")
            elif lever == "talent_alliance":
                provs = sorted(session.scen.provinces) if session.scen is not None else []
                items = [{"text": province_name(p, lang), "value": p} for p in provs]
                MultiField(
                    session,
                    "provinces",
                    items,
                    sec["provinces"],
                    lambda v: setv((lever, "provinces"), list(v)),
                    busy,
                )
                for k in ("border_cost_cut", "hukou_cost_cut", "retention_bonus", "pool_spillover"):
                    num(k)
            elif lever == "city_circle":
                CircleControls(session, lang, after, busy, cities, rev)
                num("commute_limit_min")
                num("commute_discount")
            elif lever == "eco_compensation":
                EcoControls(session, lang, after, busy, key_salt, rev)
                num("max_extra_abatement")
            elif lever == "emission_trading":
                for key, options in (
                    ("scope", ("cluster", "province")),
                    ("pollutant", ("so2", "nox", "pm", "co2", "cod", "nh3n")),
                    ("allocation", ("grandfathered", "auction")),
                ):
                    rv.Select(
                        label=tr(lang, key),
                        items=[{"text": tr(lang, f"{key}_{o}"), "value": o} for o in options],
                        v_model=sec[key],
                        on_v_model=lambda v, key=key: setv((lever, key), v),
                        dense=True,
                        disabled=busy,
                        hide_details=True,
                        class_="mb-2",
                    )
                for k in ("cap_start", "cap_decline"):
                    num(k)
            elif lever == "red_lines":
                RedLineControls(session, lang, after, busy, city_items, key_salt, rev)


_LABELLED = {"receiving_zones", "push_cities", "provinces", "scope", "pollutant", "allocation"}


@solara.component
def CircleControls(session: Session, lang: str, after: Callable, busy: bool, cities, rev: int):
    sec = session.draft["city_circle"]
    cat = session.catalogue
    circles = {**cat.circles, **{c["name"]: c for c in sec["circles"]}}
    corridors = {**cat.corridors, **{corridor_key(c): c for c in sec["corridors"]}}

    def name(cid: str) -> str:
        return city_name(cities, cid, lang) if cities is not None else cid

    circle_items = [
        {"text": f"{name(c['center'])} ({', '.join(name(m) for m in c['members'])})", "value": n}
        for n, c in circles.items()
    ]
    corridor_items = []
    for k, c in corridors.items():
        mode = tr(lang, f"mode_{c['mode']}")
        if c.get("time_min") is not None:
            label = tr(
                lang,
                "corridor_new",
                a=name(c["a"]),
                b=name(c["b"]),
                mode=mode,
                time=f"{c['time_min']:g}",
                year=c.get("year") or sec["start_year"],
            )
        else:
            label = tr(
                lang, "corridor_speed", a=name(c["a"]), b=name(c["b"]), mode=mode, factor=f"{c['factor']:g}"
            )
        corridor_items.append({"text": label, "value": k})

    def set_circles(v: list[str]) -> None:
        session.edit(
            {("city_circle", "circles"): [circles[n] for n in circles if n in v]}, tr(lang, "circles")
        )
        after()

    def set_corridors(v: list[str]) -> None:
        session.edit(
            {("city_circle", "corridors"): [corridors[k] for k in corridors if k in v]}, tr(lang, "corridors")
        )
        after()

    MultiField(session, "circles", circle_items, [c["name"] for c in sec["circles"]], set_circles, busy)
    MultiField(
        session, "corridors", corridor_items, [corridor_key(c) for c in sec["corridors"]], set_corridors, busy
    )


@solara.component
def EcoControls(session: Session, lang: str, after: Callable, busy: bool, key_salt: int, rev: int):
    sec = session.draft["eco_compensation"]
    agreements = {**session.catalogue.agreements, **{a["name"]: a for a in sec["agreements"]}}
    items = [{"text": n, "value": n} for n in agreements]

    def set_agreements(v: list[str]) -> None:
        current = {a["name"]: a for a in sec["agreements"]}
        chosen = [current.get(n, agreements[n]) for n in agreements if n in v]
        session.edit({("eco_compensation", "agreements"): chosen}, tr(lang, "agreements"))
        after()

    MultiField(session, "agreements", items, [a["name"] for a in sec["agreements"]], set_agreements, busy)
    n = len(sec["agreements"])
    if n:
        for key in ("amount", "central_topup"):
            paths = [("eco_compensation", "agreements", i, key) for i in range(n)]
            NumberField(session, paths[0], key, lang, after, apply_to=paths, disabled=busy, rev=rev).key(
                f"eco.{key}.{n}.{key_salt}"
            )
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "applies_all"), classes=["my-hint"])


@solara.component
def RedLineControls(
    session: Session, lang: str, after: Callable, busy: bool, city_items: list[dict], key_salt: int, rev: int
):
    shares: dict[str, float] = session.draft["red_lines"]["protected_share"]
    current = max(shares.values()) if shares else 0.25

    def set_cities(v: list[str]) -> None:
        new = {c: shares.get(c, session.catalogue.red_line_shares.get(c, current)) for c in v}
        session.edit({("red_lines", "protected_share"): new}, tr(lang, "red_line_cities"))
        after()

    def set_share(v: float | None) -> None:
        if v is None or not 0 <= v <= 1:
            session._refuse(tr(lang, "bounds", field=tr(lang, "protected_share"), lo=0, hi=1))
        else:
            session.edit({("red_lines", "protected_share"): {c: float(v) for c in shares}})
        after()

    MultiField(session, "red_line_cities", city_items, list(shares), set_cities, busy)
    if shares:
        solara.InputFloat(
            label=f"{tr(lang, 'protected_share')} (0 – 1)",
            value=current,
            on_value=set_share,
            optional=True,
            dense=True,
            disabled=busy,
        ).key(f"red.share.{key_salt}")
        names = {i["value"]: i["text"] for i in city_items}
        text = ", ".join(f"{names.get(c, c)} {v:.2f}" for c, v in shares.items())
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "shares_now", shares=text), classes=["my-hint"])


# ---------------------------------------------------------------------------- sidebar
@solara.component
def Controls(session: Session, lang: str, after: Callable, busy: bool, key_salt: int, rev: int):
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "settings"), style="margin: 4px 0 8px 0")

    def load(name: str | None) -> None:
        if name:
            session.load_preset(name)
            after()

    rv.Select(
        label=tr(lang, "preset"),
        items=[{"text": tr(lang, f"preset_{p}"), "value": p} for p in PRESETS],
        v_model=None,
        on_v_model=load,
        dense=True,
        hint=tr(lang, "preset_hint"),
        persistent_hint=True,
        disabled=busy,
        class_="mb-3 my-preset",
    ).key(f"preset.{key_salt}")
    with solara.Row(gap="8px"):
        NumberField(session, ("run", "seed"), "seed", lang, after, integer=True, disabled=busy, rev=rev).key(
            f"seed.{key_salt}"
        )
        NumberField(
            session, ("run", "end_year"), "end_year", lang, after, integer=True, disabled=busy, rev=rev
        ).key(f"end.{key_salt}")
    for lever in LEVER_SECTIONS:
        LeverCard(session, lever, lang, after, key_salt, busy, rev).key(f"lever.{lever}")


@solara.component
def ArchivePanel(session: Session, lang: str, after: Callable, busy: bool, rev: int):
    path, set_path = solara.use_state("")
    names = archive_names(RESULTS_DIR)

    def open_(p: str) -> None:
        if p:
            session.open_archive(p)
            after()

    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "archive"), style="margin: 12px 0 6px 0")
    if names:
        rv.Select(
            label=tr(lang, "archive_pick"),
            items=names,
            v_model=None,
            on_v_model=open_,
            dense=True,
            disabled=busy,
            hide_details=True,
            class_="mb-2",
        )
    else:
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "no_archives"), classes=["my-hint"])
    with solara.Row(gap="6px"):
        solara.InputText(tr(lang, "archive_path"), value=path, on_value=set_path, continuous_update=True)
        solara.Button(
            tr(lang, "open"), on_click=lambda: open_(path), disabled=busy or not path, outlined=True
        )


# ---------------------------------------------------------------------------- main area
def _texts(lang: str) -> dict[str, str]:
    return {k: tr(lang, k) for k in MAP_TEXT_KEYS}


@solara.component
def StatusBar(session: Session, snap, lang: str, running: bool):
    if not snap.built:
        return
    year_text = tr(lang, "year_of", year=snap.year, start=snap.start_year, end=snap.end_year)
    with solara.Row(style="align-items: baseline; gap: 18px; flex-wrap: wrap"):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=year_text,
            classes=["my-year"],
            attributes={"data-year": str(snap.year), "data-running": str(running).lower()},
        )
        g_s, g_b = snap.series["gdp"][0][-1], snap.series["gdp"][1][-1]
        p_s, p_b = snap.series["air_quality"][0][-1], snap.series["air_quality"][1][-1]
        t_s, t_b = snap.series["talent"][0][-1], snap.series["talent"][1][-1]
        pct = [f"{100 * (a / b - 1):+.2f}%" for a, b in ((g_s, g_b), (p_s, p_b), (t_s, t_b))]
        solara.HTML(
            tag="div",
            unsafe_innerHTML=tr(lang, "headline", year=snap.year, gdp=pct[0], pm=pct[1], talent=pct[2]),
            classes=["my-headline"],
        )
    if running:
        solara.Info(tr(lang, "running"), dense=True)
    elif snap.done:
        solara.Info(tr(lang, "finished"), dense=True)


@solara.component
def Messages(session: Session, lang: str, rev: tuple[int, int]):
    if session.message is not None:
        kind, text = session.message
        (solara.Error if kind == "error" else solara.Info)(text, dense=True, classes=["my-message"])
    if session.dirty and session.scen is not None:
        solara.Warning(
            tr(lang, "pending", start=session.draft["run"]["start_year"]), dense=True, classes=["my-pending"]
        )
    r = session.replay
    if r is not None:
        text = tr(lang, "replaying", name=r.name)
        if r.mismatch is not None:
            year, cols = r.mismatch
            solara.Error(
                f"{text}: {tr(lang, 'replay_differs', year=year, cols=', '.join(cols[:6]))}", dense=True
            )
        elif r.checked:
            ok = tr(lang, "replay_match", first=min(r.checked), last=max(r.checked))
            solara.Success(f"{text}: {ok}", dense=True, classes=["my-replay"])
        else:
            solara.Info(text, dense=True)


@solara.component
def Charts(snap, lang: str):
    text = _texts(lang)
    with solara.Div(classes=["my-charts"]):
        for m in METRICS:
            scen, base = snap.series[m]
            svg = chart_svg(
                m,
                tr(lang, f"m_{m}"),
                tr(lang, f"u_{m}"),
                snap.years,
                scen,
                base,
                snap.start_year,
                snap.end_year,
                text,
            )
            solara.HTML(tag="div", unsafe_innerHTML=svg)


@solara.component
def MapView(session: Session, snap, lang: str):
    which, set_which = solara.use_state("scenario")
    assert session.scen is not None
    cities = session.scen.region.cities
    values = snap.cities.copy()
    if which == "baseline":  # the baseline's own values, compared with the scenario's
        for c in ("gdp", "talent", "air_quality", "water_quality", "emissions_air", "population"):
            values[c], values[f"{c}_base"] = snap.cities[f"{c}_base"], snap.cities[c]
    gdp_ref = 2.0 * float(session.scen.gdp0.max())
    svg = map_svg(
        cities, values, snap.edges[which], lambda c: city_name(cities, c, lang), _texts(lang), gdp_ref
    )
    with solara.Row(style="align-items: center; gap: 12px"):
        solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "map"), style="margin: 0")
        labels = {tr(lang, "scenario"): "scenario", tr(lang, "baseline"): "baseline"}
        solara.ToggleButtonsSingle(
            value=tr(lang, which),
            on_value=lambda v: set_which(labels[v]),
            values=list(labels),
            dense=True,
            classes=["my-map-which"],
        )
    solara.HTML(tag="div", unsafe_innerHTML=svg, attributes={"data-map": which}, classes=["my-mapbox"])
    solara.HTML(
        tag="div", unsafe_innerHTML=tr(lang, "map_note"), classes=["my-hint"], style="margin-top: 4px"
    )


@solara.component
def CityTable(session: Session, snap, lang: str):
    rows = session.city_rows(snap)
    headers = [
        {"text": tr(lang, "city"), "value": "city"},
        {"text": tr(lang, "province"), "value": "province"},
        {"text": tr(lang, "gdp_100m"), "value": "gdp"},
        *(
            {"text": tr(lang, k), "value": k}
            for k in ("d_gdp", "d_talent", "d_pm25", "d_water", "d_emissions_air")
        ),
    ]
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "cities"), style="margin: 14px 0 4px 0")
    solara.HTML(
        tag="div", unsafe_innerHTML=tr(lang, "noise_note"), classes=["my-hint"], style="margin: 0 0 6px 0"
    )
    rv.DataTable(
        headers=headers,
        items=rows,
        items_per_page=-1,
        hide_default_footer=True,
        dense=True,
        sort_by=["d_gdp"],
        sort_desc=[True],
        class_="my-table elevation-1",
        item_key="id",
    )


# ---------------------------------------------------------------------------- the page
@solara.component
def Page():
    router = solara.use_router()
    lang, set_lang = solara.use_state(_lang_from_query(router.search))
    session: Session = solara.use_memo(lambda: Session(lang), [])
    version = solara.use_reactive(0)  # bumps when the settings or the models change (re-renders everything)
    view = solara.use_reactive(0)  # bumps when a year was simulated (re-renders the main area only)
    running = solara.use_reactive(False)
    salt = solara.use_reactive(0)  # bumps to re-mount inputs after a refusal (they show the kept value)
    session.lang = lang
    busy = running.value

    def after() -> None:
        if session.message is not None and session.message[0] == "error":
            salt.value += 1
        version.value += 1

    def on_year() -> None:
        view.value += 1

    def run_all() -> None:
        running.value = True
        try:
            session.run_to_end(on_year=on_year)
        finally:
            running.value = False
            version.value += 1

    run_task = solara.lab.use_task(run_all, dependencies=None)

    def click_run() -> None:
        if running.value:
            session.stop_requested = True
        else:
            run_task()

    def click_step() -> None:
        t0 = time.perf_counter()
        session.step()
        session.last_step_s = time.perf_counter() - t0
        if session.message is not None or session.step_rebuilt:
            after()
        else:
            view.value += 1

    def click_reset() -> None:
        session.reset()
        after()

    def switch_lang(v: str) -> None:
        set_lang(v)
        session.lang = v

    rev = version.value  # every component reading the session gets it, so it re-renders on a bump
    _ = view.value
    snap = session.snapshot()
    solara.Style(CSS)
    solara.Title(tr(lang, "title"))
    with solara.AppBar():
        solara.ToggleButtonsSingle(
            value=LANG_LABELS[lang],
            on_value=lambda v: switch_lang(LANG_OF[v]),
            values=list(LANG_OF),
            classes=["my-lang"],
        )
    with solara.AppBarTitle():
        solara.Text(tr(lang, "title"))
    with solara.Sidebar():
        with solara.Column(style="padding: 8px 4px; gap: 0", classes=["my-side"]):
            Controls(session, lang, after, busy, salt.value, rev)
            ArchivePanel(session, lang, after, busy, rev)
    with solara.Column(style="padding: 10px 16px; gap: 8px"):
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "subtitle"), classes=["my-hint"])
        with solara.Row(style="gap: 10px; align-items: center; flex-wrap: wrap"):
            solara.Button(
                tr(lang, "stop") if busy else tr(lang, "run"),
                on_click=click_run,
                color="primary",
                classes=["my-run"],
            )
            solara.Button(
                tr(lang, "step"), on_click=click_step, disabled=busy, outlined=True, classes=["my-step"]
            )
            solara.Button(
                tr(lang, "reset"), on_click=click_reset, disabled=busy, outlined=True, classes=["my-reset"]
            )
            if session.config is not None:
                solara.FileDownload(
                    data=session.export_toml,
                    filename=session.export_name(),
                    mime_type="application/toml",
                    children=[
                        solara.Button(
                            tr(lang, "export"), outlined=True, classes=["my-export"], icon_name="mdi-download"
                        )
                    ],
                )
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "export_hint"), classes=["my-hint"])
        Messages(session, lang, (rev, view.value))
        StatusBar(session, snap, lang, busy)
        if snap.built:
            with solara.Columns([5, 6]):
                with solara.Column():
                    MapView(session, snap, lang)
                with solara.Column():
                    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "curves"), style="margin: 0")
                    Charts(snap, lang)
            CityTable(session, snap, lang)
