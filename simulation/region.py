"""Region data: load and validate a city cluster from CSV files, or build a synthetic one.

A region folder holds ``cities.csv``, ``links.csv`` and ``rivers.csv`` (required) and optionally
``city_economy.csv`` and ``city_environment.csv``. See ``regions/middle_yangtze/*NOTES.md`` for the
meaning of each column. Every problem in the data raises :class:`RegionError` with a one-line
message ``'<file path>: <field>: <what is wrong> (allowed: ...)'``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

BUILTIN_REGIONS_DIR = Path(__file__).parent / "regions"
BASE_YEAR = 2019  # links with opened_year blank or <= BASE_YEAR form the base-year network
MODES = ("hsr", "intercity", "rail", "expressway")
HEAVY_FLAGS = ("low", "medium", "high")
CITIES, LINKS, RIVERS = "cities.csv", "links.csv", "rivers.csv"
ECONOMY, ENVIRONMENT, LAND = "city_economy.csv", "city_environment.csv", "city_land.csv"
REQUIRED_FILES = (CITIES, LINKS, RIVERS)
ID_COLUMNS = {CITIES: ("id",), LINKS: ("a", "b"), RIVERS: ("upstream", "downstream"),
              ECONOMY: ("id",), ENVIRONMENT: ("id",), LAND: ("id",)}  # fmt: skip
INF = math.inf

# numeric rule: (low, high, low bound exclusive, blank allowed)
Rule = tuple[float, float, bool, bool]
POSITIVE: Rule = (0, INF, True, False)
NON_NEGATIVE: Rule = (0, INF, False, False)
SHARE: Rule = (0, 1, False, False)
PERCENT: Rule = (0, 100, False, False)
CITY_TEXT = ("name_zh", "name_en", "province")
CITY_NUM: dict[str, Rule] = {
    "lat": (-90, 90, False, False),
    "lon": (-180, 180, False, False),
    "population_2020_10k": POSITIVE,
    "gdp_2019_100m_yuan": POSITIVE,
    "secondary_share_2019": SHARE,
    "area_km2": POSITIVE,
}
ECON_NUM: dict[str, Rule] = {
    "college_students_10k": NON_NEGATIVE,
    "universities": NON_NEGATIVE,
    "tertiary_educated_share_2020": SHARE,
    "industrial_firms_above_scale_2019": NON_NEGATIVE,
    "avg_wage_2019_yuan": POSITIVE,
}
ENV_NUM: dict[str, Rule] = {
    "pm25_2019": NON_NEGATIVE,
    "sewage_treatment_rate": (0, 100, False, True),
    "forest_cover": PERCENT,
}
LAND_NUM: dict[str, Rule] = {
    "built_up_area_km2": (0, INF, True, True),
    "built_up_year": (1949, 2100, False, True),
}
# time_min may be blank: no scheduled passenger service (e.g. the freight-only Haoji railway)
LINK_NUM: dict[str, Rule] = {
    "km": POSITIVE,
    "time_min": (0, INF, True, True),
    "opened_year": (1800, 2100, False, True),
}
ECON_DEFAULTS = (
    "college_students_10k=1.5% of population, universities=1, tertiary_educated_share_2020=0.12, "
    "industrial_firms_above_scale_2019=0.9 per 10k residents, avg_wage_2019_yuan=70000, "
    "heavy_industry_flag=medium"
)
ENV_DEFAULTS = "pm25_2019=40, sewage_treatment_rate=NaN, forest_cover=40"


class RegionError(ValueError):
    """Bad region data; str(err) is ONE line '<file path>: <field>: <what is wrong> (allowed: ...)'.

    ``field`` is a column name, 'file' (missing/unreadable file) or 'graph' (network structure).
    """

    def __init__(self, file: str, field: str, message: str):
        self.file, self.field = str(file), field
        self.message = " ".join(str(message).split())
        super().__init__(f"{self.file}: {self.field}: {self.message}")


@dataclass(frozen=True, eq=False)
class Region:
    """A validated city cluster: cities (index 'id'), transport links and river flow pairs."""

    name: str
    cities: pd.DataFrame
    links: pd.DataFrame
    rivers: pd.DataFrame
    source_dir: Path | None
    notes: tuple[str, ...] = ()
    file_names: tuple[str, ...] = ()  # CSV files read from source_dir
    column_files: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    extra: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)  # optional tables

    @property
    def regulation(self) -> pd.DataFrame | None:
        """The dated baseline regulation path (regulation.csv), if the region has one."""
        return self.extra.get(REGULATION)

    @property
    def river_flow(self) -> pd.Series | None:
        """Mean discharge (m3/s) of each city's river (river_flow.csv), by city id."""
        df = self.extra.get(RIVER_FLOW)
        return None if df is None else df.groupby("city").mean_discharge_m3s.max()

    @property
    def pm25_national(self) -> pd.Series | None:
        """China's observed mean PM2.5 by year (pm25_observed.csv rows with city 'china')."""
        df = self.extra.get(PM25_OBSERVED)
        if df is None:
            return None
        nat = df[df.city == "china"].dropna(subset=["pm25"])
        return nat.groupby("year").pm25.mean() if len(nat) else None

    @property
    def china_growth(self) -> pd.Series | None:
        """China's real GDP growth (%) by year, first published (china_growth.csv), if present."""
        df = self.extra.get(CHINA_GROWTH)
        if df is None:
            return None
        rows = df.dropna(subset=["gdp_real_growth"])
        return rows.groupby("year").gdp_real_growth.mean() if len(rows) else None

    @property
    def provinces(self) -> list[str]:
        """Sorted unique province names."""
        return sorted(self.cities["province"].unique())

    def city_ids(self) -> list[str]:
        """City ids in file order."""
        return list(self.cities.index)

    def files(self) -> dict[str, Path]:
        """The CSV files the region was read from, by file name ({} for synthetic regions)."""
        if self.source_dir is None:
            return {}
        return {f: self.source_dir / f for f in self.file_names}


def _short(items: list, limit: int = 8) -> str:
    items = [str(i) for i in items]
    return ", ".join(items[:limit]) + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def _describe(rule: Rule) -> str:
    lo, hi, lo_open, nan_ok = rule
    parts = [f"number {'>' if lo_open else '>='} {lo:g}"] + ([f"<= {hi:g}"] if hi < INF else [])
    return " and ".join(parts) + (", or blank" if nan_ok else "")


def _rows(mask: pd.Series, values: pd.Series) -> str:
    pos = np.flatnonzero(mask.to_numpy())
    shown = ["blank" if pd.isna(v) else repr(str(v)) for v in values.iloc[pos]]
    return _short([f"row {p + 1} ({v})" for p, v in zip(pos, shown, strict=True)], 5)


def _require(df: pd.DataFrame, cols: list[str], path: str) -> None:
    for col in cols:
        if col not in df.columns:
            msg = f"missing column (allowed: a header with the required columns {', '.join(cols)})"
            raise RegionError(path, col, msg)


def _numeric(df: pd.DataFrame, col: str, rule: Rule, path: str) -> pd.Series:
    """Convert df[col] to float, raising RegionError on non-numeric, blank or out-of-range."""
    lo, hi, lo_open, nan_ok = rule
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    text = raw.astype(object).map(lambda v: isinstance(v, str) and v.strip() != "")
    blank = num.isna() & ~text
    checks = [
        ("non-numeric value", text & num.isna()),
        ("missing value", blank & (not nan_ok)),
        ("out of range", num.notna() & ((num <= lo if lo_open else num < lo) | (num > hi))),
        ("non-finite value", num.notna() & ~np.isfinite(num)),
    ]
    for what, mask in checks:
        if mask.any():
            msg = f"{what} at {_rows(mask, raw)} (allowed: {_describe(rule)})"
            raise RegionError(path, col, msg)
    return num


def _text(df: pd.DataFrame, col: str, path: str, optional: bool = False) -> pd.Series:
    """Strip a text column; blank values are an error unless optional (then filled with '')."""
    vals = df[col].astype(object).map(lambda v: "" if pd.isna(v) else str(v).strip())
    if not optional and vals.eq("").any():
        msg = f"missing value at {_rows(vals.eq(''), vals)} (allowed: non-empty text)"
        raise RegionError(path, col, msg)
    return vals.astype(str)


def _ids(df: pd.DataFrame, col: str, path: str, known: list[str] | None) -> pd.Series:
    vals = _text(df, col, path)
    if known is not None and (bad := ~vals.isin(known)).any():
        msg = f"unknown city id at {_rows(bad, vals)} (allowed: ids in cities.csv: {_short(known)})"
        raise RegionError(path, col, msg)
    return vals


def _city_table(df: pd.DataFrame, path: str, ids: list[str] | None, num: dict) -> pd.DataFrame:
    """Validate a per-city table (one row per city id); returns it indexed by id."""
    _require(df, ["id", *num], path)
    out = df.copy()
    out["id"] = _ids(df, "id", path, ids)
    if (dup := out["id"].duplicated()).any():
        msg = f"duplicate city id at {_rows(dup, out['id'])} (allowed: each id once)"
        raise RegionError(path, "id", msg)
    if ids is not None and (missing := [i for i in ids if i not in set(out["id"])]):
        msg = f"cities missing from this file: {_short(missing)} (allowed: one row per city)"
        raise RegionError(path, "id", msg)
    for col, rule in num.items():
        out[col] = _numeric(df, col, rule, path)
    out = out.set_index("id")
    out.index = out.index.astype(str)
    return out if ids is None else out.loc[ids]


def _econ_defaults(cities: pd.DataFrame) -> pd.DataFrame:
    pop = cities["population_2020_10k"]
    students, firms = (pop * 0.015).round(2), (pop * 0.9).round(0)
    return pd.DataFrame({"id": cities.index, "college_students_10k": students, "universities": 1.0}).assign(
        tertiary_educated_share_2020=0.12,
        industrial_firms_above_scale_2019=firms,
        avg_wage_2019_yuan=70000.0,
        heavy_industry_flag="medium",
    )


def _env_defaults(cities: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"id": cities.index}).assign(
        pm25_2019=40.0, sewage_treatment_rate=np.nan, forest_cover=40.0
    )


def _build(
    name: str,
    frames: dict[str, pd.DataFrame | None],
    paths: dict[str, str],
    source_dir: Path | None = None,
) -> Region:
    """The single validator: check and assemble raw frames (as read from the CSVs) into a Region."""
    notes: list[str] = []
    _require(frames[CITIES], ["id", *CITY_TEXT, *CITY_NUM], paths[CITIES])
    cities = _city_table(frames[CITIES], paths[CITIES], None, CITY_NUM)
    for col in CITY_TEXT:
        cities[col] = _text(cities, col, paths[CITIES]).to_numpy()
    ids = list(cities.index)
    origin = {c: (CITIES, c) for c in cities.columns}
    optional = ((ECONOMY, ECON_NUM, _econ_defaults, ECON_DEFAULTS),
                (ENVIRONMENT, ENV_NUM, _env_defaults, ENV_DEFAULTS))  # fmt: skip
    for fname, num, default, described in optional:
        raw = frames.get(fname)
        if raw is None:
            raw = default(cities)
            notes.append(f"{fname} missing: filled defaults {described}")
        extra = ["heavy_industry_flag"] if fname == ECONOMY else []
        _require(raw, ["id", *num, *extra], paths[fname])
        table = _city_table(raw, paths[fname], ids, num)
        if extra:
            flag = _text(table, "heavy_industry_flag", paths[fname])
            if (bad := ~flag.isin(HEAVY_FLAGS)).any():
                msg = f"unknown flag at {_rows(bad, flag)} (allowed: {', '.join(HEAVY_FLAGS)})"
                raise RegionError(paths[fname], "heavy_industry_flag", msg)
            table["heavy_industry_flag"] = flag
        suffix = "_economy" if fname == ECONOMY else "_environment"
        renames = {c: c + suffix for c in table.columns if c in cities.columns}
        origin.update({renames.get(c, c): (fname, c) for c in table.columns})
        cities = pd.concat([cities, table.rename(columns=renames)], axis=1)
    cities.index.name = "id"
    land = frames.get(LAND)
    if land is not None:  # optional; blank cells stay missing (the model then estimates them)
        _require(land, ["id", *LAND_NUM], paths[LAND])
        table = _city_table(land, paths[LAND], ids, LAND_NUM)
        for c in LAND_NUM:
            cities[c] = table[c].reindex(cities.index)
            origin[c] = (LAND, c)
    else:
        cities["built_up_area_km2"] = np.nan
        cities["built_up_year"] = np.nan
    links = _links(frames[LINKS], paths[LINKS], ids)
    rivers = _rivers(frames[RIVERS], paths[RIVERS], ids)
    used = tuple(f for f in paths if frames.get(f) is not None)
    return Region(name, cities, links, rivers, source_dir, tuple(notes), used, origin)


def _links(raw: pd.DataFrame, path: str, ids: list[str]) -> pd.DataFrame:
    """Validate links (parallel links between a pair are all kept) and base-year connectivity."""
    _require(raw, ["a", "b", "mode", "km", "time_min"], path)
    df = raw.reset_index(drop=True).copy()
    for col, fill in (("line", ""), ("opened_year", np.nan), ("source", "")):
        if col not in df.columns:
            df[col] = fill
    df["a"], df["b"] = _ids(df, "a", path, ids), _ids(df, "b", path, ids)
    if (loop := df["a"].eq(df["b"])).any():
        msg = f"link from a city to itself at {_rows(loop, df['b'])} (allowed: b != a)"
        raise RegionError(path, "b", msg)
    df["mode"] = _text(df, "mode", path)
    if (bad := ~df["mode"].isin(MODES)).any():
        msg = f"unknown mode at {_rows(bad, df['mode'])} (allowed: {', '.join(MODES)})"
        raise RegionError(path, "mode", msg)
    for col, rule in LINK_NUM.items():
        df[col] = _numeric(df, col, rule, path)
    for col in ("line", "source"):
        df[col] = _text(df, col, path, optional=True)
    first = ["a", "b", "mode", "line", "km", "time_min", "opened_year", "source"]
    df = df[first + [c for c in df.columns if c not in first]]
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    base = df[df["opened_year"].isna() | (df["opened_year"] <= BASE_YEAR)]
    graph.add_edges_from(zip(base["a"], base["b"], strict=True))
    comps = sorted(nx.connected_components(graph), key=lambda c: (-len(c), ids.index(min(c))))
    if len(comps) > 1:
        order = {c: i for i, c in enumerate(ids)}
        groups = "; ".join("{" + _short(sorted(c, key=order.get), 6) + "}" for c in comps)
        cut = sorted(set(ids) - comps[0], key=order.get)
        msg = (f"transport network of links open by {BASE_YEAR} is not connected: {len(comps)} "
               f"components {groups}; cut off from the main component: {_short(cut)} "
               "(allowed: one connected network over all cities)")  # fmt: skip
        raise RegionError(path, "graph", msg)
    return df


def _rivers(raw: pd.DataFrame, path: str, ids: list[str]) -> pd.DataFrame:
    """Validate upstream -> downstream pairs: known ids, and the flow graph must be a DAG."""
    _require(raw, ["upstream", "downstream"], path)
    df = raw.reset_index(drop=True).copy()
    for col in ("river", "note"):
        df[col] = _text(df, col, path, optional=True) if col in df.columns else ""
    df["upstream"] = _ids(df, "upstream", path, ids)
    df["downstream"] = _ids(df, "downstream", path, ids)
    graph = nx.DiGraph(list(zip(df["upstream"], df["downstream"], strict=True)))
    if not nx.is_directed_acyclic_graph(graph):
        cycle = [u for u, _ in nx.find_cycle(graph)]
        msg = f"rivers form a cycle: {' -> '.join([*cycle, cycle[0]])} (allowed: a DAG)"
        raise RegionError(path, "graph", msg)
    first = ["upstream", "downstream", "river", "note"]
    return df[first + [c for c in df.columns if c not in first]]


def _read_csv(path: Path, id_cols: tuple[str, ...]) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=dict.fromkeys(id_cols, str))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = f"cannot read CSV: {exc} (allowed: comma-separated UTF-8 with a header row)"
        raise RegionError(str(path), "file", msg) from exc


def _is_dir(path: Path) -> bool:
    """``path.is_dir()``, False also for a name the system refuses (too long, NUL byte)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _shown(path: Path | str, limit: int = 120) -> str:
    """A path for an error line: cut to ``limit`` characters (a 50 MB name gives one short line)."""
    text = str(path)
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


REGULATION, RIVER_FLOW, PM25_OBSERVED = "regulation.csv", "river_flow.csv", "pm25_observed.csv"
CHINA_GROWTH = "china_growth.csv"
ENV_TABLES: dict[str, dict[str, tuple[float, float]]] = {  # numeric columns and their allowed ranges
    REGULATION: {"start_year": (1990, 2100), "end_year": (1990, 2100), "intensity_change_per_year": (-1, 1)},
    RIVER_FLOW: {"mean_discharge_m3s": (0, 1e6)},
    PM25_OBSERVED: {"year": (1990, 2100), "pm25": (0, 1000)},
    CHINA_GROWTH: {"year": (1990, 2100), "gdp_real_growth": (-50, 50)},
}
ENV_TEXT = {
    REGULATION: ("policy", "pollutant", "scope_sector"),
    RIVER_FLOW: ("city",),
    PM25_OBSERVED: ("city",),
    CHINA_GROWTH: ("source",),
}


def _env_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The optional environment tables of a region folder, checked column by column."""
    out = {}
    for fname, numeric in ENV_TABLES.items():
        path = folder / fname
        if not path.is_file():
            continue
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise RegionError(str(path), "file", f"cannot read CSV: {exc}") from exc
        for col in (*ENV_TEXT[fname], *numeric):
            if col not in df.columns:
                raise RegionError(str(path), col, "required column is missing")
        for col in ENV_TEXT[fname]:
            df[col] = df[col].str.strip()
        for col, (lo, hi) in numeric.items():
            vals = pd.to_numeric(df[col].str.strip().replace("", "nan"), errors="coerce")
            bad = df[col].str.strip().ne("") & (vals.isna() | (vals < lo) | (vals > hi))
            if bad.any():
                raise RegionError(
                    str(path), col, f"{_rows(bad, df[col])}: allowed: number from {lo:g} to {hi:g}, or blank"
                )
            df[col] = vals
        out[fname] = df
    return out


def load_region(spec: str | Path) -> Region:
    """Load a region from a built-in name (a folder under ``regions/``) or a folder path."""
    builtin = BUILTIN_REGIONS_DIR / str(spec)
    is_name = isinstance(spec, str) and "/" not in spec and "\\" not in spec
    folder = builtin if is_name and _is_dir(builtin) else Path(spec)
    if not _is_dir(folder):
        names = sorted(p.name for p in BUILTIN_REGIONS_DIR.iterdir() if p.is_dir())
        msg = (f"region folder not found (allowed: a built-in name: {', '.join(names)}; "
               f"or a folder holding {', '.join(REQUIRED_FILES)})")  # fmt: skip
        raise RegionError(_shown(folder), "file", msg)
    frames: dict[str, pd.DataFrame | None] = {}
    for fname, cols in ID_COLUMNS.items():
        path = folder / fname
        if not path.is_file() and fname in REQUIRED_FILES:
            msg = f"required file is missing (allowed: a folder holding {', '.join(REQUIRED_FILES)})"
            raise RegionError(str(path), "file", msg)
        frames[fname] = _read_csv(path, cols) if path.is_file() else None
    paths = {f: str(folder / f) for f in ID_COLUMNS}
    region = _build(folder.name, frames, paths, folder)
    extra = _env_tables(folder)
    return dataclasses.replace(region, extra=extra, file_names=(*region.file_names, *extra))


def _great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise haversine distances in km."""
    p, q = np.radians(lat), np.radians(lon)
    h = (
        np.sin((p[:, None] - p[None, :]) / 2) ** 2
        + np.cos(p[:, None]) * np.cos(p[None, :]) * np.sin((q[:, None] - q[None, :]) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def synthetic_region(
    n_cities: int, seed: int, *, n_provinces: int = 3, radius: float | None = None
) -> Region:
    """A random but plausible region, reproducible from ``seed`` (numpy default_rng only).

    Cities are uniform in lon 110.5-118.5, lat 26.5-32.5. Pairs within ``radius`` km (default:
    mean degree about 5) get an expressway; nearest pairs between components are then joined
    until the network is connected; some longer links between big cities also get an HSR link.
    Rivers form a random spanning tree of those links draining to the most eastern city.
    """
    if n_cities < 1 or n_provinces < 1:
        raise ValueError("n_cities and n_provinces must be >= 1")
    rng, n, name = np.random.default_rng(seed), n_cities, f"synthetic-{n_cities}-{seed}"
    ids = [f"c{i:03d}" for i in range(n)]
    lon, lat = rng.uniform(110.5, 118.5, n).round(3), rng.uniform(26.5, 32.5, n).round(3)
    dist = _great_circle_km(lat, lon)
    if radius is None:
        area = 8 * 6 * 111.2**2 * math.cos(math.radians(29.5))
        radius = 1.05 * math.sqrt(5 * area / (math.pi * max(n - 1, 1)))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((i, j) for i in range(n) for j in range(i + 1, n) if dist[i, j] <= radius)
    while not nx.is_connected(graph):
        comp = sorted(min(nx.connected_components(graph), key=lambda c: (len(c), min(c))))
        rest = sorted(set(range(n)) - set(comp))
        sub = dist[np.ix_(comp, rest)]
        i, j = np.unravel_index(np.argmin(sub), sub.shape)
        graph.add_edge(comp[i], rest[j])
    pop = rng.lognormal(math.log(350), 0.55, n)
    cores = rng.choice(n, size=min(n, 1 if n < 16 else 2), replace=False)
    pop[cores] = rng.uniform(1000, 1400, len(cores))
    pop = np.maximum(pop, 20).round(2)
    size = (np.log(pop) - np.log(pop.min())) / max(np.ptp(np.log(pop)), 1e-9)
    band = np.minimum(((lon - 110.5) / (8 / n_provinces)).astype(int), n_provinces - 1)
    src = f"synthetic (seed={seed})"
    cities = pd.DataFrame({
        "id": ids, "name_zh": [f"城市{i}" for i in range(n)],
        "name_en": [f"City {i}" for i in range(n)],
        "province": [f"province_{b}" for b in band], "lat": lat, "lon": lon,
        "population_2020_10k": pop,
        "gdp_2019_100m_yuan": (pop * rng.lognormal(math.log(6), 0.3, n)).round(2),
        "secondary_share_2019": rng.uniform(0.3, 0.55, n).round(3),
        "area_km2": rng.uniform(2000, 20000, n).round(0), "source": src})  # fmt: skip
    students = (pop * (0.01 + 0.05 * size + rng.uniform(0, 0.02, n))).round(2)
    tertiary = np.clip(0.07 + 0.18 * size + rng.normal(0, 0.02, n), 0.07, 0.3).round(4)
    economy = pd.DataFrame({
        "id": ids, "college_students_10k": students,
        "universities": np.maximum(1, (students * rng.uniform(0.5, 1.0, n)).round(0)),
        "tertiary_educated_share_2020": tertiary,
        "industrial_firms_above_scale_2019": (pop * rng.uniform(1.0, 3.5, n)).round(0),
        "avg_wage_2019_yuan": (60000 + 35000 * size + rng.normal(0, 3000, n)).round(-2),
        "heavy_industry_flag": rng.choice(HEAVY_FLAGS, n), "source": src})  # fmt: skip
    environment = pd.DataFrame({
        "id": ids, "pm25_2019": rng.uniform(30, 55, n).round(0),
        "sewage_treatment_rate": rng.uniform(92, 99, n).round(1),
        "forest_cover": rng.uniform(10, 65, n).round(1), "source": src})  # fmt: skip
    edges = sorted(graph.edges)
    gc = np.array([dist[i, j] for i, j in edges])

    def link(i: int, j: int, mode: str, detour: float, kmh: float) -> tuple:
        km = max(1.0, round(dist[i, j] * detour, 1))
        line = f"synthetic {mode} {ids[i]}-{ids[j]}"
        return ids[i], ids[j], mode, line, km, round(km / kmh * 60, 1)

    rows = [link(i, j, "expressway", 1.25, 85) for i, j in edges]
    big, pick = pop >= np.median(pop), rng.random(len(edges)) < 0.7
    for k, (i, j) in enumerate(edges):
        if big[i] and big[j] and gc[k] >= np.median(gc) and pick[k]:
            rows.append(link(i, j, "hsr", 1.15, 250))
    links = pd.DataFrame(rows, columns=["a", "b", "mode", "line", "km", "time_min"])
    links["opened_year"], links["source"] = np.nan, src
    for (i, j), w in zip(edges, rng.random(len(edges)), strict=True):
        graph.edges[i, j]["w"] = w
    outlet = int(np.argmax(lon))
    tree = nx.minimum_spanning_tree(graph, weight="w")
    flow = sorted((ids[u], ids[d]) for d, u in nx.bfs_edges(tree, outlet))
    rivers = pd.DataFrame(flow, columns=["upstream", "downstream"])
    rivers["river"] = ["main stem" if d == ids[outlet] else "tributary" for d in rivers.downstream]
    rivers["note"] = f"synthetic drainage tree to outlet {ids[outlet]}"
    frames = dict(zip(ID_COLUMNS, (cities, links, rivers, economy, environment, None), strict=True))
    return _build(name, frames, {f: f"{name}/{f}" for f in frames})


def region_to_folder(region: Region, folder: Path) -> None:
    """Write the CSVs of ``region`` into ``folder`` so that load_region can read it back."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = dict.fromkeys([*ECON_NUM, "heavy_industry_flag"], ECONOMY)
    model.update(dict.fromkeys(ENV_NUM, ENVIRONMENT))
    model.update(dict.fromkeys(LAND_NUM, LAND))
    files = (CITIES, ECONOMY, ENVIRONMENT) + ((LAND,) if LAND in region.file_names else ())
    for fname in files:
        cols = {c: region.column_files.get(c, (model.get(c, CITIES), c)) for c in region.cities}
        keep = {c: orig for c, (f, orig) in cols.items() if f == fname}
        table = region.cities[list(keep)].rename(columns=keep).reset_index()
        table.to_csv(folder / fname, index=False)
    region.links.to_csv(folder / LINKS, index=False)
    region.rivers.to_csv(folder / RIVERS, index=False)
