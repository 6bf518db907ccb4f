"""The page's map without a browser: the shipped geography (borders, lakes, rivers where the cities
say they are), the SVG (geography at the right pixels, labels that never overlap at the default
size, difference colours by desirability, commuting flows from the runs' city-to-city commuters),
a city's own series and the geography file's checks. The map in Chromium: tests/e2e/test_map_e2e.py.
"""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.path import Path as MplPath

from simulation.config import load_config
from simulation.dashboard import results
from simulation.dashboard.figures import pm_colour
from simulation.dashboard.mapgeo import GeographyError, overlap, place_labels, region_geography
from simulation.dashboard.mapsvg import MAX_FLOWS, flow_pairs
from simulation.dashboard.mapview import city_series_svgs, commute_flows, map_figure
from simulation.dashboard.results import SideRun, commute_matrix, pair, run_side
from simulation.region import load_region

NS = {"s": "http://www.w3.org/2000/svg"}
REGION = "middle_yangtze"
YEARS = np.arange(2019, 2024)


@pytest.fixture(scope="module")
def cities() -> pd.DataFrame:
    return load_region(REGION).cities


@pytest.fixture(scope="module")
def geo():
    g = region_geography(REGION)
    assert g is not None, "the built-in region ships geography.json"
    return g


def _svg(text: str) -> ET.Element:
    return ET.fromstring(text)


def _points(d: str, first: bool = True) -> np.ndarray:
    """The vertices of the first sub-path (or of all) of an SVG path written by Frame.path."""
    part = d.split("M")[1] if first else d
    return np.array([[float(a), float(b)] for a, b in re.findall(r"(-?[\d.]+),(-?[\d.]+)", part)])


def _fill_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


# ---------------------------------------------------------------------------- the shipped geography
def test_the_region_ships_three_provinces_the_lakes_and_the_main_rivers(geo):
    assert set(geo.provinces) == {"hubei", "hunan", "jiangxi"}
    assert {"dongting", "poyang", "liangzi"} <= {lake.id for lake in geo.lakes}
    assert {"yangtze", "han", "xiang", "gan"} <= {r.id for r in geo.rivers}
    assert {b.b for b in geo.borders if b.a == "hubei"} >= {"hunan", "jiangxi", None}
    assert {lake.name_zh for lake in geo.lakes} >= {"洞庭湖", "鄱阳湖", "梁子湖"}
    assert all("DCW" in geo.sources["provinces"] or "Natural Earth" in v for v in geo.sources.values())
    size = (Path("simulation/regions") / REGION / "geography.json").stat().st_size
    assert size < 60_000  # simplified: a few tens of KB, not the sources' megabytes


def test_every_city_lies_inside_its_own_province(geo, cities):
    """Two independent sources agree: the cities' coordinates (cities.csv) and the DCW outlines."""
    found = {cid: geo.province_at(float(r.lon), float(r.lat)) for cid, r in cities.iterrows()}
    assert found == dict(cities["province"])


def test_the_lakes_lie_beside_the_cities_that_border_them(geo, cities):
    def centre(lake_id: str) -> np.ndarray:
        lake = next(lake for lake in geo.lakes if lake.id == lake_id)
        ring = max(lake.parts, key=len)
        return (ring.min(axis=0) + ring.max(axis=0)) / 2

    def km(p: np.ndarray, cid: str) -> float:
        lon, lat = float(cities.at[cid, "lon"]), float(cities.at[cid, "lat"])
        return float(np.hypot((p[0] - lon) * 96.0, (p[1] - lat) * 111.0))

    # Dongting between Yueyang, Yiyang and Changde; Poyang between Nanchang and Jiujiang;
    # Liangzi south of Wuhan and Ezhou (all within 100 km of those cities' seats)
    for lake, near in (("dongting", ("yueyang", "yiyang", "changde")), ("poyang", ("nanchang", "jiujiang")),
                       ("liangzi", ("wuhan", "ezhou"))):  # fmt: skip
        assert max(km(centre(lake), c) for c in near) < 100, lake
    assert geo.province_at(*centre("dongting")) == "hunan"
    assert geo.province_at(*centre("poyang")) == "jiangxi"
    assert geo.province_at(*centre("liangzi")) == "hubei"


def test_the_yangtze_passes_wuhan_and_jiujiang(geo, cities):
    yangtze = np.concatenate(next(r for r in geo.rivers if r.id == "yangtze").parts)
    for cid in ("wuhan", "jiujiang", "yueyang"):
        d = np.hypot(yangtze[:, 0] - cities.at[cid, "lon"], yangtze[:, 1] - cities.at[cid, "lat"]).min()
        assert d < 0.15, (cid, d)  # a vertex within ~15 km of the city seat


def test_a_broken_geography_file_names_the_file_and_the_field(tmp_path):
    doc = {"bbox": [110, 25, 119, 33], "provinces": {"hubei": [[[114, 30], [115, 30], [115, 31]]]}}
    (tmp_path / "geography.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(GeographyError, match=r"geography\.json: provinces\.hubei\[0\]: expected at least 4"):
        region_geography(str(tmp_path))
    other = tmp_path / "b"
    other.mkdir()
    (other / "geography.json").write_text('{"bbox": [1, 2]}', encoding="utf-8")
    with pytest.raises(GeographyError, match=r"bbox: expected \[lon0, lat0, lon1, lat1\]"):
        region_geography(str(other))
    assert region_geography(str(tmp_path / "none")) is None  # no file: a map without geography
    assert region_geography("synthetic:5") is None


# ---------------------------------------------------------------------------- a result for the map
def _side(seed: int, ids: list[str], pm: np.ndarray, gdp: np.ndarray, commute: np.ndarray | None) -> SideRun:
    n = len(YEARS)
    model = {"gdp": gdp.sum(axis=1), "air_quality": pm.mean(axis=1), "fiscal_cost": np.zeros(n)}
    city = {c: gdp for c in results.CITY_COLUMNS}
    city["air_quality"] = pm
    links = load_region(REGION).links
    edges = links[["a", "b", "mode", "line", "time_min"]].assign(highlight=False)
    return SideRun(seed, YEARS.copy(), model, tuple(ids), city, edges, 0.0, commute)


def planted_map(cities: pd.DataFrame, with_commute: bool = True, n_seeds: int = 6):
    """Every city's PM2.5 and GDP with seed noise; Wuhan's PM2.5 falls 10% and its GDP rises 5%,
    Changsha's PM2.5 rises 10%; Ezhou -> Wuhan commuting triples."""
    ids = list(cities.index)
    rng = np.random.default_rng(7)
    iw, ic, ie = ids.index("wuhan"), ids.index("changsha"), ids.index("ezhou")
    on = (np.arange(len(YEARS)) > 0)[:, None]
    base, scen = [], []
    for s in range(n_seeds):
        pm = 40 + rng.normal(0, 1, (len(YEARS), len(ids)))
        gdp = 1000 + 100 * np.arange(len(ids))[None, :] + rng.normal(0, 5, (len(YEARS), len(ids)))
        jitter = 1 + rng.normal(0, 0.004, (len(YEARS), len(ids)))  # noise: not significant
        pm_s, gdp_s = pm * jitter, gdp * jitter
        pm_s[:, iw] = pm[:, iw] * np.where(on[:, 0], 0.9, 1.0) * (1 + rng.normal(0, 0.002, len(YEARS)))
        pm_s[:, ic] = pm[:, ic] * np.where(on[:, 0], 1.1, 1.0) * (1 + rng.normal(0, 0.002, len(YEARS)))
        gdp_s[:, iw] = gdp[:, iw] * np.where(on[:, 0], 1.05, 1.0) * (1 + rng.normal(0, 0.002, len(YEARS)))
        cb = cs = None
        if with_commute:
            cb = np.zeros((len(ids), len(ids)))
            cb[ie, iw], cb[iw, ie], cb[ids.index("xiaogan"), iw] = 1000.0 + s, 100.0, 400.0
            cs = cb.copy()
            cs[ie, iw] = 3 * cb[ie, iw]
        base.append(_side(s, ids, pm, gdp, cb))
        scen.append(_side(s, ids, pm_s, gdp_s, cs))
    return pair(load_config(None), list(range(n_seeds)), 1.0, base, scen)


@pytest.fixture(scope="module")
def res(cities):
    return planted_map(cities)


def _nodes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-city"): g.find("s:circle[@class='mark']", NS)
            for g in root.iterfind(".//s:g[@class='tip-host'][@data-city]", NS)}  # fmt: skip


# ---------------------------------------------------------------------------- the SVG
def test_borders_lakes_and_rivers_are_drawn_where_the_cities_are(res, cities):
    root = _svg(map_figure(res, cities, REGION, "zh", "level", "gdp", flows=False))
    nodes = _nodes(root)
    paths = {(p.get("class"), p.get("data-province") or p.get("data-lake") or p.get("data-river")): p
             for p in root.iterfind(".//s:path", NS)}  # fmt: skip
    inside = (("hubei", "wuhan"), ("hunan", "changsha"), ("jiangxi", "nanchang"), ("hubei", "yichang"))
    for prov, cid in inside:
        outline = MplPath(_points(paths[("province", prov)].get("d")))
        c = nodes[cid]
        assert outline.contains_point((float(c.get("cx")), float(c.get("cy")))), (prov, cid)
    assert not MplPath(_points(paths[("province", "hubei")].get("d"))).contains_point(
        (float(nodes["changsha"].get("cx")), float(nodes["changsha"].get("cy")))
    )
    for lake in ("dongting", "poyang", "liangzi"):
        assert ("lake", lake) in paths
    river = _points(paths[("river", "yangtze")].get("d"), first=False)
    wx, wy, wr = (float(nodes["wuhan"].get(k)) for k in ("cx", "cy", "r"))
    assert np.hypot(river[:, 0] - wx, river[:, 1] - wy).min() < wr  # the Yangtze runs through Wuhan
    inner = [p for p in root.iterfind(".//s:path[@class='border']", NS) if p.get("data-b")]
    assert {(p.get("data-a"), p.get("data-b")) for p in inner} == {("hubei", "hunan"), ("hubei", "jiangxi"),
                                                                    ("hunan", "jiangxi")}  # fmt: skip
    assert all(p.get("stroke-dasharray") for p in inner)  # shared borders dashed


def _label_boxes(root: ET.Element) -> list[tuple[str, tuple[float, ...]]]:
    return [(t.text, tuple(float(v) for v in t.get("data-box").split(",")))
            for t in root.iterfind(".//s:text[@data-box]", NS)]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("which", ["diff", "level"])
def test_no_two_labels_overlap_at_the_default_size(res, cities, lang, which):
    root = _svg(map_figure(res, cities, REGION, lang, which, "gdp", flows=True, selected="wuhan"))
    boxes = _label_boxes(root)
    city_labels = root.findall(".//s:text[@class='city-label']", NS)
    assert len(city_labels) == 31
    for (na, a), (nb, b) in itertools.combinations(boxes, 2):
        assert overlap(a, b) == 0, (na, nb, a, b)
    nodes = _nodes(root)
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    for t in city_labels:
        x0, y0, x1, y1 = (float(v) for v in t.get("data-box").split(","))
        assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height - 62  # above the legend
        for cid, c in nodes.items():  # no label covers another city's node
            if cid == t.get("data-city"):
                continue
            cx, cy, r = (float(c.get(k)) for k in ("cx", "cy", "r"))
            dx, dy = max(x0 - cx, 0, cx - x1), max(y0 - cy, 0, cy - y1)
            assert dx * dx + dy * dy >= r * r - 1e-6, (t.text, cid)


def test_label_placement_is_deterministic_and_frees_a_crowd():
    nodes = [(300.0, 300.0, 6.0)] * 3 + [(300.0 + 4 * k, 302.0, 4.0) for k in range(9)]
    widths = [40.0] * len(nodes)
    a = place_labels(nodes, widths, 11.0, (0, 0, 600, 600))
    assert a == place_labels(nodes, widths, 11.0, (0, 0, 600, 600))
    for p, q in itertools.combinations(a, 2):
        assert overlap(p.box, q.box) == 0
    assert sum(lab.leader is not None for lab in a) >= 4  # moved away from a crowded node: a leader line
    wall = (0.0, 0.0, 600.0, 290.0)  # nothing may go above y = 290
    b = place_labels([(300.0, 300.0, 6.0)], [40.0], 11.0, (0, 0, 600, 600), [wall])
    assert overlap(b[0].box, wall) == 0


def test_difference_colours_follow_desirability(res, cities):
    nodes = _nodes(_svg(map_figure(res, cities, REGION, "en", "diff", "air_quality", flows=False)))
    r, g, _b = _fill_rgb(nodes["wuhan"].get("fill"))  # PM2.5 -10%: better
    assert g > r
    r, g, _b = _fill_rgb(nodes["changsha"].get("fill"))  # PM2.5 +10%: worse
    assert r > g
    eff = res.city_effects("air_quality")
    grey = [c for c in eff.index if not eff.at[c, "significant"]]
    assert len(grey) > 20 and all(nodes[c].get("fill") == "#d9d9d9" for c in grey)
    gdp = _nodes(_svg(map_figure(res, cities, REGION, "en", "diff", "gdp", flows=False)))
    r, g, _b = _fill_rgb(gdp["wuhan"].get("fill"))  # GDP +5%: better, green again
    assert g > r


def test_the_difference_legend_puts_better_on_the_right_with_its_sign(res, cities):
    root = _svg(map_figure(res, cities, REGION, "en", "diff", "air_quality", flows=False))
    lo = root.find(".//s:text[@class='diff-lo']", NS).text
    hi = root.find(".//s:text[@class='diff-hi']", NS).text
    assert lo.startswith("+") and "worse" in lo  # for PM2.5 a rise is worse
    assert "better" in hi and hi.endswith("%") and "-" in hi
    gdp = _svg(map_figure(res, cities, REGION, "en", "diff", "gdp", flows=False))
    assert gdp.find(".//s:text[@class='diff-lo']", NS).text.startswith("-")


def test_the_level_view_colours_pm25(res, cities):
    nodes = _nodes(_svg(map_figure(res, cities, REGION, "zh", "level", "gdp", flows=False)))
    pm = res.city_paths("air_quality")[1][:, -1].mean(0)
    i = res.city_ids.index("wuhan")
    assert nodes["wuhan"].get("fill") == pm_colour(float(pm[i]))


def test_commuting_flows_are_drawn_between_the_cities_with_their_commuters(res, cities):
    root = _svg(map_figure(res, cities, REGION, "en", "diff", "gdp", flows=True))
    flows = {(p.get("data-a"), p.get("data-b")): p for p in root.iterfind(".//s:path[@class='flow']", NS)}
    assert set(flows) == {("wuhan", "ezhou"), ("wuhan", "xiaogan")}
    base, scen = res.commute_means()
    ids = list(res.city_ids)
    iw, ie = ids.index("wuhan"), ids.index("ezhou")
    we = flows[("wuhan", "ezhou")]
    assert float(we.get("data-commuters")) == pytest.approx(scen[ie, iw] + scen[iw, ie], abs=0.5)
    assert float(we.get("data-base")) == pytest.approx(base[ie, iw] + base[iw, ie], abs=0.5)
    assert float(we.get("stroke-width")) > float(flows[("wuhan", "xiaogan")].get("stroke-width"))
    assert root.find(".//s:path[@class='flow']", NS) is not None
    off = _svg(map_figure(res, cities, REGION, "en", "diff", "gdp", flows=False))
    assert off.find(".//s:path[@class='flow']", NS) is None


def test_no_flows_without_city_to_city_commuters(cities):
    bare = planted_map(cities, with_commute=False, n_seeds=3)
    assert bare.commute_means() is None and commute_flows(bare) is None
    root = _svg(map_figure(bare, cities, REGION, "en", "diff", "gdp", flows=True))
    assert root.find(".//s:path[@class='flow']", NS) is None


def test_flow_pairs_add_both_directions_and_keep_the_largest():
    ids = [f"c{i}" for i in range(60)]
    m = np.zeros((60, 60))
    m[1, 0], m[0, 1], m[2, 3] = 5.0, 2.0, 1.0
    m[np.triu_indices(60, 5)] = 0.5
    f = flow_pairs(ids, m, m * 2)
    assert (f.iloc[0]["a"], f.iloc[0]["b"], f.iloc[0]["scen"], f.iloc[0]["base"]) == ("c0", "c1", 14.0, 7.0)
    assert len(f) > MAX_FLOWS  # the SVG draws only the largest MAX_FLOWS of them


def test_commute_matrix_reads_the_flows_table():
    flows = pd.DataFrame({"year": [2022, 2023, 2023, 2023], "kind": ["commute", "commute", "commute", "move"],
                          "origin": ["a", "a", "b", "a"], "destination": ["b", "b", "a", "b"],
                          "count": [9.0, 3.0, 2.0, 50.0]})  # fmt: skip
    assert commute_matrix(flows, ("a", "b"), 2023).tolist() == [[0.0, 3.0], [2.0, 0.0]]


def test_a_runs_commuting_matrix_adds_up_to_its_commuter_columns():
    cfg = load_config(Path("configs/scenarios/city_circle.toml"),
                      ["scale.talent_agents=2000", "scale.firm_agents=300", "run.end_year=2021"])  # fmt: skip
    run = run_side(cfg, 3)
    assert run.commute is not None and run.commute.sum() > 0
    assert np.allclose(run.commute.sum(axis=1), run.cities["commuters_out"][-1])
    assert np.allclose(run.commute.sum(axis=0), run.cities["commuters_in"][-1])
    assert np.trace(run.commute) == 0


# ---------------------------------------------------------------------------- a city's own series
def test_a_city_series_shows_that_citys_change(res):
    svgs = city_series_svgs(res, "wuhan", "en")
    metrics = [re.search(r'data-metric="([^"]+)"', s).group(1) for s in svgs]
    assert metrics[:2] == ["city:gdp", "city:air_quality"] and "city:commuters_in" in metrics
    pm = svgs[metrics.index("city:air_quality")]
    assert float(re.search(r'data-max-diff-pct="([^"]+)"', pm).group(1)) == pytest.approx(10.0, abs=0.5)
    assert 'data-kind="good"' in pm  # PM2.5 down: green bars
    other = city_series_svgs(res, "changsha", "en")[1]
    assert 'data-kind="bad"' in other


def test_the_picked_city_is_ringed(res, cities):
    root = _svg(map_figure(res, cities, REGION, "zh", "diff", "gdp", flows=False, selected="jiujiang"))
    rings = root.findall(".//s:circle[@class='selected-ring']", NS)
    assert [r.get("data-city") for r in rings] == ["jiujiang"]
