# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP(S) transport to AMT's /wsman: one keep-alive requests session per module run.

* HTTP Digest (RFC 2617, MD5, qop=auth) answered once, then sent preemptively with an incrementing nonce count;
  a 401 to a preemptive or stale answer is re-answered once with the new challenge. Never Basic.
* TLS verification on by default (system CAs, or ca_path); cert_fingerprint pins the SHA-256 of the device's DER
  leaf certificate instead of CA verification; client_cert/client_key present a client certificate.
* Requests that only read (idempotent=True) are retried with exponential backoff on connection errors. Requests
  that change the device are retried only when the connection was never established; a timeout or a dropped
  connection after sending raises IndeterminateError.

Additions to the shared contract: WsmanTransport.retry_backoff (seconds, first retry delay, doubles each retry),
WsmanTransport.endpoint ("host:port" for messages); parse_digest_challenge(header) and DigestAuth (usable on its own
with requests). request_count counts requests that reached the network, 401 challenges included, not refused connects.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import warnings

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.exceptions import InsecureRequestWarning, NewConnectionError
except ImportError:
    # module.py reports the missing library before any transport is built; these names only let this file import.
    HTTPAdapter = AuthBase = object

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AuthenticationError,
    DeviceError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
    TlsError,
    UnreachableError,
)

CONTENT_TYPE = "application/soap+xml; charset=utf-8"
_PARAMETER = re.compile(r'\s*,?\s*([A-Za-z0-9_-]+)(\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,"]*))?')
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


def _md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _quote(value):
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def parse_digest_challenge(header):
    """The Digest parameters of a WWW-Authenticate header as a dict of lower-case names, or None.

    Lenient about AMT's separators (`realm="..", nonce="..",stale="false",qop="auth"`, or spaces only) and
    stops at the next scheme when several challenges were folded into one header.
    """
    start = re.search(r"(?:^|[\s,])Digest(?=\s)", header or "", re.IGNORECASE)
    if start is None:
        return None
    parameters = {}
    position = start.end()
    while position < len(header):
        match = _PARAMETER.match(header, position)
        if match is None or match.end() == position:
            break
        if match.group(2) is None:
            break  # a token without "=": the next authentication scheme begins
        quoted = match.group(4)
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)
        parameters[match.group(1).lower()] = value
        position = match.end()
    return parameters if "nonce" in parameters and "realm" in parameters else None


class DigestAuth(AuthBase):
    """RFC 2617 Digest with preemptive reuse of the last challenge across requests of one session."""

    def __init__(self, username, password):
        self.username = username
        self._password = password
        self._challenge = None
        self._nonce_count = 0
        self.refusal = None

    def __call__(self, request):
        if self._challenge is not None:
            request.headers["Authorization"] = self._authorization(request)
        request.register_hook("response", self._on_response)
        return request

    def _authorization(self, request):
        challenge = self._challenge
        self._nonce_count += 1
        nc = "%08x" % self._nonce_count
        cnonce = os.urandom(8).hex()
        ha1 = _md5("%s:%s:%s" % (self.username, challenge["realm"], self._password))
        ha2 = _md5("%s:%s" % (request.method, request.path_url))
        response = _md5("%s:%s:%s:%s:auth:%s" % (ha1, challenge["nonce"], nc, cnonce, ha2))
        fields = [
            "username=%s" % _quote(self.username),
            "realm=%s" % _quote(challenge["realm"]),
            "nonce=%s" % _quote(challenge["nonce"]),
            "uri=%s" % _quote(request.path_url),
            "response=%s" % _quote(response),
            "qop=auth",
            "nc=%s" % nc,
            "cnonce=%s" % _quote(cnonce),
        ]
        if "opaque" in challenge:
            fields.append("opaque=%s" % _quote(challenge["opaque"]))
        if "algorithm" in challenge:
            fields.append("algorithm=%s" % challenge["algorithm"])
        return "Digest " + ", ".join(fields)

    def _usable(self, challenge):
        if challenge is None:
            self.refusal = "the device did not offer HTTP Digest authentication; the password is never sent in clear"
            return False
        if challenge.get("algorithm", "MD5").upper() != "MD5":
            self.refusal = "the device asked for digest algorithm %s; only MD5 is supported" % challenge["algorithm"]
            return False
        if "auth" not in [item.strip().lower() for item in challenge.get("qop", "").split(",")]:
            self.refusal = "the device did not offer digest qop=auth"
            return False
        return True

    def _on_response(self, response, **kwargs):
        """Answer a 401 once per request: the first challenge, a stale nonce, or a nonce the device dropped."""
        if response.status_code != 401 or getattr(response.request, "amt_digest_answered", False):
            return response
        self.refusal = None
        challenge = parse_digest_challenge(response.headers.get("www-authenticate", ""))
        if not self._usable(challenge):
            return response
        self._challenge = challenge
        self._nonce_count = 0
        # AMT closes the connection after a 401: drain it so the pool opens a fresh one for the answer.
        response.content  # pylint: disable=pointless-statement
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = self._authorization(retry)
        retry.amt_digest_answered = True
        answered = response.connection.send(retry, **kwargs)
        answered.history.append(response)
        answered.request = retry
        return answered


class _AmtAdapter(HTTPAdapter):
    """Counts every HTTP request sent (not connections that failed to open) and, when pinning, checks the leaf's SHA-256."""

    def __init__(self, count_request, fingerprint=None):
        self._count_request = count_request
        self._fingerprint = fingerprint
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        if self._fingerprint:
            kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)

    def send(self, request, *args, **kwargs):  # pylint: disable=arguments-differ
        try:
            if not self._fingerprint:
                response = super().send(request, *args, **kwargs)
            else:
                # The pinned fingerprint is the verification; urllib3 still warns because no CA was checked.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                    response = super().send(request, *args, **kwargs)
        except requests.exceptions.RequestException as exc:
            if not (_never_sent(exc) or isinstance(exc, requests.exceptions.SSLError)):
                self._count_request()
            raise
        self._count_request()
        return response


def _normalise_fingerprint(fingerprint):
    value = fingerprint.replace(":", "").replace(" ", "").lower()
    if not _FINGERPRINT.match(value):
        raise InvalidInputError("cert_fingerprint must be the SHA-256 of the device certificate: 64 hex digits, colons allowed")
    return value


def _root_cause(exc):
    """The innermost exception below a requests/urllib3 wrapper, for a short message."""
    seen = set()
    current = exc
    while id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            args = getattr(current, "args", ())
            inner = args[0] if args and isinstance(args[0], BaseException) else None
        if inner is None:
            inner = current.__cause__ or current.__context__
        if inner is None:
            break
        current = inner
    if isinstance(current, OSError) and current.strerror:
        return current.strerror
    return str(current) or type(current).__name__


def _never_sent(exc):
    """True when the request cannot have reached the device (connect failed), so a retry is always safe."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(getattr(reason, "reason", None), NewConnectionError)


class WsmanTransport:
    def __init__(self, hostname, port, username, password, use_tls=True, validate_certs=True, ca_path=None,
                 client_cert=None, client_key=None, cert_fingerprint=None, timeout=30, read_retries=2):
        if not password:
            raise InvalidInputError("a password is needed for HTTP Digest authentication")
        if not use_tls and (client_cert or cert_fingerprint):
            raise InvalidInputError("client_cert and cert_fingerprint need use_tls=true")
        self.hostname = hostname
        self.port = int(port)
        self.timeout = timeout
        self.read_retries = read_retries
        self.retry_backoff = 0.5
        self.request_count = 0
        host = "[%s]" % hostname if ":" in hostname else hostname
        self.url = "%s://%s:%d/wsman" % ("https" if use_tls else "http", host, self.port)
        self._auth = DigestAuth(username, password)
        fingerprint = _normalise_fingerprint(cert_fingerprint) if cert_fingerprint else None
        self._session = requests.Session()
        # Proxies, netrc and REQUESTS_CA_BUNDLE from the environment must not change where the password goes.
        self._session.trust_env = False
        self._session.auth = self._auth
        self._session.headers["Content-Type"] = CONTENT_TYPE
        self._session.verify = False if fingerprint or not validate_certs else (ca_path or True)
        if client_cert:
            self._session.cert = (client_cert, client_key) if client_key else client_cert
        adapter = _AmtAdapter(self._count_request, fingerprint)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    @property
    def endpoint(self):
        return "%s:%d" % (self.hostname, self.port)

    def _count_request(self):
        self.request_count += 1

    def post(self, body, idempotent):
        """Send one WS-Man request; return the body of HTTP 200 or of a SOAP fault (parse.py raises for it)."""
        attempt = 0
        while True:
            try:
                response = self._session.post(self.url, data=body, timeout=self.timeout, allow_redirects=False)
                break
            except requests.exceptions.SSLError as exc:
                raise TlsError("TLS failure talking to %s: %s" % (self.endpoint, _root_cause(exc)))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                never_sent = _never_sent(exc)
                if not (idempotent or never_sent):
                    raise IndeterminateError(
                        "%s: a request that changes the device was sent but no answer came back (%s); "
                        "its effect is unknown, read the state again before retrying" % (self.endpoint, _root_cause(exc)))
                if attempt >= self.read_retries:
                    raise UnreachableError("cannot reach %s: %s" % (self.endpoint, _root_cause(exc)))
            except requests.exceptions.RequestException as exc:
                raise DeviceError("request to %s failed: %s" % (self.endpoint, _root_cause(exc)))
            except OSError as exc:
                # requests raises a plain OSError for unreadable ca_path / client_cert / client_key files.
                raise TlsError("TLS setup for %s failed: %s" % (self.endpoint, _root_cause(exc)))
            time.sleep(self.retry_backoff * (2 ** attempt))
            attempt += 1
        return self._checked(response)

    def _checked(self, response):
        status = response.status_code
        if status == 200:
            return response.content
        if status == 401:
            raise AuthenticationError(self._auth.refusal or (
                "authentication as %r failed at %s: wrong username or password, or the account is temporarily "
                "locked out after repeated failures" % (self._auth.username, self.endpoint)))
        if status == 403:
            raise NotPermittedError("%s refused the request (HTTP 403)" % self.endpoint)
        if status in (400, 500) and "soap+xml" in response.headers.get("content-type", ""):
            return response.content
        raise DeviceError("%s answered HTTP %d %s" % (self.endpoint, status, response.reason or ""))

    def close(self):
        self._session.close()
