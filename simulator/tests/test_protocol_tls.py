"""TLS on 16993 per firmware generation: the versions and suites real clients meet, and alerts (not a silent close)
when a client has nothing in common with the firmware."""
import socket
import ssl
import warnings

import pytest
from conftest import TRANSFER, FakeDevice, client_tls_context, envelope

from amtsim.latency import LatencyModel
from amtsim.model.firmware import Firmware
from amtsim.types import AMT_PREFIX

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
# amt/amt-wsman-comm.js of MeshCentral offers exactly this.
MESHCENTRAL_CIPHERS = "RSA+AES:!aNULL:!MD5:!DSS"
RSA_KEY_EXCHANGE_SUITES = {"AES128-SHA", "AES256-SHA", "AES128-GCM-SHA256", "AES256-GCM-SHA384"}
GENERATIONS = ("11.8.50.3425", "12.0.67.1579", "16.1.27.2176", "19.0.5.1000")
_CLIENT_VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2,
                    "1.3": ssl.TLSVersion.TLSv1_3}


def _device(test_pki, firmware, index=1):
    chain, key = test_pki.issue_device_cert("amt-tls", ["127.79.0.1"])
    return FakeDevice(index=index, firmware=firmware, versions=Firmware.parse(firmware).tls_versions(), identity=(chain, key),
                      remote={"http": False, "tls": True, "mutual": False})


def _client_context(ca_pem, ciphers, lowest="1.0", highest="1.2", security_level=None):
    context = client_tls_context(ca_pem)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version, context.maximum_version = _CLIENT_VERSIONS[lowest], _CLIENT_VERSIONS[highest]
    context.set_ciphers(ciphers + ("" if security_level is None else ":@SECLEVEL=%d" % security_level))
    return context


def _handshake(address, context):
    """(version, cipher) of the session ``context`` gets from the device."""
    with socket.create_connection((address, 16993), timeout=5) as raw:
        with context.wrap_socket(raw) as connection:
            return connection.version(), connection.cipher()[0]


def _negotiated_version(address, ca_pem, version):
    """The TLS version a client offering only ``version`` (and any suite) gets, or None when the handshake fails."""
    try:
        return _handshake(address, _client_context(ca_pem, "DEFAULT", version, version, security_level=0))[0]
    except (ssl.SSLError, ConnectionError):
        return None


@pytest.mark.parametrize("firmware, tls13, expected", [
    ("11.8.50.3425", 0, {"1.0": "TLSv1", "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": None}),
    ("12.0.67.1579", 0, {"1.0": None, "1.1": "TLSv1.1", "1.2": "TLSv1.2", "1.3": None}),
    ("16.1.27.2176", 0, {"1.0": None, "1.1": None, "1.2": "TLSv1.2", "1.3": None}),
    ("19.0.5.1000", 0, {"1.1": None, "1.2": "TLSv1.2", "1.3": None}),
    ("19.0.5.1000", 1, {"1.1": None, "1.2": "TLSv1.2", "1.3": "TLSv1.3"}),
])
def test_tls_versions_follow_the_firmware(start_fleet, test_pki, firmware, tls13, expected):
    fleet = start_fleet([_device(test_pki, firmware)], latency=LatencyModel.instant().with_overrides({"tls13": tls13}))
    assert {version: _negotiated_version(fleet.address(), test_pki.ca_cert_pem, version) for version in expected} == expected


@pytest.mark.parametrize("firmware", GENERATIONS)
def test_meshcentral_reaches_every_generation_with_rsa_key_exchange(start_fleet, test_pki, digest_client, firmware):
    fleet = start_fleet([_device(test_pki, firmware)])
    context = _client_context(test_pki.ca_cert_pem, MESHCENTRAL_CIPHERS)
    version, cipher = _handshake(fleet.address(), context)
    assert version == "TLSv1.2" and cipher in RSA_KEY_EXCHANGE_SUITES
    assert digest_client(fleet.address(), port=16993, tls_context=context).post(envelope(TRANSFER + "Get", GENERAL)).status == 200


@pytest.mark.parametrize("firmware, ciphers", [
    ("11.8.50.3425", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"),  # no ECDHE before 16
    ("12.0.67.1579", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"),
    ("16.1.27.2176", "AES128-SHA:AES256-SHA"),  # no CBC suites from 16 on
    ("19.0.5.1000", "ECDHE-RSA-CHACHA20-POLY1305"),
])
def test_no_common_suite_ends_in_a_handshake_failure_alert(start_fleet, test_pki, digest_client, firmware, ciphers):
    fleet = start_fleet([_device(test_pki, firmware)])
    with pytest.raises(ssl.SSLError) as refused:
        _handshake(fleet.address(), _client_context(test_pki.ca_cert_pem, ciphers, security_level=0))
    assert not isinstance(refused.value, ssl.SSLEOFError)
    assert "ALERT_HANDSHAKE_FAILURE" in str(refused.value)
    # The device keeps serving clients that do fit.
    client = digest_client(fleet.address(), port=16993, tls_context=_client_context(test_pki.ca_cert_pem, MESHCENTRAL_CIPHERS))
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200


def test_no_common_version_ends_in_a_protocol_version_alert(start_fleet, test_pki):
    fleet = start_fleet([_device(test_pki, "16.1.27.2176")])
    with pytest.raises(ssl.SSLError) as refused:
        _handshake(fleet.address(), _client_context(test_pki.ca_cert_pem, "DEFAULT", "1.0", "1.1", security_level=0))
    assert not isinstance(refused.value, ssl.SSLEOFError)
    assert "ALERT_PROTOCOL_VERSION" in str(refused.value)


def test_python_default_client_reaches_legacy_firmware_through_dhe(start_fleet, test_pki, digest_client):
    """Python's default client suites are all forward-secret: on AMT 11 and 12 only DHE-RSA-AES256-GCM-SHA384 fits."""
    fleet = start_fleet([_device(test_pki, "11.8.50.3425")])
    context = client_tls_context(test_pki.ca_cert_pem)
    assert _handshake(fleet.address(), context) == ("TLSv1.2", "DHE-RSA-AES256-GCM-SHA384")
    assert digest_client(fleet.address(), port=16993, tls_context=context).post(envelope(TRANSFER + "Get", GENERAL)).status == 200
