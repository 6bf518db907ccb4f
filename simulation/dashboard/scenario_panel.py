"""The page's "My scenarios" panel (Solara): save the current scenario under a name; load, rename
or delete a saved one; tick up to three to draw them with the current one on the curves.

The list lives in :mod:`simulation.dashboard.scenarios` (server side, keyed by this browser's
session cookie); the overlaid scenarios' results are computed in a task thread through the page's
runner (worker pool and cache), never in the event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import reacton.ipyvuetify as rv
import solara
import solara.lab

from . import scenarios
from .i18n import tr
from .state import Session

CSS = """
.my-saved { border: 1px solid #e0e0e0; border-radius: 6px; padding: 6px 10px; margin: 8px 0;
  background: #fff; }
.my-saved-title { font-weight: 600; font-size: 14px; }
.my-saved-row { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; padding: 2px 0;
  border-top: 1px solid #f0f0f0; }
.my-saved-row .nm { font-size: 13.5px; font-weight: 500; min-width: 8em; overflow-wrap: anywhere; }
.my-saved-row .sw { display: inline-block; width: 14px; height: 4px; border-radius: 2px; }
.my-saved-row .v-input--checkbox { margin: 0; padding: 0; }
.my-saved-note { font-size: 12.5px; margin: 2px 0; min-height: 1.4em; overflow-wrap: anywhere; }
.my-saved-note.k-error, .my-overlay-error { color: #c62828; }
.my-overlay-error { font-size: 12.5px; }
"""


def browser_owner() -> str:
    """This browser's key in the store (from Solara's session cookie)."""
    try:
        sid = solara.get_session_id()
    except Exception:  # noqa: BLE001 - no kernel context (a test render): a key of its own
        sid = None
    return scenarios.owner_key(sid or f"no-session:{uuid.uuid4()}")


@solara.component
def SavedScenarios(session: Session, after: Callable[[], None], redraw: Callable[[], None], rev: Any):
    """``after()``: the settings changed (a scenario was loaded); ``redraw()``: the curves must be
    drawn again (the overlays changed or their results came in)."""
    lang = session.lang
    owner = solara.use_memo(browser_owner, [])
    store = scenarios.default_store()
    tick, set_tick = solara.use_state(0)  # bumps when the list or the overlays change
    refusals, set_refusals = solara.use_state(0)  # bumps to re-mount a refused checkbox (unticked)
    name, set_name = solara.use_state("")
    note, set_note = solara.use_state(None)  # (kind: info|error, text)
    editing, set_editing = solara.use_state(None)  # the name being renamed
    new_name, set_new_name = solara.use_state("")
    # what the boxes hold now: a click can arrive before the re-render that a keystroke asked for
    typed = solara.use_ref({"name": "", "new": ""})
    listing = solara.use_memo(lambda: store.list(owner), [tick, owner])
    shown = tuple((o.name, o.query) for o in session.overlays)

    def changed(kind: str | None = None, text: str | None = None, curves: bool = False) -> None:
        set_note((kind, text) if text else None)
        set_tick(tick + 1)
        if curves:
            redraw()

    def compute() -> None:
        scenarios.compute_overlays(session, session.overlays, on_update=redraw)

    solara.lab.use_task(compute, dependencies=[shown])

    def type_new(v: str | None) -> None:
        typed.current["new"] = v or ""
        set_new_name(v or "")

    def save() -> None:
        try:
            kept, replaced = store.save(owner, typed.current["name"], session.query())
        except scenarios.ScenarioError as e:
            return changed("error", e.text(lang))
        for o in session.overlays:  # an overlaid scenario saved anew: draw its new settings
            if o.name == kept:
                o.query, o.result, o.error = scenarios.scenario_query(session.query()), None, None
        typed.current["name"] = ""
        set_name("")
        changed("info", tr(lang, "saved_replaced" if replaced else "saved_done", name=kept), curves=True)

    def load(saved: scenarios.Saved) -> None:
        problems = session.apply_query(f"lang={lang}&{saved.query}")
        changed(
            "error" if problems else "info",
            problems[0] if problems else tr(lang, "saved_loaded", name=saved.name),
        )
        after()

    def rename(old: str) -> None:
        try:
            kept = store.rename(owner, old, typed.current["new"])
        except scenarios.ScenarioError as e:
            return changed("error", e.text(lang))
        scenarios.rename_overlay(session.overlays, old, kept)
        set_editing(None)
        changed("info", tr(lang, "saved_renamed", name=kept), curves=True)

    def delete(saved: scenarios.Saved) -> None:
        store.delete(owner, saved.name)
        scenarios.remove_overlay(session.overlays, saved.name)
        changed("info", tr(lang, "saved_deleted", name=saved.name), curves=True)

    def overlay(saved: scenarios.Saved, on: bool) -> None:
        if not on:
            scenarios.remove_overlay(session.overlays, saved.name)
            return changed(curves=True)
        refused = scenarios.add_overlay(session.overlays, saved, lang)
        if refused:
            set_refusals(refusals + 1)
        changed("error" if refused else None, refused, curves=not refused)

    with solara.Div(classes=["my-saved"]):
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "saved_title"), classes=["my-saved-title"])
        solara.HTML(tag="div", unsafe_innerHTML=tr(lang, "saved_hint"), classes=["my-hint"])
        with solara.Row(style="align-items: center; gap: 8px; flex-wrap: wrap"):
            solara.InputText(
                tr(lang, "saved_name"),
                value=name,
                on_value=lambda v: (typed.current.update(name=v or ""), set_name(v or "")),
                continuous_update=True,
                dense=True,
                classes=["my-save-name"],
                style="max-width: 260px",
            )
            solara.Button(
                tr(lang, "saved_save"), on_click=save, small=True, outlined=True, classes=["my-save"],
                icon_name="mdi-content-save",
            )  # fmt: skip
        kind, text = note if note is not None else ("none", "")
        solara.HTML(  # always there (empty when quiet): the rows below never jump under a click
            tag="div",
            unsafe_innerHTML=_escape(text),  # a name typed by the trainee: text, not HTML
            classes=["my-saved-note", f"k-{kind}"],
            attributes={"data-kind": kind},
        )
        if not listing:
            solara.HTML(
                tag="div", unsafe_innerHTML=tr(lang, "saved_none"), classes=["my-hint", "my-saved-none"]
            )
        on = {o.name: o for o in session.overlays}
        for saved in listing:
            SavedRow(saved, on.get(saved.name), editing == saved.name, lang, new_name, type_new, refusals,
                     load, lambda s: (set_editing(s.name), type_new(s.name)), rename,
                     lambda: set_editing(None), delete, overlay)  # fmt: skip
        OverlayStatus(session, rev)


@solara.component
def SavedRow(
    saved, shown, editing, lang, new_name, set_new_name, salt, load, edit, rename, cancel, delete, overlay
):
    attrs = {"data-name": saved.name, "class": "my-saved-row"}
    with rv.Html(tag="div", attributes=attrs):
        colour = shown.colour if shown is not None else "transparent"
        solara.HTML(tag="span", unsafe_innerHTML="", classes=["sw"], style=f"background: {colour}")
        if editing:
            solara.InputText(
                tr(lang, "saved_name"), value=new_name, on_value=set_new_name, continuous_update=True,
                dense=True, classes=["my-rename-name"], style="max-width: 220px",
            )  # fmt: skip
            solara.Button(tr(lang, "saved_ok"), on_click=lambda: rename(saved.name), small=True, text=True,
                          classes=["my-rename-ok"])  # fmt: skip
            solara.Button(tr(lang, "saved_cancel"), on_click=cancel, small=True, text=True)
        else:
            solara.HTML(tag="span", unsafe_innerHTML=_escape(saved.name), classes=["nm"])
            with solara.Div(classes=["my-overlay"]):
                solara.Checkbox(
                    label=tr(lang, "saved_overlay"),
                    value=shown is not None,
                    on_value=lambda v: overlay(saved, v),
                ).key(f"ov-{saved.name}-{salt}")
            solara.Button(tr(lang, "saved_load"), on_click=lambda: load(saved), small=True, text=True,
                          classes=["my-saved-load"])  # fmt: skip
            solara.Button(tr(lang, "saved_rename"), on_click=lambda: edit(saved), small=True, text=True,
                          classes=["my-saved-rename"])  # fmt: skip
            solara.Button(tr(lang, "saved_delete"), on_click=lambda: delete(saved), small=True, text=True,
                          classes=["my-saved-delete"])  # fmt: skip


@solara.component
def OverlayStatus(session: Session, rev: Any):
    lang = session.lang
    waiting = [o.name for o in session.overlays if o.result is None and o.error is None]
    if waiting:
        solara.HTML(
            tag="div", unsafe_innerHTML=_escape(tr(lang, "overlay_computing", names=", ".join(waiting))),
            classes=["my-hint", "my-overlay-wait"],
        )  # fmt: skip
    for o in session.overlays:
        if o.error:
            text = tr(lang, "overlay_problem", name=o.name, msg=o.error)
            solara.HTML(tag="div", unsafe_innerHTML=_escape(text), classes=["my-overlay-error"])


def _escape(text: str) -> str:
    from html import escape

    return escape(text)
