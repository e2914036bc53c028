"""The network side of the simulator: asyncio + h11 listeners for every device.

API (used by amtsim.cli and the tests)::

    server = await serve_fleet(fleet, faults=FaultPlan(), latency=LatencyModel.instant(),
                               ports=(16992, 16993), digest_policy=DigestPolicy())
    ...
    await server.close()

``fleet`` needs ``members`` (objects with ``device``, ``remote_address`` and ``local_address``; a None local
address means no LMS endpoint) and may have ``on_change(device)``, called after any request that left
``device.dirty`` true (before its response is sent). ``server.host_of(device)`` gives the per-device
``DeviceHost`` (its ``wait_reachable()`` waits out a restart window or hang).

Per device and interface ("remote" on ``remote_address``, "local" on ``local_address``) the HTTP port and the
TLS port are open exactly as ``device.listeners()`` says; a closed port refuses connections. Only ``POST /wsman``
reaches the WS-Man dispatcher; ``GET /index.htm`` (or ``/``) returns a small web UI page, both behind Digest.
Anything else gets AMT's HTML error page. Requests to one device are served one at a time. The device's Effects
are applied once a request is handled, before its response is written (that connection alone stays open to
deliver it): "listeners" re-reads the listener set, "restart" refuses connections for the latency model's
pause, "hang" stops answering for the hang pause. TLS is negotiated per connection (amtsim.firmware_tls) with a
context built from ``device.tls_identity()`` on first use, offering the versions of ``device.tls_versions()`` (1.3
only with the latency model's ``tls13`` knob) and the suites of the firmware generation; a handshake with nothing in
common ends with a TLS alert. Mutual TLS verifies against ``device.trusted_client_roots()``.

From the latency model: at most ``remote_connections`` connections per device on the remote ports (a further one
is reset on accept), service times times ``host_off_multiplier`` while ``device.host_powered_on()`` is False, and
a CommitChanges that switched TLS loses its response with chance ``tls_commit_cut_chance``. A connection must
deliver its TLS handshake and first request within ``request_timeout`` of opening; a later request may start up to
``keepalive_idle`` after the previous answer and must then be complete within ``request_timeout``; otherwise the
connection is closed, so slow or stuck clients never hold a device. SOAP bodies go out chunked the way AMT chunks
them, with chunk sizes in four upper-case hex digits.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import random
import ssl
import time
from dataclasses import dataclass, field
from email.utils import formatdate

import h11

from amtsim import soap
from amtsim.digest import UNAUTHORIZED_PAGE, DigestGuard, DigestPolicy
from amtsim.dispatch import DispatchResult, WsmanEndpoint
from amtsim.faults import FaultPlan, RequestFaults, changes_state
from amtsim.firmware_tls import READ_CHUNK, TlsSession, server_context
from amtsim.latency import LatencyModel
from amtsim.types import Caller, Effect, WsmanFault


MAX_BODY_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
HTTP_PORT = 16992
TLS_PORT = 16993
SOAP_CONTENT_TYPE = b"application/soap+xml; charset=UTF-8"
WEB_UI_PATHS = ("/", "/index.htm")
# AMT's chunking of a SOAP body: a first chunk of 0x220 bytes, then 0x2FA each; a fault goes out as one chunk
# (RPS src/test/helper/AMTMessages.ts captures).
FIRST_CHUNK, NEXT_CHUNKS = 0x220, 0x2FA

_HTML_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" >'
    '<html lang="en"><head><link rel=stylesheet href=/styles.css>'
    '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<title>Intel&reg; Active Management Technology</title></head><body>'
    '<h1>Intel<sup>&reg;</sup> Active Management Technology</h1>%s</body></html>')
_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Request Entity Too Large",
            500: "Internal Server Error"}


def html_error_page(status: int, detail: str = "") -> bytes:
    return (_HTML_PAGE % ('<h2 class=warn>%s.%s</h2>' % (_REASONS.get(status, "Error"), " " + detail if detail else ""))).encode()


def _web_ui_page(device) -> bytes:
    rows = (("Computer model", "Intel(R) AMT simulated device"), ("System ID", device.uuid), ("Intel(R) AMT", device.firmware),
            ("Control mode", device.control_mode))
    table = "".join("<tr><td class=r1>%s</td><td class=r1>%s</td></tr>" % row for row in rows)
    return (_HTML_PAGE % ("<h2>System Status</h2><table class=lanlist>%s</table>" % table)).encode()


class ListenerError(OSError):
    """A device's port could not be opened (most often: the address is already in use)."""

    def __init__(self, address: str, port: int, interface: str, error: OSError):
        super().__init__(error.errno, error.strerror)
        self.address, self.port, self.interface = address, port, interface


@dataclass
class _Outcome:
    """A response to send, or a decision not to send one."""

    status: int = 200
    headers: list = field(default_factory=list)
    body: bytes = b""
    close: bool = False
    drop: bool = False            # abort the connection without answering
    result: DispatchResult | None = None


def _write_request(request, body) -> bool:
    """Whether a request counts as a write for the fault plan: it carries credentials and asks for a change."""
    if b"authorization" not in dict(request.headers) or not body:
        return False
    try:
        return changes_state(soap.parse_request(body).action)
    except (soap.MalformedRequest, WsmanFault):
        return False


class DeviceHost:
    """Everything the network side keeps for one device."""

    def __init__(self, device, remote_address: str, local_address: str | None, server: FleetServer):
        self.device = device
        self.addresses = {"remote": remote_address, "local": local_address}
        self.server = server
        self.endpoint = WsmanEndpoint(device, first_message_number=1 + (device.index * 0x10000) % 0xFFFFFF)
        self.guard = DigestGuard(server.digest_policy, locked=server.faults.starts_locked(device.index))
        if server.faults.acm_lands_in_ccm(device.index):
            device.provisioning.acm_commit_lands_in_ccm = True
        self.lock = asyncio.Lock()
        self.rng = random.Random("latency:%d" % device.index)
        self.listeners: dict = {}        # (interface, "http"|"tls") -> asyncio.Server
        self.connections: dict = {}      # (interface, "http"|"tls") -> set of StreamWriter
        self._tls_contexts: dict = {}    # mutual flag -> (identity, SSLContext)
        self._down_until = 0.0
        self._hung_until = 0.0
        self._reopen: asyncio.TimerHandle | None = None
        self._reopening: set = set()     # keeps the reopen tasks referenced until they finish
        self._serving: set = set()       # the tasks serving connections, cancelled by close()

    # --- listeners ---------------------------------------------------------------------------------------
    def _wanted(self) -> dict:
        if time.monotonic() < self._down_until:
            return {}
        wanted = {}
        for interface, settings in self.device.listeners().items():
            if self.addresses.get(interface) is None:
                continue
            if settings.get("http"):
                wanted[(interface, "http")] = None
            if settings.get("tls"):
                wanted[(interface, "tls")] = bool(settings.get("mutual"))
        return wanted

    def tls_context(self, mutual: bool) -> ssl.SSLContext | None:
        """The device's server context, built on first use (so 1,000 devices start without 1,000 key loads)."""
        identity = self.device.tls_identity()
        if identity is None:
            return None
        roots = tuple(self.device.trusted_client_roots()) if mutual else ()
        cached = self._tls_contexts.get(mutual)
        if cached and cached[0] == (identity, roots):
            return cached[1]
        context = server_context(self.device.firmware, self.device.tls_versions(), bool(self.server.latency.tls13), identity)
        if mutual:
            context.verify_mode = ssl.CERT_REQUIRED
            if roots:
                context.load_verify_locations(cadata="\n".join(root.decode("ascii") for root in roots))
        self._tls_contexts[mutual] = ((identity, roots), context)
        return context

    async def sync_listeners(self, spare=None) -> None:
        """Open and close listeners until they match ``device.listeners()`` (and any restart window).

        Connections of closed listeners are closed too, except ``spare`` (the one still owed a response).
        """
        wanted = self._wanted()
        for key in list(self.listeners):
            mutual = wanted.get(key, "gone")
            tls_changed = key[1] == "tls" and key in wanted and self._listener_tls_state(key) != self._tls_state_now(mutual)
            if key not in wanted or tls_changed:
                await self._close_listener(key, spare)
        for key, mutual in wanted.items():
            if key not in self.listeners:
                await self._open_listener(key, mutual)

    def _listener_tls_state(self, key) -> tuple | None:
        server = self.listeners.get(key)
        return getattr(server, "amtsim_tls_state", None)

    def _tls_state_now(self, mutual: bool) -> tuple | None:
        identity = self.device.tls_identity()
        roots = tuple(self.device.trusted_client_roots()) if mutual else ()
        return (mutual, identity, roots) if identity is not None else None

    async def _open_listener(self, key, mutual) -> None:
        interface, scheme = key
        if scheme == "tls" and self.device.tls_identity() is None:
            return
        port = self.server.ports[0] if scheme == "http" else self.server.ports[1]

        async def serve(reader, writer):
            task = asyncio.current_task()
            self._serving.add(task)
            try:
                await self.server.serve_connection(self, key, bool(mutual), reader, writer)
            finally:
                self._serving.discard(task)

        loop = asyncio.get_running_loop()

        def new_protocol():
            return asyncio.StreamReaderProtocol(asyncio.StreamReader(loop=loop), serve, loop=loop)

        address = self.addresses[interface]
        try:
            listener = await loop.create_server(new_protocol, host=address, port=port, reuse_address=True)
        except OSError as error:
            raise ListenerError(address, port, interface, error) from None
        listener.amtsim_tls_state = self._tls_state_now(bool(mutual)) if scheme == "tls" else None
        self.listeners[key] = listener

    async def _close_listener(self, key, spare=None) -> None:
        listener = self.listeners.pop(key)
        listener.close()
        for writer in list(self.connections.get(key, ())):
            if writer is not spare:
                writer.close()
        await listener.wait_closed()

    async def close(self) -> None:
        if self._reopen is not None:
            self._reopen.cancel()
        for key in list(self.listeners):
            await self._close_listener(key)
        for task in list(self._serving):
            task.cancel()
        await asyncio.gather(*self._serving, return_exceptions=True)

    # --- restart / hang ----------------------------------------------------------------------------------
    async def go_down(self, seconds: float, spare=None) -> None:
        """Refuse connections for ``seconds`` (the firmware restarting its network stack)."""
        self._down_until = max(self._down_until, time.monotonic() + seconds)
        await self.sync_listeners(spare)
        if self._reopen is not None:
            self._reopen.cancel()
        loop = asyncio.get_running_loop()
        self._reopen = loop.call_at(loop.time() + self._down_until - time.monotonic(), self._start_reopening)

    def _start_reopening(self) -> None:
        task = asyncio.get_running_loop().create_task(self.sync_listeners())
        self._reopening.add(task)
        task.add_done_callback(self._reopening.discard)

    def hang(self, seconds: float) -> None:
        self._hung_until = max(self._hung_until, time.monotonic() + seconds)

    def hung_for(self) -> float:
        return max(0.0, self._hung_until - time.monotonic())

    async def wait_reachable(self) -> None:
        """Wait until a restart window or a hang is over (tests and the fleet use it)."""
        while True:
            remaining = max(self._down_until - time.monotonic(), self.hung_for())
            if remaining <= 0 and (self._reopen is None or self._reopen.cancelled() or self._wanted().keys() <= self.listeners.keys()):
                return
            await asyncio.sleep(max(remaining, 0.01))

    def open_connections(self, interface: str) -> int:
        return sum(len(writers) for (side, _scheme), writers in self.connections.items() if side == interface)

    async def apply_effects(self, result: DispatchResult | None, spare=None) -> list:
        """Carry out the device's Effects and return them.

        This runs before the response is written, so a client never reaches the old listeners after reading it;
        ``spare`` (the current connection) stays open to deliver that response. The MEI side calls it with no
        connection at all.
        """
        latency = self.server.latency
        effects = self.device.take_effects()
        for effect in effects:
            if effect.kind == "listeners":
                await self.sync_listeners(spare)
            elif effect.kind == "restart":
                await self.go_down(latency.restart_pause(effect.reason), spare)
            elif effect.kind == "hang":
                self.hang(latency.hang_pause())
        if result is not None and result.succeeded and result.method:
            pause = self.server.faults.restart_after(self.device.index, result.method)
            if pause is not None:
                await self.go_down(pause, spare)
        return effects


class FleetServer:
    def __init__(self, faults: FaultPlan, latency: LatencyModel, ports: tuple, digest_policy: DigestPolicy, on_change):
        self.faults = faults
        self.latency = latency
        self.ports = ports
        self.digest_policy = digest_policy
        self.on_change = on_change
        self.hosts: list = []
        self._by_device: dict = {}

    def host_of(self, device) -> DeviceHost:
        return self._by_device[id(device)]

    async def start(self, members) -> None:
        for member in members:
            host = DeviceHost(member.device, member.remote_address, member.local_address, self)
            self.hosts.append(host)
            self._by_device[id(member.device)] = host
        batch = 200
        for first in range(0, len(self.hosts), batch):
            results = await asyncio.gather(*(host.sync_listeners() for host in self.hosts[first:first + batch]),
                                           return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result  # the whole batch has settled, so closing the server afterwards catches every listener

    async def close(self) -> None:
        for host in self.hosts:
            await host.close()

    # --- one connection ----------------------------------------------------------------------------------
    async def serve_connection(self, host: DeviceHost, key, mutual: bool, reader, writer) -> None:
        interface, scheme = key
        if interface == "remote" and host.open_connections("remote") >= self.latency.remote_connections:
            writer.transport.abort()
            return
        host.connections.setdefault(key, set()).add(writer)
        socket_writer = writer  # what host.connections holds and effects spare; ``writer`` becomes the TLS session
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        loop = asyncio.get_running_loop()
        try:
            if scheme == "tls":
                context = host.tls_context(mutual)
                if context is None:
                    return
                await asyncio.sleep(self.latency.handshake_time(mutual, host.rng))
                session = TlsSession(context, reader, writer)
                await asyncio.wait_for(session.handshake(), self.latency.request_timeout)
                reader = writer = session
            # The first request must be complete this soon after the connection opened; later ones after their first byte.
            deadline = loop.time() + self.latency.request_timeout
            while True:
                request, body, error = await self._read_request(connection, reader, deadline)
                if request is None and error is None:
                    return
                caller_tls = (interface, scheme == "tls", _peer_certificate(writer))
                outcome = await self._answer(host, caller_tls, request, body, error)
                if outcome.drop:
                    writer.transport.abort()
                    return
                effects = await host.apply_effects(outcome.result, socket_writer)
                if key not in host.listeners and not outcome.close:
                    outcome.headers.append((b"Connection", b"close"))
                    outcome.close = True
                if host.device.dirty and self.on_change is not None:
                    changed = self.on_change(host.device)
                    if inspect.isawaitable(changed):
                        await changed
                if Effect("restart", "commit_tls") in effects and self.latency.cuts_tls_commit(host.rng):
                    # The TLS switch restarts the port stack while the answer is still in flight (rpc-go #1463).
                    writer.transport.abort()
                    return
                await self._send(connection, writer, outcome)
                if outcome.close or connection.our_state is not h11.DONE or connection.their_state is not h11.DONE:
                    return
                connection.start_next_cycle()
                deadline = None
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError, ssl.SSLError, h11.LocalProtocolError):
            return
        finally:
            host.connections.get(key, set()).discard(socket_writer)
            writer.close()

    async def _read_request(self, connection: h11.Connection, reader, deadline: float | None) -> tuple:
        """(request, body, None), (None, None, None) when the peer went away or ran out of time, or
        (request|None, None, error status).

        ``deadline`` (loop time) bounds the whole request; None means the connection is idle between requests: the
        first byte may take up to ``keepalive_idle``, the rest ``request_timeout`` from then on.
        """
        loop = asyncio.get_running_loop()
        request, body = None, bytearray()
        while True:
            try:
                event = connection.next_event()
            except h11.RemoteProtocolError as exc:
                return request, None, exc.error_status_hint
            if event is h11.NEED_DATA:
                wait = self.latency.keepalive_idle if deadline is None else deadline - loop.time()
                try:
                    data = await asyncio.wait_for(reader.read(READ_CHUNK), max(wait, 0.0))
                except asyncio.TimeoutError:
                    return None, None, None
                if deadline is None:
                    deadline = loop.time() + self.latency.request_timeout
                connection.receive_data(data)
                if not data and request is None:
                    return None, None, None
                continue
            if isinstance(event, h11.Request):
                request = event
                length = dict(event.headers).get(b"content-length")
                if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
                    return request, None, 413
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY_BYTES:
                    return request, None, 413
            elif isinstance(event, h11.EndOfMessage):
                return request, bytes(body), None
            elif isinstance(event, h11.ConnectionClosed):
                return None, None, None

    async def _answer(self, host: DeviceHost, transport: tuple, request, body, error) -> _Outcome:
        device = host.device
        hang = host.hung_for()
        if hang > 0:
            await asyncio.sleep(hang)
            return _Outcome(drop=True)
        if error is not None:
            return self._html(device, error, close=True)
        faults = self.faults.for_request(device.index, write=self.faults.counts_writes and _write_request(request, body))
        if faults.lockout:
            host.guard.lock_out()
        if faults.reset:
            return _Outcome(drop=True)
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.http500:
            return self._html(device, 500, close=True)
        path = request.target.decode("latin-1").split("?", 1)[0]
        method = request.method.decode("latin-1")
        if path == "/wsman" and method != "POST":
            return self._html(device, 400, close=True)
        if path != "/wsman" and (path not in WEB_UI_PATHS or method != "GET"):
            return self._html(device, 404, close=True)
        interface, tls, client_cert = transport
        username, refusal = self._authenticate(host, request, interface, faults)
        if refusal is not None:
            return refusal
        if path != "/wsman":
            return _Outcome(200, self._base_headers(device, b"text/html"), _web_ui_page(device))
        caller = Caller(interface=interface, tls=tls, username=username, realms=frozenset(device.realms_of(username)),
                        client_cert_der=client_cert)
        return await self._wsman(host, caller, body, faults)

    @staticmethod
    def _authenticate(host: DeviceHost, request, interface: str, faults: RequestFaults) -> tuple:
        """(username, None) when authenticated, else (None, the 401 to send)."""
        device = host.device
        headers = dict(request.headers)
        authorization = headers.get(b"authorization")
        outcome = host.guard.verify(
            authorization.decode("latin-1") if authorization else None, request.method.decode("latin-1"),
            request.target.decode("latin-1"), device.digest_realm, lambda username: device.ha1(username, interface),
            accepts_empty=device.accepts_empty_digest(), force_stale=faults.stale)
        if outcome.ok:
            return outcome.username, None
        page = UNAUTHORIZED_PAGE.encode()
        headers = [(b"WWW-Authenticate", host.guard.challenge(device.digest_realm, stale=outcome.stale).encode()),
                   (b"Content-Type", b"text/html"), (b"Server", device.server_header.encode()),
                   (b"Content-Length", str(len(page)).encode()), (b"Connection", b"close")]
        return None, _Outcome(401, headers, page, close=True)

    async def _wsman(self, host: DeviceHost, caller: Caller, body: bytes, faults: RequestFaults) -> _Outcome:
        device = host.device
        try:
            request = soap.parse_request(body)
        except soap.MalformedRequest:
            return self._html(device, 400, close=True)
        except WsmanFault as fault:
            return self._soap(device, host.endpoint.fault_response(fault, None))
        async with host.lock:
            host_on = device.host_powered_on()
            if faults.soapfault:
                result = host.endpoint.fault_response(WsmanFault("InternalError"), request.message_id)
            else:
                result = host.endpoint.handle(request, caller)
            await asyncio.sleep(self.latency.service_time(result.operation, result.method, result.items, caller.interface, host.rng,
                                                          host_on=host_on))
        return self._soap(device, result)

    @staticmethod
    def _base_headers(device, content_type: bytes) -> list:
        return [(b"Date", formatdate(usegmt=True).encode()), (b"Server", device.server_header.encode()),
                (b"X-Frame-Options", b"DENY"), (b"Content-Type", content_type), (b"Transfer-Encoding", b"chunked")]

    def _soap(self, device, result: DispatchResult) -> _Outcome:
        headers = self._base_headers(device, SOAP_CONTENT_TYPE)
        close = not result.succeeded
        if close:
            headers.append((b"Connection", b"close"))
        return _Outcome(result.status, headers, result.body, close=close, result=result)

    @staticmethod
    def _html(device, status: int, close: bool) -> _Outcome:
        page = html_error_page(status)
        headers = [(b"Content-Type", b"text/html"), (b"Server", device.server_header.encode()),
                   (b"Content-Length", str(len(page)).encode())]
        if close:
            headers.append((b"Connection", b"close"))
        return _Outcome(status, headers, page, close=close)

    @staticmethod
    async def _send(connection: h11.Connection, writer, outcome: _Outcome) -> None:
        reason = _REASONS.get(outcome.status, "OK").encode()
        if connection.our_state is h11.SEND_RESPONSE:
            data = connection.send(h11.Response(status_code=outcome.status, headers=outcome.headers, reason=reason))
            if (b"Transfer-Encoding", b"chunked") in outcome.headers:
                one_chunk = outcome.result is not None and not outcome.result.succeeded
                for piece in _body_pieces(outcome.body, one_chunk):
                    data += _upper_case_chunk_size(connection.send(h11.Data(data=piece)))
            elif outcome.body:
                data += connection.send(h11.Data(data=outcome.body))
            data += connection.send(h11.EndOfMessage())
        else:
            # h11 refuses to answer a request it could not parse; error pages carry Content-Length, so write them directly.
            head = b"HTTP/1.1 %d %s\r\n" % (outcome.status, reason) + b"".join(b"%s: %s\r\n" % header for header in outcome.headers)
            data = head + b"\r\n" + outcome.body
        writer.write(data)
        await writer.drain()


def _body_pieces(body: bytes, one_chunk: bool) -> list:
    if one_chunk or len(body) <= FIRST_CHUNK:
        return [body] if body else []
    return [body[:FIRST_CHUNK]] + [body[start:start + NEXT_CHUNKS] for start in range(FIRST_CHUNK, len(body), NEXT_CHUNKS)]


def _upper_case_chunk_size(framed: bytes) -> bytes:
    """h11 frames a chunk as ``<lower-case hex size>CRLF<data>CRLF``; AMT writes four upper-case digits (``02FA``,
    docs/amt-reference.md 9.1)."""
    size, _separator, rest = framed.partition(b"\r\n")
    return b"%04X\r\n" % int(size, 16) + rest


def _peer_certificate(writer) -> bytes | None:
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    with contextlib.suppress(ValueError):
        return ssl_object.getpeercert(binary_form=True)
    return None


async def serve_fleet(fleet, faults: FaultPlan | None = None, latency: LatencyModel | None = None, ports: tuple = (HTTP_PORT, TLS_PORT),
                      digest_policy: DigestPolicy | None = None) -> FleetServer:
    """Start every device's listeners; returns once all are up. A port that will not open raises ListenerError,
    with every listener opened so far closed again."""
    server = FleetServer(faults or FaultPlan(), latency or LatencyModel.instant(), tuple(ports), digest_policy or DigestPolicy(),
                         getattr(fleet, "on_change", None))
    try:
        await server.start(fleet.members)
    except BaseException:
        await server.close()
        raise
    return server
