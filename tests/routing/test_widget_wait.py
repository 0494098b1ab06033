"""The citizen's widget socket shows their place in line and offers a callback that keeps it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from guichet.asgi import application
from guichet.routing.models import CallbackRequest
from tests.factories import make_agent, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(inbox_slug: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/widget/{inbox_slug}/",
                                         headers=[(b"origin", b"http://127.0.0.1:8000")])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def next_frame(communicator: WebsocketCommunicator, kind: str, event_type: str | None = None,
                     limit: int = 20) -> dict:
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == kind and (event_type is None or frame["event"]["type"] == event_type):
            return frame
    raise AssertionError(f"no {kind} {event_type or ''} frame")


def quiet_queue():
    team = make_team()
    make_agent([team], presence="offline", languages=["en"])  # nobody staffed: the wait is unknown
    return make_inbox(make_queue(team, callback_offer_after_s=120))


async def citizen_waiting(inbox_slug: str) -> WebsocketCommunicator:
    citizen = await connect(inbox_slug)
    await citizen.send_json_to({"type": "hello", "token": None, "language": "en"})
    await next_frame(citizen, "welcome")
    await citizen.send_json_to({"type": "message.send", "client_id": "m-1", "body": "I need help with my file"})
    await next_frame(citizen, "message.ack")
    return citizen


async def test_position_and_callback_offer_then_a_callback_that_keeps_the_place():
    inbox = await database_sync_to_async(quiet_queue)()
    first = await citizen_waiting(inbox.slug)
    await first.send_json_to({"type": "action", "name": "queue.position", "value": None})
    position = (await next_frame(first, "event", "queue.position_changed"))["event"]["data"]
    assert position["position"] == 1
    assert position["estimated_wait_s"] is None and position["callback_offered"] is True

    second = await citizen_waiting(inbox.slug)
    await second.send_json_to({"type": "action", "name": "queue.position", "value": None})
    assert (await next_frame(second, "event", "queue.position_changed"))["event"]["data"]["position"] == 2

    await second.send_json_to({"type": "action", "name": "callback.request", "value": {"phone": "12"}})
    error = await next_frame(second, "error")
    assert error["code"] == "invalid_phone" and "area code" in error["message"]
    assert await database_sync_to_async(CallbackRequest.objects.count)() == 0

    await second.send_json_to({"type": "action", "name": "callback.request", "value": {"phone": "613 555 0123"}})
    notice = await next_frame(second, "event", "message.created")
    assert "+16135550123" in notice["event"]["data"]["body"]
    update = (await next_frame(second, "event", "queue.position_changed"))["event"]["data"]
    assert update["position"] == 2 and update["callback_requested"] is True and update["callback_offered"] is False
    callback = await database_sync_to_async(CallbackRequest.objects.get)()
    assert callback.status == "pending" and callback.phone == "+16135550123"
    await first.disconnect()
    await second.disconnect()
