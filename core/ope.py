"""Value of a recommended policy from logged history: doubly-robust off-policy evaluation.

Real uploads have no ground truth, so the value of "give everyone the plan we recommend" is
estimated from what happened: in each (employee, quarter) the logged action is the program
completed in that quarter (or ``none``) and the reward is the next quarter's rating minus this
quarter's. Assignment was not random (managers send low performers), so the mean reward of the
rows that happened to follow the policy is biased. The doubly-robust (AIPW) estimator corrects
it with two cross-fitted models, a propensity ``p(a | x)`` and an outcome model ``q(x, a)``:

    psi_i = q(x_i, pi(x_i)) + 1{a_i = pi(x_i)} / p(a_i | x_i) * (r_i - q(x_i, a_i))

and the value is the mean of ``psi``; it is consistent when either model is right. Folds are
by employee (rows of one person are not independent), the standard error is the
cluster-robust one of ``psi`` by employee, propensities are clipped below (default 0.01) and
the effective sample size of the weights says how much of the log actually informs the
estimate: a policy that recommends what nobody took has a tiny ESS and a value that rests on
the outcome model alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.optimize import minimize

from core import lgb_safe
from core.errors import BilingualError
from core.features import FeatureFrame, History

__all__ = ["NONE", "LoggedData", "OPEError", "dr_estimate", "dr_policy_value", "logged_data"]

NONE = "none"
_NONE_ALIASES = {"", "none", "ninguno", "ninguna", "nan", "null"}
Z95 = 1.959963984540054
# Below this effective sample size the estimate rests mostly on the outcome model: say so.
LOW_ESS = 50.0

# Small trees, rounds chosen by early stopping on held-out employees (see _lgb_early).
# One thread: these models are small, and on a shared 2-core machine two OpenMP threads
# fighting other work made the same estimate 4x slower (41 s vs 9 s; identical result).
PROPENSITY_PARAMS: dict = {
    "learning_rate": 0.05, "num_leaves": 4, "min_data_in_leaf": 30, "lambda_l2": 5.0,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1,
    "min_data_per_group": 30, "cat_smooth": 10.0, "verbose": -1, "num_threads": lgb_safe.THREADS,
}
OUTCOME_PARAMS: dict = {
    "objective": "regression", "learning_rate": 0.05, "num_leaves": 15, "max_depth": 5,
    "min_data_in_leaf": 20, "lambda_l2": 1.0, "feature_fraction": 0.9, "bagging_fraction": 0.9,
    "bagging_freq": 1, "min_data_per_group": 20, "cat_smooth": 5.0, "verbose": -1,
    "num_threads": lgb_safe.THREADS,
}


class OPEError(BilingualError, ValueError):
    """The log cannot support an off-policy estimate; the reason in Spanish and English."""


@dataclass
class LoggedData:
    """What happened, one row per (employee, quarter) with a next quarter."""

    X: pd.DataFrame  # model features, index 0..n-1
    keys: pd.DataFrame  # employee_id, period
    action: np.ndarray  # program_id completed in that quarter, or NONE
    reward: np.ndarray  # next-quarter rating minus this quarter's
    actions: list[str]  # action set: NONE first, then program ids
    program_skills: dict[str, list[str]]  # program id -> declared target skills
    multi_program_rows: int  # rows where more than one program was completed (first kept)


def logged_data(history: History, ff: FeatureFrame) -> LoggedData:
    """Logged actions and rewards of every (employee, quarter) that has a next quarter.

    Raises
    ------
    OPEError
        When there is no completed training at all, or no quarter followed by another.
    """
    trs = history.training_records
    done = (trs[trs["status"] == "completed"] if trs is not None and len(trs)
            and "status" in trs else pd.DataFrame(columns=["employee_id", "program_id",
                                                           "period"]))
    if done.empty:
        raise OPEError(
            "No hay capacitaciones completadas en el historial: no se puede estimar el valor "
            "de un plan de capacitación con estos datos. Carga training_records.csv con "
            "programas en estado «completed».",
            "The history has no completed training: the value of a training plan cannot be "
            "estimated from this data. Upload training_records.csv with programs in status "
            "'completed'.")
    reward = (ff.y_rating - ff.rating_now).to_numpy(dtype=float)
    keep = np.isfinite(reward)
    if keep.sum() < 2:
        raise OPEError(
            "Hace falta al menos un trimestre con calificación seguido de otro para medir el "
            "cambio de calificación.",
            "At least one rated quarter followed by another is needed to measure the change in "
            "rating.")
    keys = ff.keys.loc[keep].reset_index(drop=True)
    X = ff.X.loc[keep].reset_index(drop=True)
    done = done.astype({"employee_id": str, "period": str, "program_id": str}).sort_values(
        ["employee_id", "period", "program_id"])
    counts = done.groupby(["employee_id", "period"]).size()
    first = done.drop_duplicates(["employee_id", "period"]).set_index(
        ["employee_id", "period"])["program_id"].astype(str)
    idx = pd.MultiIndex.from_frame(keys[["employee_id", "period"]].astype(str))
    action = first.reindex(idx).fillna(NONE).to_numpy(dtype=object)
    multi = int((counts.reindex(idx).fillna(0) > 1).sum())
    programs = []
    if history.programs is not None and "program_id" in history.programs:
        programs = [str(p) for p in history.programs["program_id"].dropna()]
    programs = list(dict.fromkeys([*programs, *sorted(set(action) - {NONE})]))
    if not (action != NONE).any():
        raise OPEError(
            "Ninguna capacitación completada cae en un trimestre seguido de otro con "
            "calificación: no hay efecto que medir.",
            "No completed training falls in a quarter followed by a rated one: there is no "
            "effect to measure.")
    skills: dict[str, list[str]] = {}
    if history.programs is not None and "target_skills" in history.programs:
        for pid, ts in zip(history.programs["program_id"].astype(str),
                           history.programs["target_skills"], strict=True):
            skills[pid] = [x.strip() for x in str(ts).split(";")
                           if x.strip() and not pd.isna(ts)]
    return LoggedData(X, keys, action.astype(str), reward[keep], [NONE, *programs], skills,
                      multi)


def _normalize_actions(values, actions: list[str]) -> np.ndarray:
    out = []
    known = set(actions)
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip().lower() in (
                _NONE_ALIASES):
            out.append(NONE)
            continue
        s = str(v).strip()
        if s not in known:
            raise OPEError(f"La política recomienda un programa que no está en el catálogo: {s}.",
                           f"The policy recommends a program that is not in the catalog: {s}.")
        out.append(s)
    return np.asarray(out, dtype=object).astype(str)


def _policy_actions(policy, data: LoggedData) -> np.ndarray:
    """The policy's action for each logged row."""
    if isinstance(policy, pd.Series):
        if isinstance(policy.index, pd.MultiIndex):
            idx = pd.MultiIndex.from_frame(data.keys[["employee_id", "period"]].astype(str))
            pol = policy.copy()
            pol.index = pd.MultiIndex.from_arrays(
                [pol.index.get_level_values(i).astype(str) for i in range(2)])
            values = pol.reindex(idx).to_numpy(dtype=object)
        else:  # one program per employee, every quarter
            pol = policy.copy()
            pol.index = pol.index.astype(str)
            values = data.keys["employee_id"].astype(str).map(pol).to_numpy(dtype=object)
    elif callable(policy):
        frame = pd.concat([data.keys, data.X], axis=1)
        values = np.asarray(policy(frame), dtype=object)
        if values.shape != (len(frame),):
            raise ValueError(f"the policy returned shape {values.shape}, expected "
                             f"({len(frame)},)")
    else:
        raise TypeError("policy must be a callable or a pandas Series")
    return _normalize_actions(values, data.actions)


def _folds(groups: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """Fold of each row; all rows of one employee in the same fold."""
    uniq = pd.unique(groups)
    perm = rng.permutation(len(uniq))
    fold_of = dict(zip(uniq[perm], np.arange(len(uniq)) % n_folds, strict=True))
    return np.array([fold_of[g] for g in groups])


def _action_features(X: pd.DataFrame, actions: list[str],
                     program_skills: dict[str, list[str]]) -> np.ndarray:
    """Per (row, action) features from the program's declared target skills, (n, k, d).

    For the program's first (main) target skill and over all its target skills: the gap to
    the role, the level, previous trainings in them; zeros for ``none``. These let both models
    say "people are sent to, and gain from, programs that train their weak skills" with a
    handful of shared coefficients instead of one per program and feature.
    """
    n, k = len(X), len(actions)
    out = np.zeros((n, k, len(ACTION_FEATURES)))

    def col(name: str, fill: float) -> np.ndarray:
        return X[name].to_numpy(dtype=float) if name in X else np.full(n, fill)

    for j, name in enumerate(actions):
        skills = [s for s in program_skills.get(name, []) if f"skill_{s}" in X]
        if name == NONE or not skills:
            continue
        gaps = np.column_stack([np.nan_to_num(col(f"gap_{s}", 0.0)) for s in skills])
        levels = np.column_stack([col(f"skill_{s}", np.nan) for s in skills])
        trained = np.column_stack([np.nan_to_num(col(f"trained_{s}", 0.0)) for s in skills])
        lv = np.where(np.isnan(levels), 3.0, levels)
        out[:, j] = np.column_stack([
            np.ones(n), gaps[:, 0], gaps.mean(axis=1), gaps.max(axis=1), lv[:, 0] - 3.0,
            lv.mean(axis=1) - 3.0, np.isnan(levels[:, 0]).astype(float),
            np.minimum(trained.sum(axis=1), 3.0),
        ])
    return out


ACTION_FEATURES = ("program", "gap_main", "gap_mean", "gap_max", "level_main", "level_mean",
                   "level_main_missing", "trained")


def _group_split(groups: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Rows whose group falls in a random ``share`` of the groups (inner validation)."""
    uniq = pd.unique(groups)
    pick = rng.choice(len(uniq), max(1, round(len(uniq) * share)), replace=False)
    return np.isin(groups, uniq[pick])


def _lgb_early(params: dict, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray,
               rng: np.random.Generator, max_rounds: int = 1000) -> lgb.Booster:
    """LightGBM with the number of rounds chosen on 20 % of the groups, refit on all."""
    val = _group_split(groups, 0.2, rng)
    rounds = max_rounds
    if val.any() and (~val).any():
        b = lgb.train(params, lgb.Dataset(X.loc[~val], y[~val]), num_boost_round=max_rounds,
                      valid_sets=[lgb.Dataset(X.loc[val], y[val])],
                      callbacks=[lgb.early_stopping(30, verbose=False)])
        rounds = max(int((b.best_iteration or max_rounds) * 1.1), 5)
    return lgb.train(params, lgb.Dataset(X, y), num_boost_round=rounds)


def _fit_choice(Z: np.ndarray, D: np.ndarray, y: np.ndarray, lam: float = 1.0
                ) -> np.ndarray:
    """Conditional logit of which program, given one was taken: (k, d) -> parameters.

    Utility ``u[i, p] = alpha_p + Z[i, p] @ beta + D[i] @ Gamma[p]`` (shared ``beta`` on the
    program's target-skill features; ``Gamma`` program x department preferences), with L2
    penalties; fitted by L-BFGS on the rows that took a program.
    """
    n, k, d = Z.shape
    m = D.shape[1]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0

    def unpack(theta):
        return theta[:k], theta[k:k + d], theta[k + d:].reshape(k, m)

    def loss(theta):
        alpha, beta, gamma = unpack(theta)
        u = alpha + Z @ beta + D @ gamma.T
        u = u - u.max(axis=1, keepdims=True)
        lse = np.log(np.exp(u).sum(axis=1))
        prob = np.exp(u - lse[:, None])
        nll = -(u[np.arange(n), y] - lse).sum()
        pen = 0.5 * (1e-2 * alpha @ alpha + lam * beta @ beta + lam * np.sum(gamma**2))
        g = prob - onehot
        grad = np.concatenate([g.sum(axis=0) + 1e-2 * alpha,
                               np.einsum("ip,ipd->d", g, Z) + lam * beta,
                               (g.T @ D + lam * gamma).ravel()])
        return nll + pen, grad

    res = minimize(loss, np.zeros(k + d + k * m), jac=True, method="L-BFGS-B",
                   options={"maxiter": 500})
    return res.x


def _choice_proba(theta: np.ndarray, Z: np.ndarray, D: np.ndarray) -> np.ndarray:
    _, k, d = Z.shape
    alpha, beta = theta[:k], theta[k:k + d]
    gamma = theta[k + d:].reshape(k, D.shape[1])
    u = alpha + Z @ beta + D @ gamma.T
    u = u - u.max(axis=1, keepdims=True)
    e = np.exp(u)
    return e / e.sum(axis=1, keepdims=True)


def _context(X: pd.DataFrame) -> np.ndarray:
    """Department one-hot (program preferences differ by department), or no columns."""
    if "department" not in X or not isinstance(X["department"].dtype, pd.CategoricalDtype):
        return np.zeros((len(X), 0))
    cats = list(X["department"].cat.categories)
    v = X["department"].astype("object")
    return np.column_stack([(v == c).to_numpy(dtype=float) for c in cats]) if cats else (
        np.zeros((len(X), 0)))


def _fit_propensity(X: pd.DataFrame, a: np.ndarray, folds: np.ndarray, k: int,
                    Zfull: np.ndarray, groups: np.ndarray, method: str,
                    rng: np.random.Generator) -> np.ndarray:
    """Cross-fitted P(action | x), shape (n, k).

    ``nested``: P(any program | x) from LightGBM (binary), times P(which program | x, one
    taken) from a conditional logit on the programs' target-skill features. ``multiclass``:
    one LightGBM multiclass model (one set of trees per program; needs many takers per
    program to be calibrated).
    """
    n = len(X)
    p = np.zeros((n, k))
    treated = a != 0
    D = _context(X)
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        seed = int(rng.integers(0, 2**31 - 1))
        if method == "multiclass":
            params = {**PROPENSITY_PARAMS, "objective": "multiclass", "num_class": k,
                      "seed": seed}
            booster = _lgb_early(params, X.loc[tr], a[tr], groups[tr], rng)
            p[te] = lgb_safe.predict(booster, X.loc[te])
            continue
        params = {**PROPENSITY_PARAMS, "objective": "binary", "seed": seed}
        if treated[tr].all() or not treated[tr].any():
            p_t = np.full(te.sum(), float(treated[tr].mean()))
        else:
            booster = _lgb_early(params, X.loc[tr], treated[tr].astype(float), groups[tr], rng)
            p_t = lgb_safe.predict(booster, X.loc[te])
        fit = tr & treated
        Z = Zfull[:, 1:, :]
        mu = Z[fit].reshape(-1, Z.shape[2]).mean(axis=0)
        sd = Z[fit].reshape(-1, Z.shape[2]).std(axis=0)
        sd[sd == 0] = 1.0
        Zs = (Z - mu) / sd
        Zs[..., 0] = 0.0  # the "program" constant is the intercepts' job
        theta = _fit_choice(Zs[fit], D[fit], a[fit] - 1)
        choice = _choice_proba(theta, Zs[te], D[te])
        p[te, 0] = 1.0 - p_t
        p[te, 1:] = p_t[:, None] * choice
    return np.clip(p, 0.0, 1.0)


def _with_action(X: pd.DataFrame, a: np.ndarray, Zfull: np.ndarray,
                 actions: list[str]) -> pd.DataFrame:
    n = len(X)
    onehot = {f"_action_{j}": (a == j).astype(float) for j in range(1, len(actions))}
    za = Zfull[np.arange(n), a]
    feats = {f"_action_{name}": za[:, i] for i, name in enumerate(ACTION_FEATURES)}
    return pd.concat([X, pd.DataFrame({**onehot, **feats}, index=X.index)], axis=1)


def _fit_outcome(X: pd.DataFrame, a: np.ndarray, r: np.ndarray, target: np.ndarray,
                 folds: np.ndarray, actions: list[str], Zfull: np.ndarray,
                 groups: np.ndarray, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Cross-fitted q(x, logged action) and q(x, policy action)."""
    q_log = np.zeros(len(X))
    q_pol = np.zeros(len(X))
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        params = {**OUTCOME_PARAMS, "seed": int(rng.integers(0, 2**31 - 1))}
        Xtr = _with_action(X.loc[tr], a[tr], Zfull[tr], actions)
        booster = _lgb_early(params, Xtr, r[tr], groups[tr], rng)
        for out, act in ((q_log, a[te]), (q_pol, target[te])):
            out[te] = lgb_safe.predict(booster, _with_action(X.loc[te], act, Zfull[te], actions))
    return q_log, q_pol


def _cluster_se(psi: np.ndarray, groups: np.ndarray) -> float:
    """Standard error of mean(psi), robust to correlation within an employee's rows."""
    n = len(psi)
    dev = pd.Series(psi - psi.mean()).groupby(groups).sum().to_numpy()
    g = len(dev)
    if n < 2 or g < 2:
        return float("nan")
    return float(np.sqrt(np.sum(dev**2) * g / (g - 1)) / n)


def _summary(psi: np.ndarray, groups: np.ndarray) -> dict:
    v = float(psi.mean())
    se = _cluster_se(psi, groups)
    return {"value": v, "se": se, "ci_low": v - Z95 * se, "ci_high": v + Z95 * se}


def dr_estimate(X: pd.DataFrame, action, reward, target, *, actions: list[str],
                program_skills: dict[str, list[str]] | None = None, groups=None,
                n_folds: int = 5, clip: tuple[float | None, float | None] = (0.01, None),
                propensity: str = "nested", random_state: int = 0) -> dict:
    """Doubly-robust value of ``target`` actions from logged ``action`` / ``reward``.

    The engine behind :func:`dr_policy_value`, on plain arrays: ``action`` and ``target`` hold
    names from ``actions`` (``NONE`` first); ``program_skills`` maps a program to its declared
    target skills (features ``skill_<s>``, ``gap_<s>``, ``trained_<s>`` of ``X``); ``groups``
    (employee ids) keep a person's rows in one fold and one cluster of the standard error.
    ``propensity``: ``nested`` (default; P(any program) by LightGBM times a conditional logit
    of which program on its target-skill features) or ``multiclass`` (plain LightGBM
    multiclass, one model per program: calibrated only with many takers per program).
    """
    X = X.reset_index(drop=True)
    n = len(X)
    reward = np.asarray(reward, dtype=float)
    if not actions or actions[0] != NONE:
        raise ValueError(f"actions must start with {NONE!r}")
    index = {name: j for j, name in enumerate(actions)}
    a = np.array([index[v] for v in np.asarray(action, dtype=object).astype(str)])
    t = np.array([index[v] for v in np.asarray(target, dtype=object).astype(str)])
    groups = np.arange(n) if groups is None else np.asarray(groups)
    n_groups = len(pd.unique(groups))
    if n_folds < 2 or n_groups < n_folds:
        raise OPEError(
            f"Hacen falta al menos {max(n_folds, 2)} colaboradores para la validación cruzada.",
            f"At least {max(n_folds, 2)} employees are needed for cross-fitting.")
    if propensity not in ("nested", "multiclass"):
        raise ValueError("propensity must be 'nested' or 'multiclass'")
    if not (a != 0).any():
        raise OPEError("Nadie tomó un programa en el historial: no hay efecto que medir.",
                       "Nobody took a program in the history: there is no effect to measure.")
    rng = np.random.default_rng(random_state)
    folds = _folds(groups, n_folds, rng)
    Z = _action_features(X, actions, program_skills or {})

    p_all = _fit_propensity(X, a, folds, len(actions), Z, groups, propensity, rng)
    lo, hi = clip
    p_log_raw = p_all[np.arange(n), a]
    p_log = np.clip(p_log_raw, lo if lo is not None else 0.0, hi if hi is not None else 1.0)
    p_log = np.maximum(p_log, 1e-12)
    clipped = p_log_raw < (lo if lo is not None else -1.0)
    match = a == t
    w = np.where(match, 1.0 / p_log, 0.0)

    q_log, q_pol = _fit_outcome(X, a, reward, t, folds, actions, Z, groups, rng)
    psi = q_pol + w * (reward - q_log)
    dr = _summary(psi, groups)
    logged = _summary(reward, groups)
    diff = _summary(psi - reward, groups)
    ess = float(w.sum() ** 2 / np.sum(w**2)) if match.any() else 0.0
    ipw = float(np.mean(w * reward))
    snipw = float(np.sum(w * reward) / w.sum()) if match.any() else float("nan")
    out = {
        "value": dr["value"], "se": dr["se"], "ci_low": dr["ci_low"], "ci_high": dr["ci_high"],
        "baseline": logged["value"], "baseline_ci_low": logged["ci_low"],
        "baseline_ci_high": logged["ci_high"],
        "gain_vs_logged": diff["value"], "gain_ci_low": diff["ci_low"],
        "gain_ci_high": diff["ci_high"],
        "ess": ess, "ess_share": ess / n if n else 0.0, "n": n, "n_employees": n_groups,
        "match_share": float(match.mean()),
        "weight_mean": float(w.mean()),
        "low_support": bool(ess < LOW_ESS),
        "clipped_share": float(clipped.mean()),
        "clipped_share_matched": float(clipped[match].mean()) if match.any() else 0.0,
        "dm": float(q_pol.mean()), "ipw": ipw, "snipw": snipw,
        "naive": float(reward[match].mean()) if match.any() else float("nan"),
        "propensity": propensity, "n_folds": n_folds, "clip": list(clip),
        "policy_share": {name: float(np.mean(t == j)) for j, name in enumerate(actions)
                         if np.any(t == j)},
        "logged_share": {name: float(np.mean(a == j)) for j, name in enumerate(actions)
                         if np.any(a == j)},
    }
    # JSON has no NaN: an undefined diagnostic (no row follows the policy) is None.
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in out.items()}


def dr_policy_value(history: History, ff: FeatureFrame,
                    policy: Callable[[pd.DataFrame], np.ndarray] | pd.Series, *,
                    n_folds: int = 5, clip: tuple[float | None, float | None] = (0.01, None),
                    propensity: str = "nested", random_state: int = 0) -> dict:
    """Expected next-quarter rating change if the log had followed ``policy`` (DR estimate).

    Parameters
    ----------
    history, ff
        The stored history and its feature frame (:class:`core.features.FeatureBuilder`);
        rows without a next quarter are left out.
    policy
        A callable that takes a frame (``employee_id, period`` and the feature columns of
        each logged row) and returns a program id or ``None`` per row, or a Series indexed
        by ``(employee_id, period)`` (or by ``employee_id`` alone) with a program id or
        ``None``/NaN for "no program".
    clip
        Lower and upper bounds for the propensity of the logged action (weights at most
        ``1 / clip[0]``).

    Returns
    -------
    dict
        ``value`` with ``ci_low``/``ci_high`` (95 %, cluster-robust influence-function
        standard error ``se``); ``baseline`` (value of the logged policy = mean observed
        change) and ``gain_vs_logged`` with its interval; ``ess``, ``ess_share`` (ESS / n),
        ``low_support`` (ESS under :data:`LOW_ESS`), ``n``, ``clipped_share`` (rows whose
        logged-action propensity was raised to the floor)
        and ``clipped_share_matched`` (the same among rows that follow the policy, the ones
        that carry weight); diagnostics ``dm`` (outcome model alone), ``ipw``, ``snipw``,
        ``naive`` (mean observed change where the log followed the policy: biased under
        confounded assignment), ``match_share``, ``weight_mean`` (mean importance weight:
        near 1 when the propensities are calibrated), ``policy_share``, ``logged_share``,
        ``multi_program_rows`` (quarters with two completed programs; the first is kept).

    Raises
    ------
    OPEError
        A ValueError with ``message_es``/``message_en`` when the log cannot support an
        estimate (no completed training, no quarter followed by another, too few people).
    """
    data = logged_data(history, ff)
    target = _policy_actions(policy, data)
    out = dr_estimate(data.X, data.action, data.reward, target, actions=data.actions,
                      program_skills=data.program_skills,
                      groups=data.keys["employee_id"].astype(str).to_numpy(), n_folds=n_folds,
                      clip=clip, propensity=propensity, random_state=random_state)
    out["multi_program_rows"] = data.multi_program_rows
    return out
