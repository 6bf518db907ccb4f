"""Hypothesis-generated configs and sweep files (issue 15): random keys (real and made up), random
types, ranges, unicode and sizes. Each must either run (tiny: 1 year, few agents; or, for a sweep,
a ``--dry-run``) or be refused cleanly: exit 2 with one ``error:`` line, no traceback, nothing
written. Bounded and deterministic (``derandomize=True``); the file takes well under a minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import cli, limits
from simulation.config import Config, flatten
from simulation.experiments.sweep import folder
from simulation.experiments.sweep.design import DESIGNS

LEAVES = sorted(flatten(Config().model_dump(mode="json")))
SECTIONS = sorted(Config.model_fields)
CONFIG_EXAMPLES, SWEEP_EXAMPLES = 40, 60
COUNTS = {"config: ran": 0, "config: refused": 0, "sweep: planned": 0, "sweep: refused": 0}

texts = st.text(max_size=12) | st.sampled_from(
    ["", "all", "wuhan", "heavy", "hubei", "synthetic:3:1", "middle_yangtze", "长江", "a\u0000b", "x" * 5000]
)
scalars = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=-3, max_value=3000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=0, max_value=1)
    | st.booleans()
    | texts
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
DEFAULTS = flatten(Config().model_dump(mode="json"))


def near(path: str) -> st.SearchStrategy:
    """Values of the default's type around the default (many valid, some just out of range)."""
    d = DEFAULTS[path]
    if isinstance(d, bool):
        return st.booleans()
    if isinstance(d, int):
        return st.integers(min_value=min(0, d) - 2, max_value=2 * d + 2) | st.just(d)
    if isinstance(d, float):
        return st.floats(min_value=0, max_value=max(2 * abs(d), 1.0)) | st.just(d) | st.just(-d)
    if isinstance(d, str):
        return st.just(d) | texts
    return values


near_items = st.sampled_from(LEAVES).flatmap(lambda p: near(p).map(lambda v: (p, v)))
made_up = st.text(min_size=1, max_size=8).map(lambda s: s.replace(".", "_"))
paths = st.sampled_from(LEAVES) | st.builds(lambda a, b: f"{a}.{b}", st.sampled_from(SECTIONS), made_up)


def _nested(flat: dict[str, object]) -> dict:
    out: dict = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            if not isinstance(node.get(leaf), dict):
                node[leaf] = value
    return out


def _toml(data: dict) -> str | None:
    try:
        return tomli_w.dumps(data)
    except (TypeError, ValueError):  # e.g. a key tomli_w cannot write: not a TOML file at all
        return None


def _assert_clean(rc: int, captured: pytest.CaptureFixture[str], out: Path, ok: tuple[int, ...]) -> bool:
    text = captured.out + captured.err
    assert "Traceback" not in text
    assert rc in ok, (rc, captured.err[-1000:])
    if rc == 2:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and len(lines[0]) < 4000, lines[:3]
        assert not out.exists()
        return False
    return True


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(folder, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setenv(limits.MEMORY_ENV, "4")


@settings(
    max_examples=CONFIG_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    flat=st.dictionaries(paths, values, max_size=2),
    close=st.lists(near_items, min_size=1, max_size=4),
)
def test_fuzzed_configs_run_or_are_refused(flat, close, tmp_path: Path, capsys) -> None:
    flat = {**flat, **dict(close)}
    text = _toml(_nested(flat))
    if text is None:
        return
    f = tmp_path / "fuzz.toml"
    f.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    tiny = ["--set", "scale.talent_agents=200", "--set", "scale.firm_agents=50", "--years", "1"]
    rc = cli.main(["run", str(f), *tiny, "--out", str(out)])
    captured = capsys.readouterr()
    ran = _assert_clean(rc, captured, out, (0, 2))
    COUNTS["config: ran" if ran else "config: refused"] += 1
    if ran:
        assert (out / "manifest.json").is_file()
        import shutil

        shutil.rmtree(out)


specs = (
    st.fixed_dictionaries(
        {},
        optional={
            "values": st.lists(scalars, max_size=4) | values,
            "low": scalars,
            "high": scalars,
            "num": st.integers(min_value=-2, max_value=12) | st.integers(min_value=-(2**66), max_value=2**66),
            "log": st.booleans() | scalars,
            "integer": st.booleans(),
        },
    )
    | values
)
sweep_section = st.fixed_dictionaries(
    {},
    optional={
        "design": st.sampled_from(DESIGNS) | texts,
        "replicates": st.integers(min_value=-1, max_value=4) | scalars,
        "samples": st.sampled_from([2, 4, 8, 16]) | scalars,
        "seed": st.integers(min_value=-1, max_value=2**66) | scalars,
        "crn": st.booleans() | scalars,
        "levels": st.integers(min_value=0, max_value=6),
        "second_order": st.booleans(),
        "metrics": st.lists(
            st.sampled_from(["gdp_final", "gdp_cum", "pm25_mean", "x_final", "gdp"]), max_size=3
        )
        | values,
        "name": texts,
        "bogus": scalars,
    },
)


@settings(
    max_examples=SWEEP_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    section=sweep_section,
    params=st.dictionaries(paths, specs, max_size=1),
    close=st.lists(
        st.sampled_from([p for p in LEAVES if type(DEFAULTS[p]) in (int, float)]).flatmap(
            lambda p: st.one_of(
                st.lists(near(p), min_size=1, max_size=3).map(lambda v: (p, {"values": v})),
                st.tuples(near(p), near(p), st.integers(min_value=1, max_value=3)).map(
                    lambda t: (p, {"low": t[0], "high": t[1], "num": t[2]})
                ),
                st.tuples(near(p), near(p)).map(lambda t: (p, {"low": t[0], "high": t[1]})),
            )
        ),
        max_size=2,
    ),
    sets=st.dictionaries(paths, values, max_size=2),
    extra=st.sampled_from([None, "bogus", "set"]),
    tame=st.sampled_from([None, "grid", "lhs", "sobol", "morris"]),
)
def test_fuzzed_sweep_files_plan_or_are_refused(
    section, params, close, sets, extra, tame, tmp_path: Path, capsys
) -> None:
    if tame is not None:  # a mostly valid file: only the near-default parameters vary
        section = {
            "design": tame,
            "replicates": 1 + len(close) % 2,
            **({"samples": 4} if tame != "grid" else {}),
        }
        params, sets, extra = {}, {}, None

        def inside(p: str, spec: dict) -> dict:  # within ±10% of the default: mostly valid
            d = DEFAULTS[p]
            lo, hi = (d - 1, d + 1) if isinstance(d, int) else (0.9 * d, 1.1 * d)
            if "values" in spec:
                return {"values": [lo, hi][: 1 + len(spec["values"]) % 2] + [d]}
            return {"low": lo, "high": hi, **({"num": 2} if tame == "grid" else {})}

        close = [(p, inside(p, spec)) for p, spec in close] or [
            ("talent.border_cost", {"values": [1.0, 2.0]})
        ]
    data: dict = {"sweep": section, "parameters": {**params, **dict(close)}}
    data["set"] = {"scale.talent_agents": 200, "scale.firm_agents": 50, "run.end_year": 2020, **sets}
    if extra == "bogus":
        data["bogus"] = {"x": 1}
    text = _toml(data)
    if text is None:
        return
    f = tmp_path / "fuzz-sweep.toml"
    f.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    rc = cli.main(["sweep", str(f), "--dry-run", "--out", str(out)])
    cap = capsys.readouterr()
    planned = _assert_clean(rc, cap, out, (0, 2))
    COUNTS["sweep: planned" if planned else "sweep: refused"] += 1
    assert not out.exists()  # a dry run writes nothing either way


def test_fuzz_counts() -> None:
    """Report how the examples split (runs in order after the two fuzz tests)."""
    print(COUNTS)
    if sum(COUNTS.values()):  # the two fuzz tests ran in this session: both outcomes were seen
        assert COUNTS["config: ran"] and COUNTS["config: refused"], COUNTS
        assert COUNTS["sweep: planned"] and COUNTS["sweep: refused"], COUNTS
