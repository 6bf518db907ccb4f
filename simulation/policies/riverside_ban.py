"""Riverside chemical ban and old-industrial-base relocation (岸线1公里化工园区, 老工业基地搬迁).

(Being written: the mechanism, its config section and its hooks land with this module.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.policies import Lever
from simulation.policies.base import LeverSection

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


class RiversideBanSection(LeverSection):
    """Riverside chemical ban and old-industrial-base relocation (岸线1公里化工园区, 老工业基地搬迁)."""


class RiversideBan(Lever):
    name = "riverside_ban"

    def __init__(self, model: MiddleYangtzeModel, section: RiversideBanSection) -> None:
        super().__init__(model, section)
