"""A small fake government API (http.server in a thread) that the flows call during tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "test-integration-secret"


class FakeGovernmentApi:
    """`mode` chooses the behaviour: "ok", "slow" (sleeps past the timeout), "garbage", "error" (HTTP 500)."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                timestamp = self.headers.get("X-Guichet-Timestamp", "")
                expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                api.requests.append({"path": self.path, "body": json.loads(body),
                                     "signature_ok": hmac.compare_digest(expected,
                                                                         self.headers.get("X-Guichet-Signature", ""))})
                if api.mode == "slow":
                    time.sleep(1.5)
                if api.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                payload = b"<html>oops</html>" if api.mode == "garbage" else json.dumps({
                    "status_en": "approved", "status_fr": "approuvée",
                    "detail_en": "Your card will arrive within 10 business days.",
                    "detail_fr": "Votre carte arrivera d'ici 10 jours ouvrables.",
                    "confirmation": "CONF-42",
                }).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGovernmentApi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
