"""The stages, levers and agents see the model through ``simulation.core.state.ModelState``."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from simulation.core.state import ModelState
from tests.conftest import small_model

ROOT = Path(__file__).resolve().parent.parent
# still names simulation.model for its type; switches to ModelState with the environment work under
# way (the test fails once it no longer does, so that this list cannot go stale)
PENDING: set[str] = set()


def _members() -> list[str]:
    names = list(ModelState.__annotations__)
    names += [n for n, v in vars(ModelState).items() if not n.startswith("__") and callable(v)]
    names += [n for n, v in vars(ModelState).items() if isinstance(v, property)]
    return names


def test_the_model_has_every_member_of_its_state_view():
    model = small_model(seed=2, years=1).run()
    missing = [n for n in _members() if not hasattr(model, n)]
    assert len(_members()) > 50
    assert missing == []


def _imports_the_model(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "simulation.model":
            return True
        if isinstance(node, ast.Import) and any(a.name == "simulation.model" for a in node.names):
            return True
    return False


def test_no_stage_lever_or_agent_imports_the_model_module():
    globs = ("simulation/core/**/*.py", "simulation/policies/*.py", "agents/*.py")
    files = [p for g in globs for p in ROOT.glob(g)]
    assert len(files) > 30
    importing = {str(p.relative_to(ROOT)) for p in files if _imports_the_model(p)}
    assert importing == PENDING


def test_the_state_view_runs_nothing():
    """A Protocol: the model satisfies it without naming it, so nothing of it enters a run."""
    from simulation.model import MiddleYangtzeModel

    assert ModelState not in inspect.getmro(MiddleYangtzeModel)
    assert getattr(ModelState, "_is_protocol", False)
