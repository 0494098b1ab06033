"""Queueing formulas for staffing a contact centre: Erlang B, Erlang C (M/M/n) and Erlang A (M/M/n+M).

Pure Python (no Django). All quantities are per interval and stationary within it.

Sources
-------
* Erlang B recursion ``B(n) = a B(n-1) / (n + a B(n-1))`` (stable, no factorials): Jagerman, "Some properties
  of the Erlang loss function", Bell System Technical Journal 53 (1974). It is run here in log space so that a
  blocking probability below 1e-308 (10,000 agents on a light load) is still exact to the last digit.
* Erlang C from Erlang B: ``C = n B / (n - a (1 - B))``; service level ``1 - C exp(-(n - a) t / AHT)`` and
  ``ASA = C AHT / (n - a)``: Gans, Koole & Mandelbaum, "Telephone call centers: tutorial, review and research
  prospects", MSOM 5(2) 2003, section 4.1.
* Erlang A: Garnett, Mandelbaum & Reiman, "Designing a call center with impatient customers", MSOM 4(3) 2002,
  with the helper ``A(x, y) = x e^y y^-x gamma(x, y)`` (lower incomplete gamma), and the waiting-time
  distribution of Mandelbaum & Zeltyn, "The M/M/n+G queue: summary of performance measures" (Technion
  technical note, 2005): ``P(V > t) = lambda J(t) / (E + lambda J)``. The integrals reduce to incomplete gamma
  functions of ``x = n mu / theta`` and ``y = lambda / theta``, computed here by series and continued fraction in
  log space (Numerical Recipes, 3rd ed., section 6.2).

Service level definitions (``SLDefinition``)
--------------------------------------------
* ``OFFERED`` (default): answered within t / offered. Abandoned contacts count against the service level.
* ``ANSWERED``: answered within t / answered. Ignores abandonment entirely (flatters an overloaded queue).
* ``EXCLUDE_SHORT_ABANDONS``: answered within t / (offered - abandoned within t). Callers who hang up before the
  target are treated as if they never called (the usual "short abandon" convention).
For Erlang C, where nobody abandons, the three coincide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = [
    "ErlangModel",
    "ImpossibleTargetError",
    "ModelUndefinedError",
    "QueueMetrics",
    "SLDefinition",
    "StaffingResult",
    "StaffingTarget",
    "WfmInputError",
    "Workload",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
    "queue_metrics",
    "regularized_gamma_p",
    "required_agents",
    "scheduled_staff",
]

# Upper bound on agents searched before a target is declared impossible; far above any real contact centre.
DEFAULT_MAX_AGENTS = 200_000
_LENTZ_TINY = 1e-300
_SERIES_EPSILON = 1e-17
_MAX_ITERATIONS = 10_000_000


class WfmInputError(ValueError):
    """Bad input to a staffing calculation. ``field`` names the offending parameter."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ModelUndefinedError(WfmInputError):
    """The model has no steady state for these inputs (Erlang C with agents <= offered load)."""


class ImpossibleTargetError(WfmInputError):
    """No number of agents up to the search limit meets the targets."""


class SLDefinition(StrEnum):
    OFFERED = "offered"
    ANSWERED = "answered"
    EXCLUDE_SHORT_ABANDONS = "exclude-short-abandons"


class ErlangModel(StrEnum):
    ERLANG_C = "erlang-c"
    ERLANG_A = "erlang-a"


@dataclass(frozen=True)
class Workload:
    """Contacts offered in one interval.

    ``aht_seconds`` is the handle time of one contact. With ``concurrency`` k > 1 (an agent serving k chats at
    once) each agent is modelled as k independent servers, so ``aht_seconds`` must be the chat duration
    observed *at that concurrency* (chats last longer when agents juggle several).
    ``patience_seconds`` is the mean of the exponential patience; ``None`` means nobody abandons.
    """

    calls_per_interval: float
    interval_seconds: float
    aht_seconds: float
    patience_seconds: float | None = None
    concurrency: int = 1

    def __post_init__(self) -> None:
        _require_positive("calls_per_interval", self.calls_per_interval)
        _require_positive("interval_seconds", self.interval_seconds)
        _require_positive("aht_seconds", self.aht_seconds)
        if self.patience_seconds is not None:
            _require_positive("patience_seconds", self.patience_seconds)
        if (
            not isinstance(self.concurrency, int)
            or isinstance(self.concurrency, bool)
            or self.concurrency < 1
        ):
            raise WfmInputError("concurrency", f"must be a whole number >= 1, got {self.concurrency!r}")

    @property
    def arrival_rate(self) -> float:
        """Contacts per second."""
        return self.calls_per_interval / self.interval_seconds

    @property
    def offered_load(self) -> float:
        """Offered load in Erlangs (busy servers needed on average), before abandonment."""
        return self.arrival_rate * self.aht_seconds


@dataclass(frozen=True)
class StaffingTarget:
    """What a planner asks for. ``service_level`` in (0, 1) of contacts answered within ``target_seconds``."""

    service_level: float
    target_seconds: float
    max_occupancy: float | None = None
    max_abandon_rate: float | None = None
    sl_definition: SLDefinition = SLDefinition.OFFERED

    def __post_init__(self) -> None:
        _require_open_unit("service_level", self.service_level)
        _require_finite("target_seconds", self.target_seconds)
        if self.target_seconds < 0:
            raise WfmInputError("target_seconds", f"must be >= 0, got {self.target_seconds!r}")
        if self.max_occupancy is not None:
            _require_open_unit("max_occupancy", self.max_occupancy, allow_one=True)
        if self.max_abandon_rate is not None:
            _require_open_unit("max_abandon_rate", self.max_abandon_rate)
        object.__setattr__(self, "sl_definition", _parse_sl_definition(self.sl_definition))


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance of one interval with ``agents`` agents.

    ``asa_seconds``: mean wait of answered contacts (zero waits included).
    ``mean_wait_seconds``: mean time in queue over all offered contacts, abandoners included
    (for Erlang A, ``prob_abandon == mean_wait_seconds / patience``).
    """

    model: ErlangModel
    agents: int
    offered_load: float
    prob_wait: float
    service_level: float
    asa_seconds: float
    mean_wait_seconds: float
    prob_abandon: float
    abandon_within_target: float
    occupancy: float
    sl_definition: SLDefinition


@dataclass(frozen=True)
class StaffingResult:
    agents: int
    scheduled_staff: int
    shrinkage: float
    metrics: QueueMetrics


# --------------------------------------------------------------------------------------------- validation


def _require_finite(field: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise WfmInputError(field, f"must be a finite number, got {value!r}")


def _require_positive(field: str, value: float) -> None:
    _require_finite(field, value)
    if value <= 0:
        raise WfmInputError(field, f"must be > 0, got {value!r}")


def _require_open_unit(field: str, value: float, *, allow_one: bool = False) -> None:
    _require_finite(field, value)
    upper_ok = value <= 1 if allow_one else value < 1
    if not (value > 0 and upper_ok):
        bracket = "(0, 1]" if allow_one else "(0, 1)"
        raise WfmInputError(field, f"must be in {bracket}, got {value!r}")


def _require_agents(agents: int) -> None:
    if isinstance(agents, bool) or not isinstance(agents, int | np.integer) or agents < 1:
        raise WfmInputError("agents", f"must be a whole number >= 1, got {agents!r}")


def _parse_sl_definition(value: SLDefinition | str) -> SLDefinition:
    try:
        return SLDefinition(value)
    except ValueError:
        choices = ", ".join(d.value for d in SLDefinition)
        raise WfmInputError("sl_definition", f"must be one of {choices}, got {value!r}") from None


# --------------------------------------------------------------------------------------------- Erlang B


def _log_erlang_b_table(servers: int, load: float) -> list[float]:
    """log B(k, load) for k = 0..servers by the Jagerman recursion, kept in log space.

    In log space: log B(k) = log a + log B(k-1) - log(k + a B(k-1)); never overflows or underflows.
    """
    log_load = math.log(load)
    table = [0.0]
    log_b = 0.0
    for k in range(1, servers + 1):
        log_b = log_load + log_b - math.log(k + load * math.exp(log_b))
        table.append(log_b)
    return table


class _ErlangBTable:
    """Grows the log Erlang B table on demand, so a staffing search pays for the recursion once."""

    def __init__(self, load: float) -> None:
        self._load = load
        self._log_load = math.log(load)
        self._table = [0.0]

    def log_b(self, servers: int) -> float:
        table = self._table
        log_b = table[-1]
        for k in range(len(table), servers + 1):
            log_b = self._log_load + log_b - math.log(k + self._load * math.exp(log_b))
            table.append(log_b)
        return table[servers]


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/n/n loss system with ``servers`` servers and ``load`` Erlangs."""
    _require_agents(servers)
    _require_positive("offered_load", load)
    return math.exp(_log_erlang_b_table(int(servers), load)[-1])


# --------------------------------------------------------------------------------------------- Erlang C


def _erlang_c_from_b(servers: int, load: float, blocking: float) -> float:
    return servers * blocking / (servers - load * (1.0 - blocking))


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arriving contact waits in an M/M/n queue (requires servers > load)."""
    _require_agents(servers)
    _require_positive("offered_load", load)
    _require_stable(int(servers), load)
    return _erlang_c_from_b(int(servers), load, erlang_b(servers, load))


def _require_stable(servers: int, load: float) -> None:
    if servers <= load:
        raise ModelUndefinedError(
            "agents",
            f"Erlang C is undefined with {servers} servers for an offered load of {load:.4g} Erlangs "
            "(the queue grows without bound); add agents or use Erlang A",
        )


def _erlang_c_metrics(
    workload: Workload, agents: int, target: StaffingTarget, b_table: _ErlangBTable, with_waits: bool = True
) -> QueueMetrics:
    servers = agents * workload.concurrency
    load = workload.offered_load
    _require_stable(servers, load)
    prob_wait = _erlang_c_from_b(servers, load, math.exp(b_table.log_b(servers)))
    decay = (servers - load) / workload.aht_seconds
    service_level = 1.0 - prob_wait * math.exp(-decay * target.target_seconds)
    asa = prob_wait / decay
    return QueueMetrics(
        model=ErlangModel.ERLANG_C,
        agents=agents,
        offered_load=load,
        prob_wait=prob_wait,
        service_level=service_level,
        asa_seconds=asa,
        mean_wait_seconds=asa,
        prob_abandon=0.0,
        abandon_within_target=0.0,
        occupancy=load / servers,
        sl_definition=target.sl_definition,
    )


def erlang_c_metrics(workload: Workload, agents: int, target: StaffingTarget) -> QueueMetrics:
    """Erlang C performance with ``agents`` agents. Raises ModelUndefinedError when agents <= load."""
    _require_agents(agents)
    return _erlang_c_metrics(workload, int(agents), target, _ErlangBTable(workload.offered_load))


# ------------------------------------------------------------------------------- incomplete gamma (log space)


def _log_lower_gamma_series(shape: float, z: float) -> float:
    """log of the lower incomplete gamma(shape, z) by its power series; converges well for z < shape + 1.

    gamma(s, z) = z^s e^-z sum_k z^k / (s (s+1) ... (s+k))   (Abramowitz & Stegun 6.5.29)
    """
    return shape * math.log(z) - z + _log_gamma_series_sum(shape, z)


def _log_gamma_series_sum(shape: float, z: float) -> float:
    """log of sum_k z^k / (s (s+1) ... (s+k)), the series part of gamma(s, z) without its prefactor."""
    term = 1.0 / shape
    total = term
    k = 0
    while k < _MAX_ITERATIONS:
        k += 1
        term *= z / (shape + k)
        total += term
        if term < total * _SERIES_EPSILON:
            break
    return math.log(total)


def _log_upper_gamma_fraction(shape: float, z: float) -> float:
    """log of the upper incomplete Gamma(shape, z) by its continued fraction (modified Lentz); z > shape + 1."""
    b = z + 1.0 - shape
    c = 1.0 / _LENTZ_TINY
    d = 1.0 / b
    fraction = d
    for i in range(1, _MAX_ITERATIONS):
        a_i = -i * (i - shape)
        b += 2.0
        d = a_i * d + b
        d = d if abs(d) > _LENTZ_TINY else _LENTZ_TINY
        c = b + a_i / c
        c = c if abs(c) > _LENTZ_TINY else _LENTZ_TINY
        d = 1.0 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return shape * math.log(z) - z + math.log(fraction)


def _log_regularized_p_q(shape: float, z: float) -> tuple[float, float]:
    """(log P(shape, z), log Q(shape, z)) with P + Q = 1, each accurate even when tiny."""
    if z <= 0.0:
        return -math.inf, 0.0
    log_gamma_shape = math.lgamma(shape)
    if z < shape + 1.0:
        log_p = _log_lower_gamma_series(shape, z) - log_gamma_shape
        return log_p, math.log1p(-math.exp(log_p))
    log_q = _log_upper_gamma_fraction(shape, z) - log_gamma_shape
    return math.log1p(-math.exp(log_q)), log_q


def regularized_gamma_p(shape: float, z: float) -> float:
    """Regularised lower incomplete gamma P(shape, z) = gamma(shape, z) / Gamma(shape)."""
    _require_positive("shape", shape)
    _require_finite("z", z)
    return math.exp(_log_regularized_p_q(shape, z)[0])


def _log_p_difference(shape: float, z_high: float, z_low: float) -> float:
    """log(P(shape, z_high) - P(shape, z_low)) for z_high >= z_low, avoiding cancellation near 0 and 1."""
    if z_high <= z_low:
        return -math.inf
    log_p_high, log_q_high = _log_regularized_p_q(shape, z_high)
    log_p_low, log_q_low = _log_regularized_p_q(shape, z_low)
    if z_low >= shape + 1.0:  # both P near 1: subtract the small upper tails instead
        return log_q_low + math.log1p(-math.exp(log_q_high - log_q_low))
    return log_p_high + math.log1p(-math.exp(log_p_low - log_p_high))


def _log_sum_exp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    high, low = max(a, b), min(a, b)
    return high + math.log1p(math.exp(low - high))


# --------------------------------------------------------------------------------------------- Erlang A


@dataclass(frozen=True)
class _ErlangAState:
    """Quantities shared by the Erlang A measures, normalised by the probability of state n (all busy)."""

    x: float  # n mu / theta
    y: float  # lambda / theta
    log_a_xy: float  # log A(x, y) = log sum_j y^j / ((x+1)...(x+j)): mass of states >= n relative to state n
    log_total: float  # log of total mass relative to state n: (1/B - 1) + A(x, y)


def _erlang_a_state(servers: int, load: float, log_b: float, mu: float, theta: float) -> _ErlangAState:
    x = servers * mu / theta
    y = load * mu / theta
    if y < x + 1.0:  # A(x, y) = x * series sum: the prefactor cancels exactly, so skip it
        log_a_xy = math.log(x) + _log_gamma_series_sum(x, y)
    else:  # A(x, y) = x e^y y^-x gamma(x, y) = e^(y - x log y + lgamma(x + 1)) P(x, y)
        log_p_x_y, _ = _log_regularized_p_q(x, y)
        log_a_xy = y - x * math.log(y) + math.lgamma(x + 1.0) + log_p_x_y
    log_idle_mass = math.log(-math.expm1(log_b)) - log_b  # log(1/B - 1): states 0..n-1 relative to state n
    return _ErlangAState(x=x, y=y, log_a_xy=log_a_xy, log_total=_log_sum_exp(log_idle_mass, log_a_xy))


def _queue_length_moments(state: _ErlangAState, mu: float, theta: float) -> tuple[float, float]:
    """(E[queue length], E[wait * 1{served}]) by summing the birth-death chain beyond state n.

    Independent of the incomplete-gamma closed forms, which is why the identity P(ab) = theta E[W] is a real
    check. A tagged arrival with j contacts ahead is served with probability x / (x + j + 1) and, whatever
    its fate, waits sum_{k=0..j} 1 / (n mu + (k + 1) theta) on average.
    """
    x, y = state.x, state.y
    peak = max(0.0, y - x)
    count = int(peak + 14.0 * math.sqrt(y + 1.0) + 40.0)
    j = np.arange(1, count + 1, dtype=float)
    log_weights = np.concatenate(([0.0], np.cumsum(np.log(y / (x + j)))))  # log t_j, t_0 = 1
    weights = np.exp(log_weights - state.log_total)  # pi_{n+j} / sum(pi)
    ahead = np.arange(0, count + 1, dtype=float)
    mean_queue = float(np.dot(ahead, weights))
    mean_sojourn = np.cumsum(1.0 / (x + ahead + 1.0)) / theta
    served_given_ahead = x / (x + ahead + 1.0)
    wait_served = float(np.dot(weights, served_given_ahead * mean_sojourn))
    return mean_queue, wait_served


def _erlang_a_metrics(
    workload: Workload, agents: int, target: StaffingTarget, b_table: _ErlangBTable, with_waits: bool = True
) -> QueueMetrics:
    """``with_waits=False`` skips the queue-length sums behind ASA and mean wait (NaN then): a staffing search
    only needs service level, occupancy and abandonment, and the sums dominate the cost in huge queues."""
    if workload.patience_seconds is None:
        raise WfmInputError("patience_seconds", "Erlang A needs a mean patience (seconds)")
    servers = agents * workload.concurrency
    load = workload.offered_load
    mu = 1.0 / workload.aht_seconds
    theta = 1.0 / workload.patience_seconds
    state = _erlang_a_state(servers, load, b_table.log_b(servers), mu, theta)
    x, y = state.x, state.y
    log_ratio = math.log(servers / load)  # (n / a): converts lambda J(.) into the A(x, y) normalisation
    prob_wait = math.exp(state.log_a_xy - state.log_total)
    # P(ab) = pi_n (x + A (y - x)) / y, i.e. P(ab | wait) = 1 - 1/rho + 1/(rho A)   (GMR 2002, eq. for P{Ab})
    a_xy = math.exp(state.log_a_xy - state.log_total)
    prob_abandon = min(prob_wait, max(0.0, (x * math.exp(-state.log_total) + a_xy * (y - x)) / y))

    survival = math.exp(-theta * target.target_seconds)
    # Served after waiting at most t: (n/a) e^y y^-x Gamma(x+1) [P(x+1, y) - P(x+1, y e^-theta t)] / total
    log_prefactor = y - x * math.log(y) + math.lgamma(x + 1.0) + log_ratio - state.log_total
    served_within = math.exp(log_prefactor + _log_p_difference(x + 1.0, y, y * survival))
    # Offered wait longer than t: (n/a) y e^y y^-x gamma(x, y e^-theta t) / total
    log_p_x_low, _ = _log_regularized_p_q(x, y * survival)
    still_waiting = math.exp(log_prefactor - math.log(x) + math.log(y) + log_p_x_low) if survival > 0 else 0.0
    abandon_within = min(prob_abandon, max(0.0, prob_wait - served_within - survival * still_waiting))
    answered_within = min(1.0, 1.0 - prob_wait + served_within)

    mean_queue, wait_served = _queue_length_moments(state, mu, theta) if with_waits else (math.nan, math.nan)
    answered = 1.0 - prob_abandon
    return QueueMetrics(
        model=ErlangModel.ERLANG_A,
        agents=agents,
        offered_load=load,
        prob_wait=prob_wait,
        service_level=_service_level(answered_within, answered, abandon_within, target.sl_definition),
        asa_seconds=wait_served / answered,
        mean_wait_seconds=mean_queue / workload.arrival_rate,
        prob_abandon=prob_abandon,
        abandon_within_target=abandon_within,
        occupancy=min(1.0, load * answered / servers),
        sl_definition=target.sl_definition,
    )


def _service_level(
    answered_within: float, answered: float, abandon_within: float, definition: SLDefinition
) -> float:
    if definition is SLDefinition.ANSWERED:
        return answered_within / answered
    if definition is SLDefinition.EXCLUDE_SHORT_ABANDONS:
        return answered_within / (1.0 - abandon_within)
    return answered_within


def erlang_a_metrics(workload: Workload, agents: int, target: StaffingTarget) -> QueueMetrics:
    """Erlang A (M/M/n+M) performance with ``agents`` agents; defined for any load, overloaded included."""
    _require_agents(agents)
    return _erlang_a_metrics(workload, int(agents), target, _ErlangBTable(workload.offered_load))


def queue_metrics(
    workload: Workload, agents: int, target: StaffingTarget, model: ErlangModel | str = ErlangModel.ERLANG_C
) -> QueueMetrics:
    """Dispatch to Erlang C or Erlang A by ``model``."""
    parsed = _parse_model(model)
    if parsed is ErlangModel.ERLANG_A:
        return erlang_a_metrics(workload, agents, target)
    return erlang_c_metrics(workload, agents, target)


def _parse_model(value: ErlangModel | str) -> ErlangModel:
    try:
        return ErlangModel(value)
    except ValueError:
        choices = ", ".join(m.value for m in ErlangModel)
        raise WfmInputError("model", f"must be one of {choices}, got {value!r}") from None


# --------------------------------------------------------------------------------------------- staffing


def scheduled_staff(agents: int, shrinkage: float) -> int:
    """Staff to schedule so that ``agents`` are available after shrinkage (breaks, training, absence)."""
    _require_finite("shrinkage", shrinkage)
    if not 0.0 <= shrinkage < 1.0:
        raise WfmInputError("shrinkage", f"must be in [0, 1), got {shrinkage!r}")
    # Round before ceil so 10 / (1 - 0.2) = 12.500000000000002 does not become 13.
    return math.ceil(round(agents / (1.0 - shrinkage), 9))


def _meets(metrics: QueueMetrics, target: StaffingTarget) -> bool:
    if metrics.service_level < target.service_level:
        return False
    if target.max_occupancy is not None and metrics.occupancy > target.max_occupancy:
        return False
    return target.max_abandon_rate is None or metrics.prob_abandon <= target.max_abandon_rate


def required_agents(
    workload: Workload,
    target: StaffingTarget,
    model: ErlangModel | str = ErlangModel.ERLANG_C,
    *,
    shrinkage: float = 0.0,
    max_agents: int = DEFAULT_MAX_AGENTS,
) -> StaffingResult:
    """Smallest number of agents meeting every target, with the staff to schedule after ``shrinkage``.

    Service level, occupancy and abandonment all improve with agents, so a galloping search from the
    square-root-staffing neighbourhood followed by bisection finds the minimum in O(log n) evaluations, and the
    Erlang B recursion behind them is computed once.
    """
    parsed_model = _parse_model(model)
    scheduled_staff(1, shrinkage)  # validates shrinkage before any work
    if parsed_model is ErlangModel.ERLANG_A and workload.patience_seconds is None:
        raise WfmInputError("patience_seconds", "Erlang A needs a mean patience (seconds)")
    if parsed_model is ErlangModel.ERLANG_C and target.max_abandon_rate is not None:
        raise WfmInputError("max_abandon_rate", "needs the Erlang A model (Erlang C has no abandonment)")
    b_table = _ErlangBTable(workload.offered_load)
    evaluate = _erlang_a_metrics if parsed_model is ErlangModel.ERLANG_A else _erlang_c_metrics
    verdicts: dict[int, bool] = {}

    def ok(agents: int) -> bool:
        if agents not in verdicts:
            verdicts[agents] = _meets(evaluate(workload, agents, target, b_table, with_waits=False), target)
        return verdicts[agents]

    lowest = _lowest_candidate(workload, parsed_model)
    low, high = _bracket(ok, lowest, max_agents, workload)
    while low < high:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle + 1
    return StaffingResult(
        agents=high,
        scheduled_staff=scheduled_staff(high, shrinkage),
        shrinkage=shrinkage,
        metrics=evaluate(workload, high, target, b_table),
    )


def _lowest_candidate(workload: Workload, model: ErlangModel) -> int:
    agents_load = workload.offered_load / workload.concurrency
    if model is ErlangModel.ERLANG_C:
        return math.floor(agents_load) + 1  # Erlang C needs servers > load
    return 1


def _bracket(ok: Callable[[int], bool], lowest: int, max_agents: int, workload: Workload) -> tuple[int, int]:
    """(low, high) with ok(high) true and every agent count below low known to fail."""
    guess = max(lowest, math.ceil(workload.offered_load / workload.concurrency))
    step = max(1, int(math.sqrt(guess) / 4))
    if ok(guess):
        high = guess
        while high > lowest:
            candidate = max(lowest, high - step)
            if not ok(candidate):
                return candidate + 1, high
            high, step = candidate, step * 2
        return lowest, lowest
    low = guess + 1
    while True:
        high = low + step - 1
        if high > max_agents:
            if low <= max_agents and ok(max_agents):
                return low, max_agents
            raise ImpossibleTargetError(
                "service_level", f"not reachable with up to {max_agents} agents for these targets"
            )
        if ok(high):
            return low, high
        low, step = high + 1, step * 2
