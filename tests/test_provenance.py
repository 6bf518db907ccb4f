"""Exact provenance: every archive's manifest lists each installed distribution and a hash of the
list; verify names every distribution that drifted since."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from simulation import cli
from simulation.archive import provenance, schema
from simulation.archive.files import MANIFEST
from simulation.experiments.sweep.run import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.experiments.sweep.verify import verify_sweep_archive

SMALL = ["--set", "scale.talent_agents=1500", "--set", "scale.firm_agents=200", "--set", "run.end_year=2021"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_archive(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("prov") / "run"
    assert cli.main(["run", str(ROOT / "configs" / "baseline.toml"), *SMALL, "--out", str(out)]) == 0
    return out


def test_the_manifest_lists_every_installed_distribution(run_archive):
    m = json.loads((run_archive / MANIFEST).read_text())
    dists = m["distributions"]
    installed = {provenance._canonical_name(d.metadata["Name"]) for d in metadata.distributions()}
    assert set(dists) == installed and len(dists) > 50
    assert dists["networkx"] == metadata.version("networkx") and dists["mesa"] == metadata.version("mesa")
    lines = "".join(f"{k}=={v}\n" for k, v in sorted(dists.items()))
    assert m["distributions_sha256"] == __import__("hashlib").sha256(lines.encode()).hexdigest()


def test_a_list_that_does_not_match_its_hash_is_refused(run_archive, tmp_path):
    m = json.loads((run_archive / MANIFEST).read_text())
    m["distributions"]["networkx"] = "0.1"
    m = schema.sealed(m)  # a fresh digest: only the list's own hash can catch it
    with pytest.raises(schema.ManifestInvalid) as info:
        schema.check(m)
    assert info.value.field == "distributions_sha256"


def test_verify_names_each_drifted_distribution(run_archive, monkeypatch, capsys):
    real = provenance.installed_distributions()
    assert cli.main(["verify", str(run_archive)]) == 0
    assert "drift" not in capsys.readouterr().out
    fake = {**real, "networkx": "3.0.dev0", "left-pad": "1.0"}
    del fake["tqdm"]
    monkeypatch.setattr(provenance, "installed_distributions", lambda: fake)
    assert cli.main(["verify", str(run_archive)]) == 0  # the bits still match: verified, with the drift named
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "environment drift" in x)
    assert f"networkx {real['networkx']} -> 3.0.dev0" in line
    assert "added left-pad 1.0" in line and f"removed tqdm {real['tqdm']}" in line
    assert "3 installed distribution(s) differ" in line


def test_a_sweep_archive_records_and_checks_the_environment(tmp_path, monkeypatch):
    spec = tmp_path / "s.toml"
    spec.write_text(
        '[sweep]\nseed = 1\n[set]\n"scale.talent_agents" = 1500\n"scale.firm_agents" = 200\n'
        '"run.end_year" = 2020\n[parameters]\n"talent.border_cost" = [1.0]\n'
    )
    out = tmp_path / "a"
    run_sweep(load_sweep(spec), out, executor="serial", reuse=False, plots=False)
    m = json.loads((out / MANIFEST).read_text())
    assert m["distributions"] == provenance.installed_distributions()
    assert m["sessions"][-1]["distributions_sha256"] == m["distributions_sha256"]
    fake = {**provenance.installed_distributions(), "numpy": "1.0"}
    monkeypatch.setattr(provenance, "installed_distributions", lambda: fake)
    report = verify_sweep_archive(out, sample=1)
    assert report.ok and any("numpy" in n and "-> 1.0" in n for n in report.notes)
    again = run_sweep(load_sweep(spec), out, executor="serial", reuse=False, plots=False)
    assert any("installed distributions changed" in n and "numpy" in n for n in again.notes)
