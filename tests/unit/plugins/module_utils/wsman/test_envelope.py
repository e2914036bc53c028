# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request envelopes: header order, escaping of every value, selectors, EPRs and embedded instances."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.oob.amt.plugins.module_utils.wsman import envelope, parse
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

SOAP = "{http://www.w3.org/2003/05/soap-envelope}"
WSA = "{http://schemas.xmlsoap.org/ws/2004/08/addressing}"
WSMAN = "{http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd}"
ENUM = "{http://schemas.xmlsoap.org/ws/2004/09/enumeration}"
AMT = "http://intel.com/wbem/wscim/1/amt-schema/1/"
CIM = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                 "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff"))


def _header(data):
    return fromstring(data).find(SOAP + "Header")


def _body(data):
    return fromstring(data).find(SOAP + "Body")


def test_header_order_and_values():
    data = envelope.get_request(AMT + "AMT_GeneralSettings", 7, {"InstanceID": "Intel(r) AMT: General Settings"})
    header = _header(data)
    assert [child.tag for child in header] == [
        WSA + "Action", WSA + "To", WSMAN + "ResourceURI", WSA + "MessageID", WSA + "ReplyTo", WSMAN + "OperationTimeout", WSMAN + "SelectorSet"]
    assert header.find(WSA + "Action").text == "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
    assert header.find(WSA + "To").text == "/wsman"
    assert header.find(WSA + "MessageID").text == "7"
    assert header.find(WSA + "ReplyTo/" + WSA + "Address").text == envelope.ANONYMOUS
    assert header.find(WSMAN + "OperationTimeout").text == "PT60S"
    selector = header.find(WSMAN + "SelectorSet/" + WSMAN + "Selector")
    assert selector.get("Name") == "InstanceID" and selector.text == "Intel(r) AMT: General Settings"
    assert len(_body(data)) == 0


def test_singleton_get_has_no_selector_set():
    assert _header(envelope.get_request(AMT + "AMT_GeneralSettings", 1)).find(WSMAN + "SelectorSet") is None


def test_put_escapes_every_value_and_keeps_order():
    instance = {"HostName": 'a<b>&c"d\'e', "PingResponseEnabled": True, "IdleWakeTimeout": 65535, "DomainName": "line\r\nnext",
                "Skipped": None, "DetectionStrings": ["x&y", "z"]}
    data = envelope.put_request(AMT + "AMT_GeneralSettings", "AMT_GeneralSettings", 2, instance)
    assert b"a&lt;b&gt;&amp;c" in data
    element = _body(data)[0]
    assert element.tag == "{%sAMT_GeneralSettings}AMT_GeneralSettings" % AMT
    assert [child.tag.split("}")[1] for child in element] == ["HostName", "PingResponseEnabled", "IdleWakeTimeout", "DomainName",
                                                              "DetectionStrings", "DetectionStrings"]
    assert parse.instance_dict(element) == {"HostName": 'a<b>&c"d\'e', "PingResponseEnabled": "true", "IdleWakeTimeout": "65535",
                                            "DomainName": "line\r\nnext", "DetectionStrings": ["x&y", "z"]}


def test_selector_values_are_escaped_and_can_be_eprs():
    selectors = {
        "ElementInContext": {"resource_uri": AMT + "AMT_PublicKeyCertificate", "selectors": {"InstanceID": 'Handle: <1> & "2"'}},
        "Name": "a&b",
    }
    data = envelope.delete_request(AMT + "AMT_TLSCredentialContext", 3, selectors)
    first, second = _header(data).find(WSMAN + "SelectorSet")
    reference = first.find(WSA + "EndpointReference")
    assert reference.find(WSA + "Address").text == "/wsman"
    parameters = reference.find(WSA + "ReferenceParameters")
    assert parameters.find(WSMAN + "ResourceURI").text == AMT + "AMT_PublicKeyCertificate"
    assert parameters.find(WSMAN + "SelectorSet/" + WSMAN + "Selector").text == 'Handle: <1> & "2"'
    assert second.get("Name") == "Name" and second.text == "a&b"


def test_add_wifi_settings_with_epr_and_embedded_instance():
    settings_uri = CIM + "CIM_WiFiEndpointSettings"
    inputs = [
        ("WiFiEndpoint", {"resource_uri": CIM + "CIM_WiFiEndpoint", "selectors": {"Name": "WiFi Endpoint 0"}}),
        ("WiFiEndpointSettingsInput", envelope.EmbeddedInstance(settings_uri, [
            ("ElementName", "home"), ("InstanceID", "Intel(r) AMT:WiFi Endpoint Settings home"), ("AuthenticationMethod", 6),
            ("EncryptionMethod", 4), ("SSID", "admin"), ("Priority", 1), ("PSKPassPhrase", "p'ass<>&\"code")])),
    ]
    data = envelope.invoke_request(AMT + "AMT_WiFiPortConfigurationService", "AddWiFiSettings", 5, inputs)
    assert _header(data).find(WSA + "Action").text == AMT + "AMT_WiFiPortConfigurationService/AddWiFiSettings"
    method_input = _body(data)[0]
    class_ns = "{%sAMT_WiFiPortConfigurationService}" % AMT
    assert method_input.tag == class_ns + "AddWiFiSettings_INPUT"
    endpoint, settings_input = method_input
    assert endpoint.tag == class_ns + "WiFiEndpoint"
    assert parse.element_value(endpoint) == {"resource_uri": CIM + "CIM_WiFiEndpoint", "selectors": {"Name": "WiFi Endpoint 0"}}
    assert settings_input.tag == class_ns + "WiFiEndpointSettingsInput"
    assert {child.tag.split("}")[0][1:] for child in settings_input} == {settings_uri}
    assert parse.instance_dict(settings_input)["PSKPassPhrase"] == "p'ass<>&\"code"
    assert parse.instance_dict(settings_input)["AuthenticationMethod"] == "6"


def test_method_without_inputs_sends_an_empty_input_element():
    data = envelope.invoke_request(AMT + "AMT_SetupAndConfigurationService", "CommitChanges", 9)
    element = _body(data)[0]
    assert element.tag == "{%sAMT_SetupAndConfigurationService}CommitChanges_INPUT" % AMT and len(element) == 0


def test_enumerate_asks_for_optimized_enumeration_and_pull_for_big_pages():
    enumerate_body = _body(envelope.enumerate_request(CIM + "CIM_SoftwareIdentity", 1))[0]
    assert enumerate_body.tag == ENUM + "Enumerate"
    assert enumerate_body.find(WSMAN + "OptimizeEnumeration") is not None
    assert enumerate_body.find(WSMAN + "MaxElements").text == "999"
    pull = envelope.pull_request(CIM + "CIM_SoftwareIdentity", 2, "E2020000-0000-0000-0000-000000000000")
    pull_body = _body(pull)[0]
    assert _header(pull).find(WSA + "Action").text == "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
    assert pull_body.find(ENUM + "EnumerationContext").text == "E2020000-0000-0000-0000-000000000000"
    assert pull_body.find(ENUM + "MaxElements").text == "999"
    assert pull_body.find(ENUM + "MaxCharacters").text == "99999"


@pytest.mark.parametrize("name", ["bad name", '"><x', "", "1abc"])
def test_invalid_names_are_rejected(name):
    with pytest.raises(InvalidInputError):
        envelope.put_request(AMT + "AMT_GeneralSettings", "AMT_GeneralSettings", 1, {name: "x"})
    with pytest.raises(InvalidInputError):
        envelope.get_request(AMT + "AMT_GeneralSettings", 1, {name: "x"})


def test_control_character_is_rejected_without_echoing_the_value():
    with pytest.raises(InvalidInputError) as caught:
        envelope.invoke_request(AMT + "AMT_SetupAndConfigurationService", "SetMEBxPassword", 1, {"Password": "Secr3t\x01!"})
    assert "Secr3t" not in str(caught.value) and "Password" in str(caught.value)


def test_unsupported_value_type_is_rejected():
    with pytest.raises(InvalidInputError):
        envelope.invoke_request(AMT + "AMT_X", "M", 1, {"Value": 1.5})


@settings(max_examples=200, deadline=None)
@given(value=XML_TEXT, selector=XML_TEXT)
def test_any_text_round_trips(value, selector):
    data = envelope.put_request(AMT + "AMT_GeneralSettings", "AMT_GeneralSettings", 1, {"HostName": value}, {"InstanceID": selector})
    assert parse.instance_dict(_body(data)[0]) == {"HostName": value}
    assert (_header(data).find(WSMAN + "SelectorSet/" + WSMAN + "Selector").text or "") == selector
