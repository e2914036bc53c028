# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP(S) transport to AMT's /wsman: one keep-alive requests session per module run.

* HTTP Digest (RFC 2617, MD5, qop=auth) answered once, then sent preemptively with an incrementing nonce count;
  a 401 to a preemptive or stale answer is re-answered once with the new challenge. Never Basic.
* TLS verification on by default, against ca_path or else the system trust store as OpenSSL finds it (SSL_CERT_FILE,
  SSL_CERT_DIR, then the platform's default paths); only when the system has no trust store at all, the certifi
  bundle that requests ships. The environment's REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, proxies and netrc are ignored.
  cert_fingerprint pins the SHA-256 of the device's DER leaf certificate instead of CA verification;
  client_cert/client_key present a client certificate.
* Bounded: each exchange (the request, a digest re-answer, the whole response) must finish within `timeout` seconds,
  however slowly the device sends; a response body may not exceed max_response_bytes (checked while it streams in).
* Requests that only read (idempotent=True) are retried with exponential backoff on connection errors and deadlines.
  Requests that change the device are retried only when the connection was never established; a timeout, a passed
  deadline or a dropped connection after sending raises IndeterminateError.

Additions to the shared contract: WsmanTransport.retry_backoff (seconds, first retry delay, doubles each retry),
WsmanTransport.endpoint ("host:port" for messages); parse_digest_challenge(header) and DigestAuth (usable on its own
with requests). request_count counts requests that reached the network, 401 challenges included, not refused connects.
peer_certificate is the DER certificate served on the latest TLS connection.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import ssl
import threading
import time
import warnings

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import InsecureRequestWarning, NewConnectionError
    from urllib3.util.ssl_ import create_urllib3_context
except ImportError:
    # module.py reports the missing library before any transport is built; these names only let this file import.
    HTTPAdapter = AuthBase = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object

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
# The largest AMT answer is a pull of up to MaxCharacters=99999 characters (envelope.py) in UTF-8: well under 1 MiB.
MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_READ_CHUNK = 16 * 1024
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

    def __init__(self, username, password, max_body=MAX_RESPONSE_BYTES):
        self.username = username
        self._password = password
        self._max_body = max_body
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
        read_body(response, self._max_body)
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = self._authorization(retry)
        retry.amt_digest_answered = True
        answered = response.connection.send(retry, **kwargs)
        answered.history.append(response)
        answered.request = retry
        return answered


class ResponseTooLarge(Exception):
    """A response body went past its limit; `received` bytes had been read when reading stopped."""

    def __init__(self, limit, received):
        super().__init__("the response exceeded %d bytes" % limit)
        self.limit = limit
        self.received = received


def read_body(response, limit):
    """The body of a streamed requests response, read in chunks and refused as soon as it passes `limit` bytes."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise ResponseTooLarge(limit, 0)
    body = bytearray()
    for chunk in response.iter_content(_READ_CHUNK):
        body += chunk
        if len(body) > limit:
            response.close()
            raise ResponseTooLarge(limit, len(body))
    return bytes(body)


def _shut_down(descriptor):
    """Shut a socket down by its descriptor, which wakes any thread blocked on it; the descriptor stays open."""
    try:
        borrowed = socket.socket(fileno=descriptor)
    except OSError:
        return  # closed meanwhile, or no longer a socket
    try:
        borrowed.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        borrowed.detach()


class _Deadline:
    """Cuts every open connection of the transport once `seconds` have passed, wherever the exchange is blocked:
    TLS handshake, headers or a body dripped byte by byte (the per-read timeout would restart at every byte)."""

    def __init__(self, seconds, connections):
        self.passed = False
        self._connections = connections
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self):
        self.passed = True
        for connection in list(self._connections):
            # urllib3 sets sock to None when it closes a connection; a closed descriptor may belong to something else.
            if connection.sock is not None:
                _shut_down(connection.amt_descriptor)

    def cancel(self):
        self._timer.cancel()


def _watched_pool_classes(connections):
    """urllib3 pool classes whose connections record their socket in `connections` (for _Deadline)."""

    def watched(connection_class):
        class WatchedConnection(connection_class):
            amt_descriptor = None
            amt_peer_certificate = None

            def _new_conn(self):
                sock = super()._new_conn()
                # The descriptor outlives the plain socket object, which the TLS wrapper detaches.
                self.amt_descriptor = sock.fileno()
                connections[:] = [known for known in connections if known.sock is not None] + [self]
                return sock

            def connect(self):
                super().connect()
                if hasattr(self.sock, "getpeercert"):
                    self.amt_peer_certificate = self.sock.getpeercert(binary_form=True)

        return WatchedConnection

    class WatchedHTTPPool(HTTPConnectionPool):
        ConnectionCls = watched(HTTPConnection)

    class WatchedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = watched(HTTPSConnection)

    return {"http": WatchedHTTPPool, "https": WatchedHTTPSPool}


def _file_identity(path):
    """What tells one version of a trust or key file from another: its path, size and modification time."""
    try:
        status = os.stat(path)
    except OSError:
        return (path, None)
    return (path, status.st_size, status.st_mtime_ns)


def _system_trust_paths():
    """The system trust store as OpenSSL finds it (SSL_CERT_FILE, SSL_CERT_DIR, then the platform's paths), or None."""
    paths = ssl.get_default_verify_paths()
    cafile = paths.cafile if paths.cafile and os.path.isfile(paths.cafile) else None
    capath = paths.capath if paths.capath and os.path.isdir(paths.capath) else None
    return (cafile, capath) if cafile or capath else None


# One SSL context per trust setting for the life of the process: building one loads its trust store, which for the
# system's takes tens of milliseconds, and urllib3 would build one for every connection.
_CONTEXTS = {}


def _ssl_context(verify, client_cert, client_key):
    """The SSL context for `verify` (False, True for the system trust store, or a CA file or directory) and the client
    certificate, built on first use; raises OSError (ssl.SSLError included) for unreadable files."""
    system = _system_trust_paths() if verify is True else None
    key = (verify if verify in (True, False) else _file_identity(verify), system and tuple(_file_identity(path) for path in system if path),
           client_cert and _file_identity(client_cert), client_key and _file_identity(client_key))
    if key not in _CONTEXTS:
        context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED if verify is not False else ssl.CERT_NONE)
        if verify is True:
            cafile, capath = system or (requests.certs.where(), None)  # no system store at all: the bundle requests ships
            context.load_verify_locations(cafile, capath)
        elif verify is not False:
            if os.path.isdir(verify):
                context.load_verify_locations(capath=verify)
            else:
                context.load_verify_locations(cafile=verify)
        if client_cert:
            context.load_cert_chain(client_cert, client_key)
        _CONTEXTS[key] = context
    return _CONTEXTS[key]


class _AmtAdapter(HTTPAdapter):
    """Counts every HTTP request sent (not connections that failed to open), records connections for the deadline,
    gives every TLS connection the one SSL context of its trust setting (_ssl_context) and, when pinning, checks the
    leaf's SHA-256."""

    def __init__(self, count_request, connections, fingerprint=None):
        self._count_request = count_request
        self._connections = connections
        self._fingerprint = fingerprint
        self._ssl_context = None
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        if self._fingerprint:
            kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _watched_pool_classes(self._connections)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            if self._ssl_context is None:  # verify and cert are the session's, the same for every request
                client_cert, client_key = cert if isinstance(cert, tuple) else (cert, None)
                self._ssl_context = _ssl_context(verify, client_cert, client_key)
            for name in ("ca_certs", "ca_cert_dir", "cert_file", "key_file"):
                pool_kwargs.pop(name, None)
            pool_kwargs["ssl_context"] = self._ssl_context
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert):
        super().cert_verify(conn, url, verify, cert)
        if getattr(conn, "conn_kw", {}).get("ssl_context") is not None:
            # The context holds the trust store and the client certificate: urllib3 would load each file again for
            # every connection, and requests would add its own bundle to the trust store.
            conn.ca_certs = conn.ca_cert_dir = conn.cert_file = conn.key_file = None

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


def _bare_host(hostname):
    """The address without the brackets an IPv6 literal may come in."""
    if hostname.startswith("[") and hostname.endswith("]"):
        return hostname[1:-1]
    return hostname


class WsmanTransport:
    def __init__(self, hostname, port, username, password, use_tls=True, validate_certs=True, ca_path=None,
                 client_cert=None, client_key=None, cert_fingerprint=None, timeout=30, read_retries=2,
                 max_response_bytes=MAX_RESPONSE_BYTES):
        if not password:
            raise InvalidInputError("password is required for HTTP Digest authentication: set password or the AMT_PASSWORD environment variable")
        if not use_tls and (client_cert or cert_fingerprint):
            raise InvalidInputError("client_cert and cert_fingerprint need use_tls=true")
        self.hostname = _bare_host(hostname)
        self.port = int(port)
        self.timeout = timeout
        self.read_retries = read_retries
        self.max_response_bytes = max_response_bytes
        self.retry_backoff = 0.5
        self.request_count = 0
        self._connections = []
        self.url = "%s://%s:%d/wsman" % ("https" if use_tls else "http", self._url_host, self.port)
        self._auth = DigestAuth(username, password, max_response_bytes)
        fingerprint = _normalise_fingerprint(cert_fingerprint) if cert_fingerprint else None
        verify = False if fingerprint or not validate_certs else (ca_path or True)
        self._session = requests.Session()
        # Proxies, netrc and REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE from the environment must not change where the password
        # goes or which certificates are trusted.
        self._session.trust_env = False
        self._session.auth = self._auth
        self._session.headers["Content-Type"] = CONTENT_TYPE
        # A compressed body could expand far beyond max_response_bytes while a single chunk is decoded.
        self._session.headers["Accept-Encoding"] = "identity"
        self._session.verify = verify
        if client_cert:
            self._session.cert = (client_cert, client_key) if client_key else client_cert
        adapter = _AmtAdapter(self._count_request, self._connections, fingerprint)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    @property
    def _url_host(self):
        return "[%s]" % self.hostname if ":" in self.hostname else self.hostname

    @property
    def endpoint(self):
        return "%s:%d" % (self._url_host, self.port)

    def _count_request(self):
        self.request_count += 1

    @property
    def peer_certificate(self):
        """The DER certificate the device served on the session's latest TLS connection, or None (HTTP, or not yet
        connected): what a new connection pinned to it would check, without opening one."""
        for connection in reversed(self._connections):
            if connection.amt_peer_certificate is not None:
                return connection.amt_peer_certificate
        return None

    def post(self, body, idempotent):
        """Send one WS-Man request; return the body of HTTP 200 or of a SOAP fault (parse.py raises for it)."""
        attempt = 0
        while True:
            deadline = _Deadline(self.timeout, self._connections)
            try:
                answer = self._exchange(body)
                if not deadline.passed:
                    return answer
                # The deadline cut the connection: what arrived may be a truncated body.
                failure, never_sent = "no complete answer within the %s s timeout" % self.timeout, False
            except requests.exceptions.SSLError as exc:
                if not deadline.passed:
                    raise TlsError("TLS failure talking to %s: %s" % (self.endpoint, _root_cause(exc)))
                failure, never_sent = "no TLS session within the %s s timeout" % self.timeout, True
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                never_sent = _never_sent(exc)
                failure = "no complete answer within the %s s timeout" % self.timeout if deadline.passed else _root_cause(exc)
            except ResponseTooLarge as exc:
                raise DeviceError("%s sent a response larger than %d bytes (the transport's max_response_bytes); it was not read further"
                                  % (self.endpoint, exc.limit))
            except requests.exceptions.RequestException as exc:
                raise DeviceError("request to %s failed: %s" % (self.endpoint, _root_cause(exc)))
            except OSError as exc:
                # requests raises a plain OSError for unreadable ca_path / client_cert / client_key files.
                raise TlsError("TLS setup for %s failed: %s" % (self.endpoint, _root_cause(exc)))
            finally:
                deadline.cancel()
            if not (idempotent or never_sent):
                raise IndeterminateError(
                    "%s: a request that changes the device was sent but no answer came back (%s); "
                    "its effect is unknown, read the state again before retrying" % (self.endpoint, failure))
            if attempt >= self.read_retries:
                raise UnreachableError("cannot reach %s: %s" % (self.endpoint, failure))
            time.sleep(self.retry_backoff * (2 ** attempt))
            attempt += 1

    def _exchange(self, body):
        response = self._session.post(self.url, data=body, timeout=self.timeout, allow_redirects=False, stream=True)
        status = response.status_code
        if status == 200 or (status in (400, 500) and "soap+xml" in response.headers.get("content-type", "")):
            return read_body(response, self.max_response_bytes)
        response.close()
        if status == 401:
            raise AuthenticationError(self._auth.refusal or (
                "authentication as %r failed at %s: wrong username or password, or the account is temporarily "
                "locked out after repeated failures" % (self._auth.username, self.endpoint)))
        if status == 403:
            raise NotPermittedError("%s refused the request (HTTP 403)" % self.endpoint)
        raise DeviceError("%s answered HTTP %d %s" % (self.endpoint, status, response.reason or ""))

    def close(self):
        self._session.close()
