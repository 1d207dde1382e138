"""LightGBM predictions that are safe while other threads train or predict.

Two process-wide hazards, one entry point:

* LightGBM's thread count is one global value, not a per-booster one: every call that
  takes parameters (training, dataset construction, ``predict``) sets it, and ``predict``
  without ``num_threads`` sets it back to "all cores" (LightGBM ``openmp_wrapper``:
  ``LGBM_DEFAULT_NUM_THREADS``). The estimators fit several boosters side by side on one
  thread each; a prediction elsewhere that reset the value made a running fit switch to
  two threads half-way, past buffers sized for one, and the process died (a segmentation
  fault in about one benchmark run in thirty; faulthandler showed one worker in
  ``predict`` and another in ``Booster.__init__``). So every fit and every prediction in
  this code base uses :data:`THREADS`, and the value never changes.
* ``predict`` on one booster from two threads at once is a data race (it resets the
  booster's prediction state: LightGBM issue #6142) and ``pred_contrib`` can corrupt
  memory (issue #5482). A booster loaded once serves every Streamlit session
  (``st.cache_resource``) and several worker threads, so each booster predicts for one
  caller at a time; different boosters still run side by side.
"""

from __future__ import annotations

import threading
import weakref

import lightgbm as lgb
import numpy as np

# LightGBM threads per call, everywhere in the process (parameters of every fit too): the
# parallelism is one booster per CPU (core.effects.run_parallel), not OpenMP in one booster.
THREADS = 1

_LOCKS: weakref.WeakKeyDictionary[lgb.Booster, threading.Lock] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _lock(booster: lgb.Booster) -> threading.Lock:
    with _GUARD:
        lock = _LOCKS.get(booster)
        if lock is None:
            lock = _LOCKS[booster] = threading.Lock()
        return lock


def predict(booster: lgb.Booster, X, **kwargs) -> np.ndarray:
    """``booster.predict(X, **kwargs)`` on :data:`THREADS` threads, never concurrently on
    the same booster."""
    kwargs["num_threads"] = THREADS
    with _lock(booster):
        return booster.predict(X, **kwargs)
