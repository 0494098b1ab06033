"""Report aggregates against a hand-computed day: incremental updates, rebuilds and the figures derived."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from guichet.analytics import reports
from guichet.analytics.actions import latest_survey, record_survey_answer
from guichet.analytics.models import MEASURES, ConversationFact, DailyStat, IntervalStat
from guichet.conversations import actions
from guichet.core.jobs import run_due_jobs
from guichet.core.models import Job
from tests.analytics.helpers import at, build_day

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def day_totals() -> dict[str, int]:
    row = DailyStat.objects.get(day=DAY)
    return {name: getattr(row, name) for name in MEASURES}


def snapshot() -> list[tuple]:
    interval = sorted((r.queue_id, r.channel, r.interval_start, *r.measures().values())
                      for r in IntervalStat.objects.all() if any(r.measures().values()))
    daily = sorted((r.queue_id, r.channel, r.day, *r.measures().values())
                   for r in DailyStat.objects.all() if any(r.measures().values()))
    return interval + daily


def test_resolving_conversations_updates_the_daily_sums(clock):
    day = build_day(clock)
    web_survey = {name: latest_survey(day["conversations"][name], "web") for name in "AB"}
    record_survey_answer(web_survey["A"], 5)
    record_survey_answer(web_survey["B"], 2, "Too slow")

    assert day_totals() == {
        "conversations": 6, "offered": 5, "handled": 3, "abandoned": 2, "answered_within_target": 2,
        "wait_sum_s": 30 + 120 + 40, "handle_sum_s": 570 + 180 + 300, "first_response_count": 3,
        "first_response_sum_s": 50 + 130 + 110, "resolution_sum_s": 600 + 300 + 200 + 180 + 400 + 60,
        "bot_conversations": 2, "bot_contained": 1, "handed_off": 1, "rated": 2, "rating_sum": 7, "satisfied": 1,
        "repeat_contacts": 1,
    }


def test_derived_figures_match_the_hand_computation(clock):
    day = build_day(clock)
    record_survey_answer(latest_survey(day["conversations"]["A"], "web"), 5)
    record_survey_answer(latest_survey(day["conversations"]["B"], "web"), 2)
    total = reports.totals(reports.ReportFilter(start=DAY, end=DAY))

    assert total.service_level == pytest.approx(2 / 5)
    assert total.abandon_rate == pytest.approx(2 / 5)
    assert total.asa_s == pytest.approx(190 / 3)
    assert total.aht_s == pytest.approx(350)
    assert total.first_response_s == pytest.approx(290 / 3)
    assert total.resolution_s == pytest.approx(290)
    assert total.containment == pytest.approx(0.5)
    assert total.handoff_rate == pytest.approx(0.5)
    assert total.satisfaction == pytest.approx(3.5)
    assert total.first_contact_resolution == pytest.approx(5 / 6)


def test_intervals_are_summed_into_local_half_hours(clock):
    build_day(clock)
    rows = reports.intervals(reports.ReportFilter(start=DAY, end=DAY, grouping="30"))
    busy = {row.label: (row.conversations, row.offered, row.handled, row.abandoned, row.bot_contained)
            for row in rows if row.conversations}

    # 14:00-14:29 UTC is 09:00 in Toronto: A, B, C and D; E at 14:31 -> 09:30; F at 16:00 -> 11:00.
    assert busy == {"2026-03-02 09:00": (4, 3, 2, 1, 1), "2026-03-02 09:30": (1, 1, 1, 0, 0),
                    "2026-03-02 11:00": (1, 1, 0, 1, 0)}
    assert len(rows) == 48
    assert rows[18].service_level == pytest.approx(1 / 3)  # 09:00: only A answered within 60 s


def test_fifteen_minute_rows_are_stored_in_utc(clock):
    build_day(clock)
    stored = {row.interval_start: row.conversations for row in IntervalStat.objects.all()}
    assert stored == {at(14, 0): 3, at(14, 15): 1, at(14, 30): 1, at(16, 0): 1}


def test_reopening_and_resolving_again_does_not_count_twice(clock):
    day = build_day(clock)
    before = day_totals()
    a = day["conversations"]["A"]
    clock.at(at(17, 0))
    actions.reopen_conversation(day["agent"], a)
    clock.at(at(17, 10))
    actions.resolve_conversation(day["agent"], a)

    after = day_totals()
    assert after["conversations"] == before["conversations"] == 6
    assert after["handled"] == before["handled"]
    # The second resolution moved A's resolution and handle time, not the counts.
    assert after["resolution_sum_s"] - before["resolution_sum_s"] == (3 * 3600 + 10 * 60) - 600
    assert ConversationFact.objects.count() == 6


def test_a_transfer_to_another_queue_moves_the_contribution(clock):
    day = build_day(clock)
    from tests.factories import make_queue, make_team

    other = make_queue(make_team("benefits"), slug="benefits")
    b = day["conversations"]["B"]
    clock.at(at(18, 0))
    actions.reopen_conversation(day["agent"], b)
    type(b).objects.filter(pk=b.pk).update(queue=other)
    actions.resolve_conversation(day["agent"], b)

    assert DailyStat.objects.get(day=DAY, queue=day["queue"]).conversations == 5
    assert DailyStat.objects.get(day=DAY, queue=other).conversations == 1
    assert IntervalStat.objects.get(queue=other).interval_start == at(14, 0)


def test_rollup_rebuilds_exactly_what_the_hooks_maintained(clock):
    day = build_day(clock)
    record_survey_answer(latest_survey(day["conversations"]["A"], "web"), 4)
    incremental = snapshot()
    IntervalStat.objects.update(offered=999)  # damage the tables: the rollup must repair them

    call_command("analytics", "rollup", "--since", "2026-03-01", stdout=open("/dev/null", "w"))

    assert snapshot() == incremental
    call_command("analytics", "rollup", "--since", "2026-03-01", stdout=open("/dev/null", "w"))
    assert snapshot() == incremental


def test_unanswered_questions_come_from_the_bots_turns(clock):
    bot_models = pytest.importorskip("guichet.bot.models")
    day = build_day(clock)
    e = day["conversations"]["E"]
    bot_models.BotTurn.objects.create(conversation=e, question="Comment renouveler mon passeport?",
                                      question_key="renouveler passeport", language="fr", outcome="handed_off")
    actions.reopen_conversation(day["agent"], e)
    actions.resolve_conversation(day["agent"], e)

    top = reports.top_unanswered(reports.ReportFilter(start=DAY, end=DAY))
    assert top == [{"language": "fr", "question_key": "renouveler passeport", "count": 1,
                    "example": "Comment renouveler mon passeport?"}]


def test_the_nightly_rollup_job_repairs_the_last_two_days(clock):
    build_day(clock)
    repaired = snapshot()
    job = Job.objects.get(kind="analytics.rollup")
    assert job.run_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # 03:00 in Toronto, the night after
    IntervalStat.objects.update(handled=0)
    DailyStat.objects.update(conversations=0)

    clock.at(datetime(2026, 3, 3, 8, 1, tzinfo=UTC))
    assert run_due_jobs(kinds={"analytics.rollup"}) == 1
    assert snapshot() == repaired


def test_a_failing_report_update_never_blocks_the_resolution(clock, monkeypatch, caplog):
    from guichet.analytics import actions as analytics_actions
    from tests.factories import make_conversation, make_inbox

    def broken(conversation):
        raise RuntimeError("aggregate tables unavailable")

    monkeypatch.setattr(analytics_actions, "record_conversation", broken)
    conversation = make_conversation(make_inbox(), first_message="Hello")
    resolved = actions.resolve_conversation(None, conversation)

    resolved.refresh_from_db()
    assert resolved.status == "resolved"
    assert "analytics.hook_failed step=broken" in caplog.text
    assert latest_survey(resolved, "web") is not None  # the survey is still asked
