# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a device is and where it stands: firmware version and SKU, provisioning state and control mode.

Read by amt_info and by the procedures (provisioning, unprovisioning) that must know the device before acting.
"""

from __future__ import annotations

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.schema import as_bool, as_int, as_list, enum_name, flag_names
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError

# CIM_SoftwareIdentity Sku bits (docs/amt-reference.md 3.4, AMT 5 and later)
_SKU_FEATURES = ((0x08, "AMT Pro"), (0x10, "Intel Standard Manageability"), (0x2000, "AT-p"), (0x4000, "Corporate"))


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
        "sku_features": flag_names(sku, _SKU_FEATURES),
        "components": identities,
    }


def read_provisioning(client):
    setup = client.get(schema.AMT_SETUP_AND_CONFIGURATION_SERVICE)
    host_setup = client.get(schema.IPS_HOST_BASED_SETUP_SERVICE)
    return {
        "state": enum_name(schema.PROVISIONING_STATE, setup.get("ProvisioningState")),
        "control_mode": enum_name(schema.CONTROL_MODE, host_setup.get("CurrentControlMode")),
        "allowed_control_modes": [enum_name(schema.CONTROL_MODE, mode) for mode in as_list(host_setup.get("AllowedControlModes"))],
        "password_model": enum_name(schema.PASSWORD_MODEL, setup.get("PasswordModel")),
        "zero_touch_enabled": as_bool(setup.get("ZeroTouchConfigurationEnabled")),
        "configuration_server_fqdn": setup.get("ConfigurationServerFQDN"),
        "dhcp_dns_suffix": setup.get("DhcpDNSSuffix"),
        "trusted_dns_suffix": setup.get("TrustedDNSSuffix"),
        "cert_chain_status": enum_name(schema.CERT_CHAIN_STATUS, host_setup.get("CertChainStatus")),
    }
