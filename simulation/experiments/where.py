"""The ``--where`` condition of ``discover``: comparisons of outcome metrics joined by and / or.

Grammar (no Python ``eval``: a small recursive-descent parser, so a condition can only compare)::

    condition  := conjunct ("or" conjunct)*
    conjunct   := atom ("and" atom)*
    atom       := "(" condition ")" | "not" atom | NAME OP value
    OP         := ">" | ">=" | "<" | "<=" | "==" | "!="
    value      := a number (1e5, -3.2) | pNN (the NN-th percentile of NAME over the cases)

``NAME`` is a metric such as ``gdp_final`` or ``air_quality_mean`` (see
:mod:`simulation.experiments.outcomes`). :func:`parse` checks the syntax and returns a
:class:`Condition`; :meth:`Condition.evaluate` applies it to a table of cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

OPS = (">=", "<=", "!=", "==", ">", "<")
_TOKEN = re.compile(
    r"\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])|(?P<pct>p\d{1,2}(?:\.\d+)?)\b"
    r"|(?P<op>>=|<=|!=|==|>|<)|(?P<paren>[()])|(?P<name>[A-Za-z_][\w.:@-]*))"
)
KEYWORDS = ("and", "or", "not")


class ConditionError(ValueError):
    """A ``--where`` condition that does not parse: what is wrong and where."""


@dataclass(frozen=True)
class Comparison:
    name: str
    op: str
    value: float | None = None  # a number, or None with ``percentile``
    percentile: float | None = None

    def threshold(self, x: np.ndarray) -> float:
        if self.percentile is None:
            assert self.value is not None
            return self.value
        finite = x[np.isfinite(x)]
        return float(np.percentile(finite, self.percentile)) if finite.size else float("nan")

    def text(self) -> str:
        rhs = f"p{self.percentile:g}" if self.percentile is not None else f"{self.value:g}"
        return f"{self.name} {self.op} {rhs}"


@dataclass(frozen=True)
class Node:
    kind: str  # "and" | "or" | "not" | "cmp"
    parts: tuple[Any, ...]


class Condition:
    """A parsed condition: its metric names, its normal text, and evaluation on a table."""

    def __init__(self, root: Node, source: str) -> None:
        self.root, self.source = root, source

    @property
    def names(self) -> list[str]:
        out: list[str] = []

        def walk(n: Node) -> None:
            if n.kind == "cmp":
                out.append(n.parts[0].name)
            else:
                for p in n.parts:
                    walk(p)

        walk(self.root)
        return list(dict.fromkeys(out))

    def text(self) -> str:
        def show(n: Node, top: bool = True) -> str:
            if n.kind == "cmp":
                return n.parts[0].text()
            if n.kind == "not":
                return f"not {show(n.parts[0], False)}"
            body = f" {n.kind} ".join(show(p, False) for p in n.parts)
            return body if top else f"({body})"

        return show(self.root)

    def thresholds(self, cases: pd.DataFrame) -> dict[str, float]:
        """Every comparison's threshold on ``cases`` (percentiles resolved), by its text."""
        out: dict[str, float] = {}

        def walk(n: Node) -> None:
            if n.kind == "cmp":
                c = n.parts[0]
                out[c.text()] = c.threshold(cases[c.name].to_numpy(float))
            else:
                for p in n.parts:
                    walk(p)

        walk(self.root)
        return out

    def evaluate(self, cases: pd.DataFrame) -> np.ndarray:
        """A boolean array, one per row of ``cases`` (a NaN metric compares False)."""

        def ev(n: Node) -> np.ndarray:
            if n.kind == "cmp":
                c = n.parts[0]
                x = cases[c.name].to_numpy(float)
                t = c.threshold(x)
                with np.errstate(invalid="ignore"):
                    res = {">": x > t, ">=": x >= t, "<": x < t, "<=": x <= t, "==": x == t, "!=": x != t}
                return res[c.op] & np.isfinite(x)
            if n.kind == "not":
                return ~ev(n.parts[0])
            vals = [ev(p) for p in n.parts]
            return np.logical_and.reduce(vals) if n.kind == "and" else np.logical_or.reduce(vals)

        return ev(self.root)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ConditionError(f"cannot read {text[pos:].strip()[:30]!r} at character {pos + 1}")
        group = m.lastgroup or "?"
        value, start = m.group(group), m.start(group)
        kind = value.lower() if group == "name" and value.lower() in KEYWORDS else group
        out.append((kind, value, start))
        pos = m.end()
    return out


def parse(text: str) -> Condition:
    """Parse a condition.

    Raises:
        ConditionError: empty text, an unknown token, a comparison without a metric, operator or
            value, unbalanced parentheses, a percentile outside 0..100.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("empty")
    toks = _tokens(text)
    i = 0

    def peek() -> str | None:
        return toks[i][0] if i < len(toks) else None

    def take(kind: str, what: str) -> str:
        nonlocal i
        if peek() != kind:
            got = repr(toks[i][1]) if i < len(toks) else "the end"
            raise ConditionError(f"expected {what}, got {got}")
        i += 1
        return toks[i - 1][1]

    def atom() -> Node:
        nonlocal i
        if peek() == "paren" and toks[i][1] == "(":
            i += 1
            node = disjunction()
            if peek() != "paren" or toks[i][1] != ")":
                raise ConditionError("a '(' without its ')'")
            i += 1
            return node
        if peek() == "not":
            i += 1
            return Node("not", (atom(),))
        name = take("name", "a metric name such as gdp_final")
        op = take("op", f"an operator ({' '.join(OPS)}) after {name}")
        if peek() == "pct":
            q = float(take("pct", "")[1:])
            if not 0 <= q <= 100:
                raise ConditionError(f"percentile p{q:g} (allowed: p0 to p100)")
            return Node("cmp", (Comparison(name, op, percentile=q),))
        value = float(take("num", f"a number or a percentile such as p90 after {name} {op}"))
        return Node("cmp", (Comparison(name, op, value=value),))

    def conjunction() -> Node:
        nonlocal i
        parts = [atom()]
        while peek() == "and":
            i += 1
            parts.append(atom())
        return parts[0] if len(parts) == 1 else Node("and", tuple(parts))

    def disjunction() -> Node:
        nonlocal i
        parts = [conjunction()]
        while peek() == "or":
            i += 1
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else Node("or", tuple(parts))

    root = disjunction()
    if i != len(toks):
        raise ConditionError(
            f"unexpected {toks[i][1]!r} at character {toks[i][2] + 1} (join comparisons with and / or)"
        )
    return Condition(root, text)
