"""Classroom mode: ``run.py dashboard --class NAME`` gathers a class's scenarios for its teacher.

A class is one SQLite file, ``results/classes/NAME.sqlite`` (WAL mode, one short transaction per
write, a busy timeout, one connection per thread: safe for the server's threads and for a second
process; a restart finds everything as it was). It holds

* the class's join code (short, for the board) and its teacher token (for the teacher page);
* the trainees: a Solara session id (the browser's session cookie, set by the join page) and the
  name the trainee typed;
* every scenario a trainee ran to a full result: the config, the levers on and the settings that
  differ from the baseline, the seeds, and the headline effects with their 95% intervals and the
  yearly % changes (:func:`outcomes_of` reads them from the page's ``PairedResult``);
* the teacher's pushes: a scenario for everyone to load, or a challenge (rules on the % change of
  a metric, in a year or the final year) that marks which trainees met it.

The classroom learns of a trainee's run through the pooled runner's listeners
(:meth:`Classroom.listen`): nothing in the page has to call it. Trainees only ever see their own
page; the teacher page (``simulation.dashboard.teacher``) sees everyone's results.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.params import ConfigError

CLASSES_DIR = Path(__file__).resolve().parents[2] / "results" / "classes"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
NAME_RULE = "1 to 40 letters A-Z a-z, digits, '-' or '_', starting with a letter or a digit"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector
CODE_LENGTH = 5
TRAINEE_NAME_MAX = 40
# headline metrics the teacher sees: model column -> (aggregates, lower is better)
HEADLINE: dict[str, tuple[tuple[str, ...], bool]] = {
    "gdp": (("final", "cum"), False),
    "real_income_per_capita": (("final",), False),
    "air_quality": (("final", "mean"), True),
    "water_quality": (("final",), True),
    "emissions_air": (("final", "cum"), True),
    "emissions_water": (("final",), True),
    "emissions_co2": (("final",), True),
    "fiscal_cost": (("cum",), True),
    "gep": (("final",), False),
    "talent": (("final",), False),
    "commuters": (("final",), False),
}
OPS = ("<=", ">=")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trainees (
    id INTEGER PRIMARY KEY, session TEXT UNIQUE NOT NULL, name TEXT NOT NULL, joined REAL NOT NULL);
CREATE TABLE IF NOT EXISTS scenarios (
    id INTEGER PRIMARY KEY, trainee INTEGER NOT NULL REFERENCES trainees(id), at REAL NOT NULL,
    digest TEXT NOT NULL, levers TEXT NOT NULL, changes TEXT NOT NULL, config TEXT NOT NULL,
    seeds TEXT NOT NULL, outcomes TEXT NOT NULL, series TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS scenarios_by_trainee ON scenarios (trainee, id);
CREATE TABLE IF NOT EXISTS pushes (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL);
"""


def check_class_name(name: str) -> str:
    """``name`` if it can name a class (and its file), else ConfigError naming ``--class``."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ConfigError(
            "command line", "--class", f"{str(name)[:60]!r} is not a class name (allowed: {NAME_RULE})"
        )
    return name


def check_trainee_name(name: str) -> str:
    """The trimmed name, or ValueError with the rule (shown on the join page)."""
    name = " ".join(str(name).split())
    if not 1 <= len(name) <= TRAINEE_NAME_MAX or any(not c.isprintable() for c in name):
        raise ValueError(f"a name of 1 to {TRAINEE_NAME_MAX} printable characters")
    return name


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


# ---------------------------------------------------------------------------- results -> numbers
def outcomes_of(result: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(headline effects, yearly series) of a ``results.PairedResult``; ({}, {}) for anything
    else. Effects: metric -> aggregate -> base, scen, diff, pct, pct_lo, pct_hi, significant;
    series: metric -> years, pct (mean % change a year), base and scen (mean levels)."""
    if not all(hasattr(result, a) for a in ("summary", "yearly", "has", "years")):
        return {}, {}
    effects: dict[str, Any] = {}
    series: dict[str, Any] = {}
    for metric, (aggs, _lower) in HEADLINE.items():
        if not result.has(metric):
            continue
        effects[metric] = {}
        for agg in aggs:
            e = result.summary(metric, agg)
            effects[metric][agg] = {
                "base": _finite(e.base),
                "scen": _finite(e.scen),
                "diff": _finite(e.diff),
                "pct": _finite(e.pct),
                "pct_lo": _finite(e.pct_lo),
                "pct_hi": _finite(e.pct_hi),
                "significant": bool(e.significant),
            }
        yearly = result.yearly(metric)
        series[metric] = {
            "years": [int(y) for y in result.years],
            "pct": [_finite(e.pct) for e in yearly],
            "base": [_finite(e.base) for e in yearly],
            "scen": [_finite(e.scen) for e in yearly],
        }
    return effects, series


def lever_changes(cfg_raw: dict[str, Any], base_raw: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """(levers switched on, dotted setting -> value for every setting that differs from the
    baseline config, ``run.seed`` left out)."""
    from simulation.config import flatten

    from .results import lever_sections

    on = [k for k in lever_sections() if cfg_raw.get(k, {}).get("enabled")]
    a, b = flatten(base_raw), flatten(cfg_raw)
    changes = {k: b.get(k) for k in sorted(set(a) | set(b)) if k != "run.seed" and a.get(k) != b.get(k)}
    return on, changes


# ---------------------------------------------------------------------------- challenges
@dataclass(frozen=True)
class Rule:
    """The mean % change of ``metric`` vs the baseline, in ``year`` (None: the final year),
    compared by ``op`` with ``pct``; e.g. Rule("air_quality", 2030, "<=", -20)."""

    metric: str
    year: int | None
    op: str
    pct: float

    def check(self) -> Rule:
        if self.metric not in HEADLINE:
            raise ValueError(f"metric {self.metric!r} (allowed: {', '.join(HEADLINE)})")
        if self.op not in OPS:
            raise ValueError(f"comparison {self.op!r} (allowed: {', '.join(OPS)})")
        if not math.isfinite(self.pct) or abs(self.pct) > 1000:
            raise ValueError(f"per cent {self.pct!r} (allowed: -1000 to 1000)")
        return self

    def value(self, series: dict[str, Any], effects: dict[str, Any]) -> float | None:
        if self.year is None:
            return (effects.get(self.metric, {}).get("final") or {}).get("pct")
        s = series.get(self.metric)
        if not s or self.year not in s["years"]:
            return None
        return s["pct"][s["years"].index(self.year)]

    def met(self, series: dict[str, Any], effects: dict[str, Any]) -> bool | None:
        v = self.value(series, effects)
        if v is None:
            return None
        return v <= self.pct if self.op == "<=" else v >= self.pct


def challenge_met(rules: Sequence[Rule], series: dict[str, Any], effects: dict[str, Any]) -> bool | None:
    """True if every rule holds, False if one fails, None if one cannot be read (no result)."""
    verdicts = [r.met(series, effects) for r in rules]
    if any(v is False for v in verdicts):
        return False
    return None if any(v is None for v in verdicts) or not verdicts else True


# ---------------------------------------------------------------------------- the database
class ClassDB:
    """The class's SQLite file (see the module)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(SCHEMA)  # IF NOT EXISTS: a second opener changes nothing
        self.path.chmod(0o600)  # the teacher token lives here

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash of the server loses nothing
            db.execute("PRAGMA foreign_keys=ON")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def write(self) -> _Write:
        return _Write(self._db())

    def rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        return list(self._db().execute(sql, args))

    def meta(self, key: str, make: Any = None) -> str | None:
        """The meta value of ``key``; if absent and ``make`` is given, store ``make()`` first."""
        row = self.rows("SELECT value FROM meta WHERE key = ?", (key,))
        if row or make is None:
            return row[0]["value"] if row else None
        with self.write() as db:
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, make()))
        return self.rows("SELECT value FROM meta WHERE key = ?", (key,))[0]["value"]


class _Write:
    """``with db.write() as c:`` one IMMEDIATE transaction (the write lock taken at the start, so
    two writers never both read and then fail to upgrade)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, tb) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


# ---------------------------------------------------------------------------- the class
class Classroom:
    """One class: its database, its codes, and what trainees and the teacher do."""

    def __init__(self, name: str, folder: Path = CLASSES_DIR) -> None:
        self.name = check_class_name(name)
        self.db = ClassDB(Path(folder) / f"{name}.sqlite")
        self.db.meta("name", lambda: name)
        self.db.meta("created", lambda: str(time.time()))
        self.join_code = str(
            self.db.meta(
                "join_code", lambda: "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            )
        )
        self.token = str(self.db.meta("teacher_token", lambda: secrets.token_urlsafe(18)))

    # ------------------------------------------------------------------ trainees
    def join(self, session: str, name: str, code: str) -> int:
        """Add (or rename) the trainee of ``session``; ValueError for a wrong code or bad name."""
        if not secrets.compare_digest(str(code).strip().upper().encode(), self.join_code.encode()):
            raise ValueError("wrong class code")
        name = check_trainee_name(name)
        with self.db.write() as db:
            db.execute(
                "INSERT INTO trainees (session, name, joined) VALUES (?, ?, ?) "
                "ON CONFLICT(session) DO UPDATE SET name = excluded.name",
                (session, name, time.time()),
            )
        return int(self.db.rows("SELECT id FROM trainees WHERE session = ?", (session,))[0]["id"])

    def trainee(self, session: str) -> sqlite3.Row | None:
        rows = self.db.rows("SELECT * FROM trainees WHERE session = ?", (session,))
        return rows[0] if rows else None

    def record(self, session: str, cfg: Any, seeds: Sequence[int], result: Any) -> int | None:
        """Store a trainee's full result (None: the session has not joined, or nothing new)."""
        who = self.trainee(session)
        if who is None:
            return None
        from .results import baseline_of

        raw = cfg.model_dump(mode="json")
        on, changes = lever_changes(raw, baseline_of(cfg).model_dump(mode="json"))
        effects, series = outcomes_of(result)
        digest = hashlib.sha256(json.dumps([raw, list(seeds)], sort_keys=True).encode()).hexdigest()
        last = self.db.rows(
            "SELECT digest FROM scenarios WHERE trainee = ? ORDER BY id DESC LIMIT 1", (who["id"],)
        )
        if last and last[0]["digest"] == digest:
            return None  # the same scenario again (a reload): nothing new for the teacher
        with self.db.write() as db:
            cur = db.execute(
                "INSERT INTO scenarios (trainee, at, digest, levers, changes, config, seeds, outcomes, "
                "series) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    who["id"],
                    time.time(),
                    digest,
                    json.dumps(on),
                    json.dumps(changes),
                    json.dumps(raw),
                    json.dumps([int(s) for s in seeds]),
                    json.dumps(effects),
                    json.dumps(series),
                ),
            )
        return int(cur.lastrowid)

    def listen(self, session: str, cfg: Any, seeds: tuple[int, ...], scale: float, result: Any) -> None:
        """A pooled runner's listener: full results (scale 1) of joined trainees are recorded."""
        if scale >= 1.0:
            self.record(session, cfg, seeds, result)

    # ------------------------------------------------------------------ teacher
    def check_token(self, token: str | None) -> bool:
        return token is not None and secrets.compare_digest(str(token).encode(), self.token.encode())

    def push_scenario(self, label: str, levers: dict[str, Any], query: str = "") -> int:
        """Offer every trainee a scenario: its lever sections as in TOML and the page's URL query
        that opens it."""
        return self._push("scenario", {"label": label, "levers": levers, "query": query})

    def set_challenge(self, text: str, rules: Sequence[Rule]) -> int:
        rules = [r.check() for r in rules]
        if not rules:
            raise ValueError("a challenge needs at least one rule")
        return self._push("challenge", {"text": str(text)[:300], "rules": [r.__dict__ for r in rules]})

    def _push(self, kind: str, payload: dict[str, Any]) -> int:
        with self.db.write() as db:
            cur = db.execute(
                "INSERT INTO pushes (at, kind, payload) VALUES (?, ?, ?)",
                (time.time(), kind, json.dumps(payload)),
            )
        return int(cur.lastrowid)

    def latest(self, kind: str) -> tuple[int, dict[str, Any]] | None:
        """(id, payload) of the newest push of ``kind`` ("scenario" or "challenge")."""
        rows = self.db.rows("SELECT id, payload FROM pushes WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,))
        return (int(rows[0]["id"]), json.loads(rows[0]["payload"])) if rows else None

    def challenge(self) -> tuple[str, list[Rule]] | None:
        got = self.latest("challenge")
        if got is None:
            return None
        return got[1]["text"], [Rule(**r) for r in got[1]["rules"]]

    def board(self) -> list[dict[str, Any]]:
        """Every trainee with the latest scenario (or None) and whether it meets the challenge."""
        ch = self.challenge()
        out = []
        for t in self.db.rows("SELECT * FROM trainees ORDER BY name, id"):
            rows = self.db.rows(
                "SELECT * FROM scenarios WHERE trainee = ? ORDER BY id DESC LIMIT 1", (t["id"],)
            )
            sc = _scenario(rows[0]) if rows else None
            met = challenge_met(ch[1], sc["series"], sc["effects"]) if ch and sc else None
            count = self.db.rows("SELECT COUNT(*) AS n FROM scenarios WHERE trainee = ?", (t["id"],))[0]["n"]
            out.append(
                {"trainee": t["name"], "trainee_id": t["id"], "scenario": sc, "met": met, "runs": count}
            )
        return out

    def scenario(self, scenario_id: int) -> dict[str, Any] | None:
        rows = self.db.rows(
            "SELECT s.*, t.name AS trainee_name FROM scenarios s JOIN trainees t "
            "ON t.id = s.trainee WHERE s.id = ?",
            (int(scenario_id),),
        )
        return _scenario(rows[0]) if rows else None

    def version(self) -> str:
        """Changes whenever a trainee joins or runs, or the teacher pushes (for live refresh)."""
        r = self.db.rows(
            "SELECT (SELECT COUNT(*) FROM trainees) AS t, (SELECT MAX(id) FROM scenarios) AS s, "
            "(SELECT MAX(id) FROM pushes) AS p"
        )[0]
        return f"{r['t']}-{r['s'] or 0}-{r['p'] or 0}"


def _scenario(row: sqlite3.Row) -> dict[str, Any]:
    keys = row.keys()
    return {
        "id": int(row["id"]),
        "at": float(row["at"]),
        "levers": json.loads(row["levers"]),
        "changes": json.loads(row["changes"]),
        "config": json.loads(row["config"]),
        "seeds": json.loads(row["seeds"]),
        "effects": json.loads(row["outcomes"]),
        "series": json.loads(row["series"]),
        "trainee": row["trainee_name"] if "trainee_name" in keys else None,
    }


def open_class(name: str, folder: Path = CLASSES_DIR) -> Classroom:
    """Open (or start) the class ``name``; ConfigError for a bad name (before anything is written)."""
    check_class_name(name)
    return Classroom(name, folder)


CURRENT: Classroom | None = None  # the class this server runs (set by ``serving.start``), if any
