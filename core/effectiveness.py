"""Measured effectiveness per program: what the model expects against what happened.

*Estimated*: the mean expected gain (next-quarter rating points) of the active model's stored
recommendations of the program. *Observed*: among the people who completed it in quarter
``t``, the mean change of their rating from ``t`` to ``t+1`` and of their targeted skills
(the mean over the program's target skills). Beside it, the same change among the people who
completed no program in those quarters, because ratings and skills move without training
too: the difference is a rough before/after comparison, not a causal estimate.

Everyone's measurements count, anonymized people included (anonymization keeps ratings under
a pseudonym precisely so aggregates do not change); no individual leaves this module.
Aggregates only. Programs with fewer than :data:`MIN_COMPLETIONS` completions that have both
a before and an after rating are left out (counted in ``hidden``), so a figure never rests on
a handful of people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.contract import PERIOD_RE, shift_period
from core.demand import frame
from core.models import Measurement, Program, Recommendation, TrainingRecord
from core.plans import active_model_version

MIN_COMPLETIONS = 10
COLUMNS = ["program_id", "title_es", "title_en", "completions", "rating_before",
           "rating_after", "observed_change", "baseline_change", "observed_vs_baseline",
           "skill_change", "skill_baseline_change", "estimated_gain", "recommended"]


@dataclass
class Effectiveness:
    table: pd.DataFrame  # COLUMNS, one row per program with enough completions
    hidden: int  # programs with completions, but fewer than the minimum


def _next(period: str) -> str | None:
    return shift_period(period, 1) if isinstance(period, str) and PERIOD_RE.match(period) \
        else None


def _measurements(session: Session, kind: str, periods: set[str]) -> pd.DataFrame:
    if not periods:
        return pd.DataFrame(columns=["employee_id", "period", "name", "value"])
    return frame(session, select(Measurement.employee_id, Measurement.period,
                                 Measurement.name, Measurement.value).where(
        Measurement.kind == kind, Measurement.period.in_(periods),
        Measurement.value.isnot(None)), ["employee_id", "period", "name", "value"])


def _changes(values: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """employee_id, period (t), name, before, after, change for every t in ``periods``."""
    if values.empty:
        return pd.DataFrame(columns=["employee_id", "period", "name", "before", "after",
                                     "change"])
    before = values[values["period"].isin(periods)].rename(columns={"value": "before"})
    nxt = {p: _next(p) for p in periods}
    after = values.rename(columns={"value": "after", "period": "_next"})
    before = before.assign(_next=before["period"].map(nxt))
    out = before.merge(after, on=["employee_id", "_next", "name"])
    out["change"] = out["after"] - out["before"]
    return out.drop(columns="_next")


def effectiveness(session: Session, *, min_completions: int = MIN_COMPLETIONS
                  ) -> Effectiveness:
    completed = pd.DataFrame(session.execute(
        select(TrainingRecord.employee_id, TrainingRecord.program_id, TrainingRecord.period)
        .where(TrainingRecord.status == "completed")).all(),
        columns=["employee_id", "program_id", "period"])
    programs = pd.DataFrame(session.execute(select(
        Program.program_id, Program.title_es, Program.title_en, Program.target_skills)).all(),
        columns=["program_id", "title_es", "title_en", "target_skills"])
    if completed.empty:
        return Effectiveness(pd.DataFrame(columns=COLUMNS), 0)
    completed = completed.drop_duplicates()
    periods = sorted(set(completed["period"].dropna()))
    wanted = set(periods) | {n for p in periods if (n := _next(p))}

    ratings = _changes(_measurements(session, "rating", wanted), periods)
    ratings = ratings.drop(columns="name")
    trained = completed[["employee_id", "period"]].drop_duplicates().assign(_trained=True)
    ratings = ratings.merge(trained, how="left", on=["employee_id", "period"])
    untrained = ratings[ratings["_trained"].isna()]
    base_rating = untrained.groupby("period")["change"].mean()

    done = completed.merge(ratings[["employee_id", "period", "before", "after", "change"]],
                           on=["employee_id", "period"])
    targets = {r.program_id: [s.strip() for s in str(r.target_skills or "").split(";")
                              if s.strip()] for r in programs.itertuples()}
    skills = _changes(_measurements(session, "skill", wanted), periods)
    if not skills.empty:
        skills = skills.merge(trained, how="left", on=["employee_id", "period"])
        base_skill = skills[skills["_trained"].isna()].groupby(["period", "name"])[
            "change"].mean()
        skill_idx = skills.set_index(["employee_id", "period", "name"])["change"]
    else:
        base_skill = pd.Series(dtype=float)
        skill_idx = pd.Series(dtype=float)

    est = pd.DataFrame(columns=["program_id", "estimated_gain", "recommended"])
    version = active_model_version(session)
    if version is not None:
        est = pd.DataFrame(session.execute(
            select(Recommendation.program_id, func.avg(Recommendation.expected_gain),
                   func.count(func.distinct(Recommendation.employee_id)))
            .where(Recommendation.model_version_id == version)
            .group_by(Recommendation.program_id)).all(),
            columns=["program_id", "estimated_gain", "recommended"])

    rows = []
    hidden = 0
    titles_es = dict(zip(programs["program_id"], programs["title_es"], strict=True))
    titles_en = dict(zip(programs["program_id"], programs["title_en"], strict=True))
    for pid, grp in done.groupby("program_id"):
        n = int(grp["employee_id"].count())
        if n < min_completions:
            hidden += 1
            continue
        skill_change = skill_base = np.nan
        names = targets.get(pid, [])
        if names and len(skill_idx):
            keys = [(e, p, s) for e, p in zip(grp["employee_id"], grp["period"], strict=True)
                    for s in names]
            own = skill_idx.reindex(keys).dropna()
            skill_change = float(own.mean()) if len(own) else np.nan
            base = base_skill.reindex([(p, s) for p in grp["period"] for s in names]).dropna()
            skill_base = float(base.mean()) if len(base) else np.nan
        observed = float(grp["change"].mean())
        baseline = float(grp["period"].map(base_rating).mean())
        rows.append({
            "program_id": pid,
            "title_es": titles_es.get(pid) or pid,
            "title_en": titles_en.get(pid) or titles_es.get(pid) or pid,
            "completions": n,
            "rating_before": float(grp["before"].mean()),
            "rating_after": float(grp["after"].mean()),
            "observed_change": observed,
            "baseline_change": baseline,
            "observed_vs_baseline": observed - baseline if not np.isnan(baseline) else np.nan,
            "skill_change": skill_change,
            "skill_baseline_change": skill_base,
        })
    # programs completed by people with no "after" quarter yet are not hidden: nothing to show
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS
                                        if c not in ("estimated_gain", "recommended")])
    table = table.merge(est, on="program_id", how="left")
    table["recommended"] = table["recommended"].fillna(0).astype(int)
    table["estimated_gain"] = table["estimated_gain"].astype(float)
    return Effectiveness(table[COLUMNS].sort_values("program_id").reset_index(drop=True),
                         hidden)
