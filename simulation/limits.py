"""Limits that protect the machine, and the checks of resolved input made before any work starts.

Every check here raises :class:`~simulation.params.ConfigError` (one line: file, field, message with
the allowed values) so that the command line refuses bad input with exit code 2 before an archive
folder exists. The numbers:

- :data:`MAX_RUNS` runs per sweep design (points x replicates), computed arithmetically from the
  sweep file before any design array is built: 100,000 runs are ~30 hours of default-scale runs on
  a 2-core machine, and resolving each run's config costs ~1-2 ms, so the bound keeps even the
  check of a refused design under a second and an accepted one under a few minutes.
- :data:`MAX_REPLICATES` paired replicates for ``compare``: its interval narrows as 1/sqrt(n), so
  10,000 is far past any use, while 10^9 would mean running for years.
- :func:`max_workers`: worker processes, at most :data:`WORKERS_PER_CPU` per CPU (each one costs
  at least an interpreter, ~0.16 GB, and more workers than cores only queue).
- Memory: :func:`estimate_bytes` (benchmark, docs/performance.md: ~0.16 GB interpreter plus
  ~0.45 KB per live agent, the population growing by up to ~85% over the 16 years) times the runs
  held at once, against :func:`available_memory` (``MemAvailable``, a cgroup memory limit, an
  address-space rlimit, or ``MIDYANGTZE_MEMORY_GB``).
- :data:`MAX_SYNTHETIC_CITIES` cities in a ``synthetic:N:SEED`` region (the transport and trade
  matrices are N x N; 200 cities already take ~1.5 s to build).
- Echoed values are cut to :data:`ECHO_CHARS` characters: a 50 MB value gives one short line.
"""

from __future__ import annotations

import os
import resource
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulation.params import ECHO_CHARS, ConfigError, short  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from simulation.config import Config
    from simulation.region import Region

MAX_RUNS = 100_000
MAX_REPLICATES = 10_000
MAX_RESAMPLES = 100_000
WORKERS_PER_CPU = 4
MAX_SYNTHETIC_CITIES = 1_000
MAX_REGION_CHARS = 4096  # PATH_MAX on Linux

INTERPRETER_BYTES = 0.16e9  # python + numpy, pandas, scipy, mesa (benchmarks/bench.py, every row)
BYTES_PER_AGENT = 450  # per live talent or firm agent (docs/performance.md: "about 0.45 KB")
PEAK_GROWTH = 1.85  # live agents at the peak over those requested (+85% over 16 years, synthetic)
MEMORY_ENV = "MIDYANGTZE_MEMORY_GB"

SCHEDULER_TIMEOUT_S = 3.0
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss")
DASK_PORT = 8786


def cap_line(line: str, limit: int = 2000) -> str:
    """A last guard for an error line: at most ``limit`` characters."""
    return line if len(line) <= limit else f"{line[:limit]}… ({len(line):,} characters in all)"


# ---------------------------------------------------------------------------- counts
def max_workers() -> int:
    return max(1, WORKERS_PER_CPU * (os.cpu_count() or 1))


def check_workers(workers: int, file: str = "command line", field: str = "--workers") -> int:
    """``workers`` if 1 <= workers <= :func:`max_workers`, else ConfigError."""
    top = max_workers()
    if not 1 <= workers <= top:
        raise ConfigError(
            file,
            field,
            f"{workers} (allowed: integer 1 to {top}: {WORKERS_PER_CPU} per CPU, {os.cpu_count()} CPUs)",
        )
    return workers


def check_count(value: int, low: int, high: int, file: str, field: str, why: str = "") -> int:
    if not low <= value <= high:
        raise ConfigError(file, field, f"{value:,} (allowed: integer {low} to {high:,}{why})")
    return value


def check_arguments(args: Any) -> None:
    """Bounds on the numeric command-line options every command shares (before anything runs)."""
    workers = getattr(args, "workers", None)
    if isinstance(workers, int) and workers > max_workers():
        check_workers(workers)
    replicates = getattr(args, "replicates", None)
    if isinstance(replicates, int) and replicates > MAX_REPLICATES:
        check_count(replicates, 2, MAX_REPLICATES, "command line", "--replicates")
    resamples = getattr(args, "resamples", None)
    if isinstance(resamples, int) and resamples > MAX_RESAMPLES:
        check_count(resamples, 10, MAX_RESAMPLES, "command line", "--resamples")
    for name in ("seed", "years"):
        value = getattr(args, name, None)
        if isinstance(value, int) and abs(value) > 2**63 - 1:
            raise ConfigError("command line", f"--{name}", f"{short(value)} (allowed: a 64-bit integer)")


# ---------------------------------------------------------------------------- memory
def estimate_bytes(cfg: Config) -> float:
    """Peak memory of one run of ``cfg`` (bytes), from the benchmark's per-agent cost."""
    agents = cfg.scale.talent_agents + cfg.scale.firm_agents
    return INTERPRETER_BYTES + BYTES_PER_AGENT * PEAK_GROWTH * agents


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return None if text in ("", "max") else int(text) if text.isdigit() else None


def _stat(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            k, _, v = line.partition(" ")
            if k == key and v.strip().isdigit():
                return int(v)
    except OSError:
        pass
    return 0


def _cgroup_free() -> int | None:
    """Bytes left under the tightest cgroup memory limit of this process (v2 or v1), or None."""
    best: int | None = None
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, rel = line.split(":", 2)
        v2 = controllers == ""
        if not v2 and "memory" not in controllers.split(","):
            continue
        roots = (
            [Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")]
            if v2
            else [Path("/sys/fs/cgroup/memory")]
        )
        for root in roots:
            node = root / rel.lstrip("/")
            while True:
                if v2:
                    limit, used = _read_int(node / "memory.max"), _read_int(node / "memory.current")
                    cache = _stat(node / "memory.stat", "inactive_file")
                else:
                    limit, used = (
                        _read_int(node / "memory.limit_in_bytes"),
                        _read_int(node / "memory.usage_in_bytes"),
                    )
                    cache = _stat(node / "memory.stat", "total_inactive_file")
                if limit is not None and limit < 2**60 and used is not None:
                    free = max(0, limit - max(0, used - cache))
                    best = free if best is None else min(best, free)
                if node == root or root not in node.parents:
                    break
                node = node.parent
    return best


def available_memory() -> tuple[float, str]:
    """Bytes a run may use now, and where the figure comes from."""
    env = os.environ.get(MEMORY_ENV)
    if env:
        try:
            gb = float(env)
        except ValueError:
            raise ConfigError(
                "environment", MEMORY_ENV, f"{short(env)} (allowed: a number of GB, e.g. 6)"
            ) from None
        return gb * 1e9, f"{MEMORY_ENV}={env}"
    found: list[tuple[float, str]] = []
    avail = _stat(Path("/proc/meminfo"), "MemAvailable:")
    if not avail:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1])
        except (OSError, ValueError, IndexError):
            avail = 0
    if avail:
        found.append((avail * 1024.0, "MemAvailable in /proc/meminfo"))
    cg = _cgroup_free()
    if cg is not None:
        found.append((float(cg), "cgroup memory limit"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        vm = _stat(Path("/proc/self/status"), "VmSize:") * 1024
        found.append((float(max(0, soft - vm)), "address-space limit (ulimit -v)"))
    if not found:
        return float("inf"), "unknown"
    return min(found)


def check_memory(cfg: Config, file: str, concurrent: int = 1, field: str = "scale.talent_agents") -> None:
    """ConfigError when ``concurrent`` runs of ``cfg`` would not fit in the available memory."""
    need = estimate_bytes(cfg) * concurrent
    have, where = available_memory()
    if need <= have:
        return
    per_agent = BYTES_PER_AGENT * PEAK_GROWTH
    fit = int((have / concurrent - INTERPRETER_BYTES) / per_agent) - cfg.scale.firm_agents
    runs = f" x {concurrent} runs at once" if concurrent > 1 else ""
    allowed = (
        f"at most {max(fit, 0):,} talent agents{' per run' if concurrent > 1 else ''} here"
        + ("; or fewer --workers" if concurrent > 1 else "")
        + f"; {MEMORY_ENV} sets the budget"
    )
    raise ConfigError(
        file,
        field,
        f"{cfg.scale.talent_agents:,} talent + {cfg.scale.firm_agents:,} firm agents need about "
        f"{need / 1e9:.1f} GB{runs} ({INTERPRETER_BYTES / 1e9:.2f} GB + {per_agent / 1e3:.2f} KB per "
        f"agent, docs/performance.md) but {have / 1e9:.1f} GB is available ({where}) (allowed: {allowed})",
    )


# ---------------------------------------------------------------------------- region and levers
def source_of(field: str, file: str, sets: Iterable[str] | dict[str, Any] | None) -> str:
    """``--set`` when ``field`` (or a section holding it) was set on the command line, else ``file``."""
    keys = list(sets) if isinstance(sets, dict) else [s.split("=", 1)[0].strip() for s in sets or []]
    for key in keys:
        if field == key or field.startswith((key + ".", key + "[")) or key.startswith(field + "."):
            return "--set"
    return file


def check_region(spec: str, file: str, field: str = "run.region") -> Region:
    """The region ``spec`` names (built-in name, folder or ``synthetic:N:SEED``), or ConfigError /
    RegionError naming ``file`` (or the region folder's CSV) and the field."""
    from simulation.region import BUILTIN_REGIONS_DIR, RegionError, load_region, synthetic_region

    names = sorted(p.name for p in BUILTIN_REGIONS_DIR.iterdir() if p.is_dir())
    allowed = (
        f"a built-in name: {', '.join(names)}; a folder holding cities.csv, links.csv, rivers.csv; "
        "or synthetic:N:SEED"
    )
    if not spec.strip() or spec.strip() in (".", ".."):
        raise ConfigError(file, field, f"{short(spec)}: no such region (allowed: {allowed})")
    if len(spec) > MAX_REGION_CHARS:
        raise ConfigError(
            file,
            field,
            f"{short(spec)} is too long (allowed: {allowed}; at most {MAX_REGION_CHARS} characters)",
        )
    if spec.startswith("synthetic:"):
        parts = spec.split(":")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts[1:]):
            raise ConfigError(
                file,
                field,
                f"{short(spec)} is not synthetic:N:SEED "
                f"(allowed: N 1 to {MAX_SYNTHETIC_CITIES:,}, SEED >= 0)",
            )
        n, seed = int(parts[1]), int(parts[2])
        if not 1 <= n <= MAX_SYNTHETIC_CITIES:
            raise ConfigError(
                file, field, f"{short(spec)}: {n:,} cities (allowed: N 1 to {MAX_SYNTHETIC_CITIES:,})"
            )
        return synthetic_region(n, seed)
    try:
        return load_region(spec)
    except RegionError as err:
        if err.field == "file" and "region folder not found" in err.message:
            raise ConfigError(file, field, f"{short(spec)}: no such region (allowed: {allowed})") from None
        raise


def _get(obj: Any, name: str, default: Any = ()) -> Any:
    return getattr(obj, name, default) if obj is not None else default


def lever_references(cfg: Config) -> list[tuple[str, str, list[str]]]:
    """Every city or province a lever names: (field, "city" | "province", names)."""
    refs: list[tuple[str, str, list[str]]] = []
    it = _get(cfg, "industry_transfer", None)
    refs.append(("industry_transfer.receiving_zones", "city", list(_get(it, "receiving_zones"))))
    refs.append(("industry_transfer.push_cities", "city", list(_get(it, "push_cities"))))
    ta = _get(cfg, "talent_alliance", None)
    if _get(ta, "enabled", False):  # the defaults name the real cluster's provinces
        refs.append(("talent_alliance.provinces", "province", list(_get(ta, "provinces"))))
    cc = _get(cfg, "city_circle", None)
    for k, c in enumerate(_get(cc, "circles")):
        refs.append((f"city_circle.circles[{k}].members", "city", [c.center, *c.members]))
    for k, c in enumerate(_get(cc, "corridors")):
        refs.append((f"city_circle.corridors[{k}]", "city", [c.a, c.b]))
    ec = _get(cfg, "eco_compensation", None)
    for k, a in enumerate(_get(ec, "agreements")):
        refs.append((f"eco_compensation.agreements[{k}].upstream", "city", list(a.upstream)))
        refs.append((f"eco_compensation.agreements[{k}].downstream", "city", list(a.downstream)))
    refs.append(
        ("red_lines.protected_share", "city", list(_get(_get(cfg, "red_lines", None), "protected_share", {})))
    )
    for name in ("sponge_city", "eco_fund", "hukou_reform", "riverside_ban", "innovation_alliance"):
        section = _get(cfg, name, None)
        if section is not None and hasattr(section, "references"):
            refs.extend(section.references(name))
    return refs


def check_references(cfg: Config, region: Region, file: str, sets: Any = None) -> None:
    """Every city, province and river the levers name exists in ``region``; corridors open in the lever's
    horizon; a speed-up has a link to speed up; the production shares leave room for capital."""
    ids_of = {
        "city": region.city_ids(),
        "province": region.provinces,
        "river": sorted(set(region.rivers.river)),
    }
    for fld, kind, names in lever_references(cfg):
        bad = [x for x in names if x not in set(ids_of[kind])]
        if bad:
            ids = ids_of[kind]
            listed = ", ".join(ids[:40]) + (f", ... ({len(ids)} in all)" if len(ids) > 40 else "")
            raise ConfigError(
                source_of(fld, file, sets), fld, f"unknown {kind} {short(bad[0])} (allowed: {listed})"
            )
    places = [*region.city_ids(), *region.provinces, "cluster"]
    for fld, names in cfg.shocks.references():
        bad = [x for x in names if x not in places]
        if bad:
            raise ConfigError(
                source_of(fld, file, sets), fld,
                f"unknown place {short(bad[0])} (allowed: 'cluster', a province "
                f"({', '.join(region.provinces)}) or a city id)",
            )
    cc = cfg.city_circle
    links = region.links
    for k, c in enumerate(cc.corridors):
        fld = f"city_circle.corridors[{k}]"
        if c.year is not None and c.year < cc.start_year:
            raise ConfigError(
                source_of(fld, file, sets),
                f"{fld}.year",
                f"{c.year} is before start_year {cc.start_year} (allowed: {cc.start_year} or later)",
            )
        if c.factor is not None:
            pair = ((links["a"] == c.a) & (links["b"] == c.b)) | ((links["a"] == c.b) & (links["b"] == c.a))
            if not (pair & (links["mode"] == c.mode)).any():
                raise ConfigError(
                    source_of(fld, file, sets),
                    f"{fld}.mode",
                    f"no {c.mode} link between {c.a} and {c.b} to speed up "
                    "(allowed: time_min for a new link)",
                )
    for city, v in cfg.red_lines.protected_share.items():
        if not 0 <= v <= 1:
            fld = f"red_lines.protected_share.{city}"
            raise ConfigError(source_of(fld, file, sets), fld, f"{v} is not a share (allowed: 0 to 1)")
    pc = cfg.production
    if pc.labour_share + pc.land_share >= pc.span_of_control:
        fld = "production.labour_share"
        raise ConfigError(
            source_of(fld, file, sets), fld,
            f"labour_share {pc.labour_share:g} + land_share {pc.land_share:g} leave no room for capital "
            f"(allowed: sum < span_of_control {pc.span_of_control:g})",
        )  # fmt: skip


def check_config(cfg: Config, file: str, sets: Any = None, concurrent: int = 1, memory: bool = True) -> None:
    """Everything about one resolved config that can be known before building the model: the
    region, the levers' references into it, and (``memory``) the memory of ``concurrent`` runs."""
    check_region_and_levers(cfg, file, sets, {})
    if memory:
        check_memory(cfg, source_of("scale.talent_agents", file, sets), concurrent)


def check_region_and_levers(cfg: Config, file: str, sets: Any, regions: dict[str, Region]) -> None:
    """:func:`check_region` (cached in ``regions`` by spec) and :func:`check_references`."""
    spec = cfg.run.region
    if spec not in regions:
        regions[spec] = check_region(spec, source_of("run.region", file, sets))
    check_references(cfg, regions[spec], file, sets)


def relabel(err: Exception, file: str, sets: Any = None) -> Exception:
    """A ConfigError raised while building with the placeholder file ``<config>``, naming ``file``
    (or ``--set``) instead; any other error unchanged."""
    if isinstance(err, ConfigError) and err.file == "<config>":
        return ConfigError(source_of(err.field, file, sets), err.field, err.message)
    return err


# ---------------------------------------------------------------------------- model table columns
_TABLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def table_columns(cfg: Config) -> tuple[frozenset[str], frozenset[str]]:
    """The columns of the model and cities tables a run of ``cfg`` writes, from a short run at the
    smallest scale that reaches every enabled lever's start year (levers add their own columns;
    ~0.5 s, cached per config)."""
    import warnings

    from simulation.config import LEVER_SECTIONS, apply_overrides, to_toml, validate

    key = to_toml(cfg)
    if key not in _TABLES:
        from simulation.model import MiddleYangtzeModel

        starts = [getattr(cfg, s).start_year for s in LEVER_SECTIONS if getattr(cfg, s).enabled]
        end = max([cfg.run.start_year + 1, *starts])
        small = validate(
            apply_overrides(
                cfg.model_dump(mode="json"),
                {"scale.talent_agents": 100, "scale.firm_agents": 50, "run.end_year": end},
            ),
            "--set",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables = MiddleYangtzeModel(small).run().tables()
        _TABLES[key] = (frozenset(tables["model"].columns), frozenset(tables["cities"].columns))
    return _TABLES[key]


def model_columns(cfg: Config) -> frozenset[str]:
    """The columns of the model table a run of ``cfg`` writes (see :func:`table_columns`)."""
    return table_columns(cfg)[0]


# ---------------------------------------------------------------------------- dask
def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT_S) -> None:
    """ConfigError unless a TCP connection to the Dask scheduler at ``address`` opens within
    ``timeout`` seconds (so that nothing is created for a sweep that cannot run)."""
    allowed = "the address of a running scheduler, e.g. tcp://10.0.0.5:8786"
    proto, sep, rest = address.partition("://")
    if not sep:
        proto, rest = "tcp", address
    if proto not in SCHEDULER_PROTOCOLS:
        raise ConfigError(
            "command line",
            "--scheduler",
            f"{short(address)}: protocol {proto!r} "
            f"(allowed: {allowed}; protocols {', '.join(SCHEDULER_PROTOCOLS)})",
        )
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):  # [ipv6]:port
        host, _, port_text = hostport[1:].partition("]")
        port_text = port_text.lstrip(":")
    else:
        host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    try:
        port = int(port_text) if port_text else DASK_PORT
        if not host or not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise ConfigError(
            "command line", "--scheduler", f"{short(address)}: not HOST:PORT (allowed: {allowed})"
        ) from None
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except (OSError, UnicodeError) as err:
        why = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise ConfigError(
            "command line",
            "--scheduler",
            f"cannot reach a Dask scheduler at {short(address)} within {timeout:g} s: {why} "
            f"(allowed: {allowed})",
        ) from None


def check_compare(args: Any) -> None:
    """``compare``: both configs as :func:`check_config` would check a run, with the memory of the
    runs its workers hold at once."""
    from simulation.config import load_config

    sets = list(getattr(args, "set", None) or [])
    replicates, workers = int(getattr(args, "replicates", 2)), int(getattr(args, "workers", 1))
    if replicates < 2 or workers < 1:
        return  # compare refuses these itself, naming the option
    concurrent = max(1, min(workers, 2 * replicates))
    for path in (args.base, args.scenario):
        check_config(load_config(path, sets), str(path), sets, concurrent)


def config_source(args: Any) -> tuple[str | None, list[str]]:
    """The config file a command ran (for :func:`relabel`) and its --set options."""
    sets = list(getattr(args, "set", None) or [])
    for name in ("config", "scenario"):
        path = getattr(args, name, None)
        if path is not None:
            return str(path), sets
    return None, sets
