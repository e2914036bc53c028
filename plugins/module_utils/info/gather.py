# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read each amt_info subset from the device into plain facts.

Each reader touches only the classes subsets.SUBSET_CLASSES lists for it, and reads each class once (AmtClient
caches Get and Enumerate; methods are called once each). Secrets the firmware exposes (ProvisioningServerOTP,
ConfigurationNonce, Kerberos master key/passphrase, RFB password, PSK material) are never copied into facts.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.identity import read_uuid
from ansible_collections.oob.amt.plugins.module_utils.amt.schema import as_bool, as_int, as_list
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError

# Faults a device answers for a class its SKU or firmware does not have (REFERENCE.md 1.7): wired-only units have no
# Wi-Fi classes, Standard Manageability units no KVM, older firmware no web UI service.
_ABSENT_CLASS_FAULTS = ("DestinationUnreachable", "ActionNotSupported")

AMT_MANAGEMENT_PRESENCE_REMOTE_SAP = "AMT_ManagementPresenceRemoteSAP"
CIM_ASSOCIATED_POWER_MANAGEMENT_SERVICE = "CIM_AssociatedPowerManagementService"

# CIM_SoftwareIdentity Sku bits (REFERENCE.md 3.4, AMT 5 and later)
_SKU_FEATURES = ((0x08, "AMT Pro"), (0x10, "Intel Standard Manageability"), (0x2000, "AT-p"), (0x4000, "Corporate"))

# AMT_AuditLog.AuditState bits (REFERENCE.md 6.1)
_AUDIT_STATE_FLAGS = ((0x01, "disabled"), (0x02, "locked"), (0x04, "almost_full"), (0x08, "full"), (0x10, "no_signing_key"))

_WIFI_PROFILE_SYNC = {0: "disabled", 1: "user", 3: "unrestricted"}

_KERBEROS_ENCRYPTION = {0: "rc4_hmac", 1: "aes128_cts_hmac_sha1_96", 2: "aes256_cts_hmac_sha1_96"}

_ENVIRONMENT_DETECTION_ALGORITHM = {0: "local_domains", 1: "remote_urls"}

# DMTF CIM_AssociatedPowerManagementService.PowerState (DSP1027), as AMT reports the host's power state.
POWER_STATE = {
    1: "other", 2: "on", 3: "sleep_light", 4: "sleep_deep", 5: "power_cycle_off_soft", 6: "off_hard", 7: "hibernate",
    8: "off_soft", 9: "power_cycle_off_hard", 10: "master_bus_reset", 11: "diagnostic_interrupt",
    12: "off_soft_graceful", 13: "off_hard_graceful", 14: "master_bus_reset_graceful",
    15: "power_cycle_off_soft_graceful", 16: "power_cycle_off_hard_graceful",
}

_ENABLED_STATES_ON = (2, 6)


def _name(table, value):
    """Enum value -> our name; a value outside the table is returned as its number so nothing is hidden."""
    number = as_int(value)
    if number is None:
        return None
    return table.get(number, number)


def _flags(value, table):
    number = as_int(value) or 0
    return [name for bit, name in table if number & bit]


def _optional(read):
    """Run a read of a class the device may not have; None when the device says the class is absent."""
    try:
        return read()
    except DeviceError as error:
        if error.fault in _ABSENT_CLASS_FAULTS:
            return None
        raise


def read_firmware(client):
    identities = dict((item.get("InstanceID"), item.get("VersionString")) for item in client.enumerate(schema.CIM_SOFTWARE_IDENTITY))
    version = identities.get("AMT")
    if not version:
        raise DeviceError("CIM_SoftwareIdentity has no instance AMT, so the firmware version is unknown",
                          class_name=schema.CIM_SOFTWARE_IDENTITY)
    build = identities.get("Build Number")
    sku = as_int(identities.get("Sku"))
    return {
        "version": version,
        "build": build,
        "full_version": "%s.%s" % (version, build) if build else version,
        "sku": sku,
        "sku_features": _flags(sku, _SKU_FEATURES),
        "components": identities,
    }


def read_provisioning(client):
    setup = client.get(schema.AMT_SETUP_AND_CONFIGURATION_SERVICE)
    host_setup = client.get(schema.IPS_HOST_BASED_SETUP_SERVICE)
    return {
        "state": _name(schema.PROVISIONING_STATE, setup.get("ProvisioningState")),
        "control_mode": _name(schema.CONTROL_MODE, host_setup.get("CurrentControlMode")),
        "allowed_control_modes": [_name(schema.CONTROL_MODE, mode) for mode in as_list(host_setup.get("AllowedControlModes"))],
        "password_model": _name(schema.PASSWORD_MODEL, setup.get("PasswordModel")),
        "zero_touch_enabled": as_bool(setup.get("ZeroTouchConfigurationEnabled")),
        "configuration_server_fqdn": setup.get("ConfigurationServerFQDN"),
        "dhcp_dns_suffix": setup.get("DhcpDNSSuffix"),
        "trusted_dns_suffix": setup.get("TrustedDNSSuffix"),
        "cert_chain_status": _name(schema.CERT_CHAIN_STATUS, host_setup.get("CertChainStatus")),
    }


def read_general(client):
    settings = client.get(schema.AMT_GENERAL_SETTINGS)
    return {
        "uuid": read_uuid(client),
        "digest_realm": settings.get("DigestRealm"),
        "host_name": settings.get("HostName"),
        "domain_name": settings.get("DomainName"),
        "network_interface_enabled": as_bool(settings.get("NetworkInterfaceEnabled")),
        "amt_network_enabled": _name({0: False, 1: True}, settings.get("AMTNetworkEnabled")),
        "ping_response_enabled": as_bool(settings.get("PingResponseEnabled")),
        "rmcp_ping_response_enabled": as_bool(settings.get("RmcpPingResponseEnabled")),
        "wsman_only_mode": as_bool(settings.get("WsmanOnlyMode")),
        "privacy_level": _name({0: "default", 1: "enhanced", 2: "extreme"}, settings.get("PrivacyLevel")),
        "preferred_address_family": _name({0: "ipv4", 1: "ipv6"}, settings.get("PreferredAddressFamily")),
        "power_source": _name({0: "ac", 1: "dc"}, settings.get("PowerSource")),
    }


def _interface(port):
    return {
        "instance_id": port.get("InstanceID"),
        "wireless": as_int(port.get("PhysicalConnectionType")) == 3 or str(port.get("InstanceID", "")).endswith(" 1"),
        "mac_address": port.get("MACAddress"),
        "link_is_up": as_bool(port.get("LinkIsUp")),
        "dhcp_enabled": as_bool(port.get("DHCPEnabled")),
        "ip_address": port.get("IPAddress"),
        "subnet_mask": port.get("SubnetMask"),
        "default_gateway": port.get("DefaultGateway"),
        "primary_dns": port.get("PrimaryDNS"),
        "secondary_dns": port.get("SecondaryDNS"),
        "shared_mac": as_bool(port.get("SharedMAC")),
        "ip_sync_enabled": as_bool(port.get("IpSyncEnabled")),
        "vlan_tag": as_int(port.get("VLANTag")),
    }


def read_network(client):
    web_ui = _optional(lambda: client.get(schema.AMT_WEB_UI_SERVICE))
    detection = _optional(lambda: client.get(schema.AMT_ENVIRONMENT_DETECTION_SETTING_DATA))
    mps = _optional(lambda: client.enumerate(AMT_MANAGEMENT_PRESENCE_REMOTE_SAP))
    return {
        "interfaces": [_interface(port) for port in client.enumerate(schema.AMT_ETHERNET_PORT_SETTINGS)],
        "web_ui_enabled": None if web_ui is None else as_int(web_ui.get("EnabledState")) in _ENABLED_STATES_ON,
        "environment_detection": None if detection is None else {
            "algorithm": _name(_ENVIRONMENT_DETECTION_ALGORITHM, detection.get("DetectionAlgorithm")),
            "detection_strings": as_list(detection.get("DetectionStrings")),
            "ipv6_local_prefixes": as_list(detection.get("DetectionIPv6LocalPrefixes")),
        },
        "mps_servers": None if mps is None else [
            {"name": sap.get("Name"), "address": sap.get("AccessInfo"), "port": as_int(sap.get("Port")), "cn": sap.get("CN")}
            for sap in mps
        ],
    }


def _tls_interface(setting):
    if setting is None:
        return None
    supported = setting.get("NonSecureConnectionsSupported")
    return {
        "enabled": as_bool(setting.get("Enabled")),
        "mutual_authentication": as_bool(setting.get("MutualAuthentication")),
        "accept_non_secure_connections": as_bool(setting.get("AcceptNonSecureConnections")),
        # Present only from CSME 16.1, where the remote non-TLS port is removed by design (REFERENCE.md 7.4).
        "non_secure_connections_supported": None if supported is None else as_bool(supported),
        "trusted_cn": as_list(setting.get("TrustedCN")),
    }


def read_tls(client):
    settings = dict((item.get("InstanceID"), item) for item in client.enumerate(schema.AMT_TLS_SETTING_DATA))
    contexts = client.enumerate(schema.AMT_TLS_CREDENTIAL_CONTEXT)
    return {
        "remote": _tls_interface(settings.get(schema.TLS_REMOTE_INSTANCE)),
        "local": _tls_interface(settings.get(schema.TLS_LOCAL_INSTANCE)),
        "server_certificate_configured": bool(contexts),
    }


def _user_handles(client):
    handles = []
    start = 1
    while True:
        page = client.invoke(schema.AMT_AUTHORIZATION_SERVICE, "EnumerateUserAclEntries", {"StartIndex": start}, idempotent=True)
        found = [as_int(handle) for handle in as_list(page.get("Handles"))]
        handles.extend(found)
        total = as_int(page.get("TotalCount")) or 0
        if not found or len(handles) >= total:
            return handles
        start += len(found)


def _account(client, handle):
    entry = client.invoke(schema.AMT_AUTHORIZATION_SERVICE, "GetUserAclEntryEx", {"Handle": handle}, idempotent=True)
    name = entry.get("DigestUsername")
    realm_ids = sorted(as_int(realm) for realm in as_list(entry.get("Realms")))
    return {
        "handle": handle,
        "type": "digest" if name else "kerberos",
        "name": name,
        "kerberos_sid": entry.get("KerberosUserSid"),
        # $$ names are firmware system accounts (REFERENCE.md 2.3); they must not be removed.
        "system": bool(name) and name.startswith("$$"),
        "access": _name(schema.ACCESS_PERMISSION, entry.get("AccessPermission")),
        "realm_ids": realm_ids,
        "realms": [schema.REALMS.get(realm, realm) for realm in realm_ids],
    }


def read_accounts(client):
    """Every user account besides the admin, from the user ACL entries of AMT_AuthorizationService."""
    return [_account(client, handle) for handle in _user_handles(client)]


def auditor_names(accounts):
    """Names (Kerberos SIDs for Kerberos accounts) of the accounts that hold the Audit Log realm."""
    return [account["name"] or account["kerberos_sid"] for account in accounts if schema.REALM_AUDIT_LOG in account["realm_ids"]]


def read_users(client):
    service = schema.AMT_AUTHORIZATION_SERVICE
    admin = client.invoke(service, "GetAdminAclEntry", idempotent=True)
    local_admin_status = client.invoke(service, "GetAdminAclEntryStatus", idempotent=True)
    network_admin_status = client.invoke(service, "GetAdminNetAclEntryStatus", idempotent=True)
    kerberos = _optional(lambda: client.get(schema.AMT_KERBEROS_SETTING_DATA))
    return {
        "admin_username": admin.get("Username"),
        "admin_password_is_default": as_bool(local_admin_status.get("IsDefault")),
        "network_admin_password_is_default": as_bool(network_admin_status.get("IsDefault")),
        "accounts": read_accounts(client),
        "kerberos": None if kerberos is None else {
            "enabled": as_bool(kerberos.get("KrbEnabled")),
            "realm_name": kerberos.get("RealmName"),
            "service_principal_names": as_list(kerberos.get("ServicePrincipalName")),
            "encryption_algorithms": [_name(_KERBEROS_ENCRYPTION, algorithm)
                                      for algorithm in as_list(kerberos.get("ConfiguredEncryptionAlgorithms"))],
        },
    }


def _wifi_profile(settings):
    return {
        "name": settings.get("ElementName"),
        "instance_id": settings.get("InstanceID"),
        "ssid": settings.get("SSID"),
        "priority": as_int(settings.get("Priority")),
        "authentication": _name(schema.WIFI_AUTHENTICATION_METHOD, settings.get("AuthenticationMethod")),
        "encryption": _name(schema.WIFI_ENCRYPTION_METHOD, settings.get("EncryptionMethod")),
    }


def read_wifi(client):
    service = _optional(lambda: client.get(schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE))
    if service is None:
        return {"supported": False, "local_profile_sync": None, "uefi_profile_share_enabled": None, "profiles": []}
    profiles = _optional(lambda: client.enumerate(schema.CIM_WIFI_ENDPOINT_SETTINGS)) or []
    return {
        "supported": True,
        "local_profile_sync": _name(_WIFI_PROFILE_SYNC, service.get("localProfileSynchronizationEnabled")),
        "uefi_profile_share_enabled": as_bool(service.get("UEFIWiFiProfileShareEnabled")),
        "profiles": [_wifi_profile(profile) for profile in profiles],
    }


def read_audit(client):
    log = client.get(schema.AMT_AUDIT_LOG)
    policy = _optional(lambda: client.get(schema.AMT_AUDIT_POLICY_RULE))
    state_flags = _flags(log.get("AuditState"), _AUDIT_STATE_FLAGS)
    events = [schema.audit_event_code(value) for value in as_list((policy or {}).get("AuditApplicationEventID"))]
    return {
        "enabled": "disabled" not in state_flags and as_int(log.get("EnabledState")) == 2,
        "state_flags": state_flags,
        "storage_policy": _name(schema.AUDIT_STORAGE_POLICY, log.get("StoragePolicy")),
        "min_days_to_keep": as_int(log.get("MinDaysToKeep")),
        "percentage_free": as_int(log.get("PercentageFree")),
        "current_number_of_records": as_int(log.get("CurrentNumberOfRecords")),
        "max_allowed_auditors": as_int(log.get("MaxAllowedAuditors")),
        "audited_events": None if policy is None else ["%d/%d" % code for code in events],
    }


def read_redirection(client):
    service = client.get(schema.AMT_REDIRECTION_SERVICE)
    state = as_int(service.get("EnabledState")) or 0
    vendor_state = state - schema.REDIRECTION_STATE_BASE if state >= schema.REDIRECTION_STATE_BASE else 0
    kvm = _optional(lambda: client.get(schema.CIM_KVM_REDIRECTION_SAP))
    kvm_settings = None if kvm is None else _optional(lambda: client.get(schema.IPS_KVM_REDIRECTION_SETTING_DATA))
    opt_in = client.get(schema.IPS_OPT_IN_SERVICE)
    return {
        "listener_enabled": as_bool(service.get("ListenerEnabled")),
        "sol_enabled": bool(vendor_state & schema.REDIRECTION_SOL_BIT),
        "ider_enabled": bool(vendor_state & schema.REDIRECTION_IDER_BIT),
        "kvm_supported": kvm is not None,
        "kvm_enabled": None if kvm is None else as_int(kvm.get("EnabledState")) in _ENABLED_STATES_ON,
        "kvm_enabled_by_mebx": None if kvm_settings is None else as_bool(kvm_settings.get("EnabledByMEBx")),
        "port_5900_enabled": None if kvm_settings is None else as_bool(kvm_settings.get("Is5900PortEnabled")),
        "kvm_session_timeout": None if kvm_settings is None else as_int(kvm_settings.get("SessionTimeout")),
        "opt_in_required": _name(schema.OPT_IN_REQUIRED, opt_in.get("OptInRequired")),
        "can_modify_opt_in_policy": as_int(opt_in.get("CanModifyOptInPolicy")) == 1,
        "opt_in_code_timeout": as_int(opt_in.get("OptInCodeTimeout")),
        "opt_in_display_timeout": as_int(opt_in.get("OptInDisplayTimeout")),
    }


def read_power(client):
    services = client.enumerate(CIM_ASSOCIATED_POWER_MANAGEMENT_SERVICE)
    if not services:
        raise DeviceError("CIM_AssociatedPowerManagementService has no instance", class_name=CIM_ASSOCIATED_POWER_MANAGEMENT_SERVICE)
    service = services[0]
    return {
        "state": _name(POWER_STATE, service.get("PowerState")),
        "available_requested_states": [_name(POWER_STATE, state) for state in as_list(service.get("AvailableRequestedPowerStates"))],
    }


READERS = {
    "firmware": read_firmware,
    "provisioning": read_provisioning,
    "general": read_general,
    "network": read_network,
    "tls": read_tls,
    "users": read_users,
    "wifi": read_wifi,
    "audit": read_audit,
    "redirection": read_redirection,
    "power": read_power,
}


def gather(client, subsets):
    """Facts for each requested subset, in the given order. Raises AmtError on the first failed read."""
    facts = {}
    for subset in subsets:
        try:
            facts[subset] = READERS[subset](client)
        except ValueError as error:
            raise DeviceError("the device answered %s with a value that could not be read: %s" % (subset, error))
    return facts
