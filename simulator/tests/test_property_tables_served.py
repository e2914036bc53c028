"""Every instance a simulated 16.1 device enumerates carries the properties of its class's table in property_tables/
(all of "properties", some of "optional", nothing else): factory through the local interface where the local
system account may read the class, CCM and ACM as admin, and an ACM device with CIRA, wired and wireless 802.1X,
a static address and Kerberos configured, so that the optional properties and the classes that are empty at first
are compared too."""
from __future__ import annotations

import importlib
import pkgutil
import random
import xml.etree.ElementTree as ET

import property_tables
import pytest
from conftest import ENUMERATION, NS_ENUM, TRANSFER, envelope
from test_cira_classes import Console, _add_policy, _add_server, _epr, _return_value
from test_credential_classes import _add_eap_tls_wifi, _add_root, _put_profile

from amtsim.types import class_uri

FIRMWARE = "16.1.27.2176"
TLS_CERTIFICATE = "Intel(r) AMT Certificate: Handle: 0"


def _tables() -> dict:
    merged = {}
    for module in pkgutil.iter_modules(property_tables.__path__):
        table = importlib.import_module("property_tables." + module.name).TABLE
        assert not set(table) & set(merged), "a class is in two tables"
        merged.update(table)
    return merged


TABLES = _tables()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("property-tables-pki"))


def _instances(console: Console, class_name: str):
    """Property names of each instance, or None when the caller may not read the class."""
    uri = class_uri(class_name)
    answer = console.client.post(envelope(ENUMERATION + "Enumerate", uri,
                                          '<Enumerate xmlns="%s"><w:OptimizeEnumeration/><w:MaxElements>99</w:MaxElements>'
                                          '</Enumerate>' % NS_ENUM))
    if answer.status == 400 and b"AccessDenied" in answer.body:
        return None
    assert answer.status == 200, (class_name, answer.body[:400])
    items = ET.fromstring(answer.body).find(".//{*}Items")
    assert ET.fromstring(answer.body).find(".//{*}EndOfSequence") is not None, class_name  # all items in this answer
    return [] if items is None else [{child.tag.split("}", 1)[1] for child in item} for item in items]


def _mismatches(console: Console, class_names) -> list:
    found = []
    for class_name in class_names:
        required, optional = set(TABLES[class_name]["properties"]), set(TABLES[class_name]["optional"])
        for properties in _instances(console, class_name) or []:
            if not required <= properties <= required | optional:
                found.append((class_name, sorted(required - properties), sorted(properties - required - optional)))
    return found


def _console(start_fleet, digest_client, pki, profile):
    from amtsim.model import Device
    device = Device.new(1, profile, FIRMWARE, random.Random(11), pki)
    fleet = start_fleet([device])
    if profile == "factory":
        account = device.mei("GetLocalSystemAccount", {})
        username, password = account["username"], account["password"]
    else:
        username, password = device.admin_username, device.admin_password
    return device, Console(digest_client(fleet.local_address(), username=username, password=password))


def test_every_served_class_has_a_table():
    from amtsim.model.device import _COMPONENT_OF_CLASS
    assert set(_COMPONENT_OF_CLASS) - set(TABLES) == set()
    for class_name, table in TABLES.items():
        assert table["source"] and table["properties"], class_name
        assert not set(table["properties"]) & set(table["optional"]), class_name


@pytest.mark.parametrize("profile", ["factory", "ccm", "acm"])
def test_instances_match_their_tables(start_fleet, digest_client, pki, profile):
    _device, console = _console(start_fleet, digest_client, pki, profile)
    readable = [name for name in sorted(TABLES) if _instances(console, name) is not None]
    if profile == "factory":
        assert {"AMT_GeneralSettings", "AMT_SetupAndConfigurationService", "IPS_HostBasedSetupService"} <= set(readable)
    else:
        assert readable == sorted(TABLES)
    assert _mismatches(console, readable) == []


def _configure(device, console: Console) -> None:
    root = _add_root(console)
    assert _return_value(_add_server(console, info_format=3, access_info="192.0.2.40", cn="mps.example.test")) == 0
    assert _return_value(_add_policy(console)) == 0
    assert _return_value(_add_policy(console, trigger=0, extended_data="", lifetime=300)) == 0
    added = console.invoke("IPS_HTTPProxyService", "AddProxyAccessPoint", [
        ("AccessInfo", "proxy.example.test"), ("InfoFormat", 201), ("Port", 8080), ("NetworkDnsSuffix", "corp.example.test")])
    assert _return_value(added) == 0
    assert _put_profile(console, Enabled="true", AuthenticationProtocol=0, Username="host", RoamingIdentity="anonymous",
                        ServerCertificateName="radius.example.test", ServerCertificateNameComparison=0,
                        ClientCertificate=_epr("AMT_PublicKeyCertificate", {"InstanceID": TLS_CERTIFICATE}),
                        ServerCertificateIssue=_epr("AMT_PublicKeyCertificate", {"InstanceID": root})).status == 200
    assert _return_value(_add_eap_tls_wifi(console, root)) == 0
    static = ('<h:DHCPEnabled>false</h:DHCPEnabled><h:DefaultGateway>192.0.2.1</h:DefaultGateway>'
              '<h:IPAddress>192.0.2.9</h:IPAddress><h:InstanceID>Intel(r) AMT Ethernet Port Settings 0</h:InstanceID>'
              '<h:PrimaryDNS>192.0.2.1</h:PrimaryDNS><h:SecondaryDNS>192.0.2.2</h:SecondaryDNS>'
              '<h:SharedStaticIp>false</h:SharedStaticIp><h:SubnetMask>255.255.255.0</h:SubnetMask>')
    assert console.put("AMT_EthernetPortSettings", static).status == 200
    kerberos = ('<h:InstanceID>Intel (r) AMT: Kerberos Settings</h:InstanceID><h:KrbEnabled>true</h:KrbEnabled>'
                '<h:Passphrase>Krb-Pass-1</h:Passphrase><h:RealmName>CORP.EXAMPLE.TEST</h:RealmName>'
                '<h:ServicePrincipalName>HTTP/host.corp.example.test</h:ServicePrincipalName>'
                '<h:ServicePrincipalProtocol>0</h:ServicePrincipalProtocol>')
    assert console.put("AMT_KerberosSettingData", kerberos).status == 200
    environment = ('<h:DetectionAlgorithm>0</h:DetectionAlgorithm><h:DetectionStrings>corp.example.test</h:DetectionStrings>'
                   '<h:InstanceID>Intel(r) AMT Environment Detection Settings</h:InstanceID>')
    assert console.put("AMT_EnvironmentDetectionSettingData", environment).status == 200
    del device


def test_configured_device_instances_match_their_tables(start_fleet, digest_client, pki):
    device, console = _console(start_fleet, digest_client, pki, "acm")
    _configure(device, console)
    populated = [name for name in sorted(TABLES) if _instances(console, name)]
    assert set(TABLES) - set(populated) == set()  # every class has an instance now, so no table goes unchecked
    assert _mismatches(console, populated) == []
    [wired, _wireless] = _instances(console, "AMT_EthernetPortSettings")
    assert {"IPAddress", "SubnetMask", "DefaultGateway", "PrimaryDNS", "SecondaryDNS"} <= wired
    [profile] = _instances(console, "AMT_8021XProfile")
    assert {"AuthenticationProtocol", "ClientCertificate", "ServerCertificateIssue", "Username"} <= profile


def test_wired_port_reports_the_address_dhcp_gave_it(start_fleet, digest_client, pki):
    device, console = _console(start_fleet, digest_client, pki, "ccm")
    device.addresses = ["127.79.5.1", "127.79.6.1"]  # as the fleet sets them: remote, then local
    answer = console.client.post(envelope(TRANSFER + "Get", class_uri("AMT_EthernetPortSettings"),
                                          selectors={"InstanceID": "Intel(r) AMT Ethernet Port Settings 0"}))
    port = {child.tag.split("}", 1)[1]: child.text for child in ET.fromstring(answer.body).find(".//{*}AMT_EthernetPortSettings")}
    assert (port["DHCPEnabled"], port["IPAddress"], port["SubnetMask"]) == ("true", "127.79.5.1", "255.255.255.0")
    assert port["DefaultGateway"] == port["PrimaryDNS"] == "127.79.5.254"
