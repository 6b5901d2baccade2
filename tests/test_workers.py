"""The forked workers behind long builds: real forks, results in order, errors carried home."""

from __future__ import annotations

import os

import pytest

from generator import workers


@pytest.fixture
def two_workers(monkeypatch):
    """Fork even on a one-core machine and for a handful of items."""
    monkeypatch.setattr(workers, "count", lambda: 2)
    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)


def test_map_chunks_forks_and_keeps_the_items_order(two_workers):
    parent = os.getpid()
    results = workers.map_chunks(lambda chunk: [(x * x, os.getpid()) for x in chunk], list(range(101)))
    assert [square for square, _ in results] == [x * x for x in range(101)]
    pids = {pid for _, pid in results}
    assert parent in pids and len(pids) == 2  # the caller does one chunk, a fork the other


def test_map_chunks_runs_inline_below_the_minimum(monkeypatch):
    monkeypatch.setattr(workers, "count", lambda: 2)
    parent = os.getpid()
    assert workers.map_chunks(lambda chunk: [os.getpid() for _ in chunk], [1, 2, 3], minimum=10) == [parent] * 3


def test_map_chunks_uses_what_the_parent_holds_without_pickling(two_workers):
    unpicklable = lambda x: x + 1  # noqa: E731 - a lambda cannot be pickled; a fork inherits it
    assert workers.map_chunks(lambda chunk: [unpicklable(x) for x in chunk], [1, 2, 3, 4]) == [2, 3, 4, 5]


def test_an_error_in_a_worker_reaches_the_caller(two_workers):
    def fail_on_odd(chunk):
        if any(x % 2 for x in chunk):
            raise ValueError("odd item")
        return list(chunk)

    with pytest.raises(ValueError, match="odd item"):
        workers.map_chunks(fail_on_odd, [0, 1, 2, 3])


def test_a_chunk_that_loses_results_is_an_error(two_workers):
    with pytest.raises(RuntimeError, match="returned 1 results for 2 items"):
        workers.map_chunks(lambda chunk: list(chunk)[:1], [0, 1, 2, 3])


def test_background_computes_in_another_process_and_streams_every_item(two_workers, monkeypatch):
    monkeypatch.setattr(workers, "BATCH", 7)  # several batches and a part-filled last one
    with workers.Background(lambda: ((n, os.getpid()) for n in range(100))) as job:
        items = job.result()
    assert [n for n, _ in items] == list(range(100))
    assert {pid for _, pid in items} != {os.getpid()} and len({pid for _, pid in items}) == 1


def test_background_carries_an_error_home(two_workers):
    def fail():
        yield 1  # an error after some items were sent
        raise KeyError("missing")

    with workers.Background(fail) as job:
        with pytest.raises(KeyError, match="missing"):
            job.result()


def test_background_inline_when_not_parallel():
    with workers.Background(lambda: iter([os.getpid()]), parallel=False) as job:
        assert job.result() == [os.getpid()]


def test_a_background_never_asked_for_is_stopped(two_workers):
    import time

    with workers.Background(lambda: iter([time.sleep(60)])) as job:
        proc = job._proc
    proc.join(timeout=5)
    assert not proc.is_alive()


def test_a_dead_background_worker_is_reported(two_workers):
    with workers.Background(lambda: os._exit(3)) as job:
        with pytest.raises(RuntimeError, match="exit code 3"):
            job.result()
