"""A controllable clock and a hand-computed day of conversations, built through the product's own actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from guichet.conversations import actions
from guichet.conversations.models import Message
from tests.factories import make_agent, make_contact, make_inbox, make_queue, make_team


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> Clock:
        self.now = moment
        return self

    def advance(self, **delta: float) -> Clock:
        self.now += timedelta(**delta)
        return self


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


def handled(clock, agent, inbox, contact, start, *, wait_s, reply_s, resolve_s, text="Hello"):
    """Queued at `start`, taken after `wait_s`, first reply at `reply_s`, resolved at `resolve_s`."""
    clock.at(start)
    conversation = actions.start_conversation(contact, inbox, language="en")
    actions.receive_message(conversation, text)
    clock.at(start + timedelta(seconds=wait_s))
    actions.take_conversation(agent, conversation)
    clock.at(start + timedelta(seconds=reply_s))
    actions.send_agent_reply(agent, conversation, "How can I help?")
    clock.at(start + timedelta(seconds=resolve_s))
    return actions.resolve_conversation(agent, conversation)


def abandoned(clock, inbox, contact, start, *, after_s):
    clock.at(start)
    conversation = actions.start_conversation(contact, inbox, language="en")
    actions.receive_message(conversation, "Anyone there?")
    clock.at(start + timedelta(seconds=after_s))
    return actions.resolve_conversation(None, conversation)


def bot_reply(conversation, text="Here is the official answer."):
    return actions.post_message(conversation, text, author_kind=Message.Author.BOT)


def build_day(clock):
    """Six conversations on Monday 2 March 2026 (UTC times; Toronto is UTC-5). Expected figures:

    A web  14:00 wait 30 s (in target), first reply 50 s, resolved at 600 s -> handle 570 s; rated 5
    B web  14:05 wait 120 s (late), first reply 130 s, resolved at 300 s -> handle 180 s; rated 2
    C web  14:10 abandoned after 200 s
    D bot  14:20 answered by the bot, resolved after 180 s (contained)
    E bot  14:31 bot, handed off at 60 s, taken at 100 s (wait 40 s), reply 110 s, resolved 400 s -> handle 300 s
    F web  16:00 same citizen as A (repeat within 7 days), abandoned after 60 s
    """
    team = make_team("general")
    queue = make_queue(team, slug="general")
    web = make_inbox(queue, slug="web", bot_enabled=False)
    bot_web = make_inbox(queue, slug="bot-web", bot_enabled=True)
    agent = make_agent([team], username="ada")
    citizen = make_contact()
    a = handled(clock, agent, web, citizen, at(14, 0), wait_s=30, reply_s=50, resolve_s=600)
    b = handled(clock, agent, web, make_contact(), at(14, 5), wait_s=120, reply_s=130, resolve_s=300)
    c = abandoned(clock, web, make_contact(), at(14, 10), after_s=200)
    clock.at(at(14, 20))
    d = actions.start_conversation(make_contact(), bot_web, language="en")
    actions.receive_message(d, "What are your hours?")
    bot_reply(d)
    clock.advance(seconds=180)
    actions.resolve_conversation(None, d)
    clock.at(at(14, 31))
    e = actions.start_conversation(make_contact(), bot_web, language="fr")
    actions.receive_message(e, "Comment renouveler mon passeport?")
    bot_reply(e, "Je vous transfère à un agent.")
    clock.advance(seconds=60)
    actions.enqueue_conversation(e)
    clock.advance(seconds=40)
    actions.take_conversation(agent, e)
    clock.advance(seconds=10)
    actions.send_agent_reply(agent, e, "Bonjour!")
    clock.advance(seconds=290)
    actions.resolve_conversation(agent, e)
    f = abandoned(clock, web, citizen, at(16, 0), after_s=60)
    return {"queue": queue, "agent": agent, "web": web, "bot_web": bot_web,
            "conversations": {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}}
