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


class BySlot:
    """The Mesa agent in each row (slot) of an agent table, ``None`` where the row is free.

    A list indexed by slot: putting and taking tens of thousands of agents a year costs a list store
    each, where a dictionary keyed by slot costs a hashed insert and delete in a table of a million.
    """

    def __init__(self) -> None:
        self._agents: list[mesa.Agent | None] = []

    def __getitem__(self, slot: int) -> mesa.Agent | None:
        return self._agents[slot]

    def __setitem__(self, slot: int, agent: mesa.Agent) -> None:
        self.put([slot], [agent])

    def __delitem__(self, slot: int) -> None:
        self._agents[slot] = None

    def put(self, slots: list[int], agents: list[mesa.Agent]) -> None:
        held = self._agents
        if slots and max(slots) >= len(held):
            held.extend([None] * (max(slots) + 1 - len(held)))
        for s, a in zip(slots, agents, strict=True):
            held[s] = a

    def take(self, slots: list[int]) -> list[mesa.Agent]:
        """The agents in ``slots``, leaving those rows empty."""
        held = self._agents
        out = [held[s] for s in slots]
        for s in slots:
            held[s] = None
        return out


def spawn(cls: type[mesa.Agent], model: Any, slots: list[int], by_slot: BySlot) -> list[mesa.Agent]:
    """One agent of ``cls`` per slot, registered with ``model`` and put in ``by_slot``; returns them
    in slot order."""
    if cls._datasets:
        agents = [cls(model, s) for s in slots]
        by_slot.put(slots, agents)
        return agents
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
    by_slot.put(slots, agents)
    return agents


def retire(cls: type[mesa.Agent], model: Any, slots: list[int], by_slot: BySlot) -> None:
    """Deregister the agents of ``cls`` in ``slots`` from ``model`` (Mesa's ``remove`` for each, in
    one call) and empty their rows of ``by_slot``."""
    agents = by_slot.take(slots)
    if cls._datasets:
        for a in agents:
            a.remove()
        return
    model.deregister_agents(cls, agents)
