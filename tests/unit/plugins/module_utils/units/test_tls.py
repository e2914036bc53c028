# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TLS unit against the captured AMT_TLSSettingData and a certificate store: reading in amt_tls's vocabulary,
validation, when a certificate is renewed, and the Put bodies each firmware generation gets."""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.oob.amt.plugins.module_utils.units.base import read_state
from ansible_collections.oob.amt.plugins.module_utils.units.tls import Tls, fingerprint
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.info.fake_device import FakeClient, captured_items

CERT_ID, KEY_ID = "Intel(r) AMT Certificate: Handle: 0", "Intel(r) AMT Key: Handle: 0"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(common_name, sans=(), days=365, ca=False, key=KEY):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(1).not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san) for san in sans]), critical=False)
    return builder.sign(key, hashes.SHA256())


def _pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _device(certificate, remote=None, local=None):
    settings = captured_items("amt/tls/settingdata/pull.xml")
    for item in settings:
        item.update((remote if "802.3" in item["InstanceID"] else local) or {})
    der = certificate.public_bytes(serialization.Encoding.DER)
    public = KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return FakeClient(enumerations={
        "AMT_TLSSettingData": settings,
        "AMT_TLSCredentialContext": [{"ElementInContext": {"resource_uri": "x", "selectors": {"InstanceID": CERT_ID}}}],
        "AMT_PublicKeyCertificate": [{"InstanceID": CERT_ID, "X509Certificate": base64.b64encode(der).decode(),
                                      "TrustedRootCertficate": "false"}],
        "AMT_PublicPrivateKeyPair": [{"InstanceID": KEY_ID, "DERKey": base64.b64encode(public).decode()}],
    })


def _options(**changes):
    options = {"server_certificate": {"common_name": "amt.example.com", "subject_alt_names": ["AMT.example.com"], "key_length": 2048,
                                      "validity_days": 365, "renew_before_days": 30},
               "issuer_certificate": None, "issuer_private_key": None, "issuer_private_key_passphrase": None, "certificate": None,
               "private_key": None, "trusted_root_certificates": [], "mutual_authentication": False, "trusted_cn": [],
               "accept_non_secure_connections": False, "local_tls": True, "local_accept_non_secure_connections": False,
               "client_cert": None, "client_key": None}
    options.update(changes)
    return options


TLS_ON = {"Enabled": "true", "AcceptNonSecureConnections": "false", "MutualAuthentication": "false"}


def test_reads_in_the_options_vocabulary_with_the_certificate_in_use():
    certificate = _certificate("amt.example.com", ["amt.example.com"])
    unit = Tls()
    state = read_state(unit, _device(certificate, TLS_ON, {"Enabled": "true", "AcceptNonSecureConnections": "false"}))
    assert unit.describe(state) == {
        "server_certificate": {"common_name": "amt.example.com", "subject_alt_names": ["amt.example.com"]},
        "trusted_root_certificates": [], "remote_tls": True, "mutual_authentication": False, "trusted_cn": [],
        "accept_non_secure_connections": False, "local_tls": True, "local_accept_non_secure_connections": False}
    assert state["certificates"][CERT_ID]["key"] == KEY_ID
    facts = Tls.server_certificate_facts(state)
    assert facts["fingerprint"] == fingerprint(certificate.public_bytes(serialization.Encoding.DER))
    assert facts["instance_id"] == CERT_ID and facts["issuer"] == "CN=amt.example.com"


def test_a_matching_device_needs_nothing_and_names_are_compared_without_case():
    certificate = _certificate("amt.example.com", ["amt.example.com"])
    unit = Tls(_options())
    client = _device(certificate, TLS_ON, {"Enabled": "true", "AcceptNonSecureConnections": "false"})
    assert unit.plan(read_state(unit, client)) == []


@pytest.mark.parametrize("certificate, reason", [
    (_certificate("amt.example.com", ["amt.example.com"], days=20), "it expires on"),
    (_certificate("other.example.com", ["amt.example.com"]), "its common name is other.example.com"),
    (_certificate("amt.example.com", ["old.example.com"]), "its subject alternative names are old.example.com"),
])
def test_a_certificate_is_renewed_before_expiry_or_when_its_names_differ(certificate, reason):
    unit = Tls(_options())
    state = read_state(unit, _device(certificate, TLS_ON, {"Enabled": "true", "AcceptNonSecureConnections": "false"}))
    changes = unit.plan(state)
    assert [change["action"] for change in changes] == ["certificate"]
    assert changes[0]["reason"].startswith(reason) and changes[0]["replaces"] == CERT_ID


def test_remote_put_omits_accept_non_secure_where_the_firmware_has_no_clear_text_port():
    certificate = _certificate("amt.example.com", ["amt.example.com"])
    unit = Tls(_options(local_tls=True))
    older = read_state(unit, _device(certificate, {"Enabled": "false", "AcceptNonSecureConnections": "true"}))
    assert unit.settings_wanted(older)["remote"] == {"Enabled": True, "MutualAuthentication": False, "TrustedCN": [],
                                                     "AcceptNonSecureConnections": False}
    newer = read_state(unit, _device(certificate, {"Enabled": "true", "NonSecureConnectionsSupported": "false"}))
    assert "AcceptNonSecureConnections" not in unit.settings_wanted(newer)["remote"]


@pytest.mark.parametrize("changes, message", [
    ({"server_certificate": {"common_name": "", "subject_alt_names": []}}, "server_certificate.common_name: must be 1 to 64"),
    ({"trusted_cn": ["console"]}, "trusted_cn: applies only with mutual_authentication=true"),
    ({"mutual_authentication": True}, "mutual_authentication: needs trusted_root_certificates"),
    ({"mutual_authentication": True, "trusted_root_certificates": [_pem(_certificate("ca", ca=True))]},
     "mutual_authentication: needs client_cert and client_key"),
    ({"trusted_root_certificates": [_pem(_certificate("leaf"))]}, "trusted_root_certificates[0]: must be a CA certificate"),
    ({"issuer_certificate": _pem(_certificate("ca", ca=True))}, "issuer_certificate: needs issuer_private_key"),
])
def test_validation_names_the_option(changes, message):
    with pytest.raises(InvalidInputError) as error:
        Tls(_options(**changes))
    assert str(error.value).startswith(message)


def test_a_certificate_the_device_sends_as_garbage_is_a_device_error():
    client = _device(_certificate("amt.example.com"))
    client.enumerations["AMT_PublicKeyCertificate"][0]["X509Certificate"] = "not base64!"
    with pytest.raises(DeviceError) as error:
        read_state(Tls(), client)
    assert "X509Certificate" in str(error.value)


def test_a_certificate_a_cut_off_run_added_is_put_in_use_instead_of_a_new_one():
    issuer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = _certificate("site CA", ca=True, key=issuer_key)
    issuer_key_pem = issuer_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()
    now = datetime.datetime.now(datetime.timezone.utc)
    spare = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "amt.example.com")]))
             .issuer_name(issuer.subject).public_key(KEY.public_key()).serial_number(2)
             .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
             .add_extension(x509.SubjectAlternativeName([x509.DNSName("amt.example.com")]), critical=False)
             .sign(issuer_key, hashes.SHA256()))
    client = _device(_certificate("amt.example.com", ["amt.example.com"], days=5), TLS_ON)
    client.enumerations["AMT_PublicKeyCertificate"].append({
        "InstanceID": "Intel(r) AMT Certificate: Handle: 1", "TrustedRootCertficate": "false",
        "X509Certificate": base64.b64encode(spare.public_bytes(serialization.Encoding.DER)).decode()})
    puts = []
    client.put = lambda class_name, instance, selectors=None: puts.append((class_name, instance))
    unit = Tls(_options(issuer_certificate=_pem(issuer), issuer_private_key=issuer_key_pem))
    state = read_state(unit, client)
    [change] = [change for change in unit.plan(state) if change["action"] == "certificate"]
    unit.send(client, state, change)
    assert [call for call in client.calls if call[0] == "invoke"] == []  # no key generated, no certificate added
    assert puts[0][0] == "AMT_TLSCredentialContext"
    assert puts[0][1]["ElementInContext"]["selectors"] == {"InstanceID": "Intel(r) AMT Certificate: Handle: 1"}
