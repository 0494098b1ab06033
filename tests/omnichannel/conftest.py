"""Channel test helpers: provider payload fixtures, SMTP servers on free ports, Twilio signatures."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from pathlib import Path
from string import Template

import pytest
from aiosmtpd.controller import Controller
from twilio.request_validator import RequestValidator

FIXTURES = Path(__file__).parent / "fixtures"
AUTH_TOKEN = "test-auth-token-0123456789"
INBOX_ADDRESS = "help@guichet.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fixture_bytes(name: str, **values: str) -> bytes:
    text = (FIXTURES / name).read_bytes()
    if values:
        text = Template(text.decode("utf-8")).safe_substitute(values).encode("utf-8")
    return text


def fixture_form(name: str, **values: str) -> dict[str, str]:
    raw = (FIXTURES / name).read_text()
    return json.loads(Template(raw).safe_substitute(values))


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


class SinkHandler:
    """Collects every message the product sends (the outbound relay, as an MTA would receive it)."""

    def __init__(self):
        self.messages: list = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.GUICHET_SMTP_HOST = "127.0.0.1"
    settings.GUICHET_SMTP_PORT = port
    yield handler
    controller.stop()


@pytest.fixture
def twilio_env(monkeypatch):
    monkeypatch.setenv("GUICHET_TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("GUICHET_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000")
    return AUTH_TOKEN


class FakeProvider:
    """A local Twilio-compatible REST API: answers each Messages.json POST from a script of status codes."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        self.count = 0

    def handle(self, handler) -> None:
        from urllib.parse import parse_qs

        length = int(handler.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        self.requests.append({"path": handler.path, "form": form, "auth": handler.headers.get("Authorization")})
        status = self.statuses.pop(0) if self.statuses else 201
        self.count += 1
        body = json.dumps({"sid": f"SMfake{self.count:04d}", "status": "queued"} if status < 400 else
                          {"code": 21211 if status < 500 else 20500, "message": "provider says no"})
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.end_headers()
        handler.wfile.write(body.encode())


@pytest.fixture
def fake_provider():
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    provider = FakeProvider([])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            provider.handle(self)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield provider
    server.shutdown()
    server.server_close()
