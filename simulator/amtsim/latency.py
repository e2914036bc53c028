"""The timing model of docs/firmware-timing.md section 8; every number is a knob.

``LatencyModel.realistic()`` is what ``--latency`` selects; ``LatencyModel.instant()`` (the default) makes every
service time zero but keeps restart and hang windows short and non-zero, so tests can still observe them; the
connection cap and the power-state multiplier keep their defaults there, the cut-commit chance is 0.
``with_overrides({"get_put_delete": 0.02})`` applies ``--latency-set KNOB=VALUE`` pairs (a knob keeps its type).

Knobs besides the service times and pauses (each a guess; docs/firmware-timing.md section 8 names no source for the
numbers):

* ``remote_connections`` (4): open TCP connections one device accepts on its remote 16992/16993 ports together;
  a further one is accepted and at once reset (the client sees a connection reset).
* ``host_off_multiplier`` (3.0): service times are multiplied by it while the host is asleep, hibernating or off.
* ``tls_commit_cut_chance`` (0.5 with ``--latency``, 0 without): the chance that the connection carrying a
  CommitChanges that switched TLS is dropped before the response is written (the commit has taken effect).
* ``tls13`` (0): 1 lets firmware 19 and later offer TLS 1.3 besides 1.2 (the TLS versions row: optional there).

Connection timeouts, the same with and without ``--latency`` so that a stuck client never holds a device (each of
the ``remote_connections`` slots is freed in bounded time):

* ``keepalive_idle`` (60 s): how long a kept-alive connection may sit idle between an answer and the first byte of
  the next request. The firmware's idle timer is not published (docs/firmware-timing.md section 3); 60 s is the
  section 8 model's choice, longer than MeshCentral's own 6 s idle close.
* ``request_timeout`` (10 s): how long the TLS handshake and the whole first request (headers and body) may take
  from the moment the connection opens, and any later request from its first byte. No public figure exists; our
  choice, near the 4 s to 12 s per-call timeouts of rpc-go and RPS (section 1) that real consoles live with.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace

CRYPTO_HEAVY_METHODS = frozenset({"Setup", "AdminSetup", "GenerateKeyPair"})
CERT_CHAIN_METHOD = "AddNextCertInChain"


def _as_type_of(current, name: str, value):
    """``value`` converted to the knob's type; a count takes whole numbers only."""
    number = float(value)
    if isinstance(current, int):
        if not number.is_integer():
            raise ValueError("latency knob %s takes a whole number, got %s" % (name, value))
        return int(number)
    return number


@dataclass(frozen=True)
class LatencyModel:
    get_put_delete: float = 0.040          # simple Get / Put / Delete / Create
    get_put_delete_jitter: float = 0.015   # +/- around it (25-80 ms observed)
    enumerate_round_trip: float = 0.060    # Enumerate and each Pull
    enumerate_per_item: float = 0.005
    method: float = 0.080                  # ordinary custom method
    crypto_method: float = 1.0             # Setup / AdminSetup / GenerateKeyPair first byte
    crypto_method_jitter: float = 0.2
    add_next_cert_in_chain: float = 0.150
    tls_handshake: float = 0.150           # firmware crypto of a TLS handshake (charged on the first response)
    tls_handshake_jitter: float = 0.050
    mutual_tls_extra: float = 0.100
    local_per_call: float = 0.005          # LMS transport over loopback
    restart_commit: float = 2.0            # CommitChanges without TLS/port change
    restart_commit_tls: float = 15.0       # CommitChanges that changed TLS or ports
    restart_activation: float = 3.0        # Setup / AdminSetup committed
    restart_unprovision: float = 60.0
    admin_setup_repeat_hang: float = 120.0
    keepalive_idle: float = 60.0           # idle keep-alive connection closed after this
    request_timeout: float = 10.0          # handshake + first request, or one later request, must arrive within this
    remote_connections: int = 4             # concurrent TCP connections per device on the remote ports
    host_off_multiplier: float = 3.0       # service time factor while the host is not in S0
    tls_commit_cut_chance: float = 0.5     # CommitChanges that switched TLS loses its response
    tls13: int = 0                         # 1: firmware 19 and later also offer TLS 1.3

    @classmethod
    def realistic(cls) -> LatencyModel:
        return cls()

    @classmethod
    def instant(cls) -> LatencyModel:
        defaults = cls()
        zeroed = {knob.name: 0.0 for knob in fields(cls)}
        zeroed.update(restart_commit=0.05, restart_commit_tls=0.05, restart_activation=0.05, restart_unprovision=0.05,
                      admin_setup_repeat_hang=0.05, keepalive_idle=defaults.keepalive_idle,
                      request_timeout=defaults.request_timeout, remote_connections=defaults.remote_connections,
                      host_off_multiplier=defaults.host_off_multiplier)
        return cls(**zeroed)

    def with_overrides(self, overrides: dict) -> LatencyModel:
        known = {knob.name for knob in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError("unknown latency knob(s): %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(known))))
        return replace(self, **{name: _as_type_of(getattr(self, name), name, value) for name, value in overrides.items()})

    @staticmethod
    def _jittered(base: float, jitter: float, rng: random.Random) -> float:
        return max(0.0, base + rng.uniform(-jitter, jitter)) if jitter else base

    def service_time(self, operation: str, method: str | None, items: int, interface: str, rng: random.Random,
                     host_on: bool = True) -> float:
        """Seconds a request takes inside the firmware; ``operation`` is get/put/create/delete/enumerate/pull/release/invoke.

        ``host_on`` False (the host asleep or off) multiplies the firmware's part by ``host_off_multiplier``.
        """
        if operation in ("enumerate", "pull", "release"):
            seconds = self.enumerate_round_trip + self.enumerate_per_item * items
        elif operation == "invoke" and method in CRYPTO_HEAVY_METHODS:
            seconds = self._jittered(self.crypto_method, self.crypto_method_jitter, rng)
        elif operation == "invoke" and method == CERT_CHAIN_METHOD:
            seconds = self.add_next_cert_in_chain
        elif operation == "invoke":
            seconds = self.method
        else:
            seconds = self._jittered(self.get_put_delete, self.get_put_delete_jitter, rng)
        if not host_on:
            seconds *= self.host_off_multiplier
        if interface == "local":
            seconds += self.local_per_call
        return seconds

    def handshake_time(self, mutual: bool, rng: random.Random) -> float:
        seconds = self._jittered(self.tls_handshake, self.tls_handshake_jitter, rng)
        return seconds + (self.mutual_tls_extra if mutual else 0.0)

    def restart_pause(self, reason: str) -> float:
        pauses = {"commit": self.restart_commit, "commit_tls": self.restart_commit_tls,
                  "activation": self.restart_activation, "unprovision": self.restart_unprovision}
        return pauses.get(reason, self.restart_commit)

    def hang_pause(self) -> float:
        return self.admin_setup_repeat_hang

    def cuts_tls_commit(self, rng: random.Random) -> bool:
        return rng.random() < self.tls_commit_cut_chance
