"""One booster predicts for one thread at a time; different boosters run side by side."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import lightgbm as lgb
import numpy as np

from core import lgb_safe


def _booster(seed: int) -> lgb.Booster:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((300, 5))
    y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(300)
    return lgb.train({"objective": "regression", "verbose": -1, "num_threads": 1},
                     lgb.Dataset(X, y), num_boost_round=20)


class _Probe:
    """Stands in for booster.predict and records how many callers are inside at once."""

    def __init__(self, real):
        self.real, self.inside, self.most = real, 0, 0
        self.guard = threading.Lock()

    def __call__(self, X, **kwargs):
        with self.guard:
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(0.01)
        try:
            return self.real(X, **kwargs)
        finally:
            with self.guard:
                self.inside -= 1


def test_one_booster_is_never_called_by_two_threads_at_once():
    a, b = _booster(0), _booster(1)
    probe_a, probe_b = _Probe(a.predict), _Probe(b.predict)
    a.predict, b.predict = probe_a, probe_b
    X = np.random.default_rng(2).standard_normal((50, 5))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: lgb_safe.predict(a if i % 2 else b, X, pred_contrib=True),
                      range(40)))
    assert probe_a.most == 1 and probe_b.most == 1
    # without the lock the same calls do overlap, so the probe can see it
    probe_a.most = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _i: a.predict(X), range(16)))
    assert probe_a.most > 1


def test_different_boosters_still_predict_side_by_side():
    boosters = [_booster(s) for s in range(4)]
    probes = [_Probe(b.predict) for b in boosters]
    shared = {"inside": 0, "most": 0}
    guard = threading.Lock()
    for b, p in zip(boosters, probes, strict=True):
        def counted(X, p=p, **kw):
            with guard:
                shared["inside"] += 1
                shared["most"] = max(shared["most"], shared["inside"])
            try:
                return p(X, **kw)
            finally:
                with guard:
                    shared["inside"] -= 1
        b.predict = counted
    X = np.zeros((10, 5))
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: lgb_safe.predict(boosters[i % 4], X), range(16)))
    assert shared["most"] > 1


def test_locked_predictions_equal_serial_ones_under_many_threads():
    booster = _booster(3)
    X = np.random.default_rng(4).standard_normal((200, 5))
    want = booster.predict(X, pred_contrib=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda _i: lgb_safe.predict(booster, X, pred_contrib=True),
                            range(64)))
    for g in got:
        np.testing.assert_array_equal(g, want)
