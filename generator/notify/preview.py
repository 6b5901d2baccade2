"""The pull request's view of notifications: per channel, the exact messages merging would send.

`messages.preview` decides what (the branch's changes less its base's, both
at the same `now`); `formats.shown` writes each as its subscribers read it.
"""

from __future__ import annotations

import re
from datetime import datetime

from generator.gfm import code, md
from generator.model import Content
from generator.notify import formats
from generator.notify.messages import preview
from generator.terminal import printable


def _fenced(text: str) -> list[str]:
    """A code block that content cannot close early: the fence is longer than any backtick run inside."""
    text = printable(text, keep="\n")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *text.splitlines(), fence]


def preview_markdown(before: Content | None, after: Content, now: datetime) -> str:
    """A Markdown section for `check --summary`; "" when the site has no channels."""
    if not after.site.notify:
        return ""
    previews = preview(before, after, now)
    count = sum(len(p.messages) for p in previews)
    lines = ["", f"### Notifications this change sends ({count})", "",
             "What each `notify:` channel is sent by the deploy after the merge, as its subscribers will read it. "
             "Window openings, closings and reminders still ahead are sent by the scheduled rebuild when they come."]
    quiet = []
    for p in previews:
        name = f"**{md(p.channel.name)}** ({md(p.channel.type)})"
        if p.new:
            lines += ["", f"- {name}: a new channel. Its first deploy records what the page shows then and sends "
                          "nothing, so its subscribers hear only of later changes."]
            continue
        if not p.messages:
            quiet.append(name)
            continue
        lines += ["", f"#### {md(p.channel.name)} ({md(p.channel.type)}): {len(p.messages)} "
                      f"message{'s' * (len(p.messages) != 1)}"]
        for m in p.messages:
            lines += ["", f"Delivery id {code(m.id)}:", "", *_fenced(formats.shown(p.channel, m, after))]
    if quiet:
        lines += ["", f"Nothing for: {', '.join(quiet)}."]
    return "\n".join(lines) + "\n"
