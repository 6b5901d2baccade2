"""Each service's documented payload shape (tests/schemas/notify-payloads.json), for the notification tests."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

SCHEMAS = json.loads((Path(__file__).parents[1] / "schemas" / "notify-payloads.json").read_text())
SCHEMA_OF = {"slack": "slack", "mattermost": "mattermost", "teams": "teams", "discord": "discord",
             "google-chat": "google_chat", "mastodon": "mastodon"}


def validate(definition: str, doc) -> list[str]:
    """Every way `doc` differs from the service's documented shape (none: it fits)."""
    validator = Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": SCHEMAS["$defs"]})
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]
