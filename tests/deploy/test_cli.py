"""`statusgen deploy` through the command line: targets from site.yaml, one clear line per failure."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from generator.cli import main
from tests.deploy.conftest import assert_bucket_equals_build, client, new_bucket, synthetic_site, write_site
from tests.scratch import write_site as write_scratch_site

INCIDENT = """\
---
title: Slow API
components: {api: degraded_performance}
---
## 2026-11-20 10:00 UTC — Investigating
We are looking into it.

## 2026-11-20 11:00 UTC — Resolved
Fixed.
"""


def site_with(tmp_path, targets: list[dict]):
    lines = ["deploy:"]
    for t in targets:
        lines.append("  - " + "\n    ".join(f"{k}: {v}" for k, v in t.items()))
    return write_scratch_site(tmp_path / "site", {"2026-11-20-slow-api": INCIDENT}, extra_site="\n".join(lines) + "\n")


def deploy(*args):
    return CliRunner().invoke(main, ["deploy", *map(str, args)])


def unused_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_deploy_builds_then_publishes(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    site = site_with(tmp_path, [{"name": "primary", "bucket": bucket, "endpoint_url": moto_url, "prefix": "status"}])
    result = deploy(site, "--now", "2026-11-26 12:00 UTC")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("primary: ")
    assert " uploaded, 0 headers updated, 0 deleted, 0 unchanged" in result.output
    assert_bucket_equals_build(moto_url, bucket, site / "output", "status")
    again = deploy(site, "--now", "2026-11-26 12:00 UTC")
    assert "primary: 0 uploaded, 0 headers updated, 0 deleted" in again.output


def test_dry_run_from_an_existing_build(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    site = site_with(tmp_path, [{"name": "primary", "bucket": bucket, "endpoint_url": moto_url}])
    out = write_site(tmp_path / "out", synthetic_site())
    result = deploy(site, "--from", out, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "  upload index.html" in result.output and "49 to upload" in result.output


def test_verify_finds_headers_edited_by_hand(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    site = site_with(tmp_path, [{"name": "primary", "bucket": bucket, "endpoint_url": moto_url}])
    out = write_site(tmp_path / "out", synthetic_site())
    assert deploy(site, "--from", out).exit_code == 0
    s3 = client(moto_url)
    meta = s3.head_object(Bucket=bucket, Key="history.atom")["Metadata"]
    s3.copy_object(Bucket=bucket, Key="history.atom", CopySource={"Bucket": bucket, "Key": "history.atom"},
                   MetadataDirective="REPLACE", ContentType="text/plain", Metadata=meta)
    assert "0 headers updated" in deploy(site, "--from", out).output  # same bytes, same ETag: not seen
    result = deploy(site, "--from", out, "--verify")
    assert result.exit_code == 0 and "primary: 0 uploaded, 1 headers updated, 0 deleted" in result.output
    assert_bucket_equals_build(moto_url, bucket, out)


def test_target_selection_and_unknown_names(moto_url, tmp_path):
    site = site_with(tmp_path, [{"name": "primary", "bucket": "b1", "endpoint_url": moto_url},
                                {"name": "backup", "bucket": "b2", "endpoint_url": moto_url}])
    out = write_site(tmp_path / "out", synthetic_site())
    result = deploy(site, "--from", out, "--target", "primry")
    assert result.exit_code == 1
    assert result.output.strip() == 'Error: no deploy target named "primry" (did you mean "primary"?); targets: backup, primary'


def test_no_targets_configured(tmp_path):
    site = write_scratch_site(tmp_path / "site", {})
    result = deploy(site, "--from", tmp_path)
    assert result.exit_code == 1 and "no deploy targets" in result.output


def test_missing_build_folder(moto_url, tmp_path):
    site = site_with(tmp_path, [{"name": "primary", "bucket": "b1", "endpoint_url": moto_url}])
    result = deploy(site, "--from", tmp_path / "nope")
    assert result.exit_code == 1 and "does not exist" in result.output and "Traceback" not in result.output


def test_errors_are_one_clear_line_per_target_and_the_others_still_deploy(moto_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    bucket = new_bucket(moto_url)
    site = site_with(tmp_path, [
        {"name": "gone", "bucket": "sg-no-such-bucket", "endpoint_url": moto_url},
        {"name": "down", "bucket": bucket, "endpoint_url": f"http://127.0.0.1:{unused_port()}"},
        {"name": "good", "bucket": bucket, "endpoint_url": moto_url},
    ])
    out = write_site(tmp_path / "out", synthetic_site())
    result = deploy(site, "--from", out)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == f'gone: FAILED: bucket "sg-no-such-bucket" does not exist (s3://sg-no-such-bucket/ at {moto_url})'
    assert lines[1].startswith("down: FAILED: cannot reach http://127.0.0.1:")
    assert lines[2].startswith("good: 49 uploaded")
    assert lines[3] == "Error: deploy failed for 2 target(s): gone, down"
    assert len(lines) == 4 and "Traceback" not in result.output


def test_missing_credentials_never_print_a_secret(moto_url, tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    site = site_with(tmp_path, [{"name": "primary", "bucket": "b1", "endpoint_url": moto_url}])
    result = deploy(site, "--from", write_site(tmp_path / "out", synthetic_site()))
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("primary: FAILED: no AWS credentials found")


def test_broken_site_yaml_is_a_content_error(tmp_path):
    site = site_with(tmp_path, [{"name": "primary"}])
    result = deploy(site, "--from", tmp_path)
    assert result.exit_code == 1
    assert 'content/site.yaml:' in result.output and "has no bucket" in result.output
