"""HTTP Digest (RFC 2617, MD5, qop=auth) the way AMT firmware does it (docs/amt-reference.md section 2).

One ``DigestGuard`` per device keeps the issued nonces and the lock-out state. The challenge has exactly
AMT's four parameters and separators; ``qop`` and ``nc`` are accepted quoted or bare and ``nc`` is hashed as
received. An empty ``response=""`` is accepted only where the firmware has the INTEL-SA-00075 flaw.
Nothing here ever logs or returns the Authorization header or a password hash.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

UNAUTHORIZED_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" >'
    '<html lang="en"><head><link rel=stylesheet href=/styles.css>'
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<title>Intel&reg; Active Management Technology</title></head><body>'
    '<h1>Intel<sup>&reg;</sup> Active Management Technology</h1>'
    '<h2 class=warn>Log on failed. Incorrect user name or password, or user account temporarily locked.</h2>'
    '</body></html>')

_PARAMETER = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,]*?)\s*(?:,|$)')
_REQUIRED = ("username", "realm", "nonce", "uri", "response")


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int = 10        # consecutive failures that start a lock-out
    initial: float = 5.0       # first lock-out, seconds
    maximum: float = 80.0      # lock-outs double up to this
    reset_after: float = 3600.0  # seconds without failures that forget the history


@dataclass(frozen=True)
class DigestPolicy:
    nonce_lifetime: float = 300.0
    max_nonces: int = 64       # per device; the oldest is forgotten first
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)


@dataclass(frozen=True)
class AuthOutcome:
    username: str | None = None  # set when authenticated
    stale: bool = False          # the digest was right but the nonce is no longer valid

    @property
    def ok(self) -> bool:
        return self.username is not None


def parse_authorization(header: str) -> dict | None:
    """Parameters of a ``Digest`` Authorization header, or None when it is not Digest."""
    scheme, _space, rest = header.strip().partition(" ")
    if scheme.lower() != "digest":
        return None
    parameters = {}
    for match in _PARAMETER.finditer(rest):
        name, value = match.group(1).lower(), match.group(2)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        parameters[name] = value
    return parameters


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # nosec - RFC 2617 Digest is MD5 by definition


def _new_nonce() -> str:
    # AMT nonces are 24 bytes in base64 with a run of zero bytes in the middle (e.g. B9AX94iAAAAAAAAAx6rr...).
    return base64.b64encode(secrets.token_bytes(6) + bytes(6) + secrets.token_bytes(12)).decode("ascii")


def _same_target(uri: str, target: str) -> bool:
    # nmap's CVE check sends uri="index.htm" for GET /index.htm: compare without the leading slash.
    return uri.lstrip("/") == target.lstrip("/")


class DigestGuard:
    def __init__(self, policy: DigestPolicy | None = None, clock: Callable[[], float] = time.monotonic, locked: bool = False):
        self.policy = policy or DigestPolicy()
        self._clock = clock
        self._nonces: OrderedDict = OrderedDict()
        self._consecutive_failures = 0
        self._last_failure = None
        self._next_lock = self.policy.lockout.initial
        self._locked_until = 0.0
        if locked:
            self.lock_out()

    @property
    def locked(self) -> bool:
        return self._clock() < self._locked_until

    def lock_out(self) -> None:
        """Start the lock-out now, for its initial duration (a fault plan's lockout)."""
        self._locked_until = self._clock() + self.policy.lockout.initial

    def challenge(self, realm: str, stale: bool = False) -> str:
        """A WWW-Authenticate value with a fresh nonce, in AMT's exact layout."""
        nonce = _new_nonce()
        self._nonces[nonce] = self._clock()
        while len(self._nonces) > self.policy.max_nonces:
            self._nonces.popitem(last=False)
        return 'Digest realm="%s", nonce="%s",stale="%s",qop="auth"' % (realm, nonce, "true" if stale else "false")

    def _nonce_is_live(self, nonce: str) -> bool:
        issued = self._nonces.get(nonce)
        return issued is not None and self._clock() - issued <= self.policy.nonce_lifetime

    def _record_failure(self) -> AuthOutcome:
        now = self._clock()
        lockout = self.policy.lockout
        if self._last_failure is not None and now - self._last_failure > lockout.reset_after:
            self._consecutive_failures = 0
            self._next_lock = lockout.initial
        self._last_failure = now
        self._consecutive_failures += 1
        if self._consecutive_failures >= lockout.threshold:
            self._locked_until = now + self._next_lock
            self._next_lock = min(self._next_lock * 2, lockout.maximum)
            self._consecutive_failures = 0
        return AuthOutcome()

    def verify(self, authorization: str | None, method: str, target: str, realm: str, ha1_of: Callable[[str], str | None],
               accepts_empty: bool = False, force_stale: bool = False) -> AuthOutcome:
        """Check one request's Authorization header; failures with credentials count towards the lock-out."""
        if self.locked or not authorization:
            return AuthOutcome()
        parameters = parse_authorization(authorization)
        if parameters is None or any(name not in parameters for name in _REQUIRED):
            return self._record_failure()
        username, nonce, uri, response = parameters["username"], parameters["nonce"], parameters["uri"], parameters["response"]
        if parameters["realm"] != realm or not _same_target(uri, target):
            return self._record_failure()
        ha1 = ha1_of(username)
        if ha1 is None:
            return self._record_failure()
        if response == "":
            if accepts_empty and nonce in self._nonces:
                return self._succeed(username)
            return self._record_failure()
        expected = self._expected_response(parameters, ha1, method, uri)
        if expected is None or not hmac.compare_digest(expected, response.lower()):
            return self._record_failure()
        if force_stale or not self._nonce_is_live(nonce):
            self._nonces.pop(nonce, None)
            return AuthOutcome(stale=True)
        return self._succeed(username)

    @staticmethod
    def _expected_response(parameters: dict, ha1: str, method: str, uri: str) -> str | None:
        ha2 = _md5("%s:%s" % (method, uri))
        qop = parameters.get("qop")
        if qop is None:
            return _md5("%s:%s:%s" % (ha1, parameters["nonce"], ha2))
        if qop.lower() != "auth" or "nc" not in parameters or "cnonce" not in parameters:
            return None
        return _md5(":".join((ha1, parameters["nonce"], parameters["nc"], parameters["cnonce"], qop, ha2)))

    def _succeed(self, username: str) -> AuthOutcome:
        self._consecutive_failures = 0
        return AuthOutcome(username=username)
