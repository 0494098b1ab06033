"""Adapters are chosen in settings (`GUICHET_CHANNEL_ADAPTERS`: channel -> dotted class path)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from guichet.conversations.models import Inbox
from guichet.omnichannel.adapters.base import ChannelAdapter


@lru_cache(maxsize=16)
def adapter_class(channel: str) -> type[ChannelAdapter]:
    paths = getattr(settings, "GUICHET_CHANNEL_ADAPTERS", {})
    if channel not in paths:
        raise LookupError(f"no adapter configured for channel {channel!r}")
    return import_string(paths[channel])


def get_adapter(inbox: Inbox) -> ChannelAdapter:
    return adapter_class(inbox.channel)(inbox)
