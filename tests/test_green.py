"""Mechanism tests for the green indicators (GEP and the green-development index)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from simulation.core import green

COEF = green.GepCoefficients.default()
N = 5


def _city(**over):
    """Five cities with plausible inputs; keyword arguments replace one input."""
    x = {
        "area_km2": np.array([8569.0, 4583.0, 1594.0, 17446.0, 7167.0]),
        "forest_share": np.array([0.15, 0.37, 0.10, 0.42, 0.53]),
        "built_km2": np.array([812.0, 150.0, 80.0, 120.0, 90.0]),
        "pm25": np.array([45.0, 43.0, 44.0, 40.0, 37.0]),
        "water_index": np.array([1.2, 1.0, 0.8, 1.1, 0.9]),
    }
    x.update(over)
    return x


def _gep(**over):
    return green.gep(**_city(**over), coef=COEF)


def _parts(**over):
    return green.gep_parts(**_city(**over), coef=COEF)


def test_more_forest_raises_gep():
    base = _city()
    assert np.all(_gep(forest_share=base["forest_share"] + 0.1) > _gep())


def test_built_up_expansion_lowers_gep():
    base = _city()
    assert np.all(_gep(built_km2=base["built_km2"] * 1.5) < _gep())


def test_built_up_over_whole_city_leaves_nothing():
    base = _city()
    assert np.allclose(_gep(built_km2=base["area_km2"] * 2), 0.0)


def test_dirtier_water_lowers_regulating_only():
    base = _city()
    dirty, clean = _parts(water_index=base["water_index"] * 2), _parts()
    assert np.all(dirty["regulating"] < clean["regulating"])
    assert np.allclose(dirty["provisioning"], clean["provisioning"])
    assert np.allclose(dirty["cultural"], clean["cultural"])


def test_dirtier_air_lowers_regulating():
    base = _city()
    assert np.all(_parts(pm25=base["pm25"] + 20)["regulating"] < _parts()["regulating"])


def test_quality_responses_of_zero_switch_quality_off():
    flat = replace(COEF, air_response=0.0, water_response=0.0)
    a = green.gep(**_city(), coef=flat)
    b = green.gep(**_city(pm25=np.full(N, 90.0), water_index=np.full(N, 3.0)), coef=flat)
    assert np.allclose(a, b)


def test_quality_factor_is_one_at_the_references():
    q = green.quality_factors(np.array([COEF.pm25_reference]), np.array([1.0]), COEF)
    assert np.allclose(q, 1.0)


def test_supporting_services_only_counted_when_asked():
    with_sup = replace(COEF, include_supporting=True)
    parts = _parts()
    assert np.allclose(green.gep(**_city(), coef=with_sup) - _gep(), parts["supporting"])


def test_price_scales_gep():
    assert np.allclose(green.gep(**_city(), coef=COEF, price=1.1), 1.1 * _gep())


def test_land_areas_add_up_to_unbuilt_area():
    x = _city()
    land = green.land_areas(x["area_km2"], x["forest_share"], x["built_km2"], COEF)
    assert land.shape == (len(green.LAND_TYPES), N)
    assert np.allclose(land.sum(axis=0), x["area_km2"] - x["built_km2"])
    assert np.all(land >= 0)


def test_vectorised_shapes_and_scalar_inputs():
    assert _gep().shape == (N,)
    assert all(v.shape == (N,) for v in _parts().values())
    one = green.gep(1000.0, 0.4, 50.0, 40.0, 1.0, COEF)
    assert one.shape == (1,)
    assert np.isclose(one[0], _gep(**{k: np.full(N, v) for k, v in _scalar_city().items()})[0])


def _scalar_city():
    return {"area_km2": 1000.0, "forest_share": 0.4, "built_km2": 50.0, "pm25": 40.0, "water_index": 1.0}


def test_zero_area_guard_and_finite_values():
    x = _city(
        area_km2=np.array([0.0, -5.0, 100.0, 100.0, 100.0]),
        forest_share=np.array([0.5, 0.5, 1.5, -0.2, 0.3]),
        pm25=np.array([0.0, 40.0, 500.0, -3.0, 40.0]),
        water_index=np.array([0.0, 1.0, 50.0, 1.0, -1.0]),
    )
    out = green.gep(**x, coef=COEF)
    assert np.all(np.isfinite(out))
    assert out[0] == 0.0 and out[1] == 0.0
    assert np.all(out >= 0)


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("water_share", 1.5, "water_share"),
        ("grass_share", -0.1, "grass_share"),
        ("air_response", -1.0, "air_response"),
        ("standard_equivalent", 0.0, "standard_equivalent"),
        ("forest", (1.0, 2.0), "forest"),
    ],
)
def test_coefficients_validated(field, value, match):
    with pytest.raises(ValueError, match=match):
        replace(COEF, **{field: value})


# ---------------------------------------------------------------------- green-development index


def _indicators(**over):
    x = {
        "co2_intensity": np.array([0.8, 1.2, 1.0, 0.6, 0.9]),
        "so2_intensity": np.array([1.0, 2.0, 1.5, 0.5, 1.0]),
        "pm25": _city()["pm25"],
        "water_index": _city()["water_index"],
        "forest_share": _city()["forest_share"],
        "sewage_treatment": np.array([0.96, 0.92, 0.90, 0.95, 0.93]),
        "gdp_pc_growth": np.array([0.07, 0.06, 0.05, 0.08, 0.07]),
    }
    x.update(over)
    return x


BASE = green.cluster_base(_indicators())


def test_cleaner_air_raises_index():
    x = _indicators()
    assert np.all(green.green_index(_indicators(pm25=x["pm25"] * 0.8), BASE) > green.green_index(x, BASE))


def test_each_indicator_moves_the_index_the_right_way():
    x = _indicators()
    better = {"co2_intensity": 0.8, "so2_intensity": 0.8, "water_index": 0.8, "forest_share": 1.2}
    for name, factor in better.items():
        up = green.green_index(_indicators(**{name: x[name] * factor}), BASE)
        before = green.green_index(x, BASE)
        s = green.indicator_score(name, x[name], BASE[name])
        room = (s > green.SCORE_MIN) & (s < green.SCORE_MAX)  # scores at a bound cannot move
        assert np.all(up >= before) and np.all(up[room] > before[room]), name
    more_treated = _indicators(sewage_treatment=np.minimum(x["sewage_treatment"] + 0.02, 0.999))
    assert np.all(green.green_index(more_treated, BASE) > green.green_index(x, BASE))


def test_index_is_80_at_the_reference_and_bounded():
    at_base = {k: np.full(N, v) for k, v in BASE.items()}
    assert np.allclose(green.green_index(at_base, BASE), green.SCORE_BASE)
    extreme = {k: v * 1e6 for k, v in _indicators().items()}
    out = green.green_index(extreme, BASE)
    assert np.all((out >= green.SCORE_MIN) & (out <= green.SCORE_MAX))


def test_default_weights_renormalise_over_present_indicators():
    w = green.indicator_weights(["pm25", "forest_share"])
    assert np.isclose(sum(w.values()), 1.0)
    q, e = green.CATEGORY_WEIGHTS["environmental_quality"], green.CATEGORY_WEIGHTS["ecological_protection"]
    assert np.isclose(w["pm25"] / w["forest_share"], q / e)


def test_weights_split_equally_within_a_category():
    w = green.indicator_weights(["pm25", "water_index", "co2_intensity"])
    assert np.isclose(w["pm25"], w["water_index"])
    assert np.isclose(w["co2_intensity"] / (w["pm25"] + w["water_index"]), 29.3 / 19.3)


def test_given_weights_renormalise_and_single_indicator_is_its_score():
    given = {"pm25": 3.0, "forest_share": 1.0, "gdp_pc_growth": 9.0}
    w = green.indicator_weights(["pm25", "forest_share"], given)
    assert np.isclose(w["pm25"], 0.75) and np.isclose(sum(w.values()), 1.0)
    x = _indicators()
    only = green.green_index({"pm25": x["pm25"]}, BASE)
    assert np.allclose(only, green.indicator_score("pm25", x["pm25"], BASE["pm25"]))


def test_all_category_weights_sum_to_100():
    assert np.isclose(sum(green.CATEGORY_WEIGHTS.values()), 100.0)


def test_unknown_or_unreferenced_indicators_rejected():
    with pytest.raises(ValueError, match="unknown indicator"):
        green.green_index({"smog": np.ones(N)}, {"smog": 1.0})
    with pytest.raises(ValueError, match="no reference"):
        green.green_index({"pm25": np.ones(N)}, {})
    with pytest.raises(ValueError, match="positive sum"):
        green.indicator_weights(["pm25"], {"forest_share": 1.0})


def test_index_shapes_and_zero_values_finite():
    x = _indicators(co2_intensity=np.zeros(N), sewage_treatment=np.ones(N))
    out = green.green_index(x, BASE)
    assert out.shape == (N,) and np.all(np.isfinite(out))


def test_gep_per_km2_feeds_the_index():
    per_km2 = _gep() / _city()["area_km2"]
    base = {"gep_per_km2": float(np.median(per_km2))}
    more_forest = _gep(forest_share=_city()["forest_share"] + 0.1) / _city()["area_km2"]
    lo = green.green_index({"gep_per_km2": per_km2}, base)
    hi = green.green_index({"gep_per_km2": more_forest}, base)
    assert np.all(hi >= lo) and np.any(hi > lo)
