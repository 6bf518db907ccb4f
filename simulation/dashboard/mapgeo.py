"""What the page's map draws besides the cities: the region's geography and the label layout.

* :func:`region_geography` reads ``geography.json`` from a region folder (province borders, lakes,
  rivers as lon/lat polylines; the built-in region ships one, see its DATA_NOTES.md). A region
  without that file has no geography: the map then shows only cities and links.
* :class:`Frame` projects lon/lat to the SVG's pixels (equirectangular, longitudes shrunk by the
  cosine of the mean latitude), the same for the cities and for the geography.
* :func:`place_labels` puts each label where it overlaps no other label, no other city's node and
  no reserved box (the legend), trying positions ever further from its node; a label set apart from
  its node gets a leader line. Deterministic: the same inputs give the same layout.

No Solara import and no plotting library: tests call these directly.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.path import Path as MplPath

GEOGRAPHY_FILE = "geography.json"
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (pixels, y down)


class GeographyError(ValueError):
    """A geography file that cannot be read: ``'<file>: <field>: <problem>'``."""

    def __init__(self, path: str, where: str, problem: str) -> None:
        super().__init__(f"{path}: {where}: {problem}")


@dataclass(frozen=True)
class Feature:
    """A named lake (``parts`` = rings) or river (``parts`` = polylines): arrays (k, 2) of lon, lat."""

    id: str
    name_zh: str
    name_en: str
    parts: tuple[np.ndarray, ...]

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class Border:
    """Pieces of a province's outline: shared with province ``b``, or facing outside (``b`` None)."""

    a: str
    b: str | None
    lines: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Geography:
    bbox: tuple[float, float, float, float]  # lon0, lat0, lon1, lat1 the data is clipped to
    sources: dict[str, str]
    provinces: dict[str, tuple[np.ndarray, ...]]  # province id -> outer rings (lon, lat)
    borders: tuple[Border, ...]
    lakes: tuple[Feature, ...]
    rivers: tuple[Feature, ...]

    def province_at(self, lon: float, lat: float) -> str | None:
        """The province whose (simplified) outline contains the point, if any."""
        for pid, rings in self.provinces.items():
            if any(MplPath(r).contains_point((lon, lat)) for r in rings):
                return pid
        return None


def _coords(value, path: str, where: str, closed: bool) -> np.ndarray:
    try:
        a = np.asarray(value, float)
    except (TypeError, ValueError):
        raise GeographyError(path, where, "not a list of [lon, lat] pairs") from None
    if a.ndim != 2 or a.shape[1] != 2 or len(a) < (4 if closed else 2) or not np.isfinite(a).all():
        need = "at least 4 [lon, lat] pairs (a closed ring)" if closed else "at least 2 [lon, lat] pairs"
        raise GeographyError(path, where, f"expected {need}")
    if (np.abs(a[:, 0]) > 180).any() or (np.abs(a[:, 1]) > 90).any():
        raise GeographyError(path, where, "coordinates outside lon -180..180, lat -90..90")
    return a


def _features(doc: dict, key: str, path: str, closed: bool) -> tuple[Feature, ...]:
    out = []
    part_key = "rings" if closed else "lines"
    for i, f in enumerate(doc.get(key, [])):
        where = f"{key}[{i}]"
        if not isinstance(f, dict) or not all(
            isinstance(f.get(k), str) for k in ("id", "name_zh", "name_en")
        ):
            raise GeographyError(path, where, "needs string fields id, name_zh, name_en")
        parts = tuple(
            _coords(p, path, f"{where}.{part_key}[{j}]", closed) for j, p in enumerate(f.get(part_key, []))
        )
        out.append(Feature(f["id"], f["name_zh"], f["name_en"], parts))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def load_geography(path: str) -> Geography:
    """Read and check a geography file (see ``regions/middle_yangtze/geography_build.py``)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GeographyError(path, "file", f"cannot be read as JSON ({e})") from None
    if not isinstance(doc, dict):
        raise GeographyError(path, "file", "expected a JSON object")
    bbox = doc.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) == 4 and bbox[0] < bbox[2] and bbox[1] < bbox[3]):
        raise GeographyError(path, "bbox", "expected [lon0, lat0, lon1, lat1] with lon0 < lon1, lat0 < lat1")
    provinces = {
        str(pid): tuple(_coords(r, path, f"provinces.{pid}[{j}]", True) for j, r in enumerate(rings))
        for pid, rings in dict(doc.get("provinces", {})).items()
    }
    borders = []
    for i, b in enumerate(doc.get("borders", [])):
        pair = b.get("between") if isinstance(b, dict) else None
        if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in provinces):
            raise GeographyError(path, f"borders[{i}].between", "expected [province id, province id or null]")
        lines = tuple(_coords(ln, path, f"borders[{i}].lines[{j}]", False) for j, ln in enumerate(b["lines"]))
        borders.append(Border(pair[0], pair[1], lines))
    return Geography(
        tuple(float(v) for v in bbox),
        {str(k): str(v) for k, v in dict(doc.get("sources", {})).items()},
        provinces,
        tuple(borders),
        _features(doc, "lakes", path, True),
        _features(doc, "rivers", path, False),
    )


def region_geography(spec: str) -> Geography | None:
    """The geography of a region (a built-in name or a folder), or None if it ships none."""
    from simulation.region import BUILTIN_REGIONS_DIR

    spec = str(spec)
    if spec.startswith("synthetic:"):
        return None
    builtin = BUILTIN_REGIONS_DIR / spec
    folder = builtin if "/" not in spec and "\\" not in spec and builtin.is_dir() else Path(spec)
    path = folder / GEOGRAPHY_FILE
    return load_geography(str(path)) if path.is_file() else None


# ---------------------------------------------------------------------------- projection
@dataclass(frozen=True)
class Frame:
    """lon/lat -> SVG pixels for a ``width`` x ``height`` map whose cities fill the box inside the pads."""

    lon0: float
    lat1: float
    kx: float
    scale: float
    pad_l: float
    pad_t: float
    width: int
    height: int

    @classmethod
    def fit(
        cls,
        lon: np.ndarray,
        lat: np.ndarray,
        width: int,
        height: int,
        pads: tuple[float, float, float, float],
    ) -> Frame:
        """Fit the points to the view box less ``pads`` (left, right, top, bottom)."""
        pad_l, pad_r, pad_t, pad_b = pads
        kx = math.cos(math.radians(float(np.mean(lat))))
        span_x = max(float(np.ptp(lon)) * kx, 1e-6)
        span_y = max(float(np.ptp(lat)), 1e-6)
        s = min((width - pad_l - pad_r) / span_x, (height - pad_t - pad_b) / span_y)
        return cls(float(np.min(lon)), float(np.max(lat)), kx, s, pad_l, pad_t, width, height)

    def xy(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x = self.pad_l + (np.asarray(lon, float) - self.lon0) * self.kx * self.scale
        y = self.pad_t + (self.lat1 - np.asarray(lat, float)) * self.scale
        return x, y

    def path(self, coords: np.ndarray, closed: bool = False) -> str:
        """SVG path data of a lon/lat polyline (or ring), one decimal, repeated points dropped."""
        x, y = self.xy(coords[:, 0], coords[:, 1])
        pts = np.round(np.c_[x, y], 1)
        keep = np.r_[True, (np.diff(pts, axis=0) != 0).any(axis=1)]
        pts = pts[keep]
        body = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        return f"M{body}{' Z' if closed else ''}"


# ---------------------------------------------------------------------------- labels
@dataclass(frozen=True)
class Label:
    x: float  # text anchor point
    y: float  # baseline
    anchor: str  # start, middle, end
    box: Box
    leader: tuple[float, float, float, float] | None  # from the node's edge to the box


LABEL_GAPS = (2.0, 9.0, 18.0, 30.0, 44.0)  # distance from the node's edge, nearest first
# directions tried at each distance: right, left, up, down, then the diagonals
DIRECTIONS = ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1))


def overlap(a: Box, b: Box) -> float:
    """Area shared by two boxes (0 if they only touch)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _candidate(x, y, r, w, h, size, gap, dx, dy) -> Label:
    d = r + gap
    n = math.hypot(dx, dy)
    px, py = x + d * dx / n, y + d * dy / n
    x0 = px if dx > 0 else px - w if dx < 0 else px - w / 2
    y0 = py if dy > 0 else py - h if dy < 0 else py - h / 2
    box = (x0, y0, x0 + w, y0 + h)
    baseline = y0 + h - 0.28 * size  # the box spans ascent and descent of the font
    leader = None
    if gap > LABEL_GAPS[0]:  # from the node's edge toward the nearest point of the box
        nx, ny = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
        dist = math.hypot(nx - x, ny - y) or 1.0
        leader = (x + (nx - x) / dist * r, y + (ny - y) / dist * r, nx, ny)
    # anchored on the side facing the node: a misjudged text width grows away from it
    if dx > 0:
        return Label(x0, baseline, "start", box, leader)
    if dx < 0:
        return Label(x0 + w, baseline, "end", box, leader)
    return Label(x0 + w / 2, baseline, "middle", box, leader)


def place_labels(
    nodes: Sequence[tuple[float, float, float]],
    widths: Sequence[float],
    size: float,
    bounds: Box,
    reserved: Sequence[Box] = (),
) -> list[Label]:
    """One label per node (x, y, r), in the given order (earlier nodes get the nearer places).

    Each label takes the first position, nearest distance first and in the order of
    :data:`DIRECTIONS`, whose box lies inside ``bounds`` and overlaps no label placed before, no
    other node and no ``reserved`` box; if none is free, the position that overlaps least.
    """
    h = size * 1.2
    node_boxes = [(x - r, y - r, x + r, y + r) for x, y, r in nodes]
    placed: list[Box] = []
    out = []
    for i, ((x, y, r), w) in enumerate(zip(nodes, widths, strict=True)):
        others = [b for j, b in enumerate(node_boxes) if j != i]
        best, best_bad = None, math.inf
        for gap in LABEL_GAPS:
            for dx, dy in DIRECTIONS:
                cand = _candidate(x, y, r, w, h, size, gap, dx, dy)
                b = cand.box
                outside = max(0.0, bounds[0] - b[0]) + max(0.0, b[2] - bounds[2])
                outside += max(0.0, bounds[1] - b[1]) + max(0.0, b[3] - bounds[3])
                bad = outside * 1e3 + sum(overlap(b, o) for o in (*placed, *others, *reserved))
                if bad < best_bad:
                    best, best_bad = cand, bad
                if bad == 0:
                    break
            if best_bad == 0:
                break
        assert best is not None
        placed.append(best.box)
        out.append(best)
    return out
