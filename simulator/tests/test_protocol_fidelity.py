"""Firmware behaviour on the wire beyond WS-Man: the per-device connection cap, slower answers while the host is off,
the cut CommitChanges response and AMT's chunk framing (TLS per firmware generation: test_protocol_tls.py)."""
import http.client
import random
import socket
import time

import pytest
from conftest import TRANSFER, FakeDevice, RecordingLatency, envelope, port_refuses

from amtsim.latency import LatencyModel
from amtsim.types import AMT_PREFIX, Effect

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
SETUP = AMT_PREFIX + "AMT_SetupAndConfigurationService"


def _get(client):
    return client.post(envelope(TRANSFER + "Get", GENERAL))


def _wait_until(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in %.1f s" % timeout)
        time.sleep(0.01)


def _is_reset(address, port):
    """Whether a new connection is dropped without an answer (connect succeeds, the server resets it at once)."""
    with socket.create_connection((address, port), timeout=5) as connection:
        try:
            connection.sendall(b"GET /index.htm HTTP/1.1\r\nHost: amt\r\n\r\n")
            return connection.recv(1024) == b""
        except ConnectionResetError:
            return True


# --- concurrent connections -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cap", [4, 2])
def test_remote_connections_beyond_the_cap_are_reset(start_fleet, cap):
    device = FakeDevice()
    latency = LatencyModel.instant() if cap == 4 else LatencyModel.instant().with_overrides({"remote_connections": cap})
    fleet = start_fleet([device], latency=latency)
    host = fleet.server.host_of(device)
    held = [socket.create_connection((fleet.address(), 16992), timeout=5) for _slot in range(cap)]
    try:
        _wait_until(lambda: host.open_connections("remote") == cap)
        assert _is_reset(fleet.address(), 16992)
        assert not _is_reset(fleet.local_address(), 16992)  # the LMS side is not capped
        held.pop().close()
        _wait_until(lambda: host.open_connections("remote") == cap - 1)
        assert not _is_reset(fleet.address(), 16992)
    finally:
        for connection in held:
            connection.close()


# --- host power state -----------------------------------------------------------------------------------------
def test_answers_take_three_times_longer_while_the_host_is_off(start_fleet, digest_client):
    on, off = FakeDevice(), FakeDevice(index=2, powered_on=False)
    latency = RecordingLatency().with_overrides({"get_put_delete": 0.01, "get_put_delete_jitter": 0})
    fleet = start_fleet([on, off], latency=latency)
    for position in (0, 1):
        assert _get(digest_client(fleet.address(position))).status == 200
    assert latency.service_times == [("get", True, pytest.approx(0.01)), ("get", False, pytest.approx(0.03))]


def test_host_off_multiplier_is_a_knob():
    model = LatencyModel.realistic().with_overrides({"get_put_delete_jitter": 0, "host_off_multiplier": 5})
    rng = random.Random(0)
    assert model.service_time("get", None, 0, "remote", rng, host_on=False) == pytest.approx(0.2)
    assert model.service_time("get", None, 0, "local", rng, host_on=False) == pytest.approx(0.205)
    assert LatencyModel.realistic().service_time("invoke", "RequestPowerStateChange", 0, "remote", rng, host_on=False) == pytest.approx(0.24)


# --- CommitChanges that switches TLS ------------------------------------------------------------------------
@pytest.mark.parametrize("chance, answered", [(1.0, False), (0.0, True)])
def test_tls_commit_response_is_cut_by_chance(start_fleet, digest_client, chance, answered):
    device = FakeDevice()
    latency = LatencyModel.instant().with_overrides({"tls_commit_cut_chance": chance, "restart_commit_tls": 0.3})
    fleet = start_fleet([device], latency=latency)
    client = digest_client(fleet.address())
    assert _get(client).status == 200
    device.effects = [Effect("restart", "commit_tls")]
    device.dirty = True
    if answered:
        assert client.post(envelope(SETUP + "/CommitChanges", SETUP)).status == 200
    else:
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            client.post(envelope(SETUP + "/CommitChanges", SETUP))
    assert fleet.changes == [device]  # the commit took effect and was saved either way
    assert port_refuses(fleet.address(), 16992)  # and the port stack restarts


def test_other_restarts_are_never_cut(start_fleet, digest_client):
    device = FakeDevice()
    fleet = start_fleet([device], latency=LatencyModel.instant().with_overrides({"tls_commit_cut_chance": 1.0}))
    client = digest_client(fleet.address())
    assert _get(client).status == 200
    device.effects = [Effect("restart", "commit")]
    assert client.post(envelope(SETUP + "/CommitChanges", SETUP)).status == 200


def test_cut_chance_defaults():
    assert LatencyModel.instant().tls_commit_cut_chance == 0.0
    assert LatencyModel.realistic().tls_commit_cut_chance == 0.5
    assert LatencyModel.instant().remote_connections == LatencyModel.realistic().remote_connections == 4
    assert LatencyModel.instant().host_off_multiplier == 3.0


def test_count_knobs_take_whole_numbers():
    assert LatencyModel.instant().with_overrides({"remote_connections": 8.0}).remote_connections == 8
    with pytest.raises(ValueError, match="whole number"):
        LatencyModel.instant().with_overrides({"remote_connections": 2.5})


# --- chunked transfer -------------------------------------------------------------------------------------------
def _raw_answer(address, request: bytes) -> bytes:
    with socket.create_connection((address, 16992), timeout=5) as connection:
        connection.sendall(request)
        data = b""
        while not data.endswith(b"\r\n0\r\n\r\n"):
            piece = connection.recv(65536)
            if not piece:
                break
            data += piece
    return data


def _chunks(raw: bytes) -> list:
    """(size line, data) of every chunk of a chunked response."""
    rest = raw.split(b"\r\n\r\n", 1)[1]
    chunks = []
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            return chunks
        chunks.append((size_line, rest[:size]))
        rest = rest[size + 2:]


def _authorized_post(address, client, body: bytes) -> bytes:
    client.post(body)  # learn the challenge
    head = ("POST /wsman HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
            "Content-Length: %d\r\nConnection: close\r\n\r\n" % (address, client.authorization("POST", "/wsman"), len(body)))
    return _raw_answer(address, head.encode() + body)


def test_chunk_sizes_are_upper_case_hex(start_fleet, digest_client):
    device = FakeDevice(general={"HostName": "x" * 1500, "DigestRealm": "x", "InstanceID": "Intel(r) AMT: General Settings"})
    fleet = start_fleet([device])
    raw = _authorized_post(fleet.address(), digest_client(fleet.address()), envelope(TRANSFER + "Get", GENERAL))
    chunks = _chunks(raw)
    sizes = [size_line for size_line, _data in chunks]
    assert sizes[:3] == [b"0220", b"02FA", b"02FA"] and len(sizes) >= 4
    assert all(size == b"%04X" % len(data) for size, data in chunks)
    assert b"".join(data for _size, data in chunks).endswith(b"</a:Envelope>")


def test_a_fault_goes_out_as_one_chunk(start_fleet, digest_client):
    fleet = start_fleet([FakeDevice()])
    raw = _authorized_post(fleet.address(), digest_client(fleet.address()),
                           envelope(TRANSFER + "Get", AMT_PREFIX + "AMT_NoSuchClass"))
    assert raw.startswith(b"HTTP/1.1 400 ")
    chunks = _chunks(raw)
    assert len(chunks) == 1 and chunks[0][0] == b"%04X" % len(chunks[0][1]) and len(chunks[0][1]) > 0x2FA
