"""Matplotlib figures shared by CLI reports and the dashboard."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simulation.alliances import ALLIANCE_TYPES  # noqa: E402

from .store import atomic_write  # noqa: E402


def _shade_shocks(ax, frame: pd.DataFrame) -> None:
    """Grey bands over the months in which a shock is active."""
    active = frame["shock_intensity"] > 0
    if not active.any():
        return
    months = frame["month"].to_numpy()
    start = None
    for m, on in zip(months, active.to_numpy()):
        if on and start is None:
            start = m
        if not on and start is not None:
            ax.axvspan(start - 0.5, m - 0.5, color="0.85", zorder=0)
            start = None
    if start is not None:
        ax.axvspan(start - 0.5, months[-1] + 0.5, color="0.85", zorder=0)
    ax.plot([], [], color="0.85", linewidth=8, label="shock")


def _finish(fig, ax, frame, title: str, ylabel: str, twin=None):
    _shade_shocks(ax, frame)
    ax.set_title(title)
    ax.set_xlabel("month (0 = end of burn-in)")
    ax.set_ylabel(ylabel)
    ax.axvline(0.5, color="0.5", linestyle=":", linewidth=1)
    handles, labels = ax.get_legend_handles_labels()
    if twin is not None:
        more = twin.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    ax.legend(handles, labels, loc="best", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()


def _save(fig, path: Path) -> Path:
    atomic_write(path, lambda p: fig.savefig(p, dpi=110, format="png"))
    plt.close(fig)
    return path


def run_figures(frame: pd.DataFrame, out: Path, title: str = "") -> list[Path]:
    """The charts of one run: firms, revenue, alliances by type, trust and resilience."""
    out = Path(out)
    m = frame["month"]
    paths = []
    suffix = f" - {title}" if title else ""

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(m, frame["firms_alive"], label="firms alive")
    ax2 = ax.twinx()
    ax2.bar(m, frame["exits"], color="tab:red", alpha=0.4, label="exits / month")
    ax2.set_ylabel("exits per month")
    _finish(fig, ax, frame, "Firms" + suffix, "firms alive", twin=ax2)
    paths.append(_save(fig, out / "firms.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(m, frame["total_revenue"] / 1e3, label="total revenue")
    _finish(fig, ax, frame, "Revenue" + suffix, "million per month")
    paths.append(_save(fig, out / "revenue.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    cols = [f"alliances_{t}" for t in ALLIANCE_TYPES]
    ax.stackplot(m, *(frame[c] for c in cols), labels=[t.replace("_", " ") for t in ALLIANCE_TYPES],
                 alpha=0.85)
    _finish(fig, ax, frame, "Alliances in force, by type" + suffix, "alliances")
    paths.append(_save(fig, out / "alliances.png"))

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(m, frame["mean_trust"], label="mean trust between partners (0-1)")
    ax.plot(m, frame["firms_in_alliances"], label="share of firms in an alliance")
    ax.plot(m, (frame["mean_resilience"] - 1) / 4, label="mean resilience score (1-5, rescaled)")
    ax.set_ylim(0, 1.05)
    _finish(fig, ax, frame, "Trust, collaboration and resilience" + suffix, "share / index")
    paths.append(_save(fig, out / "trust_resilience.png"))
    return paths


# --------------------------------------------------------------------------- experiments
def _wrap(text: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def fan_chart(months, series: dict[str, np.ndarray], path: Path, title: str, ylabel: str,
              intensity=None, labels: dict[str, str] | None = None) -> Path:
    """Small multiples: one panel per scenario with its median line and its 25-75 % and
    5-95 % bands over replications, the first scenario's (the reference's) median repeated
    as a dashed grey line in the others, the shock shaded; one legend under the panels.

    `series` maps a scenario to an array (replications x months); `intensity` (the strongest
    shock intensity per month) shades the shock; `labels` names the scenarios for people.
    """
    labels = labels or {}
    names = list(series)
    ncols = min(4, len(names))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.6 * nrows + 1.0),
                             sharex=True, sharey=True, squeeze=False)
    reference = np.nanpercentile(series[names[0]], 50, axis=0)
    active = np.zeros(len(months), dtype=bool) if intensity is None else np.asarray(
        intensity) > 0
    for i, (ax, name) in enumerate(zip(axes.flat, names)):
        colour = f"C{i % 10}"
        q = np.nanpercentile(series[name], [5, 25, 50, 75, 95], axis=0)
        if active.any():
            ax.fill_between(months, 0, 1, where=active, transform=ax.get_xaxis_transform(),
                            color="0.88", linewidth=0, zorder=0)
        ax.fill_between(months, q[0], q[4], color=colour, alpha=0.15, linewidth=0)
        ax.fill_between(months, q[1], q[3], color=colour, alpha=0.35, linewidth=0)
        if i:
            ax.plot(months, reference, color="0.35", linewidth=1.1, linestyle="--")
        ax.plot(months, q[2], color=colour, linewidth=1.8)
        ax.set_title(_wrap(labels.get(name, name.replace("_", " ")), 40), fontsize=10)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=9)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=9)
    for ax in axes[-1, :]:
        ax.set_xlabel("month (0 = end of warm-up)", fontsize=9)
    keys = [plt.Line2D([], [], color="C0", linewidth=1.8, label="median run"),
            plt.Rectangle((0, 0), 1, 1, color="C0", alpha=0.35, label="middle half of runs"),
            plt.Rectangle((0, 0), 1, 1, color="C0", alpha=0.15, label="90 % of runs"),
            plt.Line2D([], [], color="0.35", linestyle="--",
                       label=f"median of {labels.get(names[0], names[0])} (reference)")]
    if active.any():
        keys.append(plt.Rectangle((0, 0), 1, 1, color="0.88", label="shock"))
    fig.legend(handles=keys, loc="lower center", ncol=len(keys), fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout(rect=(0, 0.07 if nrows == 1 else 0.045, 1, 1))
    return _save(fig, path)


def interval_bars(table: pd.DataFrame, outcomes: list[str], path: Path, title: str,
                  differences: bool = False, labels: dict[str, str] | None = None) -> Path:
    """One panel per outcome: a horizontal bar per scenario with its 95 % interval, the
    scenarios named in full on the left (shared by each row of panels).

    `table` is analysis.compare.comparison_table; with `differences` the bars are the paired
    differences to the reference scenario (which is left out).
    """
    labels = labels or {}
    cols = ("diff", "diff_ci_low", "diff_ci_high") if differences else ("mean", "ci_low",
                                                                         "ci_high")
    names = list(dict.fromkeys(table["scenario"]))
    colour = {name: f"C{i % 10}" for i, name in enumerate(names)}
    if differences:
        names = [n for n in names if n not in set(table["reference"])]
    ncols = min(3, len(outcomes))
    nrows = -(-len(outcomes) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols + 2.6,
                                                     (0.32 * len(names) + 1.0) * nrows + 0.6),
                             sharey=True, squeeze=False)
    y = np.arange(len(names))[::-1]
    for ax, outcome in zip(axes.flat, outcomes):
        rows = table[table["outcome"] == outcome].set_index("scenario").reindex(names)
        mean, low, high = (rows[c].to_numpy(float) for c in cols)
        err = np.vstack([mean - low, high - mean])
        ax.barh(y, np.nan_to_num(mean), color=[colour[n] for n in names], alpha=0.8,
                height=0.7)
        ax.errorbar(np.nan_to_num(mean), y, xerr=np.where(np.isfinite(err), err, 0),
                    fmt="none", ecolor="black", capsize=3, linewidth=1)
        ax.axvline(0, color="0.4", linewidth=0.8)
        first = rows.dropna(subset=["label"]).iloc[0] if rows["label"].notna().any() else None
        ax.set_title(_wrap(first["label"] if first is not None else outcome, 34), fontsize=10)
        ax.set_xlabel(first["unit"] if first is not None else "", fontsize=9)
        ax.tick_params(labelsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].set_yticks(y, [_wrap(labels.get(n, n.replace("_", " ")), 36) for n in names])
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return _save(fig, path)


INDEX_LABELS = {"S1": "S1 (first order)", "ST": "ST (total, with interactions)",
                "mu_star": "mu* (mean |elementary effect|)", "sigma": "sigma (non-linearity)"}


def sensitivity_bars(indices: pd.DataFrame, path: Path, title: str) -> Path:
    """Sensitivity indices per parameter with 95 % intervals (Sobol: S1 and ST; Morris: mu*
    and sigma). `indices` is analysis.sensitivity.analyze's frame."""
    measures = [m for m in ("S1", "ST", "mu_star", "sigma") if m in indices.columns]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(indices) * len(measures) + 1.6))
    y = np.arange(len(indices))
    h = 0.8 / len(measures)
    for k, m in enumerate(measures):
        conf = indices.get(f"{m}_conf")
        xerr = None if conf is None else np.nan_to_num(conf.to_numpy(float))
        ax.barh(y + (k - (len(measures) - 1) / 2) * h, indices[m], height=h, xerr=xerr,
                capsize=3, color=f"C{k}", alpha=0.85, label=INDEX_LABELS[m])
    ax.set_yticks(y, indices["parameter"])
    ax.invert_yaxis()
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


# --------------------------------------------------------------------------- validation
def _label_and_save(fig, ax, title: str, xlabel: str, ylabel: str, path: Path) -> Path:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _save(fig, path)


def survey_histograms(survey: pd.DataFrame, targets: pd.DataFrame, path: Path) -> Path:
    """One panel per survey variable: the synthetic survey's histogram, with the field
    study's mean (line) and mean +- sd (band)."""
    names = list(targets.index)
    fig, axes = plt.subplots(1, len(names), figsize=(3.1 * len(names), 3.0))
    for ax, name in zip(np.atleast_1d(axes), names):
        x = survey[name].to_numpy(float)
        t = targets.loc[name]
        ax.axvspan(t["mean"] - t["sd"], t["mean"] + t["sd"], color="tab:orange", alpha=0.15,
                   label="survey mean ± sd")
        ax.hist(x, bins=25 if np.unique(x).size > 25 else np.arange(x.min() - 0.5, x.max() + 1),
                color="tab:blue", alpha=0.75, label="synthetic survey")
        ax.axvline(t["mean"], color="tab:orange", linewidth=2, label="survey mean")
        ax.axvline(x.mean(), color="tab:blue", linestyle="--", linewidth=1.5,
                   label="synthetic mean")
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return _save(fig, path)


def rank_size_plot(sizes: np.ndarray, threshold: float, zeta: float, intercept: float,
                   path: Path) -> Path:
    """Log rank against log size (employees) of living firms, with the fitted upper tail
    log(rank - 1/2) = intercept - zeta log(size) and Zipf's slope -1 through its centre."""
    x = np.sort(sizes)[::-1]
    rank = np.arange(1, x.size + 1)
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    ax.loglog(x, rank, ".", markersize=2, color="tab:blue", label="firms")
    tail = x[x >= threshold]
    if tail.size > 2 and np.isfinite(zeta):
        fit = np.exp(intercept) * tail**-zeta
        ax.loglog(tail, fit, color="tab:red", label=f"tail fit: slope -{zeta:.2f}")
        centre = np.exp(np.log(tail).mean())
        ref = np.exp(intercept) * centre**-zeta * (tail / centre) ** -1.0
        ax.loglog(tail, ref, color="0.4", linestyle=":", label="Zipf (slope -1)")
    ax.axvline(threshold, color="0.6", linewidth=0.8)
    return _label_and_save(fig, ax, "Firm size distribution (rank-size)", "employees", "rank",
                           path)


def growth_distribution_plot(g: np.ndarray, laplace: tuple, normal: tuple, path: Path) -> Path:
    """Histogram (log density) of annual log growth rates with Laplace and normal fits."""
    from scipy import stats

    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    density, edges = np.histogram(g, bins=60, density=True)
    mid = (edges[:-1] + edges[1:]) / 2
    ax.semilogy(mid[density > 0], density[density > 0], "o", markersize=3, color="tab:blue",
                label="firms")
    grid = np.linspace(edges[0], edges[-1], 300)
    ax.semilogy(grid, stats.laplace.pdf(grid, *laplace), color="tab:red", label="Laplace fit")
    ax.semilogy(grid, stats.norm.pdf(grid, *normal), color="0.3", linestyle="--",
                label="normal fit")
    ax.set_ylim(bottom=max(density[density > 0].min() / 3, 1e-4))
    return _label_and_save(fig, ax, "Growth-rate distribution",
                           "annual log growth of revenue, less its market's mean",
                           "density (log scale)", path)


def volatility_size_plot(table: pd.DataFrame, slope: float, path: Path) -> Path:
    """sd of annual growth per size bin against mean size (log-log), with the fitted slope
    and the -0.2 of the literature through the same centre."""
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    size, sd = table["size"].to_numpy(float), table["sd"].to_numpy(float)
    ax.loglog(size, sd, "o", color="tab:blue", label="size bins")
    centre = np.exp(np.log(size).mean()), np.exp(np.log(sd).mean())
    for beta, style, label in ((slope, "-", f"fit: slope {slope:.2f}"),
                               (-0.2, ":", "literature: slope -0.2")):
        ax.loglog(size, centre[1] * (size / centre[0]) ** beta, style, color="tab:red"
                  if style == "-" else "0.4", label=label)
    return _label_and_save(fig, ax, "Growth volatility against size",
                           "revenue in the previous year (thousand)",
                           "sd of annual log growth (less market mean)", path)
