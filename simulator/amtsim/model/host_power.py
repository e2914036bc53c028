"""The host's side of power: IPS_PowerManagementService (the OS power saving state), IPS_HostBootReason and
AMT_SystemPowerScheme; and what a power change made through CIM_PowerManagementService, or an alarm, does to them.

Names and values follow go-wsman-messages (pkg/wsman/ips/power, ips/hostbootreason, amt/systempowerscheme and
their recorded responses); RequestOSPowerSavingStateChange answers the CIM codes listed there (0 completed,
5 invalid parameter, 4097 invalid state transition). IPS_HostBootReason follows Intel's class (intel/lms
CIM_Framework/CIMFramework/CPPClasses/Include/IPS_HostBootReason.h, MOF 8.0.0): the reason is Other (a boot AMT did
not cause), Remote Control or Alarm; its details name the operation ("Reset", "Power Up", "Power Cycle") or the
alarm's ElementName; PreviousSxState is the S-state the host came from. The numbers 0, 1, 2 for those reasons
follow their listed order (UNCONFIRMED; the recorded answer shows 1). Our choices (UNCONFIRMED): the OS power saving
state can only change while the host is in S0 and reads 0 (Unknown) while it is not; every boot returns the OS to
full power. A boot or a power-off is passed on to the screen blanking session, which only a warm reset survives.
"""
from __future__ import annotations

from amtsim.model import availability
from amtsim.model.component import Component, epr_input, int_input, result
from amtsim.model.power import ON
from amtsim.types import Instance

FULL_POWER, OS_POWER_SAVING = 2, 3
UNKNOWN = 0
COMPLETED, INVALID_PARAMETER, INVALID_STATE_TRANSITION = 0, 5, 4097
REASON_OTHER, REASON_REMOTE, REASON_ALARM = 0, 1, 2
WARM_RESETS = (10, 14)  # CIM PowerState: master bus reset, graceful or not
# CIM PowerState -> ACPI S-state number
_SX_OF_POWER_STATE = {2: 0, 3: 1, 4: 3, 7: 4, 8: 5}
_POWER_SCHEMES = (
    ("SCHEME 0", "Mobile: ON in S0", "djmXEQtWUEOIcJgS85G1YA=="),
    ("SCHEME 1", "Mobile: ON in S0, ME Wake in S3, S4-5 (AC only)", "MIAN7gnAeEOvKHhootu+Og=="),
)


class HostPower(Component):
    INSTANCES = {
        "IPS_PowerManagementService": "_service_instances",
        "IPS_HostBootReason": "_boot_reason_instances",
        "AMT_SystemPowerScheme": "_scheme_instances",
    }
    METHODS = {("IPS_PowerManagementService", "RequestOSPowerSavingStateChange"): "_request_os_power_saving"}
    STATE_FIELDS = ("os_power_saving_state", "boot_reason", "boot_reason_details", "previous_sx_state")

    def reset(self) -> None:
        self.os_power_saving_state = FULL_POWER
        self.boot_reason, self.boot_reason_details = REASON_OTHER, ""
        self.previous_sx_state = 5

    def _host_on(self) -> bool:
        return self.device.host_powered_on()

    def power_changed(self, requested: int, previous_state: int) -> None:
        """Called by the power service after RequestPowerStateChange(requested) carried out its change."""
        if not self._host_on():
            self.device.screen.host_restarted(warm=False)
        elif previous_state != ON or requested != ON:
            details = "Reset" if requested in WARM_RESETS else "Power Up" if requested == ON else "Power Cycle"
            self.host_booted(previous_state, REASON_REMOTE, details, warm=requested in WARM_RESETS)
        self.changed()

    def host_booted(self, previous_state: int, reason: int, details: str, warm: bool = False) -> None:
        """The host booted from ``previous_state`` (a CIM PowerState) for ``reason``."""
        self.os_power_saving_state = FULL_POWER
        self.boot_reason, self.boot_reason_details = reason, details
        self.previous_sx_state = _SX_OF_POWER_STATE.get(previous_state, 0)
        self.device.message_log.host_booted()
        self.device.screen.host_restarted(warm=warm)
        self.changed()

    # --- IPS_PowerManagementService -----------------------------------------------------------------------
    def _service_instances(self, caller) -> list:
        availability.require_class(self.device, "IPS_PowerManagementService")
        return [Instance("IPS_PowerManagementService", {
            "CreationClassName": "IPS_PowerManagementService", "ElementName": "Intel(r) AMT Power Management Service",
            "EnabledState": 5, "Name": "Intel(r) AMT Power Management Service",
            "OSPowerSavingState": self.os_power_saving_state if self._host_on() else UNKNOWN, "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem", "SystemName": "Intel(r) AMT",
        })]

    def _request_os_power_saving(self, instance, inputs, caller):
        requested = int_input(inputs, "OSPowerSavingState")
        element = epr_input(inputs, "ManagedElement")
        if requested not in (FULL_POWER, OS_POWER_SAVING) or (element is not None and element.selector("Name") != "ManagedSystem"):
            return result(INVALID_PARAMETER)
        if not self._host_on():
            return result(INVALID_STATE_TRANSITION)
        self.os_power_saving_state = requested
        self.changed()
        return result(COMPLETED)

    # --- boot reason and power schemes --------------------------------------------------------------------
    def _boot_reason_instances(self, caller) -> list:
        availability.require_class(self.device, "IPS_HostBootReason")
        return [Instance("IPS_HostBootReason", {
            "ElementName": "Intel(r) AMT:Host Boot Reason", "InstanceID": "Intel(r) AMT:Host Boot Reason",
            "PreviousSxState": self.previous_sx_state, "Reason": self.boot_reason, "ReasonDetails": self.boot_reason_details,
        })]

    def _scheme_instances(self, caller) -> list:
        return [Instance("AMT_SystemPowerScheme", {"Description": description, "ElementName": "Intel(r) AMT Power Scheme",
                                                   "InstanceID": instance_id, "SchemeGUID": guid})
                for instance_id, description, guid in _POWER_SCHEMES]
