"""Paired what-if comparisons: common random numbers, effects with intervals, seeds, archive, CLI."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from simulation.archive.files import config_toml, sha256_file
from simulation.compare_cli import add_compare_command, cmd_compare
from simulation.config import load_config
from simulation.experiments.compare import CITY_METRICS, compare, replicate_seeds
from simulation.experiments.compare_archive import verify_compare_archive
from simulation.experiments.headline import METRICS
from simulation.report.compare import effect_sentence
from simulation.report.compare_archive import write_compare_archive

FAST = ["scale.talent_agents=2000", "scale.firm_agents=300", "run.end_year=2022"]
N = 3
ROOT = 11
N_CITIES = 31
ROOT_DIR = Path(__file__).resolve().parents[1]
PAIRED_COLUMNS = ["replicate", "seed", "metric", "base", "scenario", "diff", "diff_pct"]


def cfg(*extra: str):
    return load_config(None, [*FAST, *extra])


@pytest.fixture(scope="module")
def same():
    """A scenario identical to the base."""
    return compare(cfg(), cfg(), N, ROOT)


@pytest.fixture(scope="module")
def tfp():
    """Faster services TFP growth: GDP must rise."""
    return compare(cfg(), cfg("production.tfp_growth.services=0.08"), N, ROOT)


@pytest.fixture(scope="module")
def border():
    """No provincial border cost for talent: more cross-province migration."""
    return compare(cfg(), cfg("talent.border_cost=0.0"), N, ROOT)


# ---------------------------------------------------------------------------- common random numbers
def test_identical_scenario_gives_exactly_zero_differences(same):
    assert (same.paired["diff"] == 0).all() and (same.paired["diff_pct"] == 0).all()
    for table in (same.effects, same.city_effects, same.yearly_effects):
        for col in ("mean_diff", "ci_low", "ci_high", "mean_diff_pct", "ci_pct_low", "ci_pct_high"):
            assert (table[col] == 0).all(), col
        assert not table["distinguishable"].any()
    assert same.config_diff == []
    base = same.runs_model[same.runs_model.side == "base"].drop(columns="side").reset_index(drop=True)
    scen = same.runs_model[same.runs_model.side == "scenario"].drop(columns="side").reset_index(drop=True)
    pd.testing.assert_frame_equal(base, scen)


def test_tables_have_the_contract_columns_and_shapes(same):
    assert list(same.paired.columns) == PAIRED_COLUMNS
    assert len(same.paired) == N * len(METRICS)
    eff_cols = ["metric", "mean_base", "mean_scenario", "mean_diff", "ci_low", "ci_high", "mean_diff_pct",
                "ci_pct_low", "ci_pct_high", "distinguishable"]  # fmt: skip
    assert set(eff_cols) <= set(same.effects.columns)
    assert list(same.effects["metric"]) == [m.name for m in METRICS]
    city_cols = ["city", "metric", "mean_diff", "ci_low", "ci_high", "mean_diff_pct", "distinguishable"]
    assert set(city_cols) <= set(same.city_effects.columns)
    assert len(same.city_effects) == N_CITIES * len(CITY_METRICS)
    assert set(same.city_effects["metric"]) == {f"{c}_final" for c in CITY_METRICS}
    rm = same.runs_model
    assert list(rm.columns[:4]) == ["side", "replicate", "seed", "year"]
    assert len(rm) == 2 * N * (2022 - 2019 + 1)
    assert set(same.runs_cities["side"]) == {"base", "scenario"}


# ---------------------------------------------------------------------------- real effects
def test_faster_services_tfp_raises_gdp_distinguishably(tfp):
    e = tfp.effects.set_index("metric")
    for m in ("gdp_final", "gdp_cum", "gdp_per_capita_final"):
        assert e.at[m, "distinguishable"] and e.at[m, "ci_low"] > 0 and e.at[m, "ci_pct_low"] > 0, m
    assert (tfp.paired.query("metric == 'gdp_final'")["diff"] > 0).all()
    assert tfp.config_diff == [("production.tfp_growth.services", cfg().production.tfp_growth.services, 0.08)]


def test_no_border_cost_raises_cross_province_migration(border):
    e = border.effects.set_index("metric").loc["cross_province_migration_total"]
    assert e["distinguishable"] and e["mean_diff"] > 0 and e["ci_low"] > 0


def test_intervals_are_t_intervals_of_the_paired_differences(tfp):
    for metric, grp in tfp.paired.groupby("metric"):
        row = tfp.effects.set_index("metric").loc[metric]
        d = grp.sort_values("replicate")["diff"].to_numpy()
        if stats.sem(d) > 0:
            lo, hi = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
        else:  # the same difference in every replicate (common random numbers): a point
            lo = hi = d.mean()
        assert row["mean_diff"] == pytest.approx(d.mean(), rel=1e-12)
        assert row["ci_low"] == pytest.approx(lo, rel=1e-9, abs=1e-9)
        assert row["ci_high"] == pytest.approx(hi, rel=1e-9, abs=1e-9)
        pct = grp["diff_pct"].to_numpy()
        np.testing.assert_allclose(pct, 100 * grp["diff"] / grp["base"].abs())
        assert row["distinguishable"] == bool((lo > 0 or hi < 0) and
                                              (row["ci_pct_low"] > 0 or row["ci_pct_high"] < 0))  # fmt: skip


# ---------------------------------------------------------------------------- seeds
def test_seeds_derive_from_the_root_seed_only(same):
    assert same.seeds == replicate_seeds(ROOT, N)
    assert replicate_seeds(ROOT, 5)[:N] == replicate_seeds(ROOT, N)  # prefix-stable
    assert replicate_seeds(ROOT + 1, N) != replicate_seeds(ROOT, N)
    assert len(set(replicate_seeds(ROOT, 20))) == 20
    assert sorted(set(same.paired["seed"])) == sorted(same.seeds)
    # the configs' own run.seed plays no part
    other = compare(cfg("run.seed=999"), cfg("run.seed=5"), N, ROOT)
    pd.testing.assert_frame_equal(other.paired, same.paired)
    pd.testing.assert_frame_equal(other.runs_model, same.runs_model)
    assert other.base_config.run.seed == ROOT == other.scenario_config.run.seed


UNGUARDED = """\
import sys
from simulation.experiments.compare import compare
from simulation.config import load_config

fast, out = sys.argv[1].split(","), sys.argv[2]
res = compare(load_config(None, fast), load_config(None, [*fast, "talent.border_cost=0.0"]), 3, 11, workers=2)
for name in ("paired", "effects", "city_effects", "yearly_effects", "runs_model", "runs_cities"):
    getattr(res, name).to_parquet(f"{out}/{name}.parquet")
print("done")
"""


def test_results_do_not_depend_on_worker_count(border, tmp_path):
    # run like run.py does: a main script without an `if __name__ == "__main__"` guard, so the
    # spawned workers must not re-run it
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED)
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR)}
    proc = subprocess.run(
        [sys.executable, str(script), ",".join(FAST), str(tmp_path)],
        cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "done"
    for name in ("paired", "effects", "city_effects", "yearly_effects", "runs_model", "runs_cities"):
        stored = pd.read_parquet(tmp_path / f"{name}.parquet")
        pd.testing.assert_frame_equal(stored, getattr(border, name), check_exact=True)


# ---------------------------------------------------------------------------- bad input
def test_mismatched_horizons_raise_naming_the_field():
    with pytest.raises(ValueError, match=r"run\.end_year"):
        compare(cfg(), cfg("run.end_year=2023"), N, ROOT)
    with pytest.raises(ValueError, match=r"run\.start_year"):
        compare(cfg(), cfg("run.start_year=2018"), N, ROOT)


def test_mismatched_regions_raise_naming_the_field():
    with pytest.raises(ValueError, match=r"run\.region"):
        compare(cfg(), cfg('run.region="synthetic:8:1"'), N, ROOT)


@pytest.mark.parametrize("workers", [1, 2])
def test_bad_region_raises_one_line_error_from_any_worker(tmp_path, workers):
    bad = f'run.region="{tmp_path / "nowhere"}"'
    with pytest.raises(ValueError, match=r"nowhere.*: ") as info:
        compare(cfg(bad), cfg(bad), 2, ROOT, workers=workers)
    assert type(info.value).__name__ in ("RegionError", "ConfigError") and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"), [({"replicates": 1}, "--replicates"), ({"workers": 0}, "--workers"),
                          ({"root_seed": -1}, "--seed")],
)  # fmt: skip
def test_bad_arguments_raise_one_line_value_errors(kwargs, field):
    args = {"replicates": N, "root_seed": ROOT, **kwargs}
    with pytest.raises(ValueError, match=re.escape(field)):
        compare(cfg(), cfg(), **args)


# ---------------------------------------------------------------------------- words
def test_effect_sentences():
    row = {"mean_diff_pct": 1.8, "ci_pct_low": 1.2, "ci_pct_high": 2.4, "mean_diff": 2100.0,
           "ci_low": 1400.0, "ci_high": 2800.0, "distinguishable": True}  # fmt: skip
    text = effect_sentence("GDP in 2035", row, "trillion yuan", 1e-4, 2)
    assert text.startswith("GDP in 2035 is 1.8% higher (95% CI +1.2% to +2.4%; +0.21 trillion yuan")
    assert text.endswith(", distinguishable from zero.")
    row.update(mean_diff_pct=-0.5, ci_pct_low=-1.1, ci_pct_high=0.1, distinguishable=False)
    text = effect_sentence("Air emissions in 2035", row, "kt", 1e-3, 1)
    assert "are 0.50% lower (95% CI -1.10% to +0.10%" in text and "not distinguishable from zero" in text
    row.update(mean_diff_pct=float("nan"), mean_diff=3.0, ci_low=1.0, ci_high=5.0, distinguishable=True)
    assert "is higher by +3.0 persons (95% CI +1.0 to +5.0)" in effect_sentence("X", row, "persons", 1, 1)


# ---------------------------------------------------------------------------- archive
ARCHIVE_FILES = {
    "manifest.json", "base.toml", "scenario.toml", "summary.md", "paired.parquet", "effects.parquet",
    "city_effects.parquet", "yearly_effects.parquet", "runs_model.parquet", "runs_cities.parquet",
    "plots/effects.png", "plots/timeseries.png", "plots/map_change.png",
}  # fmt: skip


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_archive_holds_every_file_and_states_effects_in_words(tfp, tmp_path):
    out = write_compare_archive(tfp, tmp_path / "cmp", "configs/baseline.toml", "scen/faster.toml")
    assert out == tmp_path / "cmp"
    assert _files(out) == ARCHIVE_FILES
    assert [p.name for p in tmp_path.iterdir()] == ["cmp"]  # no partial folder left behind
    m = json.loads((out / "manifest.json").read_text())
    assert m["kind"] == "compare" and m["replicates"] == N and m["seed"] == ROOT
    assert m["seeds"] == tfp.seeds and set(m["configs"]) == {"base", "scenario"}
    assert set(m["files"]) == ARCHIVE_FILES - {"manifest.json"}
    assert all(sha256_file(out / f) == h for f, h in m["files"].items())
    pd.testing.assert_frame_equal(pd.read_parquet(out / "effects.parquet"), tfp.effects)
    paired = pd.read_parquet(out / "paired.parquet")
    assert list(paired.columns) == PAIRED_COLUMNS
    text = (out / "summary.md").read_text()
    assert "configs/baseline.toml" in text and "scen/faster.toml" in text
    assert re.search(r"GDP in 2022 is [0-9.]+% higher \(95% CI \+[0-9.]+% to \+[0-9.]+%.*\), "
                     r"distinguishable from zero\.", text)  # fmt: skip
    assert "not distinguishable from zero" in text or "distinguishable from zero" in text
    assert "largest gains" in text and "production.tfp_growth.services" in text
    assert ", ".join(str(s) for s in tfp.seeds) in text
    for rel in ("plots/effects.png", "plots/timeseries.png", "plots/map_change.png"):
        assert f"]({rel})" in text
    # the stored configs re-run the comparison as is, bit for bit
    report = verify_compare_archive(out)
    assert report.ok, report.lines()
    (out / "summary.md").write_text(text + "tampered\n")
    report = verify_compare_archive(out)
    assert not report.ok and report.file_problems == ["summary.md: sha256 differs from the manifest"]


def test_archive_default_name_and_refusal_of_a_non_empty_out(same, tmp_path):
    out = write_compare_archive(same, None, "a/base.toml", "b/my_scen.toml", results_dir=tmp_path)
    assert re.fullmatch(rf"\d{{8}}-\d{{6}}-compare-my_scen-n{N}", out.name)
    with pytest.raises(ValueError, match="is an archive"):  # never written into an archive
        write_compare_archive(same, out, "a/base.toml", "b/my_scen.toml")
    again = write_compare_archive(same, tmp_path, "a/base.toml", "b/my_scen.toml")
    assert again.parent == tmp_path  # a non-empty folder of archives holds a new one
    assert len(list(tmp_path.iterdir())) == 2 and (out / "manifest.json").is_file()


# ---------------------------------------------------------------------------- command
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py")
    add_compare_command(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cmd_compare_prints_the_archive_last(tmp_path, capsys):
    scen = tmp_path / "no_border.toml"
    scen.write_text("[talent]\nborder_cost = 0.0\n")
    out = tmp_path / "archive"
    sets = [x for s in FAST for x in ("--set", s)]
    args = _parser().parse_args(
        ["compare", "configs/baseline.toml", str(scen), "--replicates", "2", "--seed", "3", *sets,
         "--out", str(out)]
    )  # fmt: skip
    assert args.func is cmd_compare and args.replicates == 2 and args.workers == 1
    assert cmd_compare(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"archive: {out}"
    assert any("Cross-province talent migration" in line for line in lines)
    assert _files(out) == ARCHIVE_FILES
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 3 and m["seeds"] == replicate_seeds(3, 2)
    assert m["scenario_source"] == str(scen)


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--replicates", "1"], "--replicates"),
        (["--set", "run.end_year=1800"], "run.end_year"),
        (["--set", "talent.no_such_key=1"], "no_such_key"),
    ],
)
def test_cmd_compare_bad_input_raises_before_writing(tmp_path, argv, match):
    out = tmp_path / "archive"
    args = _parser().parse_args(["compare", "configs/baseline.toml", "configs/baseline.toml", *argv,
                                 "--out", str(out)])  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(match)):
        cmd_compare(args)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cmd_compare_refuses_an_out_that_is_a_file_before_running(tmp_path):
    out = tmp_path / "x.txt"
    out.write_text("keep")
    args = _parser().parse_args(["compare", "configs/baseline.toml", "configs/baseline.toml",
                                 "--out", str(out)])  # fmt: skip
    with pytest.raises(ValueError, match="is a file"):
        cmd_compare(args)
    assert out.read_text() == "keep"


def test_cmd_compare_mismatched_horizon_names_the_scenario_file(tmp_path):
    scen = tmp_path / "longer.toml"
    scen.write_text("[run]\nend_year = 2030\n")
    args = _parser().parse_args(["compare", "configs/baseline.toml", str(scen), "--out",
                                 str(tmp_path / "a")])  # fmt: skip
    with pytest.raises(ValueError, match=rf"{re.escape(str(scen))}: run\.end_year"):
        cmd_compare(args)


def test_stored_configs_round_trip_even_with_unset_optional_values(tmp_path):
    src = tmp_path / "circle.toml"
    src.write_text(
        "[city_circle]\nenabled = true\n"
        'corridors = [{ a = "wuhan", b = "nanchang", mode = "hsr", time_min = 90, km = 350 }]\n'
    )
    c = load_config(src)
    (tmp_path / "stored.toml").write_text(config_toml(c))
    assert load_config(tmp_path / "stored.toml") == c
