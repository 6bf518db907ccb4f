"""Results of pure year-0 computations, shared by the runs one process makes.

The runs of a sweep mostly solve the same year-0 inversions on the same inputs (the same region and
the same production and trade parameters). :func:`shared` keys a result by the exact bytes, dtype
and shape of every input array and the value of every scalar, so it is reused only where the
computation would return the same thing, and each caller gets its own copy of it. Only pure
functions of their arguments belong here: nothing that reads the model, a random stream or the
clock. A process keeps at most :data:`MAX_ENTRIES` results per function (the oldest go first).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_ENTRIES = 16
_RESULTS: dict[str, OrderedDict[bytes, np.ndarray]] = {}


def key(*arrays: np.ndarray, **scalars: Any) -> bytes:
    """sha256 over each array's dtype, shape and bytes (C order) and each scalar's repr."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    for name in sorted(scalars):
        h.update(f"{name}={scalars[name]!r};".encode())
    return h.digest()


def shared(fn: Callable[..., np.ndarray], *arrays: np.ndarray, **scalars: Any) -> np.ndarray:
    """``fn(*arrays, **scalars)``, computed once per process for equal inputs; returns a copy.

    Exceptions are not cached: a failing input raises again on the next call.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    store = _RESULTS.setdefault(name, OrderedDict())
    k = key(*arrays, **scalars)
    if k not in store:
        store[k] = fn(*arrays, **scalars)
        while len(store) > MAX_ENTRIES:
            store.popitem(last=False)
    store.move_to_end(k)
    return store[k].copy()


def clear() -> None:
    """Forget every shared result (tests; a long-lived process that wants its memory back)."""
    _RESULTS.clear()
