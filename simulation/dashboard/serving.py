"""What the dashboard's server sets up before Solara serves: the simulation workers and the class.

:func:`start` replaces ``results.RUNNER`` with the pooled, cached runner (``pool.install``; workers
spawn now, so the first trainee does not wait for them), and with ``--class NAME`` opens the class,
records its trainees' full results through the runner's listener, adds the join and teacher pages
to Solara's routes and prints their addresses (the join address on the room's network when the
server listens on every address).
"""

from __future__ import annotations

import socket

from . import classroom, pool


def lan_address() -> str | None:
    """This machine's address on its local network (no packet is sent), if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: picks the outgoing interface, sends nothing
            return str(s.getsockname()[0])
    except OSError:
        return None


def _url(host: str, port: int, path: str) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"


def start(host: str, port: int, class_name: str | None, workers: int | None) -> pool.PooledRunner:
    """Install the worker pool and, with ``class_name``, the class (see the module)."""
    from . import results

    runner = pool.install(results, workers=workers)
    print(
        f"workers: {runner.scheduler.workers} simulation processes; results cached in {pool.CACHE_DIR}",
        flush=True,
    )
    if class_name is None:
        return runner
    room = classroom.open_class(class_name)
    classroom.CURRENT = room
    runner.listeners.append(room.listen)
    import os

    from . import APP

    os.environ["SOLARA_APP"] = APP  # as Solara's main sets it: its app module reads it on import
    import solara.server.starlette as solara_server

    from .teacher import mount

    mount(solara_server.app.router.routes, room)
    shown = host
    if host in ("0.0.0.0", "::"):
        shown = lan_address() or socket.gethostname()
    print(f"class {room.name}: {room.db.path}  ({len(room.board())} trainees so far)", flush=True)
    print(f"teacher: {_url(shown, port, '/teacher')}?token={room.token}", flush=True)
    note = (
        ""
        if host not in ("127.0.0.1", "localhost", "::1")
        else "  (this machine only: --host 0.0.0.0 for the room)"
    )
    print(f"join: {_url(shown, port, '/join')}  code {room.join_code}{note}", flush=True)
    return runner
