"""The content model: plain, immutable, validated data. No I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from generator.limits import FRONT_MATTER_SIZE, INCIDENT_FILE_SIZE

# Component statuses, worst first (Statuspage's enum).
COMPONENT_STATUSES = ("major_outage", "partial_outage", "degraded_performance", "under_maintenance", "operational")
SEVERITY = {s: len(COMPONENT_STATUSES) - i for i, s in enumerate(COMPONENT_STATUSES)}  # higher is worse
INCIDENT_COMPONENT_STATUSES = ("degraded_performance", "partial_outage", "major_outage")
MAINTENANCE_COMPONENT_STATUSES = ("under_maintenance", "degraded_performance", "partial_outage", "major_outage")


def N_(message: str) -> str:
    """Marks words the pages show for extraction into the theme's catalog (babel.cfg).

    The value stays English: the API and the files use it as it is, and the pages
    translate it where they show it.
    """
    return message


IMPACTS = ("none", "minor", "major", "critical")
IMPACT_OF_STATUS = {
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
    "under_maintenance": "maintenance",
}

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "update", "resolved", "postmortem")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed", "cancelled", "update")
STATUS_LABELS = {
    "investigating": N_("Investigating"),
    "identified": N_("Identified"),
    "monitoring": N_("Monitoring"),
    # Translators: the status of an update that brings news but changes no status.
    "update": N_("Update"),
    "resolved": N_("Resolved"),
    "postmortem": N_("Postmortem"),
    "scheduled": N_("Scheduled"),
    "in_progress": N_("In progress"),
    "verifying": N_("Verifying"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}
COMPONENT_STATUS_LABELS = {
    "operational": N_("Operational"),
    "degraded_performance": N_("Degraded performance"),
    "partial_outage": N_("Partial outage"),
    "major_outage": N_("Major outage"),
    "under_maintenance": N_("Under maintenance"),
}

DEFAULT_UPTIME_WEIGHTS = {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}


def worst(statuses) -> str:
    """The worst of some component statuses; operational when there are none."""
    return max(statuses, key=SEVERITY.__getitem__, default="operational")


@dataclass(frozen=True)
class DeployTarget:
    name: str
    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None
    cloudfront_distribution_id: str | None = None
    cache_control: str | None = None  # for pages, feeds, JSON, ics, badges; None = the default


@dataclass(frozen=True)
class AvoidRule:
    """A time to keep maintenance clear of, in the site's zone."""

    days: tuple[int, ...]  # 0 = Monday
    start: int  # minutes after midnight
    end: int  # minutes after midnight, exclusive; 1440 = end of day
    text: str


@dataclass(frozen=True)
class Limits:
    """How large an incident file and its front matter may be, in bytes (site.yaml `limits:`)."""

    incident_file_size: int = INCIDENT_FILE_SIZE
    front_matter_size: int = FRONT_MATTER_SIZE


@dataclass(frozen=True)
class Policy:
    maintenance_notice: timedelta = timedelta(hours=48)
    avoid: tuple[AvoidRule, ...] = ()
    stale_after: timedelta | None = timedelta(hours=24)  # an open incident without an update for longer; None: off


@dataclass(frozen=True)
class Site:
    title: str
    url: str  # absolute, always ends with "/"
    description: str = ""
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    language: str = "en"
    theme: str = "default"
    uptime_days: int = 90
    uptime_weights: dict = field(default_factory=lambda: dict(DEFAULT_UPTIME_WEIGHTS))
    deploy: tuple[DeployTarget, ...] = ()
    policy: Policy = field(default_factory=Policy)
    limits: Limits = field(default_factory=Limits)
    # While an incident is active, the optional script says so when the page's build is older than this; None: off.
    stale_notice_after: timedelta | None = timedelta(hours=1)
    notify: tuple = ()  # generator.notify.channels.Channel: who is told of each change (site.yaml `notify:`)

    @property
    def path_prefix(self) -> str:
        """The URL path the site lives under, e.g. "/status/"."""
        rest = self.url.split("://", 1)[-1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    description: str | None = None
    since: date | None = None
    only_show_if_degraded: bool = False
    group_id: str | None = None
    position: int = 1


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    description: str | None
    components: tuple[Component, ...]
    position: int = 1


@dataclass(frozen=True)
class Catalog:
    """The components in page order: top-level entries are components or groups."""

    entries: tuple[Component | Group, ...] = ()

    @cached_property
    def components(self) -> tuple[Component, ...]:
        out: list[Component] = []
        for entry in self.entries:
            out.extend(entry.components if isinstance(entry, Group) else (entry,))
        return tuple(out)

    @cached_property
    def groups(self) -> tuple[Group, ...]:
        return tuple(e for e in self.entries if isinstance(e, Group))

    @cached_property
    def _index(self) -> dict:
        return {**{c.id: c for c in self.components}, **{g.id: g for g in self.groups}}

    def component(self, cid: str) -> Component | None:
        found = self._index.get(cid)
        return found if isinstance(found, Component) else None

    def group(self, gid: str) -> Group | None:
        found = self._index.get(gid)
        return found if isinstance(found, Group) else None

    def expand(self, cid: str) -> tuple[str, ...]:
        """Component ids an id stands for: a group stands for all its members."""
        group = self.group(cid)
        return tuple(c.id for c in group.components) if group else (cid,)


@dataclass(frozen=True)
class Update:
    at: datetime  # aware, UTC
    status: str  # one of INCIDENT_STATUSES or MAINTENANCE_STATUSES
    body: str  # Markdown
    line: int = 0

    @cached_property
    def anchor(self) -> str:
        at = self.at
        return f"update-{at.year:04d}{at.month:02d}{at.day:02d}t{at.hour:02d}{at.minute:02d}{at.second:02d}z"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Incident:
    """An incident or a maintenance notice, as written."""

    id: str
    title: str
    type: str  # "incident" | "maintenance"
    components: dict  # component id -> status during the event (groups expanded)
    impact: str
    updates: tuple[Update, ...]  # newest first
    summary: str = ""
    started: datetime | None = None
    start: datetime | None = None  # maintenance window
    end: datetime | None = None
    emergency: bool = False
    impact_given: bool = False
    path: str = ""
    start_line: int = 1  # where `start:` is written, for problems about the window
    draft: bool = False  # checked, never published
    # A digest of the file it was read from (its name and text): with the settings and statusgen's code,
    # all the incident is made of (generator/pagecache.py tells pages apart by it).
    source: str = ""

    @property
    def is_maintenance(self) -> bool:
        return self.type == "maintenance"

    def visible_updates(self, now: datetime) -> tuple[Update, ...]:
        """Updates dated at or before `now`, newest first."""
        return tuple(u for u in self.updates if u.at <= now)

    @cached_property  # the data is frozen: computed once (a long history sorts by it)
    def first_update_at(self) -> datetime | None:
        return min((u.at for u in self.updates), default=None)

    @cached_property
    def began(self) -> datetime | None:
        """When it starts as written: the window's start, or `started`, or the first update."""
        if self.is_maintenance:
            return self.start
        if self.started and (self.first_update_at is None or self.started < self.first_update_at):
            return self.started
        return self.first_update_at or self.started


@dataclass(frozen=True)
class Content:
    site: Site
    catalog: Catalog
    incidents: tuple[Incident, ...]  # newest first by start

    def incident(self, iid: str) -> Incident | None:
        return self._by_id.get(iid)

    @cached_property
    def _by_id(self) -> dict[str, Incident]:
        return {i.id: i for i in self.incidents}
