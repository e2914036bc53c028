"""Property completeness: every class the simulator serves has exactly one table in property_tables/, and every
instance it enumerates over the wire carries that table's "properties", some of its "optional" ones and nothing else.

Each module of property_tables defines ``TABLE = {class: {"source", "properties", "optional"}}``, built from Intel's
models (go-wsman-messages structs, wsman-messages models, recorded responses). Instances are compared on a 16.1
device, which serves every generation-gated class, in each profile: factory through the local interface as the local
system account (a class that account may not read answers AccessDenied and is skipped), CCM and ACM as the admin over
TLS. Many classes are empty until something is configured, so an ACM device with CIRA, wired and wireless 802.1X, a
static address, Kerberos, environment detection and an alarm is compared too: there every class has an instance, save
those that have none on any device the simulator models, which must enumerate empty. On an older generation the classes
it lacks answer as unknown and the others still match their tables.

A class may answer instances of a subclass (CIM_ServiceAvailableToElement, CIM_PhysicalPackage, CIM_SystemPackaging),
so every item of an answer is checked, whatever its element name.
"""
from __future__ import annotations

import importlib
import pkgutil
import random
import xml.etree.ElementTree as ET

import property_tables
import pytest
from conftest import ENUMERATION, NS_ENUM, client_tls_context, envelope
from test_cira_classes import Console, _add_policy, _add_server, _epr, _return_value
from test_credential_classes import _add_eap_tls_wifi, _add_root, _put_profile
from test_host_classes import OLD_FIRMWARE, _add_alarm, _in_hours, fault_subcode

from amtsim.model import availability
from amtsim.model.device import _COMPONENT_OF_CLASS, PROFILES
from amtsim.types import class_uri

FIRMWARE = "16.1.27.2176"
TABLE_KEYS = {"source", "properties", "optional"}
TLS_CERTIFICATE = "Intel(r) AMT Certificate: Handle: 0"
# Classes without an instance even on a fully configured device, and why.
EMPTY_WHEN_CONFIGURED = {
    "CIM_Battery": "the modelled platforms are desktops",
    "AMT_Hdr8021Filter": "creating filters is not modelled",
}
# What the local system account reads in factory state (so the factory comparison cannot pass by reading nothing).
READABLE_IN_FACTORY = {"AMT_GeneralSettings", "AMT_SetupAndConfigurationService", "IPS_HostBasedSetupService"}


def _load_tables() -> tuple[dict, dict]:
    """(every module's TABLE merged, class -> names of the modules that describe it)."""
    merged, modules_of_class = {}, {}
    for module_info in pkgutil.iter_modules(property_tables.__path__):
        table = importlib.import_module(f"property_tables.{module_info.name}").TABLE
        merged.update(table)
        for class_name in table:
            modules_of_class.setdefault(class_name, []).append(module_info.name)
    return merged, modules_of_class


TABLES, _MODULES_OF_CLASS = _load_tables()


@pytest.fixture(scope="module")
def completeness_pki(tmp_path_factory):
    from amtsim.pki import Pki
    return Pki(tmp_path_factory.mktemp("completeness-pki"))


def _console(start_fleet, digest_client, pki, profile: str, firmware: str = FIRMWARE) -> tuple:
    """(device, Console): the admin over TLS once provisioned, else the local system account on the local interface."""
    from amtsim.model import Device
    device = Device.new(1 + PROFILES.index(profile), profile, firmware, random.Random(PROFILES.index(profile)), pki)
    fleet = start_fleet([device])
    if profile == "factory":
        account = device.mei("GetLocalSystemAccount", {})
        return device, Console(digest_client(fleet.local_address(), username=account["username"], password=account["password"]))
    return device, Console(digest_client(fleet.address(), port=16993, username=device.admin_username, password=device.admin_password,
                                         tls_context=client_tls_context(pki.ca_cert_pem)))


def _enumerate(console: Console, class_name: str) -> tuple:
    """(fault subcode or None, [property names of each item]) of an Enumerate and one Pull that must end the sequence."""
    uri = class_uri(class_name)
    opened = console.client.post(envelope(ENUMERATION + "Enumerate", uri, '<Enumerate xmlns="%s"/>' % NS_ENUM))
    if fault_subcode(opened) is not None:
        return fault_subcode(opened), []
    context = ET.fromstring(opened.body).find(".//{%s}EnumerationContext" % NS_ENUM).text
    pull = ('<Pull xmlns="%s"><EnumerationContext>%s</EnumerationContext><MaxElements>999</MaxElements></Pull>'
            % (NS_ENUM, context))
    pulled = console.client.post(envelope(ENUMERATION + "Pull", uri, pull))
    if fault_subcode(pulled) is not None:
        return fault_subcode(pulled), []
    answer = ET.fromstring(pulled.body)
    assert answer.find(".//{%s}EndOfSequence" % NS_ENUM) is not None, class_name  # no item left unchecked
    items = answer.find(".//{%s}Items" % NS_ENUM)
    return None, [] if items is None else [{child.tag.rsplit("}", 1)[-1] for child in item} for item in items]


def _mismatch(names: set, table: dict) -> str | None:
    required, optional = set(table["properties"]), set(table["optional"])
    missing, unknown = required - names, names - required - optional
    if missing or unknown:
        return f"missing {sorted(missing)}, not in the table {sorted(unknown)}"
    return None


def _compare(console: Console, class_names) -> tuple[dict, dict]:
    """({class: fault subcode} for classes that faulted, {class: [property names of each item]} for the others),
    after asserting that every item carries exactly what its class's table allows."""
    faults, answered, problems = {}, {}, {}
    for class_name in sorted(class_names):
        fault, items = _enumerate(console, class_name)
        if fault is not None:
            faults[class_name] = fault
            continue
        answered[class_name] = items
        for position, names in enumerate(items):
            problem = _mismatch(names, TABLES[class_name])
            if problem:
                problems[f"{class_name}[{position}]"] = problem
    assert not problems, problems
    return faults, answered


def test_every_served_class_has_exactly_one_table():
    described_twice = {name: modules for name, modules in _MODULES_OF_CLASS.items() if len(modules) > 1}
    assert not described_twice, described_twice
    assert set(TABLES) - set(_COMPONENT_OF_CLASS) == set(), "tables of classes the simulator does not serve"
    assert set(_COMPONENT_OF_CLASS) - set(TABLES) == set(), "served classes without a table"
    assert set(EMPTY_WHEN_CONFIGURED) | READABLE_IN_FACTORY <= set(TABLES)


def test_tables_are_well_formed():
    for class_name, table in TABLES.items():
        assert set(table) == TABLE_KEYS, class_name
        assert isinstance(table["source"], str) and table["source"], class_name
        assert table["properties"], class_name
        for key in ("properties", "optional"):
            assert all(isinstance(name, str) for name in table[key]) and len(set(table[key])) == len(table[key]), class_name
        assert not set(table["properties"]) & set(table["optional"]), class_name


def test_the_compared_generation_serves_every_gated_class():
    assert int(FIRMWARE.split(".", maxsplit=1)[0]) >= max(availability.FIRST_MAJOR.values())


@pytest.mark.parametrize("profile", PROFILES)
def test_every_instance_carries_exactly_the_tables_properties(profile, start_fleet, digest_client, completeness_pki):
    device, console = _console(start_fleet, digest_client, completeness_pki, profile)
    faults, answered = _compare(console, TABLES)
    if device.control_mode == "none":
        assert set(faults.values()) == {"AccessDenied"}, faults
        assert READABLE_IN_FACTORY <= set(answered)
    else:
        assert faults == {}


def _configure(console: Console) -> None:
    """CIRA, a proxy, wired and wireless 802.1X, a static address, Kerberos, environment detection and an alarm."""
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
    assert _return_value(_add_alarm(console, "nightly", _in_hours(5))) == 0


def test_a_configured_device_leaves_no_table_unchecked(start_fleet, digest_client, completeness_pki):
    _device, console = _console(start_fleet, digest_client, completeness_pki, "acm")
    _configure(console)
    faults, answered = _compare(console, TABLES)
    assert faults == {}
    assert {name for name, items in answered.items() if not items} == set(EMPTY_WHEN_CONFIGURED)
    [wired, _wireless] = answered["AMT_EthernetPortSettings"]
    assert {"IPAddress", "SubnetMask", "DefaultGateway", "PrimaryDNS", "SecondaryDNS"} <= wired
    [profile] = answered["AMT_8021XProfile"]
    assert {"AuthenticationProtocol", "ClientCertificate", "ServerCertificateIssue", "Username"} <= profile
    [settings] = answered["IPS_IEEE8021xSettings"]  # the same wired profile, seen through the IPS class
    assert {"AuthenticationProtocol", "RoamingIdentity", "ServerCertificateName", "Username"} <= settings
    assert len(answered["IPS_8021xCredentialContext"]) == 2  # its client certificate and trusted root
    assert {"RealmName", "ServicePrincipalName"} <= answered["AMT_KerberosSettingData"][0]


def test_an_older_generation_lacks_its_gated_classes_and_matches_the_tables_otherwise(start_fleet, digest_client, completeness_pki):
    _device, console = _console(start_fleet, digest_client, completeness_pki, "acm", OLD_FIRMWARE)
    faults, _answered = _compare(console, TABLES)
    lacking = {name for name, major in availability.FIRST_MAJOR.items() if int(OLD_FIRMWARE.split(".", maxsplit=1)[0]) < major}
    assert lacking and lacking <= set(faults)
    assert set(faults.values()) == {"DestinationUnreachable"}, faults
