"""The project as a package: ``simulation`` and ``agents`` import from any folder (editable install
by ``uv sync``), a built wheel carries the region data and runs outside the project, and Mesa's
``batch_run`` takes a Config as one value."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import mesa
import pandas as pd
import pytest

from simulation.config import load_config
from simulation.model import MiddleYangtzeModel

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["scale.talent_agents=1000", "scale.firm_agents=200", "run.end_year=2021"]
PROBE = """
import sys, simulation, agents
from simulation.region import load_region
from simulation.model import MiddleYangtzeModel
r = load_region("middle_yangtze")
m = MiddleYangtzeModel(rng=1, talent_agents=500, firm_agents=150, end_year=2020).run()
print(simulation.__file__)
print(agents.__file__)
names = r.files()
found = "cities.csv" if "cities.csv" in names else "-"
print(len(r.cities), len(r.links), found, round(float(m.city.gdp.sum()), 6))
"""


def env_without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def test_the_packages_import_from_another_folder(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env_without_pythonpath(),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sim, ag, facts = done.stdout.strip().splitlines()
    assert Path(sim).parent == ROOT / "simulation" and Path(ag).parent == ROOT / "agents"  # editable
    assert facts.split()[:3] == ["31", "126", "cities.csv"]


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv to build the wheel")
def test_a_built_wheel_runs_outside_the_project_with_its_region_data(tmp_path):
    """Non-editable: the wheel's own copy of simulation/regions/** is what the model reads."""
    uv = shutil.which("uv")
    env = env_without_pythonpath()
    build = subprocess.run([uv, "build", "--wheel", "--out-dir", str(tmp_path / "dist"), str(ROOT)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("midyangtze-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    # the dependencies from this environment (a plain path entry: its .pth files, among them the
    # editable install's, are not processed), the project itself only from the wheel
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([uv, "pip", "install", "--python", str(python), "--no-deps", "--offline",
                              str(wheel)], env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert install.returncode == 0, install.stderr
    done = subprocess.run([python, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sim, ag, facts = done.stdout.strip().splitlines()
    assert Path(sim).parent == site / "simulation" and Path(ag).parent == site / "agents"
    assert facts.split()[:3] == ["31", "126", "cities.csv"]
    here = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert here.stdout.strip().splitlines()[2] == facts  # the same numbers as the editable install


def test_a_config_is_one_value_not_a_collection():
    cfg = load_config(None, SMALL)
    with pytest.raises(TypeError, match="single value"):
        iter(cfg)
    assert cfg.model_dump()["scale"]["talent_agents"] == 1000


def test_batch_run_takes_a_config_directly_and_agrees_with_a_direct_run():
    cfg = load_config(None, SMALL)
    other = load_config(None, [*SMALL, "talent.border_cost=1.4"])
    rows = pd.DataFrame(
        mesa.batch_run(
            MiddleYangtzeModel,
            parameters={"config": cfg},
            rng=[1, 2],
            max_steps=10,
            number_processes=1,
            display_progress=False,
        )  # fmt: skip
    )
    assert len(rows) == 2 and sorted(rows["rng"]) == [1, 2]  # one run per seed, not one per section
    assert (rows["year"] == 2021).all()
    direct = MiddleYangtzeModel(cfg, rng=1).run()
    assert rows.loc[rows["rng"] == 1, "gdp"].item() == float(direct.city.gdp.sum())
    both = pd.DataFrame(
        mesa.batch_run(
            MiddleYangtzeModel,
            parameters={"config": [cfg, other]},
            rng=[1],
            max_steps=10,
            number_processes=1,
            display_progress=False,
        )  # fmt: skip
    )
    assert len(both) == 2 and both["gdp"].nunique() == 2
