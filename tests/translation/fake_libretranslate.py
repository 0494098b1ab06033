"""A tiny LibreTranslate-compatible server for tests: POST /translate on 127.0.0.1, in a thread.

Modes: "ok" (translates from a small phrase book, else tags the text with the target language), "slow"
(answers after `delay_s`), "garbage" (200 with a body that is not JSON), "error" (HTTP 500).
Every request body is recorded so tests can check what Guichet sent (q, source, target, format, api_key).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PHRASE_BOOK = {
    ("es", "en"): {
        "Hola, necesito ayuda con mi solicitud de pasaporte": "Hello, I need help with my passport application",
    },
    ("en", "es"): {
        "Your application is being processed and you will hear from us soon.":
            "Su solicitud está en trámite y pronto tendrá noticias nuestras.",
    },
}


class FakeLibreTranslate:
    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 2.0
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"unparsed": raw.decode("utf-8", "replace")}
                fake.requests.append({"path": self.path, **body})
                status, payload = fake.answer(self.path, body)
                if fake.mode == "slow":
                    time.sleep(fake.delay_s)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if path != "/translate":
            return 404, {"error": "Not Found"}
        if self.mode == "garbage":
            return 200, b"<html>proxy error</html>"
        if self.mode == "error":
            return 500, {"error": "Internal error"}
        source, target, text = body.get("source"), body.get("target"), body.get("q", "")
        translated = PHRASE_BOOK.get((source, target), {}).get(text, f"[{target}] {text}")
        answer: dict[str, Any] = {"translatedText": translated}
        if source == "auto":
            answer["detectedLanguage"] = {"confidence": 90, "language": "es"}
        return 200, answer

    def start(self) -> FakeLibreTranslate:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
