#!/usr/bin/env python3
"""SME Alliance Ecosystem Simulator: the command line.

    python run.py simulate [--scenario NAME|PATH] [--firms N] [--months M] [--seed S]
                           [--set key=value ...] [--out DIR] [--force] [--quiet]
    python run.py scenarios
    python run.py params [--group G] [--markdown]

Bad input prints one line naming the place and the fix, and exits with code 2.
"""

from __future__ import annotations

import argparse
import sys


class CliError(Exception):
    """A usage error found by argparse."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise CliError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    from simulation.params import PARAMS

    p = Parser(prog="run.py", description="SME Alliance Ecosystem Simulator")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    s = sub.add_parser("simulate", help="run one model and write its outputs")
    s.add_argument("--scenario", default="baseline",
                   help="shipped scenario name or path to a .toml file (default: baseline)")
    s.add_argument("--firms", type=int,
                   help=f"initial number of firms (default: {PARAMS['n_firms'].default})")
    s.add_argument("--months", type=int,
                   help=f"months after the burn-in (default: {PARAMS['months'].default})")
    s.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter (repeatable); see 'run.py params'")
    s.add_argument("--out", help="results folder (default: results/<scenario>-seed<S>-<time>)")
    s.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    s.add_argument("--quiet", action="store_true", help="no progress bar")

    sub.add_parser("scenarios", help="list the shipped scenarios")

    pp = sub.add_parser("params", help="list every model parameter")
    pp.add_argument("--group", help="only this group")
    pp.add_argument("--markdown", action="store_true", help="as a Markdown table")
    return p


def cmd_simulate(args) -> int:
    from analysis.simulate import simulate

    simulate(scenario=args.scenario, firms=args.firms, months=args.months, seed=args.seed,
             assignments=args.set, out=args.out, force=args.force, quiet=args.quiet)
    return 0


def cmd_scenarios(args) -> int:
    from scenarios.loader import list_scenarios

    items = list_scenarios()
    width = max(len(n) for n, _ in items)
    for name, desc in items:
        first = desc.split(". ")[0].rstrip(".") + "."
        print(f"{name:<{width}}  {first}")
    return 0


def cmd_params(args) -> int:
    from simulation.errors import UserError
    from simulation.params import GROUPS, PARAMS_LIST

    if args.group and args.group not in GROUPS:
        raise UserError(f"--group {args.group}: unknown group (valid: {', '.join(GROUPS)})")
    rows = [p for p in PARAMS_LIST if not args.group or p.group == args.group]
    if args.markdown:
        from simulation.docs import params_markdown

        print(params_markdown(rows))
        return 0
    head = ("name", "default", "bounds", "unit", "group", "help")
    table = [head] + [(p.name, str(p.default), p.bounds_text, p.unit, p.group, p.help)
                      for p in rows]
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    for r in table:
        print("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5])
    return 0


def main(argv=None) -> int:
    from simulation.errors import UserError

    try:
        args = build_parser().parse_args(argv)
        handler = {"simulate": cmd_simulate, "scenarios": cmd_scenarios,
                   "params": cmd_params}[args.command]
        return handler(args)
    except (CliError, UserError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `run.py params | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
