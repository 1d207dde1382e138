"""The shared BLAS hold: one thread inside, the original count restored after the last
holder leaves, and threadpoolctl touched only by the first and the last."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import core.threads as threads
from core.threads import one_blas_thread


def _blas_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    if not _blas_threads():
        pytest.skip("no BLAS library loaded that threadpoolctl can control")
    with threadpool_limits(2, user_api="blas"):
        if _blas_threads() != {2}:
            pytest.skip("BLAS cannot use two threads here")
        yield


def test_one_thread_inside_and_the_original_count_after(two_blas_threads):
    with one_blas_thread():
        assert _blas_threads() == {1}
        with one_blas_thread():  # nested: still one, and not restored on the inner exit
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}
    assert _blas_threads() == {2}


def test_holders_in_many_threads_share_one_limit(two_blas_threads, monkeypatch):
    made = []
    real = threads.threadpool_limits

    def counting(*args, **kwargs):
        made.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(threads, "threadpool_limits", counting)
    start = threading.Barrier(8)
    seen: list[set[int]] = []

    def work() -> None:
        start.wait()
        for _ in range(20):
            with one_blas_thread():
                a = np.random.default_rng(0).standard_normal((60, 60))
                np.linalg.solve(a @ a.T + np.eye(60), np.ones(60))
                seen.append(_blas_threads())
                time.sleep(0.001)

    with one_blas_thread():  # the pool's own hold, as run_parallel takes it
        workers = [threading.Thread(target=work) for _ in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert len(seen) == 160 and all(s == {1} for s in seen)
    assert made == [threading.current_thread().name]  # only the outermost hold set it
    assert threads._holders == 0
    assert _blas_threads() == {2}
