"""Work shared between the cores, for builds of long histories.

Workers are forked, so they inherit the parent's memory: the work and the
function doing it are never pickled, only the results travel back. Below a
size, or where fork does not exist, everything runs inline: the output is the
same either way.
"""

from __future__ import annotations

import os
from itertools import islice
from typing import TYPE_CHECKING, Callable, Iterator, Sequence, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN = 2000  # below this many items, forking workers costs more than it saves
MAX_WORKERS = 8
AHEAD = 3  # jobs per worker submitted and not yet taken by the caller

# (function, its inputs) of the work in flight; forked workers read it from memory they inherit.
_TASK: tuple[Callable, Sequence] | None = None


def count() -> int:
    """How many workers to use: one per core, none without fork."""
    import multiprocessing  # here, not at the top: a small build never forks, and start-up counts

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _run(k: int):
    """In a worker: the function of the work in flight, on its k-th input (only k is pickled)."""
    func, inputs = _TASK
    return func(inputs[k])


def map_chunks(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], minimum: int | None = None) -> list[R]:
    """`func(items)`, split over the cores: `func` maps a chunk to a list of results, one per item.

    Chunks interleave the items (k, k+n, k+2n, ...) so that each worker gets
    as many long and short items as the others; the results come back in the
    items' order. The calling process does the first chunk itself: one fork
    fewer, and one copy fewer of the pages a fork comes to own.
    """
    global _TASK
    if len(items) < (PARALLEL_MIN if minimum is None else minimum) or (n := count()) < 2:
        return list(func(items))
    chunks = [items[k::n] for k in range(n)]
    _TASK = (func, chunks)
    try:
        with _pool(n - 1) as pool:
            rest = [pool.submit(_run, k) for k in range(1, n)]
            parts = [list(func(chunks[0]))] + [future.result() for future in rest]
    finally:
        _TASK = None
    results: list = [None] * len(items)
    for k, part in enumerate(parts):
        if len(part) != len(chunks[k]):
            raise RuntimeError(f"{func.__qualname__} returned {len(part)} results for {len(chunks[k])} items")
        results[k::n] = part
    return results


def each(func: Callable[[T], R], jobs: Sequence[T], parallel: bool = True) -> Iterator[R]:
    """`func(job)` for every job, made by forked workers and yielded as each one finishes.

    The caller consumes the results while the workers go on (a build writes
    the files as they come), so the results never pile up. The order is the
    order of finishing: callers must not depend on it. Inline, in the jobs'
    order, when not `parallel`, with one core or with one job.
    """
    global _TASK
    if not parallel or len(jobs) < 2 or (n := count()) < 2:
        for job in jobs:
            yield func(job)
        return
    from concurrent.futures import FIRST_COMPLETED, wait

    _TASK = (func, jobs)
    try:
        with _pool(n) as pool:
            # Submitted in the jobs' order (the first is the longest), at most AHEAD per worker not yet
            # taken: a finished future holds its result, and when the workers outrun the caller (pages
            # taken from the output folder are quick to make, slow to compare) the results would pile up.
            # Each is held only until taken.
            upcoming = iter(range(len(jobs)))
            pending = {pool.submit(_run, k) for k in islice(upcoming, n * AHEAD)}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    pending |= {pool.submit(_run, k) for k in islice(upcoming, len(done))}
                    for future in done:
                        yield future.result()
                    del done, future
            finally:
                for future in pending:  # the caller stopped early (an error): drop what has not started
                    future.cancel()
    finally:
        _TASK = None


def _pool(n: int) -> ProcessPoolExecutor:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Forked workers; a worker that dies (killed, out of memory) fails the build
    # with BrokenProcessPool instead of leaving it waiting for ever.
    return ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("fork"))
