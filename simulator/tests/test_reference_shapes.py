"""The classes the simulator serves that have no real capture: over the wire, each answer must carry the properties,
key values, value formats and enums docs/amt-reference.md (or the source it cites) gives, in the envelope layout of the
captures (docs/amt-reference.md 1.5, 9.1-9.3): prefixes a..f fixed, g the class (or enumeration, with the class in h),
header To, RelatesTo, Action, MessageID, ResourceURI, properties in alphabetical order.

One row per class and operation. A check is a value (equal), a compiled pattern (full match on the text), a set
(the value, or every value of a repeated element, is in it) or ABSENT."""
from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import NS_ENUM, DigestClient, client_tls_context
from test_fixture_shapes import Session
from test_property_completeness import TABLES

from amtsim.types import ANONYMOUS, class_uri

FIRMWARE = "16.1.27.2176"
ABSENT = object()
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
FIXED_PREFIXES = {
    "a": NS_SOAP,
    "b": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "c": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "d": "http://schemas.xmlsoap.org/ws/2005/02/trust",
    "e": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "f": "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd",
}
HEADER = ["b:To", "b:RelatesTo", "b:Action", "b:MessageID", "c:ResourceURI"]
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
MAC_DASHED = re.compile(r"[0-9a-f]{2}(-[0-9a-f]{2}){5}")
BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
SERVICE_KEYS = {"SystemCreationClassName": "CIM_ComputerSystem", "SystemName": "Intel(r) AMT"}


def get(class_name, selectors=None):
    return lambda session: session.get(class_name, selectors)


def pull(class_name):
    return lambda session: session.pull(class_name)


def put(class_name, properties, selectors=None):
    """Put of an instance with these properties, as GWM sends it (selector InstanceID where docs/amt-reference.md 7.4 says so)."""
    def run(session):
        uri = class_uri(class_name)
        content = "".join("<h:%s>%s</h:%s>" % (name, value, name) for name, value in properties)
        body = '<h:%s xmlns:h="%s">%s</h:%s>' % (class_name, uri, content, class_name)
        return session.client.post(_request(TRANSFER + "Put", uri, body, selectors))
    return run


def _request(action, resource_uri, body, selectors):
    selector_xml = "".join('<w:Selector Name="%s">%s</w:Selector>' % item for item in (selectors or {}).items())
    return ('<?xml version="1.0" encoding="utf-8"?><Envelope xmlns="%s" xmlns:a="%s" xmlns:w="%s"><Header>'
            '<a:Action>%s</a:Action><a:To>/wsman</a:To><w:ResourceURI>%s</w:ResourceURI><a:MessageID>1</a:MessageID>'
            '<a:ReplyTo><a:Address>%s</a:Address></a:ReplyTo><w:OperationTimeout>PT60S</w:OperationTimeout>%s</Header>'
            '<Body>%s</Body></Envelope>' % (NS_SOAP, FIXED_PREFIXES["b"], FIXED_PREFIXES["c"], action, resource_uri, ANONYMOUS,
                                            "<w:SelectorSet>%s</w:SelectorSet>" % selector_xml if selector_xml else "",
                                            body)).encode()


# (row id, docs/amt-reference.md section or source, operation, class, properties of the first instance, one property per
#  instance that must take exactly these values across all instances (or None))
ROWS = [
    ("tls-setting-get", "7.4", get("AMT_TLSSettingData", {"InstanceID": "Intel(r) AMT LMS TLS Settings"}), "AMT_TLSSettingData",
     {"InstanceID": "Intel(r) AMT LMS TLS Settings", "ElementName": "Intel(r) AMT LMS TLS Settings", "Enabled": {"true", "false"},
      "MutualAuthentication": {"true", "false"}, "AcceptNonSecureConnections": {"true", "false"},
      "NonSecureConnectionsSupported": {"true", "false"}}, None),
    ("tls-setting-put-remote", "7.4", put("AMT_TLSSettingData", [("ElementName", "Intel(r) AMT 802.3 TLS Settings"),
                                                                 ("Enabled", "true"), ("InstanceID", "Intel(r) AMT 802.3 TLS Settings"),
                                                                 ("MutualAuthentication", "false")],
                                          {"InstanceID": "Intel(r) AMT 802.3 TLS Settings"}), "AMT_TLSSettingData",
     {"InstanceID": "Intel(r) AMT 802.3 TLS Settings", "Enabled": "true", "NonSecureConnectionsSupported": "false"}, None),
    ("kerberos-get", "7.5; GWM amt/kerberos/get.xml (unconfigured: no EncryptionAlgorithm)", get("AMT_KerberosSettingData"), "AMT_KerberosSettingData",
     {"InstanceID": "Intel (r) AMT: Kerberos Settings", "ElementName": "Intel(r) AMT: Kerberos Settings",
      "KrbEnabled": {"true", "false"}, "EncryptionAlgorithm": ABSENT, "SupportedEncryptionAlgorithms": {"0", "1", "2"},
      "Passphrase": ABSENT, "MasterKey": ABSENT}, None),
    ("ethernet-pull", "7.9", pull("AMT_EthernetPortSettings"), "AMT_EthernetPortSettings",
     {"InstanceID": "Intel(r) AMT Ethernet Port Settings 0", "MACAddress": MAC_DASHED, "LinkPolicy": {"1", "14", "16", "224"},
      "PhysicalConnectionType": {"0", "1", "2", "3"}, "DHCPEnabled": {"true", "false"}, "SharedMAC": {"true", "false"},
      "ConsoleTcpMaxRetransmissions": ABSENT},  # GWM amt/ethernetport captures: only the wireless port carries it
     ("InstanceID", {"Intel(r) AMT Ethernet Port Settings 0", "Intel(r) AMT Ethernet Port Settings 1"})),
    ("certificate-pull", "7.4", pull("AMT_PublicKeyCertificate"), "AMT_PublicKeyCertificate",
     {"ElementName": "Intel(r) AMT Certificate", "InstanceID": re.compile(r"Intel\(r\) AMT Certificate: Handle: \d+"),
      "X509Certificate": BASE64, "TrustedRootCertficate": {"true", "false"}, "ReadOnlyCertificate": {"true", "false"},
      "Issuer": re.compile(r".+"), "Subject": re.compile(r".+")}, None),
    ("key-pair-pull", "7.4", pull("AMT_PublicPrivateKeyPair"), "AMT_PublicPrivateKeyPair",
     {"InstanceID": re.compile(r"Intel\(r\) AMT Key: Handle: \d+"), "DERKey": BASE64}, None),
    ("credential-context-pull", "7.4", pull("AMT_TLSProtocolEndpointCollection"), "AMT_TLSProtocolEndpointCollection",
     {"ElementName": "TLSProtocolEndpoint Instances Collection"}, None),
    ("key-management-get", "7.4", get("AMT_PublicKeyManagementService"), "AMT_PublicKeyManagementService",
     dict(SERVICE_KEYS, Name="Intel(r) AMT Public Key Management Service", CreationClassName="AMT_PublicKeyManagementService"), None),
    ("wifi-port-configuration-put", "5.1", put("AMT_WiFiPortConfigurationService", [
        ("CreationClassName", "AMT_WiFiPortConfigurationService"), ("ElementName", "Intel(r) AMT WiFiPort Configuration Service"),
        ("Name", "Intel(r) AMT WiFi Port Configuration Service"), ("SystemCreationClassName", "CIM_ComputerSystem"),
        ("SystemName", "Intel(r) AMT"), ("UEFIWiFiProfileShareEnabled", "true"), ("localProfileSynchronizationEnabled", "1")]),
     "AMT_WiFiPortConfigurationService",
     dict(SERVICE_KEYS, Name="Intel(r) AMT WiFi Port Configuration Service", ElementName="Intel(r) AMT WiFiPort Configuration Service",
          EnabledState="5", HealthState="5", RequestedState="12", localProfileSynchronizationEnabled="1",
          UEFIWiFiProfileShareEnabled="true", LocalProfileSynchronizationEnabled=ABSENT), None),
    ("wifi-capabilities-pull", "5.2 (enums of AuthenticationMethod, EncryptionMethod)", pull("CIM_WiFiEndpointCapabilities"),
     "CIM_WiFiEndpointCapabilities",
     {"SupportedAuthenticationMethods": {"1", "2", "3", "4", "5", "6", "7", "32768", "32769"},
      "SupportedEncryptionMethods": {"1", "2", "3", "4", "5"}}, None),
    ("wifi-endpoint-pull", "5.1, 5.4", pull("CIM_WiFiEndpoint"), "CIM_WiFiEndpoint",
     dict(SERVICE_KEYS, Name="WiFi Endpoint 0", EnabledState={"2", "3", "6"}), None),
    ("kvm-settings-put", "7.2", put("IPS_KVMRedirectionSettingData", [
        ("ElementName", "Intel(r) KVM Redirection Settings"), ("InstanceID", "Intel(r) KVM Redirection Settings"),
        ("OptInPolicy", "true"), ("OptInPolicyTimeout", "300"), ("RFBPassword", "Rfb!Pass1"), ("SessionTimeout", "5")],
        {"InstanceID": "Intel(r) KVM Redirection Settings"}), "IPS_KVMRedirectionSettingData",
     {"InstanceID": "Intel(r) KVM Redirection Settings", "OptInPolicy": "true", "OptInPolicyTimeout": "300", "SessionTimeout": "5",
      "EnabledByMEBx": {"true", "false"}, "Is5900PortEnabled": {"true", "false"}, "RFBPassword": {""}}, None),
    ("provisioning-hash-pull", "docs/hardening-controls.md AMT-RPROV-01 (LMS class shape)", pull("AMT_ProvisioningCertificateHash"),
     "AMT_ProvisioningCertificateHash",
     {"InstanceID": re.compile(r"Intel\(r\) AMT: Certificate Hash \d+"), "HashData": BASE64, "IsDefault": {"true", "false"},
      "Enabled": {"true", "false"}, "HashType": re.compile(r"\d+")}, None),
    ("web-ui-get", "7.8", get("AMT_WebUIService"), "AMT_WebUIService",
     dict(SERVICE_KEYS, EnabledState={"2", "3", "6"}), None),
    ("audit-policy-get", "6.2", get("AMT_AuditPolicyRule"), "AMT_AuditPolicyRule",
     {"PolicyRuleName": "Audit Policy Rule", "AuditApplicationEventID": re.compile(r"\d+"), "PolicyType": {"0", "1"}}, None),
    ("time-sync-get", "GWM amt/timesynchronization/get.xml", get("AMT_TimeSynchronizationService"), "AMT_TimeSynchronizationService",
     dict(SERVICE_KEYS, CreationClassName="AMT_TimeSynchronizationService", Name="Intel(r) AMT Time Synchronization Service",
          ElementName="Intel(r) AMT Time Synchronization Service", EnabledState="5", RequestedState="12",
          LocalTimeSyncEnabled={"0", "1", "2"}, TimeSource={"0", "1"}), None),
    ("computer-system-pull", "8.3 (state enums)", pull("CIM_ComputerSystem"), "CIM_ComputerSystem",
     {"CreationClassName": "CIM_ComputerSystem", "EnabledState": {str(value) for value in range(11)}, "HealthState": {"0", "5"}},
     ("Name", {"ManagedSystem", "Intel(r) AMT"})),
    ("power-service-get", "1.2, 3.1 (service keys)", get("CIM_PowerManagementService"), "CIM_PowerManagementService",
     dict(SERVICE_KEYS, CreationClassName="CIM_PowerManagementService"), None),
    ("boot-service-get", "1.2, 3.1 (service keys)", get("CIM_BootService"), "CIM_BootService",
     dict(SERVICE_KEYS, CreationClassName="CIM_BootService"), None),
    ("boot-setting-data-get", "1.2", get("AMT_BootSettingData"), "AMT_BootSettingData",
     {"InstanceID": re.compile(r"Intel\(r\) AMT:.+"), "UseSOL": {"true", "false"}, "UseIDER": {"true", "false"}}, None),
    ("boot-config-pull", "1.2", pull("CIM_BootConfigSetting"), "CIM_BootConfigSetting",
     {"InstanceID": re.compile(r"Intel\(r\) AMT: Boot Configuration \d+")}, None),
    ("remote-access-service-get", "GWM amt/remoteaccess/service/pull.xml", get("AMT_RemoteAccessService"), "AMT_RemoteAccessService",
     dict(SERVICE_KEYS, CreationClassName="AMT_RemoteAccessService", Name="Intel(r) AMT Remote Access Service",
          ElementName="Intel(r) AMT Remote Access Service", IsRemoteTunnelConnected=ABSENT), None),
    ("remote-access-capabilities-pull", "GWM amt/remoteaccess/capabilities/pull.xml", pull("AMT_RemoteAccessCapabilities"),
     "AMT_RemoteAccessCapabilities",
     {"InstanceID": "Intel(r) AMT:Remote Access Capabilities", "MaxMpsPerPolicy": "2", "MaxTotalMpServers": "6",
      "MaxTotalPolicies": "3", "MaxTotalProxyEntryPoints": "15"}, None),
    ("http-proxy-service-get", "GWM ips/http/proxyservice.go", get("IPS_HTTPProxyService"), "IPS_HTTPProxyService",
     dict(SERVICE_KEYS, CreationClassName="IPS_HTTPProxyService", SyncEnabled={"true", "false"}), None),
    ("ieee8021x-profile-get", "GWM amt/ieee8021x/profile/get.xml", get("AMT_8021XProfile"), "AMT_8021XProfile",
     {"InstanceID": "Intel(r) AMT 802.1x Profile 0", "ElementName": "Intel(r) AMT 802.1x Profile", "Enabled": "false",
      "ActiveInS0": "true", "PxeTimeout": "0", "Password": ABSENT}, None),
    ("concrete-dependency-pull", "GWM cim/concrete/dependency/pull.xml", pull("CIM_ConcreteDependency"), "CIM_ConcreteDependency",
     {"Antecedent": re.compile(r"\s*"), "Dependent": re.compile(r"\s*")}, None),  # EPRs: present; values in test_credential_classes
    ("element-setting-data-pull", "DMTF CIM_ElementSettingData", pull("CIM_ElementSettingData"), "CIM_ElementSettingData",
     {"IsCurrent": {"1", "2"}}, None),
]


def _prefixes(text):
    root_tag = re.search(r"<a:Envelope\b[^>]*>", text, re.S).group(0)
    return dict(re.findall(r'xmlns:(\w+)\s*=\s*"([^"]+)"', root_tag))


def _qualified(tag, by_uri):
    uri, local = tag[1:].split("}", 1)
    return "%s:%s" % (by_uri[uri], local)


def instances_in(answer, class_name, operation_kind):
    """Check the envelope layout and return each instance as name -> list of texts."""
    assert answer.status == 200, answer.body[:600]
    text = answer.body.decode("utf-8")
    declared = _prefixes(text)
    assert {prefix: declared.get(prefix) for prefix in FIXED_PREFIXES} == FIXED_PREFIXES
    class_prefix = "h" if operation_kind == "pull" else "g"
    assert declared[class_prefix] == class_uri(class_name)
    if operation_kind == "pull":
        assert declared["g"] == NS_ENUM
    by_uri = {uri: prefix for prefix, uri in declared.items()}
    root = ET.fromstring(answer.body)
    header = root.find("{%s}Header" % NS_SOAP)
    assert [_qualified(child.tag, by_uri) for child in header] == HEADER
    values = {_qualified(child.tag, by_uri): child for child in header}
    assert values["b:RelatesTo"].text == "1" and values["b:To"].text == ANONYMOUS
    assert values["b:Action"].get("{%s}mustUnderstand" % NS_SOAP) == "true"
    assert values["c:ResourceURI"].text == class_uri(class_name)
    assert re.fullmatch(r"uuid:00000000-8086-8086-8086-[0-9A-F]{12}", values["b:MessageID"].text)
    elements = root.findall(".//{%s}%s" % (class_uri(class_name), class_name))
    assert elements, text[:600]
    instances = []
    for element in elements:
        names = [_qualified(child.tag, by_uri).split(":", 1)[1] for child in element]
        assert all(_qualified(child.tag, by_uri).startswith(class_prefix + ":") for child in element)
        assert names == sorted(names), "properties in alphabetical order (docs/amt-reference.md 9.1)"
        instance = {}
        for child, name in zip(element, names):
            instance.setdefault(name, []).append(child.text or "")
        instances.append(instance)
    return instances


def check_property(instance, name, wanted):
    if wanted is ABSENT:
        assert name not in instance, name
        return
    assert name in instance, "%s missing from %s" % (name, sorted(instance))
    texts = instance[name]
    if isinstance(wanted, set):
        assert set(texts) <= wanted, (name, texts)
    elif isinstance(wanted, re.Pattern):
        assert all(wanted.fullmatch(text) for text in texts), (name, texts)
    else:
        assert texts == [wanted], (name, texts)


@pytest.fixture(scope="module")
def shapes_pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("reference-shapes-pki"))


def admin_session(device, fleet, pki):
    return Session(DigestClient(fleet.address(), 16993, username=device.admin_username, password=device.admin_password,
                                tls_context=client_tls_context(pki.ca_cert_pem)))


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_answer_has_what_the_reference_lists(row, start_fleet, shapes_pki):
    from amtsim.model import Device
    name, _section, operation, class_name, properties, across = row
    device = Device.new(1 + ROWS.index(row), "acm", FIRMWARE, random.Random(ROWS.index(row)), shapes_pki)
    fleet = start_fleet([device])
    session = admin_session(device, fleet, shapes_pki)
    try:
        instances = instances_in(operation(session), class_name, "pull" if name.endswith("-pull") else "single")
    finally:
        session.client.close()
    for property_name, wanted in properties.items():
        check_property(instances[0], property_name, wanted)
    if across is not None:
        property_name, values = across
        assert {value for instance in instances for value in instance[property_name]} == values


def test_every_served_class_without_a_capture_has_a_row():
    from amtsim.model.device import _COMPONENT_OF_CLASS as served
    # A class with a property table is checked property by property by test_property_completeness instead.
    _COMPONENT_OF_CLASS = set(served) - set(TABLES)  # pylint: disable=invalid-name
    captured = {"AMT_AuditLog", "AMT_AuthorizationService", "AMT_EnvironmentDetectionSettingData", "AMT_GeneralSettings",
                "AMT_RedirectionService", "AMT_SetupAndConfigurationService", "AMT_TLSCredentialContext", "AMT_TLSSettingData",
                "AMT_UserInitiatedConnectionService", "AMT_WiFiPortConfigurationService", "CIM_KVMRedirectionSAP",
                "CIM_SoftwareIdentity", "CIM_WiFiEndpointSettings", "CIM_WiFiPort", "IPS_HostBasedSetupService",
                "IPS_KVMRedirectionSettingData", "IPS_OptInService", "AMT_PublicKeyCertificate", "AMT_PublicKeyManagementService"}
    # Association instances (EPR-valued keys) and the 802.1x settings, which no source describes beyond their names.
    not_described = {"CIM_AssociatedPowerManagementService", "CIM_IEEE8021xSettings", "CIM_BootSourceSetting"}
    # Classes with no instance until a method adds one: test_cira_classes and test_credential_classes cover them.
    empty_until_configured = {"AMT_ManagementPresenceRemoteSAP", "AMT_RemoteAccessPolicyRule", "AMT_RemoteAccessPolicyAppliesToMPS",
                              "AMT_MPSUsernamePassword", "AMT_RemoteAccessCredentialContext", "IPS_HTTPProxyAccessPoint",
                              "AMT_8021xCredentialContext", "CIM_CredentialContext"}
    covered = {row[3] for row in ROWS}
    assert set(_COMPONENT_OF_CLASS) - captured - not_described - empty_until_configured <= covered


@pytest.mark.parametrize("firmware, refused", [("16.1.27.2176", True), ("15.0.23.1706", False)])
def test_tls_cannot_be_turned_off_remotely_from_csme_16_1(firmware, refused, start_fleet, shapes_pki):
    """docs/amt-reference.md 7.4: with NonSecureConnectionsSupported present, a Put of Enabled=false on the remote instance fails."""
    from amtsim.model import Device
    device = Device.new(40 + int(refused), "acm", firmware, random.Random(7), shapes_pki)
    fleet = start_fleet([device])
    session = admin_session(device, fleet, shapes_pki)
    remote = {"InstanceID": "Intel(r) AMT 802.3 TLS Settings"}
    try:
        answer = put("AMT_TLSSettingData", [("ElementName", remote["InstanceID"]), ("Enabled", "false"),
                                            ("InstanceID", remote["InstanceID"])], remote)(session)
        stored = session.get("AMT_TLSSettingData", remote)
    finally:
        session.client.close()
    enabled = ET.fromstring(stored.body).find(".//{%s}Enabled" % class_uri("AMT_TLSSettingData")).text
    if refused:
        assert answer.status == 400 and b"AccessDenied" in answer.body
        assert enabled == "true"
    else:
        assert answer.status == 200 and enabled == "false"
