"""Offline front-end assets: fill Solara's asset-proxy cache from the npm registry.

Solara's page loads its front end (the Vuetify app bundle, fonts, RequireJS, Font Awesome) from a
CDN. With the assets proxy on, the browser asks the dashboard server for ``/_solara/cdn/<path>``
and the server answers from a cache folder, fetching a missing file from the CDN. Trainees' rooms
may have no internet and this project's machines reach no CDN, so:

* the cache is filled ahead from the npm registry (``npm pack NAME@VERSION``), the packages the
  CDN would serve, at the exact versions named in the installed Solara's page template;
* the server is configured so that a file missing from the cache fails at once with a log line
  instead of contacting a CDN (see :func:`forbid_cdn`).

Run ``uv run python -m simulation.dashboard.assets`` to fill the cache ahead (on a machine that
reaches the npm registry); ``run.py dashboard`` fills it at start when something is missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

log = logging.getLogger("midyangtze.dashboard.assets")

# the CDN is never contacted: a miss in the cache goes here, where nothing listens
DEAD_CDN = "http://127.0.0.1:9/offline-cdn/"
MARKER = ".midyangtze-complete"
_REF = re.compile(r"\{\{cdn\}\}/?((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+)/")


def default_cache_dir() -> Path:
    """Where the dashboard keeps the assets: ``$SOLARA_ASSETS_PROXY_CACHE_DIR`` when set, else
    ``$XDG_CACHE_HOME/midyangtze/solara-cdn`` (``~/.cache/...``): outside the virtual environment,
    so that rebuilding ``.venv`` does not empty it."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "midyangtze" / "solara-cdn"


def _solara_dir() -> Path:
    spec = importlib.util.find_spec("solara")
    if spec is None or spec.origin is None:
        raise RuntimeError("solara is not installed (uv sync)")
    return Path(spec.origin).parent


def _uses_vue3() -> bool:
    try:
        from importlib.metadata import version

        return version("ipyvue").startswith("3")
    except Exception:  # noqa: BLE001 - no ipyvue: Solara's default Vue 2 app
        return False


def required_packages() -> list[tuple[str, str]]:
    """The npm packages (name, version) that Solara's page template loads from the CDN."""
    template = (_solara_dir() / "server" / "templates" / "solara.html.j2").read_text(encoding="utf-8")
    found: list[tuple[str, str]] = []
    vue3 = _uses_vue3()
    for name, version in _REF.findall(template):
        if ("vuetify3" in name) != vue3:
            continue  # the template holds both apps; only the one for the installed ipyvue loads
        if (name, version) not in found:
            found.append((name, version))
    fa = os.environ.get("SOLARA_ASSETS_FONTAWESOME_PATH", "/font-awesome@4.5.0/css/font-awesome.min.css")
    m = re.match(r"/?((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+)/", fa)
    if m and (m.group(1), m.group(2)) not in found:
        found.append((m.group(1), m.group(2)))
    if not found:
        raise RuntimeError("found no CDN packages in Solara's page template; has its layout changed?")
    return found


def is_filled(cache_dir: Path, packages: list[tuple[str, str]] | None = None) -> bool:
    packages = required_packages() if packages is None else packages
    return all((cache_dir / f"{n}@{v}" / MARKER).is_file() for n, v in packages)


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: it is needed once to fetch the page's front-end packages")
    return npm


def fill_package(cache_dir: Path, name: str, version: str) -> Path:
    """Fetch NAME@VERSION with ``npm pack`` and unpack it as ``cache_dir/NAME@VERSION/`` (atomic)."""
    final = cache_dir / f"{name}@{version}"
    if (final / MARKER).is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=final.parent, prefix=".fill-") as tmp:
        tmp_path = Path(tmp)
        proc = subprocess.run(
            [_npm(), "pack", f"{name}@{version}", "--silent", "--pack-destination", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        tgz = sorted(tmp_path.glob("*.tgz"))
        if proc.returncode != 0 or not tgz:
            raise RuntimeError(f"npm pack {name}@{version} failed: {proc.stderr.strip()[-300:]}")
        staging = tmp_path / "unpacked"
        with tarfile.open(tgz[0]) as tar:
            tar.extractall(staging, filter="data")
        root = staging / "package"
        (root / MARKER).write_text(f"{name}@{version} from npm pack\n", encoding="utf-8")
        if final.exists() and not (final / MARKER).is_file():
            shutil.rmtree(final)  # an incomplete earlier fill
        try:
            os.replace(root, final)
        except OSError:
            if not (final / MARKER).is_file():  # not another process filling it at the same time
                raise
    return final


def fill_cache(cache_dir: Path | None = None, quiet: bool = False) -> Path:
    """Make sure every package the page loads is in the cache; returns the cache folder."""
    cache_dir = default_cache_dir() if cache_dir is None else Path(cache_dir)
    for name, version in required_packages():
        if (cache_dir / f"{name}@{version}" / MARKER).is_file():
            continue
        if not quiet:
            print(
                f"dashboard: fetching front-end package {name}@{version} from the npm registry",
                file=sys.stderr,
            )
        fill_package(cache_dir, name, version)
    return cache_dir


def configure_environment(cache_dir: Path) -> None:
    """Solara settings for an offline, private server; call before ``import solara``."""
    os.environ["SOLARA_ASSETS_PROXY"] = "True"
    os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(cache_dir)
    os.environ["SOLARA_ASSETS_CDN"] = DEAD_CDN
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    # a closed or lost page frees its models after this long (Solara keeps them 24 h by default)
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "30m")
    os.environ.setdefault("SOLARA_THEME_TITLE", "长江中游城市群 · Middle Yangtze what-if")


def forbid_cdn() -> None:
    """Make a cache miss fail at once (logged) instead of Solara fetching from a CDN, and make
    sure telemetry stays off even if the settings were imported before the environment was set."""
    import solara.server.cdn_helper as cdn_helper
    import solara.server.settings as server_settings
    import solara.settings

    def refuse(url: str) -> bytes:
        log.error(
            "not in the offline asset cache (fill it: python -m simulation.dashboard.assets): %s",
            url,
        )
        raise FileNotFoundError(url)

    cdn_helper.fetch_from_cdn = refuse
    solara.settings.assets.cdn = DEAD_CDN
    server_settings.telemetry.mixpanel_enable = False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Fill the dashboard's offline asset cache from the npm registry.")
    p.add_argument("--cache-dir", type=Path, default=None, help=f"default: {default_cache_dir()}")
    p.add_argument("--check", action="store_true", help="only check; exit 1 if something is missing")
    args = p.parse_args(argv)
    cache = default_cache_dir() if args.cache_dir is None else args.cache_dir
    if args.check:
        ok = is_filled(cache)
        print(f"{'complete' if ok else 'incomplete'}: {cache}")
        return 0 if ok else 1
    fill_cache(cache)
    print(f"assets: {cache}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
