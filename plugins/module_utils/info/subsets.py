# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The subsets amt_info can gather, the WS-Man classes each one reads, and gather_subset resolution."""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

ALL = "all"

# subset -> classes it reads (Get, Enumerate or methods). Order is the order of the result and of the reads.
SUBSET_CLASSES = {
    "firmware": ("CIM_SoftwareIdentity",),
    "provisioning": ("AMT_SetupAndConfigurationService", "IPS_HostBasedSetupService"),
    "general": ("AMT_GeneralSettings", "AMT_SetupAndConfigurationService"),
    "network": ("AMT_EthernetPortSettings", "AMT_WebUIService", "AMT_EnvironmentDetectionSettingData",
                "AMT_ManagementPresenceRemoteSAP"),
    "tls": ("AMT_TLSSettingData", "AMT_TLSCredentialContext"),
    "users": ("AMT_AuthorizationService", "AMT_KerberosSettingData"),
    "wifi": ("AMT_WiFiPortConfigurationService", "CIM_WiFiEndpointSettings"),
    "audit": ("AMT_AuditLog", "AMT_AuditPolicyRule"),
    "redirection": ("AMT_RedirectionService", "CIM_KVMRedirectionSAP", "IPS_KVMRedirectionSettingData", "IPS_OptInService"),
    "power": ("CIM_AssociatedPowerManagementService",),
}

SUBSET_NAMES = tuple(SUBSET_CLASSES)


def resolve_subsets(requested):
    """Turn a gather_subset list into the ordered list of subsets to gather.

    Works like the setup module: ``all`` selects every subset, a name adds one, ``!name`` removes one and ``!all``
    starts from nothing. A list made only of exclusions starts from ``all``.
    """
    requested = [str(item).strip() for item in (requested or [ALL])]
    valid = set(SUBSET_NAMES) | {ALL}
    unknown = sorted({item.lstrip("!") for item in requested} - valid)
    if unknown:
        raise InvalidInputError("gather_subset has unknown subset(s) %s; valid: %s, and !name to exclude one"
                                % (", ".join(unknown), ", ".join((ALL,) + SUBSET_NAMES)))
    includes = {item for item in requested if not item.startswith("!")}
    excludes = {item[1:] for item in requested if item.startswith("!")}
    selected = set()
    if ALL in includes or (not includes and ALL not in excludes):
        selected.update(SUBSET_NAMES)
    selected.update(includes - {ALL})
    selected.difference_update(excludes - {ALL})
    return [name for name in SUBSET_NAMES if name in selected]
