"""The network layer with the real device model: TLS switch-over on CommitChanges, mutual TLS, CVE-2017-5689."""
import base64
import datetime
import random
import ssl
import time
import xml.etree.ElementTree as ET

import pytest
from conftest import TRANSFER, DigestClient, client_tls_context, envelope, port_refuses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from amtsim.pki import Pki
from amtsim.types import AMT_PREFIX

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
TLS_SETTINGS = AMT_PREFIX + "AMT_TLSSettingData"
SETUP = AMT_PREFIX + "AMT_SetupAndConfigurationService"
KEYS = AMT_PREFIX + "AMT_PublicKeyManagementService"
REMOTE_TLS_ID = "Intel(r) AMT 802.3 TLS Settings"


@pytest.fixture(scope="module")
def model_pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("protocol-model-pki"))


def _device(profile, firmware, pki, index=3):
    from amtsim.model import Device
    return Device.new(index, profile, firmware, random.Random(index), pki)


def _certificate(subject, key, issuer=None, issuer_key=None, ca=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True).sign(issuer_key or key, hashes.SHA256()))


def _client_files(tmp_path, certificate, key, name):
    cert_path, key_path = tmp_path / (name + ".pem"), tmp_path / (name + ".key")
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def _return_value(answer):
    return ET.fromstring(answer.body).find(".//{*}ReturnValue").text


def test_commit_of_mutual_tls_closes_16992_and_demands_a_client_certificate(
        start_fleet, digest_client, model_pki, tmp_path, simulator_loop):
    device = _device("acm", "15.0.23.1706", model_pki)
    fleet = start_fleet([device])
    address = fleet.address()
    device.addresses = [address]
    admin = digest_client(address, username=device.admin_username, password=device.admin_password)
    assert admin.post(envelope(TRANSFER + "Get", GENERAL)).status == 200

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate("console root", root_key, ca=True)
    blob = base64.b64encode(root.public_bytes(serialization.Encoding.DER)).decode()
    added = admin.post(envelope(KEYS + "/AddTrustedRootCertificate", KEYS, '<h:AddTrustedRootCertificate_INPUT xmlns:h="%s">'
                                '<h:CertificateBlob>%s</h:CertificateBlob></h:AddTrustedRootCertificate_INPUT>' % (KEYS, blob)))
    assert _return_value(added) == "0"
    settings = ('<h:AMT_TLSSettingData xmlns:h="%s"><h:AcceptNonSecureConnections>false</h:AcceptNonSecureConnections>'
                '<h:ElementName>%s</h:ElementName><h:Enabled>true</h:Enabled><h:InstanceID>%s</h:InstanceID>'
                '<h:MutualAuthentication>true</h:MutualAuthentication></h:AMT_TLSSettingData>' % (TLS_SETTINGS, REMOTE_TLS_ID, REMOTE_TLS_ID))
    assert admin.post(envelope(TRANSFER + "Put", TLS_SETTINGS, settings, selectors={"InstanceID": REMOTE_TLS_ID})).status == 200
    assert not port_refuses(address, 16992)  # nothing changes before CommitChanges

    committed = admin.post(envelope(SETUP + "/CommitChanges", SETUP))
    assert committed.status == 200 and _return_value(committed) == "0"
    assert committed.headers["Connection"] == "close"
    simulator_loop.run(fleet.server.host_of(device).wait_reachable())
    time.sleep(0.05)
    assert port_refuses(address, 16992)
    assert not port_refuses(fleet.local_address(), 16992)  # LMS keeps serving plain HTTP

    server_only = client_tls_context(model_pki.ca_cert_pem)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        DigestClient(address, 16993, username=device.admin_username, password=device.admin_password,
                     tls_context=server_only).post(envelope(TRANSFER + "Get", GENERAL))
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_certificate = _certificate("console", client_key, root, root_key)
    mutual = client_tls_context(model_pki.ca_cert_pem, _client_files(tmp_path, client_certificate, client_key, "console"))
    answer = DigestClient(address, 16993, username=device.admin_username, password=device.admin_password,
                          tls_context=mutual).post(envelope(TRANSFER + "Get", GENERAL))
    assert answer.status == 200 and answer.headers["Server"] == "Intel(R) Active Management Technology 15.0.23.1706"


@pytest.mark.parametrize("firmware, accepted", [("11.6.12.3202", True), ("11.8.50.3425", False), ("9.1.40.1000", True),
                                                ("9.1.41.3024", False)])
def test_empty_digest_response_follows_intel_sa_00075(start_fleet, digest_client, model_pki, firmware, accepted):
    device = _device("acm", firmware, model_pki)
    address = start_fleet([device]).address()
    client = digest_client(address, username=device.admin_username, password="anything", empty_response=True)
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == (200 if accepted else 401)


def test_challenge_realm_is_the_device_digest_realm(start_fleet, digest_client, model_pki):
    device = _device("ccm", "15.0.23.1706", model_pki)
    address = start_fleet([device]).address()
    answer = digest_client(address).raw("POST", "/wsman", envelope(TRANSFER + "Get", GENERAL))
    assert answer.status == 401
    assert answer.headers["WWW-Authenticate"].startswith('Digest realm="%s", nonce="' % device.digest_realm)
    local = digest_client(start_fleet([_device("ccm", "16.1.27.2176", model_pki, 4)]).local_address())
    assert local.raw("POST", "/wsman").status == 401


def test_factory_device_serves_only_the_local_interface(start_fleet, model_pki):
    device = _device("factory", "16.1.27.2176", model_pki)
    fleet = start_fleet([device])
    assert port_refuses(fleet.address(), 16992) and port_refuses(fleet.address(), 16993)
    assert not port_refuses(fleet.local_address(), 16992)
