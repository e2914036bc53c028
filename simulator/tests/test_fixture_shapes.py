"""For every real capture in tests/unit/fixtures/real: send the matching request to a simulated device (the real
model) and check the answer has the capture's structure: same qualified element names, nesting and attributes in
the header and body (values may differ). The response Action may carry the "Response" suffix where the capture was
hand-edited without it (SOURCES.md)."""
from __future__ import annotations

import base64
import datetime
import hashlib
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ENUMERATION, NS_ENUM, TRANSFER, DigestClient, client_tls_context
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from amtsim.types import AMT_PREFIX, ANONYMOUS, CIM_PREFIX, class_uri

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "unit" / "fixtures" / "real"
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
FIRMWARE = "16.1.27.2176"
# Method captures whose ReturnValue is an error example, or depends on the captured device's state.
STRUCTURE_ONLY = {"ips/optin/startoptin.xml", "ips/optin/canceloptin.xml", "amt/setupandconfiguration/partialunprovision.xml"}
# Captures whose envelope declares a namespace nothing in it uses, where no rule tells us when firmware does that
# (other method responses of the same firmware do not declare it).
UNUSED_DECLARATIONS = {"amt/wifiportconfiguration/addwifisettings.xml": {"h"}}


# --- structure ------------------------------------------------------------------------------------------------
def _prefix_map(text: str) -> dict:
    root_tag = re.search(r"<a:Envelope\b[^>]*>", text, re.S).group(0)
    return {uri: prefix for prefix, uri in re.findall(r'xmlns:(\w+)\s*=\s*"([^"]+)"', root_tag)}


def _qualified(tag: str, prefixes: dict) -> str:
    uri, local = tag[1:].split("}", 1)
    return "%s:%s" % (prefixes.get(uri, "{%s}" % uri), local)


def _shape(element, prefixes: dict) -> tuple:
    """(qualified name, attribute names, child shapes); consecutive siblings of one name count once."""
    children = []
    for child in element:
        shape = _shape(child, prefixes)
        if children and children[-1][0] == shape[0]:
            continue
        children.append(shape)
    attributes = tuple(sorted(_qualified(name, prefixes) if name.startswith("{") else name for name in element.attrib))
    return _qualified(element.tag, prefixes), attributes, tuple(children)


def _parts(text: str):
    prefixes = _prefix_map(text)
    root = ET.fromstring(text.encode())
    header, body = root.find("{%s}Header" % NS_SOAP), root.find("{%s}Body" % NS_SOAP)
    values = {_qualified(child.tag, prefixes): (child.text or "").strip() for child in header}
    return _shape(header, prefixes), _shape(body, prefixes), values, root


def _return_value(root):
    found = root.find(".//{*}ReturnValue")
    return None if found is None else int(found.text)


def _declared(text: str) -> dict:
    return {prefix: uri for uri, prefix in _prefix_map(text).items()}


def assert_same_shape(capture_name: str, answer) -> None:
    assert answer.status == 200, (answer.status, answer.body[:600])
    capture = (FIXTURES / capture_name).read_text()
    expected_declarations = {prefix: uri for prefix, uri in _declared(capture).items()
                             if prefix not in UNUSED_DECLARATIONS.get(capture_name, ())}
    assert _declared(answer.body.decode("utf-8")) == expected_declarations
    expected_header, expected_body, expected_values, expected_root = _parts(capture)
    header, body, values, root = _parts(answer.body.decode("utf-8"))
    assert header == expected_header
    assert body == expected_body
    assert values["b:Action"] in (expected_values["b:Action"], expected_values["b:Action"] + "Response")
    assert values["c:ResourceURI"] == expected_values["c:ResourceURI"]
    assert values["b:To"] == ANONYMOUS
    assert re.fullmatch(r"uuid:00000000-8086-8086-8086-[0-9A-F]{12}", values["b:MessageID"])
    if capture_name not in STRUCTURE_ONLY and _return_value(expected_root) is not None:
        assert _return_value(root) == _return_value(expected_root)


# --- talking to the simulated device ---------------------------------------------------------------------------
def _request(action, resource_uri, body="", selectors=None, message_id="1"):
    selector_xml = "".join('<w:Selector Name="%s">%s</w:Selector>' % item for item in (selectors or {}).items())
    return ('<?xml version="1.0" encoding="utf-8"?><Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">'
            '<Header><a:Action>%s</a:Action><a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI><a:MessageID>%s</a:MessageID>'
            '<a:ReplyTo><a:Address>%s</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout>%s</Header>'
            '<Body>%s</Body></Envelope>' % (action, resource_uri, message_id, ANONYMOUS,
                                            "<w:SelectorSet>%s</w:SelectorSet>" % selector_xml if selector_xml else "", body)).encode()


def _epr_xml(resource_uri, selectors):
    selector_xml = "".join('<w:Selector Name="%s">%s</w:Selector>' % item for item in selectors.items())
    return ('<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI><w:SelectorSet>%s</w:SelectorSet>'
            '</a:ReferenceParameters>' % (ANONYMOUS, resource_uri, selector_xml))


class Session:
    def __init__(self, client: DigestClient):
        self.client = client

    def get(self, class_name, selectors=None):
        return self.client.post(_request(TRANSFER + "Get", class_uri(class_name), selectors=selectors))

    def enumerate(self, class_name):
        return self.client.post(_request(ENUMERATION + "Enumerate", class_uri(class_name), '<Enumerate xmlns="%s"/>' % NS_ENUM))

    def pull(self, class_name):
        context = ET.fromstring(self.enumerate(class_name).body).find(".//{%s}EnumerationContext" % NS_ENUM).text
        body = ('<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext><MaxElements>999</MaxElements>'
                '<MaxCharacters>99999</MaxCharacters></Pull>' % (NS_ENUM, context))
        return self.client.post(_request(ENUMERATION + "Pull", class_uri(class_name), body))

    def invoke(self, class_name, method, inputs=(), selectors=None):
        uri = class_uri(class_name)
        content = "".join("<h:%s>%s</h:%s>" % (name, value, name) for name, value in inputs)
        body = '<h:%s_INPUT xmlns:h="%s">%s</h:%s_INPUT>' % (method, uri, content, method)
        return self.client.post(_request(uri + "/" + method, uri, body, selectors))

    def output(self, answer, name):
        return ET.fromstring(answer.body).find(".//{*}%s" % name)


def _digest_password(username, realm, password):
    return base64.b64encode(hashlib.md5(("%s:%s:%s" % (username, realm, password)).encode()).digest()).decode()


def _add_user(session, device):
    answer = session.invoke("AMT_AuthorizationService", "AddUserAclEntryEx", [
        ("DigestUsername", "operator1"), ("DigestPassword", _digest_password("operator1", device.digest_realm, "Op3rator!pass")),
        ("AccessPermission", "2"), ("Realms", "3")])
    assert session.output(answer, "ReturnValue").text == "0", answer.body
    return session.output(answer, "Handle").text


def _ca_certificate():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shape test root")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return key, certificate


def _add_trusted_root(session):
    _key, certificate = _ca_certificate()
    blob = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    return session.invoke("AMT_PublicKeyManagementService", "AddTrustedRootCertificate", [("CertificateBlob", blob)])


def _certificate_for_new_key(session):
    """GenerateKeyPair, a CSR signed by that key, a certificate for it from our CA, AddCertificate: its InstanceID."""
    key_epr = session.output(session.invoke("AMT_PublicKeyManagementService", "GenerateKeyPair",
                                            [("KeyAlgorithm", "0"), ("KeyLength", "2048")]), "KeyPair")
    key_id = key_epr.find(".//{*}Selector").text
    null_key = ec.generate_private_key(ec.SECP256R1())
    template = (x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "amt-shape")]))
                .sign(null_key, hashes.SHA256()))
    csr_answer = session.invoke("AMT_PublicKeyManagementService", "GeneratePKCS10RequestEx", [
        ("KeyPair", _epr_xml(AMT_PREFIX + "AMT_PublicPrivateKeyPair", {"InstanceID": key_id})), ("SigningAlgorithm", "1"),
        ("NullSignedCertificateRequest", base64.b64encode(template.public_bytes(serialization.Encoding.DER)).decode())])
    csr = x509.load_der_x509_csr(base64.b64decode(session.output(csr_answer, "SignedCertificateRequest").text))
    ca_key, ca = _ca_certificate()
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca.subject).public_key(csr.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(ca_key, hashes.SHA256()))
    added = session.invoke("AMT_PublicKeyManagementService", "AddCertificate",
                           [("CertificateBlob", base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode())])
    return session.output(added, "CreatedCertificate").find(".//{*}Selector").text


def _add_wifi(session):
    """AddWiFiSettings the way GWM sends it: the settings' properties inside the parameter, in their class namespace."""
    uri = class_uri("AMT_WiFiPortConfigurationService")
    settings = ('<h:WiFiEndpointSettingsInput xmlns:q="%s"><q:ElementName>home</q:ElementName>'
                '<q:InstanceID>Intel(r) AMT:WiFi Endpoint Settings home</q:InstanceID><q:AuthenticationMethod>6</q:AuthenticationMethod>'
                '<q:EncryptionMethod>4</q:EncryptionMethod><q:SSID>home-net</q:SSID><q:Priority>1</q:Priority>'
                '<q:PSKPassPhrase>correct-horse-battery</q:PSKPassPhrase></h:WiFiEndpointSettingsInput>' % (CIM_PREFIX + "CIM_WiFiEndpointSettings"))
    endpoint = "<h:WiFiEndpoint>%s</h:WiFiEndpoint>" % _epr_xml(CIM_PREFIX + "CIM_WiFiEndpoint", {"Name": "WiFi Endpoint 0"})
    body = '<h:AddWiFiSettings_INPUT xmlns:h="%s">%s%s</h:AddWiFiSettings_INPUT>' % (uri, endpoint, settings)
    return session.client.post(_request(uri + "/AddWiFiSettings", uri, body))


def _local_system_account(device):
    answer = device.mei("GetLocalSystemAccount", {})
    assert answer["status"] == 0, answer
    return answer["username"], answer["password"]


def _setup_inputs(device, password="N3w-Admin-Pass!"):
    ha1 = hashlib.md5(("admin:%s:%s" % (device.digest_realm, password)).encode()).hexdigest()
    return [("NetAdminPassEncryptionType", "2"), ("NetworkAdminPassword", ha1)]


# --- scenarios: capture -> (profile, interface, steps) ---------------------------------------------------------
def _pull_wifi_settings(session, device):
    del device
    assert session.output(_add_wifi(session), "ReturnValue").text == "0"
    return session.pull("CIM_WiFiEndpointSettings")


def _delete_certificate(session, device):
    del device
    created = session.output(_add_trusted_root(session), "CreatedCertificate").find(".//{*}Selector").text
    return session.client.post(_request(TRANSFER + "Delete", class_uri("AMT_PublicKeyCertificate"), selectors={"InstanceID": created}))


def _create_credential_context(session, device):
    del device
    certificate_id = _certificate_for_new_key(session)
    uri = class_uri("AMT_TLSCredentialContext")
    body = ('<h:AMT_TLSCredentialContext xmlns:h="%s"><h:ElementInContext>%s</h:ElementInContext><h:ElementProvidingContext>%s'
            '</h:ElementProvidingContext></h:AMT_TLSCredentialContext>'
            % (uri, _epr_xml(class_uri("AMT_PublicKeyCertificate"), {"InstanceID": certificate_id}),
               _epr_xml(class_uri("AMT_TLSProtocolEndpointCollection"), {"ElementName": "TLSProtocolEndpoint Instances Collection"})))
    return session.client.post(_request(TRANSFER + "Create", uri, body))


def _environment_detection(session, device):
    """The capture shows a configured device (two DetectionStrings): configure it the same way, then Get."""
    del device
    uri = class_uri("AMT_EnvironmentDetectionSettingData")
    instance_id = "Intel(r) AMT Environment Detection Settings"
    body = ('<h:AMT_EnvironmentDetectionSettingData xmlns:h="%s"><h:DetectionAlgorithm>0</h:DetectionAlgorithm>'
            '<h:DetectionStrings>corp.example.com</h:DetectionStrings><h:DetectionStrings>test.com</h:DetectionStrings>'
            '<h:ElementName>%s</h:ElementName><h:InstanceID>%s</h:InstanceID></h:AMT_EnvironmentDetectionSettingData>'
            % (uri, instance_id, instance_id))
    put = session.client.post(_request(TRANSFER + "Put", uri, body, {"InstanceID": instance_id}))
    assert put.status == 200, put.body
    return session.get("AMT_EnvironmentDetectionSettingData")


def _with_user(method, extra=()):
    def scenario(session, device):
        handle = _add_user(session, device)
        return session.invoke("AMT_AuthorizationService", method, [("Handle", handle)] + list(extra))
    return scenario


def _invoke(class_name, method, inputs=()):
    return lambda session, device: session.invoke(class_name, method, list(inputs))


def _get(class_name, selectors=None):
    return lambda session, device: session.get(class_name, selectors)


def _add_next_cert(session, device):
    del device
    _key, root = _ca_certificate()
    blob = base64.b64encode(root.public_bytes(serialization.Encoding.DER)).decode()
    return session.invoke("IPS_HostBasedSetupService", "AddNextCertInChain",
                          [("NextCertificate", blob), ("IsLeafCertificate", "true"), ("IsRootCertificate", "false")])


def _admin_setup(session, device):
    inputs = _setup_inputs(device) + [("McNonce", base64.b64encode(bytes(20)).decode()), ("SigningAlgorithm", "2"),
                                      ("DigitalSignature", base64.b64encode(bytes(256)).decode())]
    return session.invoke("IPS_HostBasedSetupService", "AdminSetup", inputs)


SCENARIOS = {
    "amt/auditlog/get.xml": ("acm", "remote", _get("AMT_AuditLog")),
    "amt/auditlog/pull.xml": ("acm", "remote", lambda session, device: session.pull("AMT_AuditLog")),
    "amt/authorization/get.xml": ("acm", "remote", _get("AMT_AuthorizationService")),
    "amt/authorization/getaclenabledstate.xml": ("acm", "remote", _with_user("GetAclEnabledState")),
    "amt/authorization/getadminaclentry.xml": ("acm", "remote", _invoke("AMT_AuthorizationService", "GetAdminAclEntry")),
    "amt/authorization/getadminaclentrystatus.xml": ("acm", "remote", _invoke("AMT_AuthorizationService", "GetAdminAclEntryStatus")),
    "amt/authorization/getadminnetaclentrystatus.xml": ("acm", "remote", _invoke("AMT_AuthorizationService", "GetAdminNetAclEntryStatus")),
    "amt/authorization/removeuseraclentry.xml": ("acm", "remote", _with_user("RemoveUserAclEntry")),
    "amt/authorization/setaclenabledstate.xml": ("acm", "remote", _with_user("SetAclEnabledState", [("Enabled", "false")])),
    "amt/authorization/setadminaclentryex.xml": ("acm", "remote", lambda session, device: session.invoke(
        "AMT_AuthorizationService", "SetAdminAclEntryEx",
        [("Username", "admin2"), ("DigestPassword", _digest_password("admin2", device.digest_realm, "An0ther-Admin!"))])),
    "amt/environmentdetection/get.xml": ("acm", "remote", _environment_detection),
    "amt/general/enumerate.xml": ("acm", "remote", lambda session, device: session.enumerate("AMT_GeneralSettings")),
    "amt/general/get.xml": ("acm", "remote", _get("AMT_GeneralSettings")),
    "amt/publickey/certificate/delete.xml": ("acm", "remote", _delete_certificate),
    "amt/publickey/management/addtrustedrootcertificate.xml": ("acm", "remote", lambda session, device: _add_trusted_root(session)),
    "amt/publickey/management/generatekeypair.xml": ("acm", "remote", _invoke("AMT_PublicKeyManagementService", "GenerateKeyPair",
                                                                              [("KeyAlgorithm", "0"), ("KeyLength", "2048")])),
    "amt/redirectionservice/get.xml": ("acm", "remote", _get("AMT_RedirectionService")),
    "amt/redirectionservice/requeststatechange.xml": ("acm", "remote", _invoke("AMT_RedirectionService", "RequestStateChange",
                                                                               [("RequestedState", "32771")])),
    "amt/setupandconfiguration/commitchanges.xml": ("acm", "remote", _invoke("AMT_SetupAndConfigurationService", "CommitChanges")),
    "amt/setupandconfiguration/get.xml": ("acm", "remote", _get("AMT_SetupAndConfigurationService")),
    "amt/setupandconfiguration/partialunprovision.xml": ("acm", "remote", _invoke("AMT_SetupAndConfigurationService", "PartialUnprovision")),
    "amt/setupandconfiguration/unprovision.xml": ("ccm", "remote", _invoke("AMT_SetupAndConfigurationService", "Unprovision",
                                                                           [("ProvisioningMode", "1")])),
    "amt/tls/credentialcontext/create.xml": ("ccm_without_tls", "remote", _create_credential_context),
    "amt/tls/settingdata/pull.xml": ("acm", "remote", lambda session, device: session.pull("AMT_TLSSettingData")),
    "amt/userinitiatedconnection/get.xml": ("acm", "remote", _get("AMT_UserInitiatedConnectionService")),
    "amt/wifiportconfiguration/addwifisettings.xml": ("acm", "remote", lambda session, device: _add_wifi(session)),
    "amt/wifiportconfiguration/get.xml": ("acm", "remote", _get("AMT_WiFiPortConfigurationService")),
    "cim/kvm/get.xml": ("acm", "remote", _get("CIM_KVMRedirectionSAP")),
    "cim/software/identity/enumerate.xml": ("acm", "remote", lambda session, device: session.enumerate("CIM_SoftwareIdentity")),
    "cim/software/identity/get.xml": ("acm", "remote", _get("CIM_SoftwareIdentity", {"InstanceID": "AMT FW Core Version"})),
    "cim/wifi/endpointsettings/pull.xml": ("acm", "remote", _pull_wifi_settings),
    "cim/wifi/port/get.xml": ("acm", "remote", _get("CIM_WiFiPort")),
    "ips/hostbasedsetup/addnextcertinchain.xml": ("factory", "local", _add_next_cert),
    "ips/hostbasedsetup/adminsetup.xml": ("factory", "local", _admin_setup),
    "ips/hostbasedsetup/get.xml": ("acm", "remote", _get("IPS_HostBasedSetupService")),
    "ips/hostbasedsetup/setup.xml": ("factory", "local", lambda session, device: session.invoke(
        "IPS_HostBasedSetupService", "Setup", _setup_inputs(device))),
    "ips/kvmredirection/settings/get.xml": ("acm", "remote", _get("IPS_KVMRedirectionSettingData")),
    "ips/optin/canceloptin.xml": ("acm", "remote", _invoke("IPS_OptInService", "CancelOptIn")),
    "ips/optin/get.xml": ("acm", "remote", _get("IPS_OptInService")),
    "ips/optin/startoptin.xml": ("ccm", "remote", _invoke("IPS_OptInService", "StartOptIn")),
}
# The TLS setting capture predates AMT 16, whose AMT_TLSSettingData adds NonSecureConnectionsSupported.
FIRMWARE_OF = {"amt/tls/settingdata/pull.xml": "15.0.23.1706"}
# Structure-only captures whose ReturnValue the device legitimately differs on (activation needs a real chain).
STRUCTURE_ONLY |= {"ips/hostbasedsetup/addnextcertinchain.xml", "ips/hostbasedsetup/adminsetup.xml"}


def test_every_capture_has_a_scenario():
    captures = {str(path.relative_to(FIXTURES)) for path in FIXTURES.rglob("*.xml")}
    assert captures == set(SCENARIOS)


@pytest.fixture(scope="module")
def model_pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("shape-pki"))


def _new_device(profile, index, pki, firmware):
    from amtsim.model import Device
    device = Device.new(index, "ccm" if profile == "ccm_without_tls" else profile, firmware, random.Random(index), pki)
    if profile == "ccm_without_tls":
        device.tls.reset()
    return device


def _session_for(device, fleet, interface, pki):
    settings = device.listeners()[interface]
    address = fleet.address() if interface == "remote" else fleet.local_address()
    if interface == "local" and device.control_mode == "none":
        username, password = _local_system_account(device)
    else:
        username, password = device.admin_username, device.admin_password
    if settings["http"]:
        return Session(DigestClient(address, 16992, username=username, password=password))
    return Session(DigestClient(address, 16993, username=username, password=password,
                                tls_context=client_tls_context(pki.ca_cert_pem)))


@pytest.mark.parametrize("capture", sorted(SCENARIOS))
def test_response_has_the_shape_of_the_capture(capture, start_fleet, model_pki):
    profile, interface, scenario = SCENARIOS[capture]
    device = _new_device(profile, 1 + sorted(SCENARIOS).index(capture), model_pki, FIRMWARE_OF.get(capture, FIRMWARE))
    fleet = start_fleet([device])
    session = _session_for(device, fleet, interface, model_pki)
    try:
        assert_same_shape(capture, scenario(session, device))
    finally:
        session.client.close()
