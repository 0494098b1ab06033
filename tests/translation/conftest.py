from __future__ import annotations

import socket

import pytest

from tests.translation.fake_libretranslate import FakeLibreTranslate


@pytest.fixture
def fake_translator(settings):
    """A running fake LibreTranslate server, configured as Guichet's translator."""
    server = FakeLibreTranslate().start()
    settings.GUICHET_TRANSLATOR = "libretranslate"
    settings.GUICHET_LIBRETRANSLATE_URL = server.url
    settings.GUICHET_LIBRETRANSLATE_API_KEY = "secret-key"
    settings.GUICHET_TRANSLATION_TIMEOUT_S = 0.5
    yield server
    server.stop()


@pytest.fixture
def translator_down(settings):
    """Configured for a LibreTranslate server that is not there (a closed port on this machine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.GUICHET_TRANSLATOR = "libretranslate"
    settings.GUICHET_LIBRETRANSLATE_URL = f"http://127.0.0.1:{port}"
    settings.GUICHET_TRANSLATION_TIMEOUT_S = 0.5
    yield
