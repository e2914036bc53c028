"""The HTTP side: error pages, body limits, listeners and Effects, TLS and mutual TLS, injected faults, latency."""
import contextlib
import datetime
import http.client
import socket
import ssl
import threading
import time

import pytest
from conftest import TRANSFER, FakeDevice, RecordingLatency, client_tls_context, envelope, port_refuses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from amtsim.faults import FaultPlan
from amtsim.http import MAX_BODY_BYTES
from amtsim.latency import LatencyModel
from amtsim.types import AMT_PREFIX, IPS_PREFIX

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
SETUP = AMT_PREFIX + "AMT_SetupAndConfigurationService"
TLS_SETTINGS = AMT_PREFIX + "AMT_TLSSettingData"


@pytest.fixture
def device():
    return FakeDevice()


def _get(client):
    return client.post(envelope(TRANSFER + "Get", GENERAL))


def test_unknown_path_and_wrong_method_get_amt_html_pages(device, start_fleet, digest_client):
    address = start_fleet([device]).address()
    not_found = digest_client(address).raw("GET", "/nothing")
    assert not_found.status == 404 and not_found.headers["Connection"] == "close"
    assert b"<title>Intel&reg; Active Management Technology</title>" in not_found.body
    wrong_method = digest_client(address).raw("GET", "/wsman")
    assert wrong_method.status == 400 and b"<h2 class=warn>Bad Request." in wrong_method.body
    assert wrong_method.headers["Server"] == device.server_header


def test_malformed_http_gets_a_400_page(device, start_fleet):
    address = start_fleet([device]).address()
    with socket.create_connection((address, 16992), timeout=5) as raw:
        raw.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data = raw.recv(65536)
    assert data.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in data


def test_oversized_body_is_refused_without_harm(device, start_fleet, digest_client):
    address = start_fleet([device]).address()
    client = digest_client(address)
    assert _get(client).status == 200
    answer = client.post(b"<x>" + b"a" * (MAX_BODY_BYTES + 10) + b"</x>")
    assert answer.status == 413 and answer.headers["Connection"] == "close"
    assert _get(client).status == 200


def test_chunked_oversized_body_is_refused(device, start_fleet, digest_client):
    address = start_fleet([device]).address()
    client = digest_client(address)
    _get(client)
    connection = http.client.HTTPConnection(address, 16992, timeout=5)
    connection.request("POST", "/wsman", body=iter([b"a" * 40000, b"b" * 40000]), encode_chunked=True,
                       headers={"Authorization": client.authorization("POST", "/wsman")})
    assert connection.getresponse().status == 413
    connection.close()


def test_closed_ports_refuse_connections(device, start_fleet):
    fleet = start_fleet([device])
    assert port_refuses(fleet.address(), 16993)
    assert not port_refuses(fleet.address(), 16992)


def test_commit_restart_refuses_connections_for_the_pause(device, start_fleet, digest_client, simulator_loop):
    latency = LatencyModel.instant().with_overrides({"restart_commit": 2.0})
    fleet = start_fleet([device], latency=latency)
    client = digest_client(fleet.address())
    answer = client.post(envelope(SETUP + "/CommitChanges", SETUP))
    assert answer.status == 200 and b"CommitChanges_OUTPUT" in answer.body
    assert port_refuses(fleet.address(), 16992)
    simulator_loop.run(fleet.server.host_of(device).wait_reachable())
    assert not port_refuses(fleet.address(), 16992)
    assert _get(digest_client(fleet.address())).status == 200


def test_restart_after_fault_takes_the_device_away(device, start_fleet, digest_client, simulator_loop):
    fleet = start_fleet([device], faults=FaultPlan.from_spec("restart-after=GenerateKeyPair:2"))
    service = AMT_PREFIX + "AMT_PublicKeyManagementService"
    assert digest_client(fleet.address()).post(envelope(service + "/GenerateKeyPair", service)).status == 200
    assert port_refuses(fleet.address(), 16992)
    simulator_loop.run(fleet.server.host_of(device).wait_reachable())
    assert _get(digest_client(fleet.address())).status == 200


def test_hang_effect_stops_answering(device, start_fleet, digest_client, simulator_loop):
    latency = LatencyModel.instant().with_overrides({"admin_setup_repeat_hang": 1.0})
    fleet = start_fleet([device], latency=latency)
    service = IPS_PREFIX + "IPS_HostBasedSetupService"
    assert digest_client(fleet.address()).post(envelope(service + "/AdminSetup", service)).status == 200
    assert fleet.server.host_of(device).hung_for() > 0
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        digest_client(fleet.address()).raw("POST", "/wsman", envelope(TRANSFER + "Get", GENERAL))
    simulator_loop.run(fleet.server.host_of(device).wait_reachable())
    assert _get(digest_client(fleet.address())).status == 200


@pytest.fixture
def tls_device(test_pki):
    chain, key = test_pki.issue_device_cert("amt-tls", ["127.79.0.1"])
    return FakeDevice(identity=(chain, key), remote={"http": True, "tls": True, "mutual": False})


def test_tls_listener_serves_wsman_with_the_device_certificate(tls_device, start_fleet, digest_client, test_pki):
    fleet = start_fleet([tls_device])
    client = digest_client(fleet.address(), port=16993, tls_context=client_tls_context(test_pki.ca_cert_pem))
    assert _get(client).status == 200
    caller = [c for c in tls_device.calls if c[0] == "get"][-1][3]
    assert caller.tls and caller.client_cert_der is None


def _client_identity(tmp_path, name="client"):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = time.time()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime.fromtimestamp(now - 60, datetime.timezone.utc))
            .not_valid_after(datetime.datetime.fromtimestamp(now + 3600, datetime.timezone.utc))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path, key_path = tmp_path / (name + ".pem"), tmp_path / (name + ".key")
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_pem, cert.public_bytes(serialization.Encoding.DER), (str(cert_path), str(key_path))


def test_switch_to_tls_only_and_mutual_authentication(tls_device, start_fleet, digest_client, test_pki, tmp_path):
    trusted_pem, trusted_der, trusted_files = _client_identity(tmp_path, "trusted")
    _other_pem, _other_der, other_files = _client_identity(tmp_path, "other")
    tls_device.client_roots = [trusted_pem]
    fleet = start_fleet([tls_device])
    address = fleet.address()
    plain = digest_client(address)
    answer = plain.post(envelope(TLS_SETTINGS + "/RequireTls", TLS_SETTINGS,
                                 '<h:RequireTls_INPUT xmlns:h="%s"><h:Mutual>true</h:Mutual></h:RequireTls_INPUT>' % TLS_SETTINGS))
    assert answer.status == 200
    assert port_refuses(address, 16992)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _get(digest_client(address, port=16993, tls_context=client_tls_context(test_pki.ca_cert_pem)))
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _get(digest_client(address, port=16993, tls_context=client_tls_context(test_pki.ca_cert_pem, other_files)))
    mutual = digest_client(address, port=16993, tls_context=client_tls_context(test_pki.ca_cert_pem, trusted_files))
    assert _get(mutual).status == 200
    caller = [c for c in tls_device.calls if c[0] == "get"][-1][3]
    assert caller.tls and caller.client_cert_der == trusted_der
    assert not port_refuses(fleet.local_address(), 16992)  # the local interface keeps its own settings


@pytest.mark.parametrize("spec, check", [
    ("http500", lambda answer: answer.status == 500 and b"Internal Server Error" in answer.body),
    ("soapfault", lambda answer: answer.status == 400 and b"e:InternalError" in answer.body),
])
def test_injected_answers(device, start_fleet, digest_client, spec, check):
    address = start_fleet([device], faults=FaultPlan.from_spec(spec)).address()
    answer = digest_client(address).post(envelope(TRANSFER + "Get", GENERAL))
    assert check(answer)


def test_reset_fault_drops_only_the_targeted_device(device, start_fleet, digest_client):
    fleet = start_fleet([device, FakeDevice(index=2)], faults=FaultPlan.from_spec("reset@2"))
    assert _get(digest_client(fleet.address(0))).status == 200
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        _get(digest_client(fleet.address(1)))


def test_delay_fault_holds_back_only_the_targeted_device(device, start_fleet):
    fleet = start_fleet([device, FakeDevice(index=2)], faults=FaultPlan.from_spec("delay=60@2"))
    request = b"POST /wsman HTTP/1.1\r\nHost: amt\r\nContent-Length: 0\r\n\r\n"
    answers = []
    for position in (0, 1):
        with socket.create_connection((fleet.address(position), 16992), timeout=1) as raw:
            raw.sendall(request)
            try:
                answers.append(raw.recv(12))
            except TimeoutError:
                answers.append(None)
    assert answers == [b"HTTP/1.1 401", None]


def test_latency_model_sets_the_service_time(device, start_fleet, digest_client):
    latency = RecordingLatency().with_overrides({"get_put_delete": 0.02, "get_put_delete_jitter": 0})
    fleet = start_fleet([device], latency=latency)
    assert _get(digest_client(fleet.address())).status == 200
    assert latency.service_times == [("get", True, pytest.approx(0.02))]


def test_requests_to_one_device_are_served_one_at_a_time(device, start_fleet, digest_client):
    fleet = start_fleet([device], latency=LatencyModel.instant().with_overrides({"get_put_delete": 60}))
    first, second = digest_client(fleet.address()), digest_client(fleet.address())
    threading.Thread(target=_quietly_get, args=(first,), daemon=True).start()
    _wait_until(lambda: len(_gets(device)) == 1)  # the first Get is in its 60 s service time
    threading.Thread(target=_quietly_get, args=(second,), daemon=True).start()
    _wait_until(lambda: second.connections_opened == 2)  # challenged, then sent with credentials
    time.sleep(0.3)
    assert len(_gets(device)) == 1  # the second Get waits behind the first


def _gets(device):
    return [call for call in device.calls if call[0] == "get"]


def _quietly_get(client):
    with contextlib.suppress(TimeoutError, ConnectionError):
        _get(client)


def _wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in %.0f s" % timeout
        time.sleep(0.01)
