from django.urls import path

from guichet.realtime.consumers import AgentConsumer, WidgetConsumer

websocket_urlpatterns = [
    path("ws/widget/<slug:inbox>/", WidgetConsumer.as_asgi()),
    path("ws/agent/", AgentConsumer.as_asgi()),
]
