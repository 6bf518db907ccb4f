"""Build ``geography.json`` (province borders, lakes, rivers for the page's map) from public sources.

Not used at run time: the page reads the JSON this writes. Run it again only to change what is
shipped; it needs shapely and netCDF4, which the project does not depend on::

    uv run --with shapely --with netCDF4 python simulation/regions/middle_yangtze/geography_build.py \\
        DCW_NC NE_LAKES_GEOJSON NE_RIVERS_GEOJSON

Sources (see DATA_NOTES.md, section "geography.json"):

* DCW_NC: ``dcw-gmt.nc`` of DCW-GMT 2.1.1 (Debian package ``gmt-dcw``; the Digital Chart of the
  World, 1:1,000,000, with first-level units of China added by the GMT team): polygons CN.HB,
  CN.HN, CN.JX.
* NE_LAKES_GEOJSON, NE_RIVERS_GEOJSON: Natural Earth 4.0.0 ``ne_10m_lakes`` and
  ``ne_10m_rivers_lake_centerlines`` as GeoJSON (public domain).

Everything is clipped to the cities' bounding box plus ``MARGIN_DEG`` and simplified with
Douglas-Peucker (shapely's ``simplify``) at ``TOLERANCE_DEG``; coordinates are rounded to
``DECIMALS`` places. At the page's default map size one degree is about 90 px, so the tolerance
is about one and a half pixels; rounding moves a point by at most half a pixel.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import netCDF4
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon, box, shape

HERE = Path(__file__).resolve().parent
MARGIN_DEG = 1.2
TOLERANCE_DEG = 0.015
LAKE_TOLERANCE_DEG = 0.005
DECIMALS = 2
NEAR_DEG = 0.01  # two provinces' outlines closer than this are one shared border
MIN_LINE_DEG = 0.03  # drop border pieces shorter than this (slivers where outlines almost touch)
PROVINCES = {"hubei": "CNHB", "hunan": "CNHN", "jiangxi": "CNJX"}
# Natural Earth features kept: (NE name, bounds the feature must intersect) -> id. The unnamed
# NE lake at 112.77-113.07 E, 29.15-29.50 N is East Dongting Lake (东洞庭湖), beside Yueyang: it
# is kept as part of Dongting.
LAKES = {
    "dongting": ("洞庭湖", "Dongting Lake", [("Dongting Hu", None), (None, (112.77, 29.15, 113.07, 29.50))]),
    "poyang": ("鄱阳湖", "Poyang Lake", [("Poyang Hu", None)]),
    "liangzi": ("梁子湖", "Liangzi Lake", [("Liangzi Hu", None)]),
    "honghu": ("洪湖", "Hong Lake", [("Hong Hu", None)]),
}
RIVERS = {
    "yangtze": ("长江", "Yangtze", ["Chang Jiang", "Yangtze"]),
    "han": ("汉江", "Han", ["Han"]),
    "xiang": ("湘江", "Xiang", ["Xiang"]),
    "yuan": ("沅江", "Yuan", ["Yuan"]),
    "gan": ("赣江", "Gan", ["Gan"]),
}


def bbox_of_cities() -> tuple[float, float, float, float]:
    with open(HERE / "cities.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lon = [float(r["lon"]) for r in rows]
    lat = [float(r["lat"]) for r in rows]
    return (
        round(min(lon) - MARGIN_DEG, 1),
        round(min(lat) - MARGIN_DEG, 1),
        round(max(lon) + MARGIN_DEG, 1),
        round(max(lat) + MARGIN_DEG, 1),
    )


def dcw_polygon(ds: netCDF4.Dataset, code: str) -> shapely.Geometry:
    """A DCW-GMT unit as a polygon: lon = min + x / scale, 65535 separates rings."""
    axes = []
    for ax in ("lon", "lat"):
        v = ds.variables[f"{code}_{ax}"]
        v.set_auto_maskandscale(False)
        axes.append((np.asarray(v[:], np.int64), float(v.getncattr("min")), float(v.getncattr("scale"))))
    (x, x0, xs), (y, y0, ys) = axes
    rings, start = [], 0
    for end in [*np.flatnonzero(x == 65535), len(x)]:
        if end - start >= 3:
            rings.append(Polygon(np.c_[x0 + x[start:end] / xs, y0 + y[start:end] / ys]))
        start = end + 1
    return shapely.union_all(rings)


def _lines(geom) -> list[list[list[float]]]:
    """The line strings of a (multi)line geometry as rounded coordinate lists."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, LineString) and not g.is_empty]
    return [np.round(np.asarray(g.coords), DECIMALS).tolist() for g in parts if g.length >= MIN_LINE_DEG]


def _rings(geom) -> list[list[list[float]]]:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]
    return [np.round(np.asarray(g.exterior.coords), DECIMALS).tolist() for g in parts]


def borders(polys: dict[str, shapely.Geometry], frame) -> list[dict]:
    """Each province's outline cut into the pieces shared with another cluster province (kept once)
    and the pieces facing the rest of China (``between`` [id, null])."""
    out = []
    ids = list(polys)
    for i, a in enumerate(ids):
        outline = polys[a].boundary
        near = {b: polys[b].boundary.buffer(NEAR_DEG) for b in ids if b != a}
        for b in ids[i + 1 :]:
            shared = shapely.line_merge(outline.intersection(near[b]))
            lines = _lines(shared.intersection(frame).simplify(TOLERANCE_DEG))
            if lines:
                out.append({"between": [a, b], "lines": lines})
        outer = outline.difference(shapely.union_all(list(near.values())))
        outer = shapely.line_merge(outer.intersection(frame)).simplify(TOLERANCE_DEG)
        out.append({"between": [a, None], "lines": _lines(outer)})
    return out


def _ne_features(path: Path) -> list[dict]:
    return [f for f in json.loads(path.read_text(encoding="utf-8"))["features"] if f["geometry"]]


def lakes(path: Path, frame) -> list[dict]:
    feats = _ne_features(path)
    out = []
    for lid, (zh, en, picks) in LAKES.items():
        parts = []
        for name, bounds in picks:
            for f in feats:
                g = shape(f["geometry"])
                if f["properties"].get("name") != name:
                    continue
                if bounds is not None and not box(*bounds).contains(g.centroid):
                    continue
                parts.append(g)
        if not parts:
            raise SystemExit(f"{path}: lake {picks[0][0]!r} not found")
        g = shapely.union_all(parts).intersection(frame).simplify(LAKE_TOLERANCE_DEG)
        out.append({"id": lid, "name_zh": zh, "name_en": en, "rings": _rings(g)})
    return out


def rivers(path: Path, frame) -> list[dict]:
    feats = _ne_features(path)
    out = []
    for rid, (zh, en, names) in RIVERS.items():
        parts = [shape(f["geometry"]) for f in feats if f["properties"].get("name") in names]
        merged = shapely.line_merge(shapely.union_all(parts).intersection(frame))
        if isinstance(merged, LineString):
            merged = MultiLineString([merged])
        lines = _lines(merged.simplify(TOLERANCE_DEG))
        if not lines:
            raise SystemExit(f"{path}: river {names} not found inside {frame.bounds}")
        out.append({"id": rid, "name_zh": zh, "name_en": en, "lines": lines})
    return out


def build(dcw: Path, ne_lakes: Path, ne_rivers: Path) -> dict:
    bb = bbox_of_cities()
    frame = box(*bb)
    with netCDF4.Dataset(dcw) as ds:
        version = str(ds.getncattr("version"))
        raw = {pid: dcw_polygon(ds, code) for pid, code in PROVINCES.items()}
    provinces = {
        pid: _rings(shapely.make_valid(g.intersection(frame).simplify(TOLERANCE_DEG)))
        for pid, g in raw.items()
    }
    return {
        "about": "Province borders, lakes and rivers for the page's map; see DATA_NOTES.md (geography.json).",
        "sources": {
            "provinces": f"DCW-GMT {version} (dcw-gmt.nc, Debian package gmt-dcw): units "
            + ", ".join(f"{c[:2]}.{c[2:]}" for c in PROVINCES.values()),
            "lakes": "Natural Earth 4.0.0 ne_10m_lakes (public domain)",
            "rivers": "Natural Earth 4.0.0 ne_10m_rivers_lake_centerlines (public domain)",
        },
        "bbox": list(bb),
        "tolerance_deg": TOLERANCE_DEG,
        "decimals": DECIMALS,
        "provinces": provinces,
        "borders": borders(raw, frame),
        "lakes": lakes(ne_lakes, frame),
        "rivers": rivers(ne_rivers, frame),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    doc = build(*(Path(a) for a in argv))
    out = HERE / "geography.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
