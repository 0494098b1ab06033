"""The `queue.position` widget button: a citizen who just connected learns their place in line at once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from guichet.asgi import application
from tests.factories import make_inbox

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(inbox_slug: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/widget/{inbox_slug}/",
                                         headers=[(b"origin", b"https://www.example.gc.ca")])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive_until(communicator: WebsocketCommunicator, predicate, limit: int = 20) -> dict:
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if predicate(frame):
            return frame
    raise AssertionError("expected frame never came")


def is_position(frame: dict) -> bool:
    return frame["type"] == "event" and frame["event"]["type"] == "queue.position_changed"


async def test_waiting_citizen_who_reconnects_is_told_their_place_when_asking():
    inbox = await database_sync_to_async(make_inbox)()  # no bot: the conversation waits in the queue
    citizen = await connect(inbox.slug)
    await citizen.send_json_to({"type": "hello", "token": None, "language": "en"})
    token = (await receive_until(citizen, lambda f: f["type"] == "welcome"))["token"]
    await citizen.send_json_to({"type": "message.send", "client_id": "c-1", "body": "I need an agent"})
    await receive_until(citizen, lambda f: f["type"] == "message.ack")
    await citizen.disconnect()

    again = await connect(inbox.slug)
    await again.send_json_to({"type": "hello", "token": token, "after_seq": 1})
    welcome = await receive_until(again, lambda f: f["type"] == "welcome")
    assert welcome["status"] == "queued"
    await again.send_json_to({"type": "action", "name": "queue.position", "value": None})
    position = await receive_until(again, is_position)
    assert position["event"]["data"]["reference"] == welcome["reference"]
    assert position["event"]["data"]["position"] == 1
    assert "callback_offered" in position["event"]["data"]
    await again.disconnect()


async def test_asking_for_a_position_before_hello_is_refused():
    inbox = await database_sync_to_async(make_inbox)()
    citizen = await connect(inbox.slug)
    await citizen.send_json_to({"type": "action", "name": "queue.position", "value": None})
    error = await receive_until(citizen, lambda f: f["type"] == "error")
    assert error["code"] == "not_ready"
    await citizen.disconnect()
