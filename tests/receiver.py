"""A real HTTP receiver in a thread for the notification tests: it records every request and answers as told.

    with receiving() as rx:
        rx.answer("/slack", (500, {}, b"down"), (200, {}, b"ok"))   # then 200 "ok" for ever
        ... send to rx.url("/slack") ...
        rx.requests_to("/slack")

`hold()` makes the next request wait, recorded, until `release()`: a test can
kill the sender while the receiver holds its request.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query
    headers: dict
    body: bytes
    at: float = 0.0  # time.monotonic() on arrival

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Receiver:
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    scripts: dict = field(default_factory=dict)  # route prefix -> [(status, headers, body)], used in order
    lock: threading.Lock = field(default_factory=threading.Lock)
    holding: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, prefix: str, *replies) -> None:
        """The next answers to requests whose path starts with `prefix`; afterwards 200 "ok"."""
        with self.lock:
            self.scripts.setdefault(prefix, []).extend(replies)

    def hold(self) -> None:
        """The next request is recorded, then held until `release()`."""
        self.arrived.clear()
        self.released.clear()
        self.holding = threading.Event()

    def release(self) -> None:
        self.released.set()

    def requests_to(self, prefix: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return True
            time.sleep(0.05)
        return False

    def _reply(self, path: str):
        with self.lock:
            for prefix, replies in sorted(self.scripts.items(), key=lambda kv: -len(kv[0])):
                if path.startswith(prefix) and replies:
                    return replies.pop(0)
        return 200, {}, b"ok"


def _handler(rx: Receiver):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(self.command, self.path, dict(self.headers.items()), body, time.monotonic())
            with rx.lock:
                rx.requests.append(request)
                hold = rx.holding
                rx.holding = None
            if hold is not None:
                rx.arrived.set()
                rx.released.wait(60)
            status, headers, data = rx._reply(self.path)
            if callable(data):
                data = data(request)
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the sender is gone (killed while held)

        do_PUT = do_GET = do_POST

    return Handler


@contextmanager
def receiving():
    rx = Receiver()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(rx))
    server.daemon_threads = True
    rx.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield rx
    finally:
        rx.release()
        server.shutdown()
        server.server_close()
