"""Each service's payload for one message, as the service documents it. Pure: same message, same bytes.

| type        | what is sent |
|-------------|--------------|
| slack       | Block Kit blocks with a fallback `text` (incoming webhook) |
| teams       | an Adaptive Card in a `message` (a Teams Workflows webhook) |
| discord     | one embed (execute webhook), mentions off |
| google-chat | a card v2 with a fallback `text` (incoming webhook), `requestId` for idempotence |
| mattermost  | Slack-compatible `text` and `attachments` (incoming webhook) |
| webhook     | Statuspage's own webhook JSON (`meta`, `page`, `incident` or `component`) |
| mastodon    | a status of at most 500 characters with the link (`POST /api/v1/statuses`) |
| sns         | a Publish: an ASCII subject, a plain-text body, attributes for filter policies |

Text is cut to each service's limits, always keeping the link. Words from
content cannot ping anyone (@-mentions are broken with a zero-width space
where a service would act on them) or inject markup (escaped per service).
Secrets and the signature are added in `delivery`, not here.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from generator.api import Objects, component_id, short_id
from generator.guides import DOCS_URL
from generator.model import COMPONENT_STATUS_LABELS, Content
from generator.notify.channels import Channel
from generator.notify.messages import Message
from generator.status import Snapshot
from generator.timestamps import UTC

MORE = "…"
MENTION = re.compile(r"@(?=[\w.-])")  # @user, @channel, @here, @all, @user@server
MASTODON_LIMIT = 500
MASTODON_URL_LENGTH = 23  # Mastodon counts every link as 23 characters, whatever its length
SNS_SUBJECT_LIMIT = 99  # "less than 100 characters", ASCII, no line breaks
SNS_BODY_LIMIT = 200_000  # of the 256 KiB a message may hold, with room for the attributes
# How much of an update's text each chat service shows before "…" (its documented limits, less room for the rest).
TEXT_LIMITS = {"slack": 3000, "teams": 8000, "discord": 4096, "google-chat": 4000, "mattermost": 4000}
COLOURS = {"resolved": 0x2E7D32, "maintenance": 0x1565C0, "cancelled": 0x757575,
           "none": 0xF9A825, "minor": 0xF9A825, "major": 0xEF6C00, "critical": 0xC62828}
JSON = "application/json"


@dataclass(frozen=True)
class Outgoing:
    """One request: an HTTP POST of `body` (to the channel's URL, plus `path` and `query`) or an SNS Publish."""

    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    path: str = ""  # after the base URL (Mastodon's /api/v1/statuses)
    query: dict = field(default_factory=dict)  # added to the URL's query (Google Chat's requestId)
    sns: dict | None = None  # Publish's arguments besides TopicArn


# --- text ------------------------------------------------------------------------------


def cut(text: str, limit: int, more: str = MORE) -> str:
    """`text` in at most `limit` characters: whole words where it can, `more` when it had to cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    room = max(limit - len(more), 0)
    space = text.rfind(" ", 0, room + 1)
    end = space if space > room // 2 else room  # a word boundary, unless that loses half
    return text[:end].rstrip() + more


def fit(text: str, limit: int, escape) -> str:
    """`escape(cut(text, n))` for the largest n that keeps it within `limit` (escaping may lengthen it)."""
    n = limit
    while True:
        out = escape(cut(text, n))
        if len(out) <= limit or n <= 1:
            return out
        n -= max(1, len(out) - limit)


def when(at: datetime, tz) -> str:
    """`Thu 2026-11-26 09:35 UTC (10:35 CET)`."""
    utc = at.astimezone(UTC)
    text = f"{utc:%a %Y-%m-%d %H:%M} UTC"
    if getattr(tz, "key", "UTC") == "UTC":
        return text
    local = at.astimezone(tz)
    day = f"{local:%a} " if local.date() != utc.date() else ""
    return f"{text} ({day}{local:%H:%M} {local.tzname()})"


def window_text(window, tz) -> str:
    start, end = window
    a, b = start.astimezone(UTC), end.astimezone(UTC)
    text = f"{a:%a %Y-%m-%d %H:%M}–{b:%H:%M} UTC" if a.date() == b.date() else f"{a:%a %Y-%m-%d %H:%M} UTC – {b:%a %Y-%m-%d %H:%M} UTC"
    if getattr(tz, "key", "UTC") == "UTC":
        return text
    la, lb = start.astimezone(tz), end.astimezone(tz)
    return f"{text} ({la:%a %H:%M}–{lb:%H:%M} {la.tzname()})" if la.date() == lb.date() else \
        f"{text} ({la:%a %H:%M %Z} – {lb:%a %H:%M %Z})"


def heading(message: Message) -> str:
    return f"[{message.label}] {message.title}"


def impact_lines(message: Message) -> list[str]:
    """"API: Partial outage" per affected component (what the event does to it)."""
    return [f"{a.name}: {COMPONENT_STATUS_LABELS[a.status]}" for a in message.components]


def details(message: Message, content: Content) -> list[str]:
    """The lines every format carries besides the title and the text: when, the window, the components."""
    tz = content.site.timezone
    out = [f"{message.label} · {when(message.at, tz)}"]
    if message.window:
        out.append(f"Window: {window_text(message.window, tz)}")
    if message.components and not message.component:
        out.append("Affected: " + "; ".join(impact_lines(message)))
    return out


def plain(message: Message, content: Content, limit: int | None = None) -> str:
    """The message as plain text: heading, details, the text (cut to fit `limit` in all), the link."""
    head = [heading(message), content.site.title, *details(message, content)]
    fixed = "\n".join(head) + "\n\n\n\n" + message.url
    text = message.text if limit is None else cut(message.text, max(limit - len(fixed), 0))
    return "\n".join(head) + (f"\n\n{text}" if text else "") + f"\n\n{message.url}"


def unmention(text: str) -> str:
    """@-mentions made inert: a zero-width space after "@" (it reads the same)."""
    return MENTION.sub("@\u200b", text)


def ascii_line(text: str) -> str:
    """ASCII only, one line: what an SNS subject (and an email subject through it) may hold."""
    text = text.replace("–", "-").replace("—", "-").replace("…", "...").replace("’", "'").replace("“", '"').replace("”", '"')
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join("".join(c if 32 <= ord(c) < 127 else " " for c in text).split())


def colour(message: Message) -> int:
    if message.status in ("resolved", "postmortem", "completed", "operational"):
        return COLOURS["resolved"]
    if message.status == "cancelled":
        return COLOURS["cancelled"]
    if message.impact == "maintenance" or message.status == "under_maintenance":
        return COLOURS["maintenance"]
    return COLOURS.get(message.impact, COLOURS["minor"])


def _json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def digest(delivery_id: str) -> str:
    """A delivery id as 64 hex characters, for headers and ids with a character set of their own."""
    return hashlib.sha256(delivery_id.encode()).hexdigest()


# --- services ----------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(message: Message, content: Content) -> dict:
    """Block Kit: header ≤ 150, section text ≤ 3,000, ≤ 10 fields of ≤ 2,000; `text` is the notification's fallback."""
    tz = content.site.timezone
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(message.title, 150), "emoji": False}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(
            f"{message.label} · {when(message.at, tz)} · {content.site.title}", 3000, _slack_escape)}]},
    ]
    if message.text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(message.text, TEXT_LIMITS["slack"], _slack_escape)}})
    if message.window:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(
            f"Window: {window_text(message.window, tz)}")}]})
    if message.components and not message.component:
        if len(message.components) <= 10:
            blocks.append({"type": "section", "fields": [
                {"type": "mrkdwn", "text": fit(f"{a.name}\n{COMPONENT_STATUS_LABELS[a.status]}", 2000, _slack_escape)}
                for a in message.components]})
        else:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(
                "\n".join(impact_lines(message)), 3000, _slack_escape)}})
    blocks.append({"type": "actions", "elements": [{
        "type": "button", "text": {"type": "plain_text", "text": "View on the status page"}, "url": message.url}]})
    return {"text": fit(f"{heading(message)}: {message.url}", 3000, _slack_escape), "blocks": blocks}


def mattermost(message: Message, content: Content) -> dict:
    """Slack-compatible attachments, which Mattermost renders; mentions made inert."""
    tz = content.site.timezone
    fields = [{"short": True, "title": unmention(a.name), "value": COMPONENT_STATUS_LABELS[a.status]}
              for a in message.components if not message.component]
    if message.window:
        fields.append({"short": False, "title": "Window", "value": window_text(message.window, tz)})
    attachment = {
        "fallback": unmention(f"{heading(message)}: {message.url}"),
        "color": f"#{colour(message):06x}",
        "title": unmention(cut(message.title, 250)),
        "title_link": message.url,
        "text": unmention(cut(message.text, TEXT_LIMITS["mattermost"])),
        "fields": fields,
        "footer": unmention(f"{content.site.title} · {message.label} · {when(message.at, tz)}"),
    }
    return {"text": unmention(f"**{message.label}:** {cut(message.title, 250)}"), "attachments": [attachment]}


def teams(message: Message, content: Content) -> dict:
    """An Adaptive Card (1.4, which Teams renders everywhere) as a Workflows webhook takes it."""
    tz = content.site.timezone
    body = [
        {"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": f"{message.label} · {when(message.at, tz)}", "isSubtle": True, "spacing": "None",
         "wrap": True},
    ]
    if message.text:
        body.append({"type": "TextBlock", "text": cut(message.text, TEXT_LIMITS["teams"]), "wrap": True})
    facts = [{"title": a.name, "value": COMPONENT_STATUS_LABELS[a.status]} for a in message.components
             if not message.component]
    if message.window:
        facts.append({"title": "Window", "value": window_text(message.window, tz)})
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "View on the status page", "url": message.url}],
    }
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def discord(message: Message, content: Content) -> dict:
    """One embed: title ≤ 256, description ≤ 4,096, ≤ 25 fields, footer ≤ 2,048, 6,000 in all; nobody pinged."""
    tz = content.site.timezone
    fields = [{"name": cut(a.name, 256), "value": cut(COMPONENT_STATUS_LABELS[a.status], 1024), "inline": True}
              for a in message.components[:24] if not message.component]
    if message.window:
        fields.append({"name": "Window", "value": window_text(message.window, tz), "inline": False})
    title = cut(heading(message), 256)
    footer = cut(f"{content.site.title} · {when(message.at, tz)}", 2048)
    used = len(title) + len(footer) + sum(len(f["name"]) + len(f["value"]) for f in fields)
    embed = {
        "title": title,
        "url": message.url,
        "description": cut(message.text, min(TEXT_LIMITS["discord"], 6000 - used)) or message.label,
        "color": colour(message),
        "timestamp": message.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "fields": fields,
        "footer": {"text": footer},
    }
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def _chat_escape(text: str) -> str:
    # Chat cards read a little HTML; content's words stay words.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def google_chat(message: Message, content: Content) -> dict:
    """A card v2 (header, the text, the components, a button) and a fallback `text` for notifications."""
    tz = content.site.timezone
    sections = []
    if message.text:
        sections.append({"widgets": [{"textParagraph": {"text": fit(message.text, TEXT_LIMITS["google-chat"], _chat_escape)}}]})
    facts = [{"decoratedText": {"topLabel": _chat_escape(a.name), "text": COMPONENT_STATUS_LABELS[a.status]}}
             for a in message.components if not message.component]
    if message.window:
        facts.append({"decoratedText": {"topLabel": "Window", "text": window_text(message.window, tz)}})
    if facts:
        sections.append({"header": "Affected", "widgets": facts})
    sections.append({"widgets": [{"buttonList": {"buttons": [
        {"text": "View on the status page", "onClick": {"openLink": {"url": message.url}}}]}}]})
    card = {
        "header": {"title": _chat_escape(cut(message.title, 200)),
                   "subtitle": _chat_escape(f"{message.label} · {when(message.at, tz)}")},
        "sections": sections,
    }
    return {"text": cut(f"{heading(message)}: {message.url}", 4000),
            "cardsV2": [{"cardId": f"statusgen-{digest(message.id)[:16]}", "card": card}]}


def mastodon_status(message: Message, content: Content) -> str:
    """At most 500 characters as Mastodon counts them (the link as 23): heading, text, components, link."""
    head = cut(unmention(heading(message)), 200)
    tail = []
    if message.window:
        tail.append(f"Window: {window_text(message.window, content.site.timezone)}")
    if message.components and not message.component:
        tail.append(unmention("Affected: " + "; ".join(impact_lines(message))))
    rest = cut("\n".join(tail), 150)

    def build(text: str) -> str:
        return "\n\n".join(part for part in (head, text, rest) if part) + "\n\n" + message.url

    text = unmention(message.text)
    room = len(text)
    while True:  # the text gives way until the whole fits
        status = build(cut(text, room) if room > 0 else "")
        over = mastodon_length(status) - MASTODON_LIMIT
        if over <= 0 or room <= 0:
            return status
        room -= over


def mastodon_length(status: str) -> int:
    """The length Mastodon counts: every http(s) link as 23 characters."""
    return len(re.sub(r"https?://\S+", "x" * MASTODON_URL_LENGTH, status))


def sns(message: Message, content: Content, topic_arn: str) -> dict:
    """Publish's arguments: an ASCII subject under 100 characters, the plain text, and attributes to filter on.

    `components` (String.Array) lists every affected component and its group,
    so a filter policy {"components": ["api"]} picks one; `component.<id>`
    carries each component's impact for policies that test one by name.
    """
    catalog = content.catalog
    ids = []
    for a in message.components:
        ids.append(a.id)
        component = catalog.component(a.id)
        if component is not None and component.group_id and component.group_id not in ids:
            ids.append(component.group_id)
    attributes = {
        "event": {"DataType": "String", "StringValue": message.event},
        "status": {"DataType": "String", "StringValue": message.status},
        "delivery_id": {"DataType": "String", "StringValue": message.id},
    }
    if ids:
        attributes["components"] = {"DataType": "String.Array", "StringValue": json.dumps(ids)}
    for a in message.components:
        attributes[f"component.{a.id}"] = {"DataType": "String", "StringValue": a.status}
    subject = cut(ascii_line(heading(message)), SNS_SUBJECT_LIMIT, "...") or "Status update"
    args = {"Subject": subject, "Message": plain(message, content, SNS_BODY_LIMIT),
            "MessageAttributes": attributes}
    if topic_arn.endswith(".fifo"):
        # A FIFO topic drops a repeat of the same deduplication id within five minutes.
        args.update(MessageGroupId="statusgen", MessageDeduplicationId=digest(message.id))
    return args


def webhook(message: Message, content: Content) -> dict:
    """Statuspage's outgoing webhook: `meta`, `page`, then `incident` (the API's incident object, as the
    page showed it at the change) or, for a component change, `component` and `component_update`."""
    snap = Snapshot(content, message.at)
    objects = Objects(snap)
    at = message.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    out = {
        "meta": {"unsubscribe": content.site.url, "documentation": f"{DOCS_URL}/notify.md", "generated_at": at},
        "page": {"id": objects.page_id, "status_indicator": snap.indicator, "status_description": snap.description},
    }
    if message.component:
        out["component"] = objects.component(content.catalog.component(message.component))
        out["component_update"] = {
            "old_status": message.old_status, "new_status": message.status, "created_at": at,
            "component_type": "Component", "id": short_id("component_update", message.id),
            "component_id": component_id(message.component),
        }
        return out
    out["incident"] = objects.incident(snap.events[message.incident.id])
    return out


def render(channel: Channel, message: Message, content: Content) -> Outgoing:
    """The request that delivers `message` on `channel` (secrets, signature and auth come later)."""
    kind = channel.type
    if kind == "sns":
        return Outgoing(sns=sns(message, content, channel.topic_arn or ""))
    if kind == "mastodon":
        body = {"status": mastodon_status(message, content), "visibility": "public"}
        language = content.site.language.split("-")[0].lower()
        if len(language) == 2:
            body["language"] = language
        # Mastodon keeps an Idempotency-Key for an hour: a resend after a kill posts nothing twice.
        return Outgoing(_json(body), (("Content-Type", JSON), ("Idempotency-Key", digest(message.id))),
                        path="/api/v1/statuses")
    if kind == "google-chat":
        return Outgoing(_json(google_chat(message, content)), (("Content-Type", "application/json; charset=UTF-8"),),
                        query={"requestId": digest(message.id)[:32]})
    builders = {"slack": slack, "teams": teams, "discord": discord, "mattermost": mattermost, "webhook": webhook}
    return Outgoing(_json(builders[kind](message, content)), (("Content-Type", JSON),))


def shown(channel: Channel, message: Message, content: Content) -> str:
    """What a subscriber reads, as plain text, for the pull-request preview."""
    if channel.type == "mastodon":
        return mastodon_status(message, content)
    if channel.type == "sns":
        args = sns(message, content, channel.topic_arn or "")
        return f"Subject: {args['Subject']}\n\n{args['Message']}"
    if channel.type == "webhook":
        what = "component_update" if message.component else f"incident, status {message.status}"
        return f"Statuspage webhook JSON ({what}), X-Statusgen-Delivery: {message.id}\n\n{plain(message, content)}"
    return plain(message, content, TEXT_LIMITS[channel.type] + 400)
