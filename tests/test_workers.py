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


def test_each_runs_every_job_in_forked_workers(two_workers):
    results = list(workers.each(lambda job: (job, os.getpid()), list(range(20))))
    assert sorted(job for job, _ in results) == list(range(20))
    assert os.getpid() not in {pid for _, pid in results}


def test_each_inline_in_order_when_not_parallel(two_workers):
    assert list(workers.each(lambda job: (job, os.getpid()), [3, 1, 2], parallel=False)) == [
        (3, os.getpid()), (1, os.getpid()), (2, os.getpid())]


def test_each_carries_an_error_home(two_workers):
    def fail_on_three(job):
        if job == 3:
            raise KeyError("three")
        return job

    with pytest.raises(KeyError, match="three"):
        list(workers.each(fail_on_three, list(range(6))))


def test_a_dead_worker_fails_the_build_instead_of_hanging(two_workers):
    from concurrent.futures.process import BrokenProcessPool

    with pytest.raises(BrokenProcessPool):
        list(workers.each(lambda job: os._exit(3) if job == 1 else job, list(range(4))))


def test_a_consumer_that_stops_early_leaves_no_worker(two_workers):
    import multiprocessing

    results = workers.each(lambda job: job, list(range(50)))
    for _ in results:
        break
    results.close()  # what a for loop's owner does when it stops early; no reliance on reference counting
    assert multiprocessing.active_children() == []


def test_the_workers_run_at_most_a_few_jobs_ahead_of_the_caller(two_workers, tmp_path):
    """Finished jobs hold their results until taken: workers that outran a slow caller would pile them up."""
    import time

    started = tmp_path / "started"

    def job(k: int) -> int:
        with open(started, "a") as handle:
            handle.write(f"{k}\n")
        return k

    results = workers.each(job, list(range(40)))
    first = next(results)
    time.sleep(0.5)  # a slow caller: the workers are idle once they are far enough ahead
    ahead = len(started.read_text().split())
    assert ahead <= 4 * workers.AHEAD and ahead < 40  # the first batch, and what replaced the jobs done with it
    assert sorted([first, *results]) == list(range(40))
