"""Tests for simulation.panel: the shipped observed panel, refused corruptions, coverage counts."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

# the project is not an installed package: make `simulation` importable under plain `pytest`
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from simulation.panel import COLUMNS, KEY, KINDS, PANEL, REVISIONS, coverage, load_panel  # noqa: E402
from simulation.region import BUILTIN_REGIONS_DIR, RegionError  # noqa: E402

REGION = BUILTIN_REGIONS_DIR / "middle_yangtze"


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return load_panel(REGION)


def _copy(tmp_path: Path) -> Path:
    """A region folder holding the real cities.csv and a copy of the shipped panel."""
    folder = tmp_path / "region"
    folder.mkdir()
    shutil.copy(REGION / "cities.csv", folder / "cities.csv")
    shutil.copy(REGION / PANEL, folder / PANEL)
    return folder


def _corrupt(folder: Path, row: int, column: str, value: str) -> None:
    df = pd.read_csv(folder / PANEL, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(folder / PANEL, index=False)


def test_shipped_panel_loads_with_source_and_kind(shipped: pd.DataFrame) -> None:
    assert tuple(shipped.columns) == COLUMNS
    assert len(shipped) > 100
    assert shipped["source"].str.len().gt(0).all()
    assert shipped["kind"].isin(KINDS).all() and shipped["revision"].isin(REVISIONS).all()
    assert not shipped.duplicated(KEY).any()
    assert shipped["year"].between(2015, 2023).all()


def test_shipped_panel_has_the_2020_shock(shipped: pd.DataFrame) -> None:
    growth = shipped[(shipped.series == "gdp_real_growth") & (shipped.year == 2020)]
    by_scope = growth.set_index("scope")["value"]
    assert by_scope["hubei"] == -5.0 and by_scope["hunan"] == 3.8 and by_scope["jiangxi"] == 3.8


def test_estimates_state_their_arithmetic(shipped: pd.DataFrame) -> None:
    estimates = shipped[shipped.kind == "estimate"]
    assert len(estimates) > 0 and estimates["note"].str.len().gt(10).all()


@pytest.mark.parametrize(
    ("column", "value", "field", "allowed"),
    [
        ("kind", "guess", "kind", "official"),
        ("scope", "atlantis", "scope", "wuhan"),
        ("source", "", "source", "non-empty text"),
        ("source", "a bulletin I once read", "source", "a URL"),
        ("revision", "latest", "revision", "first"),
        ("year", "2031", "year", "2015 to 2023"),
        ("unit", "yuan", "unit", "gdp in 100m_yuan"),
        ("value", "lots", "value", "gdp 0 to"),
        ("series", "gpd", "series", "gdp_real_growth"),
    ],
)
def test_corrupted_copy_is_refused(tmp_path: Path, column: str, value: str, field: str, allowed: str) -> None:
    folder = _copy(tmp_path)
    _corrupt(folder, 0, column, value)  # row 0 is a gdp row (the file is sorted by series)
    with pytest.raises(RegionError) as err:
        load_panel(folder)
    text = str(err.value)
    assert err.value.field == field and text.startswith(str(folder / PANEL))
    assert "row 1" in text and allowed in text


def test_duplicate_key_and_missing_note_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    df = pd.read_csv(folder / PANEL, dtype=str, keep_default_na=False)
    pd.concat([df, df.iloc[[0]]]).to_csv(folder / PANEL, index=False)
    with pytest.raises(RegionError, match=r"duplicate scope/year/series/revision at row 1 "):
        load_panel(folder)
    estimate = int(df.index[df.kind == "estimate"][0])
    df.loc[estimate, "note"] = ""
    df.to_csv(folder / PANEL, index=False)
    with pytest.raises(RegionError, match=rf"note: .* row {estimate + 1} "):
        load_panel(folder)


def test_bad_header_and_missing_file_are_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    df = pd.read_csv(folder / PANEL, dtype=str)
    df.rename(columns={"kind": "status"}).to_csv(folder / PANEL, index=False)
    with pytest.raises(RegionError, match=r"columns: header is .*status.* \(allowed: exactly scope, year"):
        load_panel(folder)
    (folder / PANEL).unlink()
    with pytest.raises(RegionError, match=r"file: panel file is missing"):
        load_panel(folder)


def _planted(tmp_path: Path) -> pd.DataFrame:
    """Two cities, a province and china: cells counted by hand in the coverage test."""
    folder = tmp_path / "small"
    folder.mkdir()
    pd.DataFrame({"id": ["aa", "bb"]}).to_csv(folder / "cities.csv", index=False)
    row = {"unit": "100m_yuan", "source": "http://example.org/x", "kind": "official", "note": ""}
    rows = [
        {"scope": "aa", "year": 2019, "series": "gdp", "value": 10, "revision": "first"},
        {"scope": "aa", "year": 2019, "series": "gdp", "value": 11, "revision": "revised"},  # same cell
        {"scope": "aa", "year": 2020, "series": "gdp", "value": 12, "revision": "first"},
        {"scope": "bb", "year": 2015, "series": "gdp", "value": 5, "revision": "unknown"},
        {"scope": "hunan", "year": 2021, "series": "gdp", "value": 99, "revision": "first"},
        {"scope": "bb", "year": 2020, "series": "population_census", "value": 3, "revision": "first",
         "unit": "10k_persons"},
        {"scope": "china", "year": 2020, "series": "pm25", "value": 33, "revision": "first",
         "unit": "ug_m3"},
    ]  # fmt: skip
    pd.DataFrame([{**row, **r} for r in rows])[list(COLUMNS)].to_csv(folder / PANEL, index=False)
    return load_panel(folder)


def test_coverage_matches_a_hand_count(tmp_path: Path) -> None:
    panel = _planted(tmp_path)
    cov = coverage(panel, n_cities=2).set_index(["series", "level"])
    assert tuple(cov.loc[("gdp", "city"), ["filled", "wanted"]]) == (3, 18)  # aa 2019, aa 2020, bb 2015
    assert tuple(cov.loc[("gdp", "province"), ["filled", "wanted"]]) == (1, 27)
    assert tuple(cov.loc[("population_census", "city"), ["filled", "wanted"]]) == (1, 2)
    assert tuple(cov.loc[("pm25", "nation"), ["filled", "wanted"]]) == (1, 9)
    assert cov.loc[("pm25", "city"), "filled"] == 0
    window = coverage(panel, n_cities=2, first=2019, last=2020).set_index(["series", "level"])
    assert tuple(window.loc[("gdp", "city"), ["filled", "wanted"]]) == (2, 4)
    assert window.loc[("gdp", "city"), "share"] == 0.5
    outside = coverage(panel, n_cities=2, first=2021, last=2023).set_index(["series", "level"])
    assert outside.loc[("population_census", "city"), "wanted"] == 0
    assert pd.isna(outside.loc[("population_census", "city"), "share"])
