# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Intel AMT's class names, resource URIs, enums and method return codes in one place.

Facts come from docs/amt-reference.md (sections 1.2, 3, 5, 7, 8); numbers are AMT's, names are ours
where AMT documents none.

Public helpers: resource_uri(), as_bool(), as_int(), as_list(), return_code_name(), error_kind_for().
Additions to the shared contract: resource_uri(class_name), class_name_of(uri), error_kind_for(return_name).
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError

AMT_SCHEMA = "http://intel.com/wbem/wscim/1/amt-schema/1/"
CIM_SCHEMA = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
IPS_SCHEMA = "http://intel.com/wbem/wscim/1/ips-schema/1/"

_SCHEMA_BY_PREFIX = (("AMT_", AMT_SCHEMA), ("CIM_", CIM_SCHEMA), ("IPS_", IPS_SCHEMA))

# Class names used by the collection.
AMT_AUDIT_LOG = "AMT_AuditLog"
AMT_AUDIT_POLICY_RULE = "AMT_AuditPolicyRule"
AMT_AUTHORIZATION_SERVICE = "AMT_AuthorizationService"
AMT_ENVIRONMENT_DETECTION_SETTING_DATA = "AMT_EnvironmentDetectionSettingData"
AMT_ETHERNET_PORT_SETTINGS = "AMT_EthernetPortSettings"
AMT_GENERAL_SETTINGS = "AMT_GeneralSettings"
AMT_KERBEROS_SETTING_DATA = "AMT_KerberosSettingData"
AMT_MANAGEMENT_PRESENCE_REMOTE_SAP = "AMT_ManagementPresenceRemoteSAP"
AMT_MPS_USERNAME_PASSWORD = "AMT_MPSUsernamePassword"
AMT_PUBLIC_KEY_CERTIFICATE = "AMT_PublicKeyCertificate"
AMT_PUBLIC_KEY_MANAGEMENT_SERVICE = "AMT_PublicKeyManagementService"
AMT_PROVISIONING_CERTIFICATE_HASH = "AMT_ProvisioningCertificateHash"
AMT_PUBLIC_PRIVATE_KEY_PAIR = "AMT_PublicPrivateKeyPair"
AMT_REDIRECTION_SERVICE = "AMT_RedirectionService"
AMT_REMOTE_ACCESS_CREDENTIAL_CONTEXT = "AMT_RemoteAccessCredentialContext"
AMT_REMOTE_ACCESS_POLICY_APPLIES_TO_MPS = "AMT_RemoteAccessPolicyAppliesToMPS"
AMT_REMOTE_ACCESS_POLICY_RULE = "AMT_RemoteAccessPolicyRule"
AMT_REMOTE_ACCESS_SERVICE = "AMT_RemoteAccessService"
AMT_SETUP_AND_CONFIGURATION_SERVICE = "AMT_SetupAndConfigurationService"
AMT_TLS_CREDENTIAL_CONTEXT = "AMT_TLSCredentialContext"
AMT_TLS_PROTOCOL_ENDPOINT_COLLECTION = "AMT_TLSProtocolEndpointCollection"
AMT_TIME_SYNCHRONIZATION_SERVICE = "AMT_TimeSynchronizationService"
AMT_TLS_SETTING_DATA = "AMT_TLSSettingData"
AMT_USER_INITIATED_CONNECTION_SERVICE = "AMT_UserInitiatedConnectionService"
AMT_WEB_UI_SERVICE = "AMT_WebUIService"
AMT_WIFI_PORT_CONFIGURATION_SERVICE = "AMT_WiFiPortConfigurationService"
CIM_ASSOCIATED_POWER_MANAGEMENT_SERVICE = "CIM_AssociatedPowerManagementService"
CIM_COMPUTER_SYSTEM_PACKAGE = "CIM_ComputerSystemPackage"
CIM_IEEE8021X_SETTINGS = "CIM_IEEE8021xSettings"
CIM_KVM_REDIRECTION_SAP = "CIM_KVMRedirectionSAP"
CIM_SOFTWARE_IDENTITY = "CIM_SoftwareIdentity"
CIM_WIFI_ENDPOINT = "CIM_WiFiEndpoint"
CIM_WIFI_ENDPOINT_CAPABILITIES = "CIM_WiFiEndpointCapabilities"
CIM_WIFI_ENDPOINT_SETTINGS = "CIM_WiFiEndpointSettings"
CIM_WIFI_PORT = "CIM_WiFiPort"
IPS_HOST_BASED_SETUP_SERVICE = "IPS_HostBasedSetupService"
IPS_KVM_REDIRECTION_SETTING_DATA = "IPS_KVMRedirectionSettingData"
IPS_OPT_IN_SERVICE = "IPS_OptInService"

# AMT_SetupAndConfigurationService (docs/amt-reference.md 3.1)
PROVISIONING_STATE = {0: "pre", 1: "in", 2: "post"}
PROVISIONING_MODE = {1: "acm", 4: "ccm"}
PASSWORD_MODEL = {0: "coupled", 1: "separate", 2: "separate_hash"}

# IPS_HostBasedSetupService (docs/amt-reference.md 3.2)
CONTROL_MODE = {0: "none", 1: "ccm", 2: "acm"}
CERT_CHAIN_STATUS = {0: "not_started", 1: "chain_in_progress", 2: "chain_complete"}
NET_ADMIN_PASS_ENCRYPTION_HTTP_DIGEST_MD5_A1 = 2
SIGNING_ALGORITHM_RSA_SHA256 = 2

# AMT_ProvisioningCertificateHash.HashType, numbered as the provisioning audit record numbers the trusted root's hash
# (go-wsman-messages pkg/wsman/amt/auditlog) and as the host interface numbers CERT_HASH_ALGORITHM (intel/lms AMTHI client).
PROVISIONING_HASH_TYPE = {1: "sha1", 2: "sha256", 3: "sha384"}

# AMT_AuthorizationService (docs/amt-reference.md 4.3)
ACCESS_PERMISSION = {0: "local", 1: "network", 2: "any"}
REALMS = {
    2: "Redirection", 3: "PT Administration", 4: "Hardware Asset", 5: "Remote Control", 6: "Storage",
    7: "Event Manager", 8: "Storage Admin", 9: "Agent Presence Local", 10: "Agent Presence Remote",
    11: "Circuit Breaker", 12: "Network Time", 13: "General Info", 14: "Firmware Update", 15: "EIT",
    16: "LocalUN", 17: "Endpoint Access Control", 18: "Endpoint Access Control Admin", 19: "Event Log Reader",
    20: "Audit Log", 21: "ACL", 24: "Local System",
}
REALM_AUDIT_LOG = 20

# AMT_AuditLog.StoragePolicy (docs/amt-reference.md 6.1)
AUDIT_STORAGE_POLICY = {0: "no_rollover", 1: "rollover", 2: "restricted_rollover"}

# AMT_AuditLog.SetAuditLock (docs/amt-reference.md 6): Flag 1 (UNPROVISIONING_LOCK) lets the admin unprovision for
# LockTimeoutInSeconds, at most 300; called by the Auditor, whose consent ACM firmware before 12 requires (3.1).
AUDIT_LOG_SET_AUDIT_LOCK = "SetAuditLock"
AUDIT_LOCK_FLAG_UNPROVISIONING = 1
AUDIT_LOCK_MAX_SECONDS = 300

# CIM state enums (docs/amt-reference.md 8.3)
ENABLED_STATE = {
    0: "unknown", 1: "other", 2: "enabled", 3: "disabled", 4: "shutting_down", 5: "not_applicable",
    6: "enabled_but_offline", 7: "in_test", 8: "deferred", 9: "quiesce", 10: "starting",
}
REQUESTED_STATE_ENABLED = 2
REQUESTED_STATE_DISABLED = 3

# AMT_RedirectionService EnabledState / RequestedState: 32768 + IDER bit 0 + SOL bit 1 (docs/amt-reference.md 7.1)
REDIRECTION_STATE_BASE = 32768
REDIRECTION_IDER_BIT = 1
REDIRECTION_SOL_BIT = 2

# AMT_UserInitiatedConnectionService (docs/amt-reference.md 7.7)
USER_INITIATED_CONNECTION_STATE = {32768: "disabled", 32769: "bios", 32770: "os", 32771: "bios_and_os"}

# AMT_RemoteAccessPolicyAppliesToMPS.MpsType: whether AMT uses the server outside the organisation's network, inside it,
# or both; external when the firmware does not report it (go-wsman-messages pkg/wsman/amt/remoteaccess, "Default is outside").
MPS_TYPE = {0: "external", 1: "internal", 2: "both"}

# IPS_OptInService (docs/amt-reference.md 7.3)
OPT_IN_REQUIRED = {0: "none", 1: "kvm", 4294967295: "all"}
OPT_IN_STATE = {0: "not_started", 1: "requested", 2: "displayed", 3: "received", 4: "in_session"}

# CIM_WiFiEndpointSettings (docs/amt-reference.md 5.2)
WIFI_AUTHENTICATION_METHOD = {
    1: "other", 2: "open_system", 3: "shared_key", 4: "wpa_psk", 5: "wpa_8021x", 6: "wpa2_psk",
    7: "wpa2_8021x", 32768: "wpa3_sae", 32769: "wpa3_owe",
}
WIFI_ENCRYPTION_METHOD = {1: "other", 2: "wep", 3: "tkip", 4: "ccmp", 5: "none"}

# AMT_TLSSettingData instances (docs/amt-reference.md 7.4)
TLS_REMOTE_INSTANCE = "Intel(r) AMT 802.3 TLS Settings"
TLS_LOCAL_INSTANCE = "Intel(r) AMT LMS TLS Settings"

PT_STATUS = {
    0: "SUCCESS", 1: "INTERNAL_ERROR", 2: "NOT_READY", 3: "INVALID_PT_MODE", 4: "INVALID_MESSAGE_LENGTH",
    5: "TABLE_FINGERPRINT_NOT_AVAILABLE", 6: "INTEGRITY_CHECK_FAILED", 7: "UNSUPPORTED_ISVS_VERSION",
    8: "APPLICATION_NOT_REGISTERED", 9: "INVALID_REGISTRATION_DATA", 10: "APPLICATION_DOES_NOT_EXIST",
    11: "NOT_ENOUGH_STORAGE", 12: "INVALID_NAME", 13: "BLOCK_DOES_NOT_EXIST", 14: "INVALID_BYTE_OFFSET",
    15: "INVALID_BYTE_COUNT", 16: "NOT_PERMITTED", 17: "NOT_OWNER", 18: "BLOCK_LOCKED_BY_OTHER",
    19: "BLOCK_NOT_LOCKED", 20: "INVALID_GROUP_PERMISSIONS", 21: "GROUP_DOES_NOT_EXIST", 22: "INVALID_MEMBER_COUNT",
    23: "MAX_LIMIT_REACHED", 24: "INVALID_AUTH_TYPE", 25: "AUTHENTICATION_FAILED", 26: "INVALID_DHCP_MODE",
    27: "INVALID_IP_ADDRESS", 28: "INVALID_DOMAIN_NAME", 29: "UNSUPPORTED_VERSION", 30: "REQUEST_UNEXPECTED",
    31: "INVALID_TABLE_TYPE", 32: "INVALID_PROVISIONING_STATE", 33: "UNSUPPORTED_OBJECT", 34: "INVALID_TIME",
    35: "INVALID_INDEX", 36: "INVALID_PARAMETER", 37: "INVALID_NETMASK", 38: "FLASH_WRITE_LIMIT_EXCEEDED",
    39: "INVALID_IMAGE_LENGTH", 40: "INVALID_IMAGE_SIGNATURE", 41: "PROPOSE_ANOTHER_VERSION", 42: "INVALID_PID_FORMAT",
    43: "INVALID_PPS_FORMAT", 44: "BIST_COMMAND_BLOCKED", 45: "CONNECTION_FAILED", 46: "CONNECTION_TOO_MANY",
    47: "RNG_GENERATION_IN_PROGRESS", 48: "RNG_NOT_READY", 49: "CERTIFICATE_NOT_READY", 1024: "DISABLED_BY_POLICY",
    2048: "NETWORK_IF_ERROR_BASE", 2049: "UNSUPPORTED_OEM_NUMBER", 2050: "UNSUPPORTED_BOOT_OPTION",
    2051: "INVALID_COMMAND", 2052: "INVALID_SPECIAL_COMMAND", 2053: "INVALID_HANDLE", 2054: "INVALID_PASSWORD",
    2055: "INVALID_REALM", 2056: "STORAGE_ACL_ENTRY_IN_USE", 2057: "DATA_MISSING", 2058: "DUPLICATE",
    2059: "EVENTLOG_FROZEN", 2060: "PKI_MISSING_KEYS", 2061: "PKI_GENERATING_KEYS", 2062: "INVALID_KEY",
    2063: "INVALID_CERT", 2064: "CERT_KEY_NOT_MATCH", 2065: "MAX_KERB_DOMAIN_REACHED", 2066: "UNSUPPORTED",
    2067: "INVALID_PRIORITY", 2068: "NOT_FOUND", 2069: "INVALID_CREDENTIALS", 2070: "INVALID_PASSPHRASE",
    2072: "NO_ASSOCIATION", 2075: "AUDIT_FAIL", 2076: "BLOCKING_COMPONENT", 2081: "USER_CONSENT_REQUIRED",
    2082: "OPERATION_IN_PROGRESS",
}
PT_STATUS_SUCCESS = 0
PT_STATUS_NOT_PERMITTED = 16
PT_STATUS_INVALID_PARAMETER = 36
PT_STATUS_DATA_MISSING = 2057
PT_STATUS_DUPLICATE = 2058

# CIM methods, RequestStateChange on every class among them (docs/amt-reference.md 8.3)
CIM_RETURN = {
    0: "COMPLETED", 1: "NOT_SUPPORTED", 2: "UNKNOWN_OR_UNSPECIFIED", 3: "TIMEOUT", 4: "FAILED",
    5: "INVALID_PARAMETER", 6: "IN_USE", 4096: "JOB_STARTED", 4097: "INVALID_STATE_TRANSITION",
    4098: "TIMEOUT_PARAMETER_NOT_SUPPORTED", 4099: "BUSY",
}

# Per-class maps that are neither PT_STATUS nor CIM (docs/amt-reference.md 3.2, 8.2)
_HOST_BASED_SETUP_RETURN = {
    0: "SUCCESS", 1: "INTERNAL_ERROR", 2: "INVALID_STATE", 3: "INVALID_PARAM", 4: "METHOD_DISABLED",
    5: "AUTH_FAILED", 6: "FLASH_WRITE_LIMIT_EXCEEDED",
}
_ADD_NEXT_CERT_IN_CHAIN_RETURN = {
    0: "SUCCESS", 1: "INVALID_PARAM", 2: "INTERNAL_ERROR", 3: "INVALID_STATE", 4: "CERT_VERIFY_FAILED",
    5: "CERT_CHAIN_LENGTH_EXCEEDED",
}
_OPT_IN_RETURN = {0: "SUCCESS", 1: "INTERNAL_ERROR", 2: "INVALID_STATE", 3: "BLOCKED", 4: "FAILED_FFS"}
_WIFI_PORT_CONFIGURATION_RETURN = {
    0: "COMPLETED", 1: "NOT_SUPPORTED", 2: "FAILED", 3: "INVALID_PARAMETER", 4: "INVALID_REFERENCE",
}
_KVM_TERMINATE_SESSION_RETURN = {0: "SUCCESS", 1: "INTERNAL_ERROR"}

_METHOD_RETURN_MAPS = {
    (IPS_HOST_BASED_SETUP_SERVICE, "AddNextCertInChain"): _ADD_NEXT_CERT_IN_CHAIN_RETURN,
    (IPS_KVM_REDIRECTION_SETTING_DATA, "TerminateSession"): _KVM_TERMINATE_SESSION_RETURN,
}
_CLASS_RETURN_MAPS = {
    IPS_HOST_BASED_SETUP_SERVICE: _HOST_BASED_SETUP_RETURN,
    IPS_OPT_IN_SERVICE: _OPT_IN_RETURN,
    AMT_WIFI_PORT_CONFIGURATION_SERVICE: _WIFI_PORT_CONFIGURATION_RETURN,
}

_NOT_PERMITTED_NAMES = frozenset(["PT_STATUS_NOT_PERMITTED"])
_INVALID_INPUT_NAMES = frozenset([
    "PT_STATUS_INVALID_PARAMETER", "PT_STATUS_INVALID_NAME", "PT_STATUS_INVALID_PASSWORD", "PT_STATUS_INVALID_REALM",
    "PT_STATUS_INVALID_HANDLE", "PT_STATUS_INVALID_INDEX", "INVALID_PARAMETER", "INVALID_PARAM", "INVALID_REFERENCE",
])


def resource_uri(class_name):
    """ResourceURI (and body namespace) of an AMT, CIM or IPS class; a full URI is returned unchanged."""
    if "://" in class_name:
        return class_name
    for prefix, schema in _SCHEMA_BY_PREFIX:
        if class_name.startswith(prefix):
            return schema + class_name
    raise ValueError("unknown class prefix: %s (expected AMT_, CIM_ or IPS_)" % class_name)


def class_name_of(uri):
    """The class name at the end of a ResourceURI."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def return_code_name(class_name, method, code):
    """AMT's name for a method's ReturnValue, e.g. PT_STATUS_NOT_PERMITTED, or UNKNOWN_<code>."""
    code = int(code)
    table = _METHOD_RETURN_MAPS.get((class_name, method)) or _CLASS_RETURN_MAPS.get(class_name)
    if table is not None and code in table:
        return table[code]
    if table is None and (method == "RequestStateChange" or class_name.startswith("CIM_")):
        return CIM_RETURN.get(code, "UNKNOWN_%d" % code)
    # Classes with their own small map (e.g. AMT_WiFiPortConfigurationService) still answer PT_STATUS codes
    # such as 23 MAX_LIMIT_REACHED or 2058 DUPLICATE for conditions their map does not cover.
    if code in PT_STATUS:
        return "PT_STATUS_" + PT_STATUS[code]
    return "UNKNOWN_%d" % code


def error_kind_for(return_name):
    """The AmtError kind a failed method with this return name maps to."""
    if return_name in _NOT_PERMITTED_NAMES:
        return "not_permitted"
    if return_name in _INVALID_INPUT_NAMES:
        return "invalid_input"
    return "device_error"


def audit_event_code(value):
    """(application id, event id) of an AMT_AuditPolicyRule.AuditApplicationEventID.

    The application sits in the bits above the low 16, the event in the low 16: the captured default policy starts
    1048576, 1048577, ... = 16/0, 16/1, as the simulator answers too. The SDK's text says the top 8 bits; no device
    is known to answer that way.
    """
    number = as_int(value)
    if number is None:
        raise _unreadable(value, "an event id")
    return number >> 16, number & 0xFFFF


class DeviceText(str):
    """Text from a device's answer that remembers where it came from ("Class.Property"), so that a value that does not
    parse is reported as the device's fault, naming both, instead of escaping as a ValueError."""

    origin = None


def _tagged(value, origin):
    if isinstance(value, str):
        text = DeviceText(value)
        text.origin = origin
        return text
    if isinstance(value, list):
        return [_tagged(item, origin) for item in value]
    return value


def tag_values(instance, class_name):
    """A parsed instance (property -> text, list or EPR) whose texts carry their origin (AmtClient tags every read)."""
    return dict((name, _tagged(value, "%s.%s" % (class_name, name))) for name, value in instance.items())


def _unreadable(value, expected):
    origin = getattr(value, "origin", None)
    if origin is None:
        return DeviceError("the device sent %r where %s was expected" % (str(value), expected))
    return DeviceError("the device sent %s = %r, which is not %s" % (origin, str(value), expected), class_name=origin.split(".")[0])


def as_bool(value):
    """WS-Man boolean text (true/false, 1/0, any case) -> bool; None stays None."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise _unreadable(value, "a boolean")


def as_int(value):
    """Integer text -> int; None and empty text stay None."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise _unreadable(value, "a whole number") from None


def enum_name(table, value):
    """An enum value's name from table; a value outside the table stays a number, so that nothing is hidden."""
    number = as_int(value)
    if number is None:
        return None
    return table.get(number, number)


def flag_names(value, table):
    """Names of the bits set in value, from table ((bit, name), ...)."""
    number = as_int(value) or 0
    return [name for bit, name in table if number & bit]


def as_list(value):
    """A repeated element's value as a list: one occurrence parses to a scalar, none to None."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
