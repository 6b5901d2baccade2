"""`statusgen serve` run in a thread for a test: its messages, its URL, and a way to wait."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@dataclass
class Serving:
    thread: threading.Thread
    messages: list = field(default_factory=list)
    urls: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.urls[0]


@contextmanager
def serving(root: Path, now):
    """Serve `root` at `now` on a free port until the block ends; fails if it never comes up."""
    from generator.serve import serve

    stop = threading.Event()
    state = Serving(thread=threading.Thread())
    state.thread = threading.Thread(
        target=serve,
        kwargs=dict(root=root, clock=lambda: now, port=0, echo=state.messages.append, stop=stop, ready=state.urls.append),
        daemon=True,
    )
    state.thread.start()
    try:
        assert wait_for(lambda: state.urls), state.messages
        time.sleep(0.5)  # let the watcher start
        yield state
    finally:
        stop.set()
        state.thread.join(10)
