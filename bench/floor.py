"""What a cold build of N incidents cannot go below on this machine.

    python bench/floor.py 10000

Two costs no code of ours can avoid: rendering every update's Markdown with
the `markdown` package (plus the nh3 sanitizer), and creating the output's
files and folders on this disk. Both are measured here on the same synthetic
content as bench/build.py, outside statusgen's pipeline.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import write_site  # noqa: E402  (bench/build.py: the same synthetic content)

from generator import markup  # noqa: E402
from generator.content import load  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--keep", type=Path, help="content folder to reuse (as in bench/build.py)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="statusgen-floor-") as tmp:
        site = args.keep or Path(tmp) / "site"
        if not (site / "content").is_dir():
            write_site(site, args.n)
        content, _ = load(site)
        texts = [t for i in content.incidents for t in (i.summary, *(u.body for u in i.updates)) if t.strip()]
        t = time.perf_counter()
        for text in texts:
            markup._convert(text)
        md = time.perf_counter() - t
        print(f"markdown+nh3: {len(texts)} texts in {md:.2f} s of one core "
              f"({md / len(texts) * 1000:.3f} ms each; >= {md / (os.cpu_count() or 1):.2f} s on {os.cpu_count()} cores)")

        out = Path(tmp) / "files"
        page = b"x" * 5000
        t0 = os.times()
        t = time.perf_counter()
        for k in range(args.n):  # the shape of a build: a folder and a page per incident, plus its JSON
            folder = out / "incidents" / f"i{k}"
            folder.mkdir(parents=True)
            (folder / "index.html").write_bytes(page)
            (out / "incidents" / f"i{k}.json").write_bytes(page)
        wall = time.perf_counter() - t
        t1 = os.times()
        print(f"files: {args.n} folders + {2 * args.n} files in {wall:.2f} s "
              f"({t1.system - t0.system:.2f} s in the kernel)")
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
