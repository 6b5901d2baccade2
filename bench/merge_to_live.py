"""Merge to live: what a merged incident update costs before it is on the page.

    .venv/bin/python bench/merge_to_live.py [--incidents 10000] [--runs 3] [--without-cache]

Sets up, untimed: statusgen's wheel (`python -m build`) and a wheelhouse of
its dependencies (the warm pip cache of a runner), a site made by `statusgen
init` with bench/build.py's synthetic history, locked (`statusgen lock`), in
a git repository, a local SeaweedFS (bench/deploy.py's start-up) holding the
site as deployed before the merge, and the `.statusgen-cache/` the workflow
restores (actions/cache) from the deploy before.

Then, per run: one incident gets an update and is committed (the merge); a
fresh clone of it (the checkout) with the restored cache; and, timed, each
stage the deploy job runs:
  1. install: `pip install --require-hashes -r requirements.txt` into a fresh
     virtual environment, from the wheelhouse only;
  2. `statusgen check`;
  3. `statusgen build` (over the restored cache; output/ is new, as on a runner);
  4. `statusgen deploy --from output/` to SeaweedFS: the changed incident's
     files, the lists and feeds that show it.
Prints each stage's median over the runs with its range, and the total.
Target: <= 15 s in all on a 2-core machine. Measured (10,000 incidents, 2 cores, median of 3):
install 4.7 s, check 3.8 s, build 10.3 s, deploy 2.4 s (17 files PUT), total 21.0 s (20.5-22.8).
The bucket is not called "status": SeaweedFS answers /status itself (a PUT there stores nothing).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_build, bench_deploy = load("build"), load("deploy")


def sh(*args, env=None, cwd=None) -> str:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, args[:4]))} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout + proc.stderr


LAST_OUTPUT = [""]


def timed(*args, env=None, cwd=None) -> float:
    start = time.perf_counter()
    LAST_OUTPUT[0] = sh(*args, env=env, cwd=cwd)
    return time.perf_counter() - start


def git(cwd: Path, *args: str) -> None:
    sh("git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args, cwd=cwd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--without-cache", action="store_true",
                        help="no restored .statusgen-cache/: the build renders every update's Markdown")
    args = parser.parse_args()
    from generator import __version__

    root = Path(tempfile.mkdtemp(prefix="statusgen-bench-merge-"))
    proc = None
    try:
        print("setting up (untimed): wheel, wheelhouse, site, SeaweedFS, the deploy before the merge...", flush=True)
        dist, wheelhouse = root / "dist", root / "wheelhouse"
        sh(PY, "-m", "build", "--wheel", "--outdir", dist, ROOT)
        wheel = next(dist.glob("*.whl"))
        sh(PY, "-m", "pip", "wheel", "--quiet", "--wheel-dir", wheelhouse, wheel)
        offline = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "AWS_", "VIRTUAL_ENV"))}
        offline.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse), PIP_CONFIG_FILE=os.devnull,
                       PIP_DISABLE_PIP_VERSION_CHECK="1", STATUSGEN_LOCK_TARGETS="",
                       SOURCE_DATE_EPOCH=str(int(bench_build.NOW.timestamp())))

        proc, url = bench_deploy.start_seaweed(root)
        aws = {"AWS_ACCESS_KEY_ID": bench_deploy.KEY_ID, "AWS_SECRET_ACCESS_KEY": bench_deploy.SECRET,
               "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_CONFIG_FILE": str(root / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(root / "none")}
        os.environ.update(aws)
        bench_deploy.create_bucket(url, "status-site")  # not "status": SeaweedFS answers /status itself
        env = {**offline, **aws}

        origin = root / "origin"
        statusgen = Path(PY).parent / "statusgen"
        sh(statusgen, "init", origin, "--no-git", "--no-lock", "--requirement", f"statusgen=={__version__}", env=env)
        shutil.rmtree(origin / "content")
        bench_build.write_site(origin, args.incidents)
        with open(origin / "content" / "site.yaml", "a") as handle:
            handle.write(f"deploy:\n  - name: primary\n    bucket: status-site\n    endpoint_url: {url}\n")
        sh(statusgen, "lock", origin, env=env)
        git(origin, "init", "-q", "-b", "main")
        git(origin, "add", "-A")
        git(origin, "commit", "-q", "-m", "history")

        before = root / "before"
        git(root, "clone", "-q", str(origin), str(before))
        print("    before: " + sh(statusgen, "deploy", before, env=env).strip().splitlines()[-1], flush=True)  # the page as it was, and the cache that run saved
        cache = root / "restored-cache"
        shutil.copytree(before / ".statusgen-cache", cache)
        incidents = sorted((origin / "content" / "incidents").glob("*.md"))
        print(f"site: {len(incidents)} incidents; SeaweedFS at {url}; {args.runs} runs", flush=True)

        stages: dict[str, list[float]] = {"install": [], "check": [], "build": [], "deploy": []}
        totals = []
        for run in range(args.runs):
            changed = incidents[-1 - run]  # a recent incident gets an update
            text = changed.read_text()
            head, sep, rest = text.partition("\n---\n")
            changed.write_text(head + sep + f"## 2026-11-26 11:5{run} UTC — Update\nA note added by run {run + 1}.\n\n" + rest)
            git(origin, "commit", "-qam", f"update {changed.name}")
            clone = root / f"clone-{run}"
            git(root, "clone", "-q", str(origin), str(clone))
            if not args.without_cache:
                shutil.copytree(cache, clone / ".statusgen-cache")  # actions/cache restore
            bin_dir = root / f"venv-{run}" / "bin"
            venv.EnvBuilder(with_pip=True).create(bin_dir.parent)  # setup-python's interpreter: not counted
            seconds = {
                "install": timed(bin_dir / "pip", "install", "--quiet", "--require-hashes", "-r", "requirements.txt",
                                 env=env, cwd=clone),
                "check": timed(bin_dir / "statusgen", "check", env=env, cwd=clone),
                "build": timed(bin_dir / "statusgen", "build", env=env, cwd=clone),
                "deploy": timed(bin_dir / "statusgen", "deploy", "--from", "output/", env=env, cwd=clone),
            }
            print("    deploy: " + LAST_OUTPUT[0].strip().splitlines()[-1], flush=True)
            for name, value in seconds.items():
                stages[name].append(value)
            totals.append(sum(seconds.values()))
            shown = "  ".join(f"{k} {v:5.2f} s" for k, v in seconds.items())
            print(f"  run {run + 1}: {shown}  total {totals[-1]:5.2f} s", flush=True)
            if not args.without_cache:
                shutil.rmtree(cache)
                shutil.copytree(clone / ".statusgen-cache", cache)  # actions/cache saves it for the next run
    finally:
        if proc is not None:
            bench_deploy.stop(proc)
        shutil.rmtree(root, ignore_errors=True)

    print(f"\nmedian of {args.runs} (range)")
    for name, values in stages.items():
        print(f"  {name:8} {statistics.median(values):6.2f} s  ({min(values):.2f}–{max(values):.2f})")
    print(f"  {'total':8} {statistics.median(totals):6.2f} s  ({min(totals):.2f}–{max(totals):.2f})   target: <= 15 s")


if __name__ == "__main__":
    main()
