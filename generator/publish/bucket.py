"""The S3 talk: clients, listing, reading and writing objects, and errors explained in one line."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, Mapping
from urllib.parse import quote, unquote_plus, urlsplit

from generator.guides import see
from generator.publish.model import (
    MANIFEST,
    MARKER,
    MARKER_KEY,
    MD5_KEY,
    Listed,
    LocalFile,
    Manifest,
    Options,
    PublishError,
    Remote,
)
from generator.publish.plan import cors_rules, invalidation_batches, invalidation_paths, manifest_json, parse_manifest
from generator.publish.tree import read_regular

CLOUDFRONT_REGION = "us-east-1"
DELETE_BATCH = 1000  # keys per DeleteObjects call (the S3 maximum)


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
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        SSLError,
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


def object_key(target, rel: str) -> str:
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
        body = s3.get_object(Bucket=target.bucket, Key=object_key(target, MANIFEST))["Body"].read()
    except Exception:  # noqa: BLE001 - a manifest we cannot read only costs HEADs
        return None
    return parse_manifest(body)


def write_manifest(s3, target, manifest: Manifest) -> None:
    body = manifest_json(manifest)
    s3.put_object(Bucket=target.bucket, Key=object_key(target, MANIFEST), Body=body,
                  ContentType="application/json; charset=utf-8", CacheControl="no-store",
                  ContentMD5=base64.b64encode(hashlib.md5(body).digest()).decode())


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


def put_file(s3, target, rel: str, f: LocalFile, lean: Lean | None = None) -> Remote:
    data = read_regular(f.path)
    md5 = hashlib.md5(data).digest()
    if md5.hex() != f.md5:
        raise PublishError(f"{f.path} changed while deploying; rebuild and deploy again")
    content_md5 = base64.b64encode(md5).decode()
    etag = None
    if lean is not None:
        etag = lean.put(object_key(target, rel), data, {
            "Content-Type": f.content_type, "Cache-Control": f.cache_control, "Content-MD5": content_md5,
            **{f"x-amz-meta-{k}": v for k, v in _meta(f).items()},
        })
    if etag is None:
        reply = s3.put_object(
            Bucket=target.bucket, Key=object_key(target, rel), Body=data,
            ContentType=f.content_type, CacheControl=f.cache_control, Metadata=_meta(f),
            ContentMD5=content_md5,
        )
        etag = reply.get("ETag", "").strip('"')
    return Remote(etag=etag, size=f.size, md5=f.md5,
                  content_type=f.content_type, cache_control=f.cache_control, ours=True, confirmed=True)


def copy_file(s3, target, rel: str, f: LocalFile) -> Remote:
    key = object_key(target, rel)
    reply = s3.copy_object(
        Bucket=target.bucket, Key=key, CopySource={"Bucket": target.bucket, "Key": key},
        MetadataDirective="REPLACE", ContentType=f.content_type, CacheControl=f.cache_control,
        Metadata=_meta(f),
    )
    etag = reply.get("CopyObjectResult", {}).get("ETag", "").strip('"')
    return Remote(etag=etag, size=f.size, md5=f.md5, content_type=f.content_type,
                  cache_control=f.cache_control, ours=True, confirmed=True)


def delete_keys(s3, target, rels: list[str]) -> None:
    reply = s3.delete_objects(
        Bucket=target.bucket,
        Delete={"Objects": [{"Key": object_key(target, k)} for k in rels], "Quiet": True},
    )
    errors = reply.get("Errors") or []
    if errors:
        first = errors[0]
        raise PublishError(f"could not delete {len(errors)} object(s), e.g. {first.get('Key')}: {first.get('Code')} {first.get('Message', '')}")


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
