"""Chat relay benchmark: N citizen websockets send messages that are stored and pushed to an agent socket.

Starts a real Guichet server (`python -m guichet serve`, embedded mode: throwaway SQLite file + in-process
channel layer) with the demo data, signs an agent in (session cookie), connects N=200 citizen websockets to the
"benefits-web" inbox (no virtual agent, so every message is stored, acknowledged and published to the team's
agents) and runs a closed loop: each citizen sends a message, waits for its `message.ack` (stored), sends the
next. The agent socket counts `message.created` events; every acknowledged message must reach it.

Then runs the untouched reference echo server (/work/shared/bench/echo_baseline.py) with the same connections
and seconds, and prints the ratio. Prints `name: value` lines:

    chat_relay.msgs_per_s, chat_relay.p50_ms, chat_relay.p99_ms   (send -> ack, citizen side, steady state)
    chat_relay.agent_p50_ms, chat_relay.agent_p99_ms              (send -> message.created on the agent socket)
    chat_relay.delivered_ratio                                    (agent events / acknowledged messages)
    chat_relay.conversations_opened, chat_relay.open_conversations_per_s  (warm-up: each citizen's first
                                                                  message opens a conversation; not in msgs_per_s)
    echo.msgs_per_s, echo.p50_ms, echo.p99_ms, chat_relay.ratio_to_echo

Run: .venv/bin/python benchmarks/chat_relay.py [--connections 200] [--seconds 10]
     GUICHET_DATABASE_URL=postgresql://... GUICHET_REDIS_URL=redis://... \
       .venv/bin/python benchmarks/chat_relay.py --processes 2     (at scale: 2 web processes, same figures
                                                                    named chat_relay_pg2.*)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO_DIR), str(REPO_DIR / "src")]

from tests.browser.helpers import (  # noqa: E402
    embedded_env,
    free_port,
    manage,
    start_server,
    stop_process,
    wait_until_serving,
)

ECHO_BASELINE = Path(os.environ.get("GUICHET_ECHO_BASELINE",
                                    REPO_DIR.parent / "shared" / "bench" / "echo_baseline.py"))
INBOX = "benefits-web"
AGENT_ROLE = "agent_bi"  # member of the "benefits" team, so it receives the inbox's message events
DRAIN_TIMEOUT_S = 15
WARM_UP_LIMIT_S = 60  # keeps the whole run under two minutes even when opening conversations is slow
SESSION_SCRIPT = (
    "from django.test import Client; from django.contrib.auth.models import User; "
    "c = Client(); c.force_login(User.objects.get(username={username!r})); print(c.cookies['sessionid'].value)"
)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000


class Stats:
    def __init__(self) -> None:
        self.ack_latencies: list[float] = []
        self.agent_latencies: list[float] = []
        self.sent_at: dict[str, float] = {}
        self.acked = 0
        self.delivered = 0
        self.errors: list[str] = []
        self.connected = 0
        self.opened = 0
        self.warm_up_s = 0.0
        self.event_types: dict[str, int] = {}
        self.elapsed = 0.0


async def agent_listener(url: str, session_id: str, stats: Stats, ready: asyncio.Event,
                         stop: asyncio.Event) -> None:
    import websockets

    try:
        await agent_session(url, session_id, stats, ready, stop)
    except websockets.ConnectionClosed:
        stats.errors.append("agent_connection_closed_by_server")


async def agent_session(url: str, session_id: str, stats: Stats, ready: asyncio.Event,
                        stop: asyncio.Event) -> None:
    import websockets

    async with websockets.connect(f"{url.replace('http', 'ws', 1)}/ws/agent/", origin=url, compression=None,
                                  max_queue=None, additional_headers={"Cookie": f"sessionid={session_id}"}) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        while json.loads(await ws.recv())["type"] != "pong":
            pass
        ready.set()
        while not stop.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                continue
            if frame.get("type") == "event":
                stats.event_types[frame["event"]["type"]] = stats.event_types.get(frame["event"]["type"], 0) + 1
            if frame.get("type") == "event" and frame["event"]["type"] == "message.created":
                key = frame["event"]["data"].get("body", "")[:24]
                sent = stats.sent_at.pop(key, None)
                if sent is not None:
                    stats.delivered += 1
                    stats.agent_latencies.append(time.perf_counter() - sent)


async def send_and_wait_ack(ws, client_id: str, body: str, stats: Stats) -> bool:
    await ws.send(json.dumps({"type": "message.send", "client_id": client_id, "body": body}))
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "message.ack" and frame.get("client_id") == client_id:
            return True
        if frame["type"] == "error":
            stats.errors.append(frame.get("code", "?"))
            return False


def message_body(client_id: str, size: int) -> tuple[str, str]:
    key = f"{client_id:<24}"[:24]  # the agent matches its events to sends by this prefix
    return key, (key + " " + "x" * size)[:max(size, 24)]


async def citizen(url: str, number: int, size: int, start: asyncio.Event, deadline_box: list[float],
                  stats: Stats) -> None:
    import websockets

    try:
        await citizen_session(url, number, size, start, deadline_box, stats)
    except websockets.ConnectionClosed:
        # Counted, not fatal: the figures are printed with how many citizens the server dropped.
        stats.errors.append("connection_closed_by_server")
    except (TimeoutError, OSError):
        stats.errors.append("could_not_connect")


async def citizen_session(url: str, number: int, size: int, start: asyncio.Event, deadline_box: list[float],
                          stats: Stats) -> None:
    import websockets

    async with websockets.connect(f"{url.replace('http', 'ws', 1)}/ws/widget/{INBOX}/", origin=url,
                                  compression=None, max_queue=None) as ws:
        await ws.send(json.dumps({"type": "hello", "token": None, "language": "fr"}))
        while json.loads(await ws.recv())["type"] != "welcome":
            pass
        # Warm-up: the first message opens the conversation (reference number, queueing, routing).
        _key, body = message_body(f"c{number}-0", size)
        if not await send_and_wait_ack(ws, f"c{number}-0", body, stats):
            return
        stats.connected += 1
        await start.wait()
        sequence = 0
        while time.perf_counter() < deadline_box[0]:
            sequence += 1
            client_id = f"c{number}-{sequence}"
            key, body = message_body(client_id, size)
            began = time.perf_counter()
            stats.sent_at[key] = began
            if not await send_and_wait_ack(ws, client_id, body, stats):
                return
            stats.acked += 1
            stats.ack_latencies.append(time.perf_counter() - began)


async def drive(urls: list[str], session_id: str, connections: int, seconds: float, size: int) -> Stats:
    """Citizens are spread over the servers; the agent listens on the last one (events cross processes)."""
    stats = Stats()
    ready, stop, start = asyncio.Event(), asyncio.Event(), asyncio.Event()
    listener = asyncio.create_task(agent_listener(urls[-1], session_id, stats, ready, stop))
    await asyncio.wait_for(ready.wait(), 30)
    deadline_box = [float("inf")]
    citizens = [asyncio.create_task(citizen(urls[n % len(urls)], n, size, start, deadline_box, stats))
                for n in range(connections)]
    # Connect everyone and open their conversations first, then measure the steady state only.
    warm_up_began = time.perf_counter()
    warm_up_until = warm_up_began + WARM_UP_LIMIT_S
    while stats.connected + len(stats.errors) < connections and time.perf_counter() < warm_up_until:
        failed = [task for task in citizens if task.done() and task.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.sleep(0.05)
    stats.warm_up_s = time.perf_counter() - warm_up_began
    stats.opened = stats.connected
    started = time.perf_counter()
    deadline_box[0] = started + seconds
    start.set()
    await asyncio.gather(*citizens)
    elapsed = time.perf_counter() - started
    drain_until = time.perf_counter() + DRAIN_TIMEOUT_S
    while stats.sent_at and time.perf_counter() < drain_until:
        await asyncio.sleep(0.1)
    stop.set()
    await listener
    stats.elapsed = elapsed
    return stats


BENCH_ENV = {"GUICHET_RATE_LIMIT_MESSAGES": "1000000", "GUICHET_RATE_LIMIT_SESSIONS": "1000000",
             "GUICHET_LOG_LEVEL": "WARNING"}


def prepare_database(env: dict[str, str]) -> str:
    """Migrate and seed the throwaway database; returns a signed-in agent's session id."""
    manage(env, "migrate", "--noinput", "-v", "0", "--skip-checks")
    manage(env, "seed_demo", "-v", "0", "--skip-checks")
    return manage(env, "shell", "-c", SESSION_SCRIPT.format(username=AGENT_ROLE)).stdout.strip().split()[-1]


def start_servers(tmp: Path, count: int, extra_env: dict[str, str],
                  serve_args: tuple[str, ...] = ()) -> tuple[list[str], list[subprocess.Popen], str]:
    ports = [free_port() for _ in range(count)]
    envs = [embedded_env(tmp, port, **BENCH_ENV, **extra_env) for port in ports]
    session_id = prepare_database(envs[0])
    urls, processes = [], []
    for index, (port, env) in enumerate(zip(ports, envs, strict=True)):
        url = f"http://127.0.0.1:{port}"
        log_path = tmp / f"server-{index}.log"
        process = start_server(env, port, log_path, *serve_args)
        urls.append(url)
        processes.append(process)
        wait_until_serving(url, process, log_path)
    return urls, processes, session_id


class ThrowawayPostgres:
    """A database created for this run on the server of GUICHET_DATABASE_URL, dropped afterwards."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.name = f"guichet_bench_{os.getpid()}"
        parts = urlsplit(base_url)
        self.url = urlunsplit(parts._replace(path="/" + self.name))

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.base_url, autocommit=True) as connection:
            connection.execute(sql)

    def __enter__(self) -> str:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc_info) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def run_echo(connections: int, seconds: float, size: int) -> dict[str, float]:
    if not ECHO_BASELINE.exists():
        print(f"# echo baseline not found at {ECHO_BASELINE}: no ratio")
        return {}
    result = subprocess.run([sys.executable, str(ECHO_BASELINE), "--connections", str(connections),
                             "--seconds", str(seconds), "--size", str(size)],
                            capture_output=True, text=True, timeout=seconds + 60)
    figures = {}
    for line in result.stdout.splitlines():
        print(line)
        name, _, value = line.partition(":")
        if value.strip():
            figures[name.strip()] = float(value)
    if result.returncode != 0:
        print(f"# echo baseline failed ({result.returncode}): {result.stderr.strip()[-500:]}")
    return figures


def measure(args, tmp: Path) -> Stats:
    if not args.processes:
        urls, processes, session_id = start_servers(tmp, 1, {})
        try:
            return asyncio.run(drive(urls, session_id, args.connections, args.seconds, args.size))
        finally:
            for process in processes:
                stop_process(process)
    database_url, redis_url = os.environ.get("GUICHET_DATABASE_URL"), os.environ.get("GUICHET_REDIS_URL")
    if not (database_url and redis_url):
        raise SystemExit("--processes needs GUICHET_DATABASE_URL (PostgreSQL) and GUICHET_REDIS_URL")
    with ThrowawayPostgres(database_url) as throwaway_url:
        scale_env = {"GUICHET_DATABASE_URL": throwaway_url, "GUICHET_REDIS_URL": redis_url,
                     "GUICHET_EMBEDDED_WORKER": "0"}
        urls, processes, session_id = start_servers(tmp, args.processes, scale_env, ("--no-worker",))
        try:
            return asyncio.run(drive(urls, session_id, args.connections, args.seconds, args.size))
        finally:
            for process in processes:
                stop_process(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--processes", type=int, default=0,
                        help="0 (default): one embedded server (SQLite, in-process layer). N: N web processes on a "
                             "throwaway PostgreSQL database + Redis (needs GUICHET_DATABASE_URL, GUICHET_REDIS_URL); "
                             "figures are then named chat_relay_pgN.*")
    args = parser.parse_args()
    prefix = f"chat_relay_pg{args.processes}" if args.processes else "chat_relay"

    tmp = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    try:
        stats = measure(args, tmp)
    finally:
        if os.environ.get("GUICHET_BENCH_KEEP"):
            print(f"# server files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    acks = sorted(stats.ack_latencies)
    agent = sorted(stats.agent_latencies)
    ours = stats.acked / stats.elapsed
    print(f"{prefix}.connections: {args.connections}")
    print(f"{prefix}.conversations_opened: {stats.opened}")
    print(f"{prefix}.open_conversations_per_s: {stats.opened / max(stats.warm_up_s, 1e-9):.1f}")
    print(f"{prefix}.msgs_per_s: {ours:.0f}")
    print(f"{prefix}.p50_ms: {percentile(acks, 0.50):.2f}")
    print(f"{prefix}.p99_ms: {percentile(acks, 0.99):.2f}")
    print(f"{prefix}.agent_p50_ms: {percentile(agent, 0.50):.2f}")
    print(f"{prefix}.agent_p99_ms: {percentile(agent, 0.99):.2f}")
    print(f"{prefix}.delivered_ratio: {stats.delivered / max(1, stats.acked):.3f}")
    print(f"# agent socket received: {stats.event_types}")
    if stats.errors:
        print(f"# errors from the server: {sorted(set(stats.errors))} ({len(stats.errors)} connections stopped)")
    echo = run_echo(args.connections, args.seconds, args.size)
    if echo.get("echo.msgs_per_s"):
        print(f"{prefix}.ratio_to_echo: {ours / echo['echo.msgs_per_s']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
