"""Tests for simulation.region: loading, validation errors, synthetic regions, round trips."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# the project is not an installed package: make `simulation` importable under plain `pytest`
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from simulation.region import (  # noqa: E402
    BUILTIN_REGIONS_DIR,
    HEAVY_FLAGS,
    MODES,
    Region,
    RegionError,
    load_region,
    region_to_folder,
    synthetic_region,
)

CITY_COLUMNS = [
    "name_zh", "name_en", "province", "lat", "lon", "population_2020_10k",
    "gdp_2019_100m_yuan", "secondary_share_2019", "area_km2", "college_students_10k",
    "universities", "tertiary_educated_share_2020", "industrial_firms_above_scale_2019",
    "avg_wage_2019_yuan", "heavy_industry_flag", "pm25_2019", "sewage_treatment_rate",
    "forest_cover",
]  # fmt: skip
LINK_COLUMNS = ["a", "b", "mode", "line", "km", "time_min", "opened_year", "source"]


@pytest.fixture(scope="module")
def builtin() -> Region:
    return load_region("middle_yangtze")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the built-in region."""
    dest = tmp_path / "region"
    shutil.copytree(BUILTIN_REGIONS_DIR / "middle_yangtze", dest)
    return dest


def edit(folder: Path, fname: str, change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> None:
    """Read a CSV as text, apply change (in place or returning a new frame), write it back."""
    df = pd.read_csv(folder / fname, dtype=str, keep_default_na=False)
    out = change(df)
    (df if out is None else out).to_csv(folder / fname, index=False)


def set_cell(row: int, col: str, value: str) -> Callable[[pd.DataFrame], None]:
    def change(df: pd.DataFrame) -> None:
        df.loc[row, col] = value

    return change


def river_graph(region: Region) -> nx.DiGraph:
    return nx.DiGraph(list(zip(region.rivers.upstream, region.rivers.downstream, strict=True)))


def transport_graph(region: Region) -> nx.MultiGraph:
    graph = nx.MultiGraph()
    graph.add_nodes_from(region.city_ids())
    graph.add_edges_from(zip(region.links.a, region.links.b, strict=True))
    return graph


# --- the built-in region ---------------------------------------------------------------------


def test_builtin_cities(builtin: Region) -> None:
    assert builtin.name == "middle_yangtze"
    assert len(builtin.cities) == 31 and builtin.city_ids()[:2] == ["wuhan", "huangshi"]
    assert builtin.cities.index.name == "id" and builtin.cities.index.is_unique
    assert set(CITY_COLUMNS) <= set(builtin.cities.columns)
    assert {"source", "source_economy", "source_environment", "main_industries"} <= set(
        builtin.cities.columns
    )
    assert builtin.provinces == ["hubei", "hunan", "jiangxi"]
    assert set(builtin.cities.heavy_industry_flag) <= set(HEAVY_FLAGS)
    assert builtin.cities.loc["wuhan", "sewage_treatment_rate"] == 96.0
    assert builtin.cities.sewage_treatment_rate.isna().sum() == 30
    assert builtin.notes == ()
    assert set(builtin.files()) == {
        "cities.csv", "links.csv", "rivers.csv", "city_economy.csv", "city_environment.csv", "city_land.csv",
        "regulation.csv", "river_flow.csv", "pm25_observed.csv", "china_growth.csv",
    }  # fmt: skip
    assert all(p.is_file() for p in builtin.files().values())


def test_builtin_links_keep_parallel_edges(builtin: Region) -> None:
    links = builtin.links
    assert len(links) == 126 and list(links.columns[:8]) == LINK_COLUMNS
    assert links["mode"].value_counts().to_dict() == {
        "expressway": 62, "rail": 32, "hsr": 24, "intercity": 8
    }  # fmt: skip
    pair = links[["a", "b"]].apply(lambda r: tuple(sorted(r)), axis=1)
    counts = pair.value_counts()
    assert counts[("changsha", "zhuzhou")] == 5  # 2 hsr, intercity, rail, expressway
    assert counts[("wuhan", "xiaogan")] == 4  # hsr, intercity, rail (listed b-a), expressway
    assert counts.sum() == 126 and len(counts) == 68 and (counts > 1).sum() == 37
    assert links.time_min.isna().sum() == 2  # freight-only Haoji railway: no passenger time
    assert nx.is_connected(transport_graph(builtin))


def test_builtin_rivers_dag_single_outlet(builtin: Region) -> None:
    graph = river_graph(builtin)
    assert nx.is_directed_acyclic_graph(graph)
    assert [c for c in graph if graph.out_degree(c) == 0] == ["jiujiang"]
    assert set(graph) == set(builtin.city_ids())


def test_load_by_path_equals_by_name(builtin: Region) -> None:
    region = load_region(BUILTIN_REGIONS_DIR / "middle_yangtze")
    pd.testing.assert_frame_equal(region.cities, builtin.cities)
    pd.testing.assert_frame_equal(region.links, builtin.links)


def test_optional_files_missing_get_defaults(folder: Path) -> None:
    (folder / "city_economy.csv").unlink()
    (folder / "city_environment.csv").unlink()
    (folder / "city_land.csv").unlink()
    for name in ("regulation.csv", "river_flow.csv", "pm25_observed.csv", "china_growth.csv"):
        (folder / name).unlink()
    region = load_region(folder)
    assert region.regulation is None and region.river_flow is None and region.pm25_national is None
    assert region.china_growth is None
    assert set(CITY_COLUMNS) <= set(region.cities.columns)
    wuhan = region.cities.loc["wuhan"]
    assert wuhan.tertiary_educated_share_2020 == 0.12 and wuhan.heavy_industry_flag == "medium"
    assert wuhan.college_students_10k == pytest.approx(1232.65 * 0.015, abs=0.01)
    assert wuhan.pm25_2019 == 40 and wuhan.forest_cover == 40
    assert len(region.notes) == 2 and "city_economy.csv" in region.notes[0]
    assert set(region.files()) == {"cities.csv", "links.csv", "rivers.csv"}


def test_unknown_region_name() -> None:
    with pytest.raises(RegionError, match=r"no_such_region: file: region folder not found"):
        load_region("no_such_region")


# --- bad inputs ------------------------------------------------------------------------------


def drop_col(col: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df.drop(columns=[col])


def add_row(**values: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: pd.concat([df, pd.DataFrame([values])], ignore_index=True).fillna("")


def drop_city_links(city: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df[(df.a != city) & (df.b != city)]


def open_late(city: str) -> Callable[[pd.DataFrame], None]:
    def change(df: pd.DataFrame) -> None:
        df.loc[(df.a == city) | (df.b == city), "opened_year"] = "2022"

    return change


BAD = [  # (file, change, expected field, regex on the message)
    ("cities.csv", drop_col("area_km2"), "area_km2",
     r"missing column \(allowed: .*columns id, name_zh"),
    ("links.csv", drop_col("mode"), "mode", r"missing column \(allowed: .*columns a, b, mode"),
    ("rivers.csv", drop_col("upstream"), "upstream", r"missing column"),
    ("city_economy.csv", drop_col("universities"), "universities", r"missing column"),
    ("city_environment.csv", drop_col("pm25_2019"), "pm25_2019", r"missing column"),
    ("cities.csv", set_cell(1, "id", "wuhan"), "id", r"duplicate city id at row 2 \('wuhan'\)"),
    ("city_economy.csv", set_cell(3, "id", "wuhan"), "id", r"duplicate"),
    ("links.csv", set_cell(4, "a", "atlantis"), "a", r"unknown city id at row 5 \('atlantis'\)"),
    ("links.csv", set_cell(0, "b", "atlantis"), "b", r"unknown city id .*allowed: ids in"),
    ("rivers.csv", set_cell(2, "downstream", "shanghai"), "downstream", r"unknown city id"),
    ("city_economy.csv", set_cell(0, "id", "shenzhen"), "id", r"unknown city id"),
    ("city_environment.csv", lambda df: df.iloc[1:], "id", r"missing from this file: wuhan"),
    ("city_economy.csv", lambda df: df.iloc[:-1], "id", r"missing from this file: jian"),
    ("cities.csv", set_cell(0, "population_2020_10k", "many"), "population_2020_10k",
     r"non-numeric value at row 1 \('many'\) \(allowed: number > 0\)"),
    ("cities.csv", set_cell(2, "gdp_2019_100m_yuan", ""), "gdp_2019_100m_yuan",
     r"missing value at row 3 \(blank\)"),
    ("cities.csv", set_cell(0, "area_km2", "-5"), "area_km2", r"out of range.*number > 0"),
    ("cities.csv", set_cell(0, "population_2020_10k", "0"), "population_2020_10k", r"range"),
    ("cities.csv", set_cell(0, "secondary_share_2019", "1.5"), "secondary_share_2019",
     r"out of range .*allowed: number >= 0 and <= 1"),
    ("cities.csv", set_cell(0, "lat", "95"), "lat", r"allowed: number >= -90 and <= 90"),
    ("cities.csv", set_cell(0, "lon", "-200"), "lon", r"allowed: number >= -180 and <= 180"),
    ("cities.csv", set_cell(0, "province", ""), "province", r"missing value at row 1"),
    ("city_economy.csv", set_cell(0, "tertiary_educated_share_2020", "33.9"),
     "tertiary_educated_share_2020", r"out of range"),
    ("city_economy.csv", set_cell(0, "universities", "-1"), "universities", r"number >= 0"),
    ("city_economy.csv", set_cell(0, "avg_wage_2019_yuan", "lots"), "avg_wage_2019_yuan",
     r"non-numeric"),
    ("city_economy.csv", set_cell(0, "heavy_industry_flag", "extreme"), "heavy_industry_flag",
     r"unknown flag at row 1 \('extreme'\) \(allowed: low, medium, high\)"),
    ("city_environment.csv", set_cell(0, "pm25_2019", "-3"), "pm25_2019", r"out of range"),
    ("city_environment.csv", set_cell(0, "forest_cover", "120"), "forest_cover", r"<= 100"),
    ("city_environment.csv", set_cell(0, "sewage_treatment_rate", "x"),
     "sewage_treatment_rate", r"non-numeric.*or blank"),
    ("links.csv", set_cell(0, "km", "0"), "km", r"out of range at row 1"),
    ("links.csv", set_cell(0, "km", ""), "km", r"missing value"),
    ("links.csv", set_cell(3, "time_min", "-5"), "time_min", r"out of range at row 4"),
    ("links.csv", set_cell(0, "opened_year", "soon"), "opened_year", r"non-numeric"),
    ("links.csv", set_cell(0, "mode", "ferry"), "mode",
     r"unknown mode at row 1 \('ferry'\) \(allowed: hsr, intercity, rail, expressway\)"),
    ("links.csv", set_cell(5, "b", "changsha"), "b", r"link from a city to itself at row 6"),
    ("rivers.csv", add_row(upstream="jiujiang", downstream="yichang"), "graph",
     r"rivers form a cycle: .*jiujiang.*\(allowed: a DAG\)"),
    ("rivers.csv", add_row(upstream="wuhan", downstream="wuhan"), "graph", r"cycle: wuhan"),
    ("links.csv", drop_city_links("shangrao"), "graph",
     r"not connected: 2 components .*cut off from the main component: shangrao \(allowed"),
    ("links.csv", open_late("jian"), "graph", r"links open by 2019 is not connected.*: jian"),
]  # fmt: skip


@pytest.mark.parametrize(("fname", "change", "field", "pattern"), BAD)
def test_bad_input_raises(folder: Path, fname: str, change, field: str, pattern: str) -> None:
    edit(folder, fname, change)
    with pytest.raises(RegionError, match=rf"{fname}: {field}: .*{pattern}") as info:
        load_region(folder)
    err = info.value
    assert Path(err.file) == folder / fname and err.field == field
    assert "\n" not in str(err) and "allowed" in str(err)
    assert str(err) == f"{err.file}: {err.field}: {err.message}"


@pytest.mark.parametrize("fname", ["cities.csv", "links.csv", "rivers.csv"])
def test_missing_required_file(folder: Path, fname: str) -> None:
    (folder / fname).unlink()
    with pytest.raises(RegionError, match=rf"{fname}: file: required file is missing"):
        load_region(folder)


def test_unreadable_file(folder: Path) -> None:
    (folder / "rivers.csv").write_text("")
    with pytest.raises(RegionError, match=r"rivers.csv: file: cannot read CSV"):
        load_region(folder)


def test_parallel_duplicate_rows_are_kept(folder: Path) -> None:
    edit(folder, "links.csv", lambda df: pd.concat([df, df.iloc[[0]]], ignore_index=True))
    assert len(load_region(folder).links) == 127


# --- synthetic regions -----------------------------------------------------------------------


def test_synthetic_same_seed_identical() -> None:
    a, b = synthetic_region(31, 7), synthetic_region(31, 7)
    assert a.name == "synthetic-31-7" and a.source_dir is None and a.files() == {}
    for attr in ("cities", "links", "rivers"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr))


def test_synthetic_different_seeds_differ() -> None:
    a, b = synthetic_region(31, 1), synthetic_region(31, 2)
    assert not a.cities[["lat", "lon"]].equals(b.cities[["lat", "lon"]])
    assert not a.links[["a", "b"]].equals(b.links[["a", "b"]])


@pytest.mark.parametrize("n", [5, 31, 200])
def test_synthetic_shape(n: int) -> None:
    region = synthetic_region(n, 42)
    cities, links = region.cities, region.links
    assert region.city_ids() == [f"c{i:03d}" for i in range(n)]
    assert set(CITY_COLUMNS) <= set(cities.columns) and cities.loc["c000", "name_zh"] == "城市0"
    assert cities.lon.between(110.5, 118.5).all() and cities.lat.between(26.5, 32.5).all()
    assert nx.is_connected(transport_graph(region))
    assert set(links["mode"]) <= set(MODES) and links.opened_year.isna().all()
    assert (links.km > 0).all() and (links.time_min > 0).all()
    assert cities.tertiary_educated_share_2020.between(0.07, 0.3).all()
    assert cities.population_2020_10k.max() >= 1000
    assert len(region.provinces) <= 3
    if n >= 31:
        degree = 2 * (links["mode"] == "expressway").sum() / n
        assert 3.5 <= degree <= 7.5
        assert (links["mode"] == "hsr").any()
        hsr = links[links["mode"] == "hsr"]
        assert (hsr.km / hsr.time_min * 60).between(240, 260).all()
    rivers = river_graph(region)
    assert nx.is_directed_acyclic_graph(rivers) and len(region.rivers) == n - 1
    outlets = [c for c in rivers if rivers.out_degree(c) == 0]
    assert outlets == [cities.lon.idxmax()]


def test_synthetic_round_trip(tmp_path: Path) -> None:
    region = synthetic_region(40, 3, n_provinces=4)
    region_to_folder(region, tmp_path / "saved")
    again = load_region(tmp_path / "saved")
    assert again.name == "saved" and again.notes == () and len(again.files()) == 5
    for attr in ("cities", "links", "rivers"):
        pd.testing.assert_frame_equal(getattr(region, attr), getattr(again, attr))


def test_builtin_round_trip(builtin: Region, tmp_path: Path) -> None:
    region_to_folder(builtin, tmp_path / "copy")
    again = load_region(tmp_path / "copy")
    pd.testing.assert_frame_equal(builtin.cities, again.cities)
    pd.testing.assert_frame_equal(builtin.links, again.links)
    pd.testing.assert_frame_equal(builtin.rivers, again.rivers)


def test_synthetic_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        synthetic_region(0, 1)


@settings(max_examples=40, deadline=None)
@given(n_cities=st.integers(1, 80), seed=st.integers(0, 2**32 - 1))
def test_synthetic_always_valid(n_cities: int, seed: int) -> None:
    region = synthetic_region(n_cities, seed)  # runs the same validator as load_region
    assert len(region.cities) == n_cities and len(region.rivers) == n_cities - 1
    assert nx.is_connected(transport_graph(region))
    rivers = river_graph(region)
    if n_cities > 1:
        assert nx.is_directed_acyclic_graph(rivers)
        assert sum(rivers.out_degree(c) == 0 for c in rivers) == 1


@pytest.mark.parametrize(
    ("name", "column", "value", "field"),
    [
        ("regulation.csv", "intensity_change_per_year", "fast", "intensity_change_per_year"),
        ("regulation.csv", "start_year", "3000", "start_year"),
        ("river_flow.csv", "mean_discharge_m3s", "-5", "mean_discharge_m3s"),
        ("pm25_observed.csv", "pm25", "lots", "pm25"),
    ],
)
def test_bad_environment_tables_are_refused_naming_file_and_column(
    folder: Path, name, column, value, field
) -> None:
    path = folder / name
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, column] = value
    df.to_csv(path, index=False)
    with pytest.raises(RegionError) as err:
        load_region(folder)
    assert err.value.file == str(path) and err.value.field == field
