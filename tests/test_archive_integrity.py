"""Archives that cannot be fooled (issue 15): the manifest's schema and digest, paths inside the
archive, no symlinks, no unlisted files, readers that check the hashes first, leftovers of killed
writers, and every writer's archive verifying clean (run, compare, sweep, resumed sweep)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simulation import cli
from simulation.archive import atomic, files, schema
from simulation.archive import run as run_archive_kind
from simulation.archive.files import MANIFEST
from simulation.experiments.sweep import folder
from simulation.experiments.sweep import run as sweep_run
from simulation.experiments.sweep.run import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.experiments.sweep.store import ANALYSIS, LOCK

SMALL = ["--set", "scale.talent_agents=1500", "--set", "scale.firm_agents=200", "--years", "2"]
SWEEP = """
[sweep]
design = "grid"
replicates = 1
seed = 5

[set]
"scale.talent_agents" = 1500
"scale.firm_agents" = 200
"run.end_year" = 2021

[parameters]
"talent.border_cost" = { values = [0.5, 1.5] }
"""


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(folder, "RESULTS_DIR", tmp_path / "results")


def _main(argv: list[str]) -> int:
    return cli.main(argv)


def _hashing_modules() -> list[object]:
    """The modules of simulation.archive that call ``sha256_file`` under that name."""
    return [
        m for name, m in sorted(sys.modules.items())
        if name.startswith("simulation.archive.") and getattr(m, "sha256_file", None) is files.sha256_file
    ]  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("configs") / "base.toml"
    path.write_text('[run]\nseed = 42\nregion = "middle_yangtze"\n')
    return path


@pytest.fixture(scope="module")
def run_archive(tmp_path_factory: pytest.TempPathFactory, base: Path) -> Path:
    out = tmp_path_factory.mktemp("run") / "g"
    assert _main(["run", str(base), *SMALL, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sweepfile") / "s.toml"
    path.write_text(SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sweep_archive(tmp_path_factory: pytest.TempPathFactory, sweep_file: Path) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "s"
    assert _main(["sweep", str(sweep_file), "--executor", "serial", "--out", str(out)]) == 0
    return out


def copy_of(archive: Path, tmp_path: Path, name: str = "copy") -> Path:
    dest = tmp_path / name
    shutil.copytree(archive, dest, symlinks=True)
    return dest


def edit_manifest(path: Path, change: Callable[[dict], object], reseal: bool = False) -> None:
    m = json.loads((path / MANIFEST).read_text())
    new = change(m)
    m = m if new is None else new
    if reseal:
        m = schema.sealed(m)
    (path / MANIFEST).write_text(json.dumps(m))


def one_error_line(code: int, capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in out + err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


# ---------------------------------------------------------------------------- the manifest
def _set(key: str, value: object) -> Callable[[dict], None]:
    return lambda m: m.__setitem__(key, value)


def _drop_design_parameters(m: dict) -> None:
    del m["design"]["parameters"]


MANIFEST_CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing manifest": (lambda p: (p / MANIFEST).unlink(), "manifest.json: missing"),
    "invalid JSON": (lambda p: (p / MANIFEST).write_text('{"seed": 4'), "manifest.json: json:"),
    "not UTF-8": (lambda p: (p / MANIFEST).write_bytes(b"\xff\xfe{}"), "manifest.json: json:"),
    "a JSON list": (lambda p: (p / MANIFEST).write_text("[1, 2]"), "(top level): is a list"),
    "files as a string": (lambda p: edit_manifest(p, _set("files", "all")), ": files: expected a valid dict"),
    "seed as text": (lambda p: edit_manifest(p, _set("seed", "42")), ": seed: expected a valid integer"),
    "seed a boolean": (lambda p: edit_manifest(p, _set("seed", True)), ": seed:"),
    "command = 5": (lambda p: edit_manifest(p, _set("command", 5)), ": command: expected a valid list"),
    "no created": (lambda p: edit_manifest(p, lambda m: m.pop("created") and None), ": created: missing"),
    "unknown kind": (lambda p: edit_manifest(p, _set("kind", "bogus")), ": kind:"),
    "old schema": (
        lambda p: edit_manifest(p, _set("schema_version", 1)),
        "schema_version: 1 is not supported",
    ),
    "no digest": (
        lambda p: edit_manifest(p, lambda m: m.pop(schema.DIGEST) and None),
        "manifest_sha256: missing",
    ),
    "command edited": (lambda p: edit_manifest(p, _set("command", ["rm", "-rf", "/"])), "manifest_sha256"),
    "config_source edited": (lambda p: edit_manifest(p, _set("config_source", "x.toml")), "manifest_sha256"),
    "git_commit edited": (
        lambda p: edit_manifest(p, lambda m: m["code"].__setitem__("git_commit", "0" * 40)),
        "manifest_sha256",
    ),
    "file hash edited": (
        lambda p: edit_manifest(p, lambda m: m["files"].__setitem__("summary.md", "0" * 64)),
        "manifest_sha256",
    ),
    "path up and out": (
        lambda p: edit_manifest(
            p, lambda m: m["files"].__setitem__("../../etc/passwd", "0" * 64), reseal=True
        ),
        "files['../../etc/passwd']: not a relative path inside the archive",
    ),
    "absolute path": (
        lambda p: edit_manifest(p, lambda m: m["files"].__setitem__("/etc/shadow", "0" * 64), reseal=True),
        "files['/etc/shadow']: not a relative path inside the archive",
    ),
    "manifest a symlink": (
        lambda p: (
            (p / "m.json").write_bytes((p / MANIFEST).read_bytes()),
            (p / MANIFEST).unlink(),
            (p / MANIFEST).symlink_to("m.json"),
        ),
        "manifest.json: symlink",
    ),  # fmt: skip
}


@pytest.mark.parametrize("command", ["verify", "show"])
@pytest.mark.parametrize("case", list(MANIFEST_CASES))
def test_a_bad_manifest_is_refused_in_one_line(
    case: str, command: str, run_archive: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    tamper, needle = MANIFEST_CASES[case]
    copy = copy_of(run_archive, tmp_path)
    tamper(copy)
    opened: list[Path] = []
    real = files.sha256_file
    for module in _hashing_modules():  # every binding of sha256_file in the storage layer
        monkeypatch.setattr(module, "sha256_file", lambda p: opened.append(Path(p)) or real(p))
    monkeypatch.setattr(
        run_archive_kind, "run_config", lambda *a, **k: pytest.fail("re-ran an untrusted archive")
    )
    one_error_line(_main([command, str(copy)]), capsys, str(copy), needle)
    assert all(p.resolve().is_relative_to(copy.resolve()) for p in opened), opened
    assert not any(".." in p.parts or p.name in ("passwd", "shadow") for p in opened)


def test_a_sweep_manifest_without_design_parameters_is_refused(
    sweep_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["verify"], ["show"], ["analyze"]):
        copy = copy_of(sweep_archive, tmp_path, f"copy-{command[0]}")
        edit_manifest(copy, _drop_design_parameters, reseal=True)
        one_error_line(_main([*command, str(copy)]), capsys, "design.parameters: missing")


def test_the_digest_is_over_the_canonical_manifest(run_archive: Path) -> None:
    m = json.loads((run_archive / MANIFEST).read_text())
    assert m["schema_version"] == schema.SCHEMA_VERSION == 2
    assert m[schema.DIGEST] == schema.digest(m) == schema.digest(json.loads(json.dumps(m, indent=0)))
    body = {k: v for k, v in m.items() if k != schema.DIGEST}
    assert schema.canonical(m) == json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------- the files
def _replace_with_symlink(p: Path) -> None:
    (p / "summary.md").unlink()
    (p / "summary.md").symlink_to("/etc/hostname")


FILE_REFUSALS: dict[str, tuple[Callable[[Path], None], str]] = {
    "listed file a symlink": (_replace_with_symlink, "summary.md: symlink"),
    "unlisted symlink out": (lambda p: (p / "extra.txt").symlink_to("/etc/hostname"), "extra.txt: symlink"),
    "unlisted loop -> .": (lambda p: (p / "loop").symlink_to("."), "loop: symlink"),
    "symlinked folder": (lambda p: (p / "plots" / "up").symlink_to(".."), "plots/up: symlink"),
    "a FIFO": (lambda p: os.mkfifo(p / "pipe"), "pipe: file: not a regular file"),
}


@pytest.mark.parametrize("command", ["verify", "show"])
@pytest.mark.parametrize("case", list(FILE_REFUSALS))
def test_symlinks_and_special_files_are_refused(
    case: str, command: str, run_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper, needle = FILE_REFUSALS[case]
    copy = copy_of(run_archive, tmp_path)
    tamper(copy)
    one_error_line(_main([command, str(copy)]), capsys, needle)


def _flip_byte(p: Path) -> None:
    data = bytearray((p / "cities.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (p / "cities.parquet").write_bytes(bytes(data))


FILE_DIFFERENCES: dict[str, tuple[Callable[[Path], None], str]] = {
    "changed file": (_flip_byte, "cities.parquet: sha256 differs from the manifest"),
    "deleted file": (lambda p: (p / "flows.parquet").unlink(), "flows.parquet: missing"),
    "unlisted file": (lambda p: (p / "extra.txt").write_text("x"), "extra.txt: not listed in the manifest"),
    "unlisted hidden file": (lambda p: (p / "plots" / ".x").write_text("x"), "plots/.x: not listed"),
}


@pytest.mark.parametrize("case", list(FILE_DIFFERENCES))
def test_files_that_differ_fail_verify_without_a_rerun_and_are_refused_by_show(
    case: str, run_archive: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    tamper, needle = FILE_DIFFERENCES[case]
    copy = copy_of(run_archive, tmp_path)
    tamper(copy)
    monkeypatch.setattr(
        run_archive_kind, "run_config", lambda *a, **k: pytest.fail("re-ran an archive whose files differ")
    )
    assert _main(["verify", str(copy)]) == 1
    out, err = capsys.readouterr()
    assert needle in out and "NOT verified" in out.splitlines()[-1] and "Traceback" not in out + err
    one_error_line(_main(["show", str(copy)]), capsys, str(copy), "files:", needle)


# ---------------------------------------------------------------------------- sweep readers
SWEEP_TAMPERING: dict[str, tuple[Callable[[Path], None], str]] = {
    "deleted run file": (lambda p: next((p / "runs").rglob("*.parquet")).unlink(), ": missing"),
    "changed run file": (
        lambda p: next((p / "runs").rglob("*.parquet")).write_bytes(b"PAR1"),
        "sha256 differs from the manifest",
    ),
    "extra run file": (
        lambda p: (p / "runs" / "f00d.parquet").write_bytes(b"x"),
        "runs/f00d.parquet: not listed",
    ),
    "edited index": (lambda p: (p / "runs.parquet").write_bytes(b"x"), "runs.parquet: sha256 differs"),
    "run file a symlink": (lambda p: (p / "runs" / "x.parquet").symlink_to("/etc/hostname"), "symlink"),
}


@pytest.mark.parametrize("case", list(SWEEP_TAMPERING))
def test_analyze_checks_the_hashes_first(
    case: str, sweep_archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper, needle = SWEEP_TAMPERING[case]
    copy = copy_of(sweep_archive, tmp_path)
    tamper(copy)
    one_error_line(_main(["analyze", str(copy), "--no-plots"]), capsys, str(copy), needle)
    assert not (copy / ANALYSIS).exists()
    assert _main(["verify", str(copy), "--sample", "0"]) in (1, 2)
    assert "Traceback" not in "".join(capsys.readouterr())


def test_a_resume_does_not_seal_in_an_edit(
    sweep_archive: Path, sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_of(sweep_archive, tmp_path)
    (copy / "design.parquet").write_bytes(b"x")
    argv = ["sweep", str(sweep_file), "--executor", "serial", "--out", str(copy)]
    one_error_line(_main(argv), capsys, "cannot resume", "design.parquet: sha256 differs")
    copy = copy_of(sweep_archive, tmp_path, "copy2")
    edit_manifest(copy, _set("command", ["edited"]))
    one_error_line(_main(argv[:-1] + [str(copy)]), capsys, "manifest_sha256")


@pytest.mark.parametrize("value", ["-1", "-100", "abc", "1.5", ""])
def test_verify_sample_nonsense_is_refused(
    value: str, sweep_archive: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one_error_line(_main(["verify", str(sweep_archive), "--sample", value]), capsys, "--sample")


# ---------------------------------------------------------------------------- every writer verifies
def _verified(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    m = json.loads((path / MANIFEST).read_text())
    assert m[schema.DIGEST] == schema.digest(m)
    assert _main(["verify", str(path), *extra]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("verified: "), out
    assert _main(["show", str(path)]) == 0
    capsys.readouterr()


def test_run_archive_verifies(run_archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _verified(run_archive, capsys)


def test_compare_archive_verifies(base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(base.read_text() + "[talent]\nborder_cost = 0.5\n")
    sets = [
        "--set",
        "scale.talent_agents=1500",
        "--set",
        "scale.firm_agents=200",
        "--set",
        "run.end_year=2021",
    ]
    argv = ["compare", str(base), str(scenario), "--replicates", "2"]
    assert _main([*argv, *sets, "--out", str(out)]) == 0
    capsys.readouterr()
    _verified(out, capsys)


def test_sweep_archive_verifies_and_analyzes(sweep_archive: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _verified(sweep_archive, capsys, "--sample", "1")
    copy = sweep_archive.parent / "analysed"
    shutil.copytree(sweep_archive, copy)
    assert _main(["analyze", str(copy), "--no-plots"]) == 0
    capsys.readouterr()
    (copy / LOCK).touch()
    _verified(copy, capsys, "--sample", "0")  # the lock and the analysis folder are outside the manifest
    m = json.loads((copy / ANALYSIS / MANIFEST).read_text())
    assert m[schema.DIGEST] == schema.digest(m)


class Killed(BaseException):
    """Stands in for a SIGKILL: the session ends before its manifest is rewritten."""


def test_a_resumed_sweep_verifies(
    sweep_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "s"
    with monkeypatch.context() as mp:  # the run files are written, then the process "dies"
        mp.setattr(sweep_run, "build_index", lambda *a, **k: (_ for _ in ()).throw(Killed()))
        with pytest.raises(Killed):
            run_sweep(load_sweep(sweep_file), out, executor="serial", command=["test"])
    m = json.loads((out / MANIFEST).read_text())
    assert m["status"] == "running" and set(m["files"]) == {"sweep.toml", "base.toml", "design.parquet"}
    assert len(list((out / "runs").rglob("*.parquet"))) == 2  # unlisted so far
    assert _main(["analyze", str(out)]) == 2
    assert "not listed" in capsys.readouterr().err
    (out / "runs" / "orphan.parquet.tmp-99999999").write_bytes(b"half")  # a killed writer's temp file
    assert _main(["sweep", str(sweep_file), "--executor", "serial", "--out", str(out)]) == 0
    assert "resumed archive: 2 ok" in capsys.readouterr().out
    _verified(out, capsys, "--sample", "2")
    next((out / "runs").rglob("*.parquet")).unlink()  # a lost run file is run again on resume
    assert _main(["sweep", str(sweep_file), "--executor", "serial", "--out", str(out)]) == 0
    capsys.readouterr()
    _verified(out, capsys, "--sample", "0")


# ---------------------------------------------------------------------------- leftovers of killed writers
def test_leftovers_of_dead_writers_are_cleaned_live_ones_kept(base: Path, tmp_path: Path) -> None:
    done = subprocess.Popen(["true"])
    done.wait()
    live = subprocess.Popen(["sleep", "60"])
    try:
        folder = tmp_path / "out"
        folder.mkdir()
        dead_dir = folder / f".g.partial-{done.pid}"
        live_dir = folder / f".h.partial-{live.pid}"
        old_dir = folder / f".analysis.old-{done.pid}"
        other = folder / ".keep.partial-x"
        for p in (dead_dir, live_dir, old_dir, other):
            (p / "plots").mkdir(parents=True)
            (p / "plots" / "a.png").write_bytes(b"x")
        assert _main(["run", str(base), *SMALL, "--out", str(folder)]) == 0
        assert not dead_dir.exists() and not old_dir.exists()
        assert live_dir.is_dir() and other.is_dir()
        assert len([p for p in folder.iterdir() if not p.name.startswith(".")]) == 1
    finally:
        live.kill()
        live.wait()
    assert atomic.clean_stale(folder) == [live_dir] and other.is_dir()
