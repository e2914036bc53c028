# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WsmanTransport against a local scripted server on 127.0.0.1: digest, retries, TLS, pinning, client certs."""

from __future__ import annotations

import re
import socket
import ssl

import pytest

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AuthenticationError,
    DeviceError,
    IndeterminateError,
    InvalidInputError,
    NotPermittedError,
    TlsError,
    UnreachableError,
)
from ansible_collections.oob.amt.plugins.module_utils.wsman import transport as transport_module
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport, parse_digest_challenge
from ansible_collections.oob.amt.tests.unit.plugins.module_utils.wsman.fake_amt_server import SOAP_CONTENT_TYPE, FakeAmt
from ansible_collections.oob.amt.tests.unit.plugins.module_utils.wsman.tls_material import TlsMaterial

PASSWORD = "Secr3t!Pass"


@pytest.fixture
def server():
    fake = FakeAmt(password=PASSWORD).start()
    yield fake
    fake.stop()


def _transport(fake, password=PASSWORD, use_tls=False, **options):
    options.setdefault("timeout", 5)
    transport = WsmanTransport("127.0.0.1", fake.port, "admin", password, use_tls=use_tls, **options)
    transport.retry_backoff = 0.01
    return transport


def _field(record, name):
    match = re.search(r'%s="?([^",]*)"?' % name, record.authorization)
    return match.group(1)


def test_challenge_answered_once_then_preemptive_with_incrementing_nc(server):
    transport = _transport(server)
    answers = [transport.post(b"<x/>", idempotent=True) for request in range(3)]
    assert answers == [b"<ok/>"] * 3
    statuses = [record.status for record in server.records]
    assert statuses == [401, 200, 200, 200]
    assert server.records[0].authorization is None
    assert [_field(record, "nc") for record in server.records[1:]] == ["00000001", "00000002", "00000003"]
    assert len({_field(record, "nonce") for record in server.records[1:]}) == 1
    assert all(_field(record, "qop") == "auth" and _field(record, "uri") == "/wsman" for record in server.records[1:])
    # AMT closes after a 401; afterwards one keep-alive connection carries every request.
    assert len({record.client_port for record in server.records[1:]}) == 1
    assert server.records[0].client_port != server.records[1].client_port
    assert transport.request_count == 4
    transport.close()


def test_stale_nonce_is_answered_again_without_failure(server):
    transport = _transport(server)
    transport.post(b"<x/>", idempotent=True)
    server.expire_nonces()
    assert transport.post(b"<write/>", idempotent=False) == b"<ok/>"
    stale, answered = server.records[-2:]
    assert stale.status == 401 and stale.authorization is not None
    assert answered.status == 200 and _field(answered, "nc") == "00000001"
    assert _field(answered, "nonce") != _field(stale, "nonce")
    assert transport.request_count == 4


def test_nonce_forgotten_by_device_is_answered_again(server):
    transport = _transport(server)
    transport.post(b"<x/>", idempotent=True)
    server.valid_nonces.clear()
    assert transport.post(b"<x/>", idempotent=True) == b"<ok/>"
    assert [record.status for record in server.records] == [401, 200, 401, 200]


def test_space_separated_challenge_is_understood():
    fake = FakeAmt(password=PASSWORD, challenge_style="spaces").start()
    try:
        assert _transport(fake).post(b"<x/>", idempotent=True) == b"<ok/>"
    finally:
        fake.stop()


def test_wrong_password_fails_after_one_answer_without_leaking_secrets(server):
    transport = _transport(server, password="Wr0ng!Pass")
    with pytest.raises(AuthenticationError) as caught:
        transport.post(b"<x/>", idempotent=True)
    assert [record.status for record in server.records] == [401, 401]
    response_value = _field(server.records[1], "response")
    message = str(caught.value)
    assert "Wr0ng!Pass" not in message and response_value not in message
    assert "admin" in message and "locked out" in message
    assert caught.value.to_result()["error"] == "authentication"


def test_basic_only_challenge_never_receives_the_password():
    fake = FakeAmt(password=PASSWORD, challenge_style="basic").start()
    try:
        with pytest.raises(AuthenticationError) as caught:
            _transport(fake).post(b"<x/>", idempotent=True)
        assert [record.authorization for record in fake.records] == [None]
        assert "never sent in clear" in str(caught.value)
    finally:
        fake.stop()


def _closed_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("idempotent", [True, False])
def test_connection_refused_is_unreachable_after_backoff(monkeypatch, idempotent):
    transport = WsmanTransport("127.0.0.1", _closed_port(), "admin", PASSWORD, use_tls=False, timeout=2, read_retries=2)
    transport.retry_backoff = 0.25
    delays = []
    monkeypatch.setattr(transport_module.time, "sleep", delays.append)
    with pytest.raises(UnreachableError) as caught:
        transport.post(b"<x/>", idempotent=idempotent)
    assert "refused" in str(caught.value).lower()
    # Nothing reached the device, so even a write may try again; nothing was sent, so nothing is counted.
    assert delays == [0.25, 0.5]
    assert transport.request_count == 0


def test_password_is_required():
    with pytest.raises(InvalidInputError) as caught:
        WsmanTransport("127.0.0.1", 16993, "admin", None)
    assert str(caught.value).startswith("password is required")


@pytest.mark.parametrize("hostname", ["2001:db8::5", "[2001:db8::5]"])
def test_ipv6_literals_are_bracketed_once_in_the_url(hostname):
    transport = WsmanTransport(hostname, 16993, "admin", PASSWORD)
    assert transport.url == "https://[2001:db8::5]:16993/wsman"
    assert transport.endpoint == "[2001:db8::5]:16993"


def test_names_and_ipv4_literals_are_not_bracketed():
    assert WsmanTransport("amt-7.example.com", 16992, "admin", PASSWORD, use_tls=False).url == "http://amt-7.example.com:16992/wsman"
    assert WsmanTransport("192.0.2.7", 16993, "admin", PASSWORD).url == "https://192.0.2.7:16993/wsman"


def test_read_is_retried_after_a_dropped_connection(server):
    transport = _transport(server)
    transport.post(b"<x/>", idempotent=True)
    server.drop_next = 1
    assert transport.post(b"<read/>", idempotent=True) == b"<ok/>"
    assert [record.status for record in server.records[-2:]] == ["dropped", 200]


def test_write_is_never_retried_after_a_dropped_connection(server):
    transport = _transport(server)
    transport.post(b"<x/>", idempotent=True)
    server.drop_next = 1
    with pytest.raises(IndeterminateError) as caught:
        transport.post(b"<write/>", idempotent=False)
    assert [record.body for record in server.records if record.body == b"<write/>"] == [b"<write/>"]
    assert caught.value.indeterminate is True
    assert caught.value.to_result()["indeterminate"] is True


def test_write_timing_out_after_send_is_indeterminate(server):
    transport = _transport(server, timeout=0.4)
    transport.post(b"<x/>", idempotent=True)
    server.stall_next, server.stall_seconds = 1, 3
    with pytest.raises(IndeterminateError):
        transport.post(b"<write/>", idempotent=False)
    assert [record.status for record in server.records if record.body == b"<write/>"] == ["stalled"]


def test_read_timing_out_is_retried_then_unreachable(server):
    transport = _transport(server, timeout=0.3, read_retries=1)
    transport.post(b"<x/>", idempotent=True)
    server.stall_next, server.stall_seconds = 5, 3
    with pytest.raises(UnreachableError):
        transport.post(b"<read/>", idempotent=True)
    assert [record.status for record in server.records if record.body == b"<read/>"] == ["stalled", "stalled"]


def test_soap_fault_body_is_returned_for_the_parser(server):
    server.responses.append((400, SOAP_CONTENT_TYPE, b"<fault/>"))
    assert _transport(server).post(b"<x/>", idempotent=True) == b"<fault/>"


@pytest.mark.parametrize("status,content_type,error", [
    (400, "text/html", DeviceError),
    (403, "text/html", NotPermittedError),
    (503, "text/html", DeviceError),
])
def test_http_errors_map_to_error_classes(server, status, content_type, error):
    server.responses.append((status, content_type, b"<h2 class=warn>Bad Request.</h2>"))
    with pytest.raises(error) as caught:
        _transport(server).post(b"<x/>", idempotent=True)
    assert str(status) in str(caught.value)


def test_digest_challenge_parsing_is_lenient():
    amt = parse_digest_challenge('Digest realm="Digest:A4070000000000000000000000000000", nonce="wlbEK1Et+mQQ1j63",stale="false",qop="auth"')
    assert amt == {"realm": "Digest:A4070000000000000000000000000000", "nonce": "wlbEK1Et+mQQ1j63", "stale": "false", "qop": "auth"}
    spaces = parse_digest_challenge('Digest realm="r" nonce="n" stale="true" qop="auth"')
    assert spaces["stale"] == "true" and spaces["nonce"] == "n"
    folded = parse_digest_challenge('Negotiate, Digest realm="r", nonce="n", qop="auth,auth-int", Basic realm="x"')
    assert folded == {"realm": "r", "nonce": "n", "qop": "auth,auth-int"}
    assert parse_digest_challenge('Basic realm="x"') is None


# TLS ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return TlsMaterial(tmp_path_factory.mktemp("tls"))


def _tls_server(tls, require_client_cert=False):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls.server_cert), str(tls.server_key))
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(str(tls.ca))
    return FakeAmt(password=PASSWORD, ssl_context=context).start()


@pytest.fixture
def tls_server(tls):
    fake = _tls_server(tls)
    yield fake
    fake.stop()


def test_tls_with_custom_ca(tls, tls_server):
    transport = _transport(tls_server, use_tls=True, ca_path=str(tls.ca))
    assert transport.url.startswith("https://")
    assert transport.post(b"<x/>", idempotent=True) == b"<ok/>"


def test_tls_verification_is_on_by_default(tls_server):
    with pytest.raises(TlsError) as caught:
        _transport(tls_server, use_tls=True).post(b"<x/>", idempotent=True)
    assert "certificate verify failed" in str(caught.value)
    assert tls_server.records == []


def test_without_ca_path_the_system_trust_store_is_used(tls, tls_server, monkeypatch):
    # OpenSSL finds the system trust store through SSL_CERT_FILE first: here it holds only the test CA, which the
    # certifi bundle that requests would otherwise use does not.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca))
    assert _transport(tls_server, use_tls=True).post(b"<x/>", idempotent=True) == b"<ok/>"


def test_requests_ca_bundle_variables_in_the_environment_do_not_change_verification(tls, tls_server, monkeypatch):
    # requests would let these replace the verification settings; the transport ignores the environment.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.ca))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tls.ca))
    with pytest.raises(TlsError):
        _transport(tls_server, use_tls=True).post(b"<x/>", idempotent=True)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_environment_bundles_do_not_turn_verification_back_on(tls_server, tmp_path, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "absent.pem"))
    assert _transport(tls_server, use_tls=True, validate_certs=False).post(b"<x/>", idempotent=True) == b"<ok/>"


def test_without_any_system_trust_store_requests_bundle_is_the_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "absent"))
    assert transport_module._system_trust_paths() is None  # pylint: disable=protected-access
    context = transport_module._ssl_context(True, None, None)  # pylint: disable=protected-access
    assert context.cert_store_stats()["x509_ca"] > 0


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_without_verification_when_asked(tls_server):
    assert _transport(tls_server, use_tls=True, validate_certs=False).post(b"<x/>", idempotent=True) == b"<ok/>"


def test_fingerprint_pin_replaces_ca_verification(tls, tls_server):
    pin = ":".join(tls.server_fingerprint[i:i + 2] for i in range(0, 64, 2)).upper()
    assert _transport(tls_server, use_tls=True, cert_fingerprint=pin).post(b"<x/>", idempotent=True) == b"<ok/>"


def test_fingerprint_mismatch_is_a_tls_error_before_any_request(tls, tls_server):
    wrong = "00" * 32
    with pytest.raises(TlsError) as caught:
        _transport(tls_server, use_tls=True, cert_fingerprint=wrong).post(b"<x/>", idempotent=True)
    assert "ingerprint" in str(caught.value)
    assert tls_server.records == []


@pytest.mark.parametrize("pin", ["abc", "zz" * 32])
def test_malformed_fingerprint_is_invalid_input(pin):
    with pytest.raises(InvalidInputError):
        WsmanTransport("127.0.0.1", 16993, "admin", PASSWORD, cert_fingerprint=pin)


def test_client_certificate_is_presented(tls):
    fake = _tls_server(tls, require_client_cert=True)
    try:
        transport = _transport(fake, use_tls=True, ca_path=str(tls.ca), client_cert=str(tls.client_cert), client_key=str(tls.client_key))
        assert transport.post(b"<x/>", idempotent=True) == b"<ok/>"
        subject = dict(item[0] for item in fake.records[-1].peer_cert["subject"])
        assert subject["commonName"] == "ansible-client"
    finally:
        fake.stop()


def test_missing_client_certificate_file_is_a_tls_error(tls, tls_server, tmp_path):
    transport = _transport(tls_server, use_tls=True, ca_path=str(tls.ca), client_cert=str(tmp_path / "absent.pem"))
    with pytest.raises(TlsError):
        transport.post(b"<x/>", idempotent=True)


def test_one_ssl_context_serves_every_connection_of_a_trust_setting(tls, tls_server, monkeypatch):
    # Building a context loads its trust store: once per trust setting, not per connection (the digest challenge costs
    # one) nor per transport (amt_baseline opens several sessions to one device).
    loads = []
    original = ssl.SSLContext.load_verify_locations
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", lambda context, *args, **kwargs: loads.append(args) or original(context, *args, **kwargs))
    ca_copy = tls.ca.parent / "ca-for-context-test.pem"
    ca_copy.write_bytes(tls.ca.read_bytes())
    for _session in range(2):
        transport = _transport(tls_server, use_tls=True, ca_path=str(ca_copy))
        assert transport.post(b"<x/>", idempotent=True) == b"<ok/>"
        transport.close()
    assert len(loads) == 1
    # A CA file that changed is read again.
    ca_copy.write_bytes(tls.ca.read_bytes() + b"\n")
    assert _transport(tls_server, use_tls=True, ca_path=str(ca_copy)).post(b"<x/>", idempotent=True) == b"<ok/>"
    assert len(loads) == 2
