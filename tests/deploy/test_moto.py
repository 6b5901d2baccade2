"""Deploys against moto's server over HTTP: fast, real HTTP, no signature checks."""

from __future__ import annotations

import json
from hashlib import md5 as _md5

import boto3
import pytest

from generator.publish.deploy import deploy
from generator.publish.model import Options
from tests.deploy.conftest import (
    check_n_changed_files_are_n_puts,
    Counter, FaultProxy, assert_bucket_equals_build, bucket_state, client, counting, new_bucket, synthetic_site, target,
    write_site,
)

MANIFEST = ".statusgen/manifest.json"


def md5(data: bytes) -> str:
    return _md5(data).hexdigest()


def run(folder, targets, options=Options(), counter=None):
    counter = counter or Counter()
    events = list(deploy(folder, targets, options, clients=counting(counter)))
    return events, counter


def results(events):
    return [e for e in events if e.kind == "result"]


def test_deploy_then_redeploy_then_one_change(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site("v1"))
    t = target(bucket, moto_url, prefix="status")
    events, c = run(folder, [t])
    assert [e.ok for e in results(events)] == [True]
    assert c["PutObject"] == len(list(folder.rglob("*.*"))) + 1  # every file, then the manifest
    assert_bucket_equals_build(moto_url, bucket, folder, "status")

    events, c = run(folder, [t])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}  # the listing and the manifest, nothing else
    assert "0 uploaded, 0 headers updated, 0 deleted" in results(events)[0].text

    files = synthetic_site("v2")
    write_site(folder, files)
    events, c = run(folder, [t])
    changed = {"index.html", "history.atom", "history.rss", "badge.svg", "api/v2/summary.json",
               "incidents/inc-0/index.html", "incidents/inc-0.json"}
    assert c["PutObject"] == len(changed)  # the manifest does not change with contents
    assert c["HeadObject"] == len(changed)  # a changed ETag is checked against our stored MD5
    assert_bucket_equals_build(moto_url, bucket, folder, "status")


def test_n_changed_files_are_exactly_n_puts_on_the_wire(moto_url, tmp_path):
    check_n_changed_files_are_n_puts(moto_url, tmp_path, "components/")


def test_header_only_change_is_a_copy(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    run(folder, [target(bucket, moto_url)])
    t30 = target(bucket, moto_url, cache_control="public, max-age=30")
    events, c = run(folder, [t30])
    immutable = len(list((folder / "static").iterdir()))
    total = len([p for p in folder.rglob("*") if p.is_file()])
    assert c["HeadObject"] == total  # other rules: every object's headers are read
    assert c["CopyObject"] == total - immutable
    assert c["PutObject"] == 2  # the manifest: "rules unknown" before the copies, the new rules after
    state = bucket_state(moto_url, bucket)
    assert state["index.html"][2] == "public, max-age=30"
    assert state["static/app.1a2b3c4d.css"][2] == "public, max-age=31536000, immutable"
    assert state["index.html"][0] == (folder / "index.html").read_bytes()
    events, c = run(folder, [t30])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}


def test_a_rules_change_killed_midway_then_reverted_converges(moto_url, tmp_path):
    """The manifest must not keep vouching for the old rules while copies apply new ones."""
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    run(folder, [target(bucket, moto_url)])
    with pytest.raises(KeyboardInterrupt):
        run(folder, [target(bucket, moto_url, cache_control="no-cache")], Options(workers=1),
            counter=Counter(fail_after={"CopyObject": 5}))
    assert sum(v[2] == "no-cache" for v in bucket_state(moto_url, bucket).values()) == 5
    events, c = run(folder, [target(bucket, moto_url)])  # back to the default rules
    assert c["CopyObject"] == 5 and c["PutObject"] == 1
    assert_bucket_equals_build(moto_url, bucket, folder)


def test_manually_changed_objects_are_detected(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    run(folder, [target(bucket, moto_url)])
    s3 = client(moto_url)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"defaced", ContentType="text/html")
    s3.copy_object(Bucket=bucket, Key="embed.js", CopySource={"Bucket": bucket, "Key": "embed.js"},
                   MetadataDirective="REPLACE", ContentType="application/octet-stream",
                   Metadata={"published-by": "statusgen", "statusgen-md5": md5((folder / "embed.js").read_bytes())})
    events, c = run(folder, [target(bucket, moto_url)])
    # New content shows in the listing's ETag; the hand-made header edit (same bytes, same ETag) does not.
    assert c["HeadObject"] == 1 and c["PutObject"] == 1 and c["CopyObject"] == 0
    state = bucket_state(moto_url, bucket)
    assert state["index.html"][0] == (folder / "index.html").read_bytes()
    assert state["embed.js"][1] == "application/octet-stream"
    events, c = run(folder, [target(bucket, moto_url)], Options(verify=True))
    total = len([p for p in folder.rglob("*") if p.is_file()])
    assert c["HeadObject"] == total and c["CopyObject"] == 1 and c["PutObject"] == 0
    assert_bucket_equals_build(moto_url, bucket, folder)


def test_deletes_need_our_marker_even_when_the_manifest_says_ours(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    files = synthetic_site()
    folder = write_site(tmp_path / "out", files)
    run(folder, [target(bucket, moto_url)])
    client(moto_url).put_object(Bucket=bucket, Key="robots.txt", Body=b"theirs now")  # no marker
    del files["robots.txt"], files["history/index.html"]
    write_site(folder, files)
    events, c = run(folder, [target(bucket, moto_url)])
    assert c["HeadObject"] == 2 and "1 deleted" in results(events)[0].text
    state = bucket_state(moto_url, bucket)
    assert state["robots.txt"][0] == b"theirs now" and "history/index.html" not in state
    assert c["PutObject"] == 1  # the manifest: two keys fewer are ours
    events, c = run(folder, [target(bucket, moto_url)])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}


@pytest.mark.parametrize("damage", ["lost", "corrupt", "old format"])
def test_a_lost_or_corrupt_manifest_costs_heads_only(moto_url, tmp_path, damage):
    bucket = new_bucket(moto_url)
    files = synthetic_site()
    folder = write_site(tmp_path / "out", files)
    s3 = client(moto_url)
    s3.put_object(Bucket=bucket, Key="theirs.html", Body=b"x")
    run(folder, [target(bucket, moto_url)])
    if damage == "lost":
        s3.delete_object(Bucket=bucket, Key=MANIFEST)
    else:
        s3.put_object(Bucket=bucket, Key=MANIFEST, Body=b"{not json" if damage == "corrupt" else b'{"version": 1, "objects": {}}')
    del files["robots.txt"]
    write_site(folder, files)
    events, c = run(folder, [target(bucket, moto_url)])
    assert c["HeadObject"] == len(files) + 2  # every object: the build's, robots.txt and theirs.html
    assert c["PutObject"] == 1 and c["CopyObject"] == 0  # nothing re-sent; a new manifest
    assert "0 uploaded, 0 headers updated, 1 deleted" in results(events)[0].text
    assert "theirs.html" in bucket_state(moto_url, bucket)
    events, c = run(folder, [target(bucket, moto_url)])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}


def test_stale_objects_foreign_objects_and_outside_the_prefix(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    s3 = client(moto_url)
    s3.put_object(Bucket=bucket, Key="outside/old.html", Body=b"x",
                  Metadata={"published-by": "statusgen", "statusgen-md5": "0" * 32})
    s3.put_object(Bucket=bucket, Key="site2/index.html", Body=b"x",
                  Metadata={"published-by": "statusgen", "statusgen-md5": "0" * 32})
    s3.put_object(Bucket=bucket, Key="site/uploads/report.pdf", Body=b"theirs")
    files = synthetic_site()
    folder = write_site(tmp_path / "out", files)
    t = target(bucket, moto_url, prefix="site")
    run(folder, [t])
    del files["history/index.html"], files["robots.txt"]
    write_site(folder, files)
    events, c = run(folder, [t])
    assert c["DeleteObjects"] == 1
    assert c["HeadObject"] == 2  # the two stale ones; the foreign object is not in the manifest
    assert "2 deleted" in results(events)[0].text
    keys = set(bucket_state(moto_url, bucket))
    assert {"outside/old.html", "site2/index.html", "site/uploads/report.pdf"} <= keys
    assert "site/history/index.html" not in keys and "site/robots.txt" not in keys
    events, c = run(folder, [t])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}


def test_empty_build_deletes_nothing(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    run(folder, [target(bucket, moto_url)])
    before = bucket_state(moto_url, bucket)
    empty = write_site(tmp_path / "empty", {})
    events, c = run(empty, [target(bucket, moto_url)])
    assert c["DeleteObjects"] == c["DeleteObject"] == 0
    assert any("the build is empty" in e.text for e in events)
    assert set(bucket_state(moto_url, bucket)) == set(before)


def test_more_stale_objects_than_the_cap_deletes_nothing_and_says_why(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    files = synthetic_site()
    folder = write_site(tmp_path / "out", files)
    run(folder, [target(bucket, moto_url)])
    write_site(folder, {k: v for k, v in files.items() if not k.startswith("components/")})
    events, c = run(folder, [target(bucket, moto_url)], Options(max_deletes=5))
    assert c["DeleteObjects"] == 0
    assert any("16 stale objects exceed --max-deletes 5: deleting none" in e.text for e in events)
    assert all(e.ok for e in results(events))
    events, c = run(folder, [target(bucket, moto_url)], Options(max_deletes=16))
    assert c["DeleteObjects"] == 1
    assert_bucket_equals_build(moto_url, bucket, folder)


def test_dry_run_changes_nothing(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    events, c = run(folder, [target(bucket, moto_url)], Options(dry_run=True))
    assert c["PutObject"] == c["CopyObject"] == c["DeleteObjects"] == 0
    lines = [e.text for e in events if e.kind == "line"]
    assert "  upload index.html" in lines and lines[-1].startswith("  49 to upload, 0 to re-header")
    assert bucket_state(moto_url, bucket) == {}


def test_killed_midway_then_rerun_converges(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    files = synthetic_site("v1")
    folder = write_site(tmp_path / "out", files)
    t = target(bucket, moto_url)
    run(folder, [t])
    files2 = {k: (v + " v2" if isinstance(v, str) else v) for k, v in files.items() if "inc-7" not in k}
    files2["incidents/new/index.html"] = "new"
    write_site(folder, files2)
    killer = Counter(fail_after={"PutObject": 5})
    with pytest.raises(KeyboardInterrupt):
        run(folder, [t], Options(workers=2), counter=killer)
    state = bucket_state(moto_url, bucket)
    assert state["index.html"][0] == files["index.html"].encode()  # the home page was not reached
    assert "incidents/inc-7/index.html" in state  # nothing deleted
    events, c = run(folder, [t])
    assert all(e.ok for e in results(events))
    assert_bucket_equals_build(moto_url, bucket, folder)
    events, c = run(folder, [t])
    assert c.calls == {"ListObjectsV2": 1, "GetObject": 1}


def test_a_new_page_killed_before_the_manifest_then_dropped_is_still_deleted(moto_url, tmp_path):
    """The manifest names a new key before it is uploaded, so no object of ours is ever unknown."""
    bucket = new_bucket(moto_url)
    files = synthetic_site()
    folder = write_site(tmp_path / "out", files)
    t = target(bucket, moto_url)
    run(folder, [t])
    write_site(folder, {**files, "incidents/new/index.html": "new", "index.html": "links to new"})
    with pytest.raises(KeyboardInterrupt):  # the manifest ahead, the page, then killed at the home page
        run(folder, [t], counter=Counter(fail_after={"PutObject": 2}))
    state = bucket_state(moto_url, bucket)
    assert "incidents/new/index.html" in state and state["index.html"][0] == files["index.html"].encode()
    write_site(folder, files)
    events, c = run(folder, [t])
    assert "1 deleted" in results(events)[0].text
    assert_bucket_equals_build(moto_url, bucket, folder)


def test_faults_are_retried_and_the_deploy_converges(moto_url, tmp_path):
    proxy = FaultProxy(moto_url, every=3)
    try:
        bucket = new_bucket(moto_url)
        folder = write_site(tmp_path / "out", synthetic_site())
        events, c = run(folder, [target(bucket, proxy.url)])
        assert proxy.failed > 10
        assert all(e.ok for e in results(events)), results(events)
        assert_bucket_equals_build(moto_url, bucket, folder)
    finally:
        proxy.close()


def test_two_targets_one_fails_the_other_deploys(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    good = target(bucket, moto_url, name="good")
    bad = target("sg-does-not-exist", moto_url, name="bad")
    events, _ = run(folder, [bad, good])
    r = results(events)
    assert [(e.target, e.ok) for e in r] == [("bad", False), ("good", True)]
    assert r[0].text == f'bad: FAILED: bucket "sg-does-not-exist" does not exist (s3://sg-does-not-exist/ at {moto_url})'
    assert_bucket_equals_build(moto_url, bucket, folder)


def new_distribution(cf, reference="statusgen-test") -> str:
    return cf.create_distribution(DistributionConfig={
        "CallerReference": reference, "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}, "MinTTL": 0,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
    })["Distribution"]["Id"]


def invalidated_paths(cf, dist) -> list[list[str]]:
    items = cf.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
    return [cf.get_invalidation(DistributionId=dist, Id=i["Id"])["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", [])
            for i in items]


def test_cloudfront_invalidates_changed_paths_in_batches(moto_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)
    cf = boto3.client("cloudfront", endpoint_url=moto_url)
    dist = new_distribution(cf)
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site("v1"))
    t = target(bucket, moto_url, cloudfront_distribution_id=dist)

    def invalidations():
        return invalidated_paths(cf, dist)

    run(folder, [t], Options(invalidate_all_over=20))
    assert invalidations() == [["/*"]]  # 49 files is past the threshold
    write_site(folder, synthetic_site("v2"))
    run(folder, [t], Options(invalidate_all_over=20, invalidation_batch=4))
    batches = [b for b in invalidations() if b != ["/*"]]
    assert all(len(b) <= 4 for b in batches)
    assert sorted(p for b in batches for p in b) == sorted([
        "/", "/index.html", "/history.atom", "/history.rss", "/badge.svg", "/api/v2/summary.json",
        "/incidents/inc-0/", "/incidents/inc-0/index.html", "/incidents/inc-0.json",
    ])
    run(folder, [t])
    assert len([b for b in invalidations() if b != ["/*"]]) == len(batches)  # nothing changed: no invalidation


def test_cloudfront_needs_no_default_region(moto_url, tmp_path, monkeypatch):
    """With only AWS_REGION set (as configure-aws-credentials does), botocore has no
    region for a client created without one: CloudFront's is us-east-1."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)
    cf = boto3.client("cloudfront", endpoint_url=moto_url, region_name="us-east-1")
    dist = new_distribution(cf, "region-test")
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site("v1"))
    events, _ = run(folder, [target(bucket, moto_url, region="eu-central-1", cloudfront_distribution_id=dist)])
    assert all(e.ok for e in results(events)), [e.text for e in results(events)]
    (paths,) = invalidated_paths(cf, dist)
    assert "/index.html" in paths


def test_a_failed_invalidation_is_remembered_and_retried_with_nothing_changed(moto_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)
    cf = boto3.client("cloudfront", endpoint_url=moto_url)
    dist = new_distribution(cf, "retry-test")
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site("v1"))
    run(folder, [target(bucket, moto_url, cloudfront_distribution_id=dist)])
    write_site(folder, synthetic_site("v2"))
    broken = target(bucket, moto_url, cloudfront_distribution_id="ENOSUCHDIST")  # the invalidation fails
    (result,) = results(run(folder, [broken])[0])
    assert not result.ok and "the files are published, but the CloudFront invalidation failed" in result.text
    assert "the next deploy retries it" in result.text
    manifest = client(moto_url).get_object(Bucket=bucket, Key=MANIFEST)["Body"].read()
    owed = json.loads(manifest)["invalidate"]
    assert "index.html" in owed and "incidents/inc-0/index.html" in owed
    before = len(invalidated_paths(cf, dist))
    events, counter = run(folder, [target(bucket, moto_url, cloudfront_distribution_id=dist)])
    (result,) = results(events)
    assert result.ok and " 0 uploaded" in result.text  # nothing left to upload, and yet:
    assert any("retrying the invalidation of" in e.text for e in events if e.kind == "line")
    latest = invalidated_paths(cf, dist)
    assert len(latest) > before and "/incidents/inc-0/" in [p for b in latest for p in b]
    assert "invalidate" not in json.loads(client(moto_url).get_object(Bucket=bucket, Key=MANIFEST)["Body"].read())
    events, _ = run(folder, [target(bucket, moto_url, cloudfront_distribution_id=dist)])
    assert len(invalidated_paths(cf, dist)) == len(latest)  # paid once


def test_setup_applies_cors_and_never_touches_acls(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    s3 = client(moto_url)
    acl = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    events, c = run(folder, [target(bucket, moto_url)], Options(setup=True))
    rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert [(r["AllowedMethods"], r["AllowedOrigins"]) for r in rules] == [(["GET", "HEAD"], ["*"])]
    assert c["PutBucketAcl"] == c["PutObjectAcl"] == 0
    assert s3.get_bucket_acl(Bucket=bucket)["Grants"] == acl
    run(folder, [target(bucket, moto_url)], Options(setup=True))
    assert len(s3.get_bucket_cors(Bucket=bucket)["CORSRules"]) == 1


@pytest.mark.parametrize("lean", [True, False])
def test_listing_in_parallel_ranges_sees_every_key(moto_url, lean):
    from generator.publish.bucket import lean_client, list_remote, make_clients
    from generator.publish.model import Options

    bucket = new_bucket(moto_url)
    s3 = client(moto_url)
    keys = [f"k{i:03d}" for i in range(0, 60, 2)] + ["a b+c", "zz/ü.html", "~tilde"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=f"site/{key}", Body=key.encode())
    s3.put_object(Bucket=bucket, Key="site2/k000", Body=b"outside")
    t = target(bucket, moto_url, prefix="site")
    ours, _ = make_clients(t, Options())
    local = [f"k{i:03d}" for i in range(0, 60, 3)]  # boundaries that are and are not in the bucket
    found = list_remote(ours, t, local, lean_client(ours, t) if lean else None, workers=4, page=4)
    assert sorted(found) == sorted(keys)
    assert found["a b+c"].size == 5
