"""`statusgen deploy`: publish a built folder to S3 (or an S3-compatible store).

Plan, then apply. `scan` reads the build, `list_remote` and `read_manifest`
read the bucket, `plan` (pure) decides what to upload, re-header, delete and
keep, and `apply` carries it out in a thread pool, phase by phase. `deploy`
strings this together for every target and yields progress events; the CLI
only prints them.

Change detection reads the listing: an object we uploaded in one PutObject
has its MD5 as ETag. The manifest (`<prefix>/.statusgen/manifest.json`) holds
only what a listing cannot show: which keys we published and a fingerprint of
the header rules they were written under. So it changes when files come or
go or the rules change, not when contents change: 10 changed files are 10
PUTs. Whatever the two cannot vouch for gets a HEAD, and a delete always
needs our marker read by HEAD; a lost, stale or corrupt manifest costs HEADs,
never a wrong upload or a delete.

This module knows a folder and targets (anything with the attributes of
`generator.model.DeployTarget`), nothing about incidents or components.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Mapping
from urllib.parse import quote, unquote_plus, urlsplit

import click

from generator.guides import see
from generator.mediatypes import cache_control, content_type, rank, rules_fingerprint

MARKER_KEY = "published-by"  # object metadata (x-amz-meta-published-by)
MARKER = "statusgen"
MD5_KEY = "statusgen-md5"
MANIFEST = ".statusgen/manifest.json"
CLOUDFRONT_REGION = "us-east-1"
RESERVED = ".statusgen/"
DEFAULT_MAX_DELETES = 100
INVALIDATE_ALL_OVER = 500  # paths; past this one `/*` is cheaper and shorter
INVALIDATION_BATCH = 1000  # paths per CreateInvalidation call (CloudFront allows 3,000 in flight)
DELETE_BATCH = 1000  # keys per DeleteObjects call (the S3 maximum)
CORS_RULE_ID = "statusgen-read"


class PublishError(click.ClickException):
    """A deploy that cannot go on: printed as one line, exit 1."""


# --- the local build ------------------------------------------------------


@dataclass(frozen=True)
class LocalFile:
    path: str | Path
    md5: str
    size: int
    content_type: str
    cache_control: str


def walk(folder: Path) -> list[tuple[str, str]]:
    """(key, path) of every file under `folder`, sorted by key; keys are relative POSIX paths.

    Only regular files inside the folder are published: a link (to a file, a
    folder, or itself) or anything else that is not a file or a folder is an
    error naming it, raised before anything is uploaded.
    """
    if not Path(folder).is_dir():
        raise PublishError(f"the build folder {folder} does not exist; run `statusgen build` or drop --from")
    found = []
    # os.scandir, not pathlib: 10,000 Path objects cost a third of a no-change deploy.
    stack = [(str(folder), "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    key = rel_dir + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((entry.path, key + "/"))
                    elif entry.is_file(follow_symlinks=False):
                        if not key.startswith(RESERVED):  # .statusgen/ is ours in the bucket
                            found.append((key, entry.path))
                    else:
                        what = "a link" if entry.is_symlink() else "not a regular file"
                        raise PublishError(f"{os.path.join(folder, key)}: {what}; only regular files in the build "
                                           "folder are published, nothing was uploaded")
        except OSError as exc:
            raise PublishError(f"{exc.filename or directory}: {exc.strerror or exc}; nothing was uploaded") from None
    return sorted(found)


def read_regular(path: str | Path) -> bytes:
    """The bytes of a regular file; a link put in its place since the walk (or anything else) is an error."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:  # a link now (ELOOP), or gone
        raise PublishError(f"{path}: {exc.strerror or exc}; only regular files in the build folder are published") from None
    with open(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise PublishError(f"{path}: not a regular file; only regular files in the build folder are published")
        return fh.read()


def hash_files(entries: list[tuple[str, str]], short_cache: str | None = None) -> dict[str, LocalFile]:
    found = {}
    for key, path in entries:
        data = read_regular(path)
        found[key] = LocalFile(
            path=path,
            md5=hashlib.md5(data).hexdigest(),
            size=len(data),
            content_type=content_type(key),
            cache_control=cache_control(key, short_cache),
        )
    return found


def scan(folder: Path, short_cache: str | None = None) -> dict[str, LocalFile]:
    """Every file under `folder` by its key, hashed and typed."""
    return hash_files(walk(folder), short_cache)


# --- what the bucket holds -----------------------------------------------


@dataclass(frozen=True)
class Listed:
    """One row of ListObjectsV2: no user metadata, no headers."""

    etag: str
    size: int


@dataclass(frozen=True)
class Remote:
    """What we know of one object: from HEAD, from our own write, or from the listing and the manifest."""

    etag: str
    size: int
    md5: str | None = None  # the content's MD5, None when not known to be ours
    content_type: str | None = None
    cache_control: str | None = None
    ours: bool = False
    confirmed: bool = False  # our marker was read by HEAD (or we just wrote it): only then may it be deleted


@dataclass(frozen=True)
class Manifest:
    """What a listing cannot show, kept at `<prefix>/.statusgen/manifest.json`.

    It changes only when keys come or go or the header rules change, never
    because a file's content changed: the listing's ETag (the MD5 of a
    single-part upload) tells us that.
    """

    rules: str | None  # `rules_fingerprint` every object in `keys` was written under; None: not known
    keys: frozenset[str]  # a superset of the objects under the prefix that carry our marker
    pending: frozenset[str] = frozenset()  # someone else's objects we started to overwrite: HEAD them
    etags: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # key → (ETag, MD5) where they differ
    # Keys written or deleted whose CloudFront invalidation has not succeeded yet:
    # the next deploy invalidates them even when no file changed.
    invalidate: frozenset[str] = frozenset()


EMPTY = Manifest(rules=None, keys=frozenset())
_HEX32 = re.compile(r"[0-9a-f]{32}")


def is_md5(etag: str) -> bool:
    """A plain 32-hex ETag: the MD5 of a single-part upload (not of SSE-KMS/SSE-C objects, which look the same)."""
    return bool(_HEX32.fullmatch(etag))


def remote_from_head(head: Mapping) -> Remote:
    meta = {k.lower(): v for k, v in (head.get("Metadata") or {}).items()}
    ours = meta.get(MARKER_KEY) == MARKER
    return Remote(
        etag=head.get("ETag", "").strip('"'),
        size=int(head.get("ContentLength", 0)),
        md5=meta.get(MD5_KEY) if ours else None,
        content_type=head.get("ContentType"),
        cache_control=head.get("CacheControl"),
        ours=ours,
        confirmed=ours,
    )


def resolve(local: Mapping[str, LocalFile], listing: Mapping[str, Listed], manifest: Manifest | None, rules: str,
            *, may_delete: bool = True, verify: bool = False) -> tuple[dict[str, Remote], list[str]]:
    """Split the listing into what it proves (with the manifest) and the keys that need a HEAD.

    Without a manifest, or with `verify`, every object gets a HEAD. A key not
    in the manifest's `keys` is not ours (every write of ours is recorded
    there first). One of ours is unchanged when its ETag is the build's MD5,
    and its headers are right when the rules it was written under are
    today's. Anything else, and anything we might delete, is looked at.
    """
    known, unknown = {}, []
    if manifest is None or verify:
        return known, sorted(listing)
    rules_hold = manifest.rules == rules
    for key, row in listing.items():
        if key in manifest.pending:
            unknown.append(key)
            continue
        if key not in manifest.keys:
            known[key] = Remote(etag=row.etag, size=row.size)
            continue
        recorded = manifest.etags.get(key)
        if recorded and recorded[0] == row.etag:
            md5 = recorded[1]
        elif is_md5(row.etag):
            md5 = row.etag
        else:
            unknown.append(key)  # a multipart or encrypted object's ETag says nothing about the content
            continue
        f = local.get(key)
        if not rules_hold or (f is None and may_delete):
            unknown.append(key)  # headers unknown, or a delete needs the marker seen
        elif f is None:
            known[key] = Remote(etag=row.etag, size=row.size, md5=md5, ours=True)
        elif md5 == f.md5 and row.size == f.size:
            known[key] = Remote(row.etag, row.size, md5, f.content_type, f.cache_control, ours=True)
        elif recorded and recorded[0] == row.etag:
            known[key] = Remote(etag=row.etag, size=row.size, md5=md5, ours=True)  # known old content: upload
        else:
            unknown.append(key)  # the ETag may not be an MD5 on this store: the metadata's MD5 decides
    return known, sorted(unknown)


def manifest_ahead(stored: Manifest | None, rules: str, writes, known: Mapping[str, Remote],
                   invalidate: frozenset[str] = frozenset()) -> Manifest:
    """The manifest to write before `writes` start: it only widens what the stored one says.

    Every key we are about to write joins `keys`, except someone else's
    object that we adopt with a copy: its ETag will not change, so it goes to
    `pending` (HEAD it) until a finished deploy has seen it is ours. `rules`
    is kept only when we write under the same rules. A deploy that stops
    midway thus leaves a manifest that can only cost HEADs, never a missed
    delete or wrongly trusted headers.
    """
    base = stored or EMPTY
    keys = set(base.keys) | {k for k, r in known.items() if r.ours}
    pending = set(base.pending)
    for action, key in writes:
        if action == HEADERS and key in known and not known[key].ours:
            pending.add(key)
        else:
            keys.add(key)
    return Manifest(rules=rules if base.rules == rules else None, keys=frozenset(keys),
                    pending=frozenset(pending), etags=dict(base.etags), invalidate=base.invalidate | invalidate)


def manifest_after(rules: str, known: Mapping[str, Remote], invalidate: frozenset[str] = frozenset()) -> Manifest:
    """The manifest once every write and delete succeeded: exactly our objects, under today's rules,
    and the keys still to invalidate (none, once the invalidation succeeded)."""
    ours = {k: r for k, r in known.items() if r.ours}
    etags = {k: (r.etag, r.md5) for k, r in ours.items() if r.md5 and r.etag != r.md5}
    return Manifest(rules=rules, keys=frozenset(ours), etags=etags, invalidate=frozenset(invalidate))


def manifest_json(manifest: Manifest) -> bytes:
    body = {
        "version": 2,
        "rules": manifest.rules,
        "keys": sorted(manifest.keys),
        "pending": sorted(manifest.pending),
        "etags": {k: list(v) for k, v in sorted(manifest.etags.items())},
    }
    if manifest.invalidate:
        body["invalidate"] = sorted(manifest.invalidate)
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def parse_manifest(data: bytes) -> Manifest | None:
    try:
        body = json.loads(data)
        if body.get("version") != 2 or not isinstance(body["keys"], list) or not isinstance(body["pending"], list):
            return None  # an older format or not ours: every object gets a HEAD instead
        rules = body["rules"]
        if rules is not None and not isinstance(rules, str):
            return None
        etags = {str(k): (str(v[0]), str(v[1])) for k, v in body["etags"].items() if len(v) == 2}
        invalidate = body.get("invalidate", [])
        if not isinstance(invalidate, list):
            return None
        return Manifest(rules=rules, keys=frozenset(map(str, body["keys"])),
                        pending=frozenset(map(str, body["pending"])), etags=etags,
                        invalidate=frozenset(map(str, invalidate)))
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None


# --- the plan (pure) ------------------------------------------------------


UPLOAD, HEADERS = "upload", "headers"


@dataclass(frozen=True)
class Plan:
    writes: tuple[tuple[str, str], ...] = ()  # (UPLOAD | HEADERS, key), in upload order
    deletes: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()  # under the prefix, not in the build, not ours (or not checked): never deleted
    stale: tuple[str, ...] = ()  # ours, not in the build, but held back (see `note`)
    note: str = ""  # why deletes were held back

    @property
    def uploads(self) -> list[str]:
        return [k for action, k in self.writes if action == UPLOAD]

    @property
    def header_updates(self) -> list[str]:
        return [k for action, k in self.writes if action == HEADERS]


def plan(
    local: Mapping[str, LocalFile],
    remote: Mapping[str, Remote],
    *,
    delete: bool = True,
    max_deletes: int = DEFAULT_MAX_DELETES,
) -> Plan:
    """Decide what to do with every key, given the build and what the bucket holds."""
    writes, unchanged = [], []
    for key, f in local.items():
        r = remote.get(key)
        if r is None:
            writes.append((UPLOAD, key))
            continue
        # An object uploaded by another tool in one part has the MD5 as its
        # ETag: adopt it with a copy instead of sending the bytes again.
        same = r.md5 == f.md5 if r.ours else (r.etag == f.md5 and r.size == f.size)
        if not same:
            writes.append((UPLOAD, key))
        elif not r.ours or r.content_type != f.content_type or r.cache_control != f.cache_control:
            writes.append((HEADERS, key))
        else:
            unchanged.append(key)
    writes.sort(key=lambda w: (rank(w[1]), w[1]))
    gone = sorted(k for k in remote if k not in local)
    ours = [k for k in gone if remote[k].ours]
    kept = [k for k in gone if not remote[k].ours]
    note = ""
    if not ours:
        pass
    elif not delete:
        note = f"{len(ours)} stale object(s) left in place (--no-delete)"
    elif not local:
        note = f"the build is empty: deleting none of {len(ours)} object(s)"
    elif not all(remote[k].confirmed for k in ours):
        # Only a HEAD that read our marker proves an object is ours to delete.
        note = f"{sum(not remote[k].confirmed for k in ours)} stale object(s) not checked: deleting none"
    elif len(ours) > max_deletes:
        note = (f"{len(ours)} stale objects exceed --max-deletes {max_deletes}: deleting none "
                f"(check the build, then rerun with --max-deletes {len(ours)})")
    if note:
        return Plan(tuple(writes), (), tuple(unchanged), tuple(kept), tuple(ours), note)
    return Plan(tuple(writes), tuple(ours), tuple(unchanged), tuple(kept), (), "")


def invalidation_paths(keys) -> list[str]:
    """CloudFront paths for changed keys; a directory page also under its `/dir/` URL."""
    paths = set()
    for key in keys:
        paths.add("/" + key)
        if key == "index.html" or key.endswith("/index.html"):
            paths.add("/" + key[: -len("index.html")])
    return sorted(quote(p, safe="/~-._*") for p in paths)


def invalidation_batches(paths: list[str], threshold: int = INVALIDATE_ALL_OVER, size: int = INVALIDATION_BATCH) -> list[list[str]]:
    if not paths:
        return []
    if len(paths) > threshold:
        return [["/*"]]
    return [paths[i:i + size] for i in range(0, len(paths), size)]


def cors_rules(existing: list[dict]) -> list[dict]:
    """The bucket's CORS rules with ours added (or refreshed); others kept as they are.

    S3 CORS rules apply to the whole bucket, not to a path: this lets any
    origin GET and HEAD every object in it, which a public bucket allows anyway.
    """
    ours = {
        "ID": CORS_RULE_ID,
        "AllowedMethods": ["GET", "HEAD"],
        "AllowedOrigins": ["*"],
        "AllowedHeaders": ["*"],
        "MaxAgeSeconds": 3600,
    }
    return [r for r in existing if r.get("ID") != CORS_RULE_ID] + [ours]


# --- talking to the bucket -------------------------------------------------


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    delete: bool = True
    max_deletes: int = DEFAULT_MAX_DELETES
    setup: bool = False
    workers: int = 32
    lean: bool = True  # PUT and LIST through `Lean` (falls back to the client on anything unusual)
    verify: bool = False  # HEAD every object instead of trusting the listing and the manifest
    invalidate_all_over: int = INVALIDATE_ALL_OVER
    invalidation_batch: int = INVALIDATION_BATCH


def make_clients(target, options: Options):
    """An S3 client (and a CloudFront one when needed), credentials from the standard AWS chain."""
    # botocore directly: boto3 would add ~0.15 s of imports (s3transfer) we never use.
    import botocore.session
    from botocore.config import Config

    attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or 8)
    config = Config(
        retries={"mode": "standard", "max_attempts": attempts},
        max_pool_connections=options.workers,
        connect_timeout=5,
        read_timeout=60,
        # boto3 >= 1.36 sends aws-chunked bodies with CRC32 trailers by default,
        # which some S3-compatible servers store verbatim or mislabel. We send
        # Content-MD5 ourselves, so the server still checks every body.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path"} if target.endpoint_url else {},
    )
    session = botocore.session.get_session()
    s3 = session.create_client("s3", region_name=target.region or None, endpoint_url=target.endpoint_url or None, config=config)
    cloudfront = None
    if target.cloudfront_distribution_id:
        # CloudFront is global, and its API lives in us-east-1. botocore reads only
        # AWS_DEFAULT_REGION, so with just AWS_REGION set a client without a region
        # fails with NoRegionError, after the files were uploaded.
        cloudfront = session.create_client("cloudfront", region_name=CLOUDFRONT_REGION,
                                           config=Config(retries={"mode": "standard", "max_attempts": attempts}))
    return s3, cloudfront


def describe(target) -> str:
    where = f"s3://{target.bucket}/{target.prefix + '/' if target.prefix else ''}"
    return f"{where} at {target.endpoint_url}" if target.endpoint_url else where


def explain(exc: BaseException, target) -> str:
    """One line a person can act on; never a secret, never a traceback."""
    from botocore.exceptions import (
        ClientError, EndpointConnectionError, NoCredentialsError, PartialCredentialsError, SSLError,
    )

    if isinstance(exc, PublishError):
        return exc.message
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use an SSO, instance or OIDC role)"
    if isinstance(exc, SSLError):
        return f"TLS error talking to {target.endpoint_url or 'S3'}: {exc} (set AWS_CA_BUNDLE for a private CA)"
    if isinstance(exc, EndpointConnectionError):
        return f"cannot reach {target.endpoint_url or 'S3'}: {exc}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket",) or (code == "404" and exc.operation_name in ("ListObjectsV2", "HeadBucket")):
            return f'bucket "{target.bucket}" does not exist ({describe(target)})'
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken", "InvalidToken"):
            return f"the credentials were rejected ({code}): check AWS_PROFILE / the access key for {describe(target)}"
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return f"access denied on {exc.operation_name} for {describe(target)}: see the IAM policy in {see('deploy')}"
        return f"{exc.operation_name} failed for {describe(target)}: {code or status} {error.get('Message', '')}".rstrip()
    from botocore.exceptions import BotoCoreError

    if isinstance(exc, BotoCoreError):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc}"
    raise exc


def _key(target, rel: str) -> str:
    return f"{target.prefix}/{rel}" if target.prefix else rel


def list_ranges(prefix: str, local_keys, page: int = 1000) -> list[tuple[str | None, str | None]]:
    """Split the key space at every `page`-th local key: (start after, last included) pairs
    that cover it all, so the listing's pages can be fetched side by side."""
    keys = sorted(prefix + k for k in local_keys)
    cuts = keys[page::page]
    return list(zip([None, *cuts], [*cuts, None]))


def list_remote(s3, target, local_keys=(), lean: Lean | None = None, workers: int = 8, page: int = 1000) -> dict[str, Listed]:
    """Every object under the prefix (and only there), by key relative to it."""
    prefix = f"{target.prefix}/" if target.prefix else ""

    def client_page(start_after, token):
        args = {"Bucket": target.bucket, "Prefix": prefix}
        if token:
            args["ContinuationToken"] = token
        elif start_after:
            args["StartAfter"] = start_after
        reply = s3.list_objects_v2(**args)
        rows = [(o["Key"], Listed(etag=o["ETag"].strip('"'), size=o["Size"])) for o in reply.get("Contents", ())]
        return rows, reply.get("NextContinuationToken") if reply.get("IsTruncated") else None

    def one_range(bounds):
        start_after, last = bounds
        found, token = [], None
        while True:
            page = (lean.list_page(prefix, start_after, token) if lean else None) or client_page(start_after, token)
            rows, token = page
            found.extend(r for r in rows if last is None or r[0] <= last)
            if token is None or (last is not None and rows and rows[-1][0] >= last):
                return found

    ranges = list_ranges(prefix, local_keys, page)
    with ThreadPoolExecutor(max_workers=max(1, min(len(ranges), workers))) as pool:
        pages = list(pool.map(one_range, ranges))
    found = {}
    for rows in pages:
        for key, row in rows:
            rel = key[len(prefix):]
            if rel and not rel.endswith("/"):
                found[rel] = row
    return dict(sorted(found.items()))


def read_manifest(s3, target, listing: dict[str, Listed]) -> Manifest | None:
    if MANIFEST not in listing:
        return None
    try:
        body = s3.get_object(Bucket=target.bucket, Key=_key(target, MANIFEST))["Body"].read()
    except Exception:  # noqa: BLE001 - a manifest we cannot read only costs HEADs
        return None
    return parse_manifest(body)


def write_manifest(s3, target, manifest: Manifest) -> None:
    body = manifest_json(manifest)
    s3.put_object(Bucket=target.bucket, Key=_key(target, MANIFEST), Body=body,
                  ContentType="application/json; charset=utf-8", CacheControl="no-store",
                  ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode())


def _meta(f: LocalFile) -> dict:
    return {MARKER_KEY: MARKER, MD5_KEY: f.md5}


class Lean:
    """PutObject and ListObjectsV2 without botocore's per-call pipeline.

    `client.put_object` spends ~1.5 ms of CPU per call (parameter handling,
    endpoint rules, a dozen events, response parsing), and parsing a listing
    page of 1,000 keys costs ~100 ms; for 10,000 small files that, not the
    network, is the limit. This signs with botocore's own SigV4 signer and
    sends on the client's own connection pool (same TLS, CA bundle, proxies
    and credentials chain). Anything but a plain 200 (an error, a redirect,
    a dropped connection) returns None, and the caller uses the full client,
    which retries with back-off and explains errors as usual.
    """

    def __init__(self, s3, target):
        from botocore.auth import S3SigV4Auth

        self.s3 = s3
        self.session = s3._endpoint.http_session  # noqa: SLF001 - any failure falls back to the client
        self.credentials = s3._request_signer._credentials  # noqa: SLF001 - refreshable, from the chain
        self.region = s3.meta.region_name or "us-east-1"
        self.auth_class = S3SigV4Auth
        # The object URL as botocore would address it (path or virtual host).
        probe = "statusgen-probe-key"
        url = s3.generate_presigned_url("put_object", Params={"Bucket": target.bucket, "Key": probe}, ExpiresIn=60)
        self.base = url.split("?", 1)[0][: -len(probe)]
        path_style = urlsplit(self.base).path not in ("", "/")
        self.bucket_url = self.base[:-1] if path_style else self.base

    def send(self, operation: str, method: str, url: str, headers: dict, body: bytes | None = None):
        from botocore.awsrequest import AWSRequest
        from botocore.hooks import first_non_none_response

        try:
            request = AWSRequest(method=method, url=url, data=body, headers=headers)
            self.auth_class(self.credentials.get_frozen_credentials(), "s3", self.region).add_auth(request)
            prepared = request.prepare()
        except Exception:  # noqa: BLE001 - the full client retries it and explains any error
            return None
        # botocore's documented last hook before the wire, emitted as the client
        # would: stubs, mocks and request counters keep working.
        stubbed = first_non_none_response(self.s3.meta.events.emit(f"before-send.s3.{operation}", request=prepared))
        try:
            reply = stubbed if stubbed is not None else self.session.send(prepared)
        except Exception:  # noqa: BLE001 - the full client retries it and explains any error
            return None
        return reply if reply.status_code == 200 else None

    def put(self, key: str, body: bytes, headers: dict) -> str | None:
        """The ETag on success, None when `put_object` should take over."""
        reply = self.send("PutObject", "PUT", self.base + quote(key, safe="/~"), headers, body)
        return (reply.headers.get("ETag", "").strip('"') or None) if reply is not None else None

    def list_page(self, prefix: str, start_after: str | None, token: str | None):
        """(rows, next token or None) for one ListObjectsV2 page, or None."""
        import xml.etree.ElementTree as ET

        query = {"list-type": "2", "prefix": prefix, "encoding-type": "url"}
        if token:
            query["continuation-token"] = token
        elif start_after:
            query["start-after"] = start_after
        url = self.bucket_url + "?" + "&".join(f"{k}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
        reply = self.send("ListObjectsV2", "GET", url, {})
        if reply is None:
            return None
        try:
            root = ET.fromstring(reply.content)
            ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            rows = [
                (unquote_plus(c.findtext(ns + "Key")),
                 Listed(etag=(c.findtext(ns + "ETag") or "").strip('"'), size=int(c.findtext(ns + "Size"))))
                for c in root.iter(ns + "Contents")
            ]
            more = root.findtext(ns + "IsTruncated") == "true"
            return rows, (root.findtext(ns + "NextContinuationToken") if more else None)
        except (ET.ParseError, TypeError, ValueError):
            return None


def lean_client(s3, target) -> Lean | None:
    try:
        return Lean(s3, target)
    except Exception:  # noqa: BLE001 - a botocore without these internals: the client alone
        return None


def _put(s3, target, rel: str, f: LocalFile, lean: Lean | None = None) -> Remote:
    data = read_regular(f.path)
    md5 = hashlib.md5(data).digest()
    if md5.hex() != f.md5:
        raise PublishError(f"{f.path} changed while deploying; rebuild and deploy again")
    content_md5 = base64.b64encode(md5).decode()
    etag = None
    if lean is not None:
        etag = lean.put(_key(target, rel), data, {
            "Content-Type": f.content_type, "Cache-Control": f.cache_control, "Content-MD5": content_md5,
            **{f"x-amz-meta-{k}": v for k, v in _meta(f).items()},
        })
    if etag is None:
        reply = s3.put_object(
            Bucket=target.bucket, Key=_key(target, rel), Body=data,
            ContentType=f.content_type, CacheControl=f.cache_control, Metadata=_meta(f),
            ContentMD5=content_md5,
        )
        etag = reply.get("ETag", "").strip('"')
    return Remote(etag=etag, size=f.size, md5=f.md5,
                  content_type=f.content_type, cache_control=f.cache_control, ours=True, confirmed=True)


def _copy(s3, target, rel: str, f: LocalFile) -> Remote:
    key = _key(target, rel)
    reply = s3.copy_object(
        Bucket=target.bucket, Key=key, CopySource={"Bucket": target.bucket, "Key": key},
        MetadataDirective="REPLACE", ContentType=f.content_type, CacheControl=f.cache_control,
        Metadata=_meta(f),
    )
    etag = reply.get("CopyObjectResult", {}).get("ETag", "").strip('"')
    return Remote(etag=etag, size=f.size, md5=f.md5, content_type=f.content_type,
                  cache_control=f.cache_control, ours=True, confirmed=True)


def _delete(s3, target, rels: list[str]) -> None:
    reply = s3.delete_objects(
        Bucket=target.bucket,
        Delete={"Objects": [{"Key": _key(target, k)} for k in rels], "Quiet": True},
    )
    errors = reply.get("Errors") or []
    if errors:
        first = errors[0]
        raise PublishError(f"could not delete {len(errors)} object(s), e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message', '')}")


# --- events -----------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """What `deploy` tells the CLI: a line to print, progress, or a target's result."""

    kind: str  # "line" | "progress" | "result"
    target: str
    text: str = ""
    done: int = 0
    total: int = 0
    ok: bool = True


@dataclass
class Tally:
    uploaded: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    bytes: int = 0
    failures: list[str] = field(default_factory=list)


def _run_pool(pool, jobs, target, tally: Tally, done: int, total: int, on_result) -> Iterator[Event]:
    """Run `jobs` [(callable, label)], hand each result to `on_result` here in this
    thread (so the tally needs no lock), and yield progress as they finish."""
    futures = {pool.submit(fn): label for fn, label in jobs}
    step = max(1, len(futures) // 100)  # about a hundred progress events per phase
    for future in as_completed(futures):
        done += 1
        exc = future.exception()
        if exc is None:
            on_result(future.result())
        elif isinstance(exc, Exception):
            tally.failures.append(f"{futures[future]}: {explain(exc, target)}")
        else:
            for other in futures:
                other.cancel()
            raise exc
        if done % step == 0 or done == total:
            yield Event("progress", target.name, done=done, total=total)


def apply(s3, target, local: Mapping[str, LocalFile], the_plan: Plan, known: dict[str, Remote],
          options: Options, tally: Tally, lean: Lean | None = None) -> Iterator[Event]:
    """Carry out the plan: writes phase by phase (assets, pages, data, home), then deletes.

    A failed phase stops the next ones, so a page never goes up before its
    assets and nothing is deleted after a failed upload. `known` is updated
    with every object written, for the manifest.
    """
    batches = [list(the_plan.deletes[i:i + DELETE_BATCH]) for i in range(0, len(the_plan.deletes), DELETE_BATCH)]
    total = len(the_plan.writes) + len(batches)
    done = 0
    phases: dict[int, list] = {}
    for action, rel in the_plan.writes:
        phases.setdefault(rank(rel), []).append((action, rel))


    def job(action, rel):
        if action == UPLOAD:
            return lambda: (action, rel, _put(s3, target, rel, local[rel], lean))
        return lambda: (action, rel, _copy(s3, target, rel, local[rel]))

    def wrote(result):
        action, rel, remote = result
        known[rel] = remote
        if action == UPLOAD:
            tally.uploaded += 1
            tally.bytes += remote.size
        else:
            tally.updated += 1

    def deleted(batch):
        for rel in batch:
            known.pop(rel, None)
        tally.deleted += len(batch)

    with ThreadPoolExecutor(max_workers=options.workers) as pool:
        for _phase, writes in sorted(phases.items()):
            jobs = [(job(action, rel), f"{action} {rel}") for action, rel in writes]
            yield from _run_pool(pool, jobs, target, tally, done, total, wrote)
            done += len(writes)
            if tally.failures:
                return
        if batches:
            jobs = [((lambda b=b: (_delete(s3, target, b), b)[1]), f"delete {b[0]} ({len(b)} keys)") for b in batches]
            yield from _run_pool(pool, jobs, target, tally, done, total, deleted)


def invalidate(cloudfront, distribution_id: str, keys, options: Options) -> Iterator[str]:
    paths = invalidation_paths(keys)
    for batch in invalidation_batches(paths, options.invalidate_all_over, options.invalidation_batch):
        cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={"Paths": {"Quantity": len(batch), "Items": batch}, "CallerReference": uuid.uuid4().hex},
        )
        yield f"invalidated {len(batch)} path(s) on CloudFront {distribution_id}" + (" (everything)" if batch == ["/*"] else "")


def setup_bucket(s3, target) -> str:
    from botocore.exceptions import ClientError

    try:
        existing = s3.get_bucket_cors(Bucket=target.bucket).get("CORSRules", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchCORSConfiguration":
            raise
        existing = []
    s3.put_bucket_cors(Bucket=target.bucket, CORSConfiguration={"CORSRules": cors_rules(existing)})
    return f"CORS: GET/HEAD from any origin allowed on bucket {target.bucket} (bucket-wide; ACLs untouched)"


def format_plan(the_plan: Plan) -> Iterator[str]:
    for action, rel in the_plan.writes:
        yield f"  {'upload' if action == UPLOAD else 'update headers'} {rel}"
    for rel in the_plan.deletes:
        yield f"  delete {rel}"
    for rel in the_plan.kept:
        yield f"  keep (not published by statusgen) {rel}"
    yield (f"  {len(the_plan.uploads)} to upload, {len(the_plan.header_updates)} to re-header, "
           f"{len(the_plan.deletes)} to delete, {len(the_plan.unchanged)} unchanged")


@dataclass(frozen=True)
class RemoteState:
    known: dict[str, Remote]  # what we know of each object under the prefix
    manifest: Manifest | None  # as read; None when missing or unreadable
    manifest_exists: bool  # listed, even if unreadable: then it must be replaced before any write
    headed: int  # HEAD requests made


def read_remote(s3, target, local: Mapping[str, LocalFile], options: Options, rules: str, lean: Lean | None = None,
                listing: dict[str, Listed] | None = None) -> RemoteState:
    """What the bucket holds under the prefix: one LIST, one GET of the manifest,
    and a HEAD only for the objects those two cannot speak for."""
    if listing is None:
        listing = list_remote(s3, target, local, lean, options.workers)
    manifest = read_manifest(s3, target, listing)
    exists = MANIFEST in listing
    listing = {k: v for k, v in listing.items() if not k.startswith(RESERVED)}
    known, to_head = resolve(local, listing, manifest, rules, may_delete=options.delete and bool(local),
                             verify=options.verify)
    if to_head:
        from botocore.exceptions import ClientError

        def head(rel):
            try:
                return rel, remote_from_head(s3.head_object(Bucket=target.bucket, Key=_key(target, rel)))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                    return rel, None  # deleted since the listing
                raise

        with ThreadPoolExecutor(max_workers=options.workers) as pool:
            for rel, remote in pool.map(head, to_head):
                if remote is not None:
                    known[rel] = remote
    return RemoteState(known, manifest, exists, len(to_head))


def deploy_target(local: Mapping[str, LocalFile] | Callable[[], Mapping[str, LocalFile]], target, options: Options,
                  clients, keys=None) -> Iterator[Event]:
    """Deploy one target; the last event is its result.

    `local` may be a callable that finishes hashing the build: the bucket is
    listed meanwhile, using `keys` (the build's keys) to split the listing."""
    name = target.name
    start = time.monotonic()
    s3, cloudfront = clients(target, options)
    if options.setup:
        if options.dry_run:
            yield Event("line", name, f"{name}: would apply the CORS rule to bucket {target.bucket}")
        else:
            yield Event("line", name, f"{name}: " + setup_bucket(s3, target))
    lean = lean_client(s3, target) if options.lean else None
    listing = None
    if callable(local):
        listing = list_remote(s3, target, keys or (), lean, options.workers)
        local = local()
    if target.cache_control:
        local = with_cache_control(local, target.cache_control)
    rules = rules_fingerprint(target.cache_control)
    state = read_remote(s3, target, local, options, rules, lean, listing)
    known = state.known
    the_plan = plan(local, known, delete=options.delete, max_deletes=options.max_deletes)
    if the_plan.note:
        yield Event("line", name, f"{name}: {the_plan.note}")
    if options.dry_run:
        yield Event("line", name, f"{name}: plan for {describe(target)} (dry run, nothing changed)")
        for line in format_plan(the_plan):
            yield Event("line", name, line)
        yield Event("result", name, f"{name}: dry run, nothing changed")
        return
    stored = state.manifest
    changed = [rel for _, rel in the_plan.writes] + list(the_plan.deletes)
    owed = frozenset(changed) if cloudfront is not None else frozenset()
    if the_plan.writes and state.manifest_exists:
        # Before the first write, so that a deploy stopped midway leaves a
        # manifest naming every object it may have written (and owing their
        # invalidation). Without one in the bucket the next deploy HEADs
        # everything anyway.
        ahead = manifest_ahead(stored, rules, the_plan.writes, known, owed)
        if ahead != stored:
            write_manifest(s3, target, ahead)
            stored = ahead
    tally = Tally(unchanged=len(the_plan.unchanged))
    yield from apply(s3, target, local, the_plan, known, options, tally, lean)
    if tally.failures:
        yield Event("result", name, (
            f"{name}: FAILED: {len(tally.failures)} request(s) failed, nothing deleted; "
            f"first: {tally.failures[0]}"), ok=False)
        return
    if stored is not None and stored.invalidate and cloudfront is not None:
        owed |= stored.invalidate  # a failed invalidation of an earlier deploy
        yield Event("line", name, f"{name}: retrying the invalidation of {len(stored.invalidate)} path(s) an earlier deploy could not invalidate")
    failure = None
    if owed:
        try:
            for line in invalidate(cloudfront, target.cloudfront_distribution_id, sorted(owed), options):
                yield Event("line", name, f"{name}: {line}")
            owed = frozenset()
        except Exception as exc:  # noqa: BLE001 - remembered in the manifest, reported below
            failure = exc
    # Last, and only when it says something new: never when only contents changed.
    after = manifest_after(rules, known, owed)
    if after != stored:
        write_manifest(s3, target, after)
    if failure is not None:
        yield Event("result", name, (
            f"{name}: FAILED: the files are published, but the CloudFront invalidation failed: "
            f"{explain(failure, target)}; the next deploy retries it"), ok=False)
        return
    seconds = time.monotonic() - start
    yield Event("result", name, (
        f"{name}: {tally.uploaded} uploaded, {tally.updated} headers updated, {tally.deleted} deleted, "
        f"{tally.unchanged} unchanged, {tally.bytes / 1e6:.1f} MB, {seconds:.1f} s"
    ))


def select_targets(targets, names) -> list:
    if not targets:
        raise PublishError(f"no deploy targets: add a `deploy:` list to content/site.yaml (see {see('deploy')})")
    if not names:
        return list(targets)
    by_name = {t.name: t for t in targets}
    from generator.problems import did_you_mean

    for n in names:
        if n not in by_name:
            raise PublishError(f'no deploy target named "{n}"{did_you_mean(n, by_name)}; targets: {", ".join(sorted(by_name))}')
    return [by_name[n] for n in dict.fromkeys(names)]


def with_cache_control(local: Mapping[str, LocalFile], short: str | None) -> dict[str, LocalFile]:
    return {k: replace(f, cache_control=cache_control(k, short)) for k, f in local.items()}


def deploy(folder: Path, targets, options: Options = Options(), clients: Callable = make_clients) -> Iterator[Event]:
    """Deploy `folder` to each target in turn. One failing target does not stop the others."""
    entries = walk(folder)
    keys = [key for key, _ in entries]
    with ThreadPoolExecutor(max_workers=1) as background:
        # Hash the build while the first target's bucket is being listed.
        hashed = background.submit(hash_files, entries)
        for target in targets:
            try:
                yield from deploy_target(hashed.result, target, options, clients, keys)
            except Exception as exc:  # noqa: BLE001 - explain() re-raises what it cannot explain
                yield Event("result", target.name, f"{target.name}: FAILED: {explain(exc, target)}", ok=False)


def echo_events(events: Iterator[Event], tty: bool = False) -> None:
    """Print a deploy's events (progress only on a terminal); fail naming every failed target."""
    failed = []
    for event in events:
        if event.kind == "progress":
            if tty:
                click.echo(f"\r\033[K{event.target}: {event.done}/{event.total}", nl=False, err=True)
            continue
        if tty:
            click.echo("\r\033[K", nl=False, err=True)
        click.echo(event.text, err=not event.ok)
        if event.kind == "result" and not event.ok:
            failed.append(event.target)
    if failed:
        raise PublishError(f"deploy failed for {len(failed)} target(s): {', '.join(failed)}")
