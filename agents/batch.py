"""Creating and removing many agents at once (graduates, entrants and leavers, every year).

``spawn`` builds each agent with exactly the attributes ``mesa.Agent.__init__`` gives it (``model``,
``unique_id``, ``pos``) plus its table ``slot``, and registers them with the model in one call
(``MiddleYangtzeModel.register_agents``): at research scale a million agents are built at year 0
and some 70,000 arrive every year, and Mesa's per-agent constructor is the largest single cost of a
run. When a Mesa dataset tracks the class, it falls back to the ordinary constructor so that the
dataset sees each agent.
"""

from __future__ import annotations

from typing import Any

import mesa


def spawn(cls: type[mesa.Agent], model: Any, slots: list[int]) -> list[mesa.Agent]:
    """One agent of ``cls`` per slot, registered with ``model``; returns them in slot order."""
    if cls._datasets:
        return [cls(model, s) for s in slots]
    new = object.__new__
    start = model.agent_id_counter
    agents = []
    for i, s in enumerate(slots):
        a = new(cls)  # attributes set one by one keep Python's compact (shared-key) instance dict
        a.model = model
        a.unique_id = start + i
        a.pos = None
        a.slot = s
        agents.append(a)
    model.register_agents(cls, agents)
    return agents


def retire(cls: type[mesa.Agent], model: Any, agents: list[mesa.Agent]) -> None:
    """Deregister ``agents`` of ``cls`` from ``model`` (Mesa's ``remove`` for each, in one call)."""
    if cls._datasets:
        for a in agents:
            a.remove()
        return
    model.deregister_agents(cls, agents)
