"""What merging a change does to the public page, as Markdown for a pull request.

`diff()` compares two loaded contents at the same `now` (a pure function);
`to_markdown()` writes the result for people. `read_base()` is the one bit of
I/O: it takes the content as it is at a git ref (`git archive`) into a
temporary folder, so the "before" is loaded by the same loader as the "after".
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from generator.content import load
from generator.model import COMPONENT_STATUS_LABELS, STATUS_LABELS, Content, Group, Update
from generator.policy import human_duration, notice_given
from generator.problems import Problems
from generator.gfm import code, md
from generator.notify.preview import preview_markdown
from generator.review import decisions
from generator.status import EventState, Snapshot, snapshot
from generator.timestamps import UTC

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class ComponentChange:
    name: str
    before: str | None  # None: the component is new
    after: str | None  # None: the component is removed


@dataclass(frozen=True)
class EventChange:
    kind: str  # opened, posted, updated, resolved, edited, removed
    state: EventState  # after the merge (before, for removed)
    before_status: str | None = None


@dataclass(frozen=True)
class FeedEntry:
    incident_title: str
    incident_id: str
    update: Update


@dataclass(frozen=True)
class MaintenanceChange:
    kind: str  # announced, rescheduled, cancelled
    state: EventState
    notice: timedelta | None = None  # from the announcement update to the window's start
    notice_from_now: timedelta | None = None  # from the merge (now) to the start
    old_window: tuple[datetime, datetime] | None = None


@dataclass
class Changes:
    components: list[ComponentChange] = field(default_factory=list)
    events: list[EventChange] = field(default_factory=list)
    feed: list[FeedEntry] = field(default_factory=list)
    later: list[FeedEntry] = field(default_factory=list)  # future-dated: published when their time comes
    maintenance: list[MaintenanceChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.components or self.events or self.feed or self.later or self.maintenance)


def _statuses(snap: Snapshot | None) -> dict:
    """Display name and status of every component and group, by id."""
    if snap is None:
        return {}
    out = {}
    for entry in snap.content.catalog.entries:
        out[entry.id] = (entry.name, snap.status_of(entry))
        for member in entry.components if isinstance(entry, Group) else ():
            out[member.id] = (member.name, snap.component_status(member.id))
    return out


def _fingerprint(state: EventState):
    """What the page shows of an event apart from its updates' times."""
    i = state.incident
    return (i.title, i.summary, i.impact, tuple(sorted(i.components.items())), i.start, i.end, i.emergency,
            tuple((u.at, u.status, u.body) for u in state.updates))


def diff(before: Content | None, after: Content, now: datetime) -> Changes:
    """The visible changes from `before` (None: nothing published yet) to `after`, both at `now`."""
    now = now.astimezone(UTC)
    old = Snapshot(before, now) if before is not None else None
    new = Snapshot(after, now)
    changes = Changes()

    old_status, new_status = _statuses(old), _statuses(new)
    for cid, (name, status) in new_status.items():
        was = old_status.get(cid)
        if was is None and old is not None:
            changes.components.append(ComponentChange(name, None, status))
        elif was is not None and was[1] != status:
            changes.components.append(ComponentChange(name, was[1], status))
    for cid, (name, status) in old_status.items():
        if cid not in new_status:
            changes.components.append(ComponentChange(name, status, None))

    old_events = old.events if old else {}
    for iid, state in sorted(new.events.items(), key=lambda kv: (kv[1].began or now, kv[0]), reverse=True):
        was = old_events.get(iid)
        seen = {u.at for u in was.updates} if was else set()
        fresh = [u for u in state.updates if u.at not in seen]
        changes.feed.extend(FeedEntry(state.incident.title, iid, u) for u in reversed(fresh))
        if not state.incident.is_maintenance:
            if was is None:
                changes.events.append(EventChange("opened" if state.is_active else "posted", state))
            elif was.resolved_at is None and state.resolved_at is not None:
                changes.events.append(EventChange("resolved", state, was.status))
            elif fresh or was.status != state.status:
                changes.events.append(EventChange("updated", state, was.status))
            elif _fingerprint(was) != _fingerprint(state):
                changes.events.append(EventChange("edited", state, was.status))
            continue
        window = (state.incident.start, state.incident.end)
        if was is None:
            if state.status != "cancelled":
                changes.maintenance.append(MaintenanceChange(
                    "announced", state, notice_given(state.incident), state.incident.start - now))
            continue
        if state.status == "cancelled" and was.status != "cancelled":
            changes.maintenance.append(MaintenanceChange("cancelled", state))
        elif (was.incident.start, was.incident.end) != window:
            changes.maintenance.append(MaintenanceChange(
                "rescheduled", state, notice_given(state.incident), state.incident.start - now,
                old_window=(was.incident.start, was.incident.end)))
        if fresh or was.status != state.status:
            changes.events.append(EventChange("updated", state, was.status))
        elif _fingerprint(was) != _fingerprint(state) and (was.incident.start, was.incident.end) == window:
            changes.events.append(EventChange("edited", state, was.status))
    for iid, was in sorted(old_events.items()):
        if iid not in new.events:
            changes.events.append(EventChange("removed", was, was.status))

    for incident in after.incidents:
        old_incident = before.incident(incident.id) if before else None
        known = {u.at for u in old_incident.updates} if old_incident else set()
        for u in sorted(incident.updates, key=lambda u: u.at):
            if u.at > now and u.at not in known:
                changes.later.append(FeedEntry(incident.title, incident.id, u))
    changes.feed.sort(key=lambda e: (e.update.at, e.incident_id), reverse=True)  # as a feed lists them
    changes.later.sort(key=lambda e: (e.update.at, e.incident_id))
    return changes


# --- Markdown ----------------------------------------------------------------------


def _when(dt: datetime) -> str:
    return f"{dt.astimezone(UTC):%a %Y-%m-%d %H:%M} UTC"


def _window(start: datetime, end: datetime, tz) -> str:
    a, b = start.astimezone(UTC), end.astimezone(UTC)
    utc = f"{a:%a %Y-%m-%d %H:%M}–{b:%H:%M} UTC" if a.date() == b.date() else f"{_when(a)} – {_when(b)}"
    la, lb = start.astimezone(tz), end.astimezone(tz)
    if tz.key == "UTC":
        return utc
    return f"{utc} ({la:%a %H:%M}–{lb:%H:%M} {la.tzname()})" if la.date() == lb.date() else f"{utc} ({la:%a %H:%M %Z} – {lb:%a %H:%M %Z})"


window_text = _window  # for the authoring commands' echo


def _label(status: str | None) -> str:
    if status is None:
        return "—"
    return COMPONENT_STATUS_LABELS.get(status) or STATUS_LABELS.get(status, status)


def decision_lines(after: Content | None, now: datetime) -> list[str]:
    """The top section: every policy and staleness warning, which a reviewer must decide on.

    The check passes with warnings, so without this a Monday maintenance
    announced at short notice would go green unnoticed.
    """
    if after is None:
        return []
    found = decisions(snapshot(after, now)).sorted()
    if not found:
        return []
    lines = [f"### ⚠️ Needs a reviewer's decision ({len(found)})", "",
             "The check passes, but the site's policy says no to these. Fix them, or merge knowing them "
             "(`statusgen check --strict` fails on them):", ""]
    for p in found:
        lines.append(f"- {code(f'{p.path}:{p.line}')} {md(p.message)}")
    return lines + [""]


def to_markdown(changes: Changes, after: Content | None, now: datetime, problems: Problems,
                base: str, base_error: str | None = None, base_note: str = "") -> str:
    """The pull-request summary."""
    lines = ["## What this change does to the status page", ""]
    lines += decision_lines(after, now)
    lines.append(f"Compared with {code(base)}, both as of {_when(now)}.")
    if base_note:
        lines.append(base_note)
    if base_error:
        lines += ["", f"> **Note:** the content at {code(base)} could not be read ({md(base_error)}), "
                  "so everything below is treated as new."]
    e, w = len(problems.errors), len(problems.warnings)
    lines.append("")
    if e:
        lines.append(f"**Check: ❌ {e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}.** This will not build or deploy.")
    elif w:
        lines.append(f"**Check: ⚠️ {w} warning{'s' * (w != 1)}** (fails with `--strict`).")
    else:
        lines.append("**Check: ✅ no problems.**")
    shown = problems.sorted()[:MAX_PROBLEMS]
    for p in shown:
        lines.append(f"- {code(f'{p.path}:{p.line}')} {p.severity}: {md(p.message)}")
    if len(problems.items) > len(shown):
        lines.append(f"- … and {len(problems.items) - len(shown)} more (see the check output)")
    if after is None:
        return "\n".join(lines) + "\n"
    tz = after.site.timezone
    if changes.empty:
        lines += ["", "No visible change to the public page."]
        return "\n".join(lines) + "\n"

    if changes.components:
        lines += ["", "### Components that change status", "", "| Component | Now | After merge |", "|---|---|---|"]
        for c in changes.components:
            before = "(new component)" if c.before is None else _label(c.before)
            after_label = "(removed)" if c.after is None else _label(c.after)
            lines.append(f"| {md(c.name)} | {md(before)} | **{md(after_label)}** |")

    if changes.events:
        lines += ["", "### Incidents and maintenance notices", ""]
        for ev in changes.events:
            title = f"**{md(ev.state.incident.title)}** ({code(ev.state.id)})"
            status = md(_label(ev.state.status))
            if ev.kind == "opened":
                lines.append(f"- 🔴 Opened: {title}, {status}; impact {md(ev.state.incident.impact)}")
            elif ev.kind == "posted":
                lines.append(f"- Posted, already {status.lower()}: {title}")
            elif ev.kind == "resolved":
                lines.append(f"- ✅ Resolved: {title} ({md(_label(ev.before_status))} → {status})")
            elif ev.kind == "updated":
                move = status if ev.before_status == ev.state.status else f"{md(_label(ev.before_status))} → {status}"
                lines.append(f"- Updated: {title} ({move})")
            elif ev.kind == "edited":
                lines.append(f"- Edited, no new update: {title}")
            else:
                lines.append(f"- ⚠️ Removed from the page: {title} (the file was deleted or renamed)")

    if changes.feed or changes.later:
        lines += ["", f"### Feed entries that will be published ({len(changes.feed)})", ""]
        for entry in changes.feed:
            lines.append(f"- [{md(entry.update.label)}] {md(entry.incident_title)}, {_when(entry.update.at)}")
        for entry in changes.later:
            lines.append(f"- Later, at {_when(entry.update.at)}: [{md(entry.update.label)}] {md(entry.incident_title)}")

    if changes.maintenance:
        policy = after.site.policy
        lines += ["", "### Maintenance", ""]
        for m in changes.maintenance:
            inc = m.state.incident
            title = f"**{md(inc.title)}** ({code(m.state.id)})"
            window = _window(inc.start, inc.end, tz)
            if m.kind == "cancelled":
                lines.append(f"- Cancelled: {title}, {window}")
                continue
            verb = "Announced" if m.kind == "announced" else "Rescheduled"
            moved = f", moved from {_window(*m.old_window, tz)}" if m.old_window else ""
            lines.append(f"- {verb}: {title}, {window}{moved}")
            if inc.emergency:
                lines.append("  - 🚨 Emergency maintenance: the notice rule does not apply.")
            elif m.notice is None:
                lines.append("  - ⚠️ Notice unknown: it has no Scheduled update.")
            elif m.state.status != "scheduled":
                lines.append(f"  - Already {md(_label(m.state.status).lower())}.")
            else:
                ok = "✅" if m.notice >= policy.maintenance_notice else "⚠️"
                lines.append(
                    f"  - {ok} Notice: {human_duration(max(m.notice, timedelta(0)))} from its announcement, "
                    f"{human_duration(max(m.notice_from_now, timedelta(0)))} from now; the policy asks for at least "
                    f"{human_duration(policy.maintenance_notice)}."
                )
    return "\n".join(lines) + "\n"


def summarize(before: Content | None, after: Content | None, now: datetime, problems: Problems,
              base: str, base_error: str | None = None, base_note: str = "") -> str:
    changes = diff(before, after, now) if after is not None else Changes()
    text = to_markdown(changes, after, now, problems, base, base_error, base_note)
    if after is not None and after.site.notify:  # what the notify: channels will be sent (generator/notify)
        text += preview_markdown(before, after, now)
    return text


# --- the "before": the content at a git ref --------------------------------------


class BaseUnavailable(Exception):
    """The content at the base ref cannot be read; the message says why."""


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise BaseUnavailable(f"cannot run git: {exc.strerror or exc}") from None
    if result.returncode:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BaseUnavailable(message[-1] if message else f"git {args[0]} failed")
    return result.stdout


DEFAULT_BRANCHES = ("main", "master", "origin/main", "origin/master")


@dataclass(frozen=True)
class Base:
    """What the summary compares with: a ref, and how it was chosen."""

    ref: str
    merge_base_of: str = ""  # the default branch whose merge base with HEAD `ref` is
    fallback: bool = False  # no default branch was found

    def describe(self) -> str:
        if self.merge_base_of:
            return f"{self.ref}, the merge base of HEAD and {self.merge_base_of}"
        return f"{self.ref} (no default branch found: origin/HEAD, main or master)" if self.fallback else self.ref

    def markdown_note(self) -> str:
        if self.merge_base_of:
            return (f"That is the merge base of `HEAD` and {code(self.merge_base_of)}: "
                    "what this branch changes since it left it.")
        if self.fallback:
            return "No default branch (origin/HEAD, main or master) was found, so this compares with `HEAD`."
        return ""


def default_base(site: Path, base_branch: str = "") -> Base:
    """The "before" of a change, when no --base is given.

    In a pull request (`base_branch`, from $GITHUB_BASE_REF) the base
    branch as fetched, `origin/<branch>`. Elsewhere the merge base of HEAD
    with the default branch (origin/HEAD, else main, else master), so a
    branch holding commits is compared with where it left the default branch,
    and work on the default branch itself with HEAD. Without git or a
    default branch: HEAD.
    """
    if base_branch:
        return Base(f"origin/{base_branch}")
    site = Path(site).resolve()
    try:
        branch = _git(["symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD"], site).decode().strip()
    except BaseUnavailable:
        branch = ""
    candidates = [branch] if branch else []
    for name in DEFAULT_BRANCHES:
        try:
            _git(["rev-parse", "-q", "--verify", f"{name}^{{commit}}"], site)
        except BaseUnavailable:
            continue
        candidates.append(name)
    for name in candidates:
        try:
            sha = _git(["merge-base", "HEAD", name], site).decode().strip()
        except BaseUnavailable:
            continue
        return Base(sha[:12], merge_base_of=name)
    return Base("HEAD", fallback=True)


def read_base(site: Path, ref: str, into: Path) -> Content | None:
    """Load the site's content as it is at git `ref`, extracted under `into`."""
    site = Path(site).resolve()
    prefix = _git(["rev-parse", "--show-prefix"], site).decode().strip()
    data = _git(["archive", "--format=tar", ref, "--", f"{prefix}content"], site)
    _extract(data, Path(into))
    content, problems = load(Path(into) / prefix)
    if content is None:
        raise BaseUnavailable("its content does not load: " + "; ".join(p.format_text() for p in problems.errors[:3]))
    return content


def _extract(data: bytes, into: Path) -> None:
    """Unpack a `git archive` tar under `into`, and never anywhere else.

    Folders and regular files are written; a link is made as a link (never
    followed here), so the loader treats it as it treats one in the working
    tree. Members with absolute or `..` names, members under a link, and any
    other kind of member are skipped.
    """
    root = os.path.realpath(into)
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive:
                parts = [part for part in member.name.split("/") if part not in ("", ".")]
                if not parts or ".." in parts or member.name.startswith("/"):
                    continue
                if not _real_folders(root, parts[:-1]):
                    continue
                dest = os.path.join(root, *parts)
                if member.isdir():
                    if not os.path.lexists(dest):
                        os.mkdir(dest, 0o755)
                elif member.isreg():
                    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(archive.extractfile(member).read())
                elif member.issym():
                    os.symlink(member.linkname, dest)
    except (OSError, tarfile.TarError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BaseUnavailable(f"cannot unpack it: {reason}") from None


def _real_folders(root: str, parts: list[str]) -> bool:
    """Make root/parts… as folders; False when a file or a link is in the way."""
    path = root
    for part in parts:
        path = os.path.join(path, part)
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                return False
        except FileNotFoundError:
            os.mkdir(path, 0o755)
    return True
