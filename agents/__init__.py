"""Mesa agents of the model: cities, firms and talent."""

from agents.city import CityAgent
from agents.firm import FirmAgent
from agents.talent import TalentAgent

__all__ = ["CityAgent", "FirmAgent", "TalentAgent"]
