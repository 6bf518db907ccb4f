"""Helpers for starting worker processes (compare, sweeps); imports nothing heavy."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """While worker processes start, hide the main script from multiprocessing's spawn.

    Workers need nothing from ``__main__`` (tasks and their arguments live in ``simulation.*``), but a
    spawned child re-imports the main script, and a script without an ``if __name__ == "__main__"``
    guard would start the whole command again in every worker. Without ``__spec__`` and
    ``__file__`` the child imports no main script at all. Used by compare, sweeps and validation.
    """
    main = sys.modules.get("__main__")
    saved = {k: getattr(main, k) for k in ("__spec__", "__file__") if main is not None and hasattr(main, k)}
    try:
        if main is not None:
            if "__spec__" in saved:
                main.__spec__ = None
            if "__file__" in saved:
                del main.__file__
        yield
    finally:
        for k, v in saved.items():
            setattr(main, k, v)
