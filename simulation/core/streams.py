"""Common random numbers that survive divergence: counter-based streams keyed by agent identity.

Every random decision draws from a stream keyed by (root seed, purpose, year, agent id), so an
agent present on both sides of a paired comparison sees the same uniform whatever the other agents
did, and however many of them there are. No global random state and no numpy Generator: draws are
pure functions of their key, computed with the splitmix64 finaliser over uint64 arrays.

    key     = mix(mix(mix(seed ^ SALT) ^ purpose_code) ^ year)       one per (seed, purpose, year)
    state   = mix(id ^ key)                                         one per agent
    z[c]    = mix(state + c * GAMMA)                                column c (splitmix64 sequence)
    u[c]    = ((z[c] >> 12) + 0.5) * 2**-52                         in [2**-53, 1 - 2**-53]

Arithmetic runs in place on uint64 arrays (which wrap silently), so no overflow warning fires.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.special import ndtri

__all__ = ["Streams", "mix64", "purpose_code", "stable_ids"]

_U64 = np.uint64
_MAX_U64 = 2**64 - 1
_GAMMA = _U64(0x9E3779B97F4A7C15)
_M1, _M2 = _U64(0xBF58476D1CE4E5B9), _U64(0x94D049BB133111EB)
_M1_INT, _M2_INT = int(_M1), int(_M2)
_SEED_SALT, _IDS_SALT = 0x5EED5EED5EED5EED, 0x1D5A17C0FFEE1D5A
_KEY_CACHE_MAX = 4096


def _is_int(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def _as_uint64(x: int | np.ndarray, name: str) -> np.ndarray:
    """Non-negative integer input as a uint64 array; ValueError naming ``name`` otherwise."""
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integers (got dtype {a.dtype})")
    if a.dtype.kind == "i" and a.size and a.min() < 0:
        raise ValueError(f"{name} must be non-negative")
    return a.astype(_U64, copy=False)


def purpose_code(purpose: str) -> np.uint64:
    """64-bit code of a purpose name from its BLAKE2b digest: fixed across processes and platforms.

    Raises ValueError if ``purpose`` is not a non-empty string.
    """
    if not isinstance(purpose, str) or not purpose:
        raise ValueError(f"purpose must be a non-empty string (got {purpose!r})")
    digest = hashlib.blake2b(purpose.encode("utf-8"), digest_size=8, person=b"midyangtze").digest()
    return _U64(int.from_bytes(digest, "little"))


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (a bijection on 64-bit words), elementwise with wrapping arithmetic.

    Returns a new uint64 array of the shape of ``x`` (0-d stays a 0-d array); other integer dtypes
    are reinterpreted modulo 2**64. Raises ValueError if ``x`` is not of an integer dtype.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise ValueError(f"x must be an integer array (got dtype {a.dtype})")
    z = a.astype(_U64, copy=True)
    t = np.empty_like(z)
    for shift, mult in ((30, _M1), (27, _M2)):
        np.right_shift(z, _U64(shift), out=t)
        np.bitwise_xor(z, t, out=z)
        np.multiply(z, mult, out=z)
    np.right_shift(z, _U64(31), out=t)
    np.bitwise_xor(z, t, out=z)
    return z


def _mix64_int(z: int) -> int:
    """:func:`mix64` of one word as Python integers (the same bits; a scalar costs ~1 µs, not the
    ~20 µs of seven ufunc calls on a 0-d array)."""
    z ^= z >> 30
    z = (z * _M1_INT) & _MAX_U64
    z ^= z >> 27
    z = (z * _M2_INT) & _MAX_U64
    return z ^ (z >> 31)


def stable_ids(*parts: int | np.ndarray) -> np.ndarray:
    """Identity from integer parts, e.g. ``stable_ids(KIND_GRADUATE, year, city, index)``.

    Parts broadcast against each other; the result (uint64, below 2**63 so it also fits int64) is an
    elementwise hash of the parts in their order, independent of array order or creation order.
    Distinct part tuples collide with probability about n**2 / 2**64. Raises ValueError if no part is
    given, or a part is not integer, negative, or does not fit in 64 bits.
    """
    if not parts:
        raise ValueError("parts: at least one part is required")
    for i, p in enumerate(parts):
        if _is_int(p) and not 0 <= int(p) <= _MAX_U64:
            raise ValueError(f"parts[{i}] must be in [0, 2**64) (got {p})")
    arrays = np.broadcast_arrays(*(_as_uint64(p, f"parts[{i}]") for i, p in enumerate(parts)))
    h = np.array(_mix64_int(_IDS_SALT ^ len(parts)), dtype=_U64)
    for p in arrays:
        h = mix64(h ^ p)
    np.right_shift(h, _U64(1), out=h)
    return h


class Streams:
    """Counter-based random streams under one root seed."""

    def __init__(self, seed: int) -> None:
        """Raises ValueError if ``seed`` is not an integer in [0, 2**64)."""
        if not _is_int(seed) or not 0 <= int(seed) <= _MAX_U64:
            raise ValueError(f"seed must be an integer in [0, 2**64) (got {seed!r})")
        self.seed = int(seed)
        self._root = _mix64_int(self.seed ^ _SEED_SALT)
        self._keys: dict[tuple[str, int], np.uint64] = {}

    def key(self, purpose: str, year: int) -> np.uint64:
        """The key of (seed, purpose, year). Raises ValueError for a bad purpose or year."""
        if not _is_int(year) or not 0 <= int(year) < 2**63:
            raise ValueError(f"year must be a non-negative integer (got {year!r})")
        k = self._keys.get((purpose, int(year))) if isinstance(purpose, str) else None
        if k is None:
            k = _U64(_mix64_int(_mix64_int(self._root ^ int(purpose_code(purpose))) ^ int(year)))
            if len(self._keys) >= _KEY_CACHE_MAX:
                self._keys.clear()
            self._keys[(purpose, int(year))] = k
        return k

    def uniforms(self, purpose: str, year: int, ids: np.ndarray, k: int) -> np.ndarray:
        """Uniforms in the open interval (0, 1), shape ``ids.shape + (k,)``; independent columns.

        Column c depends only on (seed, purpose, year, id, c), so ``uniforms(..., k)[..., :m]`` equals
        ``uniforms(..., m)`` and column 0 equals ``uniform(...)``. Raises ValueError for a bad purpose,
        year, ``ids`` not of an integer dtype or negative, or ``k`` not a positive integer.
        """
        if not _is_int(k) or int(k) < 1:
            raise ValueError(f"k must be a positive integer (got {k!r})")
        key = self.key(purpose, year)
        state = mix64(_as_uint64(ids, "ids") ^ key)
        z = np.multiply(np.arange(int(k), dtype=_U64), _GAMMA)
        return self._to_unit(mix64(state[..., None] + z))

    def uniform(self, purpose: str, year: int, ids: np.ndarray) -> np.ndarray:
        """One uniform in the open interval (0, 1) per id, shape of ``ids``. Raises as ``uniforms``."""
        key = self.key(purpose, year)
        return self._to_unit(mix64(mix64(_as_uint64(ids, "ids") ^ key)))

    def normal(self, purpose: str, year: int, ids: np.ndarray) -> np.ndarray:
        """Standard normal per id, ``ndtri(uniform(...))`` (finite, |x| < 8.3). Raises as ``uniform``."""
        return ndtri(self.uniform(purpose, year, ids))

    @staticmethod
    def _to_unit(z: np.ndarray) -> np.ndarray:
        # top 52 bits plus a half step: exact in float64, so never 0 or 1 (53 bits would round to 1.0)
        np.right_shift(z, _U64(12), out=z)
        u = z.astype(np.float64)
        u += 0.5
        u *= 2.0**-52
        return u
