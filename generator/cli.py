"""The `statusgen` command: a thin layer over the library.

The clock is read here, once (`--now`, else SOURCE_DATE_EPOCH, else the
system clock), and passed down.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import click

from generator import __version__
from generator.limits import DEFAULT_MAX_DELETES
from generator.terminal import lines
from generator.timestamps import UTC, TimestampError, parse_now


def read_clock(now: str | None) -> datetime:
    try:
        if now:
            return parse_now(now)
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch:
            return parse_now(epoch)
    except TimestampError as exc:
        raise click.BadParameter(str(exc), param_hint="--now / SOURCE_DATE_EPOCH") from None
    return datetime.now(UTC).replace(microsecond=0)


def site_argument(func):
    return click.argument(
        "site", type=click.Path(file_okay=False, path_type=Path), default=".", required=False
    )(func)


def now_option(func):
    return click.option(
        "--now", metavar="T",
        help="Pretend the time is T (e.g. '2026-11-26 14:00 UTC' or epoch seconds). "
        "Default: $SOURCE_DATE_EPOCH, else the system clock.",
    )(func)


class Main(click.Group):
    """The one place where library failures become messages: no traceback reaches the user."""

    def invoke(self, ctx):
        from generator.errors import StatusgenError, describe_os_error
        from generator.problems import ContentError

        try:
            return super().invoke(ctx)
        except click.ClickException as exc:  # its message may quote content: a title, a file name
            exc.message = lines(exc.message)
            raise
        except ContentError as exc:  # every problem on a line of its own, as `check` prints them
            click.echo(lines(exc.message), err=True)
            ctx.exit(exc.exit_code)
        except StatusgenError as exc:
            error = click.ClickException(lines(exc.message))
            error.exit_code = exc.exit_code
            raise error from None
        except OSError as exc:  # the last net: a file we could not read or write
            raise click.ClickException(lines(describe_os_error(exc))) from None


def echo(text: str, err: bool = False) -> None:
    """click.echo for text that may come from content: no control character reaches the terminal."""
    click.echo(lines(str(text)), err=err)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="statusgen")
def main():
    """statusgen: build a static status page from Markdown incidents.

    \b
    Example:
      statusgen check
      statusgen build --now "2026-11-26 12:00 UTC"
      statusgen serve
    """


@main.command()
@site_argument
@now_option
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "github", "json"]), default="text", show_default=True,
              help="github prints GitHub Actions annotations.")
@click.option("--summary", "summary_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append a Markdown summary of what this change does to the public page to FILE.")
@click.option("--base", metavar="REF",
              help="The git ref to compare with for --summary. Default: origin/$GITHUB_BASE_REF if set, else the "
              "merge base of HEAD and the default branch (origin/HEAD, main or master).")
def check(site, now, strict, fmt, summary_file, base):
    """Validate the content of SITE and report every problem at once.

    \b
    Example:
      statusgen check --strict --format github
      statusgen check --summary "$GITHUB_STEP_SUMMARY" --base origin/main
    """
    from generator.content import load
    from generator.problems import format_problems
    from generator.review import review
    from generator.status import snapshot

    clock = read_clock(now)
    _content, problems = load(site)
    if _content is not None:
        review(snapshot(_content, clock), problems)
    if summary_file:
        _write_summary(site, _content, problems, clock, summary_file, base)
    report = format_problems(problems.sorted(), fmt)
    if fmt == "json":
        click.echo(report)
    elif report:
        click.echo(report, err=fmt == "text")
    if fmt == "text":
        e, w = len(problems.errors), len(problems.warnings)
        click.echo(f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}", err=True)
    sys.exit(1 if problems.failed(strict) else 0)


def _write_summary(site, content, problems, clock, summary_file, base):
    import tempfile

    from generator.summary import Base, BaseUnavailable, default_base, read_base, summarize

    chosen = Base(base) if base else default_base(site, os.environ.get("GITHUB_BASE_REF", "").strip())
    echo(f"summary: compared with {chosen.describe()}", err=True)
    before, error = None, None
    with tempfile.TemporaryDirectory(prefix="statusgen-base-") as tmp:
        try:
            before = read_base(site, chosen.ref, Path(tmp))
        except BaseUnavailable as exc:
            error = str(exc)
    text = summarize(before, content if not problems.errors else None, clock, problems, chosen.ref, error,
                     chosen.markdown_note())
    with open(summary_file, "a", encoding="utf-8") as handle:
        handle.write(text)


@main.group()
def new():
    """Create a new incident or maintenance file.

    \b
    Example:
      statusgen new incident "Elevated API errors" --component api=partial_outage
    """


def site_option(func):
    return click.option(
        "--site", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
        help="The site folder. Default: the first folder from here up that holds content/site.yaml.",
    )(func)


def _report(posted, tz, notes=()) -> None:
    """A write: the human lines on stderr (what was stamped, notes, warnings), the path alone on stdout."""
    from generator.authoring import describe_post

    echo(describe_post(posted, tz), err=True)
    for line in (*posted.notes, *notes, *posted.warnings):
        echo(line, err=True)
    echo(str(posted.path))


def _create(site, kind, title, components, now, message, start=None, end=None):
    from generator.authoring import create_event, find_site, read_settings
    from generator.timestamps import parse_timestamp

    clock = read_clock(now)
    root = find_site(site)
    settings = read_settings(root)
    tz = settings.site.timezone
    notes = []
    if kind == "maintenance":
        try:
            start, end = parse_timestamp(start, tz), parse_timestamp(end, tz)
        except TimestampError as exc:
            raise click.BadParameter(str(exc)) from None
        from generator.summary import window_text

        notes.append(f"window: {window_text(start, end, tz)}")
    posted = create_event(root, kind, title, list(components), clock, message or "", start, end, settings)
    _report(posted, tz, notes)


@new.command("incident")
@click.argument("title")
@click.option("--component", "-c", "components", multiple=True, metavar="ID=STATUS",
              help="An affected component and its status (degraded_performance, partial_outage, major_outage). Repeatable.")
@click.option("--message", "-m", help="The first update's text.")
@site_option
@now_option
def new_incident(title, components, message, site, now):
    """Open a new incident, with a first 'Investigating' update stamped now.

    Prints the new file's path on stdout, and what was stamped and what
    `check` says about the file on stderr.

    \b
    Example:
      statusgen new incident "Elevated API errors" -c api=partial_outage -m "We are looking into it."
    """
    _create(site, "incident", title, components, now, message)


@new.command("maintenance")
@click.argument("title")
@click.option("--start", required=True, metavar="T", help="When the window opens, e.g. '2026-12-02 06:00 Europe/Berlin'.")
@click.option("--end", required=True, metavar="T", help="When the window closes.")
@click.option("--component", "-c", "components", multiple=True, metavar="ID[=STATUS]",
              help="An affected component (status defaults to under_maintenance). Repeatable.")
@click.option("--message", "-m", help="The announcement's text.")
@site_option
@now_option
def new_maintenance(title, start, end, components, message, site, now):
    """Announce a maintenance window, with a 'Scheduled' update stamped now.

    Times without a zone are read in the site's time zone. The policy's
    warnings (notice, avoided times) are printed at once.

    \b
    Example:
      statusgen new maintenance "Database upgrade" --start "2026-12-02 06:00" --end "2026-12-02 07:00" -c api
    """
    _create(site, "maintenance", title, components, now, message, start, end)


def _post(site, ref, status, message, at, now):
    """Shared by `update` and `resolve`: stamp, ask the editor if needed, insert, check, write, report."""
    from generator.authoring import (
        AuthoringError, editor_template, find_site, open_event, post_update, reading_notes, strip_comments,
    )
    from generator.timestamps import parse_at

    clock = read_clock(now)
    try:
        event = open_event(find_site(site), ref)
        status = event.status(status)
        reading = parse_at(at, event.site.timezone, clock) if at else None
        when = reading.at if reading else clock
        if message is None:
            if not (os.environ.get("VISUAL") or os.environ.get("EDITOR")):
                raise AuthoringError("give the message as an argument, or set $EDITOR to write it in an editor")
            stamp = event.stamp_for(when, exact=reading is not None)
            written = click.edit(editor_template(event.incident.title, status, stamp), extension=".md")
            message = strip_comments(written or "")
            if not message:
                raise AuthoringError("aborting: the message is empty; nothing was written")
        posted = post_update(event, status, message, when, now=clock, exact=reading is not None)
    except TimestampError as exc:
        raise click.ClickException(str(exc)) from None
    _report(posted, event.site.timezone, reading_notes(reading, posted.at, clock, event.site.timezone))


AT_HELP = ("The update's time (default: now): '2026-11-26 14:02', or a time of day, '14:02', meaning today. "
           "Without a zone ('14:02 UTC', '14:02 -05:00') it is read in the site's zone.")


@main.command()
@click.argument("ref", metavar="ID")
@click.argument("status")
@click.argument("message", required=False)
@click.option("--at", metavar="T", help=AT_HELP)
@site_option
@now_option
def update(ref, status, message, at, site, now):
    """Post an update to incident or maintenance ID, on top of its updates.

    STATUS is investigating, identified, monitoring, update, resolved or
    postmortem for an incident; scheduled, "in progress", verifying,
    completed, cancelled or update for a maintenance. Without MESSAGE,
    $EDITOR opens, as with git commit. Prints the file's path on stdout, and
    the time stamped (in UTC and the site's zone) and any warnings on stderr.

    \b
    Example:
      statusgen update 2026-11-26-api-errors monitoring "A fix is out; error rates are back to normal."
      statusgen update api-errors identified "A bad deploy; rolling back." --at "14:02"
    """
    _post(site, ref, status, message, at, now)


@main.command()
@click.argument("ref", metavar="ID")
@click.argument("message", required=False)
@click.option("--at", metavar="T", help=AT_HELP)
@site_option
@now_option
def resolve(ref, message, at, site, now):
    """Resolve incident ID (or complete maintenance ID) with a final update.

    \b
    Example:
      statusgen resolve 2026-11-26-api-errors "Error rates have been normal for an hour. Sorry for the trouble."
    """
    _post(site, ref, None, message, at, now)


@main.command()
@click.argument("target", metavar="DIR", type=click.Path(path_type=Path), default=".", required=False)
@click.option("--requirement", metavar="SPEC",
              help="What requirements.txt (and so every workflow) installs. Default: statusgen==<this version>. "
              "E.g. 'statusgen @ git+https://github.com/ORG/statusgen@v0.2.0'.")
@click.option("--git/--no-git", "git", default=None,
              help="Run 'git init -b main' when DIR is not in a git repository. Default: ask, when run in a terminal.")
@click.option("--lock/--no-lock", "lock", default=True, envvar="STATUSGEN_INIT_LOCK", show_default=True,
              help="Write the hash-locked requirements.txt (pip resolves through its configured index); "
              "else run 'statusgen lock' later.")
@now_option
def init(target, requirement, git, lock, now):
    """Start a new status repository in DIR (default: here), which must be new, empty,
    or a fresh clone holding only .git, README, LICENSE and the like. No file is overwritten.

    It holds example settings, components, one example incident (a draft), the
    GitHub workflows (check, deploy, scheduled rebuild) and STAFF.md for the team.

    \b
    Example:
      statusgen init my-status && cd my-status && statusgen check && statusgen build
      git clone git@github.com:acme/status.git && cd status && statusgen init
    """
    from generator import scaffold

    done = scaffold.init(target, read_clock(now), requirement, lock=lock)
    for path in done.written:
        echo(f"wrote {path}")
    if done.locked:
        echo(f"locked {Path(target) / 'requirements.txt'} (every package pinned with its sha256)")
    elif done.lock_error:
        echo(f"not locked: {done.lock_error}\n  requirements.txt is marked unlocked and the workflows refuse it: "
                   "run 'statusgen lock' there, then commit it", err=True)
    for path in done.kept:
        echo(f"kept  {path} (it was already there)")
    if done.gitignore_added:
        click.echo(f"added {', '.join(done.gitignore_added)} to {Path(target) / '.gitignore'}")
    if not scaffold.in_git_repository(target):
        if git is None and sys.stdin.isatty():
            git = click.confirm(f"{target} is not a git repository. Run 'git init -b main' there?", default=True)
        if git:
            scaffold.git_init(target)
            click.echo(f"initialized a git repository in {target} (branch main)")
        else:
            click.echo("not a git repository yet: run 'git init -b main' there (the workflows deploy from main)")
    click.echo("\n" + scaffold.next_steps(target))


@main.command()
@click.argument("topic", required=False)
def docs(topic):
    """Print one of statusgen's guides (Markdown), or list them.

    \b
    Example:
      statusgen docs
      statusgen docs deploy | less
    """
    from generator.guides import DOCS_URL, guide, topics

    if topic:
        click.echo(guide(topic), nl=False)
        return
    for name, heading in topics().items():
        click.echo(f"{name:10} {heading}")
    click.echo(f"\nstatusgen docs TOPIC prints one. On the web: {DOCS_URL}")


@main.command()
@click.argument("language", required=False)
@site_option
def messages(language, site):
    """Print the theme's messages as a gettext catalog, to translate the theme.

    Without LANGUAGE: the template of every message (messages.pot). With it: a catalog
    for that language, with the translations the site's theme already has (none for a
    new language). Save it as themes/<theme>/locale/<lang>/LC_MESSAGES/messages.po in
    the site; `statusgen docs themes` says more.

    \b
    Example:
      statusgen messages > messages.pot
      statusgen messages nl > themes/default/locale/nl/LC_MESSAGES/messages.po
    """
    from generator.language import starter
    from generator.themes import DEFAULT_THEME, theme_boundary, theme_dirs

    root, theme = Path("."), DEFAULT_THEME
    if site is not None or _inside_a_site():
        from generator.authoring import find_site, read_settings

        root = find_site(site)
        theme = read_settings(root).site.theme
    if language is not None:
        import langcodes

        if not langcodes.tag_is_valid(language):
            raise click.BadParameter(f"{language!r} is not a BCP 47 language tag such as nl, de or pt-BR",
                                     param_hint="LANGUAGE")
    click.echo(starter(theme_dirs(root, theme), language, root, theme_boundary(root)).decode("utf-8"), nl=False)


def _inside_a_site() -> bool:
    here = Path.cwd()
    return any((folder / "content" / "site.yaml").is_file() for folder in (here, *here.parents))


def _duration(ctx, param, value):
    from generator.timestamps import parse_duration

    try:
        return None if value is None else parse_duration(value)
    except TimestampError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command("next-change")
@site_argument
@now_option
@click.option("--due-within", metavar="D", callback=_duration,
              help="Exit 0 if the site goes stale within D (e.g. 6m), else 1.")
@click.option("--lookback", metavar="D", callback=_duration,
              help="Also count a change in the last D as due, for scheduled runs that were late or skipped.")
@click.option("--wait", is_flag=True, help="With --due-within: when due later, sleep until then, so a build after it is current.")
def next_change_command(site, now, due_within, lookback, wait):
    """Print the next instant (UTC) at which the built site becomes stale, or "none".

    Exit codes with --due-within: 0 due, 1 not due, 2 content errors.

    \b
    Example:
      statusgen next-change --due-within 6m --lookback 15m --wait && statusgen deploy
    """
    import time

    from generator.content import load
    from generator.problems import format_problems
    from generator.schedule import is_due, next_stale
    from generator.timestamps import isoformat

    clock = read_clock(now)
    since = clock - lookback if lookback else clock
    content, problems = load(site)
    if content is None or problems.errors:
        click.echo(format_problems(problems.sorted(), "text"), err=True)
        sys.exit(2)
    stale = next_stale(content, since)
    click.echo(isoformat(stale.at) if stale.at else "none")
    echo(f"({stale.reason})", err=True)
    if due_within is None:
        return
    if not is_due(stale.at, clock, due_within):
        sys.exit(1)
    if wait and stale.at > clock:
        time.sleep((stale.at - clock).total_seconds())


@main.command()
@site_argument
@now_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output folder. Default: SITE/output.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the rendered-Markdown cache (SITE/.statusgen-cache/).")
def build(site, now, out, no_cache):
    """Check the content, then render the whole site into the output folder.

    \b
    Example:
      statusgen build --now "2026-11-26 12:00 UTC" --out /tmp/site
    """
    from generator.build import CACHE_FILE, build as build_site

    result = build_site(site, read_clock(now), out, cache=None if no_cache else site / CACHE_FILE)
    echo(f"built {result.files} files ({result.bytes / 1e6:.1f} MB) into {result.out}", err=True)


@main.command()
@site_argument
@now_option
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1 (0 picks a free one).")
def serve(site, now, port):
    """Build SITE, serve it on 127.0.0.1 and rebuild whenever content/ or themes/ change.

    \b
    Example:
      statusgen serve --now "2026-11-26 12:00 UTC"
    """
    from generator.serve import serve as serve_site

    read_clock(now)  # reject a bad --now before serving
    serve_site(site, lambda: read_clock(now), echo, port)


@main.command()
@site_argument
def lock(site):
    """Write SITE/requirements.txt: SITE/requirements.in resolved by pip, every package
    pinned with the sha256 of its files, for this machine and the workflows' runner.

    pip uses its configured index (PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf).

    \b
    Example:
      echo "statusgen==0.2.0" > requirements.in && statusgen lock && git add requirements.*
    """
    from generator.lock import lock as write_lock

    click.echo(f"wrote {write_lock(site)}")


@main.command()
@site_argument
def targets(site):
    """Print the name of every deploy target in SITE/content/site.yaml, one a line (nothing when none).

    The workflows use it to skip deploying, with a notice, until a target is set.

    \b
    Example:
      test -n "$(statusgen targets)" && statusgen deploy
    """
    for target in _deploy_targets(site):
        click.echo(target.name)


def _deploy_targets(site: Path):
    """Only site.yaml's `deploy:` list: deploying never needs the incidents parsed twice."""
    return _site_settings(site).deploy


def _site_settings(site: Path):
    """content/site.yaml alone, validated."""
    from generator.content import read_site
    from generator.problems import ContentError, Problems

    problems = Problems()
    settings = read_site(site, problems)
    if settings is None or problems.errors:
        raise ContentError(problems)
    return settings


@main.command()
@site_argument
@click.option("--target", "names", multiple=True, metavar="NAME", help="Deploy only this target from site.yaml. Repeatable.")
@click.option("--dry-run", is_flag=True, help="Print the plan (upload, header update, delete, unchanged); change nothing.")
@click.option("--no-delete", is_flag=True, help="Leave stale objects in the bucket.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=DEFAULT_MAX_DELETES, show_default=True,
              help="Delete nothing when more stale objects than this are found.")
@click.option("--from", "from_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Ship this existing build instead of checking and building SITE.")
@click.option("--setup", is_flag=True, help="Also apply the bucket's CORS rule for the JSON API and embed.js.")
@click.option("--verify", is_flag=True, help="HEAD every object (finds headers edited by hand) instead of trusting the listing.")
@click.option("--no-notify", is_flag=True,
              help="Send no notifications now; what the page shows is still recorded, and `statusgen notify` "
              "(or the next deploy) sends it.")
@now_option
def deploy(site, names, dry_run, no_delete, max_deletes, from_dir, setup, verify, no_notify, now):
    """Check and build SITE, then publish it to every S3 target in site.yaml,
    then tell the notify: channels what the page newly shows.

    Credentials come from the standard AWS chain (environment, profile, SSO, role).

    \b
    Example:
      statusgen deploy --dry-run
      statusgen deploy --target primary --from output/
    """
    from generator.publish.deploy import deploy as publish
    from generator.publish.model import Options
    from generator.publish.plan import select_targets

    settings = _site_settings(site)
    targets = select_targets(settings.deploy, names)
    clock = read_clock(now)
    if from_dir is None:
        from generator.build import CACHE_FILE, build as build_site  # not imported for --from: start-up counts

        from_dir = build_site(site, clock, cache=site / CACHE_FILE).out
    folder = from_dir
    options = Options(dry_run=dry_run, delete=not no_delete, max_deletes=max_deletes, setup=setup, verify=verify)
    _echo_events(_printable_events(publish(folder, targets, options)), tty=sys.stderr.isatty())
    if settings.notify:  # only once every target is published (_echo_events raised otherwise)
        from generator.notify.dispatch import after_deploy

        record, send, note = after_deploy(settings.deploy, targets)
        if note:
            echo(note)
        if record:
            _notify(site, clock, publishing=True, deliver=send and not no_notify, dry_run=dry_run, options=options)


def _echo_events(events, tty: bool = False) -> None:
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
        raise click.ClickException(f"deploy failed for {len(failed)} target(s): {', '.join(failed)}")


def _checked_content(site, clock):
    from generator.content import load
    from generator.problems import ContentError

    from generator.review import review
    from generator.status import snapshot

    content, problems = load(site)
    if content is not None:
        review(snapshot(content, clock), problems)
    if content is None or problems.errors:
        raise ContentError(problems)
    return content


def _transport():
    """Sending sleeps between retries and signs with the time it sends at: both read here, in the CLI."""
    import time

    from generator.notify.delivery import Transport

    return Transport(sleep=time.sleep, wall=time.time)


def _notify(site, clock, *, publishing, deliver=True, dry_run=False, options=None):
    """Run the notifications for the content at `clock`, against the ledger in the first target's bucket."""
    from generator.notify.dispatch import dispatch, ledger_store
    from generator.publish.plan import select_targets

    content = _checked_content(site, clock)
    store = ledger_store(select_targets(content.site.deploy, ()), options)
    _echo_notify(dispatch(content, clock, store, os.environ, _transport(), publishing=publishing, deliver=deliver,
                          dry_run=dry_run))


def _echo_notify(events) -> None:
    """Print notify events; fail naming every channel that failed."""
    from generator.errors import StatusgenError

    failed = []
    for event in events:
        echo(event.text, err=not event.ok)
        if not event.ok and event.channel not in failed:
            failed.append(event.channel)
    if failed:
        raise StatusgenError(f"notify failed for {len(failed)} channel(s): {', '.join(failed)}")


@main.command()
@site_argument
@click.option("--dry-run", is_flag=True, help="Print what would be sent now, and to which channel; send and record nothing.")
@click.option("--test", "test_channel", metavar="CHANNEL", help="Send a test message to CHANNEL (no ledger, no bucket).")
@now_option
def notify(site, dry_run, test_channel, now):
    """Tell the notify: channels in site.yaml what the published page shows and they were not told yet.

    `statusgen deploy` does this itself once every target is published; run it
    after `deploy --no-notify`, or after deploying targets one by one. It never
    tells of anything the last deploy did not publish. The ledger of what was
    sent lives in the first deploy target's bucket.

    \b
    Example:
      statusgen notify --dry-run
      statusgen notify --test ops-slack
      statusgen deploy --no-notify && statusgen notify
    """
    clock = read_clock(now)
    if test_channel:
        from generator.notify.dispatch import send_sample

        _echo_notify(send_sample(_checked_content(site, clock), test_channel, clock, os.environ, _transport()))
        return
    if not _site_settings(site).notify:
        echo("notify: no channels: add a notify: list to content/site.yaml (statusgen docs notify)")
        return
    _notify(site, clock, publishing=False, dry_run=dry_run)


def _printable_events(events):
    """Deploy lines name keys, and a bucket may hold keys anyone wrote: escape them for the terminal."""
    from dataclasses import replace

    for event in events:
        yield replace(event, target=lines(event.target), text=lines(event.text))

