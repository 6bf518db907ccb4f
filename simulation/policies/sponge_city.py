"""Sponge cities and full sewage collection and treatment (海绵城市, 污水全收集全处理).

(Being written: the mechanism, its config section and its hooks land with this module.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.policies import Lever
from simulation.policies.base import LeverSection

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


class SpongeCitySection(LeverSection):
    """Sponge cities and full sewage collection and treatment (海绵城市, 污水全收集全处理)."""


class SpongeCity(Lever):
    name = "sponge_city"

    def __init__(self, model: MiddleYangtzeModel, section: SpongeCitySection) -> None:
        super().__init__(model, section)
