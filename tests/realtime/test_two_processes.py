"""Two stateless web processes on one PostgreSQL + Redis: an event crosses from one to the other.

A citizen's websocket on process A sends a message; an agent's websocket (authenticated by a session cookie
stored in the shared database) on process B receives `message.created`. Needs GUICHET_DATABASE_URL (PostgreSQL)
and GUICHET_REDIS_URL; skipped otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.test import Client

from tests.browser.helpers import embedded_env, free_port, start_server, stop_process, wait_until_serving
from tests.factories import make_agent, make_inbox, make_queue, make_team

pytestmark = [
    pytest.mark.skipif(not (os.environ.get("GUICHET_DATABASE_URL") and os.environ.get("GUICHET_REDIS_URL")),
                       reason="needs GUICHET_DATABASE_URL (PostgreSQL) and GUICHET_REDIS_URL"),
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),  # the child processes must see the rows: commit them
]

FRAME_TIMEOUT_S = 20


def child_database_url() -> str:
    """The URL of pytest-django's test database (e.g. test_test), which the children must use."""
    parts = urlsplit(os.environ["GUICHET_DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def two_servers(tmp_path):
    servers = []
    for name in ("a", "b"):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = embedded_env(tmp_path, port, GUICHET_DATABASE_URL=child_database_url(),
                           GUICHET_REDIS_URL=os.environ["GUICHET_REDIS_URL"], GUICHET_EMBEDDED_WORKER="0")
        log_path = tmp_path / f"server-{name}.log"
        process = start_server(env, port, log_path, "--no-worker")
        servers.append((url, process, log_path))
    try:
        for url, process, log_path in servers:
            wait_until_serving(url, process, log_path)
        yield [(url, log_path) for url, _process, log_path in servers]
    finally:
        for _url, process, _log in servers:
            stop_process(process)


async def next_frame(ws, frame_type: str, event_type: str | None = None) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT_S))
        if frame["type"] == frame_type and (event_type is None or frame["event"]["type"] == event_type):
            return frame


async def citizen_writes_agent_reads(url_a: str, url_b: str, inbox_slug: str, session_id: str) -> dict:
    import websockets

    ws_a = url_a.replace("http://", "ws://")
    ws_b = url_b.replace("http://", "ws://")
    async with websockets.connect(f"{ws_b}/ws/agent/", origin=url_b,
                                  additional_headers={"Cookie": f"sessionid={session_id}"}) as agent:
        await agent.send(json.dumps({"type": "ping"}))
        await next_frame(agent, "pong")  # connected, authenticated and joined its team's group
        async with websockets.connect(f"{ws_a}/ws/widget/{inbox_slug}/", origin=url_a) as citizen:
            await citizen.send(json.dumps({"type": "hello", "token": None, "language": "fr"}))
            await next_frame(citizen, "welcome")
            await citizen.send(json.dumps({"type": "message.send", "client_id": "m-1",
                                           "body": "Bonjour, où en est ma demande de prestations ?"}))
            ack = await next_frame(citizen, "message.ack")
            assert ack["seq"] == 1
            return await next_frame(agent, "event", "message.created")


def test_a_message_sent_on_process_a_reaches_an_agent_on_process_b(two_servers):
    (url_a, _log_a), (url_b, _log_b) = two_servers
    team = make_team()
    inbox = make_inbox(make_queue(team), bot_enabled=False)
    agent = make_agent([team], languages=["fr"])
    browser = Client()
    browser.force_login(agent.user)
    session_id = browser.cookies["sessionid"].value

    frame = asyncio.run(citizen_writes_agent_reads(url_a, url_b, inbox.slug, session_id))

    data = frame["event"]["data"]
    assert data["body"] == "Bonjour, où en est ma demande de prestations ?"
    assert data["seq"] == 1


IDLE_LONGER_THAN_THE_LAYER_POLL_S = 7  # channels_redis polls Redis every 5 s: stay idle past one poll


async def agent_socket_survives_idleness(url: str, session_id: str) -> dict:
    import websockets

    ws_url = url.replace("http://", "ws://")
    async with websockets.connect(f"{ws_url}/ws/agent/", origin=url,
                                  additional_headers={"Cookie": f"sessionid={session_id}"}) as agent:
        await asyncio.sleep(IDLE_LONGER_THAN_THE_LAYER_POLL_S)
        await agent.send(json.dumps({"type": "ping"}))
        return await next_frame(agent, "pong")


def test_an_idle_agent_socket_stays_open_on_the_redis_layer(two_servers):
    (_url_a, _log_a), (url_b, log_b) = two_servers
    agent = make_agent([make_team()])
    browser = Client()
    browser.force_login(agent.user)

    pong = asyncio.run(agent_socket_survives_idleness(url_b, browser.cookies["sessionid"].value))

    assert pong == {"type": "pong"}
    assert "TimeoutError" not in log_b.read_text()
