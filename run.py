#!/usr/bin/env python3
"""SME Alliance Ecosystem Simulator: the command line.

    python run.py simulate [--scenario NAME|PATH] [--firms N] [--months M] [--seed S]
                           [--set key=value ...] [--out DIR] [--force] [--quiet]
    python run.py compare SCENARIO SCENARIO ... [--reps R] [--firms N] [--months M]
                          [--seed S] [--set key=value ...] [ENGINE]
    python run.py sweep SPEC.toml [--reps R] [--firms N] [--months M] [--seed S]
                        [--set key=value ...] [ENGINE]
    python run.py sensitivity --method sobol|morris --params a,b,c --outcome A,B [--n N]
                              [--scenario NAME|PATH] [--reps R] [...] [ENGINE]
    python run.py validate [--out DIR] [--seed S] [--reps R] [--set key=value ...] [--force]
                           [--[no-]mechanisms] [--mechanism-firms N] [--quiet]
    python run.py mechanisms [--firms N] [--reps R] [--seed S | --seeds A,B,...]
                             [--checks a,b,c,d,e] [--survey-firms N] [--set key=value ...]
                             [--out DIR] [--force] [--quiet]
    python run.py ranking-sensitivity [--firms N] [--reps R] [--trajectories T] [--seed S]
                                      [--months M] [--set key=value ...] [--workers W]
                                      [--out DIR] [--resume | --force] [--quiet]
    python run.py dashboard [--port P] [--host H]
    python run.py scenarios
    python run.py params [--group G] [--format text|markdown|json|csv]

ENGINE: [--workers W | --scheduler tcp://HOST:PORT | --dask-local N] [--out DIR]
        [--resume | --force] [--quiet]

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
    _add_model_args(s, PARAMS, seed="random seed", where="")
    s.add_argument("--out", help="results folder (default: results/<scenario>-seed<S>-<time>)")
    s.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    s.add_argument("--quiet", action="store_true", help="no progress bar")

    add_experiment_commands(sub, PARAMS)
    add_validate_command(sub)
    add_mechanisms_command(sub)
    add_ranking_command(sub, PARAMS)

    sub.add_parser("scenarios", help="list the shipped scenarios")

    d = sub.add_parser("dashboard", help="serve the policymaker dashboard in the browser")
    d.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    d.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this computer only; "
                        "0.0.0.0 opens it to every network)")

    bp = sub.add_parser("bench", help="benchmark against Mesa's minimal model (writes JSON)")
    bp.add_argument("--firms", default="10000,100000,1000000",
                    help="comma-separated firm counts (default: 10000,100000,1000000)")
    bp.add_argument("--months", type=int, default=12, help="months timed after the burn-in")
    bp.add_argument("--burn-in", type=int, default=24, help="months run before timing")
    bp.add_argument("--alliance-firms", type=int, default=None,
                    help="firm count at which to measure the cost against alliances "
                         "(default: the middle of --firms; 0 skips it)")
    bp.add_argument("--out", default="results/bench.json", help="JSON file (plot beside it)")
    bp.add_argument("--quiet", action="store_true", help="no progress lines")

    pp = sub.add_parser("params", help="list every model parameter")
    pp.add_argument("--group", help="only this group")
    pp.add_argument("--markdown", action="store_true", help="as a Markdown table")
    pp.add_argument("--format", choices=("text", "markdown", "json", "csv"), default=None,
                    help="text (default), markdown, json (a list of objects) or csv; json and "
                         "csv have the columns name, default, low, high, unit, group, type, "
                         "choices, help")
    return p


def cmd_simulate(args) -> int:
    from simulation.scenario import load_scenario

    load_scenario(args.scenario)  # bad input answered before the model's heavy imports
    from analysis.simulate import simulate

    simulate(scenario=args.scenario, firms=args.firms, months=args.months, seed=args.seed,
             assignments=args.set, out=args.out, force=args.force, quiet=args.quiet)
    return 0


def _add_engine_args(p) -> None:
    """Where and how an experiment runs, and where its results go."""
    p.add_argument("--workers", type=int,
                   help="local worker processes (default: all cores; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    p.add_argument("--dask-local", type=int, metavar="N",
                   help="run on a local Dask cluster of N worker processes")
    p.add_argument("--out", help="results folder")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in --out, skipping finished jobs")
    p.add_argument("--force", action="store_true",
                   help="start again in a non-empty --out (overwrites the engine's files only)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_model_args(p, PARAMS, seed: str = "base seed", where: str = " in every job") -> None:
    """The model a command runs: size, horizon, seed, parameter overrides."""
    p.add_argument("--firms", type=int,
                   help=f"initial number of firms (default: {PARAMS['n_firms'].default})")
    p.add_argument("--months", type=int,
                   help=f"months after the burn-in (default: {PARAMS['months'].default})")
    p.add_argument("--seed", type=int, default=42, help=f"{seed} (default: 42)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help=f"override a parameter{where} (repeatable); see 'run.py params'")


def add_experiment_commands(sub, PARAMS) -> None:
    c = sub.add_parser("compare", help="run scenarios with common random numbers and compare "
                       "them with the first")
    c.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="shipped scenario names or .toml paths; the first is the reference")
    c.add_argument("--reps", type=int, default=10,
                   help="replications per scenario (default: 10)")
    _add_model_args(c, PARAMS)
    _add_engine_args(c)

    w = sub.add_parser("sweep", help="run a parameter sweep described by a TOML spec")
    w.add_argument("spec", metavar="SPEC.toml", help="sweep spec (see experiments/)")
    w.add_argument("--reps", type=int, help="replications (default: the spec's)")
    w.add_argument("--firms", type=int, help="initial number of firms (default: the spec's)")
    w.add_argument("--months", type=int, help="months after the burn-in (default: the spec's)")
    w.add_argument("--seed", type=int, help="base seed (default: the spec's)")
    w.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter for every job, over the spec's [params] (repeatable)")
    _add_engine_args(w)

    s = sub.add_parser("sensitivity", help="Sobol or Morris sensitivity analysis (SALib)")
    s.add_argument("--method", required=True, choices=("sobol", "morris"))
    s.add_argument("--params", required=True, metavar="A,B,C",
                   help="parameters to vary, comma-separated; bounds from the registry, or "
                        "name=LOW:HIGH to narrow them")
    s.add_argument("--outcome", required=True, action="append", metavar="A,B",
                   help="outcomes to analyse, comma-separated or repeated, e.g. "
                        "output_lost,survival_rate (a wrong name lists them)")
    s.add_argument("--n", type=int,
                   help="base samples (Sobol, a power of two >= 16; default 64) or trajectories "
                        "(Morris; default 10)")
    s.add_argument("--scenario", default="baseline",
                   help="scenario name or .toml path (default: baseline)")
    s.add_argument("--reps", type=int, default=1,
                   help="replications per point, averaged (default: 1)")
    _add_model_args(s, PARAMS)
    _add_engine_args(s)


def _engine(args) -> dict:
    return dict(workers=args.workers, scheduler=args.scheduler, dask_local=args.dask_local,
                resume=args.resume, force=args.force, quiet=args.quiet,
                argv=args.argv)


def cmd_compare(args) -> int:
    from analysis.compare import compare

    compare(args.scenarios, reps=args.reps, firms=args.firms, months=args.months,
            seed=args.seed, assignments=args.set, out=args.out, **_engine(args))
    return 0


def cmd_sweep(args) -> int:
    from analysis.spec import load_spec

    overrides = {"replications": args.reps, "firms": args.firms, "months": args.months,
                 "base_seed": args.seed, "set": args.set}
    load_spec(args.spec, overrides)  # bad input answered before the plotting imports
    from analysis.sweep import sweep

    sweep(args.spec, out=args.out, overrides=overrides, **_engine(args))
    return 0


def cmd_sensitivity(args) -> int:
    from analysis.sensitivity import sensitivity

    sensitivity(method=args.method, params=args.params, outcome=args.outcome, n=args.n,
                scenario=args.scenario, reps=args.reps, firms=args.firms, months=args.months,
                seed=args.seed, assignments=args.set, out=args.out, **_engine(args))
    return 0


def add_validate_command(sub) -> None:
    v = sub.add_parser("validate", help="synthetic survey, Table 1, the three regressions and "
                       "stylized facts against the field study")
    v.add_argument("--out", help="results folder (default: results/validate-seed<S>-<time>)")
    v.add_argument("--seed", type=int, default=42, help="seed of the first run (default: 42); "
                   "replication i uses S + i")
    v.add_argument("--reps", type=int, default=1,
                   help="runs to repeat over (default: 1); reports each coefficient's spread")
    v.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter of the survey-calibration scenario (repeatable)")
    v.add_argument("--mechanisms", action=argparse.BooleanOptionalAction, default=None,
                   help="add the mechanism checks (run.py mechanisms) to the report, with the "
                        "replications' seeds (default: on from --reps 5)")
    v.add_argument("--mechanism-firms", type=int,
                   help="firms of the mechanism checks' recession runs (default: 1000)")
    v.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    v.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_validate(args) -> int:
    from analysis.validation import validate

    validate(out=args.out, seed=args.seed, reps=args.reps, assignments=args.set,
             force=args.force, quiet=args.quiet, mechanisms=args.mechanisms,
             mechanism_firms=args.mechanism_firms)
    return 0


def _seed_list(text: str | None) -> list[int] | None:
    """--seeds A,B,C as whole numbers (a bad one named in one line)."""
    from simulation.errors import UserError

    if text is None:
        return None
    seeds = []
    for part in text.split(","):
        try:
            seeds.append(int(part.strip()))
        except ValueError:
            raise UserError(f"--seeds {text}: {part.strip()!r} is not a whole number; give "
                            "comma-separated seeds, e.g. --seeds 1,2,3") from None
    return seeds


def _check_letters(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def add_mechanisms_command(sub) -> None:
    m = sub.add_parser("mechanisms", help="mechanism checks: alliances and recovery, survival, "
                       "the credit guarantee, the recession, growth decomposition (issue 21)")
    m.add_argument("--firms", type=int,
                   help="firms of the recession, guarantee and baseline runs (default: 1000)")
    m.add_argument("--reps", type=int, default=5,
                   help="runs per scenario, paired by seed (default: 5)")
    m.add_argument("--seed", type=int, default=42,
                   help="base seed (default: 42); run i uses the seed run.py compare gives "
                        "replication i")
    m.add_argument("--seeds", metavar="A,B,...",
                   help="the model seeds themselves, comma-separated (instead of --seed/--reps)")
    m.add_argument("--checks", default="a,b,c,d,e", metavar="a,b,...",
                   help="which checks to run (default: all five, a,b,c,d,e)")
    m.add_argument("--survey-firms", type=int,
                   help="firms of the survey scenario's runs for check e (default: its 10,000)")
    m.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter in every run (repeatable), e.g. months=60")
    m.add_argument("--out", help="results folder (default: results/mechanisms-<time>)")
    m.add_argument("--force", action="store_true", help="write into a non-empty --out folder")
    m.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_mechanisms(args) -> int:
    from simulation.errors import UserError

    seeds = _seed_list(args.seeds)
    given = {a.split("=")[0] for a in args.argv}
    if seeds is not None and given & {"--reps", "--seed"}:
        raise UserError("--seeds and --reps/--seed: choose one (--seeds lists the runs' seeds, "
                        "--seed and --reps draw them)")
    from analysis.mechanisms import mechanisms

    mechanisms(out=args.out, firms=args.firms, reps=args.reps, seed=args.seed, seeds=seeds,
               checks=_check_letters(args.checks), assignments=args.set,
               survey_firms=args.survey_firms, force=args.force, quiet=args.quiet)
    return 0


def add_ranking_command(sub, PARAMS) -> None:
    r = sub.add_parser("ranking-sensitivity", help="Morris screening of the seven programmes' "
                       "ranking over the uncalibrated mechanisms (issue 21)")
    r.add_argument("--firms", type=int, help="initial number of firms (default: 1000)")
    r.add_argument("--reps", type=int, default=3,
                   help="seeds per point, the same at every point (default: 3)")
    r.add_argument("--trajectories", type=int, default=4,
                   help="Morris trajectories, each of 8 points (default: 4; at least 2)")
    r.add_argument("--seed", type=int, default=42, help="base seed (default: 42)")
    r.add_argument("--months", type=int,
                   help=f"months after the burn-in (default: {PARAMS['months'].default})")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a parameter in every run (repeatable), not a varied one")
    r.add_argument("--workers", type=int, default=1,
                   help="local worker processes (default: 1, runs in this process)")
    r.add_argument("--out", help="results folder (default: results/ranking-sensitivity)")
    r.add_argument("--resume", action="store_true",
                   help="continue an interrupted run in --out, skipping finished runs")
    r.add_argument("--force", action="store_true", help="start again in a non-empty --out")
    r.add_argument("--quiet", action="store_true", help="no progress on stderr")


def cmd_ranking(args) -> int:
    from analysis.policy_ranking import ranking_sensitivity

    ranking_sensitivity(firms=args.firms, reps=args.reps, trajectories=args.trajectories,
                        seed=args.seed, months=args.months, assignments=args.set,
                        out=args.out, workers=args.workers, resume=args.resume,
                        force=args.force, quiet=args.quiet, argv=args.argv)
    return 0


def cmd_bench(args) -> int:
    from analysis.bench import bench_command

    bench_command(args.firms, args.months, args.burn_in, args.out, args.quiet,
                  args.alliance_firms)
    return 0


def cmd_dashboard(args) -> int:
    from dashboard.serve import serve

    return serve(host=args.host, port=args.port)


def cmd_scenarios(args) -> int:
    from simulation.scenario import list_scenarios

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
    fmt = args.format or ("markdown" if args.markdown else "text")
    if args.markdown and fmt != "markdown":
        raise UserError(f"--markdown and --format {fmt}: choose one")
    if fmt in ("json", "csv"):
        from analysis.parameters import registry_rows, write_rows

        write_rows(registry_rows(args.group), fmt, sys.stdout)
        return 0
    if fmt == "markdown":
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
        args.argv = list(sys.argv[1:] if argv is None else argv)
        handler = {"simulate": cmd_simulate, "scenarios": cmd_scenarios, "bench": cmd_bench,
                   "params": cmd_params, "compare": cmd_compare, "sweep": cmd_sweep,
                   "sensitivity": cmd_sensitivity, "validate": cmd_validate,
                   "mechanisms": cmd_mechanisms, "ranking-sensitivity": cmd_ranking,
                   "dashboard": cmd_dashboard}[args.command]
        return handler(args)
    except (CliError, UserError) as e:
        from simulation.scenario import one_line

        print(f"error: {one_line(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `run.py params | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a file system failure not caught where it happened: still one line
        from simulation.scenario import one_line

        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {one_line(where + (e.strerror or str(e)))}; check the folder and its free "
              "space, then run the same command again", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
