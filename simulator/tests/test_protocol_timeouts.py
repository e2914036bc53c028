"""Idle and request timeouts: slow or silent clients lose their connection, so they cannot hold a device's connection
slots for ever (raw sockets; small knob values; the tests wait for behaviour and assert no durations)."""
import socket
import threading
import time

import pytest
from conftest import TRANSFER, FakeDevice, client_tls_context, envelope

from amtsim.latency import LatencyModel
from amtsim.types import AMT_PREFIX

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
SLOW = {"request_timeout": 1.0}


def _wait_until(condition, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in %.0f s" % timeout
        time.sleep(0.02)


def _is_reset(address, port=16992):
    with socket.create_connection((address, port), timeout=5) as connection:
        try:
            connection.sendall(b"GET /index.htm HTTP/1.1\r\nHost: amt\r\n\r\n")
            return connection.recv(1024) == b""
        except ConnectionResetError:
            return True


class Dribbler(threading.Thread):
    """Sends ``head`` one byte every 50 ms, never finishing the request, until the server closes the connection."""

    def __init__(self, address, head=b"POST /wsman HTTP/1.1\r\nHost: amt\r\nX-Slow: " + b"a" * 2000, port=16992):
        super().__init__(daemon=True)
        self.connection = socket.create_connection((address, port), timeout=5)
        self.head = head
        self.closed_by_server = threading.Event()

    def run(self):
        try:
            for byte in self.head:
                self.connection.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            self.closed_by_server.set()
        finally:
            self.connection.close()


def test_slow_headers_no_longer_lock_the_device_out(start_fleet, digest_client):
    device = FakeDevice()
    fleet = start_fleet([device], latency=LatencyModel.instant().with_overrides(SLOW))
    host = fleet.server.host_of(device)
    slow = [Dribbler(fleet.address()) for _slot in range(4)]
    for client in slow:
        client.start()
    _wait_until(lambda: host.open_connections("remote") == 4)
    assert _is_reset(fleet.address())  # the four hold every slot
    for client in slow:
        assert client.closed_by_server.wait(15)  # each sent a byte less than 50 ms ago: only the deadline cuts them
    _wait_until(lambda: host.open_connections("remote") == 0)
    assert digest_client(fleet.address()).post(envelope(TRANSFER + "Get", GENERAL)).status == 200


def test_slow_body_is_cut_too(start_fleet):
    device = FakeDevice()
    fleet = start_fleet([device], latency=LatencyModel.instant().with_overrides(SLOW))
    slow = Dribbler(fleet.address(), b"POST /wsman HTTP/1.1\r\nHost: amt\r\nContent-Length: 5000\r\n\r\n" + b"<" * 5000)
    slow.start()
    assert slow.closed_by_server.wait(15)


def test_silent_tls_client_is_cut_before_its_handshake(start_fleet, test_pki):
    chain, key = test_pki.issue_device_cert("amt-tls", ["127.79.0.1"])
    device = FakeDevice(identity=(chain, key), remote={"http": False, "tls": True, "mutual": False})
    fleet = start_fleet([device], latency=LatencyModel.instant().with_overrides(SLOW))
    with socket.create_connection((fleet.address(), 16993), timeout=15) as silent:
        assert silent.recv(1) == b""  # closed by the device, nothing sent
    context = client_tls_context(test_pki.ca_cert_pem)
    with socket.create_connection((fleet.address(), 16993), timeout=5) as raw, context.wrap_socket(raw) as tls:
        assert tls.version() == "TLSv1.2"


@pytest.mark.parametrize("scheme", ["http", "tls"])
def test_idle_keep_alive_connection_is_closed(start_fleet, digest_client, test_pki, scheme):
    chain, key = test_pki.issue_device_cert("amt-tls", ["127.79.0.1"])
    device = FakeDevice(identity=(chain, key), remote={"http": True, "tls": True, "mutual": False})
    fleet = start_fleet([device], latency=LatencyModel.instant().with_overrides({"keepalive_idle": 0.5}))
    host = fleet.server.host_of(device)
    tls = {"port": 16993, "tls_context": client_tls_context(test_pki.ca_cert_pem)} if scheme == "tls" else {}
    client = digest_client(fleet.address(), **tls)
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200
    assert client.connection is not None and host.open_connections("remote") == 1  # kept alive after the answer
    _wait_until(lambda: host.open_connections("remote") == 0)
    assert client.connection.sock.recv(1) == b""


def test_a_busy_keep_alive_connection_stays_open(start_fleet, digest_client):
    """The idle timer runs between requests only: a client that keeps asking keeps its connection."""
    device = FakeDevice()
    fleet = start_fleet([device], latency=LatencyModel.instant().with_overrides({"keepalive_idle": 1.0, "request_timeout": 1.0}))
    client = digest_client(fleet.address())
    client.post(envelope(TRANSFER + "Get", GENERAL))
    opened = client.connections_opened
    for _round in range(30):  # longer in all than either timeout
        assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200
        time.sleep(0.05)
    assert client.connections_opened == opened
