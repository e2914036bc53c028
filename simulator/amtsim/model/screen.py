"""The host's screens and what AMT does with them: IPS_ScreenSettingData, IPS_ScreenConfigurationService
(screen blanking), IPS_SecIOService and CIM_RedirectionService (the KVM redirection service).

Values follow go-wsman-messages' recorded responses (pkg/wsman/wsmantesting/responses/ips/screensetting, ips/secio,
cim/redirectionservice); IPS_ScreenConfigurationService follows Intel's CIM framework class generated from its MOF
10.0.0 (intel/lms CIM_Framework/CIMFramework/CPPClasses/Include) (CurrentState, EnabledState,
RemainingConsecutiveRebootsNum; SetSessionState with SessionState 0 close / 1 open and ConsecutiveRebootsNum 0..3;
only warm resets count as reboots the session survives) and MeshCommander, which offers blanking when bit 0 of
EnabledState is set. Our choices (UNCONFIRMED): blanking is offered in admin control mode only; its element names;
SetSessionState answers PT_STATUS codes; screens read inactive while the host is not in S0; the KVM service is
enabled exactly when the KVM access point is.
"""
from __future__ import annotations

from amtsim.model import availability
from amtsim.model.codes import INVALID_PARAMETER, NOT_PERMITTED, SUCCESS
from amtsim.model.component import Component, int_input, result
from amtsim.types import Instance

SCREEN_SERVICE = "IPS_ScreenConfigurationService"
# (IsActive while the host runs, UpperLeftX, UpperLeftY, ResolutionX, ResolutionY) of the four screen slots
_SCREENS = ((True, 0, 0, 1920, 1080), (True, 1920, 0, 1920, 1080), (False, -1, -1, 0, 0), (False, -1, -1, 0, 0))
_SERVICE_KEYS = {"SystemCreationClassName": "CIM_ComputerSystem", "SystemName": "Intel(r) AMT"}


class Screen(Component):
    INSTANCES = {
        "IPS_ScreenSettingData": "_setting_instances",
        SCREEN_SERVICE: "_screen_service_instances",
        "IPS_SecIOService": "_secio_instances",
        "CIM_RedirectionService": "_kvm_service_instances",
    }
    METHODS = {(SCREEN_SERVICE, "SetSessionState"): "_set_session_state"}
    STATE_FIELDS = ("blanking_session", "blanking_reboots")

    def reset(self) -> None:
        self.blanking_session = False
        self.blanking_reboots = 0

    def _blanking_allowed(self) -> bool:
        return self.device.control_mode == "acm"

    def _setting_instances(self, caller) -> list:
        running = self.device.host_powered_on()
        columns = list(zip(*_SCREENS))
        return [Instance("IPS_ScreenSettingData", {
            "ElementName": "Intel(r) Screen Settings", "InstanceID": "Intel(r) Screen Settings",
            "IsActive": [active and running for active in columns[0]], "PrimaryIndex": 1, "QuadraryIndex": 4,
            "ResolutionX": list(columns[3]), "ResolutionY": list(columns[4]), "SecondaryIndex": 2, "TertiaryIndex": 3,
            "UpperLeftX": list(columns[1]), "UpperLeftY": list(columns[2]),
        })]

    def _screen_service_instances(self, caller) -> list:
        availability.require_class(self.device, SCREEN_SERVICE)
        return [Instance(SCREEN_SERVICE, dict(
            _SERVICE_KEYS, CreationClassName=SCREEN_SERVICE, CurrentState=int(self.blanking_session),
            ElementName="Intel(r) AMT Screen Configuration Service", EnabledState=int(self._blanking_allowed()),
            Name="Intel(r) AMT Screen Configuration Service", RemainingConsecutiveRebootsNum=self.blanking_reboots))]

    def _set_session_state(self, instance, inputs, caller):
        state = int_input(inputs, "SessionState")
        reboots = int_input(inputs, "ConsecutiveRebootsNum", 0)
        if state not in (0, 1) or not 0 <= reboots <= 3:
            return result(INVALID_PARAMETER)
        if not self._blanking_allowed():
            return result(NOT_PERMITTED)
        self.blanking_session = state == 1
        self.blanking_reboots = reboots if self.blanking_session else 0
        self.changed()
        return result(SUCCESS)

    def host_restarted(self, warm: bool) -> None:
        """A warm reset uses up one of the reboots the blanking session survives; anything else ends it."""
        if self.blanking_session and warm and self.blanking_reboots > 0:
            self.blanking_reboots -= 1
        else:
            self.blanking_session, self.blanking_reboots = False, 0
        self.changed()

    def _secio_instances(self, caller) -> list:
        return [Instance("IPS_SecIOService", {
            "CreationClassName": "IPS_SecIOService", "DefaultScreen": 1, "EnabledState": 2, "Name": "SecIO",
            "RequestedLanguage": 2, "Started": True, "Status": "OK", "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "ManagedSystem", "language": 1, "zoom": 65535,
        })]

    def _kvm_service_instances(self, caller) -> list:
        return [Instance("CIM_RedirectionService", dict(
            _SERVICE_KEYS, CreationClassName="CIM_RedirectionService", ElementName="Intel(r) ME KVM Redirection Service",
            EnabledState=2 if self.device.redirection.kvm_enabled else 3, MaxCurrentEnabledSAPs=1,
            Name="Intel(r) AMT KVM Redirection Service", RedirectionServiceType=3, RequestedState=12, SharingMode=3))]
