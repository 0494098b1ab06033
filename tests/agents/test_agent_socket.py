"""The agent websocket as the desk uses it: several tabs, live events, subscriptions and bad frames."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client

from guichet.asgi import application
from tests.agents.helpers import PASSWORD
from tests.factories import make_agent, make_conversation, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_cookie(username: str) -> bytes:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def agent_socket(username: str | None) -> tuple[WebsocketCommunicator, bool, int | None]:
    headers = [ORIGIN]
    if username:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(username)))
    communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def citizen_socket(inbox_slug: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/widget/{inbox_slug}/", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"type": "hello", "token": None, "language": "en"})
    await frame_of_type(communicator, "welcome")
    return communicator


async def frame_of_type(communicator: WebsocketCommunicator, kind: str, limit: int = 20) -> dict:
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


async def event_of_type(communicator: WebsocketCommunicator, event_type: str, limit: int = 20) -> dict:
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == "event" and frame["event"]["type"] == event_type:
            return frame["event"]
    raise AssertionError(f"no {event_type} event")


def build_team_with_inbox():  # type: ignore[no-untyped-def]
    team = make_team()
    inbox = make_inbox(make_queue(team))
    make_agent([team], username="alice")
    other_team = make_team()
    other_inbox = make_inbox(make_queue(other_team))
    return inbox, other_inbox


async def test_two_tabs_of_the_same_agent_both_see_a_citizen_message():
    inbox, _other = await database_sync_to_async(build_team_with_inbox)()
    tab1, ok1, _ = await agent_socket("alice")
    tab2, ok2, _ = await agent_socket("alice")
    assert ok1 and ok2
    citizen = await citizen_socket(inbox.slug)
    await citizen.send_json_to({"type": "message.send", "client_id": "m1", "body": "I need help with my file"})
    await frame_of_type(citizen, "message.ack")
    for tab in (tab1, tab2):
        event = await event_of_type(tab, "message.created")
        assert event["data"]["body"] == "I need help with my file"
        assert event["data"]["author_kind"] == "contact"
    for communicator in (citizen, tab1, tab2):
        await communicator.disconnect()


async def test_subscribe_to_own_team_conversation_then_forbidden_one_gets_error_frame():
    inbox, other_inbox = await database_sync_to_async(build_team_with_inbox)()
    mine = await database_sync_to_async(make_conversation)(inbox, first_message="hello")
    theirs = await database_sync_to_async(make_conversation)(other_inbox, first_message="private")
    tab, connected, _ = await agent_socket("alice")
    assert connected
    await tab.send_json_to({"type": "subscribe", "reference": mine.reference})
    assert (await frame_of_type(tab, "subscribed"))["reference"] == mine.reference
    await tab.send_json_to({"type": "subscribe", "reference": theirs.reference})
    error = await frame_of_type(tab, "error")
    assert error["code"] == "forbidden"
    await tab.send_json_to({"type": "subscribe", "reference": "GC-1999-000000"})
    assert (await frame_of_type(tab, "error"))["code"] == "forbidden"
    await tab.send_json_to({"type": "typing", "reference": theirs.reference, "typing": True})
    assert (await frame_of_type(tab, "error"))["code"] == "forbidden"
    await tab.disconnect()


async def test_citizen_typing_reaches_the_subscribed_agent():
    inbox, _other = await database_sync_to_async(build_team_with_inbox)()
    tab, _, _ = await agent_socket("alice")
    citizen = await citizen_socket(inbox.slug)
    await citizen.send_json_to({"type": "message.send", "client_id": "m1", "body": "hello"})
    await frame_of_type(citizen, "message.ack")
    created = await event_of_type(tab, "message.created")
    await tab.send_json_to({"type": "subscribe", "reference": created["data"]["conversation"]})
    await frame_of_type(tab, "subscribed")
    await citizen.send_json_to({"type": "typing", "typing": True})
    typing = await event_of_type(tab, "conversation.typing")
    assert typing["data"]["who"] == "contact" and typing["data"]["typing"] is True
    await tab.send_json_to({"type": "typing", "reference": created["data"]["conversation"], "typing": True})
    agent_typing = await event_of_type(citizen, "conversation.typing")
    assert agent_typing["data"]["who"] == "agent"
    for communicator in (citizen, tab):
        await communicator.disconnect()


async def test_anonymous_socket_is_refused():
    _tab, connected, code = await agent_socket(None)
    assert not connected
    assert code == 4401


async def test_signed_in_user_without_agent_profile_is_refused():
    await database_sync_to_async(User.objects.create_user)(username="visitor", password=PASSWORD)
    _tab, connected, code = await agent_socket("visitor")
    assert not connected
    assert code == 4401


async def test_presence_set_from_one_tab_is_seen_by_the_other():
    await database_sync_to_async(build_team_with_inbox)()
    tab1, _, _ = await agent_socket("alice")
    tab2, _, _ = await agent_socket("alice")
    await tab1.send_json_to({"type": "presence.set", "presence": "available"})
    event = await event_of_type(tab2, "agent.presence_changed")
    assert event["data"]["presence"] == "available"
    await tab1.send_json_to({"type": "presence.set", "presence": "sunbathing"})
    assert (await frame_of_type(tab1, "error"))["code"] == "bad_presence"
    for communicator in (tab1, tab2):
        await communicator.disconnect()


async def open_with_origin(username: str, origin: bytes, host: bytes) -> tuple[WebsocketCommunicator, bool]:
    cookie = await database_sync_to_async(session_cookie)(username)
    communicator = WebsocketCommunicator(application, "/ws/agent/",
                                         headers=[(b"origin", origin), (b"host", host), (b"cookie", cookie)])
    connected, _code = await communicator.connect()
    return communicator, connected


async def test_the_desk_connects_from_the_same_host_on_any_port_and_other_sites_are_refused():
    await database_sync_to_async(lambda: make_agent([make_team()], username="ortho"))()
    same_host, accepted = await open_with_origin("ortho", b"http://127.0.0.1:8765", b"127.0.0.1:8765")
    assert accepted
    await same_host.disconnect()
    # A page on another site cannot ride the agent's cookie (cross-site websocket hijacking).
    foreign, accepted = await open_with_origin("ortho", b"https://evil.example", b"127.0.0.1:8765")
    assert not accepted
    await foreign.disconnect()
