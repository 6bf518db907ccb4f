"""What a worker keeps between runs (simulation.workers, simulation.core.memo) never changes a
result: runs made one after another in one process equal the same runs made from a cold state."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import workers
from simulation.config import load_config, to_toml
from simulation.core import memo, trade
from simulation.experiments.sweep.exec import Task, run_bytes, run_task, run_tasks
from simulation.model import MiddleYangtzeModel

SMALL = ["scale.talent_agents=1500", "scale.firm_agents=200", "run.end_year=2021"]


def test_warm_runs_equal_cold_runs():
    cfgs = [load_config(None, [*SMALL, f"talent.border_cost={b}"]) for b in (0.6, 1.4)]
    tasks = [Task(f"r{i}{s}", to_toml(c), s) for i, c in enumerate(cfgs) for s in (1, 2)]
    warm = run_tasks(tasks)  # one process, caches filled by the first run
    assert all(o.ok for o in warm), [o.error for o in warm]
    for task, cfg, got in zip(tasks, [c for c in cfgs for _ in (1, 2)], warm, strict=True):
        memo.clear()
        workers._REGIONS.clear()
        cold = MiddleYangtzeModel(cfg, rng=task.seed).run()  # no shared region, no memo
        assert got.data == run_bytes(cold.tables()), task.run_id
    assert len({o.data for o in warm}) == 4


def test_each_run_gets_its_own_copy_of_the_region():
    a, b = workers.shared_region("middle_yangtze"), workers.shared_region("middle_yangtze")
    assert a is not b and a.cities is not b.cities and a.cities.equals(b.cities)
    a.cities.loc[a.cities.index[0], "gdp_2019_100m_yuan"] = -1.0  # a run that damaged its copy
    c = workers.shared_region("middle_yangtze")
    assert c.cities.equals(b.cities)


def test_a_region_folder_that_changes_is_read_again(tmp_path):
    import shutil

    from simulation.region import BUILTIN_REGIONS_DIR, load_region

    folder = tmp_path / "r"
    shutil.copytree(BUILTIN_REGIONS_DIR / "middle_yangtze", folder)
    first = workers.shared_region(str(folder))
    cities = folder / "cities.csv"
    lines = cities.read_text().splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    col = header.index("gdp_2019_100m_yuan")
    row[col] = str(float(row[col]) + 1.0)
    cities.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    second = workers.shared_region(str(folder))
    assert second.cities.iloc[0]["gdp_2019_100m_yuan"] == first.cities.iloc[0]["gdp_2019_100m_yuan"] + 1.0
    assert second.cities.equals(load_region(folder).cities)


def test_memo_is_keyed_by_the_inputs_and_hands_out_copies():
    memo.clear()
    calls = []

    def double(x: np.ndarray, *, k: float = 2.0) -> np.ndarray:
        calls.append(1)
        return x * k

    x = np.arange(4.0)
    r1 = memo.shared(double, x)
    r1[0] = 99.0  # a caller changing its result does not change the next one's
    assert memo.shared(double, x).tolist() == [0.0, 2.0, 4.0, 6.0] and len(calls) == 1
    assert memo.shared(double, x, k=3.0).tolist() == [0.0, 3.0, 6.0, 9.0] and len(calls) == 2
    assert memo.shared(double, x.astype(np.float32)).dtype == np.float32 and len(calls) == 3
    y = x.copy()
    y[3] = 5.0
    assert memo.shared(double, y)[3] == 10.0 and len(calls) == 4


def test_memo_does_not_keep_failures():
    memo.clear()
    y0 = np.ones((4, 3))
    e = np.full((4, 4), 0.1)  # targets above total spending: invert_shifters raises
    tpow = np.ones((4, 4, 4))
    for _ in range(2):
        with pytest.raises(ValueError, match="exceed"):
            memo.shared(trade.invert_shifters, y0, e, tpow)


def test_a_failing_run_in_a_batch_does_not_stop_the_others():
    good = to_toml(load_config(None, SMALL))
    out = run_tasks([Task("bad", "run = 5\n", 1), Task("good", good, 1)])
    assert [o.ok for o in out] == [False, True] and out[0].error
    assert run_task(Task("good", good, 1)).data == out[1].data
