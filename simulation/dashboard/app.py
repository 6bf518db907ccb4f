"""The what-if page (Solara): settings in a drawer, honest paired results in the main area.

Every browser session gets its own :class:`~simulation.dashboard.state.Session` (``use_memo`` in
``Page``): nothing is shared between trainees. Each change of a control

1. is checked by the session (refused with a message in the page's language when bad);
2. goes into the browser's address (``router.push``): a reload or a shared link restores it;
3. starts a task (a thread, never the event loop) that asks ``results.RUNNER`` first for a
   preview (one seed, reduced scale), then for the full paired result (8 seeds by default).

The page brings its own layout (:func:`Layout` replaces Solara's AppLayout): an app bar, a drawer
that is a closable overlay on a phone, and a main area whose panels reflow to the screen's width.
Start it with ``uv run run.py dashboard``.
"""

from __future__ import annotations

from typing import Any

import reacton.ipyvuetify as rv
import solara
import solara.lab

from .controls import Controls
from .figures import TIP_CSS
from .i18n import DEFAULT_LANG, LANGS, tr
from .panels import Results, Status
from .scenario_panel import CSS as SAVED_CSS
from .scenario_panel import SavedScenarios
from .state import Session
from .views import CSS as VIEW_CSS

LANG_LABELS = {"zh": "中文", "en": "English"}
LANG_OF = {v: k for k, v in LANG_LABELS.items()}
CSS = (
    """
.v-btn { text-transform: none !important; }
.my-drawer .v-navigation-drawer__content { padding: 4px 10px 40px 10px; }
.my-bar .v-toolbar__title { font-size: 17px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.my-main { padding: 10px 14px; max-width: 100%; box-sizing: border-box; }
.my-hint { font-size: 12px; color: #666; margin: 2px 0 6px 0; }
.my-warn { font-size: 12px; color: #b26a00; margin: 0 0 6px 0; }
.my-status { font-size: 14px; margin: 4px 0; }
.my-charts { display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 290px), 1fr)); }
.my-charts > div { min-width: 0; }
.my-two { display: grid; grid-template-columns: minmax(0, 1fr); gap: 14px; }
@media (min-width: 1750px) { .my-two { grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); } }
.my-mapbox svg { max-width: 720px; }
.my-mechs { display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 640px), 1fr)); }
.my-lever { margin-bottom: 8px; }
.my-lever .v-card__title { font-size: 15px; padding: 2px 8px; flex-wrap: nowrap; }
.my-lever .v-card__text { padding: 0 10px 8px 10px; }
.my-info { font-size: 12.5px; background: #f5f7fa; border-radius: 4px; padding: 6px 8px; margin: 4px 0; }
.my-info p { margin: 0 0 4px 0; }
.my-knob { margin: 6px 0 2px 0; }
.my-knob .lbl { font-size: 13px; }
.my-knob .val { font-weight: 600; }
.my-band { position: relative; height: 5px; background: #eee; border-radius: 3px; margin: -6px 8px 2px 8px; }
.my-band > span { position: absolute; top: 0; bottom: 0; background: #81c784; border-radius: 3px; }
.my-side .v-chip { white-space: normal; height: auto !important; max-width: 100%; }
.v-input--selection-controls__ripple, .v-input--switch__track, .v-input--switch__thumb {
  pointer-events: none; }
h3.my-h { margin: 14px 0 6px 0; font-size: 17px; }
"""
    + VIEW_CSS
    + TIP_CSS
    + SAVED_CSS
)


@solara.component
def Layout(children: list = []):  # noqa: B006 - Solara's layout signature
    """The page draws its own app bar, drawer and main area (see :func:`Page`)."""
    return solara.Div(children=children)


# ---------------------------------------------------------------------------- the page
@solara.component
def Page():
    router = solara.use_router()
    session: Session = solara.use_memo(lambda: _new_session(router.search), [])
    version = solara.use_reactive(0)  # bumps when the settings change
    view = solara.use_reactive(0)  # bumps when a result arrives
    salt = solara.use_reactive(0)  # bumps to re-mount inputs after a refusal (they show the kept value)
    drawer, set_drawer = solara.use_state(
        None
    )  # None: Vuetify decides (open on a desktop, closed on a phone)

    def after() -> None:
        if session.message is not None and session.message[0] == "error":
            salt.value += 1
        version.value += 1
        q = session.query()
        if q != (router.search or "") and router.set_path is not None:  # no router when embedded
            router.push(f"{router.path or '/'}?{q}")

    def on_location() -> None:  # back / forward in the browser: the address leads
        if router.search is not None and router.search != session.query():
            session.apply_query(router.search)
            version.value += 1

    solara.use_effect(on_location, [router.search])
    job = session.job()
    key = job[0] if job is not None else None

    def compute() -> None:
        session.compute(on_update=lambda: setattr(view, "value", view.value + 1))
        view.value += 1

    solara.lab.use_task(compute, dependencies=[key])
    lang = session.lang
    rev = (version.value, view.value)
    solara.Style(CSS)
    solara.Title(tr(lang, "title"))
    with rv.AppBar(app=True, clipped_left=True, color="primary", dark=True, class_="my-bar"):
        nav = rv.AppBarNavIcon(class_="my-menu")
        rv.use_event(nav, "click", lambda *_: set_drawer(not drawer))
        rv.ToolbarTitle(children=[tr(lang, "title")])
        rv.Spacer()
        solara.ToggleButtonsSingle(
            value=LANG_LABELS[lang],
            values=list(LANG_OF),
            classes=["my-lang"],
            on_value=lambda v: (setattr(session, "lang", LANG_OF[v]), after()),
        )
    with rv.NavigationDrawer(
        app=True,
        clipped=True,
        v_model=drawer,
        on_v_model=set_drawer,
        width=360,
        mobile_break_point=960,
        class_="my-drawer my-side",
    ):
        with solara.Row(style="align-items: center; justify-content: space-between"):
            solara.HTML(tag="h3", unsafe_innerHTML=tr(lang, "settings"), classes=["my-h"])
            solara.Button(
                tr(lang, "close"),
                text=True,
                small=True,
                on_click=lambda: set_drawer(False),
                classes=["my-close"],
                icon_name="mdi-close",
            )
        Controls(session, after, salt.value, version.value)
    with rv.Content():
        with solara.Div(classes=["my-main"]):
            solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "subtitle"), classes=["my-hint"])
            Toolbar(session, rev)
            SavedScenarios(session, after, lambda: setattr(view, "value", view.value + 1), rev)
            Status(session, rev)
            Results(session, rev)


@solara.component
def Toolbar(session: Session, rev: Any):
    lang, res = session.lang, session.result
    with solara.Row(style="gap: 8px; align-items: center; flex-wrap: wrap"):
        solara.FileDownload(
            data=session.export_toml,
            filename=session.export_name(),
            mime_type="application/toml",
            children=[
                solara.Button(
                    tr(lang, "export"),
                    outlined=True,
                    small=True,
                    classes=["my-export"],
                    icon_name="mdi-download",
                )
            ],
        )
        if res is not None:
            from . import exports

            for key, data, ext, mime in (  # bound methods: equal from one render to the next
                ("export_csv", session.export_csv, "csv", "text/csv"),
                ("export_png", session.export_png, "png", "image/png"),
                ("export_summary", session.export_summary, "html", "text/html"),
            ):
                stem = exports.file_stem(session)
                name = f"{stem}.{ext}" if ext != "html" else f"{stem}-summary.html"
                solara.FileDownload(
                    data=data,
                    filename=name,
                    mime_type=mime,
                    children=[
                        solara.Button(
                            tr(lang, key),
                            outlined=True,
                            small=True,
                            classes=[f"my-{key.replace('_', '-')}"],
                            icon_name="mdi-download",
                        )
                    ],
                )
    seed = session.draft["run"]["seed"]
    solara.HTML(
        tag="div", unsafe_innerHTML=tr(lang, "export_hint", n=session.n_seeds, seed=seed), classes=["my-hint"]
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>{tr(lang, 'share')}</b>: {tr(lang, 'share_hint')}",
        classes=["my-hint", "my-share"],
    )


OVERRIDES_ENV = "MIDYANGTZE_DASHBOARD_SET"


def env_overrides() -> list[str]:
    """``key=value`` settings from ``$MIDYANGTZE_DASHBOARD_SET`` (separated by ``;``) applied under
    every session's scenario, e.g. ``scale.talent_agents=5000;scale.firm_agents=500`` for a quick
    demonstration on a slow machine or the browser tests. Empty by default."""
    import os

    return [x.strip() for x in os.environ.get(OVERRIDES_ENV, "").split(";") if x.strip()]


def _new_session(search: str | None) -> Session:
    s = Session(DEFAULT_LANG, overrides=env_overrides())
    if search:
        s.apply_query(search)
    if s.lang not in LANGS:
        s.lang = DEFAULT_LANG
    return s
