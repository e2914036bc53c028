# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The subsets amt_info can gather, the WS-Man classes each one reads, and gather_subset resolution."""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

ALL = "all"

# subset -> classes it reads (Get, Enumerate or methods). Order is the order of the result and of the reads.
SUBSET_CLASSES = {
    "firmware": (schema.CIM_SOFTWARE_IDENTITY,),
    "provisioning": (schema.AMT_SETUP_AND_CONFIGURATION_SERVICE, schema.IPS_HOST_BASED_SETUP_SERVICE, schema.AMT_PROVISIONING_CERTIFICATE_HASH),
    "general": (schema.AMT_GENERAL_SETTINGS, schema.AMT_SETUP_AND_CONFIGURATION_SERVICE),
    "network": (schema.AMT_ETHERNET_PORT_SETTINGS, schema.AMT_WEB_UI_SERVICE, schema.AMT_ENVIRONMENT_DETECTION_SETTING_DATA,
                schema.AMT_MANAGEMENT_PRESENCE_REMOTE_SAP, schema.AMT_REMOTE_ACCESS_POLICY_RULE, schema.AMT_REMOTE_ACCESS_POLICY_APPLIES_TO_MPS,
                schema.AMT_REMOTE_ACCESS_CREDENTIAL_CONTEXT, schema.AMT_MPS_USERNAME_PASSWORD, schema.AMT_USER_INITIATED_CONNECTION_SERVICE),
    "tls": (schema.AMT_TLS_SETTING_DATA, schema.AMT_TLS_CREDENTIAL_CONTEXT, schema.AMT_PUBLIC_KEY_CERTIFICATE,
            schema.AMT_PUBLIC_PRIVATE_KEY_PAIR),
    "users": (schema.AMT_AUTHORIZATION_SERVICE, schema.AMT_KERBEROS_SETTING_DATA),
    "wifi": (schema.AMT_WIFI_PORT_CONFIGURATION_SERVICE, schema.CIM_WIFI_PORT, schema.CIM_WIFI_ENDPOINT_SETTINGS, schema.CIM_IEEE8021X_SETTINGS),
    "audit": (schema.AMT_AUDIT_LOG, schema.AMT_AUDIT_POLICY_RULE),
    "redirection": (schema.AMT_REDIRECTION_SERVICE, schema.CIM_KVM_REDIRECTION_SAP, schema.IPS_KVM_REDIRECTION_SETTING_DATA, schema.IPS_OPT_IN_SERVICE),
    "power": (schema.CIM_ASSOCIATED_POWER_MANAGEMENT_SERVICE,),
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
