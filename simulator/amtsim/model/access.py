"""Realms and who may use which class (docs/amt-reference.md 4.3, 6.1).

One place for the rights model. Insufficient realms answer methods with NOT_PERMITTED (16) and transfer
operations with a ``wsman:AccessDenied`` fault; which of the two (or HTTP 401/403) real firmware sends for
transfers is UNCONFIRMED (docs/amt-reference.md 10).
"""
from __future__ import annotations

from amtsim.types import WsmanFault

REDIRECTION = 2
PT_ADMINISTRATION = 3
HARDWARE_ASSET = 4
REMOTE_CONTROL = 5
NETWORK_TIME = 12
GENERAL_INFO = 13
LOCAL_UN = 16
EVENT_LOG_READER = 19
AUDIT_LOG = 20
ACL_SELF = 21
LOCAL_SYSTEM = 24

# Realms a console may assign to a user (docs/amt-reference.md 4.3, TWM type).
ASSIGNABLE_REALMS = frozenset(list(range(2, 14)) + [17, 18, 19, 20, 21, 24])
# The admin holds PT Administration and every assignable realm except Audit Log, which it holds only through
# PT Administration while no Auditor exists (see audit_realm()).
ADMIN_REALMS = frozenset((ASSIGNABLE_REALMS | {PT_ADMINISTRATION}) - {AUDIT_LOG})

# Classes a realm other than PT Administration opens. PT Administration opens everything else.
_CLASS_REALMS = {
    "AMT_GeneralSettings": {GENERAL_INFO, LOCAL_SYSTEM},
    "CIM_SoftwareIdentity": {GENERAL_INFO, LOCAL_SYSTEM},
    "AMT_SetupAndConfigurationService": {LOCAL_SYSTEM},
    "IPS_HostBasedSetupService": {LOCAL_SYSTEM},
    "AMT_WiFiPortConfigurationService": {LOCAL_SYSTEM},
    "CIM_WiFiEndpointSettings": {LOCAL_SYSTEM},
    "AMT_RedirectionService": {REDIRECTION},
    "CIM_KVMRedirectionSAP": {REDIRECTION},
    "IPS_KVMRedirectionSettingData": {REDIRECTION},
    "CIM_AssociatedPowerManagementService": {REMOTE_CONTROL},
    "CIM_PowerManagementService": {REMOTE_CONTROL},
    "CIM_BootConfigSetting": {REMOTE_CONTROL},
    "CIM_BootService": {REMOTE_CONTROL},
    "CIM_BootSourceSetting": {REMOTE_CONTROL},
    "AMT_BootSettingData": {REMOTE_CONTROL},
    "CIM_ComputerSystem": {REMOTE_CONTROL, HARDWARE_ASSET},
    "AMT_AuditLog": {EVENT_LOG_READER},
    "AMT_TimeSynchronizationService": {NETWORK_TIME},
    "CIM_ServiceAvailableToElement": {REMOTE_CONTROL},
    "CIM_PowerManagementCapabilities": {REMOTE_CONTROL},
    "IPS_PowerManagementService": {REMOTE_CONTROL},
    "IPS_HostBootReason": {REMOTE_CONTROL},
    "AMT_BootCapabilities": {REMOTE_CONTROL},
    "AMT_MessageLog": {EVENT_LOG_READER},
    "AMT_EventLogEntry": {EVENT_LOG_READER},
}
# The hardware inventory (model/inventory.py) opens to the Hardware Asset realm.
_CLASS_REALMS.update(dict.fromkeys((
    "CIM_Chassis", "CIM_Card", "CIM_PhysicalPackage", "CIM_Chip", "CIM_Processor", "CIM_PhysicalMemory",
    "CIM_MediaAccessDevice", "CIM_ComputerSystemPackage", "CIM_SystemPackaging", "CIM_BIOSElement", "CIM_BIOSFeature",
    "CIM_Battery", "CIM_Fan", "CIM_Sensor", "AMT_AssetTableService", "AMT_AssetTable"), {HARDWARE_ASSET}))
# Audit classes: reading needs one of these or the audit realm; changing needs exactly audit_realm().
AUDIT_CLASSES = frozenset({"AMT_AuditLog", "AMT_AuditPolicyRule"})


def audit_realm(auditor_exists: bool) -> int:
    """The realm that controls the audit log: the Auditor's when one is defined, else PT Administration."""
    return AUDIT_LOG if auditor_exists else PT_ADMINISTRATION


def may_use(class_name: str, realms: frozenset) -> bool:
    if class_name in AUDIT_CLASSES:
        wanted = {PT_ADMINISTRATION, AUDIT_LOG, GENERAL_INFO} | _CLASS_REALMS.get(class_name, set())
        return bool(wanted & realms)
    if PT_ADMINISTRATION in realms:
        return True
    return bool(_CLASS_REALMS.get(class_name, set()) & realms)


def require_transfer(class_name: str, realms: frozenset) -> None:
    if not may_use(class_name, realms):
        raise WsmanFault("AccessDenied")
