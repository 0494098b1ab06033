"""A supervisor in the demo reads the seeded history's report, then runs a "volume x10" what-if scenario."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import describe_violations, login, run_axe

pytestmark = pytest.mark.browser


def test_supervisor_reads_reports_and_runs_a_volume_x10_scenario(new_page):
    page = new_page()
    login(page, "supervisor")
    page.goto("/reports/")

    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    charts = page.locator("figure svg[role=img]")
    expect(charts).to_have_count(3)
    expect(charts.first).to_have_accessible_name(re.compile("Contacts offered, handled and abandoned"))
    offered = page.locator(".kpis div", has_text="Contacts offered to agents").locator("dd")
    assert int(offered.inner_text()) > 100  # sixty days of demo history are rolled up
    assert page.locator("#data-table tbody tr").count() == 28
    assert page.locator("section", has_text="Top unanswered questions").locator("tbody tr").count() > 0
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report (CSV)").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workforce planning").click()
    page.get_by_role("link", name="What-if scenario").click()
    page.get_by_label("Queue").select_option("general")
    page.get_by_label("Channel").select_option("voice")
    page.get_by_label("Volume multiplier").fill("10")
    page.get_by_role("button", name="Run the scenario").click()

    peak = page.locator("#peak-agents")
    expect(peak).to_be_visible()
    assert int(peak.inner_text()) > 0
    table = page.locator("#scenario-table")
    expect(table.get_by_role("columnheader", name="Agents needed", exact=True)).to_be_visible()
    expect(table.get_by_role("columnheader", name="Simulated service level")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Erlang A service level")).to_be_visible()
    assert table.locator("tbody tr").count() >= 20
    expect(page.locator("figure svg[role=img]")).to_have_count(2)
    violations = run_axe(page)
    assert violations == [], describe_violations(violations)


def test_scenario_errors_are_announced_next_to_the_field(new_page):
    page = new_page()
    login(page, "supervisor")
    page.goto("/wfm/scenario/")
    page.get_by_label("Volume multiplier").fill("-2")
    page.get_by_role("button", name="Run the scenario").click()
    expect(page.locator("#id_volume_multiplier_error")).to_have_text("The volume multiplier cannot be negative.")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
