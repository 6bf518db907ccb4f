"""The adversarial table of issue 15: one parametrised case per bad-input class.

Every case asserts exit code 2 (1 for verify's "files differ", which names the file on stdout),
exactly one line on stderr naming the file (or ``--set`` / the argument) and the field, no
traceback, nothing written (the temporary folder holds exactly what the case set up: no ``--out``
folder, no ``results/``), within a timeout.

The classes are counted across three files (none is repeated here):

==============================  ==============  ====================  ===============  =====  =====
category                        test_limits.py  test_archive_         this file        total  fixed
                                                integrity.py          (adversarial)           here
==============================  ==============  ====================  ===============  =====  =====
config files                    2               0                     41               43     2
lever and env/budget sections   4               0                     39               43     0
``--set``                       4               0                     16               20     1
region folders                  0               0                     21               21     0
sweep files                     7               0                     31               38     1
archives (verify/show/analyze)  0               36                    12               48     0
output paths                    0               0                     9                9      6
CLI arguments                   5               5                     19               29     0
total                           22              41                    188              251    10
==============================  ==============  ====================  ===============  =====  =====

"fixed here": classes of this file that failed (traceback, wrong field, or work before the refusal)
until a code fix made with this suite: output paths in /proc (run, sweep, compare, validate: a
traceback after the whole run; validate after ~5 minutes), over PATH_MAX and with a NUL byte
(``archive.check_out``); a 100,000-character ``--set`` key that swallowed the message
(``cli.one_line``); ``sweep.replicates`` = 10^12 reported on ``parameters`` (``sweep.load_sweep``);
a config seed past 64 bits (a traceback in the model: ``RunSection.seed`` le 2^63-1); an empty
``run.region`` that loaded the folder of built-in regions (``limits.check_region``).

tests/test_limits.py: the 20 ``CASES`` plus ``--metrics`` and ``--resamples`` of analyze;
tests/test_archive_integrity.py: 19 manifest cases, 5 symlink/special-file refusals, 4 file
differences, 5 sweep tamperings, 5 ``--sample`` values, the sweep manifest without
``design.parameters`` and the 2 refused resumes (tests/test_cli.py has 19 more, not counted).
The cases of "this file" live in two modules: tests/adversarial_cases.py (the framework and the
config-file, lever and ``--set`` tables) and this one (the rest). Their per-category counts are
checked by ``test_the_table_counts_are_right``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from simulation import cli, limits
from simulation.archive.files import MANIFEST
from simulation.experiments.sweep import folder
from simulation.region import BUILTIN_REGIONS_DIR
from tests.adversarial_cases import (
    CASES,
    CMP_SMALL,
    CONFIG,
    HEAD,
    LEVERS,
    OK_PARAMS,
    SET,
    SMALL,
    SMALL_SET,
    case,
    simple,
    write,
)


# ---------------------------------------------------------------------------- shared archives
@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small run archive and a small sweep archive, built once (lazily: only the archive cases
    use them)."""
    return _Lazy(tmp_path_factory)


class _Lazy(dict):
    def __init__(self, factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self.factory = factory

    def __missing__(self, key: str) -> Path:
        folder = self.factory.mktemp(key)
        if key == "run":
            cfg = folder / "base.toml"
            cfg.write_text(HEAD)
            out = folder / "g"
            assert cli.main(["run", str(cfg), *SMALL, "--out", str(out)]) == 0
        else:
            f = folder / "s.toml"
            f.write_text("[sweep]\nseed = 5\n" + SMALL_SET + OK_PARAMS)
            out = folder / "s"
            assert cli.main(["sweep", str(f), "--executor", "serial", "--out", str(out)]) == 0
        self[key] = out
        return out


# --- region folders ----------------------------------------------------------------------------
REGION = "region folders"
MY = BUILTIN_REGIONS_DIR / "middle_yangtze"


def region_case(name: str, change: Callable[[Path], None], needles: list[str]) -> None:
    def build(d: Path, mp, ax):
        folder = d / "reg"
        shutil.copytree(MY, folder)
        change(folder)
        cfg = write(d, "c.toml", f'[run]\nregion = "{folder}"\n')
        return ["run", str(cfg), *SMALL, "--out", "OUT"], needles

    case(f"region: {name}", REGION)(build)


def csv_edit(fname: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        p = folder / fname
        fn(pd.read_csv(p, dtype=str, keep_default_na=False)).to_csv(p, index=False)

    return change


def setcell(col: str, value: str, row: int = 0) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def fn(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, col] = value
        return df

    return fn


def text(fname: str, body: str | bytes) -> Callable[[Path], None]:
    return lambda folder: write(folder, fname, body)


region_case("cities.csv missing", lambda f: (f / "cities.csv").unlink(), ["cities.csv", "missing"])
region_case("links.csv missing", lambda f: (f / "links.csv").unlink(), ["links.csv", "missing"])
region_case("rivers.csv missing", lambda f: (f / "rivers.csv").unlink(), ["rivers.csv", "missing"])
region_case("cities.csv empty", text("cities.csv", ""), ["cities.csv", "file"])
region_case("cities.csv not UTF-8", text("cities.csv", b"\xff\xfe\x00id,lat\n"), ["cities.csv"])
region_case(
    "cities.csv a folder", lambda f: ((f / "cities.csv").unlink(), (f / "cities.csv").mkdir()), ["cities.csv"]
)
region_case("cities.csv ragged rows", text("cities.csv", 'id,lat\n"wuhan,1\n'), ["cities.csv"])
region_case(
    "duplicate city id", csv_edit("cities.csv", setcell("id", "wuhan", 1)), ["cities.csv", "id", "wuhan"]
)
region_case("blank city id", csv_edit("cities.csv", setcell("id", "", 1)), ["cities.csv", "id"])
region_case("latitude text", csv_edit("cities.csv", setcell("lat", "north")), ["cities.csv", "lat"])
region_case("latitude out of range", csv_edit("cities.csv", setcell("lat", "123.0")), ["cities.csv", "lat"])
region_case(
    "population negative",
    csv_edit("cities.csv", setcell("population_2020_10k", "-5")),
    ["cities.csv", "population_2020_10k"],
)
region_case("links: unknown mode", csv_edit("links.csv", setcell("mode", "teleport")), ["links.csv", "mode"])
region_case(
    "links: negative time", csv_edit("links.csv", setcell("time_min", "-3")), ["links.csv", "time_min"]
)
region_case(
    "links: missing column", csv_edit("links.csv", lambda d: d.drop(columns=["km"])), ["links.csv", "km"]
)
region_case(
    "rivers: unknown city",
    csv_edit("rivers.csv", setcell("upstream", "atlantis")),
    ["rivers.csv", "atlantis"],
)
region_case(
    "regulation.csv: missing column",
    csv_edit("regulation.csv", lambda d: d.drop(columns=["pollutant"])),
    ["regulation.csv", "pollutant"],
)
region_case(
    "regulation.csv: year text",
    csv_edit("regulation.csv", setcell("start_year", "soon")),
    ["regulation.csv", "start_year"],
)
region_case(
    "river_flow.csv: negative discharge",
    csv_edit("river_flow.csv", setcell("mean_discharge_m3s", "-1")),
    ["river_flow.csv", "mean_discharge_m3s"],
)
region_case(
    "pm25_observed.csv: pm25 text",
    csv_edit("pm25_observed.csv", setcell("pm25", "smog")),
    ["pm25_observed.csv", "pm25"],
)
region_case("pm25_observed.csv: not CSV", text("pm25_observed.csv", b"\x00\x01\xff"), ["pm25_observed.csv"])


# --- sweep files ---------------------------------------------------------------------------------
SWEEP = "sweep files"


def sweep_case(name: str, body: str, needles: list[str], extra: tuple[str, ...] = ()) -> None:
    simple(
        f"sweep: {name}",
        SWEEP,
        lambda d: ["sweep", str(write(d, "sw.toml", body)), *extra, "--out", "OUT"],
        ["sw.toml", *needles],
    )


S = "[sweep]\n"
sweep_case("not TOML", "[sweep\n", ["syntax"])
sweep_case("unknown section", S + OK_PARAMS + "[extra]\n", ["extra", "unknown section"])
sweep_case("unknown sweep key", S + "bogus = 1\n" + OK_PARAMS, ["sweep.bogus"])
sweep_case("sweep not a table", 'sweep = "grid"\n' + OK_PARAMS, ["sweep"])
sweep_case("unknown design", S + 'design = "magic"\n' + OK_PARAMS, ["sweep.design", "magic"])
sweep_case("replicates 0", S + "replicates = 0\n" + OK_PARAMS, ["sweep.replicates"])
sweep_case("replicates text", S + 'replicates = "2"\n' + OK_PARAMS, ["sweep.replicates"])
sweep_case("replicates huge", S + "replicates = 1000000000000\n" + OK_PARAMS, ["sweep.replicates", "allowed"])
sweep_case(
    "samples missing",
    S + 'design = "lhs"\n[parameters]\n"talent.border_cost" = {low = 0.5, high = 1.5}\n',
    ["sweep.samples", "missing"],
)
sweep_case("samples with a grid", S + "samples = 8\n" + OK_PARAMS, ["sweep.samples"])
sweep_case("levels 1", S + "levels = 1\n" + OK_PARAMS, ["sweep.levels"])
sweep_case("crn text", S + 'crn = "yes"\n' + OK_PARAMS, ["sweep.crn"])
sweep_case("name empty", S + 'name = " "\n' + OK_PARAMS, ["sweep.name"])
sweep_case("seed negative", S + "seed = -4\n" + OK_PARAMS, ["sweep.seed"])
sweep_case("metrics not a list", S + 'metrics = "gdp_final"\n' + OK_PARAMS, ["sweep.metrics"])
sweep_case(
    "metric bad aggregate", S + 'metrics = ["gdp_median"]\n' + OK_PARAMS, ["sweep.metrics", "gdp_median"]
)
sweep_case("base missing", S + 'base = "nope.toml"\n' + OK_PARAMS, ["sweep.base", "nope.toml"])
sweep_case("set unknown key", S + '[set]\n"scale.nope" = 1\n' + OK_PARAMS, ["set.scale.nope"])
sweep_case("parameters missing", S, ["parameters", "missing"])
sweep_case("parameters empty", S + "[parameters]\n", ["parameters"])
sweep_case(
    "parameter single value",
    S + '[parameters]\n"talent.border_cost" = 1.0\n',
    ["parameters.talent.border_cost"],
)
sweep_case(
    "unknown parameter path",
    S + '[parameters]\n"talent.nope" = {values = [1, 2]}\n',
    ["parameters.talent.nope", "unknown parameter"],
)
sweep_case(
    "unicode parameter path", S + '[parameters]\n"人才.成本" = {values = [1, 2]}\n', ["parameters.人才.成本"]
)
sweep_case("parameter is a section", S + '[parameters]\n"scale" = {values = [1, 2]}\n', ["parameters.scale"])
sweep_case("run.seed swept", S + '[parameters]\n"run.seed" = {values = [1, 2]}\n', ["parameters.run.seed"])
sweep_case(
    "parameter also in set",
    S + '[set]\n"talent.border_cost" = 1.0\n' + OK_PARAMS,
    ["parameters.talent.border_cost", "[set]"],
)
sweep_case(
    "values empty",
    S + '[parameters]\n"talent.border_cost" = {values = []}\n',
    ["parameters.talent.border_cost"],
)
sweep_case(
    "values mixed kinds",
    S + '[parameters]\n"talent.border_cost" = {values = [1.0, "x"]}\n',
    ["parameters.talent.border_cost.values"],
)
sweep_case(
    "value out of the config range",
    S + '[parameters]\n"scale.talent_agents" = {values = [1500, 10]}\n',
    ["parameters.scale.talent_agents.values", "10"],
)
sweep_case(
    "low above high",
    S + '[parameters]\n"talent.border_cost" = {low = 2.0, high = 1.0, num = 3}\n',
    ["parameters.talent.border_cost.low"],
)
sweep_case(
    "low = nan",
    S + '[parameters]\n"talent.border_cost" = {low = nan, high = 1.0, num = 3}\n',
    ["parameters.talent.border_cost.low", "finite"],
)


# --- archives -------------------------------------------------------------------------------------
ARCHIVE = "archives (verify/show/analyze)"


def archive_case(
    name: str,
    kind: str,
    command: list[str],
    tamper: Callable[[Path], None] | None,
    needles: list[str],
    code: int = 2,
) -> None:
    def build(d: Path, mp, ax):
        copy = d / "a"
        shutil.copytree(ax[kind], copy, symlinks=True)
        if tamper is not None:
            tamper(copy)
        return [*command[:1], str(copy), *command[1:]], needles

    case(f"archive: {name}", ARCHIVE, code)(build)


def set_manifest(change: Callable[[dict], object]) -> Callable[[Path], None]:
    from simulation.archive import schema

    def tamper(p: Path) -> None:
        m = json.loads((p / MANIFEST).read_text())
        new = change(m)
        (p / MANIFEST).write_text(json.dumps(schema.sealed(m if new is None else new)))

    return tamper


archive_case(
    "deeply nested manifest JSON",
    "run",
    ["verify"],
    lambda p: (p / MANIFEST).write_text("[" * 100_000 + "]" * 100_000),
    ["manifest.json"],
)
archive_case("empty manifest", "run", ["show"], lambda p: (p / MANIFEST).write_text(""), ["manifest.json"])
archive_case(
    "manifest a folder",
    "run",
    ["verify"],
    lambda p: ((p / MANIFEST).unlink(), (p / MANIFEST).mkdir()),
    ["manifest.json"],
)
archive_case(
    "resealed hash not hex",
    "run",
    ["verify"],
    set_manifest(lambda m: m["files"].__setitem__("summary.md", "zz")),
    ["files", "summary.md"],
)
archive_case(
    "resealed files entry not text",
    "run",
    ["show"],
    set_manifest(lambda m: m["files"].__setitem__("summary.md", 5)),
    ["files"],
)
archive_case(
    "resealed kind a number", "run", ["verify"], set_manifest(lambda m: m.__setitem__("kind", 7)), ["kind"]
)
archive_case(
    "resealed NUL in a file name",
    "run",
    ["verify"],
    set_manifest(lambda m: m["files"].__setitem__("a\x00b", "0" * 64)),
    ["files"],
)
archive_case("analyze on a run archive", "run", ["analyze", "--no-plots"], None, ["sweep"])
archive_case(
    "analyze: runs.parquet deleted",
    "sweep",
    ["analyze", "--no-plots"],
    lambda p: (p / "runs.parquet").unlink(),
    ["runs.parquet", "missing"],
)
archive_case(
    "verify: the sweep's design deleted",
    "sweep",
    ["verify", "--sample", "0"],
    lambda p: (p / "design.parquet").unlink(),
    ["design.parquet", "missing"],
    code=1,
)
simple("archive: verify a file", ARCHIVE, lambda d: ["verify", str(write(d, "f.txt", "x"))], ["f.txt"])
simple(
    "archive: analyze an empty folder",
    ARCHIVE,
    lambda d: ["analyze", str((d / "empty").mkdir() or d / "empty")],
    ["empty", "manifest.json"],
)


# --- output paths ----------------------------------------------------------------------------------
OUTPUT = "output paths"


def out_case(name: str, argv_of: Callable[[Path], list[str]], needles: list[str]) -> None:
    simple(f"out: {name}", OUTPUT, argv_of, ["--out", *needles])


def _cfg(d: Path) -> str:
    return str(write(d, "c.toml", HEAD))


def _sweep(d: Path) -> str:
    return str(write(d, "sw.toml", "[sweep]\n" + SMALL_SET + OK_PARAMS))


out_case("run into /proc (unwritable)", lambda d: ["run", _cfg(d), *SMALL, "--out", "/proc/nosuch/x"], [])
out_case("run under a /proc file", lambda d: ["run", _cfg(d), *SMALL, "--out", "/proc/version/x"], ["file"])
out_case(
    "run: path over PATH_MAX",
    lambda d: ["run", _cfg(d), *SMALL, "--out", str(d / "/".join(["b" * 200] * 25))],
    [],
)
out_case("run: NUL in the path", lambda d: ["run", _cfg(d), *SMALL, "--out", str(d / "a\x00b")], [])
out_case("sweep into /proc", lambda d: ["sweep", _sweep(d), "--out", "/proc/nosuch/x"], [])
out_case("sweep: name over 255 bytes", lambda d: ["sweep", _sweep(d), "--out", str(d / ("s" * 300))], ["255"])
out_case(
    "compare into /proc",
    lambda d: ["compare", _cfg(d), _cfg(d), "--replicates", "2", *CMP_SMALL, "--out", "/proc/nosuch/x"],
    [],
)
out_case("validate into /proc", lambda d: ["validate", "--out", "/proc/nosuch/x"], [])


@case("out: sweep inside a run archive", OUTPUT)
def _sweep_in_archive(d, mp, ax):
    return ["sweep", _sweep(d), "--out", str(ax["run"] / "sub")], ["--out", "is an archive"]


# --- CLI arguments -----------------------------------------------------------------------------------
ARGS = "CLI arguments"


def arg_case(name: str, argv_of: Callable[[Path], list[str]], needles: list[str]) -> None:
    simple(f"args: {name}", ARGS, argv_of, needles)


def _compare(d: Path, *extra: str) -> list[str]:
    return ["compare", _cfg(d), _cfg(d), *CMP_SMALL, *extra, "--out", "OUT"]


arg_case("replicates 1", lambda d: _compare(d, "--replicates", "1"), ["--replicates"])
arg_case("replicates 0", lambda d: _compare(d, "--replicates", "0"), ["--replicates"])
arg_case("replicates negative", lambda d: _compare(d, "--replicates", "-5"), ["--replicates"])
arg_case("replicates text", lambda d: _compare(d, "--replicates", "ten"), ["--replicates"])
arg_case("compare workers 0", lambda d: _compare(d, "--replicates", "2", "--workers", "0"), ["--workers"])
arg_case("compare missing scenario", lambda d: ["compare", _cfg(d), "--out", "OUT"], ["SCENARIO"])
arg_case("sweep workers 0", lambda d: ["sweep", _sweep(d), "--workers", "0", "--out", "OUT"], ["--workers"])
arg_case(
    "sweep workers negative", lambda d: ["sweep", _sweep(d), "--workers", "-3", "--out", "OUT"], ["--workers"]
)
arg_case(
    "sweep workers text", lambda d: ["sweep", _sweep(d), "--workers", "many", "--out", "OUT"], ["--workers"]
)
arg_case(
    "sweep unknown executor",
    lambda d: ["sweep", _sweep(d), "--executor", "gpu", "--out", "OUT"],
    ["--executor"],
)
arg_case(
    "sweep scheduler bad protocol",
    lambda d: ["sweep", _sweep(d), "--scheduler", "ftp://x:1", "--out", "OUT"],
    ["--scheduler", "protocol"],
)
arg_case(
    "sweep scheduler not host:port",
    lambda d: ["sweep", _sweep(d), "--scheduler", "tcp://:x", "--out", "OUT"],
    ["--scheduler"],
)
arg_case("seed negative", lambda d: ["run", _cfg(d), *SMALL, "--seed", "-1", "--out", "OUT"], ["run.seed"])
arg_case(
    "seed past 64 bits", lambda d: ["run", _cfg(d), *SMALL, "--seed", str(2**70), "--out", "OUT"], ["--seed"]
)
arg_case("years negative", lambda d: ["run", _cfg(d), "--years", "-2", "--out", "OUT"], ["--years"])
arg_case(
    "years past the horizon", lambda d: ["run", _cfg(d), "--years", "1000", "--out", "OUT"], ["end_year"]
)
arg_case("years past 64 bits", lambda d: ["run", _cfg(d), "--years", str(2**70), "--out", "OUT"], ["--years"])
arg_case("years text", lambda d: ["run", _cfg(d), "--years", "two", "--out", "OUT"], ["--years"])
arg_case("dashboard port out of range", lambda d: ["dashboard", "--port", "70000"], ["--port"])


# ---------------------------------------------------------------------------- the test
EXPECTED = {CONFIG: 41, LEVERS: 39, SET: 16, REGION: 21, SWEEP: 31, ARCHIVE: 12, OUTPUT: 9, ARGS: 19}


def test_the_table_counts_are_right() -> None:
    counts: dict[str, int] = {}
    for c in CASES.values():
        counts[c.category] = counts.get(c.category, 0) + 1
    assert counts == EXPECTED, counts
    assert len(CASES) + 22 + 41 >= 150


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(folder, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.delenv(limits.MEMORY_ENV, raising=False)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_cleanly(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    archives: dict[str, Path],
) -> None:
    c = CASES[name]
    d = tmp_path / "case"
    d.mkdir()
    argv, needles = c.build(d, monkeypatch, archives)
    out = tmp_path / "out"
    argv = [str(out) if a == "OUT" else a for a in argv]
    capsys.readouterr()
    before = _snapshot(tmp_path)
    start = time.perf_counter()
    rc = cli.main(argv)  # a traceback would raise here
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert rc == c.code, (rc, captured.out[-2000:], captured.err[-2000:])
    if c.code == 2:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1, lines[:5]
        line = lines[0]
        assert line.startswith("error: ") and len(line) < 4000, line[:300]
        assert "<config>" not in line
    else:  # verify: files differ, named on stdout
        line = captured.out
        assert "NOT verified" in line
    for needle in needles:
        assert needle in line, (needle, line[:600])
    assert not out.exists()
    assert _snapshot(tmp_path) == before, _snapshot(tmp_path) ^ before
    assert elapsed < 30, f"{elapsed:.1f} s"
    if c.code == 2:
        assert captured.out == "", captured.out[:500]
