"""Raw configuration data before validation: ``--set`` overrides, dotted paths, defaults overlay.

Plain dictionaries in, plain dictionaries out; ``simulation.config`` validates the result into a
``Config`` and reads and writes TOML files.
"""

from __future__ import annotations

import copy
import tomllib
from typing import Any

from simulation.params import ConfigError


def parse_value(text: str) -> Any:
    """Parse the right-hand side of ``--set key=value`` as a TOML value, else keep it a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(
    data: dict[str, Any], overrides: list[str] | dict[str, Any], file: str = "--set"
) -> dict[str, Any]:
    """Apply ``section.key=value`` overrides (strings or a dict of dotted path -> value) to a raw dict."""
    out = copy.deepcopy(data)
    items: list[tuple[str, Any]]
    if isinstance(overrides, dict):
        items = list(overrides.items())
    else:
        items = []
        for item in overrides:
            if "=" not in item:
                raise ConfigError(file, item, "expected key=value, e.g. scale.talent_agents=1000000")
            key, value = item.split("=", 1)
            items.append((key.strip(), parse_value(value.strip())))
    for key, value in items:
        parts = key.split(".")
        if not all(parts):
            raise ConfigError(file, key, "empty part in dotted path")
        node = out
        for part in parts[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ConfigError(file, key, f"'{part}' is a value, not a section")
            node = nxt
        node[parts[-1]] = value
    return out


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested config dict as {dotted path: value}."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def overlay(base: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``data`` on the defaults, so a partial section (one sector's value) keeps the rest."""
    out = dict(base)
    for k, v in data.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = overlay(out[k], v)
        else:
            out[k] = v
    return out


def drop_none(value: Any) -> Any:
    """``value`` without its ``None`` entries, at any depth (TOML has no null)."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value
