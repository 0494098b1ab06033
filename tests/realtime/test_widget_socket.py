"""The citizen widget's websocket: token, stored-before-ack, replay after reconnect, bad input."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from guichet.asgi import application
from guichet.conversations.models import Conversation, Message
from tests.factories import make_inbox

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(inbox_slug: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/widget/{inbox_slug}/",
                                         headers=[(b"origin", b"http://127.0.0.1:8000")])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive_until(communicator: WebsocketCommunicator, kind: str, limit: int = 10) -> dict:
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


async def test_message_is_stored_before_ack_and_replayed_after_reconnect():
    inbox = await database_sync_to_async(make_inbox)()
    citizen = await connect(inbox.slug)
    await citizen.send_json_to({"type": "hello", "token": None, "language": "fr"})
    welcome = await receive_until(citizen, "welcome")
    token = welcome["token"]
    assert welcome["reference"] is None

    await citizen.send_json_to({"type": "message.send", "client_id": "c-1", "body": "Bonjour, j'ai une question"})
    ack = await receive_until(citizen, "message.ack")
    assert ack == {"type": "message.ack", "client_id": "c-1", "seq": 1, "duplicate": False}
    stored = await database_sync_to_async(lambda: list(Message.objects.values_list("body", "language")))()
    assert stored == [("Bonjour, j'ai une question", "fr")]

    # The same client id sent again (a resend after a lost ack) stores nothing new.
    await citizen.send_json_to({"type": "message.send", "client_id": "c-1", "body": "Bonjour, j'ai une question"})
    again = await receive_until(citizen, "message.ack")
    assert again["seq"] == 1 and again["duplicate"] is True
    await citizen.disconnect()

    reconnect = await connect(inbox.slug)
    await reconnect.send_json_to({"type": "hello", "token": token, "after_seq": 0})
    welcome2 = await receive_until(reconnect, "welcome")
    assert welcome2["reference"].startswith("GC-")
    replayed = await receive_until(reconnect, "event")
    assert replayed["event"]["type"] == "message.created"
    assert replayed["event"]["data"]["seq"] == 1
    await reconnect.disconnect()
    count = await database_sync_to_async(Message.objects.count)()
    assert count == 1


async def test_forged_token_and_bad_frames_get_errors_and_store_nothing():
    inbox = await database_sync_to_async(make_inbox)()
    citizen = await connect(inbox.slug)
    await citizen.send_json_to({"type": "hello", "token": "forged.token.value"})
    error = await receive_until(citizen, "error")
    assert error["code"] == "invalid_token"
    await citizen.send_to(text_data="{not json")
    assert (await receive_until(citizen, "error"))["code"] == "bad_frame"
    await citizen.send_json_to({"type": "launch.missiles"})
    assert (await receive_until(citizen, "error"))["code"] == "unknown_type"
    await citizen.send_json_to({"type": "message.send", "client_id": "x", "body": "hi"})
    assert (await receive_until(citizen, "error"))["code"] == "not_ready"
    await citizen.send_json_to({"type": "hello", "token": None})
    await receive_until(citizen, "welcome")
    await citizen.send_json_to({"type": "message.send", "client_id": "big", "body": "x" * 4001})
    assert (await receive_until(citizen, "error"))["code"] == "message_too_long"
    await citizen.disconnect()
    assert await database_sync_to_async(Message.objects.count)() == 0
    assert await database_sync_to_async(Conversation.objects.count)() == 0
