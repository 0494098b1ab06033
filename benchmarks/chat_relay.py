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


async def drive(url: str, session_id: str, connections: int, seconds: float, size: int) -> Stats:
    stats = Stats()
    ready, stop, start = asyncio.Event(), asyncio.Event(), asyncio.Event()
    listener = asyncio.create_task(agent_listener(url, session_id, stats, ready, stop))
    await asyncio.wait_for(ready.wait(), 30)
    deadline_box = [float("inf")]
    citizens = [asyncio.create_task(citizen(url, n, size, start, deadline_box, stats)) for n in range(connections)]
    # Connect everyone and open their conversations first, then measure the steady state only.
    warm_up_began = time.perf_counter()
    warm_up_until = warm_up_began + WARM_UP_LIMIT_S
    while stats.connected < connections and time.perf_counter() < warm_up_until:
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


def start_guichet(tmp: Path) -> tuple[str, subprocess.Popen, str]:
    port = free_port()
    env = embedded_env(tmp, port, GUICHET_RATE_LIMIT_MESSAGES="1000000", GUICHET_RATE_LIMIT_SESSIONS="1000000",
                       GUICHET_LOG_LEVEL="WARNING")
    manage(env, "migrate", "--noinput", "-v", "0", "--skip-checks")
    manage(env, "seed_demo", "-v", "0", "--skip-checks")
    session_id = manage(env, "shell", "-c", SESSION_SCRIPT.format(username=AGENT_ROLE)).stdout.strip().split()[-1]
    url = f"http://127.0.0.1:{port}"
    log_path = tmp / "server.log"
    process = start_server(env, port, log_path)
    wait_until_serving(url, process, log_path)
    return url, process, session_id


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    url, process, session_id = start_guichet(tmp)
    try:
        stats = asyncio.run(drive(url, session_id, args.connections, args.seconds, args.size))
    finally:
        stop_process(process)
        if os.environ.get("GUICHET_BENCH_KEEP"):
            print(f"# server files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    acks = sorted(stats.ack_latencies)
    agent = sorted(stats.agent_latencies)
    ours = stats.acked / stats.elapsed
    print(f"chat_relay.connections: {args.connections}")
    print(f"chat_relay.conversations_opened: {stats.opened}")
    print(f"chat_relay.open_conversations_per_s: {stats.opened / max(stats.warm_up_s, 1e-9):.1f}")
    print(f"chat_relay.msgs_per_s: {ours:.0f}")
    print(f"chat_relay.p50_ms: {percentile(acks, 0.50):.2f}")
    print(f"chat_relay.p99_ms: {percentile(acks, 0.99):.2f}")
    print(f"chat_relay.agent_p50_ms: {percentile(agent, 0.50):.2f}")
    print(f"chat_relay.agent_p99_ms: {percentile(agent, 0.99):.2f}")
    print(f"chat_relay.delivered_ratio: {stats.delivered / max(1, stats.acked):.3f}")
    print(f"# agent socket received: {stats.event_types}")
    if stats.errors:
        print(f"# errors from the server: {sorted(set(stats.errors))} ({len(stats.errors)} connections stopped)")
    echo = run_echo(args.connections, args.seconds, args.size)
    if echo.get("echo.msgs_per_s"):
        print(f"chat_relay.ratio_to_echo: {ours / echo['echo.msgs_per_s']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
