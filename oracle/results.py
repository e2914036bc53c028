"""Check results: one line each, ``PASS|FAIL client check profile transport: detail``, and their counts."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

MASK = "********"


class CheckFailed(Exception):
    """A check's expectation that the device did not meet; its message is the detail of the FAIL line."""


def expect(condition, detail: str) -> None:
    if not condition:
        raise CheckFailed(detail)


@dataclass(frozen=True)
class Result:
    client: str
    check: str
    profile: str
    transport: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'} {self.client} {self.check} {self.profile} {self.transport}: {self.detail}"


def result(target, client: str, check: str, ok: bool, detail: str) -> Result:
    """A result for ``target`` whose detail cannot carry the device password, whatever a client put in it."""
    text = str(detail).replace(target.password, MASK) if target.password else str(detail)
    return Result(client, check, target.profile, target.transport, ok, " ".join(text.split()))


class Tally:
    """Prints each result as it comes and counts them per client and per client/profile/transport."""

    def __init__(self, out) -> None:
        self.out = out
        self.results: list[Result] = []

    def add(self, outcome: Result) -> None:
        self.results.append(outcome)
        print(outcome.line(), file=self.out, flush=True)

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)

    def summary(self) -> list[str]:
        lines = ["", "==== oracle summary ===="]
        groups = Counter((r.client, r.profile, r.transport, r.ok) for r in self.results)
        for client, profile, transport in dict.fromkeys((r.client, r.profile, r.transport) for r in self.results):
            passed, failed = groups[(client, profile, transport, True)], groups[(client, profile, transport, False)]
            lines.append(f"{client:<16} {profile:<10} {transport:<5} {passed:>3} passed, {failed:>3} failed")
        lines.append("")
        for client in dict.fromkeys(r.client for r in self.results):
            passed = sum(r.ok for r in self.results if r.client == client)
            failed = sum(not r.ok for r in self.results if r.client == client)
            lines.append(f"{client}: {passed} passed, {failed} failed")
        lines.append(f"oracle: {len(self.results) - self.failed} passed, {self.failed} failed")
        return lines
