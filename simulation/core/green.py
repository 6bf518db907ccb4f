"""Green indicators: gross ecosystem product (GEP) and a green-development index, per city.

GEP follows the equivalent-factor method of Xie Gaodi et al. (2015): each hectare of an ecosystem
type yields a fixed number of "standard equivalents" of each of 11 services, and one standard
equivalent is the net profit of grain per hectare of farmland (3,406.5 yuan/hm² at 2010 prices).
The services are grouped as GEP accounting groups them (Ouyang et al. 2020; Pema Dolkar et al.
2017): provisioning, regulating and cultural count, and supporting services are left out as
intermediate. Each city's land is its observed forest cover, assumed shares of water and wetland,
its built-up land, and cropland and grassland for the rest.
Built-up land yields nothing, so built land spreading over ecosystem land lowers GEP. The
purification service is scaled by air quality (PM2.5) on land and by water quality on water and
wetland.

The green-development index follows the six categories and weights of China's 2016 Green
Development Indicator System (绿色发展指标体系), restricted to the indicators the model has. Each
indicator scores 80 at its base-year reference and moves 10 points per doubling (or halving) of
the ratio to it, inside the official individual-index range of 60 to 100.

See docs/green.md for the sources, the ranges and what is judgement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

SERVICES = (
    "food", "raw_materials", "water_supply",
    "gas_regulation", "climate_regulation", "purification", "hydrological_regulation",
    "soil_conservation", "nutrient_cycling", "biodiversity",
    "aesthetic",
)  # fmt: skip
"""The 11 services of Xie et al. (2015), in the order of their table."""

GEP_CATEGORY = {
    "food": "provisioning", "raw_materials": "provisioning", "water_supply": "provisioning",
    "gas_regulation": "regulating", "climate_regulation": "regulating", "purification": "regulating",
    "hydrological_regulation": "regulating", "soil_conservation": "regulating",
    "nutrient_cycling": "supporting", "biodiversity": "supporting",
    "aesthetic": "cultural",
}  # fmt: skip
"""Service -> GEP category. Soil conservation is regulating in GEP accounting (Pema Dolkar et al. 2017)."""

EQUIVALENTS: dict[str, tuple[float, ...]] = {
    "broadleaf_forest": (0.29, 0.66, 0.34, 2.17, 6.50, 1.93, 4.74, 2.65, 0.20, 2.41, 1.06),
    "mixed_forest": (0.31, 0.71, 0.37, 2.35, 7.03, 1.99, 3.51, 2.86, 0.22, 2.60, 1.14),
    "shrub": (0.19, 0.43, 0.22, 1.41, 4.23, 1.28, 3.35, 1.72, 0.13, 1.57, 0.69),
    "paddy": (1.36, 0.09, -2.63, 1.11, 0.57, 0.17, 2.72, 0.01, 0.19, 0.21, 0.09),
    "shrub_grass": (0.38, 0.56, 0.31, 1.97, 5.21, 1.72, 3.82, 2.40, 0.18, 2.18, 0.96),
    "wetland": (0.51, 0.50, 2.59, 1.90, 3.60, 3.60, 24.23, 2.31, 0.18, 7.87, 4.73),
    "water": (0.80, 0.23, 8.29, 0.77, 2.29, 5.55, 102.24, 0.93, 0.07, 2.55, 1.89),
    "desert": (0.01, 0.03, 0.02, 0.11, 0.10, 0.31, 0.21, 0.13, 0.01, 0.12, 0.05),
}
"""Standard equivalents per hectare (Xie et al. 2015, as reproduced by Luo & Yan 2018, Zhang et al.
2020 and Zhao et al. 2020; see docs/green.md). Built-up land is 0 for every service."""

GEP_CATEGORIES = ("provisioning", "regulating", "cultural", "supporting")
LAND_TYPES = ("forest", "cropland", "grassland", "wetland", "water")
HA_PER_KM2 = 100.0
_PURIFY = SERVICES.index("purification")
_AIR_LAND = ("forest", "cropland", "grassland")  # purification on land is mostly air; on water, water


@dataclass(frozen=True)
class GepCoefficients:
    """Unit values and responses of the GEP account.

    forest ... water: standard equivalents per hm² for each of the 11 SERVICES.
    standard_equivalent: yuan per hm² of one equivalent at `price_year_factor`'s base (2010 prices).
    price_year_factor: consumer prices 2019 / 2010, so that unit values are in 2019 yuan.
    water_share, wetland_share: shares of the city's area under water and wetland.
    grass_share: share of grassland in the land that is neither forest, water, wetland nor built.
    air_response, water_response: semi-elasticities of the purification service to air quality
        (PM2.5 relative to `pm25_reference`) and to the water concentration index.
    include_supporting: add nutrient cycling and biodiversity to the total (ESV-style) if True.
    """

    forest: tuple[float, ...]
    cropland: tuple[float, ...]
    grassland: tuple[float, ...]
    wetland: tuple[float, ...]
    water: tuple[float, ...]
    standard_equivalent: float = 3406.5
    price_year_factor: float = 1.22
    water_share: float = 0.08
    wetland_share: float = 0.02
    grass_share: float = 0.10
    air_response: float = 0.5
    water_response: float = 0.5
    pm25_reference: float = 35.0
    include_supporting: bool = False

    def __post_init__(self) -> None:
        for name in LAND_TYPES:
            if len(getattr(self, name)) != len(SERVICES):
                raise ValueError(f"GepCoefficients.{name}: needs {len(SERVICES)} values, one per service")
        for name in ("water_share", "wetland_share", "grass_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"GepCoefficients.{name}: must be in [0, 1]")
        if self.water_share + self.wetland_share > 1.0:
            raise ValueError("GepCoefficients.water_share + wetland_share: must be <= 1")
        for name in ("standard_equivalent", "price_year_factor", "pm25_reference"):
            if not getattr(self, name) > 0:
                raise ValueError(f"GepCoefficients.{name}: must be > 0")
        for name in ("air_response", "water_response"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"GepCoefficients.{name}: must be >= 0")

    @classmethod
    def default(cls) -> GepCoefficients:
        """Subtropical defaults: broadleaf forest, paddy cropland, shrub-grass, wetland and water
        rows of Xie et al. (2015); 3,406.5 yuan/hm² (Xie et al. 2015); the PM2.5 reference is the
        Grade II annual limit of GB 3095-2012; the land split, price factor and responses are
        judgement (docs/green.md)."""
        e = EQUIVALENTS
        return cls(e["broadleaf_forest"], e["paddy"], e["shrub_grass"], e["wetland"], e["water"])

    def unit_values(self) -> np.ndarray:
        """Yuan (2019 prices) per km² per year, shape (land type, service) in LAND_TYPES order."""
        eq = np.array([getattr(self, name) for name in LAND_TYPES], float)
        return eq * self.standard_equivalent * self.price_year_factor * HA_PER_KM2


def land_areas(
    area_km2: ArrayLike, forest_share: ArrayLike, built_km2: ArrayLike, coef: GepCoefficients
) -> np.ndarray:
    """km² of each ecosystem type, shape (land type, city), in LAND_TYPES order.

    Forest is its observed share of the area, water and wetland are fixed shares of the area
    (`water_share`, `wetland_share`), and cropland and grassland share what is left. Built-up land
    takes cropland and grassland first (cities grow over farmland), then water and wetland, and
    forest last; more forest likewise replaces cropland and grassland first.
    """
    area, share, built = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, float)) for a in (area_km2, forest_share, built_km2))
    )
    area = np.maximum(area, 0.0)
    unbuilt = area - np.clip(built, 0.0, area)
    forest = np.minimum(np.clip(share, 0.0, 1.0) * area, unbuilt)
    wet_want = (coef.water_share + coef.wetland_share) * area
    wet = np.minimum(wet_want, unbuilt - forest)
    kept = np.divide(wet, wet_want, out=np.zeros_like(wet), where=wet_want > 0)
    rest = unbuilt - forest - wet
    return np.vstack(
        [
            forest,
            (1.0 - coef.grass_share) * rest,
            coef.grass_share * rest,
            coef.wetland_share * area * kept,
            coef.water_share * area * kept,
        ]
    )


def quality_factors(pm25: ArrayLike, water_index: ArrayLike, coef: GepCoefficients) -> np.ndarray:
    """Multiplier on the purification service, shape (land type, city); 1 at the references.

    f_air = exp(-a (PM2.5 / PM_ref - 1)) on forest, cropland and grassland;
    f_water = exp(-b (W - 1)) on wetland and water. Both are bounded above by exp(a), exp(b).
    """
    pm = np.maximum(np.asarray(pm25, float), 0.0)
    w = np.maximum(np.asarray(water_index, float), 0.0)
    f_air = np.exp(-coef.air_response * (pm / coef.pm25_reference - 1.0))
    f_water = np.exp(-coef.water_response * (w - 1.0))
    f_air, f_water = np.broadcast_arrays(f_air, f_water)
    return np.vstack([f_air if name in _AIR_LAND else f_water for name in LAND_TYPES]).reshape(
        len(LAND_TYPES), -1
    )


def service_values(
    area_km2: ArrayLike,
    forest_share: ArrayLike,
    built_km2: ArrayLike,
    pm25: ArrayLike,
    water_index: ArrayLike,
    coef: GepCoefficients,
    price: ArrayLike = 1.0,
) -> np.ndarray:
    """Yuan per year by service and city, shape (service, city); `price` is relative to 2019."""
    land = land_areas(area_km2, forest_share, built_km2, coef)
    unit = coef.unit_values()
    values = unit.T @ land
    q = quality_factors(pm25, water_index, coef)
    values[_PURIFY] = unit[:, _PURIFY] @ (land * q)
    return values * np.asarray(price, float)


def gep_parts(
    area_km2: ArrayLike,
    forest_share: ArrayLike,
    built_km2: ArrayLike,
    pm25: ArrayLike,
    water_index: ArrayLike,
    coef: GepCoefficients,
    price: ArrayLike = 1.0,
) -> dict[str, np.ndarray]:
    """Yuan per year by GEP category (provisioning, regulating, cultural, supporting) and city.

    Supporting services are returned for reference; `gep` counts them only if
    `coef.include_supporting`.
    """
    values = service_values(area_km2, forest_share, built_km2, pm25, water_index, coef, price)
    cats = np.array([GEP_CATEGORY[s] for s in SERVICES])
    return {c: values[cats == c].sum(axis=0) for c in GEP_CATEGORIES}


def gep(
    area_km2: ArrayLike,
    forest_share: ArrayLike,
    built_km2: ArrayLike,
    pm25: ArrayLike,
    water_index: ArrayLike,
    coef: GepCoefficients,
    price: ArrayLike = 1.0,
) -> np.ndarray:
    """Gross ecosystem product, yuan per year per city (2019 prices times `price`)."""
    parts = gep_parts(area_km2, forest_share, built_km2, pm25, water_index, coef, price)
    total = parts["provisioning"] + parts["regulating"] + parts["cultural"]
    return total + parts["supporting"] if coef.include_supporting else total


# ---------------------------------------------------------------------- green-development index

CATEGORY_WEIGHTS: dict[str, float] = {
    "resource_use": 29.3,  # 资源利用
    "environmental_governance": 16.5,  # 环境治理
    "environmental_quality": 19.3,  # 环境质量
    "ecological_protection": 16.5,  # 生态保护
    "growth_quality": 9.2,  # 增长质量
    "green_life": 9.2,  # 绿色生活
}
"""Category weights (%) of the green-development index, 绿色发展指标体系 (NDRC, NBS, MEP and the
CCP Organisation Department, December 2016), as reported with the 2016 annual evaluation. Public
satisfaction (公众满意程度) is evaluated apart and carries no weight in the index."""


@dataclass(frozen=True)
class Indicator:
    """How one indicator is scored: its category, whether higher is better, and its kind.

    kind "ratio": scored on log2(x / base); "shortfall": on log2((1 - x) / (1 - base)), for rates
    near 1 such as sewage treatment; "difference": on (x - base) / scale, for growth rates.
    """

    category: str
    higher_is_better: bool
    kind: str = "ratio"
    scale: float = 1.0


INDICATORS: dict[str, Indicator] = {
    "energy_intensity": Indicator("resource_use", False),  # tce per 10k yuan
    "co2_intensity": Indicator("resource_use", False),  # t CO2 per 10k yuan
    "so2_intensity": Indicator("environmental_governance", False),  # t per 10k yuan
    "nox_intensity": Indicator("environmental_governance", False),
    "cod_intensity": Indicator("environmental_governance", False),
    "nh3n_intensity": Indicator("environmental_governance", False),
    "sewage_treatment": Indicator("environmental_governance", True, "shortfall"),  # share 0-1
    "pm25": Indicator("environmental_quality", False),  # µg/m³
    "water_index": Indicator("environmental_quality", False),  # 1 = base-year median
    "forest_share": Indicator("ecological_protection", True),  # share 0-1
    "gep_per_km2": Indicator("ecological_protection", True),  # yuan per km²
    "gdp_pc_growth": Indicator("growth_quality", True, "difference", 0.05),  # a year, 0.05 = 5%
}
"""The indicators the model can supply, with their category in the 2016 system."""

SCORE_BASE, SCORE_STEP, SCORE_MIN, SCORE_MAX = 80.0, 10.0, 60.0, 100.0
_TINY = 1e-12


def _check_names(names: Iterable[str], what: str) -> None:
    unknown = sorted(set(names) - set(INDICATORS))
    if unknown:
        raise ValueError(f"{what}: unknown indicator(s) {unknown}; valid: {sorted(INDICATORS)}")


def indicator_weights(names: Iterable[str], weights: dict[str, float] | None = None) -> dict[str, float]:
    """Weights of the indicators present, summing to 1.

    By default each category's weight (CATEGORY_WEIGHTS) is split equally over its indicators
    that are present; categories with none drop out and the rest are renormalised. Given weights
    are renormalised over the indicators present.
    """
    names = list(dict.fromkeys(names))
    _check_names(names, "green_index indicators")
    if weights is not None:
        _check_names(weights, "green_index weights")
        raw = {k: float(weights.get(k, 0.0)) for k in names}
    else:
        count = {c: sum(INDICATORS[k].category == c for k in names) for c in CATEGORY_WEIGHTS}
        raw = {k: CATEGORY_WEIGHTS[INDICATORS[k].category] / count[INDICATORS[k].category] for k in names}
    total = sum(raw.values())
    if any(v < 0 for v in raw.values()) or not total > 0:
        raise ValueError("green_index weights: must be >= 0 with a positive sum over the indicators present")
    return {k: v / total for k, v in raw.items()}


def indicator_score(name: str, x: np.ndarray, base: np.ndarray | float) -> np.ndarray:
    """Individual index in [60, 100]: 80 at the base value, +-10 per doubling of the ratio."""
    spec = INDICATORS[name]
    x, b = np.asarray(x, float), np.asarray(base, float)
    higher = spec.higher_is_better
    if spec.kind == "difference":
        step = (x - b) / spec.scale
    else:
        if spec.kind == "shortfall":  # score the untreated share, where lower is better
            x, b, higher = 1.0 - x, 1.0 - b, not higher
        step = np.log2(np.maximum(x, _TINY) / np.maximum(b, _TINY))
    sign = 1.0 if higher else -1.0
    return np.clip(SCORE_BASE + SCORE_STEP * sign * step, SCORE_MIN, SCORE_MAX)


def cluster_base(values: dict[str, np.ndarray]) -> dict[str, float]:
    """Base-year references: the median over cities of each indicator (one yardstick for all)."""
    _check_names(values, "cluster_base")
    return {k: float(np.nanmedian(np.asarray(v, float))) for k, v in values.items()}


def green_index(
    indicators: dict[str, np.ndarray],
    base: dict[str, np.ndarray],
    weights: dict[str, float] | None = None,
) -> np.ndarray:
    """Green-development index per city, the weighted mean of individual indices (60-100).

    `base` holds each indicator's reference (a cluster value from `cluster_base`, or per-city
    arrays to score each city against its own base year).
    """
    missing = sorted(set(indicators) - set(base))
    if missing:
        raise ValueError(f"green_index base: no reference for {missing}")
    w = indicator_weights(indicators, weights)
    scores = [w[k] * indicator_score(k, v, base[k]) for k, v in indicators.items()]
    return np.sum(np.broadcast_arrays(*scores), axis=0)
