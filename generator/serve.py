"""`statusgen serve`: build, serve output/ on 127.0.0.1, rebuild on every change.

A broken file prints the check errors and the last good build stays online:
the build writes nothing until every page is rendered, then swaps the output
folder in one step, and the HTTP handler resolves each request against the
folder's path, so it always serves the newest complete build.

After the first build, a save in content/incidents/ is rebuilt by
`build.Preview`: only the files that changed are read again and only the
pages they touch are rendered again, with the same result as a full build;
a change to the settings or the theme builds everything.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path


from generator.build import CACHE_FILE, Preview, build
from generator.errors import StatusgenError, describe_os_error


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per request drowns the rebuild messages
        pass

    def send_head(self):
        # A path no file can have (a NUL byte, an unpaired surrogate) is simply not there.
        try:
            if "\x00" in self.translate_path(self.path):
                self.send_error(404)
                return None
            return super().send_head()
        except ValueError:
            self.send_error(404)
            return None

    def send_error(self, code, message=None, explain=None):
        # Behave like the S3 website endpoint: a missing page gets the site's 404.html.
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


def start_server(folder: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """Serve `folder` on 127.0.0.1:`port` (0 picks a free port) in a background thread."""
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def rebuild(root: Path, now: datetime, out: Path, preview: Preview | None = None, changed=None) -> str:
    """Build once; a message saying what happened. Content errors are reported, not raised.

    With `preview` (the builds of this session) and the paths `changed` since its last build, only what they
    touched is rendered again.
    """
    try:
        if preview is None:
            result = build(root, now, out, cache=root / CACHE_FILE)
        else:
            result = preview.build(now, changed)
    except StatusgenError as exc:  # content errors; a theme error names the template and line
        message = exc.message
    except OSError as exc:
        message = describe_os_error(exc)
    except Exception as exc:  # noqa: BLE001 - the last net: a preview must outlive any bad save
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
    else:
        if result.written is not None:
            return f"built {result.files} files ({result.written} changed)"
        return f"built {result.files} files"
    return f"{message}\nbuild failed; still serving the last good build"


def watched_paths(root: Path) -> list[Path]:
    """content/ (site.yaml lives there) and themes/, where they exist."""
    return [p for p in (root / "content", root / "themes") if p.exists()]


def changes(root: Path, stop: threading.Event | None = None) -> Iterator[set]:
    import watchfiles

    yield from watchfiles.watch(*watched_paths(root), stop_event=stop, debounce=300, rust_timeout=500)


def serve(
    root: Path,
    clock: Callable[[], datetime],
    echo: Callable[[str], None],
    port: int = 8000,
    stop: threading.Event | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Build, serve, and rebuild on changes until `stop` is set (or Ctrl-C).

    `clock` is asked for the time before every build, so a long-running
    preview moves on with the real time unless the caller pins it.
    """
    root = Path(root)
    out = root / "output"
    preview = Preview(root, out, cache=root / CACHE_FILE)  # keeps what the next rebuild needs not read or render again
    echo(rebuild(root, clock(), out, preview))
    out.mkdir(parents=True, exist_ok=True)  # serve something even when the first build failed
    server = start_server(out, port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    echo(f"serving {out} at {url} (Ctrl-C to stop)")
    if ready:
        ready(url)
    try:
        for changed in changes(root, stop):
            names = sorted(Path(p).name for _, p in changed)
            echo(f"changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}")
            echo(rebuild(root, clock(), out, preview, [Path(p) for _, p in changed]))
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
