"""The device model called directly: profiles, firmware rules, persistence, capture shapes."""
import base64
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from amtsim.model import Device
from amtsim.model.firmware import Firmware
from amtsim.types import Effect, Instance, WsmanFault
from model_support import FakePki, admin, local_system, new_device

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "unit" / "fixtures" / "real"


@pytest.fixture(scope="module")
def pki():
    return FakePki()


@pytest.mark.parametrize("version, vulnerable", [
    ("11.6.25.3000", True), ("11.6.27.3264", False), ("6.2.61.3534", True), ("9.5.61.3012", False),
    ("11.8.50.3425", False), ("5.2.70.1000", False), ("16.1.27.2176", False)])
def test_sa_00075_rule(version, vulnerable):
    assert Firmware.parse(version).accepts_empty_digest() is vulnerable


def test_firmware_must_have_four_parts():
    with pytest.raises(ValueError):
        Firmware.parse("16.1.27")


@pytest.mark.parametrize("version, tls_versions", [
    ("11.8.50.3425", ("1.0", "1.1", "1.2")), ("12.0.90.2072", ("1.1", "1.2")), ("15.0.23.1706", ("1.1", "1.2")),
    ("16.1.27.2176", ("1.2",)), ("18.0.5.2000", ("1.2",)), ("19.0.5.2010", ("1.2", "1.3"))])
def test_tls_versions_follow_the_generation(pki, version, tls_versions):
    assert new_device(pki, "ccm", version).tls_versions() == tls_versions


def test_firmware_is_an_object_whose_text_is_the_version(pki):
    device = new_device(pki, "ccm", "15.0.23.1706")
    assert isinstance(device.firmware, Firmware) and str(device.firmware) == "15.0.23.1706"
    assert (device.firmware.major, device.firmware.minor) == (15, 0)
    assert device.to_state()["firmware"] == "15.0.23.1706"


def test_host_power_state_is_visible_to_the_network_side(pki):
    device = new_device(pki, "ccm")
    service = {"Name": "Intel(r) AMT Power Management Service"}
    assert device.host_powered_on()
    for state, powered_on in (("8", False), ("2", True), ("4", False), ("10", True), ("7", False)):
        device.invoke("CIM_PowerManagementService", "RequestPowerStateChange", service, {"PowerState": state}, admin())
        assert device.host_powered_on() is powered_on


@pytest.mark.parametrize("firmware, remote_http, local_http", [
    ("15.0.23.1706", True, True), ("16.1.27.2176", False, True), ("19.0.5.1000", False, False)])
def test_listeners_follow_the_firmware_generation(pki, firmware, remote_http, local_http):
    factory = new_device(pki, "factory", firmware)
    assert factory.listeners()["remote"] == {"http": False, "tls": False, "mutual": False}
    assert factory.listeners()["local"]["http"] is local_http
    ccm = new_device(pki, "ccm", firmware)
    assert ccm.listeners()["remote"] == {"http": remote_http, "tls": True, "mutual": False}
    chain, key = ccm.tls_identity()
    assert b"BEGIN CERTIFICATE" in chain and b"PRIVATE KEY" in key


def test_profiles_and_identity(pki):
    device = new_device(pki, "acm", seed=7)
    assert device.control_mode == "acm"
    assert device.digest_realm.startswith("Digest:") and len(device.digest_realm) == 39
    assert device.server_header == "Intel(R) Active Management Technology 16.1.27.2176"
    assert device.admin_username == "admin" and len(device.admin_password) == 16
    assert device.ha1("admin", "remote") is not None
    assert new_device(pki, "acm", seed=7).admin_password == device.admin_password
    factory = new_device(pki, "factory")
    assert factory.control_mode == "none" and factory.admin_password is None and factory.ha1("admin", "remote") is None
    assert factory.ha1("$$OsAdmin", "local") is not None and factory.ha1("$$OsAdmin", "remote") is None


def test_state_round_trip_keeps_behaviour_and_hides_secrets(pki):
    device = new_device(pki, "acm")
    caller = admin()
    device.invoke("AMT_SetupAndConfigurationService", "SetMEBxPassword", {}, {"Password": "Sup3r$ecretMebx"}, caller)
    device.put("IPS_KVMRedirectionSettingData", {}, Instance("IPS_KVMRedirectionSettingData", {"RFBPassword": "Rfb$ecr3t"}), caller)
    text = json.dumps(device.to_state())
    assert "Sup3r$ecretMebx" not in text and "Rfb$ecr3t" not in text
    assert device.admin_password in text  # kept on purpose for the inventory
    restored = Device.from_state(json.loads(text), pki)
    assert restored.dirty is False
    assert restored.ha1("admin", "remote") == device.ha1("admin", "remote")
    assert restored.to_state() == device.to_state()


def test_new_is_small(pki):
    """How fast Device.new is, is measured by simulator/bench/device_new.py, not asserted here."""
    import tracemalloc
    tracemalloc.start()
    devices = [new_device(pki, "ccm", seed=seed, index=seed) for seed in range(200)]
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert size / len(devices) < 100_000


def test_unknown_class_and_method_faults(pki):
    device = new_device(pki, "ccm")
    with pytest.raises(WsmanFault) as fault:
        device.get("AMT_NoSuchClass", {}, admin())
    assert fault.value.subcode == "DestinationUnreachable"
    with pytest.raises(WsmanFault) as fault:
        device.invoke("AMT_GeneralSettings", "NoSuchMethod", {}, {}, admin())
    assert fault.value.subcode == "ActionNotSupported"
    with pytest.raises(WsmanFault) as fault:
        device.get("AMT_TLSSettingData", {"InstanceID": "nope"}, admin())
    assert fault.value.subcode == "DestinationUnreachable"


def _capture_instances(path: str) -> list:
    root = ElementTree.parse(FIXTURES / path).getroot()
    body = next(child for child in root if child.tag.endswith("Body"))
    items = body.find(".//{http://schemas.xmlsoap.org/ws/2004/09/enumeration}Items")
    elements = list(items) if items is not None else list(body)
    return [{child.tag.split("}")[1]: child.text or "" for child in element} for element in elements]


@pytest.mark.parametrize("path, class_name, selectors", [
    ("amt/general/get.xml", "AMT_GeneralSettings", {}),
    ("amt/setupandconfiguration/get.xml", "AMT_SetupAndConfigurationService", {}),
    ("amt/authorization/get.xml", "AMT_AuthorizationService", {}),
    ("amt/redirectionservice/get.xml", "AMT_RedirectionService", {}),
    ("amt/userinitiatedconnection/get.xml", "AMT_UserInitiatedConnectionService", {}),
    ("amt/wifiportconfiguration/get.xml", "AMT_WiFiPortConfigurationService", {}),
    ("cim/kvm/get.xml", "CIM_KVMRedirectionSAP", {}),
    ("cim/wifi/port/get.xml", "CIM_WiFiPort", {}),
    ("ips/hostbasedsetup/get.xml", "IPS_HostBasedSetupService", {}),
    ("ips/kvmredirection/settings/get.xml", "IPS_KVMRedirectionSettingData", {}),
    ("ips/optin/get.xml", "IPS_OptInService", {}),
    ("cim/software/identity/get.xml", "CIM_SoftwareIdentity", {"InstanceID": "AMTApps"}),
    ("amt/auditlog/get.xml", "AMT_AuditLog", {}),
])
def test_instances_have_the_capture_properties(pki, path, class_name, selectors):
    device = new_device(pki, "acm")
    expected = _capture_instances(path)[0]
    actual = device.get(class_name, selectors, admin())
    assert set(name for name, value in actual.props.items() if value is not None) == set(expected)
    for name, value in expected.items():
        if name in ("ConfigurationNonce", "DigestRealm", "PermanentAddress", "HostName", "DomainName", "HostOSFQDN",
                    "VersionString", "CurrentNumberOfRecords", "PercentageFree", "TimeOfLastRecord", "OptInRequired",
                    "CanModifyOptInPolicy", "OptInPolicy", "SessionTimeout", "EnabledState", "RequestedState"):
            continue
        rendered = actual.props[name]
        rendered = [str(item) for item in rendered] if isinstance(rendered, list) else rendered
        rendered = str(rendered).lower() if isinstance(rendered, bool) else str(rendered)
        assert rendered in (value, [value]) or (isinstance(actual.props[name], list) and value in rendered), name


def test_tls_settings_match_the_capture_on_older_firmware(pki):
    device = new_device(pki, "factory", "15.0.23.1706")
    expected = _capture_instances("amt/tls/settingdata/pull.xml")
    actual = device.enumerate("AMT_TLSSettingData", admin())
    assert [{name: str(value).lower() if isinstance(value, bool) else value
             for name, value in instance.props.items() if value is not None} for instance in actual] == expected


def test_software_identity_follows_the_firmware(pki):
    device = new_device(pki, "ccm", "12.0.67.1579")
    versions = {instance.props["InstanceID"]: instance.props["VersionString"]
                for instance in device.enumerate("CIM_SoftwareIdentity", admin())}
    assert versions["AMT"] == "12.0.67" and versions["Build Number"] == "1579" and versions["Sku"] == "16392"
    assert len(versions) == 11


def test_get_uuid_is_smbios_order(pki):
    device = new_device(pki, "ccm")
    output = dict(device.invoke("AMT_SetupAndConfigurationService", "GetUuid", {}, {}, admin()).outputs)
    import uuid
    assert uuid.UUID(bytes_le=base64.b64decode(output["UUID"])) == uuid.UUID(device.uuid)


def test_local_system_account_cannot_read_admin_classes(pki):
    device = new_device(pki, "ccm")
    with pytest.raises(WsmanFault) as fault:
        device.enumerate("AMT_TLSSettingData", local_system())
    assert fault.value.subcode == "AccessDenied"
    assert device.invoke("AMT_AuthorizationService", "GetAdminAclEntry", {}, {}, local_system()).return_value == 16


def test_effects_are_drained_once(pki):
    device = new_device(pki, "ccm")
    assert device.take_effects() == []
    device.invoke("AMT_SetupAndConfigurationService", "Unprovision", {}, {"ProvisioningMode": "1"}, admin())
    assert device.take_effects() == [Effect("listeners"), Effect("restart", "unprovision")]
    assert device.take_effects() == []
