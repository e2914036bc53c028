"""Hostile and malformed input: the simulator answers as firmware would and keeps serving (hypothesis)."""
import http.client
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from conftest import ENUMERATION, NS_ENUM, TRANSFER, DigestClient, FakeDevice, envelope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amtsim import http as amt_http
from amtsim import soap
from amtsim.faults import FaultPlan
from amtsim.latency import LatencyModel
from amtsim.types import AMT_PREFIX, CIM_PREFIX, FAULT_SUBCODES, IPS_PREFIX, WsmanFault

GENERAL = AMT_PREFIX + "AMT_GeneralSettings"
NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
                  b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header/><Body>&lol4;</Body></Envelope>')
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header/><Body>&xxe;</Body></Envelope>')
EXTERNAL_DTD = (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:1/evil.dtd">'
                b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header/><Body/></Envelope>')
PARAMETER_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
                    b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header/><Body/></Envelope>')


@pytest.fixture(scope="module")
def target(simulator_loop, loopback_block):
    device = FakeDevice()
    fleet = SimpleNamespace(members=[SimpleNamespace(device=device, remote_address=loopback_block.allocate(), local_address=None)])
    server = simulator_loop.run(amt_http.serve_fleet(fleet, faults=FaultPlan(), latency=LatencyModel.instant()))
    client = DigestClient(fleet.members[0].remote_address)
    yield client
    client.close()
    simulator_loop.run(server.close())


def _still_serving(client):
    answer = client.post(envelope(TRANSFER + "Get", GENERAL))
    assert answer.status == 200 and b"<g:AMT_GeneralSettings>" in answer.body


def _is_amt_fault(answer):
    root = ET.fromstring(answer.body)
    subcode = root.find(".//{%s}Subcode/{%s}Value" % (NS_SOAP, NS_SOAP)).text.split(":")[1]
    return answer.status == 400 and subcode in FAULT_SUBCODES


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"])
def test_dtd_and_entity_payloads_get_the_400_page(target, payload):
    answer = target.post(payload)
    assert answer.status == 400 and answer.headers["Content-Type"] == "text/html"
    assert b"root:" not in answer.body and b"lollol" not in answer.body
    _still_serving(target)


@pytest.mark.parametrize("payload", [b"", b"<", b"not xml", b"<Envelope/>", b"<a:Envelope xmlns:a='urn:other'/>",
                                     "<Envelope xmlns='%s'><Body/></Envelope>".encode() % NS_SOAP.encode()])
def test_malformed_or_foreign_documents(target, payload):
    answer = target.post(payload)
    assert answer.status == 400
    assert answer.headers["Content-Type"] == "text/html" or _is_amt_fault(answer)
    _still_serving(target)


def test_envelope_without_body_is_a_schema_fault(target):
    answer = target.post(("<Envelope xmlns='%s'><Header/></Envelope>" % NS_SOAP).encode())
    assert _is_amt_fault(answer) and b"e:SchemaValidationError" in answer.body


def test_oversized_body_then_service_continues(target):
    answer = target.post(envelope(TRANSFER + "Get", GENERAL, "<x>" + "y" * (amt_http.MAX_BODY_BYTES + 1) + "</x>"))
    assert answer.status == 413
    _still_serving(target)


def test_truncated_request_does_not_wedge_the_device(target):
    connection = http.client.HTTPConnection(target.host, 16992, timeout=5)
    connection.putrequest("POST", "/wsman")
    connection.putheader("Content-Length", "500")
    connection.endheaders(b"<short")
    connection.close()
    _still_serving(target)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_parser_only_raises_its_two_documented_errors(payload):
    try:
        soap.parse_request(payload)
    except (soap.MalformedRequest, WsmanFault):
        pass


_xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
_resource_uris = st.sampled_from([GENERAL, CIM_PREFIX + "CIM_SoftwareIdentity", IPS_PREFIX + "IPS_Nope", AMT_PREFIX + "AMT_Broken",
                                  "http://example.com/x", ""]) | _xml_text
_actions = st.sampled_from([TRANSFER + "Get", TRANSFER + "Put", TRANSFER + "Delete", TRANSFER + "Create", ENUMERATION + "Enumerate",
                            ENUMERATION + "Pull", ENUMERATION + "Release", GENERAL + "/Nope", AMT_PREFIX + "AMT_X/Y"]) | _xml_text
_bodies = st.sampled_from(["", '<Enumerate xmlns="%s"/>' % NS_ENUM, '<Pull xmlns="%s"><EnumerationContext>x</EnumerationContext>'
                           '<MaxElements>-1</MaxElements></Pull>' % NS_ENUM, "<junk/>",
                           '<h:AMT_GeneralSettings xmlns:h="%s"><h:HostName>x</h:HostName></h:AMT_GeneralSettings>' % GENERAL])


def _escape(text):
    return None if text is None else text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.none() | _actions, resource_uri=st.none() | _resource_uris, message_id=st.none() | _xml_text, body=_bodies,
       to=st.none() | st.sampled_from(["/wsman", "http://h:16992/wsman", "/elsewhere"]))
def test_any_wsman_request_gets_a_200_or_an_amt_fault(target, action, resource_uri, message_id, body, to):
    answer = target.post(envelope(_escape(action), _escape(resource_uri), body, message_id=_escape(message_id), to=to))
    assert answer.status == 200 or _is_amt_fault(answer)
    if answer.status == 400:
        expected_action = (b"addressing/fault</b:Action>", b"wsman/fault</b:Action>")
        assert any(marker in answer.body for marker in expected_action)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=2000))
def test_random_bytes_over_the_wire_never_break_the_server(target, payload):
    answer = target.post(payload)
    assert answer.status == 400


def test_server_still_serves_after_the_fuzzing(target):
    _still_serving(target)
