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
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from core.contract import PERIOD_RE, shift_period
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


def _next_of(periods: list[str], column):
    """SQL for the quarter after ``column`` (one of ``periods``): a CASE over the few
    quarters, so that SQLite and PostgreSQL both reach the "after" row by its unique index."""
    return case({p: n for p in periods if (n := _next(p))}, value=column)


def _completed(periods: list[str]):
    """Distinct completions (employee, program, quarter) with the quarter after."""
    return (select(TrainingRecord.employee_id, TrainingRecord.program_id,
                   TrainingRecord.period,
                   _next_of(periods, TrainingRecord.period).label("nxt"))
            .where(TrainingRecord.status == "completed",
                   TrainingRecord.period.in_([p for p in periods if _next(p)]))
            .distinct().subquery("done"))


def _change_query(kind: str, periods: list[str], *, trained: bool):
    """Before (quarter t) and after (t + 1) values of ``kind`` per person, summed in SQL.

    ``trained``: the rows of people who completed a program in t, per program (a person
    counts once per program completed), else those of people who completed none in t (the
    baseline, for ratings and skills at once, ``kind`` ignored, grouped by kind too).
    Grouped by quarter and measurement name (and program); returns sums and counts, so that
    the means over any union of groups can be taken exactly afterwards.
    """
    before, after = aliased(Measurement), aliased(Measurement)
    done = _completed(periods)
    change = after.value - before.value
    cols = (before.period, before.name, func.count(), func.sum(before.value),
            func.sum(after.value), func.sum(change))
    if trained:  # from the (few) completions to their measurements, through the unique index
        q = (select(*cols, done.c.program_id).select_from(done)
             .join(before, and_(before.employee_id == done.c.employee_id,
                                before.period == done.c.period, before.kind == kind))
             .join(after, and_(after.employee_id == done.c.employee_id,
                               after.period == done.c.nxt, after.kind == kind,
                               after.name == before.name))
             .where(before.value.isnot(None), after.value.isnot(None))
             .group_by(done.c.program_id))
        if kind != "rating":  # only completions with a before and an after rating count
            r0, r1 = aliased(Measurement), aliased(Measurement)
            q = (q.join(r0, and_(r0.employee_id == done.c.employee_id,
                                 r0.period == done.c.period, r0.kind == "rating"))
                 .join(r1, and_(r1.employee_id == done.c.employee_id,
                                r1.period == done.c.nxt, r1.kind == "rating"))
                 .where(r0.value.isnot(None), r1.value.isnot(None)))
    else:  # ratings and skills in one pass over the quarters' rows
        people = select(done.c.employee_id, done.c.period).distinct().subquery("trained")
        q = (select(*cols, before.kind).select_from(before)
             .join(after, and_(after.employee_id == before.employee_id,
                               after.period == _next_of(periods, before.period),
                               after.kind == before.kind, after.name == before.name))
             .outerjoin(people, and_(people.c.employee_id == before.employee_id,
                                     people.c.period == before.period))
             .where(before.kind.in_(["rating", "skill"]),
                    before.period.in_([p for p in periods if _next(p)]),
                    before.value.isnot(None), after.value.isnot(None),
                    people.c.employee_id.is_(None))
             .group_by(before.kind))
    return q.group_by(before.period, before.name)


def _columns(by_program: bool) -> list[str]:
    return ["period", "name", "n", "sum_before", "sum_after", "sum_change"] + (
        ["program_id"] if by_program else ["kind"])


def _empty(by_program: bool) -> pd.DataFrame:
    return _typed(pd.DataFrame(columns=_columns(by_program)))


def _frame(session: Session, query, by_program: bool) -> pd.DataFrame:
    return _typed(pd.DataFrame(session.execute(query).all(), columns=_columns(by_program)))


def _typed(out: pd.DataFrame) -> pd.DataFrame:
    for c in ("sum_before", "sum_after", "sum_change"):
        out[c] = out[c].astype(float)
    out["n"] = out["n"].astype(int)
    return out


def _weighted(counts: pd.DataFrame, base: pd.Series, keys: list[str]) -> float:
    """Mean of ``base`` over the rows ``counts`` stands for (``n`` rows per key), skipping
    keys without a value, as pandas' mean of a mapped column would."""
    values = pd.Series(list(zip(*[counts[k] for k in keys], strict=True)) if len(keys) > 1
                       else counts[keys[0]]).map(base).to_numpy(dtype=float)
    n = counts["n"].to_numpy(dtype=float)
    ok = ~np.isnan(values)
    return float((values[ok] * n[ok]).sum() / n[ok].sum()) if ok.any() else np.nan


def effectiveness(session: Session, *, min_completions: int = MIN_COMPLETIONS
                  ) -> Effectiveness:
    """The table of measured effectiveness (see the module docstring).

    Set-based: every before/after pairing is a join in the database, grouped by program,
    quarter and skill, so only sums and counts (a few hundred rows) come back, whatever the
    size of the organization.
    """
    programs = pd.DataFrame(session.execute(select(
        Program.program_id, Program.title_es, Program.title_en, Program.target_skills)).all(),
        columns=["program_id", "title_es", "title_en", "target_skills"])
    periods = sorted(session.scalars(select(TrainingRecord.period).distinct().where(
        TrainingRecord.status == "completed", TrainingRecord.period.isnot(None))).all())
    any_completed = bool(periods) or session.scalar(select(func.count()).select_from(
        TrainingRecord).where(TrainingRecord.status == "completed"))
    if not any_completed:
        return Effectiveness(pd.DataFrame(columns=COLUMNS), 0)
    if any(_next(p) for p in periods):
        done = _frame(session, _change_query("rating", periods, trained=True), True)
        own_skill = _frame(session, _change_query("skill", periods, trained=True), True)
        base = _frame(session, _change_query("rating", periods, trained=False), False)
        base_rating = base[base["kind"] == "rating"]
        base_skill = base[base["kind"] == "skill"]
    else:  # no quarter with a next one: nothing to pair
        done = own_skill = _empty(True)
        base_rating = base_skill = _empty(False)
    base_rating_mean = (base_rating.groupby("period")["sum_change"].sum()
                        / base_rating.groupby("period")["n"].sum())
    base_skill_mean = (base_skill.set_index(["period", "name"])["sum_change"]
                       / base_skill.set_index(["period", "name"])["n"])
    targets = {r.program_id: [s.strip() for s in str(r.target_skills or "").split(";")
                              if s.strip()] for r in programs.itertuples()}

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
    skills_of = dict(tuple(own_skill.groupby("program_id"))) if len(own_skill) else {}
    for pid, grp in done.groupby("program_id"):
        n = int(grp["n"].sum())
        if n < min_completions:
            hidden += 1
            continue
        skill_change = skill_base = np.nan
        names = targets.get(pid, [])
        own = skills_of.get(pid)
        if names and own is not None and len(base_skill) + len(own_skill):
            # each target skill counts as often as it is listed, as the pairing by keys did
            weight = pd.Series(names).value_counts()
            w = own["name"].map(weight).fillna(0).to_numpy(dtype=float)
            total = float((own["n"].to_numpy() * w).sum())
            if total:
                skill_change = float((own["sum_change"].to_numpy() * w).sum() / total)
        if names and len(base_skill_mean):
            counts = pd.DataFrame([(p, s, k) for p, k in zip(grp["period"], grp["n"],
                                                              strict=True) for s in names],
                                  columns=["period", "name", "n"])
            skill_base = _weighted(counts, base_skill_mean, ["period", "name"])
        observed = float(grp["sum_change"].sum() / n)
        baseline = _weighted(grp, base_rating_mean, ["period"])
        rows.append({
            "program_id": pid,
            "title_es": titles_es.get(pid) or pid,
            "title_en": titles_en.get(pid) or titles_es.get(pid) or pid,
            "completions": n,
            "rating_before": float(grp["sum_before"].sum() / n),
            "rating_after": float(grp["sum_after"].sum() / n),
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
