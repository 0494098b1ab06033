"""ASGI entry point: HTTP through Django, websockets through Channels (uvicorn serves both)."""

import os

# One BLAS thread: numpy's OpenBLAS threads otherwise compete with the embedding engine for the cores and
# double a virtual-agent turn (docs/virtual-agent.md). Must be set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from guichet.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
