# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""parse.py against every real firmware capture in tests/unit/fixtures/real, plus faults and hostile XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.oob.amt.plugins.module_utils.wsman import parse
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "real"
AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"


def _instance(path):
    return parse.parse_instance(_read(path))


def _method(name):
    return lambda path: parse.parse_method_output(_read(path), name)


def _page(path):
    page = parse.parse_enumeration(_read(path))
    return {"items": page.items, "context": page.context, "end": page.end_of_sequence}


def _created(path):
    return parse.parse_created(_read(path))


def _empty(path):
    response = parse.parse_response(_read(path))
    return {"body": response.body_element, "action": response.action, "resource_uri": response.resource_uri}


def _read(path):
    return (FIXTURES / path).read_bytes()


OK = {"ReturnValue": 0}

# file -> (parser, expected subset of the parsed result)
EXPECTED = {
    "amt/auditlog/get.xml": (_instance, {"AuditState": "16", "CurrentNumberOfRecords": "161", "TimeOfLastRecord": "2024-01-03T00:44:35Z",
                                         "Name": "Intel(r) AMT:Audit Log", "StoragePolicy": "1"}),
    "amt/auditlog/pull.xml": (_page, {"context": None, "end": True, "items": [{
        "AuditState": "16", "CurrentNumberOfRecords": "162", "ElementName": "Intel(r) AMT Audit Log", "EnabledState": "2",
        "MaxAllowedAuditors": "1", "MaxNumberOfRecords": "0", "Name": "Intel(r) AMT:Audit Log", "OverwritePolicy": "2",
        "PercentageFree": "92", "RequestedState": "2", "StoragePolicy": "1", "TimeOfLastRecord": "2024-01-03T00:45:41Z"}]}),
    "amt/authorization/get.xml": (_instance, {"AllowHttpQopAuthOnly": "1", "EnabledState": "5", "RequestedState": "12",
                                              "Name": "Intel(r) AMT Authorization Service"}),
    "amt/authorization/getaclenabledstate.xml": (_method("GetAclEnabledState"), {"Enabled": "true", "ReturnValue": 0}),
    "amt/authorization/getadminaclentry.xml": (_method("GetAdminAclEntry"), {"Username": "admin", "ReturnValue": 0}),
    "amt/authorization/getadminaclentrystatus.xml": (_method("GetAdminAclEntryStatus"), {"IsDefault": "false", "ReturnValue": 0}),
    "amt/authorization/getadminnetaclentrystatus.xml": (_method("GetAdminNetAclEntryStatus"), {"IsDefault": "false", "ReturnValue": 0}),
    "amt/authorization/removeuseraclentry.xml": (_method("RemoveUserAclEntry"), OK),
    "amt/authorization/setaclenabledstate.xml": (_method("SetAclEnabledState"), OK),
    "amt/authorization/setadminaclentryex.xml": (_method("SetAdminAclEntryEx"), OK),
    "amt/environmentdetection/get.xml": (_instance, {"DetectionAlgorithm": "0",
                                                     "DetectionStrings": ["b332bb28-ef3a-43b0-b998-342285ac1e26.com", "test.com"]}),
    "amt/general/enumerate.xml": (_page, {"items": [], "context": "14000000-0000-0000-0000-000000000000", "end": False}),
    "amt/general/get.xml": (_instance, {"DigestRealm": "Digest:F3EB554784E729164447A89F60B641C5", "HostName": "Test Host Name",
                                        "AMTNetworkEnabled": "1", "WsmanOnlyMode": "false", "InstanceID": "Intel(r) AMT: General Settings"}),
    "amt/publickey/certificate/delete.xml": (_empty, {"body": None, "action": "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse",
                                                      "resource_uri": AMT + "AMT_PublicKeyCertificate"}),
    "amt/publickey/management/addtrustedrootcertificate.xml": (_method("AddTrustedRootCertificate"), {"ReturnValue": 0, "CreatedCertificate": {
        "resource_uri": AMT + "AMT_PublicKeyCertificate", "selectors": {"InstanceID": "Intel(r) AMT Certificate: Handle: 2"}}}),
    "amt/publickey/management/generatekeypair.xml": (_method("GenerateKeyPair"), {"ReturnValue": 0, "KeyPair": {
        "resource_uri": AMT + "AMT_PublicPrivateKeyPair", "selectors": {"InstanceID": "Intel(r) AMT Key: Handle: 0"}}}),
    "amt/redirectionservice/get.xml": (_instance, {"EnabledState": "32771", "ListenerEnabled": "true"}),
    "amt/redirectionservice/requeststatechange.xml": (_method("RequestStateChange"), OK),
    "amt/setupandconfiguration/commitchanges.xml": (_method("CommitChanges"), OK),
    "amt/setupandconfiguration/get.xml": (_instance, {"ProvisioningMode": "1", "ProvisioningState": "2", "PasswordModel": "1",
                                                      "ProvisioningServerOTP": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                                                      "ZeroTouchConfigurationEnabled": "true"}),
    "amt/setupandconfiguration/partialunprovision.xml": (_method("PartialUnprovision"), OK),
    "amt/setupandconfiguration/unprovision.xml": (_method("Unprovision"), OK),
    "amt/tls/credentialcontext/create.xml": (_created, {"resource_uri": AMT + "AMT_TLSCredentialContext", "selectors": {
        "ElementInContext": {"resource_uri": AMT + "AMT_PublicKeyCertificate", "selectors": {"InstanceID": "testCertificate"}},
        "ElementProvidingContext": {"resource_uri": AMT + "AMT_TLSProtocolEndpointCollection",
                                    "selectors": {"ElementName": "TLSProtocolEndpoint Instances Collection"}}}}),
    "amt/tls/settingdata/pull.xml": (_page, {"context": None, "end": True, "items": [
        {"AcceptNonSecureConnections": "false", "ElementName": "Intel(r) AMT 802.3 TLS Settings", "Enabled": "false",
         "InstanceID": "Intel(r) AMT 802.3 TLS Settings", "MutualAuthentication": "false"},
        {"AcceptNonSecureConnections": "true", "ElementName": "Intel(r) AMT LMS TLS Settings", "Enabled": "false",
         "InstanceID": "Intel(r) AMT LMS TLS Settings", "MutualAuthentication": "false"}]}),
    "amt/userinitiatedconnection/get.xml": (_instance, {"EnabledState": "32771"}),
    "amt/wifiportconfiguration/addwifisettings.xml": (_method("AddWiFiSettings"), OK),
    "amt/wifiportconfiguration/get.xml": (_instance, {"localProfileSynchronizationEnabled": "0", "LastConnectedSsidUnderMeControl": "",
                                                      "UEFIWiFiProfileShareEnabled": "false"}),
    "cim/kvm/get.xml": (_instance, {"EnabledState": "6", "RequestedState": "2", "KVMProtocol": "4"}),
    "cim/software/identity/enumerate.xml": (_page, {"items": [], "context": "E2020000-0000-0000-0000-000000000000", "end": False}),
    "cim/software/identity/get.xml": (_instance, {"InstanceID": "AMTApps", "IsEntity": "true", "VersionString": "12.0.67"}),
    "cim/wifi/endpointsettings/pull.xml": (_page, {"context": None, "end": True, "items": [
        {"AuthenticationMethod": "2", "BSSType": "3", "ElementName": "Test", "EncryptionMethod": "2", "InstanceID": "Test",
         "Priority": "1", "SSID": "testSSID"}]}),
    "cim/wifi/port/get.xml": (_instance, {"DeviceID": "WiFi Port 0", "EnabledState": "3", "LinkTechnology": "11",
                                          "PermanentAddress": "000000000000"}),
    "ips/hostbasedsetup/addnextcertinchain.xml": (_method("AddNextCertInChain"), OK),
    "ips/hostbasedsetup/adminsetup.xml": (_method("AdminSetup"), OK),
    "ips/hostbasedsetup/get.xml": (_instance, {"AllowedControlModes": ["2", "1"], "CurrentControlMode": "2", "CertChainStatus": "0",
                                               "ConfigurationNonce": "4P3sY7swlhjkhJNxDkEBIUcmpHE="}),
    "ips/hostbasedsetup/setup.xml": (_method("Setup"), OK),
    "ips/kvmredirection/settings/get.xml": (_instance, {"EnabledByMEBx": "true", "OptInPolicy": "true", "OptInPolicyTimeout": "300",
                                                        "RFBPassword": "", "SessionTimeout": "3"}),
    "ips/optin/canceloptin.xml": (_method("CancelOptIn"), {"ReturnValue": 2}),
    "ips/optin/get.xml": (_instance, {"OptInRequired": "0", "OptInState": "0", "CanModifyOptInPolicy": "1", "OptInCodeTimeout": "120"}),
    "ips/optin/startoptin.xml": (_method("StartOptIn"), {"ReturnValue": 2}),
}


def test_every_capture_has_expectations():
    captures = sorted(str(path.relative_to(FIXTURES)) for path in FIXTURES.rglob("*.xml"))
    assert captures == sorted(EXPECTED)
    assert len(captures) == 40


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_capture_parses_to_expected_values(path):
    parser, expected = EXPECTED[path]
    result = parser(path)
    assert {key: result[key] for key in expected} == expected


def test_get_general_settings_reads_every_property_in_order():
    result = _instance("amt/general/get.xml")
    assert list(result) == sorted(result, key=str.lower)
    assert len(result) == 24


def test_software_identity_instances_from_a_pull():
    # Shape of the real CIM_SoftwareIdentity pull (docs/amt-reference.md 9.2), with prefixes unlike any capture.
    body = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/enumeration"'
        ' xmlns:y="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity"><s:Header/><s:Body><x:PullResponse><x:Items>'
        '<y:CIM_SoftwareIdentity><y:InstanceID>AMT</y:InstanceID><y:IsEntity>true</y:IsEntity><y:VersionString>12.0.67</y:VersionString>'
        '</y:CIM_SoftwareIdentity><y:CIM_SoftwareIdentity><y:InstanceID>Build Number</y:InstanceID><y:IsEntity>true</y:IsEntity>'
        '<y:VersionString>1579</y:VersionString></y:CIM_SoftwareIdentity></x:Items><x:EndOfSequence/></x:PullResponse></s:Body></s:Envelope>'
    ).encode()
    page = parse.parse_enumeration(body)
    assert {item["InstanceID"]: item["VersionString"] for item in page.items} == {"AMT": "12.0.67", "Build Number": "1579"}
    assert page.end_of_sequence and page.context is None


def test_optimized_enumerate_response_carries_items_and_a_context():
    body = (
        '<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration"'
        ' xmlns:c="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:h="urn:class"><a:Header/><a:Body><g:EnumerateResponse>'
        '<g:EnumerationContext>01000000-0000-0000-0000-000000000000</g:EnumerationContext>'
        '<c:Items><h:C><h:Name>one</h:Name></h:C></c:Items></g:EnumerateResponse></a:Body></a:Envelope>'
    ).encode()
    page = parse.parse_enumeration(body)
    assert page.items == [{"Name": "one"}]
    assert page.context == "01000000-0000-0000-0000-000000000000" and not page.end_of_sequence


def _fault(subcode_ns_prefix, subcode, text):
    return (
        '<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:g="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"'
        ' xmlns:f="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:e="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"'
        ' xmlns:d="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:c="http://schemas.xmlsoap.org/ws/2004/09/enumeration"'
        ' xmlns:b="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:a="http://www.w3.org/2003/05/soap-envelope">'
        '<a:Header><b:To>%s</b:To><b:RelatesTo>1</b:RelatesTo>'
        '<b:Action a:mustUnderstand="true">http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</b:Action>'
        '<b:MessageID>uuid:00000000-8086-8086-8086-000000000061</b:MessageID></a:Header><a:Body><a:Fault><a:Code>'
        '<a:Value>a:Sender</a:Value><a:Subcode><a:Value>%s:%s</a:Value></a:Subcode></a:Code>'
        '<a:Reason><a:Text xml:lang="en-US">%s</a:Text></a:Reason><a:Detail></a:Detail></a:Fault></a:Body></a:Envelope>'
    ) % (ANONYMOUS, subcode_ns_prefix, subcode, text)


@pytest.mark.parametrize("prefix,subcode,text,error_class", [
    ("e", "AlreadyExists", "The sender attempted to create a resource which already exists.", DeviceError),
    ("b", "DestinationUnreachable", "No route can be determined to reach the destination role defined by the WSAddressing To.", DeviceError),
    ("e", "AccessDenied", "The sender was not authorized to access the resource.", NotPermittedError),
    ("e", "InvalidParameter", "An operation parameter is not valid.", InvalidInputError),
])
def test_faults_raise_stable_errors(prefix, subcode, text, error_class):
    with pytest.raises(error_class) as caught:
        parse.parse_created(_fault(prefix, subcode, text).encode(), ("AMT_TLSCredentialContext", "Create"))
    error = caught.value
    assert error.kind == error_class.kind
    assert error.fault == subcode and error.class_name == "AMT_TLSCredentialContext" and error.method == "Create"
    assert str(error) == "AMT_TLSCredentialContext Create failed: WS-Man fault %s (%s)" % (subcode, text)


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope"><a:Body><x>&lol2;</x></a:Body></a:Envelope>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope"><a:Body><x>&secret;</x></a:Body></a:Envelope>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, b"<not closed", b"<html><body>Bad Request</body></html>", b""])
def test_hostile_or_foreign_documents_are_device_errors(data):
    with pytest.raises(DeviceError):
        parse.parse_response(data)


def test_method_output_needs_the_method_element():
    with pytest.raises(DeviceError):
        parse.parse_method_output(_read("amt/setupandconfiguration/commitchanges.xml"), "Unprovision")


def test_nil_value_is_none():
    body = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:h="urn:c"><s:Body><h:C><h:A i:nil="true"/><h:B>x</h:B></h:C></s:Body></s:Envelope>'
    ).encode()
    assert parse.parse_instance(body) == {"A": None, "B": "x"}


def _nested(levels):
    """An envelope whose instance holds `levels` elements nested in one another (6 bytes a level)."""
    return ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><C>%s%s</C></s:Body></s:Envelope>'
            % ("<x>" * levels, "</x>" * levels)).encode()


def test_deep_nesting_is_refused_as_a_device_error_instead_of_exhausting_the_stack():
    # 500 levels in 6 KB were enough to raise RecursionError in the conversion to Python values.
    with pytest.raises(DeviceError) as caught:
        parse.parse_instance(_nested(500), ("AMT_GeneralSettings", "Get"))
    assert str(caught.value) == "malformed WS-Man response: elements nested deeper than %d levels" % parse.MAX_DEPTH
    assert caught.value.class_name == "AMT_GeneralSettings"


def test_nesting_up_to_the_limit_is_parsed():
    # Envelope, Body and C take three levels.
    value = parse.parse_instance(_nested(parse.MAX_DEPTH - 3))
    depth = 0
    while isinstance(value, dict):
        value, depth = value["x"], depth + 1
    assert depth == parse.MAX_DEPTH - 3
    with pytest.raises(DeviceError):
        parse.parse_instance(_nested(parse.MAX_DEPTH - 2))
