"""Demo history: realistic, rolled up, and loaded only once."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Sum

from guichet.analytics.demo import load_demo_history
from guichet.analytics.models import DailyStat, IntervalStat
from guichet.conversations.models import Conversation
from tests.factories import make_agent, make_inbox, make_queue, make_team

pytestmark = pytest.mark.django_db
END = date(2026, 3, 30)  # a Monday


@pytest.fixture
def demo_inboxes():
    general, benefits = make_team("general"), make_team("benefits")
    general_queue, benefits_queue = make_queue(general, slug="general"), make_queue(benefits, slug="benefits")
    make_agent([general], username="agent_en")
    make_inbox(general_queue, slug="demo-web", bot_enabled=True)
    make_inbox(benefits_queue, slug="benefits-web", bot_enabled=False)
    make_inbox(general_queue, slug="demo-voice", channel="voice", bot_enabled=True)


def test_demo_history_is_loaded_once_and_rolled_up(demo_inboxes):
    first = load_demo_history(days=21, end=END)
    count = Conversation.objects.count()
    assert first == f"{count} conversations over 21 days"
    assert load_demo_history(days=21, end=END) == "already loaded"
    assert Conversation.objects.count() == count

    sums = DailyStat.objects.aggregate(conversations=Sum("conversations"), contained=Sum("bot_contained"),
                                       abandoned=Sum("abandoned"), rated=Sum("rated"),
                                       repeats=Sum("repeat_contacts"))
    assert sums["conversations"] == count == IntervalStat.objects.aggregate(n=Sum("conversations"))["n"]
    assert 0 < sums["contained"] < count
    assert 0 < sums["abandoned"] < count
    assert sums["rated"] > 0 and sums["repeats"] > 0
    assert Conversation.objects.filter(status="resolved").count() == count


def test_demo_history_has_weekly_seasonality_and_a_surge(demo_inboxes):
    load_demo_history(days=21, end=END)
    per_day = dict(DailyStat.objects.values_list("day").annotate(n=Sum("conversations")))
    def in_surge(day: date) -> bool:
        return 15 <= (END - day).days <= 18

    weekdays = [n for day, n in per_day.items() if day.weekday() < 5 and not in_surge(day)]
    weekends = [n for day, n in per_day.items() if day.weekday() >= 5 and not in_surge(day)]
    surge = [n for day, n in per_day.items() if in_surge(day) and day.weekday() < 5]
    assert min(weekdays) > max(weekends)
    assert sum(surge) / len(surge) > 1.5 * sum(weekdays) / len(weekdays)
