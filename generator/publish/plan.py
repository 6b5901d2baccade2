"""The pure plan: from the local tree, the listing and the manifest, what to upload, re-header, delete and keep.

No I/O here: every decision is a function of its inputs, so it is tested without a bucket.
"""

from __future__ import annotations

import json
import re
from typing import Iterator, Mapping
from urllib.parse import quote

from generator.guides import see
from generator.mediatypes import rank
from generator.problems import did_you_mean
from generator.publish.model import (
    DEFAULT_MAX_DELETES,
    EMPTY,
    HEADERS,
    INVALIDATE_ALL_OVER,
    INVALIDATION_BATCH,
    UPLOAD,
    Listed,
    LocalFile,
    Manifest,
    Plan,
    PublishError,
    Remote,
)

CORS_RULE_ID = "statusgen-read"
_HEX32 = re.compile(r"[0-9a-f]{32}")


def is_md5(etag: str) -> bool:
    """A plain 32-hex ETag: the MD5 of a single-part upload (not of SSE-KMS/SSE-C objects, which look the same)."""
    return bool(_HEX32.fullmatch(etag))


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


def format_plan(the_plan: Plan) -> Iterator[str]:
    for action, rel in the_plan.writes:
        yield f"  {'upload' if action == UPLOAD else 'update headers'} {rel}"
    for rel in the_plan.deletes:
        yield f"  delete {rel}"
    for rel in the_plan.kept:
        yield f"  keep (not published by statusgen) {rel}"
    yield (f"  {len(the_plan.uploads)} to upload, {len(the_plan.header_updates)} to re-header, "
           f"{len(the_plan.deletes)} to delete, {len(the_plan.unchanged)} unchanged")


def select_targets(targets, names) -> list:
    if not targets:
        raise PublishError(f"no deploy targets: add a `deploy:` list to content/site.yaml (see {see('deploy')})")
    if not names:
        return list(targets)
    by_name = {t.name: t for t in targets}
    for n in names:
        if n not in by_name:
            raise PublishError(f'no deploy target named "{n}"{did_you_mean(n, by_name)}; targets: {", ".join(sorted(by_name))}')
    return [by_name[n] for n in dict.fromkeys(names)]
