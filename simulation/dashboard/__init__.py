"""The trainees' what-if dashboard: ``uv run run.py dashboard [--host H] [--port P]``.

A Solara page (Mesa's visualization stack) served offline: the front-end packages come from a local
cache filled from the npm registry (``simulation.dashboard.assets``), the server never contacts a
CDN, telemetry is off. The page itself is ``simulation.dashboard.app``; each browser session has
its own models (``simulation.dashboard.state.Session``).

This module only holds the command-line glue and imports nothing heavy: Solara is imported after
its settings are placed in the environment.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys

DASHBOARD_HELP = "serve the what-if page for trainees (Solara, offline, 中文 / English)"
APP = "simulation.dashboard.app"


def add_dashboard_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    p.add_argument(
        "--class", dest="class_name", metavar="NAME",
        help="start (or resume) a class: trainees join with a code, the teacher page lists their "
        "scenarios (state in results/classes/NAME.sqlite)",
    )  # fmt: skip
    p.add_argument("--workers", type=int, help="simulation worker processes (default: one per CPU)")


def _check_port(host: str, port: int) -> None:
    from simulation.params import ConfigError

    if not 1 <= port <= 65535:
        raise ConfigError("command line", "--port", f"{port} is not a port (allowed: 1 to 65535)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except socket.gaierror:
            raise ConfigError(
                "command line", "--host", f"{host!r} is not an address of this machine"
            ) from None
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ConfigError("command line", "--port", f"{port} is in use (pick another)") from None
            raise ConfigError(
                "command line", "--host", f"cannot listen on {host}:{port}: {e.strerror}"
            ) from None


def serve(host: str, port: int, class_name: str | None = None, workers: int | None = None) -> None:
    """Fill the offline asset cache if needed, configure Solara, start the simulation workers
    (and the class), and serve the page (blocks)."""
    from . import assets

    cache = assets.default_cache_dir()
    assets.fill_cache(cache)
    assets.configure_environment(cache)
    assets.forbid_cdn()
    import warnings

    from solara.__main__ import run as solara_run

    # plain http on a training-room network: Solara falls back to samesite=lax cookies, which is fine
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    from . import serving

    serving.start(host, port, class_name, workers)  # worker pool, cache, class pages
    url_host = f"[{host}]" if ":" in host else host
    print(f"dashboard: http://{url_host}:{port}  (Ctrl-C stops it)", flush=True)
    solara_run.main(
        [
            APP,
            "--host",
            host,
            "--port",
            str(port),
            "--production",
            "--no-open",
            "--no-check-version",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        standalone_mode=False,
    )


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard until interrupted."""
    from simulation.limits import check_workers

    from .classroom import check_class_name

    class_name = getattr(args, "class_name", None)
    if class_name is not None:
        check_class_name(class_name)
    workers = getattr(args, "workers", None)
    if workers is not None:
        check_workers(workers)
    _check_port(args.host, args.port)
    try:
        serve(args.host, args.port, class_name, workers)
    except RuntimeError as e:  # the front-end packages could not be fetched
        print(f"error: dashboard: {e}", file=sys.stderr)
        return 1
    return 0
