"""CIRA configured through WS-Man on a simulated device, over real sockets: MPS servers, remote access policies,
their bindings, MPS credentials and HTTP proxies; the return codes and state rules AMT applies."""
from __future__ import annotations

import json
import logging
import random
import xml.etree.ElementTree as ET

import pytest
from conftest import ENUMERATION, NS_ENUM, TRANSFER, envelope

from amtsim.types import ANONYMOUS, class_uri

MPS_PASSWORD = "Mps-Secret-77"
SERVICE = "AMT_RemoteAccessService"
SAP = "AMT_ManagementPresenceRemoteSAP"
POLICY = "AMT_RemoteAccessPolicyRule"
APPLIES = "AMT_RemoteAccessPolicyAppliesToMPS"
PERIODIC_25S = "AAAAAAAAABk="  # interval type 0, 25 seconds, as rpc-go sends it
FIRST_MPS = "Intel(r) AMT:Management Presence Server 0"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("cira-pki"))


class Console:
    """A WS-Man client over the device's local (LMS) port, as MeshCentral's CIRA sync uses it."""

    def __init__(self, client):
        self.client = client

    def items(self, class_name):
        answer = self.client.post(envelope(ENUMERATION + "Enumerate", class_uri(class_name), '<Enumerate xmlns="%s"/>' % NS_ENUM))
        assert answer.status == 200, answer.body[:400]
        context = ET.fromstring(answer.body).find(".//{%s}EnumerationContext" % NS_ENUM).text
        pull = ('<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext><MaxElements>99</MaxElements></Pull>'
                % (NS_ENUM, context))
        pulled = self.client.post(envelope(ENUMERATION + "Pull", class_uri(class_name), pull))
        assert pulled.status == 200, pulled.body[:400]
        items = ET.fromstring(pulled.body).find(".//{%s}Items" % NS_ENUM)
        return [] if items is None else list(items)

    def invoke(self, class_name, method, inputs):
        uri = class_uri(class_name)
        content = "".join("<h:%s>%s</h:%s>" % (name, value, name) for name, value in inputs)
        body = '<h:%s_INPUT xmlns:h="%s">%s</h:%s_INPUT>' % (method, uri, content, method)
        return self.client.post(envelope(uri + "/" + method, uri, body))

    def delete(self, class_name, selectors):
        return self.client.post(envelope(TRANSFER + "Delete", class_uri(class_name), selectors=selectors))

    def put(self, class_name, content):
        uri = class_uri(class_name)
        return self.client.post(envelope(TRANSFER + "Put", uri, '<h:%s xmlns:h="%s">%s</h:%s>' % (class_name, uri, content, class_name)))


def _return_value(answer) -> int:
    assert answer.status == 200, answer.body[:400]
    return int(ET.fromstring(answer.body).find(".//{*}ReturnValue").text)


def _value(item, name):
    found = item.find("{*}" + name)
    return None if found is None else found.text


def _selector(item, reference, name):
    return item.find("{*}%s//{*}Selector[@Name='%s']" % (reference, name)).text


def _epr(class_name, selectors):
    selector_xml = "".join('<w:Selector Name="%s">%s</w:Selector>' % item for item in selectors.items())
    return ('<a:Address>%s</a:Address><a:ReferenceParameters><w:ResourceURI>%s</w:ResourceURI><w:SelectorSet>%s'
            '</w:SelectorSet></a:ReferenceParameters>' % (ANONYMOUS, class_uri(class_name), selector_xml))


def _add_server(console, access_info="mps.example.test", port=4433, info_format=201, auth=2, username="meshuser",
                password=MPS_PASSWORD, cn=None, certificate=None):
    inputs = [("AccessInfo", access_info), ("InfoFormat", info_format), ("Port", port), ("AuthMethod", auth)]
    inputs += [(name, value) for name, value in (("Username", username), ("Password", password), ("CN", cn)) if value is not None]
    if certificate is not None:
        inputs.append(("Certificate", _epr("AMT_PublicKeyCertificate", {"InstanceID": certificate})))
    return console.invoke(SERVICE, "AddMpServer", inputs)


def _add_policy(console, trigger=2, servers=(FIRST_MPS,), extended_data=PERIODIC_25S, lifetime=0):
    inputs = [("Trigger", trigger), ("TunnelLifeTime", lifetime), ("ExtendedData", extended_data)]
    inputs += [("MpServer", _epr(SAP, {"Name": name})) for name in servers]
    return console.invoke(SERVICE, "AddRemoteAccessPolicyRule", inputs)


def _console(start_fleet, digest_client, pki, firmware="16.1.27.2176", profile="ccm"):
    from amtsim.model import Device
    device = Device.new(1, profile, firmware, random.Random(5), pki)
    fleet = start_fleet([device])
    return device, Console(digest_client(fleet.local_address(), username=device.admin_username, password=device.admin_password))


def test_an_unconfigured_device_answers_empty_enumerations(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    for class_name in (SAP, POLICY, APPLIES, "AMT_MPSUsernamePassword", "AMT_RemoteAccessCredentialContext",
                       "IPS_HTTPProxyAccessPoint"):
        assert console.items(class_name) == [], class_name
    for class_name in (SERVICE, "AMT_RemoteAccessCapabilities", "IPS_HTTPProxyService", "AMT_UserInitiatedConnectionService"):
        assert len(console.items(class_name)) == 1, class_name


def test_mps_and_periodic_policy_round_trip(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    added = _add_server(console)
    assert _return_value(added) == 0
    reference = ET.fromstring(added.body).find(".//{*}MpServer")
    assert _selector(ET.fromstring(added.body).find(".//{*}AddMpServer_OUTPUT"), "MpServer", "Name") == FIRST_MPS
    assert reference.find(".//{*}ResourceURI").text == class_uri(SAP)
    [server] = console.items(SAP)
    assert (_value(server, "AccessInfo"), _value(server, "InfoFormat"), _value(server, "Port")) == ("mps.example.test", "201", "4433")
    [credential] = console.items("AMT_MPSUsernamePassword")
    assert _value(credential, "RemoteID") == "meshuser" and _value(credential, "Secret") is None
    [link] = console.items("AMT_RemoteAccessCredentialContext")
    assert _selector(link, "ElementProvidingContext", "Name") == FIRST_MPS

    policy = _add_policy(console)
    assert _return_value(policy) == 0
    assert _selector(ET.fromstring(policy.body).find(".//{*}AddRemoteAccessPolicyRule_OUTPUT"), "PolicyRule",
                     "PolicyRuleName") == "Periodic"
    [rule] = console.items(POLICY)
    assert (_value(rule, "Trigger"), _value(rule, "ExtendedData"), _value(rule, "TunnelLifeTime")) == ("2", PERIODIC_25S, "0")
    [binding] = console.items(APPLIES)
    assert _selector(binding, "ManagedElement", "Name") == FIRST_MPS
    assert _selector(binding, "PolicySet", "PolicyRuleName") == "Periodic"
    assert _value(binding, "MpsType") == "0"
    keys = {"CreationClassName": SAP, "Name": FIRST_MPS, "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT"}
    rule_keys = dict(keys, CreationClassName=POLICY, PolicyRuleName="Periodic")
    del rule_keys["Name"]
    reference = "<a:EndpointReference>%s</a:EndpointReference>"
    got = console.client.post(envelope(TRANSFER + "Get", class_uri(APPLIES), selectors={
        "ManagedElement": reference % _epr(SAP, keys), "PolicySet": reference % _epr(POLICY, rule_keys)}))
    assert got.status == 200 and _selector(ET.fromstring(got.body).find(".//{*}" + APPLIES), "PolicySet", "PolicyRuleName") == "Periodic"
    missing = console.client.post(envelope(TRANSFER + "Get", class_uri(APPLIES), selectors={
        "ManagedElement": reference % _epr(SAP, keys), "PolicySet": reference % _epr(POLICY, dict(rule_keys, PolicyRuleName="Alert"))}))
    assert missing.status == 400

    # rpc-go's Put names the policy and leaves the MPS reference without selectors.
    put = console.put(APPLIES, '<h:ManagedElement>%s</h:ManagedElement><h:MpsType>2</h:MpsType><h:OrderOfAccess>0</h:OrderOfAccess>'
                      '<h:PolicySet>%s</h:PolicySet>' % (_epr(SAP, {}), _epr(POLICY, {"PolicyRuleName": "Periodic"})))
    assert put.status == 200, put.body[:400]
    assert _value(console.items(APPLIES)[0], "MpsType") == "2"

    daily = ('<h:ExtendedData>AAAAAQAAAAgAAAAe</h:ExtendedData><h:PolicyRuleName>Periodic</h:PolicyRuleName>'
             '<h:Trigger>2</h:Trigger><h:TunnelLifeTime>600</h:TunnelLifeTime>')
    assert console.client.post(envelope(TRANSFER + "Put", class_uri(POLICY), '<h:%s xmlns:h="%s">%s</h:%s>' % (
        POLICY, class_uri(POLICY), daily, POLICY), selectors={"PolicyRuleName": "Periodic"})).status == 200
    [rule] = console.items(POLICY)
    assert (_value(rule, "ExtendedData"), _value(rule, "TunnelLifeTime")) == ("AAAAAQAAAAgAAAAe", "600")  # daily at 08:30
    assert console.put(POLICY, daily.replace("<h:Trigger>2", "<h:Trigger>1")).status == 400  # a policy keeps its trigger

    refused = console.delete(SAP, {"Name": FIRST_MPS})
    assert refused.status == 400 and len(console.items(SAP)) == 1
    assert console.delete(POLICY, {"PolicyRuleName": "Periodic"}).status == 200
    assert console.items(POLICY) == [] and console.items(APPLIES) == []
    assert console.delete(POLICY, {"PolicyRuleName": "Periodic"}).status == 400  # rpc-go tolerates DestinationUnreachable
    assert console.delete(SAP, {"Name": FIRST_MPS}).status == 200
    assert console.items(SAP) == [] and console.items("AMT_MPSUsernamePassword") == []


@pytest.mark.parametrize("change, expected", [
    ({}, 0),
    ({"info_format": 3, "access_info": "192.0.2.10", "cn": "mps.example.test"}, 0),
    ({"info_format": 3, "access_info": "192.0.2.10"}, 36),  # an address without the CN its certificate carries
    ({"info_format": 3}, 36),  # an FQDN announced as IPv4
    ({"info_format": 4, "access_info": "2001:db8::7", "cn": "mps"}, 0),
    ({"info_format": 5}, 36),
    ({"port": 0}, 36),
    ({"port": 65536}, 36),
    ({"auth": 3}, 36),
    ({"username": "mesh-user"}, 36),  # 16 letters or digits
    ({"username": "u" * 17}, 36),
    ({"password": None}, 36),
    ({"password": "p" * 17}, 36),
    ({"auth": 1}, 36),  # mutual authentication takes a certificate, not a username and password
])
def test_add_mp_server_checks_its_inputs(start_fleet, digest_client, pki, change, expected):
    _device, console = _console(start_fleet, digest_client, pki)
    assert _return_value(_add_server(console, **change)) == expected
    assert len(console.items(SAP)) == (1 if expected == 0 else 0)


def test_add_mp_server_refuses_duplicates_and_a_seventh_server(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    assert _return_value(_add_server(console)) == 0
    assert _return_value(_add_server(console, access_info="MPS.example.test")) == 2058
    for number in range(1, 6):
        assert _return_value(_add_server(console, access_info="mps%d.example.test" % number)) == 0
    assert _return_value(_add_server(console, access_info="mps9.example.test")) == 23
    names = [_value(item, "Name") for item in console.items(SAP)]
    assert names == ["Intel(r) AMT:Management Presence Server %d" % number for number in range(6)]
    assert console.delete(SAP, {"Name": "Intel(r) AMT:Management Presence Server 2"}).status == 200
    added = _add_server(console, access_info="mps9.example.test")
    assert _selector(ET.fromstring(added.body).find(".//{*}AddMpServer_OUTPUT"), "MpServer", "Name").endswith("Server 2")


def test_mutual_authentication_names_a_certificate_with_its_key(start_fleet, digest_client, pki):
    device, console = _console(start_fleet, digest_client, pki)
    tls_certificate = "Intel(r) AMT Certificate: Handle: 0"  # the device's own TLS certificate and key
    assert _return_value(_add_server(console, auth=1, username=None, password=None,
                                     certificate="Intel(r) AMT Certificate: Handle: 9")) == 36
    assert _return_value(_add_server(console, auth=1, username=None, password=None, certificate=tls_certificate)) == 0
    assert console.items("AMT_MPSUsernamePassword") == []
    [link] = console.items("AMT_RemoteAccessCredentialContext")
    assert _selector(link, "ElementInContext", "InstanceID") == tls_certificate
    assert device.cira.uses_certificate("0")


def test_policy_rules_follow_amt_return_codes(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    assert _return_value(_add_policy(console)) == 36  # no MPS yet
    for number in range(3):
        assert _return_value(_add_server(console, access_info="mps%d.example.test" % number)) == 0
    assert _return_value(_add_policy(console, trigger=3)) == 36
    assert _return_value(_add_policy(console, extended_data="AAAAAg==")) == 36  # periodic needs a type and an interval
    assert _return_value(_add_policy(console, extended_data="AAAAAQAAABcAAAA7")) == 0  # daily at 23:59
    assert _return_value(_add_policy(console)) == 2058  # one policy per trigger
    servers = ["Intel(r) AMT:Management Presence Server %d" % number for number in range(3)]
    assert _return_value(_add_policy(console, trigger=1, servers=servers)) == 36  # at most two MPS per policy
    assert _return_value(_add_policy(console, trigger=1, servers=servers[:2], extended_data=PERIODIC_25S)) == 0
    assert _return_value(_add_policy(console, trigger=0, extended_data="", lifetime=300)) == 0
    rules = {_value(item, "PolicyRuleName"): item for item in console.items(POLICY)}
    assert sorted(rules) == ["Alert", "Periodic", "User Initiated"]
    assert _value(rules["User Initiated"], "ExtendedData") is None and _value(rules["User Initiated"], "TunnelLifeTime") == "300"
    orders = sorted((_selector(item, "PolicySet", "PolicyRuleName"), _value(item, "OrderOfAccess")) for item in console.items(APPLIES))
    assert orders == [("Alert", "0"), ("Alert", "1"), ("Periodic", "0"), ("User Initiated", "0")]


def test_mps_secrets_are_never_rendered_kept_or_logged(start_fleet, digest_client, pki, caplog):
    caplog.set_level(logging.DEBUG)
    device, console = _console(start_fleet, digest_client, pki)
    answers = [_add_server(console), _add_policy(console)]
    changed = console.put("AMT_MPSUsernamePassword", '<h:InstanceID>Intel(r) AMT:MPS Username Password 0</h:InstanceID>'
                          '<h:RemoteID>otheruser</h:RemoteID><h:Secret>%s</h:Secret>' % MPS_PASSWORD[::-1])
    assert changed.status == 200
    answers.append(changed)
    for class_name in (SAP, "AMT_MPSUsernamePassword", "AMT_RemoteAccessCredentialContext", POLICY, APPLIES):
        answers.append(console.client.post(envelope(ENUMERATION + "Enumerate", class_uri(class_name),
                                                    '<Enumerate xmlns="%s"><w:OptimizeEnumeration/></Enumerate>' % NS_ENUM)))
    assert all(answer.status == 200 and b"Items" in answer.body for answer in answers[3:])
    assert _value(console.items("AMT_MPSUsernamePassword")[0], "RemoteID") == "otheruser"
    for secret in (MPS_PASSWORD, MPS_PASSWORD[::-1]):
        assert not any(secret.encode() in answer.body for answer in answers)
        assert secret not in json.dumps(device.to_state())
        assert secret not in caplog.text


def test_http_proxy_access_points(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki)
    inputs = [("AccessInfo", "proxy.example.test"), ("InfoFormat", 201), ("Port", 8080), ("NetworkDnsSuffix", "corp.example.test")]
    added = console.invoke("IPS_HTTPProxyService", "AddProxyAccessPoint", inputs)
    assert _return_value(added) == 0
    name = _selector(ET.fromstring(added.body).find(".//{*}AddProxyAccessPoint_OUTPUT"), "ProxyAccessPoint", "Name")
    assert name == "Intel(r) ME:HTTP Proxy Access Point 0"
    assert _return_value(console.invoke("IPS_HTTPProxyService", "AddProxyAccessPoint", inputs)) == 2058
    assert _return_value(console.invoke("IPS_HTTPProxyService", "AddProxyAccessPoint", inputs[:2] + [("Port", 0)])) == 36
    [proxy] = console.items("IPS_HTTPProxyAccessPoint")
    assert (_value(proxy, "AccessInfo"), _value(proxy, "Port"), _value(proxy, "NetworkDnsSuffix")) == \
        ("proxy.example.test", "8080", "corp.example.test")
    assert console.delete("IPS_HTTPProxyAccessPoint", {"Name": name}).status == 200
    assert console.items("IPS_HTTPProxyAccessPoint") == []
    assert console.put("IPS_HTTPProxyService", "<h:SyncEnabled>true</h:SyncEnabled>").status == 200
    assert _value(console.items("IPS_HTTPProxyService")[0], "SyncEnabled") == "true"


def test_proxy_classes_do_not_exist_before_amt_12(start_fleet, digest_client, pki):
    _device, console = _console(start_fleet, digest_client, pki, firmware="11.8.50.3425")
    answer = console.client.post(envelope(ENUMERATION + "Enumerate", class_uri("IPS_HTTPProxyAccessPoint"),
                                          '<Enumerate xmlns="%s"/>' % NS_ENUM))
    assert answer.status == 400 and b"DestinationUnreachable" in answer.body
    assert console.items(SAP) == []


@pytest.mark.parametrize("firmware, typed", [("11.6.12.3202", True), ("11.0.25.3001", False)])
def test_mps_type_came_with_amt_11_6(start_fleet, digest_client, pki, firmware, typed):
    _device, console = _console(start_fleet, digest_client, pki, firmware=firmware)
    assert _return_value(_add_server(console)) == 0 and _return_value(_add_policy(console)) == 0
    [binding] = console.items(APPLIES)
    assert (_value(binding, "MpsType") is not None) == typed


def test_unprovision_clears_cira(start_fleet, digest_client, pki):
    device, console = _console(start_fleet, digest_client, pki)
    assert _return_value(_add_server(console)) == 0 and _return_value(_add_policy(console)) == 0
    device.factory_reset(keep_admin=True)
    assert console.items(SAP) == [] and console.items(POLICY) == []


@pytest.mark.parametrize("firmware", ["16.1.27.2176", "11.8.50.3425"])
def test_meshcentral_cira_sync_batch_succeeds_on_an_unconfigured_device(start_fleet, digest_client, pki, firmware):
    """MeshCentral's attemptCiraSync: Get of the starred classes, Enumerate+Pull of the others (the proxies from
    AMT 12 on); any fault sinks the whole batch."""
    _device, console = _console(start_fleet, digest_client, pki, firmware=firmware)
    for class_name in ("AMT_EnvironmentDetectionSettingData", "AMT_UserInitiatedConnectionService") + \
            (("IPS_HTTPProxyService",) if firmware.startswith("16.") else ()):
        assert console.client.post(envelope(TRANSFER + "Get", class_uri(class_name))).status == 200, class_name
    enumerated = [SAP, "AMT_RemoteAccessCredentialContext", APPLIES, POLICY, "AMT_MPSUsernamePassword"]
    if firmware.startswith("16."):
        enumerated.append("IPS_HTTPProxyAccessPoint")
    assert [len(console.items(class_name)) for class_name in enumerated] == [0] * len(enumerated)
