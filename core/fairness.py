"""Fairness audit of the active model: who gets flagged "at risk", who gets a plan.

For each grouping (gender, age band, location) and each outcome — the model's flag (risk of
a low rating at or above the model's threshold; for a snapshot model, the positive class)
and having a stored plan with at least one program — the rate per group and the
four-fifths ratio: the group's rate divided by the highest group rate. A ratio below 0.8 is
flagged for review (the US EEOC's rule of thumb for adverse impact; a screening signal,
not a verdict). Groups with fewer than ``MIN_GROUP`` people are hidden and counted, so no
small group can be read back as a few individuals.

Rates are computed with fairlearn's ``MetricFrame`` (``selection_rate`` and ``count`` per
group); hiding small groups and the ratio against the largest *shown* rate are done here,
because ``MetricFrame.ratio`` would include the hidden groups.

People who objected to automated scoring are not scored, so they are not in the audit
(their number is reported); anonymized people are gone from the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine, select

from core.i18n import t
from core.models import Employee, Recommendation

MIN_GROUP = 10
FOUR_FIFTHS = 0.8
DIMENSIONS = ("gender", "age_band", "location")
OUTCOMES = ("flag", "recommended")
AGE_BANDS = ((0, 25, "<25"), (25, 35, "25–34"), (35, 45, "35–44"), (45, 55, "45–54"),
             (55, 200, "55+"))
UNKNOWN = "__unknown__"
GENDERS = {"f": "female", "femenino": "female", "mujer": "female", "female": "female",
           "m": "male", "masculino": "male", "hombre": "male", "male": "male",
           "x": "other", "otro": "other", "other": "other", "no binario": "other",
           "nb": "other"}


def age_band(age: float | None) -> str:
    if age is None or pd.isna(age):
        return UNKNOWN
    for lo, hi, label in AGE_BANDS:
        if lo <= age < hi:
            return label
    return UNKNOWN


def gender_key(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return UNKNOWN
    text = str(value).strip()
    return GENDERS.get(text.lower(), text) if text else UNKNOWN


def group_label(dimension: str, group: str, lang: str) -> str:
    if group == UNKNOWN:
        return t("fair.unknown", lang)
    if dimension == "gender" and group in ("female", "male", "other"):
        return t(f"fair.gender.{group}", lang)
    return str(group)


def audit_table(people: pd.DataFrame, by: str, outcomes: tuple[str, ...] = OUTCOMES,
                min_group: int = MIN_GROUP) -> tuple[pd.DataFrame, int, int]:
    """Rate and four-fifths ratio of each 0/1 ``outcome`` per group of column ``by``.

    Returns ``(table, hidden_groups, hidden_people)``. ``table`` has ``group, n`` and, per
    outcome, ``<o>_rate``, ``<o>_ratio`` (rate / highest shown rate; NaN when every shown
    rate is 0) and ``<o>_low`` (ratio below 0.8), one row per group of at least
    ``min_group`` people, largest first.
    """
    from fairlearn.metrics import MetricFrame, count, selection_rate

    outcomes = tuple(o for o in outcomes if o in people.columns)
    cols = ["group", "n"] + [f"{o}_{s}" for o in outcomes for s in ("rate", "ratio", "low")]
    if people.empty or not outcomes:
        return pd.DataFrame(columns=cols), 0, 0
    groups = people[by].astype(object).where(people[by].notna(), UNKNOWN).astype(str)
    per = {}
    for o in outcomes:
        y = people[o].astype(int).to_numpy()
        mf = MetricFrame(metrics={"rate": selection_rate, "n": count}, y_true=y, y_pred=y,
                         sensitive_features=pd.Series(groups.to_numpy(), name="group"))
        per[o] = mf.by_group
    table = pd.DataFrame({"n": per[outcomes[0]]["n"].astype(int)})
    for o in outcomes:
        table[f"{o}_rate"] = per[o]["rate"].astype(float)
    small = table["n"] < min_group
    hidden_groups, hidden_people = int(small.sum()), int(table.loc[small, "n"].sum())
    table = table[~small]
    known = table.index != UNKNOWN  # "no data" is shown, but is no group to compare
    for o in outcomes:
        top = table.loc[known, f"{o}_rate"].max() if known.any() else np.nan
        ratio = table[f"{o}_rate"] / top if top and top > 0 else np.nan
        table[f"{o}_ratio"] = pd.Series(ratio, index=table.index).where(known)
        table[f"{o}_low"] = table[f"{o}_ratio"].lt(FOUR_FIFTHS)
    table = table.rename_axis("group").reset_index()
    order = {label: i for i, (_lo, _hi, label) in enumerate(AGE_BANDS)}
    table["_key"] = ([order.get(g, len(order)) for g in table["group"]] if by == "age_band"
                     else -table["n"])
    table["_unknown"] = table["group"] == UNKNOWN  # always last
    table = table.sort_values(["_unknown", "_key", "group"], kind="stable")
    return table.reindex(columns=cols).reset_index(drop=True), hidden_groups, hidden_people


# --------------------------------------------------------------------------------------------
# The scored population, from the store
# --------------------------------------------------------------------------------------------


@dataclass
class FairnessReport:
    kind: str  # history | snapshot | none
    n_people: int = 0
    opted_out: int = 0
    period: str | None = None  # the quarter scored (history)
    outcomes: tuple[str, ...] = ()
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    hidden: dict[str, tuple[int, int]] = field(default_factory=dict)  # groups, people

    @property
    def empty(self) -> bool:
        return self.n_people == 0


def _employees(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(Employee.employee_id, Employee.gender, Employee.birth_year,
                                   Employee.location, Employee.scoring_opt_out)
                            .where(Employee.anonymized_at.is_(None))).all()
    return pd.DataFrame(rows, columns=["employee_id", "gender", "birth_year", "location",
                                       "opt_out"])


def _with_groups(people: pd.DataFrame, emp: pd.DataFrame, year: int,
                 age: pd.Series | None = None) -> pd.DataFrame:
    info = emp.set_index("employee_id")
    out = people.copy()
    out["gender"] = out["employee_id"].map(info["gender"]).map(gender_key)
    birth = pd.to_numeric(out["employee_id"].map(info["birth_year"]), errors="coerce")
    ages = year - birth
    if age is not None:  # a snapshot's own age column where no birth year is stored
        ages = ages.fillna(pd.to_numeric(age, errors="coerce").reset_index(drop=True)
                           .set_axis(out.index))
    out["age_band"] = ages.map(age_band)
    loc = out["employee_id"].map(info["location"])
    out["location"] = loc.astype(object).where(loc.notna(), UNKNOWN)
    return out


def scored_history(engine: Engine, version_id: int, model, features=None
                   ) -> tuple[pd.DataFrame, str | None]:
    """``employee_id, flag, recommended`` for everyone scored in the latest quarter.

    ``features``: :func:`core.model_report.training_features`, when the caller has it."""
    from core.contract import period_key
    from core.model_report import training_features

    ff = training_features(engine) if features is None else features
    if ff is None:
        return pd.DataFrame(columns=["employee_id", "flag", "recommended"]), None
    periods = ff.keys["period"].astype(str)
    latest = max(periods.unique(), key=period_key)
    mask = (periods == latest).to_numpy()
    X = ff.X.loc[mask]
    p = model.predict_low(X)
    threshold = float(getattr(model, "threshold_", 0.5))
    people = pd.DataFrame({"employee_id": ff.keys.loc[mask, "employee_id"].astype(str)
                           .to_numpy(), "flag": p >= threshold})
    with engine.connect() as conn:
        planned = set(conn.execute(select(Recommendation.employee_id).distinct().where(
            Recommendation.model_version_id == version_id)).scalars().all())
    people["recommended"] = people["employee_id"].isin(planned)
    return people.drop_duplicates("employee_id").reset_index(drop=True), latest


def scored_snapshot(engine: Engine, summary: dict, model) -> tuple[pd.DataFrame, pd.Series]:
    """``employee_id, flag`` for the newest snapshot upload, and its age column if any."""
    from core.snapshot import snapshot_frame_from_db, snapshot_xy

    try:
        frame = snapshot_frame_from_db(engine, target=summary.get("target"))
    except (LookupError, KeyError):
        return pd.DataFrame(columns=["employee_id", "flag"]), pd.Series(dtype=float)
    X, _y, _cat, _pos = snapshot_xy(frame)
    flag = model.predict_positive(X) >= float(getattr(model, "threshold_", 0.5))
    age = next((frame[c] for c in ("f_age", "f_edad") if c in frame.columns), None)
    people = pd.DataFrame({"employee_id": frame["employee_id"].astype(str).to_numpy(),
                           "flag": flag})
    return people, (age if age is not None else pd.Series(np.nan, index=frame.index))


def fairness_report(engine: Engine, kind: str = "history", year: int | None = None,
                    min_group: int = MIN_GROUP, features=None, active=None
                    ) -> FairnessReport:
    """The audit for the active model of ``kind`` (empty report when there is none).

    ``features`` (:func:`core.model_report.training_features`) and ``active`` (what
    ``core.registry.active_model`` returns) are used when given, instead of rebuilding them.
    """
    from core.registry import active_model, get_version

    active = active_model(engine, kind) if active is None else active
    if active is None:
        return FairnessReport("none")
    version_id, model = active
    emp = _employees(engine)
    opted = int(emp["opt_out"].fillna(False).astype(bool).sum())
    year = year or dt.date.today().year
    if kind == "history":
        people, period = scored_history(engine, version_id, model, features)
        people = _with_groups(people, emp, year)
        outcomes = OUTCOMES
    else:
        people, age = scored_snapshot(engine, get_version(engine, version_id) or {}, model)
        people = _with_groups(people, emp, year, age)
        period, outcomes = None, ("flag",)
    report = FairnessReport(kind, len(people), opted, period, outcomes)
    for dim in DIMENSIONS:
        table, groups, n = audit_table(people, dim, outcomes, min_group)
        report.tables[dim] = table
        report.hidden[dim] = (groups, n)
    return report


# --------------------------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------------------------


def plot_rates(table: pd.DataFrame, dimension: str, outcomes: tuple[str, ...],
               names: dict[str, str], lang: str) -> go.Figure:
    """Grouped bars of each outcome's rate (%) per group; groups below 0.8 are outlined."""
    labels = [group_label(dimension, g, lang) for g in table["group"]]
    fig = go.Figure()
    colors = {"flag": "#d62728", "recommended": "#1f77b4"}
    for o in outcomes:
        low = table[f"{o}_low"].fillna(False).astype(bool).to_numpy()
        fig.add_trace(go.Bar(
            x=labels, y=100 * table[f"{o}_rate"], name=names[o], marker_color=colors[o],
            marker_line_width=np.where(low, 3, 0), marker_line_color="#000",
            customdata=np.c_[table["n"], table[f"{o}_ratio"].fillna(np.nan)],
            hovertemplate=("%{x}: %{y:.1f}%<br>n = %{customdata[0]:,}<br>"
                           f"{t('fair.ratio', lang)}: %{{customdata[1]:.2f}}<extra></extra>")))
    fig.update_layout(barmode="group", height=340, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      title=t(f"fair.dim.{dimension}", lang),
                      yaxis={"title": t("fair.rate_axis", lang), "rangemode": "tozero"},
                      xaxis={"title": ""}, legend={"orientation": "h", "y": -0.2})
    return fig
