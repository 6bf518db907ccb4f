"""Hukou reform with its public-service cost (户籍制度改革, 公共服务均等化).

(Being written: the mechanism, its config section and its hooks land with this module.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.policies import Lever
from simulation.policies.base import LeverSection

if TYPE_CHECKING:
    from simulation.model import MiddleYangtzeModel


class HukouReformSection(LeverSection):
    """Hukou reform with its public-service cost (户籍制度改革, 公共服务均等化)."""


class HukouReform(Lever):
    name = "hukou_reform"

    def __init__(self, model: MiddleYangtzeModel, section: HukouReformSection) -> None:
        super().__init__(model, section)
