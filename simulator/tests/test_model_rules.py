"""State rules of the device model: accounts, provisioning, audit, TLS, wireless, redirection, power."""
import base64
import hashlib
import time

import pytest

from amtsim.model.audit_records import decode_record
from amtsim.types import EPR, Effect, Instance, WsmanFault, class_uri
from model_support import FakePki, admin, der, local_system, new_device, user


@pytest.fixture(scope="module")
def pki():
    return FakePki()


def call(device, class_name, method, inputs=None, caller=None, selectors=None):
    outcome = device.invoke(class_name, method, selectors or {}, inputs or {}, caller or admin())
    return outcome.return_value, dict(outcome.outputs)


def digest_b64(device, name, password):
    return base64.b64encode(hashlib.md5(f"{name}:{device.digest_realm}:{password}".encode()).digest()).decode()


def add_user(device, name, realms, permission="2"):
    return call(device, "AMT_AuthorizationService", "AddUserAclEntryEx", {
        "DigestUsername": name, "DigestPassword": digest_b64(device, name, "P@ssw0rd!"),
        "AccessPermission": permission, "Realms": [str(realm) for realm in realms]})


def records(device):
    return [(record["app"], record["event"]) for record in device.audit.decoded_records()]


# --- accounts ---------------------------------------------------------------------------------------------
def test_users_realms_limit_and_enumeration(pki):
    device = new_device(pki, "ccm")
    code, outputs = add_user(device, "operator", [2, 5], permission="1")
    assert code == 0 and outputs["Handle"] == 3
    assert device.ha1("operator", "remote") == hashlib.md5(f"operator:{device.digest_realm}:P@ssw0rd!".encode()).hexdigest()
    assert device.ha1("operator", "local") is None
    assert device.realms_of("operator") == frozenset({2, 5})
    assert add_user(device, "operator", [2])[0] == 2058
    assert add_user(device, "$$sneaky", [2])[0] == 12
    assert add_user(device, "bad", [22])[0] == 2055
    for number in range(7):
        assert add_user(device, f"user{number}", [2])[0] == 0
    assert add_user(device, "ninth", [2])[0] == 23
    code, outputs = call(device, "AMT_AuthorizationService", "EnumerateUserAclEntries", {"StartIndex": "1"})
    assert code == 0 and outputs["TotalCount"] == 10 and outputs["Handles"][:3] == [1, 2, 3]
    code, outputs = call(device, "AMT_AuthorizationService", "GetUserAclEntryEx", {"Handle": "1"})
    assert outputs["DigestUsername"] == "$$OsAdmin"
    assert call(device, "AMT_AuthorizationService", "RemoveUserAclEntry", {"Handle": "1"})[0] == 16
    assert call(device, "AMT_AuthorizationService", "RemoveUserAclEntry", {"Handle": "3"})[0] == 0
    assert call(device, "AMT_AuthorizationService", "RemoveUserAclEntry", {"Handle": "3"})[0] == 2053
    assert (16, 2) in records(device) and (16, 4) in records(device)


def test_auditor_takes_the_audit_log_from_admin(pki):
    device = new_device(pki, "ccm")
    assert call(device, "AMT_AuditLog", "ClearLog")[0] == 0
    assert add_user(device, "auditor", [20])[0] == 0
    assert add_user(device, "auditor2", [20])[0] == 23
    assert call(device, "AMT_AuditLog", "ClearLog")[0] == 16
    auditor = user(device, "auditor")
    assert call(device, "AMT_AuditLog", "ClearLog", caller=auditor)[0] == 0
    assert records(device) == [(20, 0)]
    assert call(device, "AMT_AuditLog", "RequestStateChange", {"RequestedState": "3"}, auditor)[0] == 0
    assert device.get("AMT_AuditLog", {}, auditor).props["AuditState"] & 0x01


def test_set_admin_changes_the_login(pki):
    device = new_device(pki, "ccm")
    assert call(device, "AMT_AuthorizationService", "SetAdminAclEntryEx",
                {"Username": "boss", "DigestPassword": digest_b64(device, "boss", "N3w!Passw0rd")})[0] == 0
    assert device.ha1("admin", "remote") is None and device.ha1("boss", "remote") is not None
    assert device.admin_password is None
    assert call(device, "AMT_AuthorizationService", "GetAdminAclEntry")[1]["Username"] == "boss"


# --- audit records --------------------------------------------------------------------------------------
def test_records_use_the_firmware_layout_and_paging(pki):
    device = new_device(pki, "ccm")
    for number in range(12):
        add_user(device, f"u{number}", [2])
    code, outputs = call(device, "AMT_AuditLog", "ReadRecords", {"StartIndex": "1"})
    total = outputs["TotalRecordCount"]
    assert code == 0 and outputs["RecordsReturned"] == 10 and len(outputs["EventRecords"]) == 10
    last = call(device, "AMT_AuditLog", "ReadRecords", {"StartIndex": "11"})[1]
    assert last["RecordsReturned"] == total - 10
    assert call(device, "AMT_AuditLog", "ReadRecords", {"StartIndex": str(total + 1)})[0] == 35
    raw = base64.b64decode(outputs["EventRecords"][-1])
    assert raw[:5] == bytes([0, 16, 0, 2, 0]) and raw[5] == len("admin") and raw[6:11] == b"admin"
    assert decode_record(base64.b64decode("ABMAAAI/9M1uAgAQAAwAAAAoBZkADAAAACQFlA=="))["app"] == 19


def test_power_actions_are_audited_once_the_policy_enables_them(pki):
    device = new_device(pki, "ccm")
    service = {"Name": "Intel(r) AMT Power Management Service"}
    assert call(device, "CIM_PowerManagementService", "RequestPowerStateChange", {"PowerState": "8"}, selectors=service)[0] == 0
    assert (17, 1) not in records(device)
    assert call(device, "AMT_AuditPolicyRule", "SetAuditPolicyBulk", {
        "Enable": ["true"], "AuditedAppID": ["17"], "EventID": ["0"], "PolicyType": ["0"]})[0] == 0
    call(device, "CIM_PowerManagementService", "RequestPowerStateChange", {"PowerState": "2"}, selectors=service)
    assert records(device)[-2:] == [(20, 1), (17, 0)]


# --- provisioning ---------------------------------------------------------------------------------------
def _send_chain(device, pki, leaf):
    caller = local_system()
    assert call(device, "IPS_HostBasedSetupService", "AddNextCertInChain", {
        "NextCertificate": base64.b64encode(der(leaf)).decode(), "IsLeafCertificate": "true",
        "IsRootCertificate": "false"}, caller)[0] == 0
    return call(device, "IPS_HostBasedSetupService", "AddNextCertInChain", {
        "NextCertificate": base64.b64encode(der(pki.root)).decode(), "IsLeafCertificate": "false",
        "IsRootCertificate": "true"}, caller)[0]


def _admin_setup(device, pki, signature=None):
    nonce = base64.b64decode(device.get("IPS_HostBasedSetupService", {}, local_system()).props["ConfigurationNonce"])
    mc_nonce = bytes(range(20))
    return call(device, "IPS_HostBasedSetupService", "AdminSetup", {
        "NetAdminPassEncryptionType": "2",
        "NetworkAdminPassword": hashlib.md5(f"admin:{device.digest_realm}:Adm1n!pass".encode()).hexdigest(),
        "McNonce": base64.b64encode(mc_nonce).decode(), "SigningAlgorithm": "2",
        "DigitalSignature": base64.b64encode(signature or pki.sign_nonces(nonce, mc_nonce)).decode()}, local_system())[0]


def test_admin_setup_with_chain_and_signature(pki):
    device = new_device(pki, "factory")
    assert _admin_setup(device, pki) == 2  # no chain yet
    assert _send_chain(device, pki, pki.make_leaf("provisioning.other.test")) == 4  # DNS suffix mismatch
    assert _send_chain(device, pki, pki.make_leaf(f"x.{pki.dns_suffix}", eku=())) == 4  # not a provisioning cert
    assert _send_chain(device, pki, pki.leaf) == 0
    assert device.get("IPS_HostBasedSetupService", {}, local_system()).props["CertChainStatus"] == 2
    assert _admin_setup(device, pki, signature=b"\x00" * 256) == 5
    assert _admin_setup(device, pki) == 0
    assert device.control_mode == "acm" and device.listeners()["remote"]["tls"] is True
    assert Effect("restart", "activation") in device.take_effects()
    assert (16, 1) in records(device)
    assert _admin_setup(device, pki) == 2
    assert device.take_effects() == [Effect("hang", "activation")]


def test_setup_is_local_only_and_commits_on_amt_19(pki):
    device = new_device(pki, "factory", "19.0.5.1000")
    inputs = {"NetAdminPassEncryptionType": "2", "NetworkAdminPassword": "0" * 32}
    remote = local_system().__class__(interface="remote", tls=True, username="$$OsAdmin", realms=frozenset({24}))
    assert call(device, "IPS_HostBasedSetupService", "Setup", inputs, remote)[0] == 4
    assert call(device, "IPS_HostBasedSetupService", "Setup", inputs, local_system(tls=True))[0] == 0
    assert device.control_mode == "none"
    assert call(device, "AMT_SetupAndConfigurationService", "CommitChanges", caller=admin("local"))[0] == 0
    assert device.control_mode == "ccm"


def test_amt19_host_based_acm_over_mei_and_mutual_tls(pki):
    device = new_device(pki, "factory", "19.0.5.1000")
    assert device.mei("GetChangeEnabled", {})["change_enabled"] & 0x40
    answer = device.mei("StartConfigurationHBased", {"hash_algorithm": 2, "server_cert_hash": hashlib.sha256(der(pki.leaf)).hexdigest(),
                                                     "host_vpn_enable": False, "dns_suffixes": []})
    assert answer["status"] == 0 and len(answer["amt_cert_hash"]) == 64
    assert device.listeners()["local"]["mutual"] is True and pki.provisioning_root_cert_pem in device.trusted_client_roots()
    caller = local_system(tls=True, client_cert_der=der(pki.leaf))
    assert call(device, "AMT_AuthorizationService", "SetAdminAclEntryEx",
                {"Username": "admin", "DigestPassword": digest_b64(device, "admin", "Adm1n!pass")}, caller)[0] == 0
    assert call(device, "AMT_SetupAndConfigurationService", "CommitChanges", caller=caller)[0] == 2057
    assert call(device, "AMT_SetupAndConfigurationService", "SetMEBxPassword", {"Password": "weak"}, caller)[0] == 2054
    assert call(device, "AMT_SetupAndConfigurationService", "SetMEBxPassword", {"Password": "Str0ng!Mebx"}, caller)[0] == 0
    assert call(device, "AMT_SetupAndConfigurationService", "CommitChanges", caller=caller)[0] == 0
    assert device.control_mode == "acm" and device.mei("GetControlMode", {})["control_mode"] == 2


def test_acm_lands_in_ccm_fault_fails_the_amt19_commit_into_ccm(pki):
    device = new_device(pki, "factory", "19.0.5.1000")
    device.provisioning.acm_commit_lands_in_ccm = True
    device.mei("StartConfigurationHBased", {"hash_algorithm": 2, "server_cert_hash": hashlib.sha256(der(pki.leaf)).hexdigest(),
                                            "dns_suffixes": []})
    caller = local_system(tls=True, client_cert_der=der(pki.leaf))
    call(device, "AMT_AuthorizationService", "SetAdminAclEntryEx",
         {"Username": "admin", "DigestPassword": digest_b64(device, "admin", "Adm1n!pass")}, caller)
    assert call(device, "AMT_SetupAndConfigurationService", "SetMEBxPassword", {"Password": "Str0ng!Mebx"}, caller)[0] == 0
    assert call(device, "AMT_SetupAndConfigurationService", "CommitChanges", caller=caller)[0] == 1
    assert (device.control_mode, device.provisioning.provisioning_state) == ("ccm", 2)
    assert device.mei("StopConfiguration", {})["status"] == 3
    assert device.listeners()["local"]["mutual"] is False
    assert device.ha1("admin", "local") == hashlib.md5(f"admin:{device.digest_realm}:Adm1n!pass".encode()).hexdigest()
    # The other activation paths are untouched: CCM to ACM still works on the same device.
    assert device.mei("GetControlMode", {})["control_mode"] == 1


def test_the_fault_leaves_ccm_activation_alone(pki):
    device = new_device(pki, "factory", "19.0.5.1000")
    device.provisioning.acm_commit_lands_in_ccm = True
    call(device, "IPS_HostBasedSetupService", "Setup", {"NetAdminPassEncryptionType": "2", "NetworkAdminPassword": "0" * 32},
         local_system(tls=True))
    assert call(device, "AMT_SetupAndConfigurationService", "CommitChanges", caller=admin("local"))[0] == 0
    assert device.control_mode == "ccm"


# --- clock ------------------------------------------------------------------------------------------------
def test_clock_is_set_from_a_low_accuracy_reading_and_audited(pki):
    device = new_device(pki, "acm")
    device.audit.policy["21:0"] = 0
    code, outputs = call(device, "AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch")
    ta0 = int(outputs["Ta0"])
    assert code == 0 and abs(ta0 - time.time()) < 5
    target = 1956528000  # 2032-01-01T00:00:00Z
    assert call(device, "AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch",
                {"Ta0": str(ta0 + 1), "Tm1": str(target), "Tm2": str(target)})[0] == 36
    assert call(device, "AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch",
                {"Ta0": str(ta0), "Tm1": str(target), "Tm2": str(target - 1)})[0] == 36
    assert call(device, "AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch",
                {"Ta0": str(ta0), "Tm1": str(target), "Tm2": str(target)})[0] == 0
    assert abs(device.clock.now() - target) <= 2
    assert device.get("AMT_TimeSynchronizationService", {}, admin()).props["TimeSource"] == 1
    assert call(device, "AMT_TimeSynchronizationService", "SetHighAccuracyTimeSynch",
                {"Ta0": str(ta0), "Tm1": str(target), "Tm2": str(target)})[0] == 36, "a Ta0 is good for one setting"
    last = device.audit.decoded_records()[-1]
    assert (last["app"], last["event"]) == (21, 0)
    device.provisioning.unprovision(admin(), partial=False)
    assert abs(device.clock.now() - target) <= 2, "unprovisioning leaves the clock alone"


def test_clock_needs_the_network_time_realm(pki):
    device = new_device(pki, "acm")
    assert call(device, "AMT_TimeSynchronizationService", "GetLowAccuracyTimeSynch", caller=local_system())[0] == 16
    with pytest.raises(WsmanFault):
        device.get("AMT_TimeSynchronizationService", {}, local_system())


@pytest.mark.parametrize("firmware, blocked, suffix_kept", [("11.8.50.3425", True, False), ("12.0.67.1579", False, True)])
def test_unprovision_auditor_lock_and_dns_suffix(pki, firmware, blocked, suffix_kept):
    device = new_device(pki, "acm", firmware)
    add_user(device, "auditor", [20])
    code = call(device, "AMT_SetupAndConfigurationService", "Unprovision", {"ProvisioningMode": "1"})[0]
    assert (code == 16) is blocked
    if blocked:
        auditor = user(device, "auditor")
        assert call(device, "AMT_AuditLog", "SetAuditLock", {"LockTimeoutInSeconds": "60", "Flag": "1"}, auditor)[0] == 0
        assert call(device, "AMT_SetupAndConfigurationService", "Unprovision", {"ProvisioningMode": "1"})[0] == 0
    assert device.control_mode == "none" and device.ha1("admin", "remote") is None
    assert (device.mei("GetDNSSuffix", {})["dns_suffix"] == pki.dns_suffix) is suffix_kept
    assert (16, 19) in records(device)


def test_mebx_password_is_blocked_in_ccm_and_ccm_leaves_over_mei(pki):
    device = new_device(pki, "ccm")
    assert call(device, "AMT_SetupAndConfigurationService", "SetMEBxPassword", {"Password": "Str0ng!Mebx"})[0] == 16
    assert device.mei("Unprovision", {"mode": 0})["status"] == 0 and device.control_mode == "none"
    # rpc-go pkg/pthi: firmware refuses a host unprovision of ACM with AMT_STATUS_INVALID_AMT_MODE
    acm = new_device(pki, "acm")
    assert acm.mei("Unprovision", {"mode": 0})["status"] == 3 and acm.control_mode == "acm"


# --- TLS ------------------------------------------------------------------------------------------------
def test_tls_rules_on_csme_16_1(pki):
    device = new_device(pki, "ccm", "16.1.27.2176")
    remote = device.get("AMT_TLSSettingData", {"InstanceID": "Intel(r) AMT 802.3 TLS Settings"}, admin())
    assert remote.props["NonSecureConnectionsSupported"] is False and remote.props["AcceptNonSecureConnections"] is False
    for change in ({"Enabled": "false"}, {"AcceptNonSecureConnections": "true"}):
        with pytest.raises(WsmanFault) as fault:
            device.put("AMT_TLSSettingData", {"InstanceID": "Intel(r) AMT 802.3 TLS Settings"},
                       Instance("AMT_TLSSettingData", change), admin())
        assert fault.value.subcode == "AccessDenied"


def test_tls_enable_flow_on_older_firmware(pki):
    device = new_device(pki, "factory", "15.0.23.1706")
    device.provisioning.control_mode, device.provisioning.provisioning_state = "ccm", 2
    device.accounts.set_admin_password("admin", "Adm1n!pass")
    code, outputs = call(device, "AMT_PublicKeyManagementService", "GenerateKeyPair", {"KeyAlgorithm": "0", "KeyLength": "2048"})
    assert code == 0 and outputs["KeyPair"].selector("InstanceID") == "Intel(r) AMT Key: Handle: 0"
    assert call(device, "AMT_PublicKeyManagementService", "AddCertificate",
                {"CertificateBlob": base64.b64encode(der(pki.leaf)).decode()})[0] == 2062  # no matching key
    with pytest.raises(WsmanFault):
        device.create("AMT_TLSCredentialContext", Instance("AMT_TLSCredentialContext", {}), admin())
    code, outputs = call(device, "AMT_PublicKeyManagementService", "AddTrustedRootCertificate",
                         {"CertificateBlob": base64.b64encode(der(pki.root)).decode()})
    assert code == 0 and outputs["CreatedCertificate"].selector("InstanceID") == "Intel(r) AMT Certificate: Handle: 0"
    device.tls.configure_from_pki()
    with pytest.raises(WsmanFault) as fault:
        device.create("AMT_TLSCredentialContext", Instance("AMT_TLSCredentialContext", {
            "ElementInContext": EPR(class_uri("AMT_PublicKeyCertificate"), (("InstanceID", "Intel(r) AMT Certificate: Handle: 0"),))}), admin())
    assert fault.value.subcode == "AlreadyExists"
    device.put("AMT_TLSSettingData", {"InstanceID": "Intel(r) AMT 802.3 TLS Settings"},
               Instance("AMT_TLSSettingData", {"Enabled": "true", "AcceptNonSecureConnections": "false", "MutualAuthentication": "true"}), admin())
    device.take_effects()
    assert call(device, "AMT_SetupAndConfigurationService", "CommitChanges")[0] == 0
    assert device.take_effects() == [Effect("listeners"), Effect("restart", "commit_tls")]
    assert device.listeners()["remote"] == {"http": False, "tls": True, "mutual": True}
    assert pki.ca_cert_pem in device.trusted_client_roots()


def test_add_key_takes_a_pkcs1_rsa_key_once_and_a_certificate_for_it(pki):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    device = new_device(pki, "acm")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    blob = base64.b64encode(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                              serialization.NoEncryption())).decode()
    code, outputs = call(device, "AMT_PublicKeyManagementService", "AddKey", {"KeyBlob": blob})
    assert code == 0 and outputs["CreatedKey"].selector("InstanceID").startswith("Intel(r) AMT Key: Handle: ")
    assert call(device, "AMT_PublicKeyManagementService", "AddKey", {"KeyBlob": blob})[0] == 2058  # DUPLICATE
    assert call(device, "AMT_PublicKeyManagementService", "AddKey", {"KeyBlob": "bm90IGEga2V5"})[0] == 2062  # INVALID_KEY
    curve = ec.generate_private_key(ec.SECP256R1()).private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                                  serialization.NoEncryption())
    assert call(device, "AMT_PublicKeyManagementService", "AddKey", {"KeyBlob": base64.b64encode(curve).decode()})[0] == 2062
    keys = device.enumerate("AMT_PublicPrivateKeyPair", admin())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert base64.b64encode(public).decode() in [entry.props["DERKey"] for entry in keys]
    assert "PRIVATE" not in str([entry.props for entry in keys])


# --- wireless, redirection, power (the PyPI amt client's calls) -----------------------------------------
def _wifi_inputs(name, auth=6, enc=4, **extra):
    settings = dict({"ElementName": name, "SSID": "corp", "AuthenticationMethod": str(auth), "EncryptionMethod": str(enc),
                     "Priority": "1", "PSKPassPhrase": "Secr3tPassphrase"}, **extra)
    return {"WiFiEndpoint": EPR(class_uri("CIM_WiFiEndpoint"), (("Name", "WiFi Endpoint 0"),)),
            "WiFiEndpointSettingsInput": Instance("CIM_WiFiEndpointSettings", settings)}


def test_wifi_profiles(pki):
    device = new_device(pki, "acm", "16.1.27.2176")
    service = "AMT_WiFiPortConfigurationService"
    assert call(device, service, "AddWiFiSettings", _wifi_inputs("office"))[0] == 0
    assert call(device, service, "AddWiFiSettings", _wifi_inputs("open", auth=2, enc=5))[0] == 3
    assert call(device, service, "AddWiFiSettings", _wifi_inputs("tkip", enc=3))[0] == 3  # no TKIP on CSME 16+
    profiles = device.enumerate("CIM_WiFiEndpointSettings", admin())
    assert [profile.props["ElementName"] for profile in profiles] == ["office"]
    assert "PSKPassPhrase" not in profiles[0].props
    assert "Secr3tPassphrase" not in str(device.to_state())
    device.delete("CIM_WiFiEndpointSettings", {"InstanceID": profiles[0].props["InstanceID"]}, admin())
    assert device.enumerate("CIM_WiFiEndpointSettings", admin()) == []
    for number in range(16):
        assert call(device, service, "AddWiFiSettings", _wifi_inputs(f"p{number}"))[0] == 0
    assert call(device, service, "AddWiFiSettings", _wifi_inputs("p16"))[0] == 23
    caps = device.get("CIM_WiFiEndpointCapabilities", {}, admin()).props
    assert 3 not in caps["SupportedEncryptionMethods"] and 2 not in caps["SupportedEncryptionMethods"]


def test_opt_in_is_fixed_in_ccm_and_free_in_acm(pki):
    ccm = new_device(pki, "ccm")
    assert ccm.get("IPS_OptInService", {}, admin()).props["OptInRequired"] == 4294967295
    with pytest.raises(WsmanFault):
        ccm.put("IPS_OptInService", {}, Instance("IPS_OptInService", {"OptInRequired": "0"}), admin())
    acm = new_device(pki, "acm")
    acm.put("IPS_OptInService", {}, Instance("IPS_OptInService", {"OptInRequired": "4294967295"}), admin())
    assert acm.get("IPS_OptInService", {}, admin()).props["OptInRequired"] == 4294967295
    assert call(acm, "IPS_OptInService", "CancelOptIn")[0] == 2
    assert call(acm, "IPS_OptInService", "StartOptIn")[0] == 0
    assert call(acm, "IPS_OptInService", "SendOptInCode", {"OptInCode": acm.redirection.opt_in_code})[0] == 0


def test_pypi_amt_client_operations(pki):
    device = new_device(pki, "acm")
    assert device.get("CIM_AssociatedPowerManagementService", {}, admin()).props["PowerState"] == 2
    managed = EPR(class_uri("CIM_ComputerSystem"), (("Name", "ManagedSystem"),))
    for state, expected in (("8", 8), ("2", 2), ("5", 2), ("4", 4), ("7", 7)):
        assert call(device, "CIM_PowerManagementService", "RequestPowerStateChange", {"PowerState": state, "ManagedElement": managed},
                    selectors={"Name": "Intel(r) AMT Power Management Service"})[0] == 0
        assert device.get("CIM_AssociatedPowerManagementService", {}, admin()).props["PowerState"] == expected
    source = EPR(class_uri("CIM_BootSourceSetting"), (("InstanceID", "Intel(r) AMT: Force PXE Boot"),))
    assert call(device, "CIM_BootConfigSetting", "ChangeBootOrder", {"Source": source},
                selectors={"InstanceID": "Intel(r) AMT: Boot Configuration 0"})[0] == 0
    setting = EPR(class_uri("CIM_BootConfigSetting"), (("InstanceID", "Intel(r) AMT: Boot Configuration 0"),))
    assert call(device, "CIM_BootService", "SetBootConfigRole", {"BootConfigSetting": setting, "Role": "1"},
                selectors={"Name": "Intel(r) AMT Boot Service"})[0] == 0
    device.put("IPS_KVMRedirectionSettingData", {}, Instance("IPS_KVMRedirectionSettingData", {
        "DefaultScreen": "0", "ElementName": "Intel(r) KVM Redirection Settings", "EnabledByMEBx": "true",
        "InstanceID": "Intel(r) KVM Redirection Settings", "Is5900PortEnabled": "true", "OptInPolicy": "false",
        "RFBPassword": device.admin_password, "SessionTimeout": "0"}), admin())
    settings = device.get("IPS_KVMRedirectionSettingData", {}, admin()).props
    assert settings["Is5900PortEnabled"] is True and settings["RFBPassword"] == ""
    assert call(device, "CIM_KVMRedirectionSAP", "RequestStateChange", {"RequestedState": "2"})[0] == 0
    assert (17, 4) in records(device)
