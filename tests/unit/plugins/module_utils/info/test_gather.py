# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.oob.amt.plugins.module_utils.info.gather import gather
from ansible_collections.oob.amt.plugins.module_utils.info.subsets import SUBSET_CLASSES, SUBSET_NAMES
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, NotPermittedError

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.info.fake_device import FakeClient, captured_instance, captured_items, captured_outputs

AUTH = "AMT_AuthorizationService"
UUID_BYTES = bytes(range(16))


def software_identities():
    names = [("Flash", "12.0.67"), ("AMT", "12.0.67"), ("Sku", "16392"), ("Build Number", "1579")]
    return [{"InstanceID": name, "IsEntity": "true", "VersionString": value} for name, value in names]


def user_pages(inputs):
    # Two pages: handles 1, 2 then 3, as a device with a small page size would answer.
    if inputs["StartIndex"] == 1:
        return {"TotalCount": "3", "HandlesCount": "2", "Handles": ["1", "2"], "ReturnValue": 0}
    return {"TotalCount": "3", "HandlesCount": "1", "Handles": "3", "ReturnValue": 0}


USERS = {
    1: {"DigestUsername": "$$OsAdmin", "AccessPermission": "0", "Realms": "24", "ReturnValue": 0},
    2: {"DigestUsername": "operator", "AccessPermission": "2", "Realms": ["2", "5", "13"], "ReturnValue": 0},
    3: {"KerberosUserSid": "AQUAAAAAAAUVAAAA", "AccessPermission": "1", "Realms": "20", "ReturnValue": 0},
}


ROOT_SHA256 = bytes(range(32))
ROOT_SHA1 = bytes(range(100, 120))
CERTIFICATE_HASHES = [
    {"ElementName": "Example Root CA", "InstanceID": "Intel(r) AMT Certificate Hash: 0", "HashType": "2", "IsDefault": "true",
     "Enabled": "true", "HashData": base64.b64encode(ROOT_SHA256).decode()},
    {"InstanceID": "Intel(r) AMT Certificate Hash: 1", "HashType": "1", "IsDefault": "false", "Enabled": "false",
     "HashData": base64.b64encode(ROOT_SHA1).decode()},
]

MPS_SERVER = {"AccessInfo": "mps.example.com", "CN": "mps.example.com", "CreationClassName": "AMT_ManagementPresenceRemoteSAP",
              "InfoFormat": "201", "Name": "Intel(r) AMT:Management Presence Server 0", "Port": "4433",
              "SystemCreationClassName": "CIM_ComputerSystem", "SystemName": "Intel(r) AMT"}


def full_device(**overrides):
    instances = {
        "AMT_GeneralSettings": captured_instance("amt/general/get.xml"),
        "AMT_SetupAndConfigurationService": captured_instance("amt/setupandconfiguration/get.xml"),
        "IPS_HostBasedSetupService": captured_instance("ips/hostbasedsetup/get.xml"),
        "AMT_RedirectionService": captured_instance("amt/redirectionservice/get.xml"),
        "CIM_KVMRedirectionSAP": captured_instance("cim/kvm/get.xml"),
        "IPS_KVMRedirectionSettingData": captured_instance("ips/kvmredirection/settings/get.xml"),
        "IPS_OptInService": captured_instance("ips/optin/get.xml"),
        "AMT_AuditLog": captured_instance("amt/auditlog/get.xml"),
        "AMT_AuditPolicyRule": {"AuditApplicationEventID": ["1048576", "1048577", "1310720"], "PolicyType": ["0", "0", "0"]},
        "AMT_WiFiPortConfigurationService": captured_instance("amt/wifiportconfiguration/get.xml"),
        "AMT_EnvironmentDetectionSettingData": captured_instance("amt/environmentdetection/get.xml"),
        "AMT_WebUIService": {"EnabledState": "3"},
        "AMT_UserInitiatedConnectionService": captured_instance("amt/userinitiatedconnection/get.xml"),
        "AMT_KerberosSettingData": {"KrbEnabled": "false", "RealmName": "", "ConfiguredEncryptionAlgorithms": ["0", "2"],
                                    "Passphrase": "kerberos-secret", "MasterKey": "c2VjcmV0"},
    }
    enumerations = {
        "CIM_SoftwareIdentity": software_identities(),
        "AMT_ProvisioningCertificateHash": CERTIFICATE_HASHES,
        "AMT_TLSSettingData": captured_items("amt/tls/settingdata/pull.xml"),
        "AMT_TLSCredentialContext": [],
        "AMT_PublicKeyCertificate": [],
        "AMT_PublicPrivateKeyPair": [],
        "AMT_EthernetPortSettings": [{"InstanceID": "Intel(r) AMT Ethernet Port Settings 0", "MACAddress": "00-be-43-d8-22-a4",
                                      "DHCPEnabled": "true", "LinkIsUp": "true", "IPAddress": "192.0.2.5", "PhysicalConnectionType": "0"}],
        "AMT_ManagementPresenceRemoteSAP": [MPS_SERVER],
        "AMT_RemoteAccessPolicyRule": [{"CreationClassName": "AMT_RemoteAccessPolicyRule", "PolicyRuleName": "Periodic", "Trigger": "2",
                                        "TunnelLifeTime": "0", "ExtendedData": "AAAAAAAAADw="}],
        "AMT_RemoteAccessPolicyAppliesToMPS": [{"ManagedElement": {"selectors": {"Name": MPS_SERVER["Name"]}}, "MpsType": "1",
                                                "OrderOfAccess": "0", "PolicySet": {"selectors": {"PolicyRuleName": "Periodic"}}}],
        "AMT_RemoteAccessCredentialContext": [{
            "ElementInContext": {"resource_uri": "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_MPSUsernamePassword",
                                 "selectors": {"InstanceID": "Intel(r) AMT:MPS Username Password 0"}},
            "ElementProvidingContext": {"selectors": {"Name": MPS_SERVER["Name"]}}}],
        "AMT_MPSUsernamePassword": [{"InstanceID": "Intel(r) AMT:MPS Username Password 0", "RemoteID": "meshuser", "Secret": "mps-secret"}],
        "CIM_WiFiEndpointSettings": captured_items("cim/wifi/endpointsettings/pull.xml"),
        "CIM_WiFiPort": [captured_instance("cim/wifi/port/get.xml")],
        "CIM_AssociatedPowerManagementService": [{"PowerState": "2", "AvailableRequestedPowerStates": ["2", "8", "10"]}],
    }
    methods = {
        ("AMT_SetupAndConfigurationService", "GetUuid"): {"UUID": base64.b64encode(UUID_BYTES).decode(), "ReturnValue": 0},
        (AUTH, "GetAdminAclEntry"): captured_outputs("amt/authorization/getadminaclentry.xml", "GetAdminAclEntry"),
        (AUTH, "GetAdminAclEntryStatus"): captured_outputs("amt/authorization/getadminaclentrystatus.xml", "GetAdminAclEntryStatus"),
        (AUTH, "GetAdminNetAclEntryStatus"): captured_outputs("amt/authorization/getadminnetaclentrystatus.xml", "GetAdminNetAclEntryStatus"),
        (AUTH, "EnumerateUserAclEntries"): user_pages,
        (AUTH, "GetUserAclEntryEx"): lambda inputs: USERS[inputs["Handle"]],
    }
    client = FakeClient(instances, enumerations, methods)
    for key, value in overrides.items():
        setattr(client, key, value)
    return client


def test_firmware_facts():
    facts = gather(full_device(), ["firmware"])["firmware"]
    assert facts["version"] == "12.0.67"
    assert facts["build"] == "1579"
    assert facts["full_version"] == "12.0.67.1579"
    assert facts["sku"] == 16392
    assert facts["sku_features"] == ["AMT Pro", "Corporate"]


def test_firmware_without_amt_identity_is_a_device_error():
    client = full_device()
    client.enumerations["CIM_SoftwareIdentity"] = [{"InstanceID": "Flash", "VersionString": "12.0.67"}]
    with pytest.raises(DeviceError):
        gather(client, ["firmware"])


def test_provisioning_from_real_captures():
    facts = gather(full_device(), ["provisioning"])["provisioning"]
    assert facts["state"] == "post"
    assert facts["control_mode"] in ("ccm", "acm")
    assert facts["zero_touch_enabled"] is True


def test_provisioning_reports_each_root_hash_in_hex_with_its_type():
    hashes = gather(full_device(), ["provisioning"])["provisioning"]["certificate_hashes"]
    assert hashes == [
        {"name": "Example Root CA", "hash_type": "sha256", "hash": ROOT_SHA256.hex(), "default": True, "enabled": True},
        # Without an ElementName the entry is named by its InstanceID.
        {"name": "Intel(r) AMT Certificate Hash: 1", "hash_type": "sha1", "hash": ROOT_SHA1.hex(), "default": False, "enabled": False},
    ]


def test_unknown_hash_type_stays_a_number():
    client = full_device()
    client.enumerations["AMT_ProvisioningCertificateHash"] = [dict(CERTIFICATE_HASHES[0], HashType="7")]
    assert gather(client, ["provisioning"])["provisioning"]["certificate_hashes"][0]["hash_type"] == 7


def test_hash_data_that_is_not_base64_is_a_device_error_naming_the_property():
    client = full_device()
    client.enumerations["AMT_ProvisioningCertificateHash"] = [dict(CERTIFICATE_HASHES[0], HashData="not base64!")]
    with pytest.raises(DeviceError, match="AMT_ProvisioningCertificateHash.HashData"):
        gather(client, ["provisioning"])


def test_unreadable_or_absent_root_hashes_leave_the_rest_of_the_provisioning_subset():
    absent = gather(full_device(absent={"AMT_ProvisioningCertificateHash"}), ["provisioning"])["provisioning"]
    assert absent["certificate_hashes"] is None and absent["state"] == "post"
    client = full_device()

    def not_permitted(class_name):
        raise NotPermittedError("%s: AccessDenied" % class_name)
    client.enumerate = not_permitted
    refused = gather(client, ["provisioning"])["provisioning"]
    assert refused["certificate_hashes"] is None and refused["state"] == "post"


def test_general_uses_the_smbios_uuid_and_realm():
    facts = gather(full_device(), ["general"])["general"]
    assert facts["uuid"] == "03020100-0504-0706-0809-0a0b0c0d0e0f"
    assert facts["digest_realm"].startswith("Digest:")


def test_general_and_network_report_what_amt_general_manages_in_its_option_names():
    facts = gather(full_device(), ["general", "network"])
    general = facts["general"]
    assert general["host_name"] == "Test Host Name" and general["domain_name"] == "Test Domain Name"
    assert general["ping_response_enabled"] is True and general["rmcp_ping_response_enabled"] is True
    assert general["shared_fqdn"] is True and general["idle_wake_timeout"] == 1 and general["presence_notification_interval"] == 0
    network = facts["network"]
    assert network["web_ui_enabled"] is False
    assert network["detection_domains"] == ["b332bb28-ef3a-43b0-b998-342285ac1e26.com", "test.com"]
    assert network["detection_ipv6_prefixes"] == []
    assert "environment_detection" not in network


def test_network_reports_cira_as_amt_cira_names_it():
    network = gather(full_device(), ["network"])["network"]
    assert network["mps_servers"] == [{"address": "mps.example.com", "port": 4433, "cn": "mps.example.com", "username": "meshuser",
                                       "password": "********"}]
    assert network["cira_policies"] == [{"trigger": "periodic", "servers": ["mps.example.com"], "tunnel_lifetime": 0, "interval": 60,
                                         "daily_at": None, "mps_type": "internal"}]
    assert network["cira_user_initiated"] == "bios_and_os"


def test_network_without_cira_classes_reports_none():
    network = gather(full_device(absent={"AMT_ManagementPresenceRemoteSAP", "AMT_UserInitiatedConnectionService"}), ["network"])["network"]
    assert (network["mps_servers"], network["cira_policies"], network["cira_user_initiated"]) == (None, None, None)
    network = gather(full_device(absent={"AMT_UserInitiatedConnectionService"}), ["network"])["network"]
    assert network["cira_user_initiated"] is None and len(network["mps_servers"]) == 1


def test_users_walk_every_page_and_every_handle():
    client = full_device()
    facts = gather(client, ["users"])["users"]
    # amt_user's vocabulary, so that the list can be given back to it; a SID without a SID's layout stays base64.
    assert facts["accounts"] == [
        {"name": "operator", "type": "digest", "kerberos_sid": None, "access": "any", "realms": ["general_info", "redirection", "remote_control"]},
        {"name": None, "type": "kerberos", "kerberos_sid": "AQUAAAAAAAUVAAAA", "access": "network", "realms": ["audit_log"]}]
    assert [account["name"] for account in facts["system_accounts"]] == ["$$OsAdmin"]
    starts = [call for call in client.calls if call[2:3] == ("EnumerateUserAclEntries",)]
    assert len(starts) == 2
    assert all(call[3] is True for call in client.calls if call[0] == "invoke"), "reads must not drop the client's cache"
    assert facts["kerberos"]["encryption_algorithms"] == ["rc4_hmac", "aes256_cts_hmac_sha1_96"]


def test_audit_policy_events_decode_application_and_event():
    # The captured default policy starts 1048576 = 16/0; 1310720 = 20/0.
    facts = gather(full_device(), ["audit"])["audit"]
    assert facts["policy"]["events"] == {"security_admin": ["provisioning_started", "provisioning_completed"],
                                         "security_audit_log": ["log_cleared"]}
    assert facts["policy"]["state"] == "enabled"
    assert facts["policy"]["storage_policy"] == "rollover"
    assert "no_signing_key" in facts["log"]["state_flags"]


def test_redirection_from_real_captures():
    facts = gather(full_device(), ["redirection"])["redirection"]
    assert facts["kvm_supported"] is True
    assert facts["kvm"] is True      # captured EnabledState 6 = enabled but offline
    assert facts["user_consent"] == "none" and facts["sol"] is True and facts["listener"] is True


def test_absent_optional_classes_are_reported_not_fatal():
    client = full_device(absent={"CIM_KVMRedirectionSAP", "AMT_WiFiPortConfigurationService", "AMT_WebUIService"})
    facts = gather(client, ["redirection", "wifi", "network"])
    assert facts["redirection"]["kvm_supported"] is False and facts["redirection"]["vnc_port_5900"] is None
    assert facts["wifi"] == {"profiles": []}
    assert facts["network"]["web_ui_enabled"] is None
    assert ("get", "IPS_KVMRedirectionSettingData") not in client.calls
    assert ("enumerate", "CIM_WiFiEndpointSettings") not in client.calls


def test_absent_required_class_fails():
    with pytest.raises(DeviceError):
        gather(full_device(absent={"AMT_AuditLog"}), ["audit"])


def test_other_faults_on_optional_classes_propagate():
    client = full_device()

    def access_denied(class_name, selectors=None):
        raise DeviceError("denied", class_name=class_name, fault="AccessDenied")
    client.get = access_denied
    with pytest.raises(DeviceError):
        gather(client, ["network"])


@pytest.mark.parametrize("subset", SUBSET_NAMES)
def test_each_subset_reads_only_its_declared_classes_once(subset):
    client = full_device()
    gather(client, [subset])
    read = [call[1] for call in client.calls if call[0] in ("get", "enumerate")]
    touched = {call[1] for call in client.calls}
    assert touched <= set(SUBSET_CLASSES[subset])
    assert len(read) == len(set(read))


def test_all_subsets_return_no_secret_from_the_device():
    facts = gather(full_device(), list(SUBSET_NAMES))
    text = json.dumps(facts)
    setup = captured_instance("amt/setupandconfiguration/get.xml")
    for secret in (setup["ProvisioningServerOTP"], "kerberos-secret", "c2VjcmV0", "mps-secret",
                   captured_instance("ips/hostbasedsetup/get.xml").get("ConfigurationNonce")):
        assert secret and secret not in text
    assert list(facts) == list(SUBSET_NAMES)
