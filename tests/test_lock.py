"""`statusgen lock`: requirements.in resolved by pip into requirements.txt, every
package pinned with the sha256 of its files, for this machine and the runner.
Offline: a wheelhouse of tiny hand-made wheels is the whole index."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

LOCAL_TAG = f"cp{sys.version_info.major}{sys.version_info.minor}"


def make_wheel(folder: Path, name: str, version: str, tag: str = "py3-none-any", requires: tuple[str, ...] = ()) -> Path:
    """A minimal valid wheel (METADATA, WHEEL, RECORD and one module)."""
    dist = f"{name}-{version}"
    path = folder / f"{dist}-{tag}.whl"
    files = {
        f"{name}.py": b"VALUE = 1\n",
        f"{dist}.dist-info/METADATA": ("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
                                       + "".join(f"Requires-Dist: {r}\n" for r in requires)).encode(),
        f"{dist}.dist-info/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: {'true' if tag.endswith('any') else 'false'}\nTag: {tag}\n".encode(),
    }
    record = []
    for rel, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{rel},sha256={digest},{len(data)}")
    record.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(path, "w") as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def wheelhouse(tmp_path, monkeypatch):
    wh = tmp_path / "wheelhouse"
    wh.mkdir()
    wheels = {
        "app": make_wheel(wh, "demo_app", "1.0", requires=("demo_lib>=2", "demo_native")),
        "lib": make_wheel(wh, "demo_lib", "2.1"),
        "old": make_wheel(wh, "demo_lib", "1.0"),
        "native_here": make_wheel(wh, "demo_native", "3.0", f"{LOCAL_TAG}-{LOCAL_TAG}-manylinux_2_17_x86_64"),
        "native_runner": make_wheel(wh, "demo_native", "3.0", "cp312-cp312-manylinux_2_17_x86_64"),
        "native_mac": make_wheel(wh, "demo_native", "3.0", "cp312-cp312-macosx_11_0_arm64"),
    }
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wh))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("STATUSGEN_LOCK_TARGETS", raising=False)
    return wh, wheels


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(sys.platform != "linux" or os.uname().machine != "x86_64", reason="the wheelhouse is Linux x86_64")
def test_lock_pins_every_package_with_the_hashes_of_this_machine_and_the_runner(tmp_path, wheelhouse):
    wh, wheels = wheelhouse
    site = tmp_path / "site"
    site.mkdir()
    (site / "requirements.in").write_text("# ours\ndemo-app==1.0\n")
    result = CliRunner().invoke(main, ["lock", str(site)])
    assert result.exit_code == 0, result.output
    text = (site / "requirements.txt").read_text()
    assert text.startswith("# The hash-locked install of requirements.in") and "CPython 3.12 on manylinux_2_35_x86_64" in text
    assert f"demo-app==1.0 \\\n    --hash=sha256:{sha256(wheels['app'])}\n" in text
    assert f"demo-lib==2.1 \\\n    --hash=sha256:{sha256(wheels['lib'])}\n" in text  # the newest that fits
    native = sorted([sha256(wheels["native_here"]), sha256(wheels["native_runner"])])
    expected = "demo-native==3.0 \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in dict.fromkeys(native)) + "\n"
    assert expected in text
    assert sha256(wheels["native_mac"]) not in text  # neither here nor on the runner
    lock = str(site / "requirements.txt")
    here = pip("--require-hashes", "-r", lock)
    assert here.returncode == 0, here.stderr
    runner = pip("--require-hashes", "--only-binary=:all:", "--python-version", "3.12", "--platform", "manylinux_2_17_x86_64",
                 "--target", str(tmp_path / "t"), "-r", lock)
    assert runner.returncode == 0, runner.stderr
    wheels["lib"].write_bytes(wheels["lib"].read_bytes() + b"\0")  # a changed file is refused
    tampered = pip("--require-hashes", "-r", lock)
    assert tampered.returncode != 0 and "THESE PACKAGES DO NOT MATCH THE HASHES" in tampered.stderr


def test_lock_explains_what_it_cannot_lock(tmp_path, wheelhouse):
    site = tmp_path / "site"
    site.mkdir()
    result = CliRunner().invoke(main, ["lock", str(site)])
    assert result.exit_code == 1 and "requirements.in is missing" in result.output
    (site / "requirements.in").write_text("demo-app==9.9\n")
    result = CliRunner().invoke(main, ["lock", str(site)])
    assert result.exit_code == 1 and "pip could not resolve the requirements" in result.output and "demo-app==9.9" in result.output
    assert not (site / "requirements.txt").exists()


def test_init_locks_when_it_can_and_says_so_when_it_cannot(tmp_path, wheelhouse, monkeypatch):
    wh, _ = wheelhouse
    monkeypatch.setenv("STATUSGEN_LOCK_TARGETS", "")  # this machine only
    result = CliRunner().invoke(main, ["init", str(tmp_path / "a"), "--no-git", "--lock", "--requirement", "demo-lib==2.1"])
    assert result.exit_code == 0, result.output
    assert "locked " in result.output and "demo-lib==2.1 \\\n    --hash=sha256:" in (tmp_path / "a/requirements.txt").read_text()
    result = CliRunner().invoke(main, ["init", str(tmp_path / "b"), "--no-git", "--lock"])  # statusgen is not in the wheelhouse
    assert result.exit_code == 0, result.output
    assert "not locked: pip could not resolve the requirements" in result.output and "run 'statusgen lock' there" in result.output
    assert (tmp_path / "b/requirements.txt").read_text().startswith("# NOT LOCKED YET")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "c"), "--no-git", "--no-lock", "--requirement", "demo-lib==2.1"])
    assert result.exit_code == 0 and "not locked: not attempted (--no-lock)" in result.output
    refused = pip("--require-hashes", "-r", str(tmp_path / "c/requirements.txt"))
    assert refused.returncode != 0 and "Hashes are required" in refused.stderr  # the workflows refuse it, loudly
