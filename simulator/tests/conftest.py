"""Shared fixtures: an in-process simulator on real loopback sockets, a Digest client, WS-Man envelopes.

Every test module gets its own loopback block 127.79.<n>.0/24 (n from the module name), and every fleet
started inside it the next free addresses, so modules and tests never share a listening socket.
"""
from __future__ import annotations

import asyncio
import hashlib
import http.client
import os
import socket
import ssl
import threading
import zlib
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from amtsim import http as amt_http
from amtsim.digest import DigestPolicy, parse_authorization
from amtsim.faults import FaultPlan
from amtsim.latency import LatencyModel
from amtsim.types import EPR, Datetime, Effect, Instance, MethodResult, WsmanFault, class_uri

NS_ENUM = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
ENUMERATION = NS_ENUM + "/"
PASSWORD = "P@ssw0rd-sim"


# --- a small stand-in for amtsim.model.Device (protocol-only tests) -----------------------------------------
@dataclass
class FakeDevice:
    index: int = 1
    uuid: str = "12345678-1234-1234-1234-123456789abc"
    firmware: str = "16.1.27.2176"
    digest_realm: str = "Digest:727734D63A1FC0423736E48DA554E462"
    control_mode: str = "ccm"
    vulnerable: bool = False
    identity: tuple | None = None
    client_roots: list = field(default_factory=list)
    software_items: int = 5
    versions: tuple = ("1.2",)
    powered_on: bool = True
    dirty: bool = False
    remote: dict = field(default_factory=lambda: {"http": True, "tls": False, "mutual": False})
    local: dict = field(default_factory=lambda: {"http": True, "tls": False, "mutual": False})
    effects: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    general: dict = field(default_factory=lambda: {
        "HostName": "", "DigestRealm": "x", "InstanceID": "Intel(r) AMT: General Settings", "AMTNetworkEnabled": 1, "PingResponseEnabled": True})

    @property
    def server_header(self) -> str:
        return "Intel(R) Active Management Technology " + self.firmware

    def ha1(self, username, interface):
        del interface
        if username != "admin":
            return None
        return hashlib.md5(("admin:%s:%s" % (self.digest_realm, PASSWORD)).encode()).hexdigest()

    def realms_of(self, username):
        return frozenset({2, 3}) if username == "admin" else frozenset()

    def accepts_empty_digest(self):
        return self.vulnerable

    def listeners(self):
        return {"remote": dict(self.remote), "local": dict(self.local)}

    def tls_identity(self):
        return self.identity

    def trusted_client_roots(self):
        return list(self.client_roots)

    def tls_versions(self):
        return self.versions

    def host_powered_on(self):
        return self.powered_on

    def take_effects(self):
        effects, self.effects = self.effects, []
        return effects

    def _software(self):
        return [Instance("CIM_SoftwareIdentity", {"InstanceID": "Item %d" % n, "IsEntity": True, "VersionString": "1.%d" % n})
                for n in range(self.software_items)]

    def get(self, class_name, selectors, caller):
        self.calls.append(("get", class_name, selectors, caller))
        if class_name == "AMT_GeneralSettings":
            return Instance(class_name, dict(self.general))
        if class_name == "AMT_AuditLog":
            return Instance(class_name, {"Name": "Intel(r) AMT:Audit Log", "TimeOfLastRecord": Datetime("2024-01-03T00:44:35Z")})
        if class_name == "CIM_SoftwareIdentity":
            for item in self._software():
                if item.props["InstanceID"] == selectors.get("InstanceID"):
                    return item
        if class_name == "AMT_Broken":
            raise RuntimeError("model bug")
        raise WsmanFault("DestinationUnreachable")

    def enumerate(self, class_name, caller):
        self.calls.append(("enumerate", class_name, caller))
        if class_name == "CIM_SoftwareIdentity":
            return self._software()
        if class_name == "AMT_GeneralSettings":
            return [Instance(class_name, dict(self.general))]
        raise WsmanFault("DestinationUnreachable")

    def put(self, class_name, selectors, instance, caller):
        self.calls.append(("put", class_name, selectors, instance, caller))
        if class_name != "AMT_GeneralSettings":
            raise WsmanFault("DestinationUnreachable")
        self.general.update(instance.props)
        self.dirty = True
        return Instance(class_name, dict(self.general))

    def create(self, class_name, instance, caller):
        self.calls.append(("create", class_name, instance, caller))
        inner = EPR(class_uri("AMT_PublicKeyCertificate"), (("InstanceID", "testCertificate"),))
        return EPR(class_uri(class_name), (("ElementInContext", inner), ("Name", "x")))

    def delete(self, class_name, selectors, caller):
        self.calls.append(("delete", class_name, selectors, caller))
        if selectors.get("InstanceID") != "Intel(r) AMT Certificate: Handle: 1":
            raise WsmanFault("DestinationUnreachable")

    def invoke(self, class_name, method, selectors, inputs, caller):
        self.calls.append(("invoke", class_name, method, selectors, inputs, caller))
        if class_name == "AMT_SetupAndConfigurationService" and method == "CommitChanges":
            self.effects.append(Effect("restart", "commit"))
            return MethodResult(0)
        if class_name == "AMT_TLSSettingData" and method == "RequireTls":
            self.remote = {"http": False, "tls": True, "mutual": inputs.get("Mutual") == "true"}
            self.effects.append(Effect("listeners"))
            return MethodResult(0)
        if class_name == "IPS_HostBasedSetupService" and method == "AdminSetup":
            self.effects.append(Effect("hang", "activation"))
            return MethodResult(0)
        if class_name == "AMT_PublicKeyManagementService" and method == "GenerateKeyPair":
            key = EPR(class_uri("AMT_PublicPrivateKeyPair"), (("InstanceID", "Intel(r) AMT Key: Handle: 0"),))
            return MethodResult(0, [("KeyPair", key)])
        if class_name == "AMT_AuthorizationService" and method == "EnumerateUserAclEntries":
            return MethodResult(0, [("TotalCount", 2), ("HandlesCount", 2), ("Handles", [1, 2])])
        raise WsmanFault("ActionNotSupported")

    def mei(self, command, args):
        del command, args
        return {"status": 0}


# --- the simulator in a background event loop -----------------------------------------------------------------
class SimulatorLoop:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="amtsim-test-loop", daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout=30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class RunningFleet:
    server: amt_http.FleetServer
    members: list
    changes: list

    def address(self, position=0):
        return self.members[position].remote_address

    def local_address(self, position=0):
        return self.members[position].local_address


@pytest.fixture(scope="session")
def simulator_loop():
    runner = SimulatorLoop()
    yield runner
    runner.stop()


class LoopbackBlock:
    """Addresses 127.79.<n>.1, .2, ... for one test module."""

    def __init__(self, block: int):
        self.prefix = "127.79.%d." % block
        self.used = 0

    def allocate(self) -> str:
        self.used += 1
        if self.used > 254:
            raise RuntimeError("loopback block %s0/24 exhausted" % self.prefix)
        return self.prefix + str(self.used)


@pytest.fixture(scope="module")
def loopback_block(request):
    return LoopbackBlock(10 + zlib.crc32(request.module.__name__.encode()) % 240)


@pytest.fixture
def start_fleet(simulator_loop, loopback_block):
    """start_fleet(devices, faults=..., latency=..., digest_policy=...) -> RunningFleet; closed after the test."""
    started = []

    def start(devices, faults=None, latency=None, digest_policy=None, with_local=True):
        members, changes = [], []
        for device in devices:
            remote = loopback_block.allocate()
            local = loopback_block.allocate() if with_local else None
            members.append(SimpleNamespace(device=device, remote_address=remote, local_address=local))
        fleet = SimpleNamespace(members=members, on_change=changes.append)
        server = simulator_loop.run(amt_http.serve_fleet(fleet, faults=faults or FaultPlan(), latency=latency or LatencyModel.instant(),
                                                         digest_policy=digest_policy or DigestPolicy()))
        running = RunningFleet(server, members, changes)
        started.append(running)
        return running

    yield start
    for running in started:
        simulator_loop.run(running.server.close())


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("protocol-pki"))


# --- WS-Man requests ------------------------------------------------------------------------------------------
def envelope(action, resource_uri, body="", selectors=None, message_id="1", to="/wsman", extra_header=""):
    """A request envelope the way GWM writes it (None for a header means: leave it out)."""
    parts = []
    if action is not None:
        parts.append('<a:Action s:mustUnderstand="true">%s</a:Action>' % action)
    if to is not None:
        parts.append('<a:To s:mustUnderstand="true">%s</a:To>' % to)
    if resource_uri is not None:
        parts.append('<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>' % resource_uri)
    if message_id is not None:
        parts.append('<a:MessageID s:mustUnderstand="true">%s</a:MessageID>' % message_id)
    parts.append('<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
                 '</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout>')
    if selectors:
        parts.append("<w:SelectorSet>%s</w:SelectorSet>" % "".join(
            '<w:Selector Name="%s">%s</w:Selector>' % (name, value) for name, value in selectors.items()))
    parts.append(extra_header)
    return ('<?xml version="1.0" encoding="utf-8"?><Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
            'xmlns:s="http://www.w3.org/2003/05/soap-envelope"><Header>%s</Header><Body>%s</Body></Envelope>'
            % ("".join(parts), body)).encode()


# --- a Digest client over http.client with control over every quirk -------------------------------------------
@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    raw_headers: list


class DigestClient:
    """Keeps one connection while the server allows it; answers 401 challenges on a new one (as MeshCommander does)."""

    def __init__(self, host, port=16992, username="admin", password=PASSWORD, tls_context=None, quote_qop_nc=True, nc_format="%08x",
                 empty_response=False, uri="/wsman"):
        self.host, self.port, self.username, self.password = host, port, username, password
        self.tls_context = tls_context
        self.quote_qop_nc, self.nc_format, self.empty_response, self.uri = quote_qop_nc, nc_format, empty_response, uri
        self.challenge = None
        self.nonce_count = 0
        self.connection = None
        self.connections_opened = 0

    def _connect(self):
        if self.connection is None:
            if self.tls_context is not None:
                self.connection = http.client.HTTPSConnection(self.host, self.port, context=self.tls_context, timeout=10)
            else:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
            self.connections_opened += 1
        return self.connection

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def authorization(self, method, uri):
        params = parse_authorization(self.challenge)
        self.nonce_count += 1
        nc = self.nc_format % self.nonce_count
        cnonce = os.urandom(8).hex()
        ha1 = hashlib.md5(("%s:%s:%s" % (self.username, params["realm"], self.password)).encode()).hexdigest()
        ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()
        response = "" if self.empty_response else hashlib.md5(
            ":".join((ha1, params["nonce"], nc, cnonce, "auth", ha2)).encode()).hexdigest()
        quote = (lambda value: '"%s"' % value) if self.quote_qop_nc else (lambda value: value)
        return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", cnonce="%s", nc=%s, qop=%s, response="%s"'
                % (self.username, params["realm"], params["nonce"], uri, cnonce, quote(nc), quote("auth"), response))

    def raw(self, method, path, body=b"", headers=None):
        connection = self._connect()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            payload = response.read()
        except (ConnectionError, http.client.HTTPException, OSError):
            self.close()
            raise
        answer = Answer(response.status, response.headers, payload, response.getheaders())
        if response.will_close:
            self.close()
        return answer

    def request(self, body, method="POST", path="/wsman"):
        headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
        for _attempt in range(3):
            if self.challenge is not None:
                headers["Authorization"] = self.authorization(method, self.uri if self.uri != "/wsman" else path)
            answer = self.raw(method, path, body, headers)
            if answer.status != 401:
                return answer
            challenge = answer.headers.get("WWW-Authenticate")
            if self.challenge is not None and 'stale="true"' not in challenge:
                self.challenge = challenge
                return answer
            self.challenge = challenge
            self.nonce_count = 0
        return answer

    def post(self, body):
        return self.request(body)


@pytest.fixture
def digest_client():
    clients = []

    def make(host, **kwargs):
        client = DigestClient(host, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def port_refuses(host, port, timeout=2.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return False
    except ConnectionRefusedError:
        return True


def client_tls_context(ca_pem: bytes, client_cert=None):
    context = ssl.create_default_context(cadata=ca_pem.decode())
    context.check_hostname = False
    if client_cert is not None:
        context.load_cert_chain(*client_cert)
    return context


@dataclass(frozen=True)
class RecordingLatency(LatencyModel):
    """The latency model, noting (operation, host powered on, seconds) of every service time the server asks for, so
    tests assert what the server applied instead of timing it."""

    service_times: list = field(default_factory=list, compare=False)

    def service_time(self, operation, method, items, interface, rng, host_on=True):
        seconds = super().service_time(operation, method, items, interface, rng, host_on=host_on)
        self.service_times.append((operation, host_on, seconds))
        return seconds
