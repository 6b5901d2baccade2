"""Deploys against moto's server over HTTP: fast, real HTTP, no signature checks."""

from __future__ import annotations

import boto3
import pytest

from generator.publish import Options, deploy
from tests.deploy.conftest import (
    Counter, assert_bucket_equals_build, bucket_state, client, counting, new_bucket, synthetic_site, target, write_site,
)


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
    assert c["PutObject"] == c["CopyObject"] == c["HeadObject"] == c["DeleteObjects"] == 0
    assert c["GetObject"] == 1  # the manifest
    assert "0 uploaded, 0 headers updated, 0 deleted" in results(events)[0].text

    files = synthetic_site("v2")
    write_site(folder, files)
    events, c = run(folder, [t])
    changed = {"index.html", "history.atom", "history.rss", "badge.svg", "api/v2/summary.json",
               "incidents/inc-0/index.html", "incidents/inc-0.json"}
    assert c["PutObject"] == len(changed) + 1
    assert c["HeadObject"] == 0
    assert_bucket_equals_build(moto_url, bucket, folder, "status")


def test_header_only_change_is_a_copy(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    run(folder, [target(bucket, moto_url)])
    events, c = run(folder, [target(bucket, moto_url, cache_control="public, max-age=30")])
    immutable = len(list((folder / "static").iterdir()))
    total = len([p for p in folder.rglob("*") if p.is_file()])
    assert c["CopyObject"] == total - immutable
    assert c["PutObject"] == 1  # only the manifest
    state = bucket_state(moto_url, bucket)
    assert state["index.html"][2] == "public, max-age=30"
    assert state["static/app.1a2b3c4d.css"][2] == "public, max-age=31536000, immutable"
    assert state["index.html"][0] == (folder / "index.html").read_bytes()


def test_manually_changed_objects_are_detected(moto_url, tmp_path):
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site())
    run(folder, [target(bucket, moto_url)])
    s3 = client(moto_url)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"defaced", ContentType="text/html")
    s3.copy_object(Bucket=bucket, Key="embed.js", CopySource={"Bucket": bucket, "Key": "embed.js"},
                   MetadataDirective="REPLACE", ContentType="application/octet-stream",
                   Metadata={"published-by": "statusgen", "statusgen-md5": "0" * 32})
    events, c = run(folder, [target(bucket, moto_url)])
    assert c["HeadObject"] == 2 and c["PutObject"] == 3  # two fixes and the manifest
    assert_bucket_equals_build(moto_url, bucket, folder)


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
    assert "2 deleted" in results(events)[0].text
    keys = set(bucket_state(moto_url, bucket))
    assert {"outside/old.html", "site2/index.html", "site/uploads/report.pdf"} <= keys
    assert "site/history/index.html" not in keys and "site/robots.txt" not in keys
    # the foreign object is remembered in the manifest: no HEAD for it next time
    events, c = run(folder, [t])
    assert c["HeadObject"] == 0 and c["PutObject"] == 0


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
    assert c["PutObject"] == c["HeadObject"] == 0


def test_faults_are_retried_and_the_deploy_converges(moto_url, tmp_path):
    from tests.deploy.conftest import FaultProxy

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


def test_cloudfront_invalidates_changed_paths_in_batches(moto_url, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)
    cf = boto3.client("cloudfront", endpoint_url=moto_url)
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": "statusgen-test", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}, "MinTTL": 0,
                                 "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}},
    })["Distribution"]["Id"]
    bucket = new_bucket(moto_url)
    folder = write_site(tmp_path / "out", synthetic_site("v1"))
    t = target(bucket, moto_url, cloudfront_distribution_id=dist)

    def invalidations():
        items = cf.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
        return [cf.get_invalidation(DistributionId=dist, Id=i["Id"])["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", [])
                for i in items]

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
    from generator.publish import Options, lean_client, list_remote, make_clients

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
