"""One process-wide hold on BLAS threads, safe to take from any thread.

The estimators run LightGBM fits and small linear solves on a thread per CPU, and a solve
is faster on one BLAS thread than split across several. OpenBLAS's thread count is
process-wide and threadpoolctl, which sets it, is not thread-safe (joblib/threadpoolctl
#176, #205): workers that each entered and left their own ``threadpool_limits`` changed it
while another worker was inside a solve. So every caller shares one reference-counted
hold: the first to enter sets one thread, the last to leave restores the original count,
and only those two touch the libraries, under a lock. (The rare crashes once blamed on
this were LightGBM's own process-wide thread count: see :mod:`core.lgb_safe`.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

_lock = threading.Lock()
_holders = 0
_limiter: threadpool_limits | None = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while any caller, in any thread, is inside this block."""
    global _holders, _limiter
    with _lock:
        if _holders == 0:
            _limiter = threadpool_limits(1, user_api="blas")
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None
