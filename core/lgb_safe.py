"""LightGBM predictions on boosters that several threads share.

A booster loaded once serves every Streamlit session (``st.cache_resource``) and, in the
recommender, several worker threads. LightGBM's ``predict`` on one booster from two threads
at once is a data race (it resets the booster's prediction state: LightGBM issue #6142)
and ``pred_contrib`` can corrupt memory and kill the process (issue #5482). So each booster
predicts for one caller at a time; different boosters still run side by side.
"""

from __future__ import annotations

import threading
import weakref

import lightgbm as lgb
import numpy as np

_LOCKS: weakref.WeakKeyDictionary[lgb.Booster, threading.Lock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _lock(booster: lgb.Booster) -> threading.Lock:
    with _GUARD:
        lock = _LOCKS.get(booster)
        if lock is None:
            lock = _LOCKS[booster] = threading.Lock()
        return lock


def predict(booster: lgb.Booster, X, **kwargs) -> np.ndarray:
    """``booster.predict(X, **kwargs)``, never concurrently on the same booster."""
    with _lock(booster):
        return booster.predict(X, **kwargs)
