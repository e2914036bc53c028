"""Capability classes (amtsim/model/capabilities.py).

"properties" are those the response recorded in go-wsman-messages (pkg/wsman/wsmantesting/responses)
carries; "optional" the further properties of the class's Go struct, which that recording omits."""
TABLE = {
    "AMT_BootCapabilities": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/boot/types.go",
        "properties": ["BIOSPause", "BIOSReflash", "BIOSSecureBoot", "BIOSSetup", "ConfigurationDataReset",
                       "ElementName", "ForceCDorDVDBoot", "ForceDiagnosticBoot", "ForceHardDriveBoot",
                       "ForceHardDriveSafeModeBoot", "ForcePXEBoot", "ForcedProgressEvents", "IDER", "InstanceID",
                       "KeyboardLock", "PowerButtonLock", "ResetButtonLock", "SOL", "SecureErase", "SleepButtonLock",
                       "UserPasswordBypass", "VerbosityQuiet", "VerbosityScreenBlank", "VerbosityVerbose"],
        "optional": ["AMTSecureBootControl", "ForceUEFIHTTPSBoot", "ForceUEFIPBABoot", "ForceWinREBoot",
                     "PlatformErase", "UEFIWiFiCoExistenceAndProfileShare"],
    },
    "CIM_PowerManagementCapabilities": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/power/types.go",
        "properties": ["ElementName", "InstanceID", "OtherPowerChangeCapabilities", "PowerChangeCapabilities",
                       "PowerStatesSupported", "RequestedPowerStatesSupported"],
        "optional": [],
    },
    "AMT_CryptographicCapabilities": {
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/amt/cryptographiccapabilities/types.go",
        "properties": ["ElementName", "HardwareAcceleration", "InstanceID"],
        "optional": [],
    },
    "CIM_WiFiPortCapabilities": {
        # No recorded response: the one property of the Go struct.
        "source": "device-management-toolkit/go-wsman-messages:pkg/wsman/cim/wifi/types.go",
        "properties": ["ElementName"],
        "optional": [],
    },
}
