"""Deploys against SeaweedFS, which checks SigV4 signatures and Content-MD5, over HTTP and HTTPS."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from generator.publish.deploy import deploy
from generator.publish.model import Options
from tests.deploy.conftest import (
    check_n_changed_files_are_n_puts,
    KEY_ID, Counter, FaultProxy, assert_bucket_equals_build, bucket_state, client, counting, new_bucket,
    synthetic_site, target, write_site,
)

pytestmark = pytest.mark.seaweedfs


@pytest.fixture(params=["http", "https"])
def endpoint(request, seaweed, monkeypatch):
    """(endpoint URL, CA file) for each transport; HTTPS trusts the test CA through AWS_CA_BUNDLE."""
    if request.param == "https":
        monkeypatch.setenv("AWS_CA_BUNDLE", seaweed.ca_file)
        return seaweed.https_url, seaweed.ca_file
    return seaweed.http_url, None


def run(folder, targets, options=Options(), counter=None):
    counter = counter or Counter()
    events = list(deploy(folder, targets, options, clients=counting(counter)))
    return [e for e in events if e.kind == "result"], counter, events


def test_bucket_equals_build_then_no_puts_then_only_changed_pages(endpoint, tmp_path):
    url, ca = endpoint
    bucket = new_bucket(url, ca)
    folder = write_site(tmp_path / "out", synthetic_site("v1"))
    t = target(bucket, url, prefix="status")
    results, c, _ = run(folder, [t])
    assert [r.ok for r in results] == [True], results
    assert_bucket_equals_build(url, bucket, folder, "status", ca)  # bytes, types, no aws-chunked framing

    results, c, _ = run(folder, [t])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}  # the listing and the manifest, nothing else

    write_site(folder, synthetic_site("v2"))
    results, c, _ = run(folder, [t])
    assert c["PutObject"] == 7  # the seven files that mention the incident; the manifest stays
    assert_bucket_equals_build(url, bucket, folder, "status", ca)


def test_n_changed_files_are_exactly_n_puts_on_the_wire(seaweed, tmp_path):
    check_n_changed_files_are_n_puts(seaweed.http_url, tmp_path, "incidents/")


def test_header_only_change_uses_copy(endpoint, tmp_path):
    url, ca = endpoint
    bucket = new_bucket(url, ca)
    folder = write_site(tmp_path / "out", synthetic_site())
    run(folder, [target(bucket, url)])
    results, c, _ = run(folder, [target(bucket, url, cache_control="public, max-age=5")])
    assert c["CopyObject"] > 30 and c["PutObject"] == 2  # the manifest: before the copies, and after
    state = bucket_state(url, bucket, ca_file=ca)
    assert state["history.atom"][2] == "public, max-age=5"
    assert state["history.atom"][0] == (folder / "history.atom").read_bytes()
    assert state["history.atom"][1] == "application/atom+xml; charset=utf-8"


def test_killed_midway_in_a_subprocess_then_rerun_converges(seaweed, tmp_path):
    """A real kill: the deploy runs in its own process and is SIGKILLed after some PUTs."""
    bucket = new_bucket(seaweed.http_url)
    files = synthetic_site("v1", n_incidents=30)
    folder = write_site(tmp_path / "out", files)
    t = target(bucket, seaweed.http_url)
    run(folder, [t])
    write_site(folder, {k: (v + " v2" if isinstance(v, str) else v) for k, v in files.items() if "inc-29" not in k})
    script = textwrap.dedent(f"""
        import os, signal, sys
        from generator.model import DeployTarget
        from generator.publish.bucket import make_clients
        from generator.publish.deploy import deploy
        from generator.publish.model import Options
        puts = 0
        def clients(target, options):
            s3, cf = make_clients(target, options)
            def hook(**kw):
                global puts
                puts += 1
                if puts == 20:
                    os.kill(os.getpid(), signal.SIGKILL)
            s3.meta.events.register("before-send.s3.PutObject", hook)
            return s3, cf
        t = DeployTarget(name="primary", bucket={bucket!r}, endpoint_url={seaweed.http_url!r})
        for event in deploy({str(folder)!r}, [t], Options(workers=2), clients=clients):
            pass
    """)
    proc = subprocess.run([sys.executable, "-c", script], env=os.environ.copy(), capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    state = bucket_state(seaweed.http_url, bucket)
    assert state["index.html"][0] == files["index.html"].encode()  # home page not reached
    assert "incidents/inc-29/index.html" in state  # nothing deleted
    results, c, _ = run(folder, [t])
    assert [r.ok for r in results] == [True]
    changed = len([k for k, v in files.items() if isinstance(v, str) and "inc-29" not in k])
    assert c["PutObject"] <= changed - 15  # what the killed run uploaded (~19) shows in the listing as done
    assert_bucket_equals_build(seaweed.http_url, bucket, folder)
    results, c, _ = run(folder, [t])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}


def test_faults_with_signature_checks(seaweed, tmp_path):
    proxy = FaultProxy(seaweed.http_url, every=4)
    try:
        bucket = new_bucket(seaweed.http_url)
        folder = write_site(tmp_path / "out", synthetic_site())
        results, c, _ = run(folder, [target(bucket, proxy.url)])
        assert proxy.failed > 10 and [r.ok for r in results] == [True], results
        assert_bucket_equals_build(seaweed.http_url, bucket, folder)
        write_site(folder, synthetic_site("changed"))
        results, c, _ = run(folder, [target(bucket, proxy.url)], Options(max_deletes=0))
        assert [r.ok for r in results] == [True], results
        assert_bucket_equals_build(seaweed.http_url, bucket, folder)
    finally:
        proxy.close()


def test_wrong_credentials_one_clear_line(seaweed, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    folder = write_site(tmp_path / "out", synthetic_site())
    results, _, _ = run(folder, [target("sg-anything", seaweed.http_url)])
    assert [r.ok for r in results] == [False]
    assert results[0].text == (
        "primary: FAILED: the credentials were rejected (SignatureDoesNotMatch): "
        f"check AWS_PROFILE / the access key for s3://sg-anything/ at {seaweed.http_url}"
    )
    assert "wrong-secret" not in results[0].text and KEY_ID not in results[0].text


def test_untrusted_certificate_is_a_clear_error(seaweed, tmp_path):
    folder = write_site(tmp_path / "out", synthetic_site())
    results, _, _ = run(folder, [target("sg-anything", seaweed.https_url)])
    assert [r.ok for r in results] == [False]
    assert results[0].text.startswith(f"primary: FAILED: TLS error talking to {seaweed.https_url}")


def test_missing_bucket_and_objects_outside_the_prefix(seaweed, tmp_path):
    url = seaweed.http_url
    bucket = new_bucket(url)
    s3 = client(url)
    s3.put_object(Bucket=bucket, Key="other/keep.html", Body=b"x",
                  Metadata={"published-by": "statusgen", "statusgen-md5": "0" * 32})
    s3.put_object(Bucket=bucket, Key="site/theirs.txt", Body=b"x")
    folder = write_site(tmp_path / "out", synthetic_site())
    results, _, _ = run(folder, [target("sg-missing-bucket", url, name="gone"), target(bucket, url, prefix="site")])
    assert [(r.target, r.ok) for r in results] == [("gone", False), ("primary", True)]
    assert 'bucket "sg-missing-bucket" does not exist' in results[0].text
    keys = set(bucket_state(url, bucket))
    assert {"other/keep.html", "site/theirs.txt", "site/index.html"} <= keys
