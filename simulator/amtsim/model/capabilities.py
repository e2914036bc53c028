"""What the platform and its firmware can do: AMT_BootCapabilities, CIM_PowerManagementCapabilities,
AMT_CryptographicCapabilities and CIM_WiFiPortCapabilities.

Values follow the responses recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses), kept consistent
with what the device accepts: the forced boots offered are the boot sources CIM_BootSourceSetting lists, and
every requestable power state is one RequestPowerStateChange carries out. The One Click Recovery boots and the
UEFI Wi-Fi profile share appear from CSME 16 (go-wsman-messages pkg/wsman/amt/boot/types.go dates the profile
share to CSME 16.0; giving the recovery boots the same release is our choice, UNCONFIRMED).
"""
from __future__ import annotations

from amtsim.model.component import Component
from amtsim.types import Instance

_BOOT_CAPABILITIES = {
    "BIOSPause": False, "BIOSReflash": True, "BIOSSecureBoot": True, "BIOSSetup": True, "ConfigurationDataReset": False,
    "ForceCDorDVDBoot": True, "ForceDiagnosticBoot": False, "ForceHardDriveBoot": True, "ForceHardDriveSafeModeBoot": False,
    "ForcePXEBoot": True, "ForcedProgressEvents": True, "IDER": True, "KeyboardLock": True, "PowerButtonLock": False,
    "ResetButtonLock": False, "SOL": True, "SecureErase": False, "SleepButtonLock": False, "UserPasswordBypass": True,
    "VerbosityQuiet": False, "VerbosityScreenBlank": False, "VerbosityVerbose": False,
}
_CSME16_BOOT_CAPABILITIES = {"AMTSecureBootControl": True, "ForceUEFIHTTPSBoot": True, "ForceUEFIPBABoot": True,
                             "ForceWinREBoot": True, "UEFIWiFiCoExistenceAndProfileShare": True}
# CIM PowerState values the platform supports, in the recorded order: power cycle, off, on, master bus reset,
# diagnostic interrupt (NMI), graceful off, graceful reset.
POWER_STATES_SUPPORTED = [5, 8, 2, 10, 11, 12, 14]


class Capabilities(Component):
    INSTANCES = {
        "AMT_BootCapabilities": "_boot_instances",
        "CIM_PowerManagementCapabilities": "_power_instances",
        "AMT_CryptographicCapabilities": "_crypto_instances",
        "CIM_WiFiPortCapabilities": "_wifi_port_instances",
    }

    def _boot_instances(self, caller) -> list:
        props = dict(_BOOT_CAPABILITIES, ElementName="Intel(r) AMT: Boot Capabilities",
                     InstanceID="Intel(r) AMT:BootCapabilities 0")
        if self.device.firmware.major >= 16:
            props.update(_CSME16_BOOT_CAPABILITIES)
        return [Instance("AMT_BootCapabilities", props)]

    def _power_instances(self, caller) -> list:
        return [Instance("CIM_PowerManagementCapabilities", {
            "ElementName": "Power Management Capabilities", "InstanceID": "Intel(r) AMT:PowerManagementCapabilities 0",
            "OtherPowerChangeCapabilities": "", "PowerChangeCapabilities": [2, 3, 4, 7, 8],
            "PowerStatesSupported": list(POWER_STATES_SUPPORTED), "RequestedPowerStatesSupported": list(POWER_STATES_SUPPORTED),
        })]

    def _crypto_instances(self, caller) -> list:
        return [Instance("AMT_CryptographicCapabilities", {
            "ElementName": "Intel(r) AMT: Cryptographic Capabilities", "HardwareAcceleration": 1,
            "InstanceID": "Intel(r) AMT: Cryptographic Capabilities 0",
        })]

    def _wifi_port_instances(self, caller) -> list:
        return [Instance("CIM_WiFiPortCapabilities", {"ElementName": "CIM_WiFiPortCapabilities"})]
