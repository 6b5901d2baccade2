"""The orchestration: plan, then apply, for every target, yielding events; the CLI prints them."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

from generator.mediatypes import rank, rules_fingerprint
from generator.publish.bucket import (
    DELETE_BATCH,
    Lean,
    copy_file,
    delete_keys,
    describe,
    explain,
    invalidate,
    lean_client,
    list_remote,
    make_clients,
    object_key,
    put_file,
    read_manifest,
    remote_from_head,
    setup_bucket,
    write_manifest,
)
from generator.publish.model import MANIFEST, RESERVED, UPLOAD, Event, Listed, LocalFile, Manifest, Options, Plan, Remote
from generator.publish.plan import format_plan, manifest_after, manifest_ahead, plan, resolve
from generator.publish.tree import hash_files, walk, with_cache_control


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
            return lambda: (action, rel, put_file(s3, target, rel, local[rel], lean))
        return lambda: (action, rel, copy_file(s3, target, rel, local[rel]))

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
            jobs = [((lambda b=b: (delete_keys(s3, target, b), b)[1]), f"delete {b[0]} ({len(b)} keys)") for b in batches]
            yield from _run_pool(pool, jobs, target, tally, done, total, deleted)


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
                return rel, remote_from_head(s3.head_object(Bucket=target.bucket, Key=object_key(target, rel)))
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
