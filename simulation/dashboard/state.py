"""One browser session's state: the scenario being edited, its URL, and its paired results.

Nothing here imports Solara: the page (``app.py``) creates one :class:`Session` per browser
session. A session holds

* ``draft``: the scenario's raw config (a dict as in TOML) that the controls edit; every edit is
  checked (bounds of the field, lever years, the planning horizon, the whole config validated)
  and refused with a message in the page's language when bad, leaving the draft as it was;
* ``n_seeds`` and ``advanced`` (years after the planning horizon allowed);
* the query string that encodes all of it (:meth:`Session.query`, :meth:`Session.apply_query`):
  the page keeps it in the browser's address, so a reload or a shared link restores the scenario;
* the latest preview and full :class:`~simulation.dashboard.results.PairedResult` of the draft,
  computed through ``results.RUNNER`` by the page (in a task thread, never in the event loop).
"""

from __future__ import annotations

import copy
import functools
import json
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel

from simulation.config import Config, load_config, read_toml, to_toml, validate
from simulation.params import ConfigError
from simulation.region import RegionError, load_region

from . import results
from .i18n import DEFAULT_LANG, LANGS, tr
from .results import baseline_of, lever_defaults, lever_sections  # noqa: F401 (re-exported)

ROOT = Path(__file__).resolve().parents[2]
BASELINE_TOML = ROOT / "configs" / "baseline.toml"
SCENARIOS_DIR = ROOT / "configs" / "scenarios"
RESULTS_DIR = ROOT / "results"
LEVERS = lever_sections()
PRESETS = ("baseline", *LEVERS, "green_development")
HORIZON = Config().run.end_year  # the planning horizon (2035): the end year's cap unless advanced
DEFAULT_SEEDS, MIN_SEEDS, MAX_SEEDS = 8, 2, 32
# The preview is one seed (the first of the full result's) at a tenth of the agents: a first look
# at direction and size, its effects grey with "one seed: no interval yet"; the band comes with
# the full result. One seed, not three: a class of 40 pressing Run at once waits for 40 preview
# runs instead of 120 (benchmarks/bench_class.py, docs/performance.md), and three seeds gave a t
# interval (2 degrees of freedom) so wide that almost every effect was grey anyway.
PREVIEW_SEEDS, PREVIEW_SCALE, PREVIEW_MIN_AGENTS = 1, 0.1, 2000
SEED_MAX = 2**63 - 1

# outcomes: column -> (+1 higher is better | -1 lower is better, aggregate over the horizon, factor
# from the model table's unit to the displayed one). Aggregates: "cum" sums a flow, "mean" averages a level.
OUTCOMES: dict[str, tuple[int, str, float]] = {
    "gdp": (1, "cum", 1.0),
    "real_income_per_capita": (1, "mean", 1.0),
    "air_quality": (-1, "mean", 1.0),
    "emissions_cod": (-1, "cum", 1e-3),
    "emissions_air": (-1, "cum", 1e-3),
    "emissions_co2": (-1, "cum", 1e-6),
    "fiscal_cost": (-1, "cum", 1.0),
    "gep": (1, "cum", 1.0),
    "water_quality": (-1, "mean", 1.0),
    "talent": (1, "mean", 1e-4),
}
HEADLINE = ("gdp", "real_income_per_capita", "air_quality", "emissions_cod", "emissions_air",
            "emissions_co2", "fiscal_cost", "gep")  # fmt: skip
CURVES = ("gdp", "real_income_per_capita", "air_quality", "water_quality", "emissions_air",
          "emissions_cod", "emissions_co2", "fiscal_cost", "gep", "talent")  # fmt: skip
# city table: key -> (cities column, +1/-1)
CITY_CHANGES: dict[str, tuple[str, int]] = {
    "d_gdp": ("gdp", 1),
    "d_talent": ("talent", 1),
    "d_pm25": ("air_quality", -1),
    "d_water": ("water_quality", -1),
    "d_emissions_air": ("emissions_air", -1),
}


# ---------------------------------------------------------------------------- presets and options
def _default_raw() -> dict[str, Any]:
    return load_config(BASELINE_TOML).model_dump(mode="json")


def preset_raw(name: str) -> dict[str, Any]:
    """The lever sections of a shipped scenario (``baseline``: all off, defaults)."""
    levers = lever_defaults()
    if name == "baseline":
        return levers
    if name not in PRESETS:
        raise ConfigError("<dashboard>", "preset", f"unknown preset {name!r} (allowed: {', '.join(PRESETS)})")
    cfg = load_config(SCENARIOS_DIR / f"{name}.toml").model_dump(mode="json")
    return {k: cfg[k] for k in LEVERS}


@functools.lru_cache(maxsize=4)
def region_cities(spec: str):
    """The region's city table (names, province, coordinates), read once per region."""
    return load_region(spec).cities


class Catalogue:
    """The list-valued lever items the controls offer: every circle, corridor, basin agreement and
    red-line share that a shipped scenario uses (the draft may add more, e.g. from an archive)."""

    def __init__(self) -> None:
        self.circles: dict[str, dict] = {}
        self.corridors: dict[str, dict] = {}
        self.agreements: dict[str, dict] = {}
        self.red_line_shares: dict[str, float] = {}
        for name in PRESETS[1:]:
            raw = preset_raw(name)
            for c in raw["city_circle"]["circles"]:
                self.circles.setdefault(c["name"], c)
            for c in raw["city_circle"]["corridors"]:
                self.corridors.setdefault(corridor_key(c), c)
            for a in raw["eco_compensation"]["agreements"]:
                self.agreements.setdefault(a["name"], a)
            for k, v in raw["red_lines"]["protected_share"].items():
                self.red_line_shares.setdefault(k, v)


@functools.lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    return Catalogue()


def corridor_key(c: dict) -> str:
    return f"{c['a']}-{c['b']}-{c['mode']}"


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


def fmt_num(x: float | None) -> str:
    """A bound as people write it: 10, 0.5, 9,223,372,036,854,775,807 (never 9.22337e+18)."""
    if x is None:
        return ""
    if float(x).is_integer() and abs(x) >= 1e5:
        return f"{int(x):,}"
    return f"{x:g}"


# ---------------------------------------------------------------------------- the session
class Session:
    """The state of one browser session (one trainee's page)."""

    def __init__(self, lang: str = DEFAULT_LANG, overrides: dict[str, Any] | list[str] | None = None) -> None:
        """``overrides``: dotted config paths -> values (or ``key=value`` strings) applied to the
        baseline (e.g. a smaller scale for tests); they stay under every preset and query."""
        self.lang = lang
        self.lock = threading.RLock()
        self.catalogue = catalogue()
        self.overrides = overrides or {}
        self.draft: dict[str, Any] = self._fresh()
        self.n_seeds = DEFAULT_SEEDS
        self.advanced = False
        self.preset: str | None = None
        self.message: tuple[str, str] | None = None  # (kind: error|info|warning, text)
        self.preview: results.PairedResult | None = None
        self.full: results.PairedResult | None = None
        self.result_key: str | None = None  # the key the preview and full result belong to
        self.timings: dict[str, float] = {}  # seconds: preview, full (request to result)
        self.computing: str | None = None  # "preview" | "full" while a request runs
        self.overlays: list[Any] = []  # saved scenarios drawn with this one (scenarios.Overlay)

    def _fresh(self) -> dict[str, Any]:
        raw = _default_raw()
        if self.overrides:
            from simulation.config import apply_overrides

            raw = validate(apply_overrides(raw, self.overrides), "<dashboard>").model_dump(mode="json")
        return raw

    @property
    def cities(self):
        return region_cities(self.draft["run"]["region"])

    @property
    def provinces(self) -> list[str]:
        return sorted(set(self.cities["province"]))

    # ------------------------------------------------------------------ editing
    def get(self, path: tuple) -> Any:
        node: Any = self.draft
        for p in path:
            node = node[p]
        return node

    def _refuse(self, text: str) -> bool:
        self.message = ("error", tr(self.lang, "refused", msg=text))
        return False

    def edit(self, changes: dict[tuple, Any], label: str = "") -> bool:
        """Apply ``changes`` (path -> value) to the draft if the result is valid; else refuse with a
        message and leave the draft unchanged. Returns True when applied."""
        for path, value in changes.items():
            field = label or str(path[-1])
            if value is None:
                return self._refuse(tr(self.lang, "not_number", field=field))
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    ok = _in_bounds(path, value)
                except (KeyError, AttributeError, TypeError):
                    ok = True
                if not ok:
                    lo, hi = bounds(path)
                    if hi is None:
                        return self._refuse(tr(self.lang, "at_least", field=field, lo=fmt_num(lo)))
                    return self._refuse(tr(self.lang, "bounds", field=field, lo=fmt_num(lo), hi=fmt_num(hi)))
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
        cap = bounds(("run", "end_year"))[1] if self.advanced else HORIZON
        if not isinstance(end, int) or not start < end <= cap:
            return tr(self.lang, "bounds", field=tr(self.lang, "end_year"), lo=start + 1, hi=fmt_num(cap))
        for lever in LEVERS:
            sec = draft[lever]
            if sec["enabled"] and not start < sec["start_year"] <= end:
                return tr(
                    self.lang, "lever_year", lever=tr(self.lang, f"lever_{lever}"), lo=start + 1, hi=end
                )
        return None

    def set_seed(self, text: Any) -> bool:
        """The root seed from what the trainee typed: a whole number 0 .. 2^63 - 1."""
        s = str(text).strip().replace(",", "").replace("_", "").replace(" ", "")
        if not s.isdigit() or int(s) > SEED_MAX:
            return self._refuse(tr(self.lang, "seed_range", hi=fmt_num(SEED_MAX)))
        return self.edit({("run", "seed"): int(s)}, tr(self.lang, "seed"))

    def set_n_seeds(self, n: Any) -> bool:
        text = str(n).strip()
        if not text.isdigit():
            return self._refuse(tr(self.lang, "not_integer", field=tr(self.lang, "n_seeds")))
        if not MIN_SEEDS <= int(text) <= MAX_SEEDS:
            return self._refuse(
                tr(self.lang, "bounds", field=tr(self.lang, "n_seeds"), lo=MIN_SEEDS, hi=MAX_SEEDS)
            )
        self.n_seeds, self.message = int(text), None
        return True

    def set_advanced(self, on: bool) -> bool:
        """Years after the planning horizon allowed (on) or not; switching off brings a later end
        year (and the levers' start years) back to the horizon."""
        self.advanced = bool(on)
        if not on and self.draft["run"]["end_year"] > HORIZON:
            draft = copy.deepcopy(self.draft)
            draft["run"]["end_year"] = HORIZON
            self._clamp_starts(draft)
            self.draft = draft
        self.message = None
        return True

    def set_end_year(self, year: int) -> bool:
        draft = copy.deepcopy(self.draft)
        draft["run"]["end_year"] = int(year)
        self._clamp_starts(draft)
        return self.edit(
            {("run",): draft["run"], **{(k,): draft[k] for k in LEVERS}}, tr(self.lang, "end_year")
        )

    @staticmethod
    def _clamp_starts(draft: dict[str, Any]) -> None:
        end = draft["run"]["end_year"]
        for lever in LEVERS:
            if draft[lever]["enabled"] and draft[lever]["start_year"] > end:
                draft[lever]["start_year"] = end

    def switch_lever(self, lever: str, on: bool) -> bool:
        """Switch a lever on or off. Switched on while its settings are still the neutral defaults
        (a lever that would change nothing), it takes the settings of its shipped scenario
        (``configs/scenarios/<lever>.toml``), so that one click gives the headline what-if."""
        sec = dict(self.draft[lever])
        neutral = {k: v for k, v in lever_defaults()[lever].items() if k != "enabled"}
        if on and {k: v for k, v in sec.items() if k != "enabled"} == neutral:
            sec = copy.deepcopy(preset_raw(lever)[lever])
            sec["start_year"] = min(sec["start_year"], self.draft["run"]["end_year"])
        sec["enabled"] = bool(on)
        return self.edit({(lever,): sec}, tr(self.lang, f"lever_{lever}"))

    def load_preset(self, name: str) -> bool:
        draft = copy.deepcopy(self.draft)
        draft.update(preset_raw(name))
        self._clamp_starts(draft)
        try:
            validate(draft, "<dashboard>")
        except ConfigError as e:
            return self._refuse(f"{e.field}: {e.message}")
        self.draft, self.preset, self.message = draft, name, None
        return True

    def enabled(self) -> list[str]:
        return [k for k in LEVERS if self.draft[k]["enabled"]]

    # ------------------------------------------------------------------ the URL
    def query(self) -> str:
        """The query string of the scenario: language, seed, last year, replicates, advanced, the
        levers switched on and every setting of theirs that differs from the shipped scenario."""
        run = self.draft["run"]
        items: list[tuple[str, str]] = [("lang", self.lang), ("seed", str(run["seed"])),
                                        ("end", str(run["end_year"])), ("n", str(self.n_seeds))]  # fmt: skip
        if self.advanced:
            items.append(("adv", "1"))
        on = self.enabled()
        if on:
            items.append(("on", ",".join(on)))
        for lever in on:
            shipped = preset_raw(lever)[lever]
            for k, v in self.draft[lever].items():
                if k != "enabled" and v != shipped.get(k):
                    items.append((f"{lever}.{k}", json.dumps(v, separators=(",", ":"), ensure_ascii=False)))
        return urlencode(items)

    def apply_query(self, search: str | None) -> list[str]:
        """Set the scenario from a query string (a link or a reload). Each bad item is skipped
        with a message (in the page's language); returns those messages."""
        pairs = dict(parse_qsl(search or "", keep_blank_values=True))
        problems: list[str] = []
        if pairs.get("lang") in LANGS:
            self.lang = pairs["lang"]
        self.draft, self.advanced, self.n_seeds, self.preset = (
            self._fresh(),
            pairs.get("adv") == "1",
            DEFAULT_SEEDS,
            None,
        )

        def attempt(key: str, ok: bool) -> None:
            if not ok:
                msg = self.message[1] if self.message is not None else key
                problems.append(tr(self.lang, "query_bad", item=key, msg=msg))

        if "seed" in pairs:
            attempt("seed", self.set_seed(pairs["seed"]))
        if "end" in pairs:
            end = pairs["end"]
            attempt(
                "end",
                self.set_end_year(int(end)) if end.isdigit() else self._bad("end", tr(self.lang, "end_year")),
            )
        if "n" in pairs:
            attempt("n", self.set_n_seeds(pairs["n"]))
        for lever in (x for x in pairs.get("on", "").split(",") if x):
            attempt(
                "on", self.switch_lever(lever, True) if lever in LEVERS else self._bad(lever, lever, "select")
            )
        for key, text in pairs.items():
            lever, _, name = key.partition(".")
            if not name:
                continue
            if not (lever in LEVERS and self.draft[lever]["enabled"] and name in self.draft[lever]):
                attempt(key, self._bad(key, key, "select"))
                continue
            try:
                value = json.loads(text)
            except ValueError:
                attempt(key, self._bad(key, key))
                continue
            attempt(key, self.edit({(lever, name): value}, name))
        self.message = ("error", problems[0]) if problems else None
        return problems

    def _bad(self, key: str, field: str, kind: str = "number") -> bool:
        """Refuse a query item: not a number, or (``select``) not a lever or setting of the page."""
        if kind == "select":
            return self._refuse(tr(self.lang, "unknown_item", field=field))
        return self._refuse(tr(self.lang, "not_number", field=field))

    # ------------------------------------------------------------------ results
    def job(self) -> tuple[str, Config, list[int]] | None:
        """(key, config, seeds) of the draft's paired comparison; None (with a message) if invalid."""
        from simulation.experiments.compare import replicate_seeds

        try:
            cfg = validate(self.draft, "<dashboard>")
        except ConfigError as e:
            self.message = ("error", tr(self.lang, "build_failed", msg=str(e)))
            return None
        return self.key(), cfg, replicate_seeds(cfg.run.seed, self.n_seeds)

    def key(self) -> str:
        """What a result depends on: the draft and the number of seeds."""
        return json.dumps([self.draft, self.n_seeds], sort_keys=True, separators=(",", ":"))

    def compute(self, on_update=None, runner=None) -> bool:
        """Preview (``PREVIEW_SEEDS`` seeds at ``PREVIEW_SCALE``), then the full result, through
        ``results.RUNNER`` (looked up at call time). Stops early, keeping nothing, when the draft
        changed meanwhile. ``on_update()`` is called after each part. Returns True when the full
        result of the current draft is in."""
        job = self.job()
        if job is None:
            return False
        key, cfg, seeds = job
        if self.result_key == key and self.full is not None:
            return True
        run = runner or results.RUNNER
        with self.lock:
            if self.result_key != key:
                self.result_key, self.preview, self.full = key, None, None
        small = preview_scale(cfg)
        for part, sel, scale in (("preview", seeds[:PREVIEW_SEEDS], small), ("full", seeds, 1.0)):
            t0 = time.perf_counter()
            self.computing = part
            try:
                res = run(cfg, sel, scale)
            except (ConfigError, RegionError) as e:
                self.message = ("error", tr(self.lang, "build_failed", msg=" ".join(str(e).split())))
                self.computing = None
                return False
            except Exception as e:  # noqa: BLE001 - a failed worker, a full queue: say so, keep the page
                self.computing = None
                if self.key() != key or isinstance(e, CancelledError):
                    return False  # withdrawn for a newer request of this session: nothing to say
                self.message = ("error", tr(self.lang, "run_failed", msg=f"{type(e).__name__}: {e}"))
                return False
            with self.lock:
                if self.result_key != key or self.key() != key:
                    self.computing = None
                    return False  # the trainee changed something: this result is stale
                setattr(self, part, res)
                self.timings[part] = time.perf_counter() - t0
            if on_update is not None:
                on_update()
        self.computing = None
        return True

    @property
    def stale(self) -> bool:
        """The result on screen belongs to earlier settings (a new one is being computed)."""
        return self.result_key != self.key()

    @property
    def result(self) -> results.PairedResult | None:
        """The best result of the current draft: the full one, else the preview."""
        return self.full if self.full is not None else self.preview

    # ------------------------------------------------------------------ export
    def config(self) -> Config:
        return validate(self.draft, "<dashboard>")

    def export_toml(self) -> str:
        """The scenario's TOML: ``run.py compare`` of its baseline and it gives the page's numbers."""
        head = (
            "# Scenario exported from the midyangtze dashboard.\n"
            f"# The page's result: uv run run.py compare BASELINE THIS_FILE --replicates {self.n_seeds}\n"
            "# (BASELINE: configs/baseline.toml, or this file with every lever off if you changed the\n"
            "# horizon or the scale). One run: uv run run.py run THIS_FILE\n\n"
        )
        return head + to_toml(self.config())

    def export_name(self, ext: str = "toml") -> str:
        on = self.enabled()
        stem = "+".join(on) if on else "baseline"
        if len(stem) > 60:
            stem = f"{len(on)}-levers"
        return f"midyangtze-{stem}-seed{self.draft['run']['seed']}.{ext}"

    def export_csv(self) -> str:
        """The per-year results of this scenario and of every overlaid one (``exports.results_csv``)."""
        from .exports import entries, results_csv

        return results_csv(entries(self))

    def export_png(self) -> bytes:
        """The curves of this scenario and the overlaid ones (``exports.curves_png``). A bound method,
        not a lambda: ``solara.FileDownload`` drops a pending download when its data changes."""
        from .exports import curves_png, entries

        return curves_png(entries(self), self.lang)

    def export_summary(self) -> str:
        """The one-page summary (``exports.summary_html``)."""
        from .exports import summary_html

        return summary_html(self)

    # ------------------------------------------------------------------ archives
    def open_archive(self, name: str) -> bool:
        """Load the settings of an archive listed in results/ (by its folder name only: no path
        typed by a visitor is ever opened)."""
        from simulation.archive.errors import ArchiveError
        from simulation.archive.manifest import checked_manifest

        if name not in archive_names(RESULTS_DIR):
            self.message = ("error", tr(self.lang, "archive_not_listed"))
            return False
        path = RESULTS_DIR / name
        try:
            checked_manifest(path)
            file = path / ("config.toml" if (path / "config.toml").is_file() else "scenario.toml")
            cfg = validate(read_toml(file), str(file))
        except (ArchiveError, ConfigError, OSError, ValueError) as e:
            self.message = ("error", tr(self.lang, "bad_archive", msg=" ".join(str(e).split())))
            return False
        self.draft = cfg.model_dump(mode="json")
        self.advanced = self.draft["run"]["end_year"] > HORIZON
        self.message = ("info", tr(self.lang, "archive_loaded", name=name, seed=cfg.run.seed))
        return True


def preview_scale(cfg: Config) -> float:
    """The preview's scale: ``PREVIEW_SCALE``, but never under ``PREVIEW_MIN_AGENTS`` talent agents
    (fewer leave cities without talent and the preview says nothing)."""
    return min(1.0, max(PREVIEW_SCALE, PREVIEW_MIN_AGENTS / cfg.scale.talent_agents))


def archive_names(folder: Path = RESULTS_DIR) -> list[str]:
    """Archive folders in ``folder`` (newest name first), cheaply: no table is read."""
    if not folder.is_dir():
        return []
    names = [
        p.name
        for p in folder.iterdir()
        if p.is_dir()
        and not p.is_symlink()
        and not p.name.startswith(".")
        and ".partial" not in p.name
        and (p / "manifest.json").is_file()
    ]
    return sorted(names, reverse=True)
