"""Phone calls through a Twilio-compatible provider. Calls are driven by TwiML answers to the provider's
webhooks (see omnichannel/voice/ivr.py); this adapter normalises those webhooks and "sends" by speaking.

Words can only reach a caller while the call is live, inside a TwiML answer: messages marked
`metadata["spoken"]` were read out by the IVR and count as delivered. Anything else posted on a phone
conversation (an agent typing after the call) cannot be delivered: the desk offers "reply via" SMS/e-mail.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from guichet.conversations.actions import ActionError
from guichet.conversations.identity import normalise_phone
from guichet.conversations.models import Message
from guichet.omnichannel.adapters.base import ChannelAdapter, InboundMessage, InboundRejected, SendResult
from guichet.omnichannel.twilio_auth import validate_request


class TwilioVoiceAdapter(ChannelAdapter):
    channel = "voice"

    def parse_inbound(self, source: Any) -> InboundMessage:
        assert self.inbox is not None and isinstance(source, HttpRequest)
        params = validate_request(self.inbox, source)
        call_sid = params.get("CallSid", "")
        if not call_sid or not params.get("From"):
            raise InboundRejected("CallSid and From are required", 400)
        try:
            caller = normalise_phone(params["From"])
        except ActionError:
            caller = ""  # withheld / anonymous numbers still get served
        spoken = (params.get("SpeechResult") or "").strip()
        return InboundMessage(channel="voice", provider_id=call_sid, from_identity=caller,
                              to_address=params.get("To", ""), body=spoken or params.get("Digits", ""),
                              headers=params, extra={"digits": params.get("Digits", ""), "speech": spoken})

    def send(self, message: Message) -> SendResult:
        if (message.metadata or {}).get("spoken"):
            return SendResult(provider_id=None, status="delivered")
        return SendResult(None, "failed", "A phone call cannot carry a written reply; reply by SMS or e-mail.")
