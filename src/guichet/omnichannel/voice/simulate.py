"""Play the phone provider's side of a call over HTTP: sign each webhook like Twilio, print every TwiML
step, answer <Gather> prompts from a script (--digits 2,1 / --say "...") or the keyboard.

    python -m guichet voice simulate --url http://127.0.0.1:8000 --inbox demo-voice --from +15145550123 \
        --digits 2,1 --say "How do I renew my benefits?" --wait-loops 3
"""

from __future__ import annotations

import secrets
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx
from twilio.request_validator import RequestValidator


@dataclass
class Script:
    """Answers for successive prompts: each item is ("digits", "2") or ("speech", "text")."""

    answers: list[tuple[str, str]] = field(default_factory=list)
    interactive: bool = False

    def next_answer(self, prompt: str, ask: Callable[[str], str], speech: bool = True) -> tuple[str, str] | None:
        """The next scripted answer this prompt can take (keys-only prompts leave sentences for later)."""
        if self.answers and (speech or self.answers[0][0] == "digits"):
            return self.answers.pop(0)
        if self.interactive:
            typed = ask(f"{prompt}\n[keys or words, empty = silence] > ").strip()
            if typed:
                return ("digits", typed) if typed.replace("#", "").replace("*", "").isdigit() else ("speech", typed)
        return None


def build_script(digits: str = "", say: list[str] | None = None, interactive: bool = False) -> Script:
    """Digits first, then spoken sentences — the order an IVR asks for them: language, menu, question."""
    answers = [("digits", d.strip()) for d in digits.split(",") if d.strip()]
    answers += [("speech", s) for s in (say or []) if s.strip()]
    return Script(answers, interactive)


class CallSimulator:
    def __init__(self, base_url: str, inbox: str, caller: str, *, to: str = "+15145550000", auth_token: str = "",
                 client: httpx.Client | None = None, out: Callable[[str], None] = print):
        self.base_url = base_url.rstrip("/")
        self.inbox = inbox
        self.call_sid = "CA" + secrets.token_hex(16)
        self.params = {"CallSid": self.call_sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": to,
                       "Direction": "inbound", "CallStatus": "in-progress"}
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.client = client or httpx.Client(timeout=30)
        self.out = out
        self.transcript: list[ET.Element] = []

    def post(self, url: str, extra: dict[str, str] | None = None) -> ET.Element:
        absolute = urljoin(self.base_url + "/", url)
        data = {**self.params, **(extra or {})}
        headers = {}
        if self.validator is not None:
            headers["X-Twilio-Signature"] = self.validator.compute_signature(absolute, data)
        response = self.client.post(absolute, data=data, headers=headers)
        self.out(f"--> POST {absolute} {extra or ''}\n<-- {response.status_code}\n{response.text}\n")
        if response.status_code != 200:
            raise SystemExit(f"the server answered {response.status_code}: {response.text[:200]}")
        root = ET.fromstring(response.content)
        self.transcript.append(root)
        return root

    def run(self, script: Script, *, wait_loops: int = 2, max_steps: int = 40,
            ask: Callable[[str], str] = input) -> str:
        """Follow the call until it hangs up (or the caller does); returns how it ended."""
        root = self.post(f"/hooks/voice/{self.inbox}/")
        waits = 0
        for _step in range(max_steps):
            next_url, payload, ended = self._next(root, script, ask)
            if ended:
                self._hang_up("completed")
                return ended
            if next_url is None:
                self._hang_up("completed")
                return "no more instructions"
            if "/wait/" in next_url:
                waits += 1
                if waits > wait_loops:
                    self._hang_up("completed")
                    return "caller hung up while waiting"
            root = self.post(next_url, payload)
        self._hang_up("completed")
        return "step limit reached"

    def _next(self, root: ET.Element, script: Script, ask: Callable[[str], str]) -> tuple[
            str | None, dict[str, str], str]:
        for verb in root:
            if verb.tag == "Gather":
                prompt = " / ".join(say.text or "" for say in verb.iter("Say"))
                answer = script.next_answer(prompt, ask, speech="speech" in (verb.get("input") or ""))
                if answer is not None:
                    kind, value = answer
                    payload = {"Digits": value} if kind == "digits" else {"SpeechResult": value, "Confidence": "0.9"}
                    return verb.get("action"), payload, ""
            elif verb.tag == "Redirect":
                return (verb.text or "").strip(), {}, ""
            elif verb.tag == "Dial":
                target = "".join(child.text or "" for child in verb) or (verb.text or "")
                self.out(f"*** connected to {target.strip()}; the agent talks for a minute ***")
                return verb.get("action"), {"DialCallStatus": "completed", "DialCallDuration": "60"}, ""
            elif verb.tag == "Hangup":
                return None, {}, "hung up by the server"
        return None, {}, ""

    def _hang_up(self, status: str) -> None:
        self.post(f"/hooks/voice/{self.inbox}/status/", {"CallStatus": status, "CallDuration": "90"})


def main_simulate(url: str, inbox: str, caller: str, to: str, digits: str, say: list[str], auth_token: str,
                  wait_loops: int) -> int:
    script = build_script(digits, say, interactive=not digits and not say and sys.stdin.isatty())
    simulator = CallSimulator(url, inbox, caller, to=to, auth_token=auth_token)
    outcome = simulator.run(script, wait_loops=wait_loops)
    print(f"=== call {simulator.call_sid} ended: {outcome}")
    return 0
