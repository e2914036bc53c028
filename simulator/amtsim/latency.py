"""The timing model of shared/amt/TIMING.md section 8; every number is a knob.

``LatencyModel.realistic()`` is what ``--latency`` selects; ``LatencyModel.instant()`` (the default) makes every
service time zero but keeps restart and hang windows short and non-zero, so tests can still observe them.
``with_overrides({"get_put_delete": 0.02})`` applies ``--latency-set KNOB=VALUE`` pairs.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace

CRYPTO_HEAVY_METHODS = frozenset({"Setup", "AdminSetup", "GenerateKeyPair"})
CERT_CHAIN_METHOD = "AddNextCertInChain"


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
    keepalive_idle: float = 60.0

    @classmethod
    def realistic(cls) -> LatencyModel:
        return cls()

    @classmethod
    def instant(cls) -> LatencyModel:
        zeroed = {knob.name: 0.0 for knob in fields(cls)}
        zeroed.update(restart_commit=0.05, restart_commit_tls=0.05, restart_activation=0.05, restart_unprovision=0.05,
                      admin_setup_repeat_hang=0.05, keepalive_idle=60.0)
        return cls(**zeroed)

    def with_overrides(self, overrides: dict) -> LatencyModel:
        known = {knob.name for knob in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError("unknown latency knob(s): %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(known))))
        return replace(self, **{name: float(value) for name, value in overrides.items()})

    @staticmethod
    def _jittered(base: float, jitter: float, rng: random.Random) -> float:
        return max(0.0, base + rng.uniform(-jitter, jitter)) if jitter else base

    def service_time(self, operation: str, method: str | None, items: int, interface: str, rng: random.Random) -> float:
        """Seconds a request takes inside the firmware; ``operation`` is get/put/create/delete/enumerate/pull/release/invoke."""
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
