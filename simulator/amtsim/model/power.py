"""Power and boot: CIM_PowerManagementService, CIM_AssociatedPowerManagementService, CIM_ComputerSystem,
CIM_BootService, CIM_BootConfigSetting, CIM_BootSourceSetting and AMT_BootSettingData."""
from __future__ import annotations

from amtsim.model import audit_records as events
from amtsim.model.codes import CIM_COMPLETED, CIM_INVALID_PARAMETER
from amtsim.model.component import Component, epr_input, int_input, prop_bool, result
from amtsim.types import EPR, Instance, class_uri

ON, SLEEP_LIGHT, SLEEP_DEEP, HIBERNATE, OFF_SOFT = 2, 3, 4, 7, 8
# requested PowerState -> (resulting PowerState, or None for unchanged; audit event)
_TRANSITIONS = {
    2: (ON, events.POWER_UP), 3: (SLEEP_LIGHT, (17, 7)), 4: (SLEEP_DEEP, (17, 7)), 5: (ON, events.POWER_CYCLE),
    6: (OFF_SOFT, events.POWER_DOWN), 7: (HIBERNATE, (17, 8)), 8: (OFF_SOFT, events.POWER_DOWN),
    9: (ON, events.POWER_CYCLE), 10: (ON, events.RESET), 11: (None, (17, 9)), 12: (OFF_SOFT, (17, 5)),
    13: (OFF_SOFT, (17, 5)), 14: (ON, (17, 6)), 15: (ON, events.POWER_CYCLE), 16: (ON, events.POWER_CYCLE),
}
SERVICE_NAME = "Intel(r) AMT Power Management Service"
BOOT_CONFIGURATION = "Intel(r) AMT: Boot Configuration 0"
BOOT_SOURCES = {
    "Intel(r) AMT: Force PXE Boot": "CIM:Network:1",
    "Intel(r) AMT: Force Hard-drive Boot": "CIM:Hard-Disk:1",
    "Intel(r) AMT: Force CD/DVD Boot": "CIM:CD/DVD:1",
}
# ChangeBootOrder / SetBootConfigRole ReturnValue 4 = Invalid Reference (CIM_BootConfigSetting)
INVALID_REFERENCE = 4
BOOT_SETTING_FLAGS = ("BIOSPause", "BIOSSetup", "ConfigurationDataReset", "EnforceSecureBoot", "ForcedProgressEvents",
                      "LockKeyboard", "LockPowerButton", "LockResetButton", "LockSleepButton", "ReflashBIOS",
                      "SecureErase", "UseIDER", "UseSOL", "UseSafeMode", "UserPasswordBypass")


def _computer_system_epr(name: str) -> EPR:
    return EPR(class_uri("CIM_ComputerSystem"), (("CreationClassName", "CIM_ComputerSystem"), ("Name", name)))


class Power(Component):
    INSTANCES = {
        "CIM_PowerManagementService": "_service_instances",
        "CIM_AssociatedPowerManagementService": "_association_instances",
        # Enumerating the parent association answers its one subclass instance, as recorded in go-wsman-messages.
        "CIM_ServiceAvailableToElement": "_association_instances",
        "CIM_ComputerSystem": "_computer_system_instances",
        "CIM_BootService": "_boot_service_instances",
        "CIM_BootConfigSetting": "_boot_config_instances",
        "CIM_BootSourceSetting": "_boot_source_instances",
        "AMT_BootSettingData": "_boot_setting_instances",
    }
    PUTS = {"AMT_BootSettingData": "_put_boot_setting"}
    METHODS = {
        ("CIM_PowerManagementService", "RequestPowerStateChange"): "_request_power_state_change",
        ("CIM_BootConfigSetting", "ChangeBootOrder"): "_change_boot_order",
        ("CIM_BootService", "SetBootConfigRole"): "_set_boot_config_role",
    }
    STATE_FIELDS = ("power_state", "boot_source", "boot_role", "boot_flags")

    def reset(self) -> None:
        self.power_state = ON
        self.boot_source = None
        self.boot_role = 32768  # not the next boot's configuration
        self.boot_flags = {name: False for name in BOOT_SETTING_FLAGS}

    # --- power --------------------------------------------------------------------------------------------
    def _service_instances(self, caller) -> list:
        return [Instance("CIM_PowerManagementService", {
            "CreationClassName": "CIM_PowerManagementService",
            "ElementName": SERVICE_NAME,
            "EnabledState": 5,
            "Name": SERVICE_NAME,
            "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _association_instances(self, caller) -> list:
        service = EPR(class_uri("CIM_PowerManagementService"), (
            ("CreationClassName", "CIM_PowerManagementService"), ("Name", SERVICE_NAME),
            ("SystemCreationClassName", "CIM_ComputerSystem"), ("SystemName", "Intel(r) AMT")))
        return [Instance("CIM_AssociatedPowerManagementService", {
            "AvailableRequestedPowerStates": [2, 5, 8, 10] if self.power_state == ON else [2],
            "PowerState": self.power_state,
            "ServiceProvided": service,
            "UserOfService": _computer_system_epr("ManagedSystem"),
        })]

    def _computer_system_instances(self, caller) -> list:
        return [Instance("CIM_ComputerSystem", {
            "CreationClassName": "CIM_ComputerSystem",
            "ElementName": "Managed System",
            "EnabledState": 2 if self.power_state == ON else 3,
            "HealthState": 5,
            "Name": "ManagedSystem",
            "OperationalStatus": 0,
            "RequestedState": 0,
        }), Instance("CIM_ComputerSystem", {
            "CreationClassName": "CIM_ComputerSystem",
            "ElementName": "Intel(r) AMT Subsystem",
            "EnabledState": 2,
            "HealthState": 5,
            "Name": "Intel(r) AMT",
            "OperationalStatus": 0,
            "RequestedState": 0,
        })]

    def _request_power_state_change(self, instance, inputs, caller):
        requested = int_input(inputs, "PowerState")
        element = epr_input(inputs, "ManagedElement")
        if requested not in _TRANSITIONS or (element is not None and element.selector("Name") not in (None, "ManagedSystem")):
            return result(CIM_INVALID_PARAMETER)
        new_state, event = _TRANSITIONS[requested]
        previous_state = self.power_state
        self._enter(new_state)
        self.device.audit.log(event, caller)
        self.device.host_power.power_changed(requested, previous_state)
        return result(CIM_COMPLETED)

    def _enter(self, new_state) -> None:
        if new_state is not None:
            self.power_state = new_state
        if new_state == ON and self.boot_role == 1:
            self.boot_role = 32768  # a one-time boot configuration is consumed by the boot
        self.changed()

    def wake(self) -> int:
        """The host powers itself up (an alarm came due); answers the power state it left."""
        previous_state = self.power_state
        self._enter(ON)
        return previous_state

    # --- boot ---------------------------------------------------------------------------------------------
    def _boot_service_instances(self, caller) -> list:
        return [Instance("CIM_BootService", {
            "CreationClassName": "CIM_BootService",
            "ElementName": "Intel(r) AMT Boot Service",
            "EnabledState": 32769 if self.boot_role == 1 else 32768,
            "Name": "Intel(r) AMT Boot Service",
            "OperationalStatus": 0,
            "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _boot_config_instances(self, caller) -> list:
        return [Instance("CIM_BootConfigSetting", {"ElementName": "Intel(r) AMT: Boot Configuration",
                                                   "InstanceID": BOOT_CONFIGURATION})]

    def _boot_source_instances(self, caller) -> list:
        return [Instance("CIM_BootSourceSetting", {
            "BIOSBootString": None,
            "BootString": None,
            "ElementName": name,
            "FailThroughSupported": 2,
            "InstanceID": name,
            "StructuredBootString": structured,
        }) for name, structured in BOOT_SOURCES.items()]

    def _boot_setting_instances(self, caller) -> list:
        props = dict(self.boot_flags)
        props.update(BootMediaIndex=0, ElementName="Intel(r) AMT Boot Configuration Settings", FirmwareVerbosity=0,
                     IDERBootDevice=0, InstanceID="Intel(r) AMT:BootSettingData 0", OwningEntity="Intel(r) AMT",
                     BIOSLastStatus=[2, 0], BootguardStatus=127,
                     OptionsCleared=not any(self.boot_flags.values()) and self.boot_source is None)
        if self.device.firmware.major >= 15:
            # The UEFI boot options and Remote Platform Erase of Intel's capture (CSME 15 and later, our choice);
            # RSEPassword is write-only and reads back empty.
            props.update(PlatformErase=False, RPEEnabled=True, RSEPassword="", SecureBootControlEnabled=True,
                         UEFIHTTPSBootEnabled=True, UEFILocalPBABootEnabled=True, UefiBootNumberOfParams=0,
                         WinREBootEnabled=True)
        return [Instance("AMT_BootSettingData", props)]

    def _put_boot_setting(self, current, new, caller) -> None:
        self.boot_flags = {name: prop_bool(new, name, value) for name, value in self.boot_flags.items()}
        self.changed()

    def _change_boot_order(self, instance, inputs, caller):
        source = epr_input(inputs, "Source")
        if source is None:
            self.boot_source = None  # no Source clears the boot order
        else:
            name = source.selector("InstanceID")
            if name not in BOOT_SOURCES:
                return result(INVALID_REFERENCE)
            self.boot_source = name
        self.changed()
        self.device.audit.log(events.SET_BOOT_OPTIONS, caller)
        return result(CIM_COMPLETED)

    def _set_boot_config_role(self, instance, inputs, caller):
        setting = epr_input(inputs, "BootConfigSetting")
        role = int_input(inputs, "Role")
        if setting is None or setting.selector("InstanceID") != BOOT_CONFIGURATION:
            return result(INVALID_REFERENCE)
        if role not in (1, 32768):
            return result(CIM_INVALID_PARAMETER)
        self.boot_role = role
        self.changed()
        return result(CIM_COMPLETED)
