"""Wired 802.1X (AMT_8021XProfile, AMT_8021xCredentialContext) and the credential associations
(CIM_CredentialContext, CIM_ConcreteDependency, CIM_ElementSettingData) over real sockets."""
from __future__ import annotations

import base64
import datetime
import logging
import xml.etree.ElementTree as ET

import pytest
from conftest import ENUMERATION, NS_ENUM, TRANSFER, envelope
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from test_cira_classes import Console, _console, _epr, _return_value, _selector, _value

from amtsim.types import CIM_PREFIX, class_uri

PROFILE = "AMT_8021XProfile"
PROFILE_ID = "Intel(r) AMT 802.1x Profile 0"
TLS_CERTIFICATE = "Intel(r) AMT Certificate: Handle: 0"
EAP_PASSWORD = "Eap-Secret-31"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("credential-pki"))


def _root_blob() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "radius root")])
    now = datetime.datetime.now(datetime.timezone.utc)
    root = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    return base64.b64encode(root.public_bytes(serialization.Encoding.DER)).decode()


def _add_root(console: Console) -> str:
    added = console.invoke("AMT_PublicKeyManagementService", "AddTrustedRootCertificate", [("CertificateBlob", _root_blob())])
    assert _return_value(added) == 0
    return _selector(ET.fromstring(added.body).find(".//{*}AddTrustedRootCertificate_OUTPUT"), "CreatedCertificate", "InstanceID")


def _put_profile(console: Console, **properties):
    properties = dict({"InstanceID": PROFILE_ID}, **properties)
    content = "".join("<h:%s>%s</h:%s>" % (name, value, name) for name, value in sorted(properties.items()))
    return console.put(PROFILE, content)


def test_factory_profile_is_disabled_as_captured(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    [profile] = console.items(PROFILE)
    assert {child.tag.split("}")[1]: child.text for child in profile} == {
        "ActiveInS0": "true", "ElementName": "Intel(r) AMT 802.1x Profile", "Enabled": "false", "InstanceID": PROFILE_ID,
        "PxeTimeout": "0"}
    assert console.items("AMT_8021xCredentialContext") == []


def test_eap_tls_profile_needs_and_shows_its_certificates(start_fleet, digest_client, pki):
    device, console = _console(start_fleet, digest_client, pki)
    assert _put_profile(console, Enabled="true", AuthenticationProtocol=0).status == 400  # EAP-TLS without a certificate
    root = _add_root(console)
    refused = _put_profile(console, Enabled="true", AuthenticationProtocol=0,
                           ClientCertificate=_epr("AMT_PublicKeyCertificate", {"InstanceID": root}))
    assert refused.status == 400  # a trusted root is no client certificate
    answer = _put_profile(console, Enabled="true", ActiveInS0="true", AuthenticationProtocol=0, PxeTimeout=120,
                          Username="host.example.test", ServerCertificateName="radius.example.test",
                          ServerCertificateNameComparison=1,
                          ClientCertificate=_epr("AMT_PublicKeyCertificate", {"InstanceID": TLS_CERTIFICATE}),
                          ServerCertificateIssue=_epr("AMT_PublicKeyCertificate", {"InstanceID": root}))
    assert answer.status == 200, answer.body[:400]
    [profile] = console.items(PROFILE)
    assert (_value(profile, "Enabled"), _value(profile, "AuthenticationProtocol"), _value(profile, "PxeTimeout")) == ("true", "0", "120")
    assert _selector(profile, "ClientCertificate", "InstanceID") == TLS_CERTIFICATE
    assert _selector(profile, "ServerCertificateIssue", "InstanceID") == root
    contexts = console.items("AMT_8021xCredentialContext")
    assert sorted(_selector(item, "ElementInContext", "InstanceID") for item in contexts) == sorted([TLS_CERTIFICATE, root])
    assert console.delete("AMT_PublicKeyCertificate", {"InstanceID": root}).status == 400  # in use by the profile
    assert device.ieee8021x.uses_certificate(root.rsplit(" ", 1)[1])

    assert _put_profile(console, Enabled="false").status == 200
    [profile] = console.items(PROFILE)
    assert _value(profile, "ClientCertificate") is None and console.items("AMT_8021xCredentialContext") == []
    assert console.delete("AMT_PublicKeyCertificate", {"InstanceID": root}).status == 200


def test_password_protocols_keep_no_password(start_fleet, digest_client, pki, caplog):
    caplog.set_level(logging.DEBUG)
    device, console = _console(start_fleet, digest_client, pki)
    assert _put_profile(console, Enabled="true", AuthenticationProtocol=2, Username="host").status == 400  # no password
    answer = _put_profile(console, Enabled="true", AuthenticationProtocol=2, Username="host", Password=EAP_PASSWORD, Domain="corp")
    assert answer.status == 200 and EAP_PASSWORD.encode() not in answer.body
    [profile] = console.items(PROFILE)
    assert (_value(profile, "Username"), _value(profile, "Domain"), _value(profile, "Password")) == ("host", "corp", None)
    assert EAP_PASSWORD not in str(device.to_state()) and EAP_PASSWORD not in caplog.text


def test_concrete_dependency_ties_each_certificate_to_its_key(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    _add_root(console)
    [dependency] = console.items("CIM_ConcreteDependency")
    assert _selector(dependency, "Antecedent", "InstanceID") == TLS_CERTIFICATE
    assert _selector(dependency, "Dependent", "InstanceID") == "Intel(r) AMT Key: Handle: 0"
    assert dependency.find("{*}Dependent//{*}ResourceURI").text == class_uri("AMT_PublicPrivateKeyPair")


def _add_eap_tls_wifi(console: Console, root: str):
    uri = class_uri("AMT_WiFiPortConfigurationService")
    settings = ('<h:WiFiEndpointSettingsInput xmlns:q="%s"><q:ElementName>corp</q:ElementName><q:SSID>corp-net</q:SSID>'
                '<q:AuthenticationMethod>7</q:AuthenticationMethod><q:EncryptionMethod>4</q:EncryptionMethod>'
                '<q:Priority>1</q:Priority></h:WiFiEndpointSettingsInput>' % (CIM_PREFIX + "CIM_WiFiEndpointSettings"))
    ieee = ('<h:IEEE8021xSettingsInput xmlns:r="%s"><r:ElementName>corp</r:ElementName><r:AuthenticationProtocol>0'
            '</r:AuthenticationProtocol><r:Username>host</r:Username></h:IEEE8021xSettingsInput>' % (CIM_PREFIX + "CIM_IEEE8021xSettings"))
    body = ('<h:AddWiFiSettings_INPUT xmlns:h="%s"><h:WiFiEndpoint>%s</h:WiFiEndpoint>%s%s<h:ClientCredential>%s</h:ClientCredential>'
            '<h:CACredential>%s</h:CACredential></h:AddWiFiSettings_INPUT>'
            % (uri, _epr("CIM_WiFiEndpoint", {"Name": "WiFi Endpoint 0"}), settings, ieee,
               _epr("AMT_PublicKeyCertificate", {"InstanceID": TLS_CERTIFICATE}), _epr("AMT_PublicKeyCertificate", {"InstanceID": root})))
    return console.client.post(envelope(uri + "/AddWiFiSettings", uri, body))


def test_eap_tls_wifi_profile_has_its_8021x_settings_and_credential_contexts(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    assert console.items("CIM_CredentialContext") == []
    root = _add_root(console)
    assert _return_value(_add_eap_tls_wifi(console, root)) == 0
    [settings] = console.items("CIM_IEEE8021xSettings")
    assert (_value(settings, "AuthenticationProtocol"), _value(settings, "InstanceID")) == ("0", "Intel(r) AMT:IEEE 802.1x Settings corp")
    contexts = console.items("CIM_CredentialContext")
    assert sorted(_selector(item, "ElementInContext", "InstanceID") for item in contexts) == sorted([TLS_CERTIFICATE, root])
    assert {_selector(item, "ElementProvidingContext", "InstanceID") for item in contexts} == {"Intel(r) AMT:IEEE 802.1x Settings corp"}
    links = console.items("CIM_ElementSettingData")
    wifi = [item for item in links if _selector(item, "SettingData", "InstanceID") == "Intel(r) AMT:WiFi Endpoint Settings corp"]
    assert len(wifi) == 1 and _selector(wifi[0], "ManagedElement", "Name") == "WiFi Endpoint 0"


def test_element_setting_data_references_served_instances(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    for link in console.items("CIM_ElementSettingData"):
        for role in ("ManagedElement", "SettingData"):
            uri = link.find("{*}%s//{*}ResourceURI" % role).text
            selectors = {item.get("Name"): item.text for item in link.findall("{*}%s//{*}Selector" % role)}
            answer = console.client.post(envelope(TRANSFER + "Get", uri, selectors=selectors))
            assert answer.status == 200, (uri, selectors, answer.body[:300])
    assert console.client.post(envelope(ENUMERATION + "Enumerate", class_uri("CIM_ElementSettingData"),
                                        '<Enumerate xmlns="%s"/>' % NS_ENUM)).status == 200
