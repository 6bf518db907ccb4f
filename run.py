"""Command-line entry point: ``uv run run.py [COMMAND] ...`` (see ``simulation/cli.py``)."""

from simulation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
