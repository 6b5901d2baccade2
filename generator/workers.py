"""Work shared between the cores, for builds of long histories.

Workers are forked, so they inherit the parent's memory: the work and the
function doing it are never pickled, only the results travel back. Below a
size, or where fork does not exist, everything runs inline: the output is the
same either way.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Iterable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN = 2000  # below this many items, forking workers costs more than it saves
MAX_WORKERS = 8

# (function, chunks) of the map in flight; forked workers read it from memory they inherit.
_TASK: tuple[Callable, list] | None = None


def count() -> int:
    """How many workers to use: one per core, none without fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _run_chunk(k: int) -> list:
    func, chunks = _TASK
    return func(chunks[k])


def map_chunks(func: Callable[[Sequence[T]], list[R]], items: Sequence[T], minimum: int | None = None) -> list[R]:
    """`func(items)`, split over the cores: `func` maps a chunk to a list of results, one per item.

    Chunks interleave the items (k, k+n, k+2n, ...) so that each worker gets
    as many long and short items as the others; the results come back in the
    items' order. The calling process does the first chunk itself: one fork
    fewer, and one copy fewer of the pages a fork comes to own.
    """
    global _TASK
    n = count()
    if len(items) < (PARALLEL_MIN if minimum is None else minimum) or n < 2:
        return list(func(items))
    chunks = [items[k::n] for k in range(n)]
    _TASK = (func, chunks)
    try:
        with multiprocessing.get_context("fork").Pool(n - 1) as pool:
            rest = pool.map_async(_run_chunk, range(1, n))
            parts = [list(func(chunks[0]))] + rest.get()
    finally:
        _TASK = None
    results: list = [None] * len(items)
    for k, part in enumerate(parts):
        if len(part) != len(chunks[k]):
            raise RuntimeError(f"{func.__qualname__} returned {len(part)} results for {len(chunks[k])} items")
        results[k::n] = part
    return results


BATCH = 256  # items a background worker sends at a time: no second copy of the whole result


def _send_items(func: Callable[[], Iterable], conn) -> None:
    try:
        batch = []
        for item in func():
            batch.append(item)
            if len(batch) == BATCH:
                conn.send((True, batch))
                batch = []
        conn.send((True, batch))
        conn.send((True, None))  # the end
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        conn.send((False, exc))
    conn.close()


class Background:
    """The items of `func()` (an iterable) made in a forked process while the caller goes on.

    `result()` waits for them and returns them as a list. They travel in small
    batches, so neither side ever holds a second, pickled copy of all of them.
    Use it as a context manager: leaving the block stops a worker whose result
    was never asked for (the caller failed first). With one core (or no fork)
    `func` simply runs when the result is asked for.
    """

    def __init__(self, func: Callable[[], Iterable[R]], parallel: bool = True):
        self._func = func
        self._proc = None
        if parallel and count() > 1:
            ctx = multiprocessing.get_context("fork")
            self._conn, send = ctx.Pipe(duplex=False)
            # Forked, so the arguments are not pickled; a daemon, so it never outlives the build.
            self._proc = ctx.Process(target=_send_items, args=(func, send), daemon=True)
            self._proc.start()
            send.close()

    def result(self) -> list[R]:
        if self._proc is None:
            return list(self._func())
        items: list = []
        try:
            while True:
                ok, value = self._conn.recv()
                if not ok:
                    raise value
                if value is None:
                    break
                items += value
        except EOFError:
            self._proc.join()
            raise RuntimeError(f"a build worker died (exit code {self._proc.exitcode})") from None
        finally:
            self._conn.close()
        self._proc.join()
        return items

    def __enter__(self) -> "Background":
        return self

    def __exit__(self, *exc) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()
