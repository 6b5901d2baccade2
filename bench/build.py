"""Benchmark a full `statusgen build` on synthetic history.

    .venv/bin/python bench/build.py 10000 [--runs 3] [--mode cold|warm|both] [--keep DIR]

Writes a content set with N incidents (20 components, spread over 10 years,
a few paragraphs and 3-5 updates each, about 10% maintenance) into a temp
folder, then builds it `--runs` times, each in a fresh child process, first
cold (as on a fresh checkout: no output folder and no Markdown cache; the
build writes both) and then warm (a rebuild over the cache and output an
earlier build left), and prints the median wall
times, the peak RSS (build process plus its largest worker), the output's
size and file count, and the home page's HTML+CSS size. One more, untimed
build per mode samples the peak PSS of the whole process tree (shared pages
counted once).

Run it on a quiet disk: for some minutes after many files are deleted, ext4
creates new ones several times slower (its inode allocator steps over the
recently freed inodes one by one), so a bench started right after another
one, or after `rm -rf` of a large tree, measures the disk's hangover.

Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
COMPONENTS = 20
YEARS = 10
WORDS = (
    "customers requests errors database queue latency region deploy rollback cache "
    "timeouts sign-in exports reports webhooks replica traffic capacity provider network "
    "certificate storage invoices sync mobile desktop integrations reminders"
).split()
INCIDENT_FLOWS = {
    3: ("investigating", "identified", "resolved"),
    4: ("investigating", "identified", "monitoring", "resolved"),
    5: ("investigating", "identified", "monitoring", "resolved", "postmortem"),
}
MAINTENANCE_FLOW = ("scheduled", "in_progress", "verifying", "completed")


def paragraph(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(25, 45))]
    # Real updates carry some Markdown: emphasis, a link, sometimes a list.
    words[3] = f"**{words[3]}**"
    words[10] = f"[{words[10]}](https://example.com/{words[10]})"
    text = " ".join(words).capitalize() + "."
    if rng.random() < 0.3:
        text += "\n\n- " + "\n- ".join(rng.choice(WORDS) + " " + rng.choice(WORDS) for _ in range(3))
    return text


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC")


def write_site(root: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    content = root / "content"
    (content / "incidents").mkdir(parents=True)
    (content / "site.yaml").write_text(
        "title: Bench Status\nurl: https://status.bench.example/\ntimezone: Europe/Berlin\nuptime_days: 90\n"
    )
    lines = []
    for c in range(COMPONENTS):
        lines += [f"- id: comp-{c:02d}", f"  name: Component {c:02d}", f"  description: Synthetic component {c}"]
    (content / "components.yaml").write_text("\n".join(lines) + "\n")
    span = timedelta(days=365 * YEARS)
    for i in range(n):
        start = (NOW - span + span * (i + rng.random()) / n).replace(second=0, microsecond=0)
        comps = rng.sample(range(COMPONENTS), rng.randint(1, 2))
        count = rng.randint(3, 5)
        maintenance = rng.random() < 0.10
        if maintenance:
            end = start + timedelta(hours=rng.randint(1, 4))
            front = ["type: maintenance", f"start: {stamp(start)}", f"end: {stamp(end)}", "components:"]
            front += [f"  comp-{c:02d}: under_maintenance" for c in comps]
            flow = ("scheduled", "in_progress", "completed") if count == 3 else MAINTENANCE_FLOW
            times = [start - timedelta(days=3)] + [start + (end - start) * k / 4 for k in range(len(flow) - 1)]
        else:
            front = ["components:"]
            front += [f"  comp-{c:02d}: {rng.choice(('degraded_performance', 'partial_outage', 'major_outage'))}" for c in comps]
            flow = INCIDENT_FLOWS[count]
            times = [start]
            for _ in flow[1:]:
                times.append(times[-1] + timedelta(minutes=rng.randint(20, 90)))
        updates = []
        for status, at in zip(flow, times):
            body = paragraph(rng)  # a few paragraphs per incident: about one per update
            updates.append(f"## {stamp(at)} — {status.replace('_', ' ').capitalize()}\n{body}\n")
        text = "---\ntitle: Synthetic event {i} affecting {w}\n".format(i=i, w=rng.choice(WORDS))
        summary = paragraph(rng) + "\n\n" if rng.random() < 0.3 else ""
        text += "\n".join(front) + "\n---\n" + summary + "\n".join(reversed(updates))
        (content / "incidents" / f"{start:%Y-%m-%d}-event-{i:05d}.md").write_text(text)


CHILD = """
import json, resource, sys, time
from datetime import datetime, timezone
from pathlib import Path
from generator.build import build
t = time.perf_counter()
cache = Path(sys.argv[4]) if len(sys.argv) > 4 else None
result = build(Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2]), Path(sys.argv[3]), cache=cache)
elapsed = time.perf_counter() - t
self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "files": result.files, "bytes": result.bytes,
                  "self_rss_kb": self_rss, "workers_rss_kb": kids_rss}))
"""


def tree_pss_kb(pid: int) -> int:
    """Proportional set size of a process and its descendants: shared pages counted once."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass  # the process ended between two reads
    return total


def set_aside(out: Path) -> None:
    """Move an earlier output out of the way; `discard_set_aside` deletes it after the timed runs.

    Deleting 20,000 files just before a build would slow the build itself: for
    some minutes after a mass delete, ext4 skips the freed inodes one by one on
    each new file (`recently_deleted` in its inode allocator). Here, writing a
    10k build's 20,000 files took 9.3 s right after such a delete, 3.6 s 200 s
    later and 1.4 s after 400 s. A fresh CI checkout has no such history.
    """
    if out.exists():
        out.rename(out.with_name(f".{out.name}-set-aside-{time.monotonic_ns()}"))


def discard_set_aside(out: Path) -> None:
    for old in out.parent.glob(f".{out.name}-set-aside-*"):
        shutil.rmtree(old, ignore_errors=True)


def run_build(site: Path, out: Path, cache: Path | None = None, fresh: bool = True, sample: bool = False) -> dict:
    """One build in a fresh interpreter; wall time includes start-up and imports.

    With `sample`, the process tree's PSS is read every 50 ms; reading it costs
    CPU the build would otherwise have, so timed runs do not sample.
    """
    if fresh:  # a fresh checkout: no output and no Markdown cache yet (the build writes both)
        set_aside(out)
        if cache:
            cache.unlink(missing_ok=True)
    stdout, wall, peak_pss = timed([sys.executable, "-c", CHILD, str(site), NOW.isoformat(), str(out),
                                    *([str(cache)] if cache else [])], sample)
    info = json.loads(stdout.strip().splitlines()[-1])
    info["wall"] = wall
    info["pss_kb"] = peak_pss
    return info


def timed(args: list[str], sample: bool = False, env: dict | None = None) -> tuple[str, float, int]:
    """Run one build command as a fresh process: its output, its wall time and (with `sample`) its tree's peak PSS."""
    subprocess.run(["sync"], check=False)  # start each run without the last one's writes pending
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak_pss = 0
    while sample and proc.poll() is None:  # sample memory every 50 ms while it runs
        peak_pss = max(peak_pss, tree_pss_kb(proc.pid))
        time.sleep(0.05)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"build failed:\n{stderr}")
    return stdout, wall, peak_pss


def home_size(out: Path) -> tuple[int, int]:
    html = (out / "index.html").read_bytes()
    css = sum(p.stat().st_size for p in (out / "static").glob("*.css"))
    return len(html), css


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of incidents")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the content set here and keep it")
    parser.add_argument("--mode", choices=("cold", "warm", "both"), default="both")
    parser.add_argument("--out", type=Path, help="build into this folder (e.g. on /dev/shm, to leave the disk out)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="statusgen-bench-") as tmp:
        site = args.keep or Path(tmp) / "site"
        if not (site / "content").is_dir():
            t = time.perf_counter()
            write_site(site, args.n)
            print(f"generated {args.n} incidents in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        out = args.out or Path(tmp) / "output"
        cache = Path(tmp) / "markdown-cache.sqlite"
        report = {"incidents": args.n}
        # Cold: `statusgen build` on a fresh checkout: no output folder and no
        # Markdown cache (the build writes both). Warm: a rebuild, with the cache
        # and the output of an earlier build there, as with `serve`, a local
        # rebuild or a CI job that keeps them.
        try:
            for mode in ("cold", "warm"):
                if args.mode not in (mode, "both"):
                    continue
                if mode == "warm":
                    run_build(site, out, cache)  # fill the cache
                runs = []
                for i in range(args.runs):
                    runs.append(run_build(site, out, cache, fresh=mode == "cold"))
                    print(f"{mode} run {i + 1}: {runs[-1]['wall']:.2f}s", file=sys.stderr)
                walls = sorted(r["wall"] for r in runs)
                memory = run_build(site, out, cache, fresh=mode == "cold", sample=True)  # untimed
                peak = max(r["self_rss_kb"] + r["workers_rss_kb"] for r in runs) / 1024
                report[mode] = {
                    "median_wall_s": round(statistics.median(walls), 2),
                    "runs_s": [round(w, 2) for w in walls],
                    "median_build_s": round(statistics.median(r["seconds"] for r in runs), 2),
                    "peak_rss_mb": round(peak, 1),
                    "peak_rss_main_mb": round(max(r["self_rss_kb"] for r in runs) / 1024, 1),
                    # RSS counts pages that forked workers share with the build process in
                    # each of them; PSS, sampled every 50 ms, counts them once.
                    "peak_pss_tree_mb": round(memory["pss_kb"] / 1024, 1),
                }
        finally:
            discard_set_aside(out)
        html, css = home_size(out)
        report.update({
            "output_mb": round(runs[-1]["bytes"] / 1e6, 1),
            "output_files": runs[-1]["files"],
            "home_html_kb": round(html / 1024, 1),
            "home_html_css_kb": round((html + css) / 1024, 1),
        })
        print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
