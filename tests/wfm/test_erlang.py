"""Erlang B/C/A: published reference values, exact identities, an independent CTMC oracle, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.wfm.erlang import (
    ImpossibleTargetError,
    ModelUndefinedError,
    SLDefinition,
    StaffingTarget,
    WfmInputError,
    Workload,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    queue_metrics,
    regularized_gamma_p,
    required_agents,
    scheduled_staff,
)

HALF_HOUR = 1800.0


# ------------------------------------------------------------------------------------- reference values


def test_erlang_c_reference_vector_from_the_issue():
    metrics = erlang_c_metrics(Workload(360, HALF_HOUR, 240), 55, StaffingTarget(0.8, 15))
    assert metrics.prob_wait == pytest.approx(0.2387, abs=5e-5)
    assert metrics.service_level == pytest.approx(0.8459, abs=5e-5)
    assert metrics.asa_seconds == pytest.approx(8.18, abs=5e-3)
    assert metrics.occupancy == pytest.approx(48 / 55)


def test_erlang_a_reference_vector_from_the_issue():
    workload = Workload(100, HALF_HOUR, 180, patience_seconds=300)
    metrics = erlang_a_metrics(workload, 14, StaffingTarget(0.8, 20))
    assert metrics.prob_wait == pytest.approx(0.14526, abs=5e-6)
    assert metrics.prob_abandon == pytest.approx(0.013984, abs=5e-7)
    assert metrics.service_level == pytest.approx(0.916792, abs=5e-7)


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (1, 1.0, 0.5),  # B(1, a) = a / (1 + a)
        (3, 2.0, 4 / 19),  # (8/6) / (1 + 2 + 2 + 8/6)
        (10, 10.0, 0.21458),  # standard Erlang B table value
        (5, 2.0, 0.03670),  # standard Erlang B table value
    ],
)
def test_erlang_b_known_values(servers, load, expected):
    assert erlang_b(servers, load) == pytest.approx(expected, abs=5e-6)


def test_erlang_c_exact_small_cases():
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-12)
    assert erlang_c(1, 0.7) == pytest.approx(0.7, rel=1e-12)  # M/M/1: P(wait) = rho


def test_erlang_c_mm1_waiting_time_distribution():
    # M/M/1 with rho = 0.5, AHT 100 s: P(W > t) = rho exp(-(1 - rho) t / AHT), ASA = rho AHT / (1 - rho)
    workload = Workload(9, HALF_HOUR, 100)  # lambda = 0.005/s, load 0.5
    metrics = erlang_c_metrics(workload, 1, StaffingTarget(0.5, 60))
    assert metrics.service_level == pytest.approx(1 - 0.5 * math.exp(-0.3), rel=1e-12)
    assert metrics.asa_seconds == pytest.approx(100.0, rel=1e-12)


def test_erlang_a_with_patience_equal_to_aht_is_an_infinite_server_queue():
    # theta = mu makes every contact in the system leave at rate mu: the number present is Poisson(a).
    load, servers = 12.0, 14
    workload = Workload(load * HALF_HOUR / 200, HALF_HOUR, 200, patience_seconds=200)
    metrics = erlang_a_metrics(workload, servers, StaffingTarget(0.8, 20))
    k = np.arange(0, 400)
    poisson = np.exp(k * math.log(load) - load - np.array([math.lgamma(i + 1) for i in k]))
    assert metrics.prob_wait == pytest.approx(poisson[servers:].sum(), rel=1e-9)
    expected_abandon = (np.maximum(k - servers, 0) * poisson).sum() / load  # theta E[Q] / lambda
    assert metrics.prob_abandon == pytest.approx(expected_abandon, rel=1e-9)


def test_regularized_gamma_against_closed_forms():
    # P(1, z) = 1 - e^-z ; P(1/2, z) = erf(sqrt z) ; P(n, z) = 1 - e^-z sum_{k<n} z^k / k!
    assert regularized_gamma_p(1.0, 2.5) == pytest.approx(1 - math.exp(-2.5), rel=1e-13)
    assert regularized_gamma_p(0.5, 3.0) == pytest.approx(math.erf(math.sqrt(3.0)), rel=1e-13)
    poisson_head = sum(40.0**k / math.factorial(k) for k in range(30)) * math.exp(-40.0)
    assert regularized_gamma_p(30.0, 40.0) == pytest.approx(1 - poisson_head, rel=1e-12)
    assert regularized_gamma_p(30.0, 20.0) == pytest.approx(
        1 - sum(20.0**k / math.factorial(k) for k in range(30)) * math.exp(-20.0), rel=1e-10
    )


# ------------------------------------------------------------------------- independent CTMC oracle (Erlang A)


def _ctmc_erlang_a(servers: int, arrival: float, mu: float, theta: float, target: float, levels: int = 120):
    """Brute force: truncated birth-death stationary law + uniformised tagged-customer absorption."""
    death = [min(k, servers) * mu + max(k - servers, 0) * theta for k in range(levels)]
    weights = [1.0]
    for k in range(1, levels):
        weights.append(weights[-1] * arrival / death[k])
    pi = np.array(weights) / sum(weights)
    prob_wait = pi[servers:].sum()
    # Tagged arrival with j ahead: transient levels j..0, absorbing "served" and "abandoned".
    size = levels + 2
    served, abandoned = levels, levels + 1
    rate = servers * mu + (levels + 1) * theta
    jump = np.zeros((size, size))
    for ahead in range(levels):
        forward = servers * mu + ahead * theta
        jump[ahead, ahead - 1 if ahead > 0 else served] += forward / rate
        jump[ahead, abandoned] += theta / rate
        jump[ahead, ahead] += 1 - (forward + theta) / rate
    jump[served, served] = jump[abandoned, abandoned] = 1.0
    start = np.zeros((levels, size))
    start[np.arange(levels), np.arange(levels)] = 1.0
    distribution, served_by_t = start, np.zeros(levels)
    poisson_term = math.exp(-rate * target)
    expected_jumps = rate * target
    for step in range(int(expected_jumps + 12 * math.sqrt(expected_jumps) + 30)):
        served_by_t += poisson_term * distribution[:, served]
        distribution = distribution @ jump
        poisson_term *= rate * target / (step + 1)
    entering = pi[servers : servers + levels]
    answered_within = (1 - prob_wait) + float(np.dot(entering, served_by_t[: len(entering)]))
    mean_queue = float(np.dot(np.maximum(np.arange(levels) - servers, 0), pi))
    return prob_wait, theta * mean_queue / arrival, answered_within


@pytest.mark.parametrize(
    ("servers", "calls", "aht", "patience", "target"),
    [(14, 100, 180, 300, 20), (5, 60, 120, 60, 30), (8, 150, 120, 90, 15), (3, 40, 300, 600, 60)],
)
def test_erlang_a_matches_brute_force_ctmc(servers, calls, aht, patience, target):
    workload = Workload(calls, HALF_HOUR, aht, patience_seconds=patience)
    metrics = erlang_a_metrics(workload, servers, StaffingTarget(0.8, target))
    prob_wait, prob_abandon, answered_within = _ctmc_erlang_a(
        servers, workload.arrival_rate, 1 / aht, 1 / patience, target
    )
    assert metrics.prob_wait == pytest.approx(prob_wait, rel=1e-7)
    assert metrics.prob_abandon == pytest.approx(prob_abandon, rel=1e-7)
    assert metrics.service_level == pytest.approx(answered_within, rel=1e-7)


def test_erlang_a_overloaded_queue_is_defined():
    workload = Workload(300, HALF_HOUR, 180, patience_seconds=120)  # 30 Erlangs on 20 agents
    metrics = erlang_a_metrics(workload, 20, StaffingTarget(0.8, 20))
    # Throughput cannot exceed capacity: answered fraction <= n / a.
    assert 1 - metrics.prob_abandon <= 20 / 30 + 1e-12
    assert 0 < metrics.service_level < 1
    assert metrics.prob_wait > 0.9


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    target = StaffingTarget(0.8, 15)
    impatient_free = erlang_c_metrics(Workload(360, HALF_HOUR, 240), 55, target)
    very_patient = erlang_a_metrics(Workload(360, HALF_HOUR, 240, patience_seconds=1e7), 55, target)
    assert very_patient.prob_wait == pytest.approx(impatient_free.prob_wait, rel=1e-3)
    assert very_patient.service_level == pytest.approx(impatient_free.service_level, rel=1e-3)
    assert very_patient.asa_seconds == pytest.approx(impatient_free.asa_seconds, rel=1e-3)


# --------------------------------------------------------------------------------- large systems, stability


def test_ten_thousand_agents_are_numerically_stable():
    target = StaffingTarget(0.8, 20)
    erlang_c_case = erlang_c_metrics(Workload(9800 * HALF_HOUR / 300, HALF_HOUR, 300), 10_000, target)
    assert 0 < erlang_c_case.prob_wait < 1
    assert 0 < erlang_c_case.service_level < 1
    light = erlang_c_metrics(Workload(2000 * HALF_HOUR / 300, HALF_HOUR, 300), 10_000, target)
    assert light.prob_wait == 0.0 or light.prob_wait < 1e-300
    assert light.service_level == 1.0
    erlang_a_case = erlang_a_metrics(
        Workload(10_200 * HALF_HOUR / 300, HALF_HOUR, 300, patience_seconds=200), 10_000, target
    )
    assert all(math.isfinite(v) for v in (erlang_a_case.prob_wait, erlang_a_case.service_level))
    assert erlang_a_case.prob_abandon == pytest.approx(erlang_a_case.mean_wait_seconds / 200, rel=1e-6)


def test_required_agents_for_five_thousand_agents():
    workload = Workload(4750 * HALF_HOUR / 300, HALF_HOUR, 300)
    result = required_agents(workload, StaffingTarget(0.8, 20))
    below = erlang_c_metrics(workload, result.agents - 1, StaffingTarget(0.8, 20))
    assert result.metrics.service_level >= 0.8 > below.service_level


# ------------------------------------------------------------------------------------------ staffing search


def test_required_agents_erlang_c_is_the_smallest_meeting_target():
    workload, target = Workload(360, HALF_HOUR, 240), StaffingTarget(0.8, 15)
    result = required_agents(workload, target)
    assert result.agents == 55
    assert erlang_c_metrics(workload, 54, target).service_level < 0.8


def test_required_agents_respects_max_occupancy():
    workload = Workload(360, HALF_HOUR, 240)
    result = required_agents(workload, StaffingTarget(0.8, 15, max_occupancy=0.80))
    assert result.agents == 60  # 48 / 60 = 0.80 exactly
    assert result.metrics.occupancy <= 0.80


def test_required_agents_erlang_a_with_max_abandon_rate():
    workload = Workload(100, HALF_HOUR, 180, patience_seconds=300)
    loose = required_agents(workload, StaffingTarget(0.5, 20), "erlang-a")
    strict = required_agents(workload, StaffingTarget(0.5, 20, max_abandon_rate=0.01), "erlang-a")
    assert strict.metrics.prob_abandon <= 0.01
    assert strict.agents > loose.agents
    assert erlang_a_metrics(workload, strict.agents - 1, StaffingTarget(0.5, 20)).prob_abandon > 0.01


def test_shrinkage_turns_agents_into_scheduled_staff():
    assert scheduled_staff(10, 0.2) == 13  # 12.5 people round up
    assert scheduled_staff(12, 0.25) == 16  # exactly 16, not 17 through floating-point noise
    assert scheduled_staff(7, 0.0) == 7
    result = required_agents(Workload(360, HALF_HOUR, 240), StaffingTarget(0.8, 15), shrinkage=0.3)
    assert result.scheduled_staff == math.ceil(55 / 0.7)


def test_chat_concurrency_divides_agents():
    chats = Workload(360, HALF_HOUR, 240, concurrency=3)
    result = required_agents(chats, StaffingTarget(0.8, 15))
    assert result.agents == 19  # 57 chat slots >= 55 servers needed; 18 agents = 54 slots fail
    assert result.metrics.occupancy == pytest.approx(48 / 57)


def test_service_level_definitions_are_ordered():
    workload = Workload(150, HALF_HOUR, 180, patience_seconds=120)
    values = {
        definition: erlang_a_metrics(workload, 15, StaffingTarget(0.8, 20, sl_definition=definition))
        for definition in SLDefinition
    }
    offered = values[SLDefinition.OFFERED].service_level
    assert offered < values[SLDefinition.ANSWERED].service_level
    assert offered < values[SLDefinition.EXCLUDE_SHORT_ABANDONS].service_level
    answered = values[SLDefinition.OFFERED]
    assert values[SLDefinition.ANSWERED].service_level == pytest.approx(offered / (1 - answered.prob_abandon))


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Workload(-1, HALF_HOUR, 240), "calls_per_interval"),
        (lambda: Workload(0, HALF_HOUR, 240), "calls_per_interval"),
        (lambda: Workload(10, 0, 240), "interval_seconds"),
        (lambda: Workload(10, HALF_HOUR, 0), "aht_seconds"),
        (lambda: Workload(10, HALF_HOUR, 240, patience_seconds=0), "patience_seconds"),
        (lambda: Workload(10, HALF_HOUR, 240, concurrency=0), "concurrency"),
        (lambda: StaffingTarget(1.0, 20), "service_level"),
        (lambda: StaffingTarget(0.0, 20), "service_level"),
        (lambda: StaffingTarget(0.8, -1), "target_seconds"),
        (lambda: StaffingTarget(0.8, 20, max_occupancy=1.5), "max_occupancy"),
        (lambda: StaffingTarget(0.8, 20, sl_definition="nonsense"), "sl_definition"),
        (lambda: scheduled_staff(10, 1.0), "shrinkage"),
        (
            lambda: queue_metrics(Workload(10, HALF_HOUR, 240), 5, StaffingTarget(0.8, 20), "erlang-x"),
            "model",
        ),
        (lambda: erlang_c_metrics(Workload(10, HALF_HOUR, 240), 0, StaffingTarget(0.8, 20)), "agents"),
    ],
)
def test_bad_input_names_the_field(build, field):
    with pytest.raises(WfmInputError) as caught:
        build()
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == field
    assert str(caught.value).startswith(field)


def test_erlang_c_undefined_when_agents_do_not_exceed_load():
    with pytest.raises(ModelUndefinedError) as caught:
        erlang_c_metrics(Workload(360, HALF_HOUR, 240), 48, StaffingTarget(0.8, 15))
    assert caught.value.field == "agents"


def test_unreachable_target_is_reported():
    with pytest.raises(ImpossibleTargetError) as caught:
        required_agents(Workload(360, HALF_HOUR, 240), StaffingTarget(0.99, 15), max_agents=50)
    assert caught.value.field == "service_level"


def test_erlang_a_requires_patience():
    with pytest.raises(WfmInputError) as caught:
        required_agents(Workload(360, HALF_HOUR, 240), StaffingTarget(0.8, 15), "erlang-a")
    assert caught.value.field == "patience_seconds"


# ----------------------------------------------------------------------------------------------- properties

calls = st.floats(min_value=1.0, max_value=2000.0)
aht = st.floats(min_value=10.0, max_value=1200.0)
patience = st.floats(min_value=5.0, max_value=3000.0)
agents = st.integers(min_value=1, max_value=400)
target_seconds = st.floats(min_value=0.0, max_value=600.0)


@settings(max_examples=60, deadline=None)
@given(calls=calls, aht=aht, patience=patience, agents=agents)
def test_abandonment_equals_theta_times_mean_wait(calls, aht, patience, agents):
    workload = Workload(calls, HALF_HOUR, aht, patience_seconds=patience)
    metrics = erlang_a_metrics(workload, agents, StaffingTarget(0.8, 20))
    assert metrics.prob_abandon == pytest.approx(metrics.mean_wait_seconds / patience, rel=1e-6, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(calls=calls, aht=aht, patience=patience, agents=agents, target=target_seconds)
def test_erlang_a_monotonic_in_agents(calls, aht, patience, agents, target):
    workload = Workload(calls, HALF_HOUR, aht, patience_seconds=patience)
    goal = StaffingTarget(0.8, target)
    fewer, more = erlang_a_metrics(workload, agents, goal), erlang_a_metrics(workload, agents + 1, goal)
    assert more.prob_wait <= fewer.prob_wait + 1e-12
    assert more.service_level >= fewer.service_level - 1e-12
    assert 0.0 <= more.service_level <= 1.0


@settings(max_examples=60, deadline=None)
@given(calls=calls, aht=aht, extra=st.integers(min_value=1, max_value=200), target=target_seconds)
def test_erlang_c_monotonic_in_agents(calls, aht, extra, target):
    workload = Workload(calls, HALF_HOUR, aht)
    base = math.floor(workload.offered_load) + extra
    goal = StaffingTarget(0.8, target)
    fewer, more = erlang_c_metrics(workload, base, goal), erlang_c_metrics(workload, base + 1, goal)
    assert more.prob_wait <= fewer.prob_wait + 1e-12
    assert more.service_level >= fewer.service_level - 1e-12


# ------------------------------------------------------------------------------------------------ staff CLI


def _run_staff(argv):
    import io

    from guichet.wfm.cli import staff_command

    out, err = io.StringIO(), io.StringIO()
    code = staff_command(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_staff_command_prints_requirement_and_scheduled_staff():
    code, out, err = _run_staff(
        [
            "--calls-per-interval",
            "360",
            "--aht",
            "240",
            "--target-seconds",
            "15",
            "--service-level",
            "80%",
            "--shrinkage",
            "0.3",
        ]
    )
    assert code == 0 and err == ""
    assert "Required agents: 55" in out
    assert f"Scheduled staff (shrinkage 30.0%): {math.ceil(55 / 0.7)}" in out
    assert "84.6%" in out  # service level at 55 agents


def test_staff_command_erlang_a_tsv_for_spreadsheets():
    code, out, _ = _run_staff(
        [
            "--calls-per-interval",
            "100",
            "--aht",
            "180",
            "--patience",
            "300",
            "--target-seconds",
            "20",
            "--model",
            "erlang-a",
            "--format",
            "tsv",
        ]
    )
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split("\t")[0] == "Agents"
    row_14 = next(row.split("\t") for row in rows if row.startswith("14\t"))
    assert row_14[1:3] == ["14.5%", "91.7%"]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--calls-per-interval", "-5", "--aht", "240"], "--calls-per-interval"),
        (["--calls-per-interval", "100", "--aht", "0"], "--aht"),
        (["--calls-per-interval", "100", "--aht", "240", "--service-level", "1.2"], "--service-level"),
        (["--calls-per-interval", "100", "--aht", "240", "--patience", "0"], "--patience"),
        (["--calls-per-interval", "100", "--aht", "240", "--model", "erlang-a"], "--patience"),
        (["--calls-per-interval", "100", "--aht", "240", "--shrinkage", "1"], "--shrinkage"),
        (["--calls-per-interval", "100", "--aht", "240", "--concurrency", "0"], "--concurrency"),
        (["--calls-per-interval", "100", "--aht", "soon"], "--aht"),
        (["--calls-per-interval", "100"], "--aht"),
    ],
)
def test_staff_command_bad_input_exits_2_naming_the_field(argv, named):
    code, out, err = _run_staff(argv)
    assert code == 2
    assert out == ""
    assert named in err
