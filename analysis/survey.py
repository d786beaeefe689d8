"""The synthetic survey: the field study's five measures, read off a model run.

A run is stepped month by month by `observe`, which records what the measures need
(revenue, alliances held and joined, cumulative innovations) over the last two years of
the horizon: the *previous year* and the *survey year* (the last 12 months). Every firm
alive through both years is *eligible*; `measure` turns its behaviour into the survey's
scales (docs/ODD.md, Section 7.21), `sample` draws about 100 firms per country spread
over sectors and size classes, and `regressions` estimates the study's three OLS models
with statsmodels.

Nothing here rescales an output to a target: each scale is a fixed, monotone function of
what the firm did in the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation import SMEEcosystem
from simulation.params import COUNTRIES
from simulation.regions import SECTORS, SIZE_CLASSES

# the five survey variables, named as in survey_table1.csv, with their scales
VARIABLES = ("collaboration_frequency", "innovations_per_year", "annual_revenue_growth_pct",
             "resilience_score", "institutional_context")
SCALES = {
    "collaboration_frequency": (0.0, 5.0),
    "innovations_per_year": (0.0, np.inf),
    "annual_revenue_growth_pct": (-100.0, np.inf),
    "resilience_score": (1.0, 5.0),
    "institutional_context": (0.0, 5.0),
}
YEAR = 12  # months in the survey year (and in the previous year)
SURVIVAL_MONTHS = 60  # entrants' survival is measured over five years
PER_COUNTRY = 100  # survey firms per country (TARGETS §1: about 100)
DECIMALS = 2  # continuous scales are recorded to two decimals (as survey.csv holds them)


@dataclass
class Observation:
    """What `observe` records from one run."""

    model: SMEEcosystem
    frame: pd.DataFrame  # the monthly reporters, one row per step
    firms: pd.DataFrame  # eligible firms: attributes and raw behaviour in the survey years
    living: pd.DataFrame  # every firm alive at the end: size (employees, trend revenue)
    cohorts: pd.DataFrame  # entrants per month of birth and how many were alive 60 months on
    alliances_start: dict = field(default_factory=dict)  # alliance counters at horizon start


def observe(model: SMEEcosystem) -> Observation:
    """Run `model` to its end, recording what the survey and the stylized facts need.

    The model must have at least two years of horizon (the growth measure compares the
    survey year's revenue with the previous year's).
    """
    p, s = model.p, model.firms
    total = model.total_steps
    if p["months"] < 2 * YEAR:
        raise ValueError(f"the survey needs a horizon of at least {2 * YEAR} months")
    first = total - 2 * YEAR  # last step before the previous year
    year_start = total - YEAR  # last step before the survey year
    revenue, held, joined, engaged = [], [], [], []
    entrants, survivors = {}, {}
    innovations0 = None
    counters = {}
    while model.running:
        model.step()
        t = model.steps
        alive = s.alive
        entrants[t] = int((alive & (s.born == t)).sum())
        if t - SURVIVAL_MONTHS >= 1:
            survivors[t - SURVIVAL_MONTHS] = int((alive & (s.born == t - SURVIVAL_MONTHS)).sum())
        if t == p["burn_in"]:
            counters = _alliance_counters(model)
        if t > first:
            revenue.append(s.revenue.copy())
        if t == year_start:
            innovations0 = s.innovations.copy()
            held_start = s.n_alliances.astype(np.int16)
        if t > year_start:
            held.append(s.n_alliances.astype(np.int16))
            joined.append(_joined_this_month(model, t))
            engaged.append(_engaged_this_month(model))
    if p["burn_in"] == 0:
        counters = {"ended_early": 0, "ended_total": 0, "formed": 0}

    n = s.n
    eligible = np.flatnonzero(s.alive & (s.born <= first))
    # an eligible firm has kept its row since birth, so every record indexes it the same way
    rev = np.stack([_pad(r, n) for r in revenue])[:, eligible]
    prev_year, survey_year = rev[:YEAR].sum(axis=0), rev[YEAR:].sum(axis=0)
    held_m = np.stack([_pad(h, n) for h in held])[:, eligible]
    joined_m = np.stack([_pad(j, n) for j in joined])[:, eligible]
    engaged_m = np.stack([_pad(e, n) for e in engaged])[:, eligible]
    firms = pd.DataFrame({
        **firm_labels(s, eligible),
        "employees": s.employees[eligible].astype(float),
        "age": s.age[eligible],  # months since entry (at least 24: alive through both years)
        "revenue_prev_year": prev_year,
        "revenue_survey_year": survey_year,
        "alliances_at_start": _pad(held_start, n)[eligible],
        "alliance_months": held_m.sum(axis=0),
        "months_allied": (held_m > 0).sum(axis=0),
        "alliances_joined": joined_m.sum(axis=0),
        "engaged_months": engaged_m.sum(axis=0),
        "max_alliances": np.full(eligible.size, p["max_alliances"]),
        "innovations": s.innovations[eligible] - _pad(innovations0, n)[eligible],
        "resilience": s.resilience[eligible].astype(float),
        "institutions": s.institutions[eligible].astype(float),
    })
    living_rows = np.flatnonzero(s.alive)
    living = pd.DataFrame({
        "employees": s.employees[living_rows].astype(float),
        "trend": s.trend[living_rows].astype(float),
        "size_class": np.asarray(SIZE_CLASSES)[s.size_class[living_rows]],
    })
    cohorts = pd.DataFrame({"born": list(survivors),
                            "entrants": [entrants[b] for b in survivors],
                            "alive_after_60": list(survivors.values())})
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    return Observation(model, frame, firms, living, cohorts, counters)


def firm_labels(state, rows: np.ndarray) -> dict[str, np.ndarray]:
    """The uid, country, sector and size class of firm rows `rows`, in words."""
    return {"uid": state.uid[rows],
            "country": np.asarray(COUNTRIES)[state.region[rows]],
            "sector": np.asarray(SECTORS)[state.sector[rows]],
            "size_class": np.asarray(SIZE_CLASSES)[state.size_class[rows]]}


def _joined_this_month(model: SMEEcosystem, step: int) -> np.ndarray:
    """Per firm row: alliances it holds that were formed in `step`."""
    ids, start = model.firms.alliances, model.alliances.book.start
    held = ids >= 0
    new = np.zeros(ids.shape, dtype=bool)
    new[held] = start[ids[held]] == step
    return new.sum(axis=1).astype(np.int16)


def _engaged_this_month(model: SMEEcosystem) -> np.ndarray:
    """Per firm row: alliances in which it did its part this month (held and not shirked)."""
    book = model.alliances.book
    members = book.members[book.active]
    worked = members[(members >= 0) & ~book.shirked[book.active]]
    return np.bincount(worked, minlength=model.firms.n).astype(np.int16)


def _alliance_counters(model: SMEEcosystem) -> dict:
    a = model.alliances
    return {"ended_early": a.ended_early, "ended_total": a.ended_total, "formed": a.formed}


def _pad(x: np.ndarray, n: int) -> np.ndarray:
    """x extended to length n with zeros (rows added by entrants after x was recorded)."""
    if x.size >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - x.size, dtype=x.dtype)])


def revenue_growth_pct(firms: pd.DataFrame) -> pd.Series:
    """Annual revenue growth (%) of eligible firms: the survey year's revenue over the
    previous year's (12-month sums), unrounded."""
    return (firms["revenue_survey_year"] / firms["revenue_prev_year"] - 1.0) * 100.0


def measure(firms: pd.DataFrame) -> pd.DataFrame:
    """The five survey scales of eligible firms (docs/ODD.md, Section 7.21)."""
    out = firms[["uid", "country", "sector", "size_class"]].copy()
    # joint activity: the months of the survey year, alliance by alliance, in which the firm
    # did its part, as a share of all the partnerships it could hold every month, on 0-5
    usual = firms["engaged_months"] / (YEAR * np.maximum(firms["max_alliances"], 1))
    out["collaboration_frequency"] = np.minimum(5.0 * usual, 5.0).round(DECIMALS)
    out["innovations_per_year"] = firms["innovations"].astype(int)
    out["annual_revenue_growth_pct"] = revenue_growth_pct(firms).round(DECIMALS)
    out["resilience_score"] = firms["resilience"].round(DECIMALS)
    out["institutional_context"] = firms["institutions"].round(DECIMALS)
    return out


# ------------------------------------------------------------------ sampling
def allocate(total: int, available: np.ndarray) -> np.ndarray:
    """Split `total` draws over cells as evenly as their sizes allow (water-filling).

    Every cell gets the same quota; a cell with fewer firms gives all it has and the rest
    is shared among the others; what cannot be split evenly goes one by one to the cells
    with the most firms left. Returns the number to draw from each cell.
    """
    available = np.asarray(available, dtype=np.int64)
    alloc = np.zeros_like(available)
    remaining = int(min(total, available.sum()))
    while remaining > 0:
        room = available - alloc
        open_cells = np.flatnonzero(room > 0)
        share = remaining // open_cells.size
        if share == 0:  # fewer draws left than cells: to those with most room (stable order)
            order = open_cells[np.argsort(-room[open_cells], kind="stable")][:remaining]
            alloc[order] += 1
            break
        add = np.minimum(room[open_cells], share)
        alloc[open_cells] += add
        remaining -= int(add.sum())
    return alloc


def _cells(firms: pd.DataFrame, per_country: int):
    """(country, cell labels, cell sizes, allocation) for each country."""
    for country, group in firms.groupby("country", sort=True):
        cell = group["sector"] + "/" + group["size_class"]
        counts = cell.value_counts().sort_index()
        yield country, group, cell, counts, allocate(per_country, counts.to_numpy())


def sample(firms: pd.DataFrame, rng: np.random.Generator,
           per_country: int = PER_COUNTRY) -> pd.DataFrame:
    """About `per_country` eligible firms per country, spread as evenly as the population
    allows over the nine sector x size-class cells, drawn without replacement."""
    picked = []
    for _country, group, cell, counts, alloc in _cells(firms, per_country):
        for label, k in zip(counts.index, alloc):
            rows = np.flatnonzero((cell == label).to_numpy())
            picked.append(group.index[rng.choice(rows, size=int(k), replace=False)])
    chosen = np.sort(np.concatenate(picked)) if picked else np.array([], dtype=int)
    return firms.loc[chosen].reset_index(drop=True)


def design_weights(firms: pd.DataFrame, per_country: int = PER_COUNTRY) -> pd.Series:
    """Each eligible firm's chance of being sampled: the weights under which statistics of
    all eligible firms equal the expected statistics of the stratified sample."""
    weights = pd.Series(0.0, index=firms.index)
    for _country, group, cell, counts, alloc in _cells(firms, per_country):
        share = pd.Series(alloc / counts.to_numpy(), index=counts.index)
        weights[group.index] = cell.map(share).to_numpy()
    return weights


# ------------------------------------------------------------------ regressions
SERVICES = "C(sector, Treatment('services'))"
CONTROLS = "C(country) + C(size_class)"
MODELS = {
    "model1": "annual_revenue_growth_pct ~ collaboration_frequency + institutional_context"
              f" + C(sector) + {CONTROLS}",
    "model2": f"innovations_per_year ~ collaboration_frequency + {SERVICES}"
              f" + institutional_context + {CONTROLS}",
    "model3": "resilience_score ~ collaboration_frequency + annual_revenue_growth_pct"
              f" + institutional_context + C(sector) + {CONTROLS}",
}
MODEL_TITLES = {
    "model1": "Model 1: annual revenue growth",
    "model2": "Model 2: innovations per year",
    "model3": "Model 3: resilience score",
}


def term_name(term: str) -> str:
    """A stable, readable key for a statsmodels term: C(country)[T.kenya] -> country:kenya."""
    if term.startswith("C("):
        factor = term[2:].split(")")[0].split(",")[0]
        level = term.split("[T.", 1)[1].rstrip("]")
        return f"{factor}:{level}"
    return term


def regressions(survey: pd.DataFrame) -> dict[str, dict]:
    """The study's three OLS models (TARGETS §1) fitted with statsmodels.

    Reference levels: manufacturing (models 1 and 3) or services (model 2), canada, medium
    (alphabetical, as statsmodels chooses), unless the formula says otherwise.
    """
    import warnings

    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    out = {}
    for name, formula in MODELS.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SingularMatrixWarning)
            fit = smf.ols(formula, data=survey).fit()
        singular = [w for w in caught if issubclass(w.category, SingularMatrixWarning)]
        for w in caught:
            if w not in singular:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        out[name] = {
            "title": MODEL_TITLES[name],
            "formula": formula,
            "dependent": formula.split("~")[0].strip(),
            "n": int(fit.nobs),
            "r2": float(fit.rsquared),
            "adj_r2": float(fit.rsquared_adj),
            "f_pvalue": float(fit.f_pvalue),
            # e.g. collaboration switched off: a constant regressor, coefficients not unique
            "rank_deficient": bool(singular),
            "coefficients": {
                term_name(t): {"coef": float(fit.params[t]), "se": float(fit.bse[t]),
                               "t": float(fit.tvalues[t]), "p": float(fit.pvalues[t])}
                for t in fit.params.index
            },
        }
    return out
