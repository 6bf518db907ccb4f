"""Innovation alliance of the three high-tech zones (东湖/长沙/南昌 创新高地).

(Being written: the mechanism, its config section and its hooks land with this module.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.policies import Lever
from simulation.policies.base import LeverSection

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


class InnovationAllianceSection(LeverSection):
    """Innovation alliance of the three high-tech zones (东湖/长沙/南昌 创新高地)."""


class InnovationAlliance(Lever):
    name = "innovation_alliance"

    def __init__(self, model: MiddleYangtzeModel, section: InnovationAllianceSection) -> None:
        super().__init__(model, section)
