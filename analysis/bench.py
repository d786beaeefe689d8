"""The benchmark: our model against Mesa's own minimal model, in one run.

For each firm count N, a fresh subprocess (so that peak memory is its own) builds
our model, runs the burn-in, then times `months` further months, and builds and
steps Mesa's minimal model at the same agent count: the Boltzmann wealth model
without space, each agent giving one unit of wealth to a random agent, one
`model.agents.shuffle_do("step")` per step (written here, not imported from
Mesa's examples, which add a grid).

Cost against alliances: at one firm count, our model again with the monthly search
probability at 0, 1/4, 1/2, 1 and 2 times its default, so that the same firms hold from no
alliances to about twice the usual number; the five models run in one subprocess and take
turns month by month, so that the load of a shared machine, which drifts over minutes, falls
on every point alike; time per month against the mean number of active alliances, as a
straight-line fit and as the log-log exponent of the part that alliances add.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FULL_RUN_BURN_IN, FULL_RUN_MONTHS = 24, 120  # the default run the table's last column estimates
SEARCH_MULTIPLIERS = (0.0, 0.25, 0.5, 1.0, 2.0)  # of the default search_prob: alliance scaling


class WealthAgent(mesa.Agent):
    def __init__(self, model):
        super().__init__(model)
        self.wealth = 1

    def step(self):
        if self.wealth > 0:
            other = self.random.choice(self.model.agent_list)
            other.wealth += 1
            self.wealth -= 1


class BoltzmannModel(mesa.Model):
    """Mesa's minimal model: N agents, no space, one shuffle_do per step."""

    def __init__(self, n: int, rng=None):
        super().__init__(rng=rng)
        WealthAgent.create_agents(self, n)
        self.agent_list = self.agents.to_list()

    def step(self):
        self.agents.shuffle_do("step")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def measure_ours(n: int, months: int, burn_in: int, seed: int = 1) -> dict:
    from simulation import SMEEcosystem, kernels, side

    t0 = time.perf_counter()
    model = SMEEcosystem(n_firms=n, rng=seed, burn_in=burn_in, months=months)
    t1 = time.perf_counter()
    for _ in range(burn_in):
        model.step()
    collect_before = model.collect_seconds
    firm_months = alliance_months = 0
    t2, cpu2 = time.perf_counter(), time.process_time()
    for _ in range(months):
        model.step()
        firm_months += int(model.report["firms_alive"])
        alliance_months += int(model.report["alliances_active"])
    t3, cpu3 = time.perf_counter(), time.process_time()
    collect = model.collect_seconds - collect_before
    return {
        "init_s": t1 - t0,
        "init_ns_per_firm": (t1 - t0) / n * 1e9,
        "burn_in_s": t2 - t1,
        "months_s": t3 - t2,
        "ns_per_firm_month": (t3 - t2) / max(firm_months, 1) * 1e9,
        # CPU time of both threads (the second core takes part from side.AUTO_MIN_FIRMS on)
        "cpu_ns_per_firm_month": (cpu3 - cpu2) / max(firm_months, 1) * 1e9,
        "side_thread": side.use(model.firms.n),
        "compiled_kernels": kernels.use(model.firms.n),  # simulation/kernels.py (numba), else numpy
        "collect_ms_per_month": collect / months * 1e3,
        "alliances_end": int(model.report["alliances_active"]),
        "alliances_mean": alliance_months / max(months, 1),
        "firms_end": int(model.report["firms_alive"]),
    }


def measure_mesa(n: int, steps: int, seed: int = 1) -> dict:
    t0 = time.perf_counter()
    model = BoltzmannModel(n, rng=seed)
    t1 = time.perf_counter()
    for _ in range(steps):
        model.step()
    t2 = time.perf_counter()
    return {
        "init_s": t1 - t0,
        "init_ns_per_agent": (t1 - t0) / n * 1e9,
        "steps": steps,
        "ns_per_agent_step": (t2 - t1) / (n * steps) * 1e9,
    }


def one_size(n: int, months: int, burn_in: int, which: str) -> dict:
    """Measure one size in this process (called in a fresh subprocess)."""
    if which == "ours":
        out = measure_ours(n, months, burn_in)
    else:
        steps = max(2, min(20, int(2_000_000 / n)))
        out = measure_mesa(n, steps)
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def _in_subprocess(what: str, func: str, *args):
    """func(*args) of this module in a fresh Python process (its result as JSON)."""
    code = (f"import json; from analysis.bench import {func}; "
            f"print(json.dumps({func}(*{args!r})))")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if res.returncode != 0:
        raise RuntimeError(f"benchmark of {what} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _exponent(sizes: list[int], values: list[float]) -> float | None:
    """Slope of log(value) on log(size): 1 means linear scaling."""
    if len(sizes) < 2:
        return None
    return float(np.polyfit(np.log(sizes), np.log(values), 1)[0])


def alliance_points(n: int, months: int, burn_in: int, probs: list[float],
                    seed: int = 1) -> list[dict]:
    """Our model at n firms once per search probability, all in this process: after their
    burn-in the models take turns, each stepping once a month (a different one first each
    month), so that the machine's load falls on every point alike."""
    from simulation import SMEEcosystem

    models = [SMEEcosystem(n_firms=n, rng=seed, burn_in=burn_in, months=months, search_prob=p)
              for p in probs]
    for model in models:
        for _ in range(burn_in):
            model.step()
    k = len(models)
    spent, alliance_months = [0.0] * k, [0] * k
    for month in range(months):
        for j in range(k):
            i = (month + j) % k
            started = time.perf_counter()
            models[i].step()
            spent[i] += time.perf_counter() - started
            alliance_months[i] += int(models[i].report["alliances_active"])
    return [{"search_prob": p, "alliances_mean": alliance_months[i] / max(months, 1),
             "ms_per_month": spent[i] / max(months, 1) * 1e3,
             "firms_end": int(models[i].report["firms_alive"])} for i, p in enumerate(probs)]


def search_probabilities() -> list[float]:
    """The search probabilities of the alliance sweep: SEARCH_MULTIPLIERS x the default."""
    from simulation.params import defaults

    base = defaults()["search_prob"]
    return [min(base * mult, 1.0) for mult in SEARCH_MULTIPLIERS]


def alliance_scaling(n: int, months: int, burn_in: int, progress=print) -> dict:
    """Time per month against active alliances at n firms (search probability varied)."""
    probs = search_probabilities()
    progress(f"  {n:>9,} firms, search probability {probs[0]:.4g} to {probs[-1]:.4g} "
             f"({len(probs)} models taking turns): our model ...")
    points = _in_subprocess(f"our model at {n:,} firms against alliances", "alliance_points",
                            n, months, burn_in, probs)
    return {"firms": n, "points": points, **_alliance_fit(points)}


def _alliance_fit(points: list[dict]) -> dict:
    """Straight line ms = a + b x alliances (least squares, with R^2), and the log-log exponent
    of the time that alliances add (ms - ms at the fewest alliances) against alliances."""
    x = np.array([p["alliances_mean"] for p in points])
    y = np.array([p["ms_per_month"] for p in points])
    if len(x) < 2 or np.ptp(x) == 0:
        return {"ms_base": None, "us_per_alliance": None, "r2": None, "exponent": None}
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    r2 = 1.0 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    low = int(np.argmin(x))
    added = y - y[low]
    use = (x > x[low]) & (added > 0)
    exponent = _exponent(list(x[use]), list(added[use])) if use.sum() >= 2 else None
    return {"ms_base": float(a), "us_per_alliance": float(b) * 1e3, "r2": r2,
            "exponent": exponent}


def full_run_estimate(ours: dict, months: int, burn_in: int) -> float:
    """Seconds for the default run at this size: initialisation, 24 burn-in months at the
    measured burn-in rate, and 120 months at the measured horizon rate."""
    return (ours["init_s"] + ours["burn_in_s"] / max(burn_in, 1) * FULL_RUN_BURN_IN
            + ours["months_s"] / max(months, 1) * FULL_RUN_MONTHS)


def run_bench(sizes: list[int], months: int = 12, burn_in: int = 24, progress=print,
              alliance_firms: int = 0) -> dict:
    """Measure every size for both models, and (alliance_firms > 0) the cost against
    alliances at that size; return the results (also for JSON)."""
    rows = []
    for n in sizes:
        progress(f"  {n:>9,} firms: our model ...")
        ours = _in_subprocess(f"ours at {n:,} firms", "one_size", n, months, burn_in, "ours")
        progress(f"  {n:>9,} firms: Mesa minimal model ...")
        base = _in_subprocess(f"mesa at {n:,} firms", "one_size", n, months, burn_in, "mesa")
        rows.append({
            "firms": n,
            "ours": ours,
            "mesa": base,
            "ratio_step": ours["ns_per_firm_month"] / base["ns_per_agent_step"],
            "ratio_init": ours["init_ns_per_firm"] / base["init_ns_per_agent"],
            "rss_kb_per_firm": ours["peak_rss_mb"] * 1024.0 / n,
            "full_run_estimate_s": full_run_estimate(ours, months, burn_in),
        })
    per_month = [r["ours"]["months_s"] / months for r in rows]
    al = (alliance_scaling(alliance_firms, months, burn_in, progress) if alliance_firms
          else None)
    if al:
        al.update(_without_alliances(al, rows))
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
        },
        "months_timed": months,
        "burn_in": burn_in,
        "rows": rows,
        "scaling_exponent_time_vs_firms": _exponent([r["firms"] for r in rows], per_month),
        "alliance_scaling": al,
    }


def _without_alliances(al: dict, rows: list[dict]) -> dict:
    """The alliance sweep's point with search off (no alliance at all): its ms a month, and,
    where the sweep's size is one of the measured sizes, that cost per firm-month over Mesa's
    step there: the share of the ratio that the firms alone take, which no work on the
    alliance phases can go below (docs/PERFORMANCE.md, "What would close the gap")."""
    point = next((p for p in al["points"] if p["search_prob"] == 0), None)
    row = next((r for r in rows if r["firms"] == al["firms"]), None)
    ms = point["ms_per_month"] if point else None
    ratio = (ms * 1e6 / al["firms"] / row["mesa"]["ns_per_agent_step"]
             if point and row else None)
    return {"no_alliance_ms": ms, "no_alliance_ratio": ratio}


def format_table(result: dict) -> str:
    head = (f"{'firms':>10} {'ours ns/firm-month':>19} {'(CPU ns)':>9} {'2 cores':>7} "
            f"{'Mesa ns/agent-step':>19} "
            f"{'ratio':>7} {'init ns/firm':>13} {'Mesa init ns':>13} {'init ratio':>10} "
            f"{'RSS KB/firm':>12} {'collect ms/month':>17} {'144-month run s':>16}")
    lines = [head, "-" * len(head)]
    for r in result["rows"]:
        o, m = r["ours"], r["mesa"]
        lines.append(
            f"{r['firms']:>10,} {o['ns_per_firm_month']:>19,.0f} "
            f"{o['cpu_ns_per_firm_month']:>9,.0f} {'yes' if o['side_thread'] else 'no':>7} "
            f"{m['ns_per_agent_step']:>19,.0f} "
            f"{r['ratio_step']:>7.3f} {o['init_ns_per_firm']:>13,.0f} "
            f"{m['init_ns_per_agent']:>13,.0f} {r['ratio_init']:>10.2f} "
            f"{r['rss_kb_per_firm']:>12.2f} {o['collect_ms_per_month']:>17.2f} "
            f"{r['full_run_estimate_s']:>16.1f}")
    compiled = [r["ours"].get("compiled_kernels") for r in result["rows"]]
    if compiled:
        lines.append("compiled kernels (simulation/kernels.py, numba): "
                     + ("yes" if all(compiled) else "no" if not any(compiled) else "in part"))
    exp = result["scaling_exponent_time_vs_firms"]
    if exp is not None and not math.isnan(exp):
        lines.append(f"scaling exponent of time per month against firms: {exp:.2f} (1 = linear)")
    al = result.get("alliance_scaling")
    if al:
        lines.append("")
        lines.append(f"Cost against alliances at {al['firms']:,} firms:")
        lines.append(f"{'search prob.':>13} {'alliances (mean)':>17} {'ms/month':>9}")
        for p in al["points"]:
            lines.append(f"{p['search_prob']:>13.4g} {p['alliances_mean']:>17,.0f} "
                         f"{p['ms_per_month']:>9.1f}")
        if al["us_per_alliance"] is not None:
            exp_text = (f"; exponent of the time alliances add: {al['exponent']:.2f} "
                        "(1 = linear)" if al["exponent"] is not None else "")
            lines.append(f"fit: {al['ms_base']:.1f} ms + {al['us_per_alliance']:.3f} us per "
                         f"alliance (R^2 {al['r2']:.3f}){exp_text}")
        if al.get("no_alliance_ratio") is not None:
            lines.append(f"with no alliance at all: {al['no_alliance_ms']:.1f} ms a month, "
                         f"{al['no_alliance_ratio']:.3f} of Mesa's agent-step per firm at "
                         f"{al['firms']:,} (the floor of the ratio under the alliance phases)")
    return "\n".join(lines)


def bench_figure(result: dict, path: Path) -> Path:
    """Log-log plot of time per month and peak memory against firms, ours and Mesa's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .store import atomic_write

    rows = result["rows"]
    firms = [r["firms"] for r in rows]
    al = result.get("alliance_scaling")
    fig, axes = plt.subplots(1, 3 if al else 2, figsize=(15 if al else 10, 4))
    ax1, ax2 = axes[0], axes[1]
    ours = [r["ours"]["ns_per_firm_month"] * r["firms"] / 1e9 for r in rows]
    mesa_t = [r["mesa"]["ns_per_agent_step"] * r["firms"] / 1e9 for r in rows]
    ax1.loglog(firms, ours, "o-", label="SME ecosystem: one month")
    ax1.loglog(firms, mesa_t, "s--", label="Mesa minimal model: one step")
    ax1.set_xlabel("firms (agents)")
    ax1.set_ylabel("seconds")
    ax1.set_title("Time per step")
    ax2.loglog(firms, [r["ours"]["peak_rss_mb"] for r in rows], "o-", label="SME ecosystem")
    ax2.loglog(firms, [r["mesa"]["peak_rss_mb"] for r in rows], "s--", label="Mesa minimal model")
    ax2.set_xlabel("firms (agents)")
    ax2.set_ylabel("peak RSS (MB)")
    ax2.set_title("Peak memory of the process")
    if al:
        ax3 = axes[2]
        x = [p["alliances_mean"] for p in al["points"]]
        ax3.plot(x, [p["ms_per_month"] for p in al["points"]], "o", label="one month")
        if al["us_per_alliance"] is not None:
            xs = np.linspace(0, max(x), 50)
            ax3.plot(xs, al["ms_base"] + al["us_per_alliance"] / 1e3 * xs, "-", alpha=0.6,
                     label=f"fit: {al['us_per_alliance']:.2f} us per alliance")
        ax3.set_xlabel("active alliances (mean over the timed months)")
        ax3.set_ylabel("ms per month")
        ax3.set_title(f"Cost against alliances ({al['firms']:,} firms)")
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    atomic_write(Path(path), lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return Path(path)


def bench_command(firms: str, months: int, burn_in: int, out: str, quiet: bool = False,
                  alliance_firms: int | None = None) -> dict:
    """`run.py bench`: measure, print the table, write JSON and the scaling plot."""
    from simulation.errors import UserError

    from .store import write_json

    try:
        sizes = [int(x.replace("_", "")) for x in firms.split(",") if x.strip()]
    except ValueError:
        raise UserError(f"--firms {firms!r}: expected comma-separated whole numbers, "
                        "e.g. --firms 10000,100000") from None
    if not sizes or any(not 10 <= n <= 5_000_000 for n in sizes):
        raise UserError(f"--firms {firms}: each size must be from 10 to 5000000")
    if not 1 <= months <= 120:
        raise UserError(f"--months {months}: must be from 1 to 120")
    if not 0 <= burn_in <= 240:
        raise UserError(f"--burn-in {burn_in}: must be from 0 to 240")
    sizes = sorted(sizes)
    if alliance_firms is None:  # the middle size
        alliance_firms = sizes[len(sizes) // 2]
    if alliance_firms and not 10 <= alliance_firms <= 5_000_000:
        raise UserError(f"--alliance-firms {alliance_firms}: must be 0 (skip) or from 10 "
                        "to 5000000")
    from .resources import check_memory

    # one size at a time, each in its own process; the alliance sweep's models all at once
    check_memory(max(sizes), burn_in + months)
    if alliance_firms:
        try:
            check_memory(alliance_firms, burn_in + months, workers=len(SEARCH_MULTIPLIERS),
                         place="--alliance-firms", workers_flag=False,
                         copies="models taking turns")
        except UserError as e:
            raise UserError(f"{e} (or --alliance-firms 0 to skip the sweep)") from None
    out_path = Path(out)
    if out_path.suffix != ".json":
        raise UserError(f"--out {out}: expected a .json file path")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"--out {out}: cannot create its folder ({e.strerror})") from None

    def progress(msg):
        if not quiet:
            print(msg, file=sys.stderr, flush=True)

    result = run_bench(sizes, months=months, burn_in=burn_in, progress=progress,
                       alliance_firms=alliance_firms)
    print(format_table(result))
    write_json(out_path, result)
    figure = bench_figure(result, out_path.with_suffix(".png"))
    print(f"Wrote {out_path} and {figure}")
    return result
