# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read each amt_info subset from the device into plain facts.

Each reader touches only the classes subsets.SUBSET_CLASSES lists for it, and reads each class once (AmtClient
caches Get and Enumerate; methods are called once each). Secrets the firmware exposes (ProvisioningServerOTP,
ConfigurationNonce, Kerberos master key/passphrase, RFB password, PSK material) are never copied into facts.
"""

from __future__ import annotations

import base64
import binascii

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import optional
from ansible_collections.oob.amt.plugins.module_utils.amt.identity import read_uuid
from ansible_collections.oob.amt.plugins.module_utils.amt.schema import as_bool, as_int, as_list, enum_name, flag_names
from ansible_collections.oob.amt.plugins.module_utils.amt.facts import read_firmware, read_provisioning
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import Users
from ansible_collections.oob.amt.plugins.module_utils.units.audit_policy import AuditPolicy
from ansible_collections.oob.amt.plugins.module_utils.units.base import describe_unit, read_state
from ansible_collections.oob.amt.plugins.module_utils.units.cira import Cira
from ansible_collections.oob.amt.plugins.module_utils.units.general import (
    ENVIRONMENT_DETECTION, SETTINGS, WEB_UI, General, settings_state)
from ansible_collections.oob.amt.plugins.module_utils.units.redirection import Redirection
from ansible_collections.oob.amt.plugins.module_utils.units.tls import Tls
from ansible_collections.oob.amt.plugins.module_utils.units.wifi import WifiProfiles
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, NotPermittedError


# AMT_AuditLog.AuditState bits (docs/amt-reference.md 6.1)
_AUDIT_STATE_FLAGS = ((0x01, "disabled"), (0x02, "locked"), (0x04, "almost_full"), (0x08, "full"), (0x10, "no_signing_key"))

_KERBEROS_ENCRYPTION = {0: "rc4_hmac", 1: "aes128_cts_hmac_sha1_96", 2: "aes256_cts_hmac_sha1_96"}

# DMTF CIM_AssociatedPowerManagementService.PowerState (DSP1027), as AMT reports the host's power state.
POWER_STATE = {
    1: "other", 2: "on", 3: "sleep_light", 4: "sleep_deep", 5: "power_cycle_off_soft", 6: "off_hard", 7: "hibernate",
    8: "off_soft", 9: "power_cycle_off_hard", 10: "master_bus_reset", 11: "diagnostic_interrupt",
    12: "off_soft_graceful", 13: "off_hard_graceful", 14: "master_bus_reset_graceful",
    15: "power_cycle_off_soft_graceful", 16: "power_cycle_off_hard_graceful",
}


def _hash_hex(value):
    try:
        return base64.b64decode(str(value or ""), validate=True).hex()
    except (binascii.Error, ValueError):
        raise DeviceError("the device sent %s.HashData = %r, which is not base64" % (schema.AMT_PROVISIONING_CERTIFICATE_HASH, str(value)),
                          class_name=schema.AMT_PROVISIONING_CERTIFICATE_HASH) from None


def _certificate_hash(entry):
    return {
        "name": entry.get("ElementName") or entry.get("InstanceID"),
        "hash_type": enum_name(schema.PROVISIONING_HASH_TYPE, entry.get("HashType")),
        "hash": _hash_hex(entry.get("HashData")),
        "default": as_bool(entry.get("IsDefault")),
        "enabled": as_bool(entry.get("Enabled")),
    }


def read_certificate_hashes(client):
    """The provisioning root hashes the firmware trusts for remote ACM activation, in the device's order; None when the
    device has no such class or the account may not read it (the rest of the provisioning subset is still reported)."""
    try:
        entries = optional(lambda: client.enumerate(schema.AMT_PROVISIONING_CERTIFICATE_HASH))
    except NotPermittedError:
        return None
    return None if entries is None else [_certificate_hash(entry) for entry in entries]


def read_provisioning_state(client):
    """Provisioning state and control mode, and the trusted provisioning root hashes (AMT-RPROV-01)."""
    facts = read_provisioning(client)
    facts["certificate_hashes"] = read_certificate_hashes(client)
    return facts


def read_general(client):
    """AMT_GeneralSettings: what amt_general manages, in its option names (and taken back by it), then read-only facts."""
    settings = client.get(schema.AMT_GENERAL_SETTINGS)
    facts = {"uuid": read_uuid(client), "digest_realm": settings.get("DigestRealm")}
    # The instance is read once here, for the managed settings (read as the unit reads them) and the read-only facts.
    facts.update(General(parts=(SETTINGS,)).describe(settings_state(settings)))
    facts.update({
        "network_interface_enabled": as_bool(settings.get("NetworkInterfaceEnabled")),
        "amt_network_enabled": enum_name({0: False, 1: True}, settings.get("AMTNetworkEnabled")),
        "wsman_only_mode": as_bool(settings.get("WsmanOnlyMode")),
        "privacy_level": enum_name({0: "default", 1: "enhanced", 2: "extreme"}, settings.get("PrivacyLevel")),
        "preferred_address_family": enum_name({0: "ipv4", 1: "ipv6"}, settings.get("PreferredAddressFamily")),
        "power_source": enum_name({0: "ac", 1: "dc"}, settings.get("PowerSource")),
    })
    return facts


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
    """The interfaces; the web UI and environment detection as amt_general names them, and CIRA's servers, policies and
    user-initiated state as amt_cira names them (servers, policies, user_initiated); each module takes them back."""
    facts = {"interfaces": [_interface(port) for port in client.enumerate(schema.AMT_ETHERNET_PORT_SETTINGS)]}
    facts.update(describe_unit(General(parts=(WEB_UI, ENVIRONMENT_DETECTION)), client))
    cira = optional(lambda: describe_unit(Cira(), client)) or {}
    facts.update(mps_servers=cira.get("servers"), cira_policies=cira.get("policies"), cira_user_initiated=cira.get("user_initiated"))
    return facts


def _tls_interface(setting):
    if setting is None:
        return None
    supported = setting.get("NonSecureConnectionsSupported")
    return {
        "enabled": as_bool(setting.get("Enabled")),
        "mutual_authentication": as_bool(setting.get("MutualAuthentication")),
        "accept_non_secure_connections": as_bool(setting.get("AcceptNonSecureConnections")),
        # Present only from CSME 16.1, where the remote non-TLS port is removed by design (docs/amt-reference.md 7.4).
        "non_secure_connections_supported": None if supported is None else as_bool(supported),
        "trusted_cn": as_list(setting.get("TrustedCN")),
    }


def read_tls(client):
    """What amt_tls manages, in its option names (and taken back by it), the certificate in use, then each interface's settings."""
    unit = Tls()
    state = read_state(unit, client)
    facts = unit.describe(state)
    facts.update({
        "certificate": Tls.server_certificate_facts(state),
        "remote": _tls_interface(state["remote"]),
        "local": _tls_interface(state["local"]),
        "server_certificate_configured": state["context"] is not None,
    })
    return facts


def read_users(client):
    """The accounts as amt_user names them (and takes them back), the firmware's system accounts, the admin and Kerberos."""
    service = schema.AMT_AUTHORIZATION_SERVICE
    unit = Users()
    state = read_state(unit, client)
    local_admin_status = client.invoke(service, "GetAdminAclEntryStatus", cached=True)
    network_admin_status = client.invoke(service, "GetAdminNetAclEntryStatus", cached=True)
    kerberos = optional(lambda: client.get(schema.AMT_KERBEROS_SETTING_DATA))
    return {
        "admin_username": state["admin_username"],
        "admin_password_is_default": as_bool(local_admin_status.get("IsDefault")),
        "network_admin_password_is_default": as_bool(network_admin_status.get("IsDefault")),
        "accounts": unit.describe(state)["accounts"],
        "system_accounts": [{"name": account["name"], "access": account["access"], "realms": account["realms"]}
                            for account in state["accounts"] if account["system"]],
        "kerberos": None if kerberos is None else {
            "enabled": as_bool(kerberos.get("KrbEnabled")),
            "realm_name": kerberos.get("RealmName"),
            "service_principal_names": as_list(kerberos.get("ServicePrincipalName")),
            "encryption_algorithms": [enum_name(_KERBEROS_ENCRYPTION, algorithm)
                                      for algorithm in as_list(kerberos.get("ConfiguredEncryptionAlgorithms"))],
        },
    }


def read_wifi(client):
    """Wireless profiles and settings as amt_wifi_profile names them (and takes them back)."""
    return describe_unit(WifiProfiles(), client)


def read_audit(client):
    """The audit policy as amt_audit_policy names it (and takes it back), and the state of the log itself."""
    unit = AuditPolicy({})
    state = read_state(unit, client)
    log = state["log"]
    return {
        "policy": unit.describe(state),
        "log": {
            "state_flags": flag_names(log.get("AuditState"), _AUDIT_STATE_FLAGS),
            "percentage_free": as_int(log.get("PercentageFree")),
            "current_number_of_records": as_int(log.get("CurrentNumberOfRecords")),
            "max_allowed_auditors": as_int(log.get("MaxAllowedAuditors")),
        },
    }


def read_redirection(client):
    """SOL, IDE-R, KVM, the listener, port 5900 and user consent as amt_redirection names them (and takes them back)."""
    return describe_unit(Redirection(), client)


def read_power(client):
    services = client.enumerate(schema.CIM_ASSOCIATED_POWER_MANAGEMENT_SERVICE)
    if not services:
        raise DeviceError("CIM_AssociatedPowerManagementService has no instance", class_name=schema.CIM_ASSOCIATED_POWER_MANAGEMENT_SERVICE)
    service = services[0]
    return {
        "state": enum_name(POWER_STATE, service.get("PowerState")),
        "available_requested_states": [enum_name(POWER_STATE, state) for state in as_list(service.get("AvailableRequestedPowerStates"))],
    }


READERS = {
    "firmware": read_firmware,
    "provisioning": read_provisioning_state,
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
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise DeviceError("the device's answer for %s could not be interpreted (%s: %s)" % (subset, type(error).__name__, error)) from None
    return facts
