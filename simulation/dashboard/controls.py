"""The page's settings drawer (Solara components): the preset, the seeds, the horizon, and one
card per lever with its switch, ⓘ (the real policy, the seed essay, what the model does), start
year, list controls and sliders. A slider shows the plain meaning of its value and its plausible
band (:mod:`simulation.dashboard.levers`), and warns beyond it. Every edit goes through the
:class:`~simulation.dashboard.state.Session`, which refuses bad values in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reacton.ipyvuetify as rv
import solara

from .i18n import city_name, field_label, province_name, tr
from .levers import KNOBS, LISTS, SELECTS, Knob, meaning, plausible
from .state import (
    DEFAULT_SEEDS,
    HORIZON,
    LEVERS,
    MAX_SEEDS,
    MIN_SEEDS,
    PRESETS,
    RESULTS_DIR,
    Session,
    archive_names,
    corridor_key,
)


@solara.component
def KnobSlider(session: Session, lever: str, knob: Knob, after: Callable, salt: int):
    lang = session.lang
    sec = session.draft[lever]
    if knob.apply == "field":
        value = sec[knob.key]
    elif knob.apply.startswith("provinces:"):
        d = sec[knob.apply.split(":")[1]]
        value = max(d.values()) if d else 0.0
    elif knob.apply.startswith("agreements:"):
        ag = sec["agreements"]
        value = max(a[knob.apply.split(":")[1]] for a in ag) if ag else 0.0
    else:  # shares
        shares = sec["protected_share"]
        value = max(shares.values()) if shares else 0.25
    lo, hi = knob.lo, max(knob.hi, float(value))

    def changes(v: float) -> dict[tuple, Any]:
        v = int(v) if knob.integer else round(float(v), 10)
        if knob.apply == "field":
            return {(lever, knob.key): v}
        if knob.apply.startswith("provinces:"):
            f = knob.apply.split(":")[1]
            return {(lever, f): {p: v for p in (sec[f] or dict.fromkeys(session.provinces))}}
        if knob.apply.startswith("agreements:"):
            f = knob.apply.split(":")[1]
            return {(lever, "agreements", i, f): v for i in range(len(sec["agreements"]))}
        return {(lever, "protected_share"): {c: v for c in sec["protected_share"]}}

    def on_change(v: Any) -> None:
        if v is not None:
            session.edit(changes(v), field_label(lang, lever, knob.key))
            after()

    label = field_label(lang, lever, knob.key)
    with solara.Div(classes=["my-knob"], attributes={"data-knob": f"{lever}.{knob.key}"}):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f'<span class="lbl">{label}</span>: <span class="val">{value:g}</span>',
        )
        slider = rv.Slider(
            v_model=value, min=lo, max=hi, step=knob.step, dense=True, hide_details=True, class_="my-slider"
        ).key(f"{lever}.{knob.key}.{salt}")
        rv.use_event(slider, "change", lambda *a: on_change(a[-1]))
        plo, phi = knob.plausible
        left, width = 100 * (plo - lo) / ((hi - lo) or 1), 100 * (phi - plo) / ((hi - lo) or 1)
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f'<span style="left:{left:.1f}%; width:{width:.1f}%"></span>',
            classes=["my-band"],
        )
        src = knob.band_src[0 if lang == "zh" else 1]
        ww = float(session.draft["talent"]["wage_weight"])
        solara.HTML(tag="div", unsafe_innerHTML=meaning(knob, float(value), lang, ww), classes=["my-hint"])
        if plausible(knob, float(value)):
            text = tr(lang, "plausible", lo=f"{plo:g}", hi=f"{phi:g}", src=src)
            solara.HTML(tag="div", unsafe_innerHTML=text, classes=["my-hint"])
        else:
            text = tr(lang, "beyond", lo=f"{plo:g}", hi=f"{phi:g}")
            solara.HTML(tag="div", unsafe_innerHTML=f"⚠ {text}", classes=["my-warn", "my-beyond"])


@solara.component
def YearSlider(label: str, value: int, lo: int, hi: int, on_change: Callable, salt: Any, cls: str = ""):
    solara.HTML(tag="div", unsafe_innerHTML=f"{label}: <b>{value}</b>", classes=["my-knob"])
    el = rv.Slider(
        v_model=value,
        min=lo,
        max=max(hi, lo),
        step=1,
        dense=True,
        hide_details=True,
        class_=cls,
        ticks=False,
    ).key(f"{label}.{salt}")
    rv.use_event(el, "change", lambda *a: a[-1] is not None and on_change(int(a[-1])))


@solara.component
def Multi(label: str, items: list[dict], value: list, on_change: Callable):
    rv.Select(
        label=label,
        items=items,
        v_model=value,
        on_v_model=on_change,
        multiple=True,
        small_chips=True,
        deletable_chips=True,
        dense=True,
        hide_details=True,
        class_="mb-2",
    )


@solara.component
def ListControl(session: Session, lever: str, key: str, kind: str, after: Callable):
    lang, sec = session.lang, session.draft[lever]
    cities = session.cities
    label = field_label(lang, lever, key)

    def name(c: str) -> str:
        return city_name(cities, c, lang)

    def setv(v: Any) -> None:
        session.edit({(lever, key): v}, label)
        after()

    city_items = [{"text": name(c), "value": c} for c in cities.index]
    if kind == "cities":
        Multi(label, city_items, list(sec[key]), lambda v: setv(list(v)))
    elif kind == "provinces":
        items = [{"text": province_name(p, lang), "value": p} for p in session.provinces]
        Multi(label, items, list(sec[key]), lambda v: setv(list(v)))
    elif kind == "select":
        rv.Select(
            label=label,
            items=[{"text": tr(lang, f"{key}_{o}"), "value": o} for o in SELECTS[key]],
            v_model=sec[key],
            on_v_model=setv,
            dense=True,
            hide_details=True,
            class_="mb-2",
        )
    elif kind == "switch":
        solara.Checkbox(label=label, value=bool(sec[key]), on_value=lambda v: setv(bool(v)))
    elif kind == "sponge_cities":
        all_ = sec[key] == "all"
        solara.Checkbox(label=tr(lang, "all_cities"), value=all_, on_value=lambda v: setv("all" if v else []))
        if not all_:
            Multi(label, city_items, list(sec[key]), lambda v: setv(list(v)))
    elif kind == "red_cities":
        shares = sec[key]
        cat = session.catalogue.red_line_shares
        current = max(shares.values()) if shares else 0.25
        Multi(
            label_red := tr(lang, "red_line_cities"),
            city_items,
            list(shares),
            lambda v: (
                session.edit({(lever, key): {c: shares.get(c, cat.get(c, current)) for c in v}}, label_red),
                after(),
            ),
        )
    elif kind == "circles":
        circles = {**session.catalogue.circles, **{c["name"]: c for c in sec["circles"]}}
        items = [
            {"text": f"{name(c['center'])} ({', '.join(name(m) for m in c['members'])})", "value": n}
            for n, c in circles.items()
        ]
        Multi(
            label,
            items,
            [c["name"] for c in sec["circles"]],
            lambda v: setv([circles[n] for n in circles if n in v]),
        )
    elif kind == "corridors":
        cors = {**session.catalogue.corridors, **{corridor_key(c): c for c in sec["corridors"]}}
        items = [
            {"text": _corridor_text(c, lang, name, sec["start_year"]), "value": k} for k, c in cors.items()
        ]
        Multi(
            label,
            items,
            [corridor_key(c) for c in sec["corridors"]],
            lambda v: setv([cors[k] for k in cors if k in v]),
        )
    elif kind == "agreements":
        ags = {**session.catalogue.agreements, **{a["name"]: a for a in sec["agreements"]}}
        cur = {a["name"]: a for a in sec["agreements"]}
        Multi(
            label,
            [{"text": n, "value": n} for n in ags],
            list(cur),
            lambda v: setv([cur.get(n, ags[n]) for n in ags if n in v]),
        )


def _corridor_text(c: dict, lang: str, name: Callable, start: int) -> str:
    mode = tr(lang, f"mode_{c['mode']}")
    if c.get("time_min") is not None:
        return tr(
            lang,
            "corridor_new",
            a=name(c["a"]),
            b=name(c["b"]),
            mode=mode,
            time=f"{c['time_min']:g}",
            year=c.get("year") or start,
        )
    return tr(lang, "corridor_speed", a=name(c["a"]), b=name(c["b"]), mode=mode, factor=f"{c['factor']:g}")


@solara.component
def LeverCard(session: Session, lever: str, after: Callable, salt: int, rev: int):
    lang = session.lang
    sec = session.draft[lever]
    show_info, set_info = solara.use_state(False)
    with rv.Card(class_="my-lever", outlined=True, attributes={"data-lever": lever}):
        with rv.CardTitle():
            solara.Switch(
                label=tr(lang, f"lever_{lever}"),
                value=bool(sec["enabled"]),
                on_value=lambda v: (session.switch_lever(lever, bool(v)), after()),
                classes=["my-switch"],
            )
            rv.Spacer()
            solara.Button(
                "ⓘ",
                text=True,
                small=True,
                on_click=lambda: set_info(not show_info),
                classes=["my-info-btn"],
                attributes={"title": tr(lang, "info"), "aria-label": tr(lang, "info")},
            )
        with rv.CardText():
            solara.HTML(tag="div", unsafe_innerHTML=tr(lang, f"hint_{lever}"), classes=["my-hint"])
            if show_info:
                solara.HTML(
                    tag="div",
                    classes=["my-info"],
                    unsafe_innerHTML=(
                        f"<p><b>{tr(lang, 'info')}</b>：{tr(lang, f'policy_{lever}')}</p>"
                        f"<p><b>{tr(lang, 'seed_essay')}</b>：{tr(lang, f'quote_{lever}')}</p>"
                        f"<p><b>{tr(lang, 'in_model')}</b>：{tr(lang, f'model_{lever}')}</p>"
                        f"<p>{tr(lang, 'more_docs')}</p>"
                    ).replace("：", "：" if lang == "zh" else ": "),
                )
            if not sec["enabled"]:
                return
            run = session.draft["run"]
            YearSlider(
                tr(lang, "start_year"),
                sec["start_year"],
                run["start_year"] + 1,
                run["end_year"],
                lambda y: (session.edit({(lever, "start_year"): y}, tr(lang, "start_year")), after()),
                f"{lever}.{salt}",
            )
            for key, kind in LISTS.get(lever, []):
                ListControl(session, lever, key, kind, after).key(f"{lever}.{key}.{rev}")
            for knob in KNOBS.get(lever, []):
                if knob.apply.startswith("agreements:") and not sec["agreements"]:
                    continue
                if knob.apply == "shares" and not sec["protected_share"]:
                    continue
                KnobSlider(session, lever, knob, after, salt).key(f"{lever}.{knob.key}")


@solara.component
def Controls(session: Session, after: Callable, salt: int, rev: int):
    lang = session.lang
    run = session.draft["run"]

    def load(name: str | None) -> None:
        if name:
            session.load_preset(name)
            after()

    rv.Select(
        label=tr(lang, "preset"),
        items=[{"text": tr(lang, f"preset_{p}"), "value": p} for p in PRESETS],
        v_model=session.preset,
        on_v_model=load,
        dense=True,
        hint=tr(lang, "preset_hint"),
        persistent_hint=True,
        class_="mb-3 my-preset",
    )
    solara.InputText(
        tr(lang, "seed"),
        value=str(run["seed"]),
        continuous_update=False,
        classes=["my-seed"],
        on_value=lambda v: (session.set_seed(v), after()),
    ).key(f"seed.{salt}")
    YearSlider(
        tr(lang, "n_seeds"),
        session.n_seeds,
        MIN_SEEDS,
        MAX_SEEDS,
        lambda n: (session.set_n_seeds(n), after()),
        salt,
        "my-nseeds",
    )
    solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "n_seeds_hint", n=DEFAULT_SEEDS), classes=["my-hint"])
    cap = 2200 if session.advanced else HORIZON
    YearSlider(
        tr(lang, "end_year"),
        run["end_year"],
        run["start_year"] + 1,
        cap,
        lambda y: (session.set_end_year(y), after()),
        salt,
        "my-end",
    )
    if run["end_year"] > HORIZON:
        solara.HTML(
            tag="div", unsafe_innerHTML="⚠ " + tr(lang, "beyond_horizon", cap=HORIZON), classes=["my-warn"]
        )
    for lever in LEVERS:
        LeverCard(session, lever, after, salt, rev).key(f"lever.{lever}")
    solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "archive"), classes=["my-h"])
    names = archive_names(RESULTS_DIR)
    if names:
        rv.Select(
            label=tr(lang, "archive_pick"),
            items=names,
            v_model=None,
            dense=True,
            hide_details=True,
            on_v_model=lambda n: n and (session.open_archive(n), after()),
            class_="mb-2 my-archive",
        )
    else:
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "no_archives"), classes=["my-hint"])
    solara.Checkbox(
        label=tr(lang, "advanced", cap=HORIZON),
        value=session.advanced,
        on_value=lambda v: (session.set_advanced(bool(v)), after()),
    )
