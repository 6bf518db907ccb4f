"""One browser session's state: the scenario being edited, the paired models, the replay.

Nothing here imports Solara: the page (``app.py``) creates one :class:`Session` per browser
session and draws :meth:`Session.snapshot`. A session holds

* ``draft``: the scenario's raw config (a dict as in TOML) that the controls edit; every edit is
  checked (bounds of the field, lever years, the whole config validated) and refused with a
  message when bad, leaving the draft as it was;
* two models built from the draft when the trainee clicks Run, Step or Reset: the scenario, and
  its baseline (the same config with every lever section back to its default, i.e. off) with the
  same seed, stepped together year by year;
* optionally an archive being replayed: its config is loaded into the draft and every simulated
  year is compared with the archived ``model.parquet``.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from simulation.config import LEVER_SECTIONS, Config, load_config, read_toml, to_toml, validate
from simulation.model import MiddleYangtzeModel
from simulation.params import ConfigError
from simulation.region import RegionError

from .i18n import DEFAULT_LANG, city_name, tr

ROOT = Path(__file__).resolve().parents[2]
BASELINE_TOML = ROOT / "configs" / "baseline.toml"
SCENARIOS_DIR = ROOT / "configs" / "scenarios"
RESULTS_DIR = ROOT / "results"
PRESETS = (
    "baseline",
    "industry_transfer",
    "talent_alliance",
    "city_circle",
    "eco_compensation",
    "emission_trading",
    "red_lines",
    "green_development",
)
# cluster curves: model-table column -> factor from the table's unit to the displayed one
METRICS: dict[str, float] = {
    "gdp": 1e-4,  # 100m yuan -> trillion yuan
    "emissions_air": 1e-3,  # t -> kt
    "emissions_water": 1e-3,
    "air_quality": 1.0,
    "water_quality": 1.0,
    "talent": 1e-6,  # persons -> million
}
# city table: column key -> cities-table column whose % change vs the baseline it shows
CITY_CHANGES: dict[str, str] = {
    "d_gdp": "gdp",
    "d_talent": "talent",
    "d_pm25": "air_quality",
    "d_water": "water_quality",
    "d_emissions_air": "emissions_air",
}
CORRIDOR_LINE = "city_circle corridor"


# ---------------------------------------------------------------------------- presets and options
def _default_raw() -> dict[str, Any]:
    return load_config(BASELINE_TOML).model_dump(mode="json")


def _lever_defaults() -> dict[str, Any]:
    d = Config().model_dump(mode="json")
    return {k: d[k] for k in LEVER_SECTIONS}


def preset_raw(name: str) -> dict[str, Any]:
    """The lever sections of a shipped scenario (``baseline``: all off, defaults)."""
    levers = _lever_defaults()
    if name == "baseline":
        return levers
    if name not in PRESETS:
        raise ConfigError("<dashboard>", "preset", f"unknown preset {name!r} (allowed: {', '.join(PRESETS)})")
    cfg = load_config(SCENARIOS_DIR / f"{name}.toml").model_dump(mode="json")
    return {k: cfg[k] for k in LEVER_SECTIONS}


@dataclass(frozen=True)
class Catalogue:
    """The list-valued lever items the controls offer: every circle, corridor, basin agreement and
    red-line share that a shipped scenario uses (the draft may add more, e.g. from an archive)."""

    circles: dict[str, dict]
    corridors: dict[str, dict]
    agreements: dict[str, dict]
    red_line_shares: dict[str, float]


def corridor_key(c: dict) -> str:
    return f"{c['a']}-{c['b']}-{c['mode']}"


def build_catalogue() -> Catalogue:
    circles: dict[str, dict] = {}
    corridors: dict[str, dict] = {}
    agreements: dict[str, dict] = {}
    shares: dict[str, float] = {}
    for name in PRESETS[1:]:
        raw = preset_raw(name)
        for c in raw["city_circle"]["circles"]:
            circles.setdefault(c["name"], c)
        for c in raw["city_circle"]["corridors"]:
            corridors.setdefault(corridor_key(c), c)
        for a in raw["eco_compensation"]["agreements"]:
            agreements.setdefault(a["name"], a)
        for k, v in raw["red_lines"]["protected_share"].items():
            shares.setdefault(k, v)
    return Catalogue(circles, corridors, agreements, shares)


# ---------------------------------------------------------------------------- field bounds
def _model_of(path: tuple[str, ...]) -> tuple[type[BaseModel], str]:
    """The pydantic model holding the field at ``path`` and the field's name."""
    from simulation.policies.eco_compensation import Agreement

    if path[:2] == ("eco_compensation", "agreements"):
        return Agreement, path[-1]
    model: type[BaseModel] = Config
    for part in path[:-1]:
        model = model.model_fields[part].annotation  # type: ignore[assignment]
    return model, path[-1]


def bounds(path: tuple[str, ...]) -> tuple[float | None, float | None]:
    """(lowest, highest) allowed value of a numeric field, from its config definition."""
    model, name = _model_of(path)
    lo = hi = None
    for m in model.model_fields[name].metadata:
        for k in ("ge", "gt"):
            if getattr(m, k, None) is not None:
                lo = getattr(m, k)
        for k in ("le", "lt"):
            if getattr(m, k, None) is not None:
                hi = getattr(m, k)
    return lo, hi


def _in_bounds(path: tuple[str, ...], value: float) -> bool:
    model, name = _model_of(path)
    for m in model.model_fields[name].metadata:
        if getattr(m, "ge", None) is not None and not value >= m.ge:
            return False
        if getattr(m, "gt", None) is not None and not value > m.gt:
            return False
        if getattr(m, "le", None) is not None and not value <= m.le:
            return False
        if getattr(m, "lt", None) is not None and not value < m.lt:
            return False
    return True


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


# ---------------------------------------------------------------------------- snapshot
@dataclass
class Snapshot:
    """What the page draws, copied out of the models under the session's lock."""

    year: int
    start_year: int
    end_year: int
    years: list[int]
    series: dict[str, tuple[list[float], list[float]]]  # metric -> (scenario, baseline), displayed units
    cities: pd.DataFrame  # index city id: scenario and baseline values in the shown year
    edges: dict[str, pd.DataFrame]  # "scenario" / "baseline": open links with a 'highlight' column
    done: bool
    built: bool


@dataclass
class Replay:
    name: str
    path: Path
    model: pd.DataFrame | None  # archived model table (run archives); None for comparison archives
    seed: int
    raw: dict[str, Any]
    checked: list[int] = field(default_factory=list)
    mismatch: tuple[int, list[str]] | None = None


class Session:
    """The state of one browser session (one trainee's page)."""

    def __init__(self, lang: str = DEFAULT_LANG, overrides: dict[str, Any] | None = None) -> None:
        """``overrides``: dotted config paths -> values applied to the baseline before the first
        build (e.g. a smaller scale for tests)."""
        self.lang = lang
        self.lock = threading.RLock()
        self.catalogue = build_catalogue()
        self.draft: dict[str, Any] = _default_raw()
        if overrides:
            from simulation.config import apply_overrides

            cfg = validate(apply_overrides(self.draft, overrides), "<dashboard>")
            self.draft = cfg.model_dump(mode="json")
        self.message: tuple[str, str] | None = None  # (kind: error|info, text)
        self.applied: dict[str, Any] | None = None
        self.config: Config | None = None
        self.scen: MiddleYangtzeModel | None = None
        self.base: MiddleYangtzeModel | None = None
        self.replay: Replay | None = None
        self.stop_requested = False
        self.step_rebuilt = False
        self.last_step_s: float | None = None  # wall time of the last Step (model steps and checks)
        self.reset()

    # ------------------------------------------------------------------ editing
    def get(self, path: tuple[str, ...]) -> Any:
        node: Any = self.draft
        for p in path:
            node = node[p]
        return node

    def _refuse(self, text: str) -> bool:
        self.message = ("error", tr(self.lang, "refused", msg=text))
        return False

    def edit(self, changes: dict[tuple[str, ...], Any], label: str = "") -> bool:
        """Apply ``changes`` (path -> value) to the draft if the result is valid; else refuse with a
        message and leave the draft unchanged. Returns True when applied."""
        for path, value in changes.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    ok = _in_bounds(path, value)
                except (KeyError, AttributeError):
                    ok = True
                if not ok:
                    lo, hi = bounds(path)
                    field = label or path[-1]
                    if hi is None:
                        return self._refuse(tr(self.lang, "at_least", field=field, lo=_fmt(lo)))
                    return self._refuse(tr(self.lang, "bounds", field=field, lo=_fmt(lo), hi=_fmt(hi)))

            if value is None:
                return self._refuse(tr(self.lang, "not_number", field=label or path[-1]))
        draft = copy.deepcopy(self.draft)
        for path, value in changes.items():
            node = draft
            for p in path[:-1]:
                node = node[p]
            node[path[-1]] = value
        err = self._check_years(draft)
        if err:
            return self._refuse(err)
        try:
            validate(draft, "<dashboard>")
        except ConfigError as e:
            return self._refuse(f"{e.field}: {e.message}")
        self.draft = draft
        self.message = None
        return True

    def _check_years(self, draft: dict[str, Any]) -> str | None:
        start, end = draft["run"]["start_year"], draft["run"]["end_year"]
        if not isinstance(end, int) or end <= start:
            lo, hi = start + 1, bounds(("run", "end_year"))[1]
            return tr(self.lang, "bounds", field=tr(self.lang, "end_year"), lo=lo, hi=_fmt(hi))
        for lever in LEVER_SECTIONS:
            sec = draft[lever]
            if sec["enabled"] and not start < sec["start_year"] <= end:
                return tr(
                    self.lang, "lever_year", lever=tr(self.lang, f"lever_{lever}"), lo=start + 1, hi=end
                )
        return None

    def switch_lever(self, lever: str, on: bool) -> bool:
        """Switch a lever on or off. Switched on while its settings are still the neutral defaults
        (a lever that would change nothing), it takes the settings of its shipped scenario
        (``configs/scenarios/<lever>.toml``), so that one click gives the headline what-if."""
        sec = dict(self.draft[lever])
        neutral = {k: v for k, v in _lever_defaults()[lever].items() if k != "enabled"}
        if on and {k: v for k, v in sec.items() if k != "enabled"} == neutral:
            sec = copy.deepcopy(preset_raw(lever)[lever])
            end = self.draft["run"]["end_year"]
            if sec["start_year"] > end:
                sec["start_year"] = end
        sec["enabled"] = bool(on)
        return self.edit({(lever,): sec}, tr(self.lang, f"lever_{lever}"))

    def load_preset(self, name: str) -> bool:
        draft = copy.deepcopy(self.draft)
        draft.update(preset_raw(name))
        end = draft["run"]["end_year"]
        for lever in LEVER_SECTIONS:  # a shorter horizon than the preset's lever years: clamp them
            if draft[lever]["enabled"] and draft[lever]["start_year"] > end:
                draft[lever]["start_year"] = end
        try:
            validate(draft, "<dashboard>")
        except ConfigError as e:
            return self._refuse(f"{e.field}: {e.message}")
        self.draft = draft
        self.message = None
        return True

    @property
    def dirty(self) -> bool:
        """The draft differs from the settings of the models on screen."""
        return self.applied != self.draft

    # ------------------------------------------------------------------ models
    def reset(self) -> bool:
        """Build the scenario and baseline models from the draft at the base year."""
        with self.lock:
            try:
                cfg = validate(self.draft, "<dashboard>")
                base_cfg = baseline_of(cfg)
                scen = MiddleYangtzeModel(cfg, rng=cfg.run.seed)
                base = MiddleYangtzeModel(base_cfg, rng=cfg.run.seed)
            except (ConfigError, RegionError) as e:
                self.message = ("error", tr(self.lang, "build_failed", msg=str(e)))
                return False
            self.config, self.scen, self.base = cfg, scen, base
            self.applied = copy.deepcopy(self.draft)
            if self.replay is not None and self.replay.raw != self.draft:
                self.replay = None  # the settings no longer are the archive's
            if self.replay is not None:
                self.replay.checked, self.replay.mismatch = [], None
                self._check_replay()
            return True

    @property
    def done(self) -> bool:
        return self.scen is None or self.scen.year >= self.scen.config.run.end_year

    def step(self) -> bool:
        """Advance both models by one year (rebuilding them first if the settings changed)."""
        with self.lock:
            self.step_rebuilt = self.scen is None or self.dirty
            if self.step_rebuilt and not self.reset():
                return False
            if self.done:
                return False
            assert self.scen is not None and self.base is not None
            self.scen.step()
            self.base.step()
            self._check_replay()
            return True

    def prepare_run(self) -> bool:
        """Before Run: rebuild when the settings changed or the run is at its end."""
        with self.lock:
            self.stop_requested = False
            if self.scen is None or self.dirty or self.done:
                return self.reset()
            return True

    def run_to_end(self, on_year=None) -> None:
        """Step until the last year (or a stop request), calling ``on_year()`` after each year."""
        if not self.prepare_run():
            return
        while not self.stop_requested and self.step():
            if on_year is not None:
                on_year()

    # ------------------------------------------------------------------ export
    def export_toml(self) -> str:
        """The TOML of the run on screen: ``run.py run`` on it gives the same numbers."""
        cfg = self.config if self.config is not None else validate(self.draft, "<dashboard>")
        head = (
            "# Scenario exported from the midyangtze dashboard.\n"
            "# Reproduce it: uv run run.py run THIS_FILE  (same seed, same numbers)\n\n"
        )
        return head + to_toml(cfg)

    def export_name(self) -> str:
        cfg = self.config if self.config is not None else validate(self.draft, "<dashboard>")
        on = [k for k in LEVER_SECTIONS if getattr(cfg, k).enabled]
        stem = "+".join(on) if on else "baseline"
        if len(stem) > 60:
            stem = f"{len(on)}-levers"
        return f"midyangtze-{stem}-seed{cfg.run.seed}.toml"

    # ------------------------------------------------------------------ archives
    def open_archive(self, path: str | Path) -> bool:
        """Load an archive's config into the draft and rebuild; its years are then compared with
        the archived tables as they are simulated again (replay)."""
        from simulation.archive import ArchiveError, checked_manifest

        path = Path(path).expanduser()
        if not path.is_absolute() and not path.exists():
            path = RESULTS_DIR / path
        try:
            manifest = checked_manifest(path)  # schema, digest and every file's hash
            if (path / "config.toml").is_file():
                raw = read_toml(path / "config.toml")
                table = pd.read_parquet(path / "model.parquet")
            elif (path / "scenario.toml").is_file():
                raw = read_toml(path / "scenario.toml")
                table = None
            else:
                raise ArchiveError(path, "config.toml", "missing: not a run archive")
            cfg = validate(raw, str(path / "config.toml"))
        except (ArchiveError, ConfigError, OSError, ValueError) as e:
            self.message = ("error", tr(self.lang, "bad_archive", msg=" ".join(str(e).split())))
            return False
        self.draft = cfg.model_dump(mode="json")
        self.replay = Replay(
            path.name, path, table, int(manifest.get("seed", cfg.run.seed)), copy.deepcopy(self.draft)
        )
        self.message = None
        ok = self.reset()
        if ok and table is None:
            self.message = ("info", tr(self.lang, "replay_compare", seed=cfg.run.seed))
        return ok

    def _check_replay(self) -> None:
        r = self.replay
        if r is None or r.model is None or self.scen is None:
            return
        if self.dirty:
            return
        row = self.scen.recorder.rows_model[-1]
        year = int(row["year"])
        if year in r.checked or r.mismatch is not None:
            return
        stored = r.model[r.model["year"] == year]
        if stored.empty:
            r.mismatch = (year, ["year"])
            return
        bad = [
            c
            for c in stored.columns
            if c in row
            and not np.array_equal(np.asarray(stored[c].iloc[0]), np.asarray(row[c]), equal_nan=True)
        ]
        if bad:
            r.mismatch = (year, bad)
        else:
            r.checked.append(year)

    # ------------------------------------------------------------------ what the page draws
    def snapshot(self) -> Snapshot:
        with self.lock:
            scen, base = self.scen, self.base
            assert self.config is not None
            cfg = self.config
            if scen is None or base is None:
                return Snapshot(
                    cfg.run.start_year,
                    cfg.run.start_year,
                    cfg.run.end_year,
                    [],
                    {},
                    pd.DataFrame(),
                    {},
                    True,
                    False,
                )
            rs, rb = scen.recorder, base.recorder
            k = min(len(rs.rows_model), len(rb.rows_model), len(rs.rows_cities), len(rb.rows_cities))
            rows_s, rows_b = scen.recorder.rows_model[:k], base.recorder.rows_model[:k]
            years = [int(r["year"]) for r in rows_s]
            series = {
                m: ([float(r[m]) * f for r in rows_s], [float(r[m]) * f for r in rows_b])
                for m, f in METRICS.items()
            }
            cs, cb = scen.recorder.rows_cities[k - 1], base.recorder.rows_cities[k - 1]
            year = years[-1]
            cols = ["gdp", "talent", "air_quality", "water_quality", "emissions_air", "population"]
            cities = pd.DataFrame(
                {
                    **{c: np.asarray(cs[c], float) for c in cols},
                    **{f"{c}_base": np.asarray(cb[c], float) for c in cols},
                },
                index=pd.Index(list(cs["city"]), name="id"),
            )
            edges = {"scenario": _edges(scen, year), "baseline": _edges(base, year)}
            return Snapshot(
                year,
                cfg.run.start_year,
                cfg.run.end_year,
                years,
                series,
                cities,
                edges,
                year >= cfg.run.end_year,
                True,
            )

    def city_rows(self, snap: Snapshot) -> list[dict[str, Any]]:
        """Rows of the city table: names in the session's language, % changes vs the baseline."""
        from .i18n import province_name

        assert self.scen is not None
        region = self.scen.region.cities
        rows = []
        for cid, r in snap.cities.iterrows():
            row: dict[str, Any] = {
                "id": cid,
                "city": city_name(region, cid, self.lang),
                "province": province_name(str(region.at[cid, "province"]), self.lang),
                "gdp": round(float(r["gdp"]), 1),
            }
            for key, col in CITY_CHANGES.items():
                b = float(r[f"{col}_base"])
                row[key] = round(100.0 * (float(r[col]) / b - 1.0), 3) if b else 0.0
            rows.append(row)
        rows.sort(key=lambda x: -x["d_gdp"])
        return rows


def archive_names(folder: Path = RESULTS_DIR) -> list[str]:
    """Archive folders in ``folder`` (newest name first), cheaply: no table is read."""
    if not folder.is_dir():
        return []
    names = [
        p.name
        for p in folder.iterdir()
        if p.is_dir()
        and not p.name.startswith(".")
        and ".partial" not in p.name
        and (p / "manifest.json").is_file()
    ]
    return sorted(names, reverse=True)


def baseline_of(cfg: Config) -> Config:
    """The scenario's baseline: the same config with every lever section at its default (off)."""
    raw = cfg.model_dump(mode="json")
    raw.update(_lever_defaults())
    return validate(raw, "<baseline>")


def _edges(model: MiddleYangtzeModel, year: int) -> pd.DataFrame:
    """Open links of ``year`` with a 'highlight' flag for the circle lever's corridors (new links
    and links it made faster)."""
    tr_ = model.transport
    e = tr_.mode_edges(year)
    # speed-ups in force (only the circle lever registers network changes)
    sped = {
        (frozenset((ch.a, ch.b)), ch.mode) for ch in tr_.changes if ch.factor is not None and ch.year <= year
    }
    e["highlight"] = [
        str(line).startswith(CORRIDOR_LINE) or (frozenset((a, b)), mode) in sped
        for a, b, mode, line in zip(e["a"], e["b"], e["mode"], e["line"], strict=True)
    ]
    return e
