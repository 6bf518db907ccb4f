"""Saved scenarios per browser, and the saved scenarios drawn with the current one on the curves.

Where they are kept: server side, in one SQLite file (``results/.dashboard/saved-scenarios.sqlite``,
or ``$MIDYANGTZE_DASHBOARD_STATE/saved-scenarios.sqlite``), keyed by the browser. The key is the
sha256 of Solara's session cookie: a random id that Solara gives every browser and keeps until
2038, the same id the classroom already knows a trainee by. The raw cookie is never stored (it is a
bearer credential); a browser only ever reads the rows of its own key, so trainees never see each
other's list. The file survives a server restart (one transaction per write, WAL mode, one
connection per thread, like the result cache). Why not the browser's localStorage: the page would
need its own JavaScript widget and an asynchronous round trip for every list, and the server needs
the saved settings anyway to compute the overlaid curves.

A saved scenario is its query string (:meth:`~simulation.dashboard.state.Session.query` without the
language): the same text as the page's address, so loading one goes through the same checks as
opening a link (:meth:`~simulation.dashboard.state.Session.apply_query`), and a scenario saved by an
older version of the page that no longer validates is reported item by item, never half-applied
silently.

Overlays: the current scenario plus at most :data:`MAX_OVERLAYS` saved ones (four curves in all),
each with its own colour. Their paired results come from ``results.RUNNER`` (the page's worker
pool and content-addressed cache): :func:`compute_overlays` is called from the page's task thread,
never from the event loop. No Solara import here.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from . import results
from .i18n import tr

ROOT = Path(__file__).resolve().parents[2]
STATE_ENV = "MIDYANGTZE_DASHBOARD_STATE"
STATE_DIR = ROOT / "results" / ".dashboard"
DB_NAME = "saved-scenarios.sqlite"
NAME_MAX = 40  # characters of a scenario's name
MAX_SAVED = 50  # saved scenarios per browser
MAX_OVERLAYS = 3  # saved scenarios on the curves besides the current one (four curves in all)
# colours of the overlaid scenarios: none is the current one's blue, the baseline's grey or the
# green / red that mean better / worse
OVERLAY_COLOURS = ("#ef6c00", "#6a1b9a", "#00838f")

SCHEMA = """
CREATE TABLE IF NOT EXISTS saved (
    owner TEXT NOT NULL, name TEXT NOT NULL, query TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, PRIMARY KEY (owner, name));
"""


class ScenarioError(ValueError):
    """A refused store operation; ``key`` and ``fields`` give the message in the page's language."""

    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(tr("en", key, **fields))
        self.key, self.fields = key, fields

    def text(self, lang: str) -> str:
        return tr(lang, self.key, **self.fields)


@dataclass(frozen=True)
class Saved:
    name: str
    query: str
    created: float
    updated: float


def owner_key(session_id: str) -> str:
    """The store's key of a browser: sha256 of its session cookie (the cookie itself is not kept)."""
    return hashlib.sha256(f"midyangtze saved scenarios\0{session_id}".encode()).hexdigest()


def clean_name(name: Any) -> str:
    """The name as kept: NFC, runs of white space as one space, trimmed; else ScenarioError."""
    text = " ".join(unicodedata.normalize("NFC", str(name if name is not None else "")).split())
    if not text:
        raise ScenarioError("saved_name_empty")
    if len(text) > NAME_MAX or any(not c.isprintable() for c in text):
        raise ScenarioError("saved_name_bad", n=NAME_MAX)
    return text


def scenario_query(query: str) -> str:
    """A page query without its language (a saved scenario opens in the page's language)."""
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "lang"])


class Store:
    """Saved scenarios of every browser in one SQLite file; safe for threads and processes."""

    def __init__(self, path: os.PathLike | str, max_saved: int = MAX_SAVED) -> None:
        self.path, self.max_saved = Path(path), max_saved
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._db() as db:
            db.executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:  # one connection per thread: sqlite3 connections are not shared
            db = sqlite3.connect(self.path, timeout=30.0)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def list(self, owner: str) -> list[Saved]:
        """The browser's saved scenarios, oldest first."""
        rows = self._db().execute(
            "SELECT name, query, created, updated FROM saved WHERE owner = ? ORDER BY created, name", (owner,)
        )
        return [Saved(*r) for r in rows]

    def get(self, owner: str, name: str) -> Saved | None:
        row = (
            self._db()
            .execute(
                "SELECT name, query, created, updated FROM saved WHERE owner = ? AND name = ?", (owner, name)
            )
            .fetchone()
        )
        return None if row is None else Saved(*row)

    def save(self, owner: str, name: Any, query: str) -> tuple[str, bool]:
        """Keep ``query`` under ``name`` (replacing a scenario of that name): (the name as kept,
        True when it replaced one). Refused past ``max_saved`` scenarios."""
        name, query, now = clean_name(name), scenario_query(query), time.time()
        db = self._db()
        with db:  # one transaction: the count and the insert see the same rows
            old = db.execute("SELECT 1 FROM saved WHERE owner = ? AND name = ?", (owner, name)).fetchone()
            if old is not None:
                db.execute(
                    "UPDATE saved SET query = ?, updated = ? WHERE owner = ? AND name = ?",
                    (query, now, owner, name),
                )
                return name, True
            n = db.execute("SELECT COUNT(*) FROM saved WHERE owner = ?", (owner,)).fetchone()[0]
            if n >= self.max_saved:
                raise ScenarioError("saved_full", n=self.max_saved)
            db.execute("INSERT INTO saved VALUES (?, ?, ?, ?, ?)", (owner, name, query, now, now))
        return name, False

    def rename(self, owner: str, old: str, new: Any) -> str:
        """Rename ``old`` to ``new`` (the name as kept); refused if ``new`` is taken or ``old`` gone."""
        new = clean_name(new)
        db = self._db()
        with db:
            if (
                db.execute("SELECT 1 FROM saved WHERE owner = ? AND name = ?", (owner, old)).fetchone()
                is None
            ):
                raise ScenarioError("saved_missing", name=old)
            if new != old:
                if db.execute("SELECT 1 FROM saved WHERE owner = ? AND name = ?", (owner, new)).fetchone():
                    raise ScenarioError("saved_taken", name=new)
                db.execute(
                    "UPDATE saved SET name = ?, updated = ? WHERE owner = ? AND name = ?",
                    (new, time.time(), owner, old),
                )
        return new

    def delete(self, owner: str, name: str) -> bool:
        with self._db() as db:
            return db.execute("DELETE FROM saved WHERE owner = ? AND name = ?", (owner, name)).rowcount > 0


_STORE: Store | None = None
_STORE_LOCK = threading.Lock()


def state_dir() -> Path:
    return Path(os.environ[STATE_ENV]) if os.environ.get(STATE_ENV) else STATE_DIR


def default_store() -> Store:
    """The server's store (opened on first use, under :func:`state_dir`)."""
    global _STORE
    with _STORE_LOCK:
        if _STORE is None or _STORE.path != state_dir() / DB_NAME:
            _STORE = Store(state_dir() / DB_NAME)
        return _STORE


# ---------------------------------------------------------------------------- overlays
@dataclass
class Overlay:
    """A saved scenario drawn with the current one: its result once computed, or why not."""

    name: str
    query: str
    colour: str
    result: results.PairedResult | None = None
    error: str | None = None


def add_overlay(overlays: list[Overlay], saved: Saved, lang: str) -> str | None:
    """Put ``saved`` on the curves; a refusal message (page's language) when four are shown."""
    if any(o.name == saved.name for o in overlays):
        return None
    if len(overlays) >= MAX_OVERLAYS:
        return tr(lang, "overlay_max", n=MAX_OVERLAYS + 1, k=MAX_OVERLAYS)
    used = {o.colour for o in overlays}
    colour = next(c for c in OVERLAY_COLOURS if c not in used)
    overlays.append(Overlay(saved.name, saved.query, colour))
    return None


def remove_overlay(overlays: list[Overlay], name: str) -> None:
    overlays[:] = [o for o in overlays if o.name != name]


def rename_overlay(overlays: list[Overlay], old: str, new: str) -> None:
    for o in overlays:
        if o.name == old:
            o.name = new


def overlay_session(session: Any, query: str):
    """A scratch session holding a saved scenario (same language and scale overrides as ``session``);
    its problems (bad items of the saved query) as a list of messages."""
    from .state import Session

    s = Session(session.lang, overrides=session.overrides)
    problems = s.apply_query(f"lang={session.lang}&{query}")
    return s, problems


def compute_overlays(session: Any, overlays: list[Overlay], on_update=None, runner=None) -> None:
    """The full paired result of each overlay still without one, through ``results.RUNNER`` (call
    from a task thread: it waits for the worker pool)."""
    run = runner or results.RUNNER
    for o in list(overlays):
        if o.result is not None or o.error is not None:
            continue
        s, problems = overlay_session(session, o.query)
        job = s.job()
        if job is None:
            o.error = s.message[1] if s.message else tr(session.lang, "overlay_failed", name=o.name)
        else:
            _key, cfg, seeds = job
            try:
                o.result = run(cfg, seeds, 1.0)
            except Exception as e:  # noqa: BLE001 - a failed worker, a full queue: say so, keep the page
                o.error = tr(session.lang, "run_failed", msg=f"{type(e).__name__}: {e}")
        if problems and o.error is None:
            o.error = problems[0]
        if on_update is not None:
            on_update()


def overlay_series(
    overlays: list[Overlay], column: str, factor: float, absolute: bool
) -> list[dict[str, Any]]:
    """What the curve of ``column`` draws for each computed overlay: label, colour, years, mean
    scenario level and mean change (% of the baseline, or the difference itself with ``absolute``),
    in displayed units."""
    out = []
    for o in overlays:
        res = o.result
        if res is None or not res.has(column):
            continue
        _b, s = res.paths(column)
        eff = res.yearly(column)
        change = [e.diff * factor if absolute else e.pct for e in eff]
        out.append(
            {
                "label": o.name,
                "colour": o.colour,
                "years": [int(y) for y in res.years],
                "level": [float(v) for v in s.mean(0) * factor],
                "change": change,
            }
        )
    return out
