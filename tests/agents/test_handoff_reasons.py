"""Every hand-off reason the virtual agent writes is shown to the agent as a sentence, not a code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import guichet.bot
from guichet.agents.templatetags.desk import REASON_LABELS
from guichet.conversations import actions
from tests.agents.helpers import DeskClient
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

BOT_SOURCE = Path(guichet.bot.__file__).parent
# reason="code" in the dialogue/flows, Decision("handoff", ..., "code") in retrieval, reason: code in flow files.
PY_PATTERNS = [re.compile(r'reason="([a-z_]+)"'), re.compile(r'Decision\("handoff", [^,]+, "([a-z_]+)"\)'),
               re.compile(r'get\("reason", "([a-z_]+)"\)'), re.compile(r"reason: ([a-z_]+)\}")]
YAML_PATTERNS = [re.compile(r"reason: ([a-z_]+)")]


def reasons_written_by_the_bot() -> list[str]:
    found: set[str] = set()
    for path in [*BOT_SOURCE.rglob("*.py"), *BOT_SOURCE.rglob("*.yaml")]:
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in YAML_PATTERNS if path.suffix == ".yaml" else PY_PATTERNS:
            found.update(pattern.findall(text))
    return sorted(found)


def test_the_scan_finds_the_known_reasons():
    found = reasons_written_by_the_bot()
    assert {"requested_person", "not_confident", "no_candidate", "integration_failed",
            "flow_invalid_input", "flow_handoff"} <= set(found)


@pytest.mark.parametrize("reason", reasons_written_by_the_bot())
def test_reason_has_a_label(reason):
    assert reason in REASON_LABELS


@pytest.mark.django_db
@pytest.mark.parametrize("reason, label", [
    ("not_confident", "The virtual agent was not confident in any answer"),
    ("integration_failed", "The government system behind the guided service did not answer"),
])
def test_desk_shows_the_reason_label(reason, label):
    team = make_team("general")
    conversation = make_conversation(make_inbox(make_queue(team, slug="general"), slug="web"), first_message="Hi")
    actions.enqueue_conversation(conversation, context={"reason": reason})
    page = DeskClient(make_agent([team], username="alice")).get(f"/desk/c/{conversation.reference}/")
    assert label in page.content.decode()
