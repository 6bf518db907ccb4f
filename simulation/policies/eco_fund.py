"""Joint ecological protection fund and green guidance fund (生态保护基金, 绿色引导基金).

(Being written: the mechanism, its config section and its hooks land with this module.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.policies import Lever
from simulation.policies.base import LeverSection

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


class EcoFundSection(LeverSection):
    """Joint ecological protection fund and green guidance fund (生态保护基金, 绿色引导基金)."""


class EcoFund(Lever):
    name = "eco_fund"

    def __init__(self, model: MiddleYangtzeModel, section: EcoFundSection) -> None:
        super().__init__(model, section)
