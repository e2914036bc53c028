"""Wired 802.1X through the IPS classes (IPS_IEEE8021xSettings, IPS_8021xCredentialContext) over real sockets, the
way rpc-go and RPS configure it: Put the settings, then SetCertificates; and the AMT view of the same profile."""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest
from conftest import ENUMERATION, NS_ENUM, TRANSFER, envelope
from test_cira_classes import _console, _epr, _return_value, _selector, _value
from test_credential_classes import EAP_PASSWORD, PROFILE, TLS_CERTIFICATE, _add_root
from test_host_classes import fault_subcode

from amtsim.types import class_uri

SETTINGS = "IPS_IEEE8021xSettings"
CONTEXT = "IPS_8021xCredentialContext"
SETTINGS_ID = "Intel(r) AMT: 8021X Settings"
EAP_TLS, PEAP_MSCHAPV2, EAP_PSK, EAP_FAST_TLS = 0, 2, 7, 10
ENABLED, DISABLED, ENABLED_WITHOUT_CERTIFICATES = 2, 3, 6


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("ieee8021x-pki"))


def _get(console) -> dict:
    answer = console.client.post(envelope(TRANSFER + "Get", class_uri(SETTINGS)))
    assert answer.status == 200, answer.body[:400]
    [instance] = ET.fromstring(answer.body).find(".//{*}Body")
    return {child.tag.split("}")[1]: child.text for child in instance}


def _put(console, **properties):
    properties = dict({"ElementName": SETTINGS_ID, "InstanceID": SETTINGS_ID}, **properties)
    return console.put(SETTINGS, "".join("<h:%s>%s</h:%s>" % (name, value, name) for name, value in properties.items()))


def _certificate(instance_id: str) -> str:
    return _epr("AMT_PublicKeyCertificate", {"InstanceID": instance_id})


def _set_certificates(console, root=None, client=None):
    inputs = [(name, _certificate(value)) for name, value in (("ServerCertificateIssuer", root), ("ClientCertificate", client))
              if value is not None]
    return _return_value(console.invoke(SETTINGS, "SetCertificates", inputs))


def test_factory_settings_are_one_disabled_instance_and_no_credential_context(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    assert _get(console) == {"AvailableInS0": "true", "ElementName": SETTINGS_ID, "Enabled": str(DISABLED),
                             "InstanceID": SETTINGS_ID, "PxeTimeout": "0"}
    [item] = console.items(SETTINGS)
    assert _value(item, "InstanceID") == SETTINGS_ID
    opened = console.client.post(envelope(ENUMERATION + "Enumerate", class_uri(CONTEXT), '<Enumerate xmlns="%s"/>' % NS_ENUM))
    assert opened.status == 200 and ET.fromstring(opened.body).find(".//{%s}EnumerateResponse" % NS_ENUM) is not None
    assert console.items(CONTEXT) == []


def test_put_reads_back_and_the_amt_view_shows_the_same_profile(start_fleet, digest_client, pki, caplog):
    caplog.set_level(logging.DEBUG)
    device, console = _console(start_fleet, digest_client, pki)
    answer = _put(console, Enabled=ENABLED_WITHOUT_CERTIFICATES, AvailableInS0="false", PxeTimeout=300,
                  AuthenticationProtocol=PEAP_MSCHAPV2, Username="host", Password=EAP_PASSWORD, Domain="corp",
                  ServerCertificateName="radius.example.test", ServerCertificateNameComparison=3)
    assert answer.status == 200, answer.body[:400]
    assert EAP_PASSWORD.encode() not in answer.body
    settings = _get(console)
    assert settings == {"AvailableInS0": "false", "ElementName": SETTINGS_ID, "Enabled": str(ENABLED_WITHOUT_CERTIFICATES),
                        "InstanceID": SETTINGS_ID, "PxeTimeout": "300", "AuthenticationProtocol": str(PEAP_MSCHAPV2),
                        "Username": "host", "Domain": "corp", "ServerCertificateName": "radius.example.test",
                        "ServerCertificateNameComparison": "3"}
    [profile] = console.items(PROFILE)
    assert [_value(profile, name) for name in ("Enabled", "ActiveInS0", "PxeTimeout", "AuthenticationProtocol",
                                               "ServerCertificateNameComparison")] == ["true", "false", "300", "2", "1"]
    assert EAP_PASSWORD not in str(device.to_state()) and EAP_PASSWORD not in caplog.text


def test_a_put_without_pxe_timeout_or_s0_flag_gets_the_defaults_and_eap_fast_tls_is_amt_protocol_6(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    assert _put(console, Enabled=ENABLED, AuthenticationProtocol=EAP_FAST_TLS, Username="host").status == 200
    settings = _get(console)
    assert (settings["PxeTimeout"], settings["AvailableInS0"], settings["AuthenticationProtocol"]) == ("120", "true", "10")
    [profile] = console.items(PROFILE)
    assert _value(profile, "AuthenticationProtocol") == "6"


@pytest.mark.parametrize("properties", [
    {},  # Enabled is required
    {"Enabled": 4, "AuthenticationProtocol": EAP_TLS},
    {"Enabled": ENABLED, "AuthenticationProtocol": EAP_PSK, "Username": "host", "Password": EAP_PASSWORD},  # not an AMT protocol
    {"Enabled": ENABLED, "AuthenticationProtocol": PEAP_MSCHAPV2, "Username": "host"},  # a password protocol without one
    {"Enabled": ENABLED, "AuthenticationProtocol": EAP_TLS, "ServerCertificateNameComparison": 1},  # CIM "Other"
    {"Enabled": DISABLED, "PxeTimeout": 86401},
])
def test_refused_puts_change_nothing(start_fleet, digest_client, pki, properties):
    _device, console = _console(start_fleet, digest_client, pki)
    before = _get(console)
    answer = _put(console, **properties)
    assert answer.status == 400
    assert fault_subcode(answer) == ("InvalidRepresentation" if not properties else "InvalidParameter")
    assert _get(console) == before


def test_set_certificates_fills_the_credential_context_until_the_profile_is_disabled(start_fleet, digest_client, pki):
    device, console = _console(start_fleet, digest_client, pki)
    root = _add_root(console)
    # rpc-go's order: Put (enabled, EAP-TLS), then SetCertificates with the trusted root and the client certificate
    assert _put(console, Enabled=ENABLED, AvailableInS0="true", PxeTimeout=120, AuthenticationProtocol=EAP_TLS,
                Username="host.example.test").status == 200
    assert console.items(CONTEXT) == []
    assert _set_certificates(console, root=root, client=TLS_CERTIFICATE) == 0
    contexts = console.items(CONTEXT)
    assert sorted(_selector(item, "ElementInContext", "InstanceID") for item in contexts) == sorted([TLS_CERTIFICATE, root])
    assert {_selector(item, "ElementProvidingContext", "InstanceID") for item in contexts} == {SETTINGS_ID}
    assert {item.find("{*}ElementProvidingContext//{*}ResourceURI").text for item in contexts} == {class_uri(SETTINGS)}
    assert _get(console)["Enabled"] == str(ENABLED)
    [profile] = console.items(PROFILE)
    assert (_selector(profile, "ClientCertificate", "InstanceID"), _selector(profile, "ServerCertificateIssue", "InstanceID")) == (
        TLS_CERTIFICATE, root)
    assert len(console.items("AMT_8021xCredentialContext")) == 2

    assert _put(console, Enabled=ENABLED, AuthenticationProtocol=EAP_TLS, PxeTimeout=60).status == 200  # keeps its certificates
    assert len(console.items(CONTEXT)) == 2
    assert console.delete("AMT_PublicKeyCertificate", {"InstanceID": root}).status == 400  # in use by the profile
    # RPS's and rpc-go's unconfiguration: Put Enabled=3, then delete the certificates nothing uses any more
    assert _put(console, Enabled=DISABLED, AuthenticationProtocol=EAP_TLS).status == 200
    assert console.items(CONTEXT) == [] and not device.ieee8021x.uses_certificate(root.rsplit(" ", 1)[1])
    assert set(_get(console)) == {"AvailableInS0", "ElementName", "Enabled", "InstanceID", "PxeTimeout"}
    assert console.delete("AMT_PublicKeyCertificate", {"InstanceID": root}).status == 200


def test_set_certificates_answers_1_for_a_disabled_profile_or_an_unfit_certificate(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    root = _add_root(console)
    assert _set_certificates(console, root=root, client=TLS_CERTIFICATE) == 1  # the profile is disabled
    assert _put(console, Enabled=ENABLED, AuthenticationProtocol=EAP_TLS, Username="host").status == 200
    assert _set_certificates(console, root=TLS_CERTIFICATE) == 1  # not a trusted root
    assert _set_certificates(console, root=root, client=root) == 1  # a root is no client certificate
    assert _set_certificates(console, client="Intel(r) AMT Certificate: Handle: 99") == 1
    assert console.items(CONTEXT) == []
    assert _set_certificates(console, root=root) == 0
    [context] = console.items(CONTEXT)
    assert _selector(context, "ElementInContext", "InstanceID") == root
