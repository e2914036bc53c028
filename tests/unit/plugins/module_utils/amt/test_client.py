# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AmtClient over a real WsmanTransport and a local scripted server that answers with real firmware captures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient, embedded, epr
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport
from ansible_collections.oob.amt.tests.unit.plugins.module_utils.wsman.fake_amt_server import SOAP_CONTENT_TYPE, FakeAmt

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "real"
PASSWORD = "Secr3t!Pass"


def _capture(path):
    return (200, SOAP_CONTENT_TYPE, (FIXTURES / path).read_bytes())


def _soap(body, status=200):
    document = (
        '<a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" xmlns:b="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:c="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration"'
        ' xmlns:h="http://intel.com/wbem/wscim/1/amt-schema/1/AMT_SetupAndConfigurationService"><a:Header/><a:Body>%s</a:Body></a:Envelope>'
    ) % body
    return (status, SOAP_CONTENT_TYPE, document.encode())


@pytest.fixture
def server():
    fake = FakeAmt(password=PASSWORD).start()
    yield fake
    fake.stop()


@pytest.fixture
def client(server):
    transport = WsmanTransport("127.0.0.1", server.port, "admin", PASSWORD, use_tls=False, timeout=5)
    transport.retry_backoff = 0.01
    amt = AmtClient(transport)
    yield amt
    amt.close()


def _soap_bodies(server):
    return [record.body.decode() for record in server.authorized_records()]


def _action(body):
    return re.search(r"<a:Action>([^<]*)</a:Action>", body).group(1)


def test_get_is_cached_per_class_and_selectors(server, client):
    server.responses = [_capture("amt/general/get.xml"), _capture("cim/software/identity/get.xml"), _capture("cim/software/identity/get.xml")]
    general = client.get("AMT_GeneralSettings")
    assert general["DigestRealm"] == "Digest:F3EB554784E729164447A89F60B641C5"
    general["DigestRealm"] = "changed by the caller"
    assert client.get("AMT_GeneralSettings")["DigestRealm"] == "Digest:F3EB554784E729164447A89F60B641C5"
    assert client.get("CIM_SoftwareIdentity", {"InstanceID": "AMTApps"})["VersionString"] == "12.0.67"
    client.get("CIM_SoftwareIdentity", {"InstanceID": "AMTApps"})
    client.get("CIM_SoftwareIdentity", {"InstanceID": "Flash"})
    bodies = _soap_bodies(server)
    assert len(bodies) == 3
    assert "<w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings</w:ResourceURI>" in bodies[0]
    assert '<w:Selector Name="InstanceID">Flash</w:Selector>' in bodies[2]
    assert client.request_count == 4  # one 401 challenge + three requests


def test_enumerate_pulls_until_end_of_sequence(server, client):
    intermediate = _soap(
        "<g:PullResponse><g:Items><x:AMT_TLSSettingData xmlns:x='urn:tls'><x:InstanceID>first</x:InstanceID></x:AMT_TLSSettingData>"
        "</g:Items><g:EnumerationContext>15000000-0000-0000-0000-000000000000</g:EnumerationContext></g:PullResponse>")
    server.responses = [_capture("amt/general/enumerate.xml"), intermediate, _capture("amt/tls/settingdata/pull.xml")]
    items = client.enumerate("AMT_TLSSettingData")
    assert [item["InstanceID"] for item in items] == ["first", schema.TLS_REMOTE_INSTANCE, schema.TLS_LOCAL_INSTANCE]
    enumerate_body, first_pull, second_pull = _soap_bodies(server)
    assert _action(enumerate_body).endswith("/enumeration/Enumerate") and "<w:OptimizeEnumeration/>" in enumerate_body
    assert "<n:EnumerationContext>14000000-0000-0000-0000-000000000000</n:EnumerationContext>" in first_pull
    assert "<n:EnumerationContext>15000000-0000-0000-0000-000000000000</n:EnumerationContext>" in second_pull
    assert client.enumerate("AMT_TLSSettingData") == items
    assert len(_soap_bodies(server)) == 3


def test_optimized_enumeration_that_ends_needs_no_pull(server, client):
    server.responses = [_soap(
        "<g:EnumerateResponse><g:EnumerationContext>16000000-0000-0000-0000-000000000000</g:EnumerationContext>"
        "<c:Items><x:CIM_SoftwareIdentity xmlns:x='urn:sw'><x:InstanceID>AMT</x:InstanceID></x:CIM_SoftwareIdentity></c:Items>"
        "<c:EndOfSequence/></g:EnumerateResponse>")]
    assert client.enumerate("CIM_SoftwareIdentity") == [{"InstanceID": "AMT"}]
    assert len(_soap_bodies(server)) == 1


def test_put_invalidates_the_class_and_returns_the_stored_instance(server, client):
    server.responses = [_capture("ips/optin/get.xml"), _capture("ips/optin/get.xml"), _capture("ips/optin/get.xml")]
    instance = client.get("IPS_OptInService")
    instance["OptInRequired"] = 1
    stored = client.put("IPS_OptInService", instance)
    assert stored["Name"] == "Intel(r) AMT OptIn Service"
    client.get("IPS_OptInService")
    get_body, put_body, second_get = _soap_bodies(server)
    assert _action(put_body) == "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"
    assert "<h:OptInRequired>1</h:OptInRequired>" in put_body
    assert _action(second_get).endswith("/transfer/Get")


def test_failed_method_names_class_method_and_return_code_without_the_secret(server, client):
    server.responses = [_soap("<h:SetMEBxPassword_OUTPUT><h:ReturnValue>16</h:ReturnValue></h:SetMEBxPassword_OUTPUT>")]
    with pytest.raises(NotPermittedError) as caught:
        client.invoke("AMT_SetupAndConfigurationService", "SetMEBxPassword", [("Password", "Mebx!Pass99")])
    assert str(caught.value) == "AMT_SetupAndConfigurationService.SetMEBxPassword returned 16 (PT_STATUS_NOT_PERMITTED)"
    assert caught.value.to_result() == {
        "error": "not_permitted", "amt_class": "AMT_SetupAndConfigurationService", "amt_method": "SetMEBxPassword",
        "return_value": 16, "return_name": "PT_STATUS_NOT_PERMITTED", "fault": None, "indeterminate": False}
    assert "<h:Password>Mebx!Pass99</h:Password>" in _soap_bodies(server)[0]


def test_method_with_class_specific_return_map(server, client):
    server.responses = [_capture("ips/optin/startoptin.xml"), _capture("ips/optin/startoptin.xml")]
    with pytest.raises(DeviceError) as caught:
        client.invoke("IPS_OptInService", "StartOptIn")
    assert str(caught.value) == "IPS_OptInService.StartOptIn returned 2 (INVALID_STATE)"
    assert client.invoke("IPS_OptInService", "StartOptIn", check=False)["ReturnValue"] == 2


def test_method_outputs_and_epr_inputs(server, client):
    server.responses = [_capture("amt/publickey/management/generatekeypair.xml"), _capture("amt/wifiportconfiguration/addwifisettings.xml")]
    outputs = client.invoke("AMT_PublicKeyManagementService", "GenerateKeyPair", {"KeyAlgorithm": 0, "KeyLength": 2048})
    assert outputs["KeyPair"]["selectors"] == {"InstanceID": "Intel(r) AMT Key: Handle: 0"}
    result = client.invoke("AMT_WiFiPortConfigurationService", "AddWiFiSettings", [
        ("WiFiEndpoint", epr("CIM_WiFiEndpoint", {"Name": "WiFi Endpoint 0"})),
        ("WiFiEndpointSettingsInput", embedded("CIM_WiFiEndpointSettings", [("ElementName", "home"), ("PSKPassPhrase", "a<b")])),
    ])
    assert result == {"ReturnValue": 0}
    body = _soap_bodies(server)[1]
    assert "<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_WiFiEndpoint</w:ResourceURI>" in body
    assert 'xmlns:q0="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_WiFiEndpointSettings"' in body
    assert "<q0:PSKPassPhrase>a&lt;b</q0:PSKPassPhrase>" in body


def test_writing_invoke_drops_the_cache_and_reading_invoke_keeps_it(server, client):
    server.responses = [_capture("amt/general/get.xml"), _capture("amt/authorization/getadminaclentry.xml"),
                        _capture("amt/setupandconfiguration/commitchanges.xml"), _capture("amt/general/get.xml")]
    client.get("AMT_GeneralSettings")
    assert client.invoke("AMT_AuthorizationService", "GetAdminAclEntry", idempotent=True)["Username"] == "admin"
    client.get("AMT_GeneralSettings")
    client.invoke("AMT_SetupAndConfigurationService", "CommitChanges")
    client.get("AMT_GeneralSettings")
    assert [_action(body).rsplit("/", 1)[1] for body in _soap_bodies(server)] == ["Get", "GetAdminAclEntry", "CommitChanges", "Get"]


def test_cached_invoke_is_asked_once_per_inputs_until_a_write(server, client):
    # The account table: amt_info and the units read it in one run, and only a write changes it.
    server.responses = [_capture("amt/authorization/getadminaclentry.xml"), _capture("amt/setupandconfiguration/commitchanges.xml"),
                        _capture("amt/authorization/getadminaclentry.xml")]
    first = client.invoke("AMT_AuthorizationService", "GetAdminAclEntry", cached=True)
    first["Username"] = "changed by the caller"
    assert client.invoke("AMT_AuthorizationService", "GetAdminAclEntry", cached=True)["Username"] == "admin"
    client.invoke("AMT_SetupAndConfigurationService", "CommitChanges")
    assert client.invoke("AMT_AuthorizationService", "GetAdminAclEntry", cached=True)["Username"] == "admin"
    assert [_action(body).rsplit("/", 1)[1] for body in _soap_bodies(server)] == ["GetAdminAclEntry", "CommitChanges", "GetAdminAclEntry"]


def test_create_returns_the_new_reference(server, client):
    server.responses = [_capture("amt/tls/credentialcontext/create.xml")]
    created = client.create("AMT_TLSCredentialContext", {
        "ElementInContext": epr("AMT_PublicKeyCertificate", {"InstanceID": "Intel(r) AMT Certificate: Handle: 1"}),
        "ElementProvidingContext": epr("AMT_TLSProtocolEndpointCollection", {"ElementName": "TLSProtocolEndpoint Instances Collection"}),
    })
    assert created["resource_uri"] == schema.resource_uri("AMT_TLSCredentialContext")
    assert created["selectors"]["ElementInContext"]["selectors"] == {"InstanceID": "testCertificate"}
    assert _action(_soap_bodies(server)[0]).endswith("/transfer/Create")


def test_create_of_an_existing_instance_reports_the_fault(server, client):
    fault = (
        "<a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>c:AlreadyExists</a:Value></a:Subcode></a:Code>"
        "<a:Reason><a:Text xml:lang='en-US'>The sender attempted to create a resource which already exists.</a:Text></a:Reason>"
        "<a:Detail/></a:Fault>")
    server.responses = [_soap(fault, 400)]
    with pytest.raises(DeviceError) as caught:
        client.create("AMT_TLSCredentialContext", {"ElementInContext": epr("AMT_PublicKeyCertificate", {"InstanceID": "x"})})
    assert caught.value.fault == "AlreadyExists"
    assert caught.value.to_result()["fault"] == "AlreadyExists"


def test_delete_sends_selectors_and_needs_them(server, client):
    server.responses = [_capture("amt/publickey/certificate/delete.xml")]
    assert client.delete("AMT_PublicKeyCertificate", {"InstanceID": "Intel(r) AMT Certificate: Handle: 2"}) is None
    body = _soap_bodies(server)[0]
    assert _action(body).endswith("/transfer/Delete")
    assert '<w:Selector Name="InstanceID">Intel(r) AMT Certificate: Handle: 2</w:Selector>' in body
    with pytest.raises(InvalidInputError):
        client.delete("AMT_PublicKeyCertificate", {})
