"""``python -m simulation.dashboard [--host H] [--port P]``: the same as ``run.py dashboard``."""

import argparse

from simulation.dashboard import DASHBOARD_HELP, add_dashboard_arguments, cmd_dashboard

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m simulation.dashboard", description=DASHBOARD_HELP)
    add_dashboard_arguments(parser)
    raise SystemExit(cmd_dashboard(parser.parse_args()))
