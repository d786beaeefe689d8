"""Matplotlib figures shared by CLI reports and the dashboard."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
