"""The api/v2/ JSON: validated against a JSON Schema written from Statuspage's format.

The schema is proved to be Statuspage's by validating real captured responses
(../shared/statuspage-samples) against it; our output must pass the same schema.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from generator.api import component_id, incident_id, short_id, stamp
from generator.build import render_site
from generator.content import load
from generator.status import snapshot
from generator.timestamps import EPOCH
from tests.conftest import FIXED_NOW, ROOT
from tests.scratch import load_at, resolved_incidents, write_site

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "statuspage-v2.json").read_text())
SAMPLES = ROOT.parent / "shared" / "statuspage-samples"  # shared/ sits beside the checkout, in CI too
ENDPOINT_SCHEMAS = {
    "summary.json": "summary",
    "status.json": "status_endpoint",
    "components.json": "components_endpoint",
    "incidents.json": "incidents_endpoint",
    "incidents/unresolved.json": "incidents_endpoint",
    "scheduled-maintenances.json": "scheduled_maintenances_endpoint",
    "scheduled-maintenances/upcoming.json": "scheduled_maintenances_endpoint",
    "scheduled-maintenances/active.json": "scheduled_maintenances_endpoint",
}
# Field order as Statuspage sends it (../shared/notes/field.md).
PAGE_KEYS = ["id", "name", "url", "time_zone", "updated_at"]
COMPONENT_KEYS = ["id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
                  "start_date", "group_id", "page_id", "group", "only_show_if_degraded"]
INCIDENT_KEYS = ["id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
                 "shortlink", "started_at", "page_id", "incident_updates", "components"]
UPDATE_KEYS = ["id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
               "affected_components", "deliver_notifications", "custom_tweet", "tweet_id"]


def json_files(snap, root):
    """The JSON the build writes: `api/v2/*.json` and `incidents/<id>.json` beside each page."""
    return {path: data for path, data in render_site(snap, root).items() if path.endswith(".json")}


def validator(definition: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]})


def errors(definition: str, doc) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(definition).iter_errors(doc)]


def api_files(root: Path, now: datetime) -> dict[str, object]:
    content, problems = load_at(root, now)
    assert not problems.errors, [p.format_text() for p in problems.errors]
    return {path: json.loads(data) for path, data in json_files(snapshot(content, now), root).items()}


def test_schema_is_a_valid_schema():
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("sample, definition", [
    ("instructure-summary.json", "summary"),
    ("instructure-components.json", "components_endpoint"),
    ("github-components-with-problem.json", "components_endpoint"),
])
def test_real_statuspage_responses_pass_the_schema(sample, definition):
    if not SAMPLES.is_dir():
        pytest.skip("the shared Statuspage samples are not on this machine")
    assert errors(definition, json.loads((SAMPLES / sample).read_text())) == []


@pytest.mark.parametrize("bad", [
    lambda d: d["page"].update(extra=1),
    lambda d: d["components"][0].pop("description"),
    lambda d: d["components"][0].update(status="down"),
    lambda d: d["components"][0].update(components=[]),
    lambda d: d["incidents"][0].update(impact="maintenance"),
    lambda d: d["incidents"][0]["incident_updates"][0].update(status="update"),
    lambda d: d["incidents"][0].update(created_at="2026-11-26 10:00"),
    lambda d: d["incidents"][0].update(id="Not-An-Id"),
    lambda d: d["status"].update(indicator="ok"),
])
def test_schema_rejects_what_statuspage_never_sends(bad):
    doc = json.loads((SAMPLES / "instructure-summary.json").read_text()) if SAMPLES.is_dir() else None
    if doc is None:
        pytest.skip("the shared Statuspage samples are not on this machine")
    bad(doc)
    assert errors("summary", doc)


def test_every_json_file_the_build_writes_validates(built_demo):
    files = sorted(p for p in built_demo.rglob("*.json"))
    assert len(files) > len(ENDPOINT_SCHEMAS)
    seen = set()
    for path in files:
        rel = path.relative_to(built_demo).as_posix()
        doc = json.loads(path.read_text(encoding="utf-8"))
        if rel.startswith("api/v2/"):
            definition = ENDPOINT_SCHEMAS[rel.removeprefix("api/v2/")]
        else:
            assert rel.startswith("incidents/"), rel
            definition = "scheduled_maintenance" if "scheduled_for" in doc else "incident"
        assert errors(definition, doc) == [], rel
        seen.add(rel)
    assert {f"api/v2/{p}" for p in ENDPOINT_SCHEMAS} <= seen


def test_field_order_matches_statuspage(built_demo):
    summary = json.loads((built_demo / "api/v2/summary.json").read_text())
    assert list(summary) == ["page", "components", "incidents", "scheduled_maintenances", "status"]
    assert list(summary["page"]) == PAGE_KEYS
    assert all(list(c)[:13] == COMPONENT_KEYS for c in summary["components"])
    incident = summary["incidents"][0]
    assert list(incident) == INCIDENT_KEYS
    assert list(incident["incident_updates"][0]) == UPDATE_KEYS
    maintenance = summary["scheduled_maintenances"][0]
    assert list(maintenance) == INCIDENT_KEYS + ["scheduled_for", "scheduled_until"]
    if SAMPLES.is_dir():
        real = json.loads((SAMPLES / "instructure-summary.json").read_text())
        assert list(real["page"]) == PAGE_KEYS
        assert list(real["components"][0]) == COMPONENT_KEYS
        assert list(real["incidents"][0]) == INCIDENT_KEYS
        assert list(real["incidents"][0]["incident_updates"][0]) == UPDATE_KEYS
        real_group = next(c for c in real["components"] if c["group"])
        our_group = next(c for c in summary["components"] if c["group"])
        assert list(our_group) == list(real_group)


def test_demo_at_fixed_now():
    content, _ = load_at(ROOT, FIXED_NOW)
    snap = snapshot(content, FIXED_NOW)
    files = {p: json.loads(d) for p, d in json_files(snap, ROOT).items()}
    summary = files["api/v2/summary.json"]
    assert summary["page"]["updated_at"] == stamp(snap.updated_at, content.site)
    assert summary["page"]["url"] == content.site.url.rstrip("/")
    assert summary["status"] == {"indicator": snap.indicator, "description": snap.description}
    assert summary["status"]["indicator"] != "none"
    unresolved = files["api/v2/incidents/unresolved.json"]["incidents"]
    assert [i["id"] for i in unresolved] == [incident_id(s.id) for s in snap.active_incidents] != []
    assert summary["incidents"] == unresolved
    upcoming = files["api/v2/scheduled-maintenances/upcoming.json"]["scheduled_maintenances"]
    assert [m["id"] for m in upcoming] == [incident_id(s.id) for s in snap.upcoming_maintenances] != []
    assert all(m["status"] == "scheduled" and m["impact"] == "maintenance" for m in upcoming)
    assert summary["scheduled_maintenances"] == files["api/v2/scheduled-maintenances/active.json"]["scheduled_maintenances"] + upcoming
    by_id = {c["id"]: c for c in summary["components"]}
    for component in content.catalog.components:
        assert by_id[component_id(component.id)]["status"] == snap.component_status(component.id)
    for group in content.catalog.groups:
        obj = by_id[component_id(group.id)]
        assert obj["group"] is True and obj["components"] == [component_id(c.id) for c in group.components]
        assert all(by_id[cid]["group_id"] == obj["id"] for cid in obj["components"])
    # One JSON per incident, next to its page, in the same object shape as the lists.
    for state in snap.incidents:
        assert files[f"incidents/{state.id}.json"]["id"] == incident_id(state.id)
    assert files[f"incidents/{snap.active_incidents[0].id}.json"] == unresolved[0]


def test_ids_are_short_stable_and_distinct():
    ids = {short_id("component", f"c{i}") for i in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 12 and i.isalnum() and i == i.lower() for i in ids)
    assert short_id("component", "api") == short_id("component", "api") != short_id("incident", "api")
    # Pinned: changing the mapping would break every client that stored an id.
    assert component_id("api") == "ms19ls7d5s7a"


def test_timestamps_carry_the_page_zone_offset_and_milliseconds():
    from generator.model import Site
    from generator.timestamps import zone

    site = Site(title="t", url="https://x.example/", timezone=zone("America/Denver"))
    assert stamp(datetime(2021, 12, 7, 18, 7, 15, tzinfo=timezone.utc), site) == "2021-12-07T11:07:15.000-07:00"
    assert stamp(datetime(2021, 7, 7, 18, 7, 15, tzinfo=timezone.utc), site) == "2021-07-07T12:07:15.000-06:00"
    assert stamp(None, site) is None


NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
CASES = {
    "open": """
        ---
        title: API errors
        components: {api: partial_outage}
        started: 2026-11-26 09:00 UTC
        ---
        ## 2026-11-26 11:00 UTC — Update
        Still on it.
        ## 2026-11-26 10:30 UTC — Identified
        Found it.
        ## 2026-11-26 10:00 UTC — Investigating
        Looking <script>alert(1)</script> into **it**.
    """,
    "closed": """
        ---
        title: Web slow
        components: {web: degraded_performance}
        ---
        ## 2026-11-20 11:00 UTC — Resolved
        Fixed.
        ## 2026-11-20 10:30 UTC — Monitoring
        Watching.
        ## 2026-11-20 10:00 UTC — Investigating
        Slow.
    """,
    "cancelled": """
        ---
        title: Cancelled work
        type: maintenance
        components: [api]
        start: 2026-12-01 05:00 UTC
        end: 2026-12-01 06:00 UTC
        ---
        ## 2026-11-25 09:00 UTC — Cancelled
        Not needed.
        ## 2026-11-20 09:00 UTC — Scheduled
        We will.
    """,
    "running": """
        ---
        title: App store release
        type: maintenance
        components: [apps]
        start: 2026-11-26 11:00 UTC
        end: 2026-11-26 13:00 UTC
        ---
        ## 2026-11-26 11:00 UTC — In progress
        Started.
        ## 2026-11-20 09:00 UTC — Scheduled
        Planned.
    """,
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("api"), CASES)
    return api_files(root, NOW)


def test_scratch_site_validates(scratch):
    for rel, doc in scratch.items():
        if rel.startswith("api/v2/"):
            assert errors(ENDPOINT_SCHEMAS[rel.removeprefix("api/v2/")], doc) == [], rel


def test_open_incident(scratch):
    [inc] = scratch["api/v2/incidents/unresolved.json"]["incidents"]
    assert inc["name"] == "API errors" and inc["status"] == "identified" and inc["impact"] == "major"
    assert inc["started_at"] == "2026-11-26T09:00:00.000+00:00"
    assert inc["created_at"] == "2026-11-26T10:00:00.000+00:00"
    assert inc["updated_at"] == "2026-11-26T11:00:00.000+00:00"
    assert inc["resolved_at"] is None and inc["monitoring_at"] is None
    assert inc["shortlink"] == "https://status.example.com/incidents/open/"
    # An "update" keeps the status before it; Statuspage has no "update" status.
    assert [u["status"] for u in inc["incident_updates"]] == ["identified", "identified", "investigating"]
    body = inc["incident_updates"][-1]["body"]
    assert "<script>" not in body and "alert" not in body and "it" in body and "**" not in body
    first = inc["incident_updates"][-1]["affected_components"]
    assert first == [{"code": component_id("api"), "name": "API", "old_status": "partial_outage", "new_status": "partial_outage"}]
    assert [c["id"] for c in inc["components"]] == [component_id("api")]
    assert inc["components"][0]["status"] == "partial_outage"


def test_resolved_incident(scratch):
    incidents = scratch["api/v2/incidents.json"]["incidents"]
    assert [i["name"] for i in incidents] == ["API errors", "Web slow"]
    closed = incidents[1]
    assert closed["status"] == "resolved"
    assert closed["resolved_at"] == "2026-11-20T11:00:00.000+00:00"
    assert closed["monitoring_at"] == "2026-11-20T10:30:00.000+00:00"
    resolution, _, start = closed["incident_updates"]
    assert resolution["affected_components"][0]["old_status"] == "degraded_performance"
    assert resolution["affected_components"][0]["new_status"] == "operational"
    assert start["affected_components"][0]["old_status"] == "operational"
    assert start["affected_components"][0]["new_status"] == "degraded_performance"


def test_maintenances(scratch):
    active = scratch["api/v2/scheduled-maintenances/active.json"]["scheduled_maintenances"]
    assert [m["name"] for m in active] == ["App store release"]
    assert active[0]["status"] == "in_progress"
    assert active[0]["scheduled_for"] == "2026-11-26T11:00:00.000+00:00"
    assert active[0]["scheduled_until"] == "2026-11-26T13:00:00.000+00:00"
    assert {c["name"] for c in active[0]["components"]} == {"iPhone app", "Android app"}
    assert all(c["status"] == "under_maintenance" for c in active[0]["components"])
    # A cancelled window is neither upcoming nor active; Statuspage shows it as completed.
    assert scratch["api/v2/scheduled-maintenances/upcoming.json"]["scheduled_maintenances"] == []
    every = {m["name"]: m for m in scratch["api/v2/scheduled-maintenances.json"]["scheduled_maintenances"]}
    cancelled = every["Cancelled work"]
    assert cancelled["status"] == "completed"
    assert cancelled["resolved_at"] == "2026-11-25T09:00:00.000+00:00"
    assert [u["status"] for u in cancelled["incident_updates"]] == ["completed", "scheduled"]
    summary = scratch["api/v2/summary.json"]
    assert [m["name"] for m in summary["scheduled_maintenances"]] == ["App store release"]
    assert summary["status"]["indicator"] == "major"  # the open incident outranks maintenance


def test_empty_site_has_every_key_and_no_clock(tmp_path):
    root = write_site(tmp_path, {})
    files = api_files(root, NOW)
    summary = files["api/v2/summary.json"]
    assert summary["page"]["updated_at"] == stamp(EPOCH, load(root)[0].site)
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert summary["incidents"] == [] and summary["scheduled_maintenances"] == []
    assert errors("summary", summary) == []
    web = next(c for c in summary["components"] if c["name"] == "Web app")
    assert web["description"] is None and web["start_date"] is None
    # Same content, a later now with nothing new: byte-identical output.
    content, _ = load_at(root, NOW)
    first = json_files(snapshot(content, NOW), root)
    assert json_files(snapshot(content, NOW + timedelta(days=3)), root) == first


def test_recent_lists_keep_fifty(tmp_path):
    incidents = resolved_incidents(55)
    files = api_files(write_site(tmp_path, incidents), NOW)
    listed = files["api/v2/incidents.json"]["incidents"]
    assert len(listed) == 50
    created = [i["created_at"] for i in listed]
    assert created == sorted(created, reverse=True)
    assert len([p for p in files if p.startswith("incidents/")]) == 55
