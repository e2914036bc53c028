"""WS-Man over real sockets against a stand-in device: operations, shapes, enumeration, faults and HTTP framing."""
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import ENUMERATION, NS_ENUM, NS_WSMAN, TRANSFER, FakeDevice, envelope

from amtsim.types import AMT_PREFIX, CIM_PREFIX, IPS_PREFIX

NS = {"a": "http://www.w3.org/2003/05/soap-envelope", "b": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
      "c": NS_WSMAN, "g": NS_ENUM}
GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
SOFTWARE = CIM_PREFIX + "CIM_SoftwareIdentity"


@pytest.fixture
def device():
    return FakeDevice()


@pytest.fixture
def client(device, start_fleet, digest_client):
    fleet = start_fleet([device])
    return digest_client(fleet.address())


def _fault_subcode(answer):
    root = ET.fromstring(answer.body)
    return root.find(".//a:Fault/a:Code/a:Subcode/a:Value", NS).text


def test_get_renders_capture_layout_and_success_headers(client):
    answer = client.post(envelope(TRANSFER + "Get", GENERAL, message_id="7"))
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/soap+xml; charset=UTF-8"
    assert answer.headers["Transfer-Encoding"] == "chunked"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Server"] == "Intel(R) Active Management Technology 16.1.27.2176"
    assert answer.headers["Date"].endswith("GMT")
    text = answer.body.decode()
    assert "\n" not in text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:a="http://www.w3.org/2003/05/soap-envelope" '
                           'xmlns:b="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:c="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
                           'xmlns:d="http://schemas.xmlsoap.org/ws/2005/02/trust" ')
    assert 'xmlns:g="%s" xmlns:xsi=' % GENERAL in text
    assert ('<a:Header><b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:RelatesTo>7</b:RelatesTo>'
            '<b:Action a:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</b:Action>') in text
    assert re.search(r"<b:MessageID>uuid:00000000-8086-8086-8086-[0-9A-F]{12}</b:MessageID><c:ResourceURI>%s</c:ResourceURI></a:Header>"
                     % GENERAL, text)
    body = re.search(r"<g:AMT_GeneralSettings>(.*)</g:AMT_GeneralSettings>", text).group(1)
    names = re.findall(r"<g:(\w+)>", body)
    assert names == sorted(names) == ["AMTNetworkEnabled", "DigestRealm", "HostName", "InstanceID", "PingResponseEnabled"]
    assert "<g:HostName></g:HostName>" in body and "<g:PingResponseEnabled>true</g:PingResponseEnabled>" in body


def test_message_ids_count_up_per_device_and_connection_is_kept_alive(client):
    first = client.post(envelope(TRANSFER + "Get", GENERAL))
    second = client.post(envelope(TRANSFER + "Get", GENERAL))
    ids = [int(re.search(rb"8086-8086-8086-([0-9A-F]{12})", answer.body).group(1), 16) for answer in (first, second)]
    assert ids[1] == ids[0] + 1
    assert client.connections_opened == 2  # the challenge's connection, then one kept-alive connection for both


def test_datetime_renders_in_the_common_namespace(client):
    text = client.post(envelope(TRANSFER + "Get", AMT_PREFIX + "AMT_AuditLog")).body.decode()
    assert 'xmlns:h="http://schemas.dmtf.org/wbem/wscim/1/common"' in text
    assert "<g:TimeOfLastRecord><h:Datetime>2024-01-03T00:44:35Z</h:Datetime></g:TimeOfLastRecord>" in text


def test_put_parses_the_instance_and_echoes_the_stored_one(client, device):
    body = ('<h:AMT_GeneralSettings xmlns:h="%s"><h:HostName>new-host</h:HostName><h:InstanceID>Intel(r) AMT: General Settings'
            '</h:InstanceID></h:AMT_GeneralSettings>' % GENERAL)
    answer = client.post(envelope(TRANSFER + "Put", GENERAL, body, selectors={"InstanceID": "Intel(r) AMT: General Settings"}))
    assert answer.status == 200
    assert b"transfer/PutResponse" in answer.body and b"<g:HostName>new-host</g:HostName>" in answer.body
    call = [c for c in device.calls if c[0] == "put"][-1]
    assert call[2] == {"InstanceID": "Intel(r) AMT: General Settings"}
    assert call[3].class_name == "AMT_GeneralSettings" and call[3].props["HostName"] == "new-host"


def test_put_of_another_class_body_is_invalid_representation(client):
    body = '<h:AMT_Other xmlns:h="%sAMT_Other"><h:X>1</h:X></h:AMT_Other>' % AMT_PREFIX
    answer = client.post(envelope(TRANSFER + "Put", GENERAL, body))
    assert answer.status == 400 and _fault_subcode(answer) == "d:InvalidRepresentation"


def test_create_returns_resource_created_with_nested_epr(client):
    uri = AMT_PREFIX + "AMT_TLSCredentialContext"
    body = '<h:AMT_TLSCredentialContext xmlns:h="%s"><h:ElementInContext>x</h:ElementInContext></h:AMT_TLSCredentialContext>' % uri
    text = client.post(envelope(TRANSFER + "Create", uri, body)).body.decode()
    assert 'xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/transfer"' in text
    assert ('<g:ResourceCreated><b:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:Address>'
            '<b:ReferenceParameters><c:ResourceURI>%s</c:ResourceURI><c:SelectorSet><c:Selector Name="ElementInContext">'
            '<b:EndpointReference><b:Address>' % uri) in text
    assert '<c:Selector Name="InstanceID">testCertificate</c:Selector>' in text


def test_delete_has_an_empty_body_and_missing_instance_is_destination_unreachable(client):
    uri = AMT_PREFIX + "AMT_PublicKeyCertificate"
    answer = client.post(envelope(TRANSFER + "Delete", uri, selectors={"InstanceID": "Intel(r) AMT Certificate: Handle: 1"}))
    assert answer.status == 200 and b"<a:Body></a:Body>" in answer.body and b"DeleteResponse" in answer.body
    missing = client.post(envelope(TRANSFER + "Delete", uri, selectors={"InstanceID": "nope"}))
    assert missing.status == 400 and _fault_subcode(missing) == "b:DestinationUnreachable"
    assert missing.headers["Connection"] == "close"


def test_method_outputs_in_order_with_return_value_last_and_epr_outputs(client, device):
    service = AMT_PREFIX + "AMT_AuthorizationService"
    text = client.post(envelope(service + "/EnumerateUserAclEntries", service,
                                '<h:EnumerateUserAclEntries_INPUT xmlns:h="%s"><h:StartIndex>1</h:StartIndex>'
                                '</h:EnumerateUserAclEntries_INPUT>' % service)).body.decode()
    assert ("<g:EnumerateUserAclEntries_OUTPUT><g:TotalCount>2</g:TotalCount><g:HandlesCount>2</g:HandlesCount><g:Handles>1</g:Handles>"
            "<g:Handles>2</g:Handles><g:ReturnValue>0</g:ReturnValue></g:EnumerateUserAclEntries_OUTPUT>") in text
    assert "%s/EnumerateUserAclEntriesResponse</b:Action>" % service in text
    assert [c for c in device.calls if c[0] == "invoke"][-1][4] == {"StartIndex": "1"}
    keys = AMT_PREFIX + "AMT_PublicKeyManagementService"
    text = client.post(envelope(keys + "/GenerateKeyPair", keys, '<h:GenerateKeyPair_INPUT xmlns:h="%s"><h:KeyAlgorithm>0</h:KeyAlgorithm>'
                                '<h:KeyLength>2048</h:KeyLength></h:GenerateKeyPair_INPUT>' % keys)).body.decode()
    assert ('<g:KeyPair><b:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:Address><b:ReferenceParameters>'
            '<c:ResourceURI>%sAMT_PublicPrivateKeyPair</c:ResourceURI>' % AMT_PREFIX) in text


def test_method_inputs_parse_eprs_embedded_instances_and_repeats(client, device):
    service = CIM_PREFIX + "CIM_PowerManagementService"
    body = ('<n1:RequestPowerStateChange_INPUT xmlns:n1="{s}"><n1:PowerState>2</n1:PowerState><n1:ManagedElement>'
            '<a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address><a:ReferenceParameters>'
            '<w:ResourceURI>{c}CIM_ComputerSystem</w:ResourceURI><w:SelectorSet><w:Selector w:Name="Name">ManagedSystem</w:Selector>'
            '</w:SelectorSet></a:ReferenceParameters></n1:ManagedElement><n1:Tag>a</n1:Tag><n1:Tag>b</n1:Tag>'
            '<n1:Settings xmlns:q="{c}CIM_WiFiEndpointSettings"><q:SSID>net</q:SSID><q:Priority>1</q:Priority></n1:Settings>'
            '</n1:RequestPowerStateChange_INPUT>').format(s=service, c=CIM_PREFIX)
    client.post(envelope(service + "/RequestPowerStateChange", service, body, selectors={"Name": "Intel(r) AMT Power Management Service"}))
    _kind, class_name, method, selectors, inputs, _caller = [c for c in device.calls if c[0] == "invoke"][-1]
    assert (class_name, method, selectors) == ("CIM_PowerManagementService", "RequestPowerStateChange",
                                               {"Name": "Intel(r) AMT Power Management Service"})
    assert inputs["PowerState"] == "2" and inputs["Tag"] == ["a", "b"]
    assert inputs["ManagedElement"].resource_uri == CIM_PREFIX + "CIM_ComputerSystem"
    assert inputs["ManagedElement"].selector("Name") == "ManagedSystem"
    assert inputs["Settings"].class_name == "CIM_WiFiEndpointSettings" and inputs["Settings"].props == {"SSID": "net", "Priority": "1"}


def test_epr_selector_values_reach_the_model(client, device):
    uri = AMT_PREFIX + "AMT_PublicKeyCertificate"
    nested = ('<a:EndpointReference><a:Address>x</a:Address><a:ReferenceParameters><w:ResourceURI>%sAMT_Other</w:ResourceURI>'
              '<w:SelectorSet><w:Selector Name="InstanceID">inner</w:Selector></w:SelectorSet></a:ReferenceParameters>'
              '</a:EndpointReference>' % AMT_PREFIX)
    client.post(envelope(TRANSFER + "Delete", uri, selectors={"Ctx": nested}))
    selectors = [c for c in device.calls if c[0] == "delete"][-1][2]
    assert selectors["Ctx"].selector("InstanceID") == "inner" and selectors["Ctx"].address == "x"


def _context(answer):
    return ET.fromstring(answer.body).find(".//g:EnumerationContext", NS).text


def test_enumerate_then_pull_pages_by_max_elements(client):
    enumerated = client.post(envelope(ENUMERATION + "Enumerate", SOFTWARE, '<Enumerate xmlns="%s"/>' % NS_ENUM))
    context = _context(enumerated)
    assert re.fullmatch(r"[0-9A-F]{8}-0000-0000-0000-000000000000", context)
    assert b"EnumerateResponse" in enumerated.body and b'xmlns:g="http://schemas.xmlsoap.org/ws/2004/09/enumeration"' in enumerated.body
    pull = '<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext><MaxElements>3</MaxElements><MaxCharacters>99999</MaxCharacters></Pull>'
    first = client.post(envelope(ENUMERATION + "Pull", SOFTWARE, pull % (NS_ENUM, context)))
    root = ET.fromstring(first.body)
    assert len(root.find(".//g:Items", NS)) == 3 and root.find(".//g:EndOfSequence", NS) is None
    assert _context(first) == context
    second = client.post(envelope(ENUMERATION + "Pull", SOFTWARE, pull % (NS_ENUM, context)))
    root = ET.fromstring(second.body)
    assert [item.find("{%s}InstanceID" % SOFTWARE).text for item in root.find(".//g:Items", NS)] == ["Item 3", "Item 4"]
    assert b"<g:EndOfSequence></g:EndOfSequence></g:PullResponse>" in second.body
    assert b'xmlns:h="%s"' % SOFTWARE.encode() in second.body and b"<h:CIM_SoftwareIdentity><h:InstanceID>" in second.body
    again = client.post(envelope(ENUMERATION + "Pull", SOFTWARE, pull % (NS_ENUM, context)))
    assert again.status == 400 and _fault_subcode(again) == "c:InvalidEnumerationContext"


def test_pull_without_max_elements_returns_one_item_and_max_characters_limits_pages(client):
    context = _context(client.post(envelope(ENUMERATION + "Enumerate", SOFTWARE, '<Enumerate xmlns="%s"/>' % NS_ENUM)))
    one = client.post(envelope(ENUMERATION + "Pull", SOFTWARE, '<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext></Pull>'
                               % (NS_ENUM, context)))
    assert len(ET.fromstring(one.body).find(".//g:Items", NS)) == 1
    tiny = client.post(envelope(ENUMERATION + "Pull", SOFTWARE, '<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext>'
                                '<MaxElements>5</MaxElements><MaxCharacters>10</MaxCharacters></Pull>' % (NS_ENUM, context)))
    assert tiny.status == 400 and _fault_subcode(tiny) == "e:EncodingLimit"


def test_optimized_enumeration_returns_items_in_the_enumerate_response(client):
    body = '<Enumerate xmlns="%s"><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements></Enumerate>' % NS_ENUM
    answer = client.post(envelope(ENUMERATION + "Enumerate", SOFTWARE, body))
    root = ET.fromstring(answer.body)
    assert len(root.find(".//c:Items", NS)) == 5 and root.find(".//c:EndOfSequence", NS) is not None
    partial = client.post(envelope(ENUMERATION + "Enumerate", SOFTWARE, body.replace("10", "2")))
    root = ET.fromstring(partial.body)
    assert len(root.find(".//c:Items", NS)) == 2 and root.find(".//c:EndOfSequence", NS) is None
    rest = client.post(envelope(ENUMERATION + "Pull", SOFTWARE, '<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext>'
                                '<MaxElements>9</MaxElements></Pull>' % (NS_ENUM, _context(partial))))
    assert len(ET.fromstring(rest.body).find(".//g:Items", NS)) == 3


def test_release_forgets_the_context(client):
    context = _context(client.post(envelope(ENUMERATION + "Enumerate", SOFTWARE, '<Enumerate xmlns="%s"/>' % NS_ENUM)))
    release = '<Release xmlns="%s"><EnumerationContext>%s</EnumerationContext></Release>' % (NS_ENUM, context)
    answer = client.post(envelope(ENUMERATION + "Release", SOFTWARE, release))
    assert answer.status == 200 and b"enumeration/ReleaseResponse" in answer.body
    assert _fault_subcode(client.post(envelope(ENUMERATION + "Release", SOFTWARE, release))) == "c:InvalidEnumerationContext"


def test_pull_with_a_context_of_another_class_is_invalid(client):
    context = _context(client.post(envelope(ENUMERATION + "Enumerate", SOFTWARE, '<Enumerate xmlns="%s"/>' % NS_ENUM)))
    answer = client.post(envelope(ENUMERATION + "Pull", GENERAL, '<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext></Pull>'
                                  % (NS_ENUM, context)))
    assert _fault_subcode(answer) == "c:InvalidEnumerationContext"


def test_enumerate_with_a_filter_is_refused(client):
    body = '<Enumerate xmlns="%s"><w:Filter Dialect="x">y</w:Filter></Enumerate>' % NS_ENUM
    assert _fault_subcode(client.post(envelope(ENUMERATION + "Enumerate", SOFTWARE, body))) == "c:CannotProcessFilter"


@pytest.mark.parametrize("missing", ["action", "to", "resource_uri", "message_id"])
def test_missing_header_is_message_information_header_required(client, missing):
    kwargs = {"action": TRANSFER + "Get", "resource_uri": GENERAL, "message_id": "5", "to": "/wsman", missing: None}
    answer = client.post(envelope(kwargs.pop("action"), kwargs.pop("resource_uri"), **kwargs))
    assert answer.status == 400 and _fault_subcode(answer) == "b:MessageInformationHeaderRequired"
    assert b"http://schemas.xmlsoap.org/ws/2004/08/addressing/fault</b:Action>" in answer.body


def test_fault_layout_matches_amt(client):
    text = client.post(envelope(TRANSFER + "Get", AMT_PREFIX + "AMT_Nothing", message_id="31")).body.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><a:Envelope xmlns:g="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" '
                           'xmlns:f="http://schemas.xmlsoap.org/ws/2004/08/eventing" xmlns:e="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" ')
    assert ("<a:Header><b:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</b:To><b:RelatesTo>31</b:RelatesTo>"
            '<b:Action a:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/fault</b:Action><b:MessageID>') in text
    assert "ResourceURI" not in text
    assert ('<a:Body><a:Fault><a:Code><a:Value>a:Sender</a:Value><a:Subcode><a:Value>b:DestinationUnreachable</a:Value></a:Subcode>'
            '</a:Code><a:Reason><a:Text xml:lang="en-US">') in text
    assert text.endswith("</a:Text></a:Reason><a:Detail></a:Detail></a:Fault></a:Body></a:Envelope>")


@pytest.mark.parametrize("action, resource_uri, subcode", [
    (TRANSFER + "Get", "http://example.com/not-a-class", "b:DestinationUnreachable"),
    (TRANSFER + "Frobnicate", GENERAL, "b:ActionNotSupported"),
    (AMT_PREFIX + "AMT_Other/Method", GENERAL, "b:ActionNotSupported"),
    (GENERAL + "/NoSuchMethod", GENERAL, "b:ActionNotSupported"),
    (TRANSFER + "Get", IPS_PREFIX + "IPS_Unknown", "b:DestinationUnreachable"),
])
def test_unknown_resources_actions_and_methods(client, action, resource_uri, subcode):
    answer = client.post(envelope(action, resource_uri))
    assert answer.status == 400 and _fault_subcode(answer) == subcode


def test_wsman_fault_subcode_uses_the_wsman_prefix_and_action(client):
    answer = client.post(envelope(TRANSFER + "Get", GENERAL, selectors={"A": "1"}, extra_header='<w:SelectorSet><w:Selector Name="A">2'
                                  '</w:Selector><w:Selector Name="A">3</w:Selector></w:SelectorSet>'))
    assert answer.status == 200  # only the first SelectorSet counts
    duplicate = envelope(TRANSFER + "Get", GENERAL).replace(
        b"</Header>", b'<w:SelectorSet><w:Selector Name="A">2</w:Selector><w:Selector Name="A">3</w:Selector></w:SelectorSet></Header>')
    answer = client.post(duplicate)
    assert _fault_subcode(answer) == "e:InvalidSelectors"
    assert b"http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</b:Action>" in answer.body


def test_full_url_to_is_accepted_and_a_foreign_path_is_not(client):
    assert client.post(envelope(TRANSFER + "Get", GENERAL, to="http://127.0.0.1:16992/wsman")).status == 200
    assert _fault_subcode(client.post(envelope(TRANSFER + "Get", GENERAL, to="/other"))) == "b:DestinationUnreachable"


def test_a_model_exception_becomes_an_internal_error_fault_and_service_continues(client):
    answer = client.post(envelope(TRANSFER + "Get", AMT_PREFIX + "AMT_Broken"))
    assert answer.status == 400 and _fault_subcode(answer) == "e:InternalError"
    assert ET.fromstring(answer.body).find(".//a:Fault/a:Code/a:Value", NS).text == "a:Receiver"
    assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200


def test_caller_carries_interface_tls_user_and_realms(device, start_fleet, digest_client):
    fleet = start_fleet([device])
    for interface, address in (("remote", fleet.address()), ("local", fleet.local_address())):
        digest_client(address).post(envelope(TRANSFER + "Get", GENERAL))
        caller = [c for c in device.calls if c[0] == "get"][-1][3]
        assert (caller.interface, caller.tls, caller.username, caller.realms, caller.client_cert_der) == (
            interface, False, "admin", frozenset({2, 3}), None)


def test_on_change_is_called_when_the_device_is_dirty(device, start_fleet, digest_client):
    fleet = start_fleet([device])
    client = digest_client(fleet.address())
    client.post(envelope(TRANSFER + "Get", GENERAL))
    assert fleet.changes == []
    body = '<h:AMT_GeneralSettings xmlns:h="%s"><h:HostName>h</h:HostName></h:AMT_GeneralSettings>' % GENERAL
    client.post(envelope(TRANSFER + "Put", GENERAL, body))
    assert fleet.changes == [device]
