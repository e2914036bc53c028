"""Injected misbehaviour: the ``--faults SPEC`` grammar and the per-request decisions.

Grammar (whitespace ignored)::

    SPEC   := RULE (";" RULE)*
    RULE   := KIND ["=" ARG] [":" RATE] ["@" RANGES] ["#" NTH]
    RANGES := RANGE ("," RANGE)*          RANGE := N | N "-" M      (device indexes, inclusive)
    NTH    := N                           (the device's N-th write request, counted from 1)

KIND (RATE is a probability per request, 1.0 when omitted; without RANGES a rule applies to every device):

    reset                 close the connection without answering
    delay=SECONDS         answer SECONDS later
    http500               answer with an HTML 500 page
    soapfault             answer with a wsman:InternalError SOAP fault
    stale                 treat a valid Digest nonce as stale (401 stale="true")
    lockout               the device starts with its Digest lock-out active (RATE ignored; with "#" NTH, see below)
    restart-after=METHOD[:SECONDS]
                          after a successful call of METHOD the device refuses connections for SECONDS
                          (default 30); here the ":" part is the pause, the rule always fires
    acm-lands-in-ccm      AMT 19+ host-based ACM activation (StartConfigurationHBased, mutual TLS, SetAdminAclEntryEx,
                          CommitChanges) fails at CommitChanges and leaves the device post-provisioned in CCM with the
                          new admin password, as DMT users report (RATE ignored; see amtsim.model.provisioning)

Example: ``reset:0.05;delay=2:0.1@1-10;http500:0.02;soapfault:0.02;stale:0.2;lockout@3;restart-after=CommitChanges:30;acm-lands-in-ccm@4``

"#" NTH aims a per-request kind, or lockout, at one request: the N-th write request each device of the rule receives,
where a write request carries credentials (so that a Digest challenge and the request answering it count once) and
asks for a change: WS-Transfer Put, Create or Delete, or a method whose name does not say it only reads (Get..., Read...,
Enumerate..., PositionTo..., Export...). Such a rule fires on that request only (RATE still applies); lockout#N starts
the Digest lock-out at that request, which is then refused as a locked-out logon. Example: ``reset@3#1;delay=7@4#2``
resets device 3's first write and delays device 4's second by 7 seconds. A request answered with stale is sent again
and counts again.

Decisions are drawn from one ``random.Random`` per device seeded with (seed, device index), so a run is
reproducible for a given seed whatever order devices are served in.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from amtsim.types import NS_ENUMERATION, NS_TRANSFER

PER_REQUEST_KINDS = ("reset", "delay", "http500", "soapfault", "stale")
KINDS = PER_REQUEST_KINDS + ("lockout", "restart-after", "acm-lands-in-ccm")
# The kinds "#" NTH can aim at one write request.
AIMABLE_KINDS = PER_REQUEST_KINDS + ("lockout",)
DEFAULT_RESTART_SECONDS = 30.0
TRANSFER_WRITES = frozenset(NS_TRANSFER + "/" + name for name in ("Put", "Create", "Delete"))
READING_METHODS = ("Get", "Read", "Enumerate", "PositionTo", "Export")


def changes_state(action: str | None) -> bool:
    """Whether a request with this WS-Addressing Action asks for a change (see "#" NTH above)."""
    if not action or action.startswith(NS_ENUMERATION + "/"):
        return False
    if action.startswith(NS_TRANSFER + "/"):
        return action in TRANSFER_WRITES
    return not action.rsplit("/", 1)[-1].startswith(READING_METHODS)


@dataclass(frozen=True)
class FaultRule:
    kind: str
    argument: str = ""
    rate: float = 1.0
    ranges: tuple = ()  # tuple of (first, last) inclusive; empty = every device
    nth_write: int = 0  # 0 = every request; N = only the device's N-th write request

    def applies_to(self, device_index: int) -> bool:
        return not self.ranges or any(first <= device_index <= last for first, last in self.ranges)

    def aims_at(self, writes_seen: int, write: bool) -> bool:
        """Whether the rule may fire on a request, given the device's write requests counted so far (this one included)."""
        return not self.nth_write or (write and writes_seen == self.nth_write)


@dataclass
class RequestFaults:
    """What to do to one request; all false/zero means serve it normally."""

    reset: bool = False
    delay: float = 0.0
    http500: bool = False
    soapfault: bool = False
    stale: bool = False
    lockout: bool = False  # start the Digest lock-out with this request


def _split(text: str, separator: str) -> tuple:
    """(before, after) the first separator; after is "" when there is none."""
    before, *after = text.split(separator, 1)
    return before, after[0] if after else ""


def _parse_ranges(text: str) -> tuple:
    ranges = []
    for part in text.split(","):
        first, last = _split(part, "-")
        start, end = int(first), int(last or first)
        if end < start:
            raise ValueError("device range %r is reversed" % part)
        ranges.append((start, end))
    return tuple(ranges)


def _parse_nth(text: str, kind: str) -> int:
    if kind not in AIMABLE_KINDS:
        raise ValueError("fault %r cannot be aimed at a write request (only %s)" % (kind, ", ".join(AIMABLE_KINDS)))
    if not text.isdigit() or int(text) < 1:
        raise ValueError("the write request to aim at must be a number from 1 (got %r)" % text)
    return int(text)


def _parse_rule(text: str) -> FaultRule:
    aimed = "#" in text
    text, nth_text = _split(text, "#")
    body, ranges_text = _split(text, "@")
    ranges = _parse_ranges(ranges_text) if ranges_text else ()
    head, argument_and_rate = _split(body, "=")
    kind = head
    argument, rate_text = "", ""
    if argument_and_rate:
        if kind == "restart-after":
            argument = argument_and_rate
        else:
            argument, rate_text = _split(argument_and_rate, ":")
    else:
        kind, rate_text = _split(head, ":")
    if kind not in KINDS:
        raise ValueError("unknown fault kind %r (known: %s)" % (kind, ", ".join(KINDS)))
    if kind in ("delay", "restart-after") and not argument:
        raise ValueError("fault %r needs an argument" % kind)
    if kind == "delay":
        float(argument)
    if kind == "restart-after":
        seconds = _split(argument, ":")[1]
        if seconds:
            float(seconds)
    rate = float(rate_text) if rate_text else 1.0
    if not 0.0 <= rate <= 1.0:
        raise ValueError("fault rate %r is not between 0 and 1" % rate_text)
    nth_write = _parse_nth(nth_text, kind) if aimed else 0
    return FaultRule(kind=kind, argument=argument, rate=rate, ranges=ranges, nth_write=nth_write)


def parse_spec(spec: str) -> list:
    """Rules of a ``--faults`` SPEC; raises ValueError naming the offending part."""
    compact = "".join(spec.split())
    rules = []
    for text in compact.split(";"):
        if not text:
            continue
        try:
            rules.append(_parse_rule(text))
        except ValueError as exc:
            raise ValueError("invalid fault rule %r: %s" % (text, exc)) from None
    return rules


@dataclass
class FaultPlan:
    rules: list = field(default_factory=list)
    seed: int = 0
    _generators: dict = field(default_factory=dict, repr=False)
    _writes_seen: dict = field(default_factory=dict, repr=False)  # device index -> write requests so far

    @classmethod
    def from_spec(cls, spec: str | None, seed: int = 0) -> FaultPlan:
        return cls(rules=parse_spec(spec) if spec else [], seed=seed)

    def _generator(self, device_index: int) -> random.Random:
        generator = self._generators.get(device_index)
        if generator is None:
            generator = self._generators[device_index] = random.Random("%d:%d" % (self.seed, device_index))
        return generator

    @property
    def counts_writes(self) -> bool:
        """Whether a rule is aimed at a write request: the server must then tell for_request which requests are."""
        return any(rule.nth_write for rule in self.rules)

    def for_request(self, device_index: int, write: bool = False) -> RequestFaults:
        """What to do to a device's next request; write says it is a write request (see "#" NTH), which is counted."""
        if write:
            self._writes_seen[device_index] = self._writes_seen.get(device_index, 0) + 1
        seen = self._writes_seen.get(device_index, 0)
        decision = RequestFaults()
        for rule in self.rules:
            per_request = rule.kind in PER_REQUEST_KINDS or (rule.kind == "lockout" and rule.nth_write)
            if not per_request or not rule.applies_to(device_index) or not rule.aims_at(seen, write):
                continue
            if rule.kind != "lockout" and self._generator(device_index).random() >= rule.rate:
                continue
            if rule.kind == "delay":
                decision.delay += float(rule.argument)
            else:
                setattr(decision, rule.kind, True)
        return decision

    def starts_locked(self, device_index: int) -> bool:
        return any(rule.kind == "lockout" and not rule.nth_write and rule.applies_to(device_index) for rule in self.rules)

    def acm_lands_in_ccm(self, device_index: int) -> bool:
        return any(rule.kind == "acm-lands-in-ccm" and rule.applies_to(device_index) for rule in self.rules)

    def restart_after(self, device_index: int, method: str) -> float | None:
        """Seconds of unreachability after a successful ``method`` call, or None."""
        for rule in self.rules:
            if rule.kind != "restart-after" or not rule.applies_to(device_index):
                continue
            name, seconds = _split(rule.argument, ":")
            if name == method:
                return float(seconds) if seconds else DEFAULT_RESTART_SECONDS
        return None
