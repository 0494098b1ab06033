"""Virtual agent fixtures: the demo knowledge base and a citizen talking through the widget socket.

The live index is process-wide, so the embedding model loads once per test session; each test's articles
reach it through the KnowledgeVersion token, as they would in production.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from guichet.asgi import application


@pytest.fixture(scope="session")
def warm_embeddings():
    """Embed the demo questions once per session (the embedder caches vectors by text)."""
    from guichet.bot.nlp.embeddings import get_embedder
    from guichet.bot.nlp.retrieval import IndexedArticle, KnowledgeIndex
    from guichet.knowledge.demo import DEMO_ARTICLES

    texts = [text for record in DEMO_ARTICLES
             for row in KnowledgeIndex._rows_of(IndexedArticle.from_kb_record(record)) for text in [row.text]]
    get_embedder().embed(texts, is_query=True)


@pytest.fixture
def demo_kb(db, warm_embeddings):
    from guichet.knowledge.demo import load_demo_knowledge

    load_demo_knowledge()


class Citizen:
    """A person in the widget: says things, presses buttons, reads what the virtual agent answers."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.socket = communicator
        self.sent = 0

    async def hello(self, language: str = "en") -> dict:
        await self.socket.send_json_to({"type": "hello", "token": None, "language": language})
        return await self.receive_until("welcome")

    async def receive_until(self, kind: str, limit: int = 30) -> dict:
        for _ in range(limit):
            frame = await self.socket.receive_json_from(timeout=60)
            if frame["type"] == kind:
                return frame
        raise AssertionError(f"no {kind} frame")

    async def say(self, body: str) -> dict:
        self.sent += 1
        await self.socket.send_json_to({"type": "message.send", "client_id": f"c-{self.sent}", "body": body})
        return await self.receive_until("message.ack")

    async def press(self, name: str, value: str) -> None:
        await self.socket.send_json_to({"type": "action", "name": name, "value": value})

    async def bot_messages(self, count: int) -> list[dict]:
        """The next `count` messages from the bot or the system, in order."""
        found = []
        for _ in range(60):
            if len(found) == count:
                return found
            frame = await self.socket.receive_json_from(timeout=60)
            if frame["type"] == "event" and frame["event"]["type"] == "message.created":
                data = frame["event"]["data"]
                if data["author_kind"] in {"bot", "system"}:
                    found.append(data)
            elif frame["type"] == "error":
                raise AssertionError(f"error frame: {frame}")
        raise AssertionError(f"only {len(found)} bot messages")

    async def error(self) -> dict:
        return await self.receive_until("error")

    async def close(self) -> None:
        await self.socket.disconnect()


@pytest.fixture
def open_citizen():
    opened: list[Citizen] = []

    async def factory(inbox_slug: str, language: str = "en") -> Citizen:
        communicator = WebsocketCommunicator(application, f"/ws/widget/{inbox_slug}/",
                                             headers=[(b"origin", b"http://127.0.0.1:8000")])
        connected, _ = await communicator.connect()
        assert connected
        citizen = Citizen(communicator)
        await citizen.hello(language)
        opened.append(citizen)
        return citizen

    yield factory


def make_bot_inbox(**fields):
    from tests.factories import make_inbox, make_queue

    queue = fields.pop("queue", None) or make_queue(always_open=fields.pop("always_open", True))
    return make_inbox(queue=queue, bot_enabled=True, **fields)


async def a(func, *args, **kwargs):
    return await database_sync_to_async(func)(*args, **kwargs)
