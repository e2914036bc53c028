"""Redirection and user consent: AMT_RedirectionService (SOL/IDER), CIM_KVMRedirectionSAP,
IPS_KVMRedirectionSettingData and IPS_OptInService (docs/amt-reference.md 7.1-7.3)."""
from __future__ import annotations

import random

from amtsim.model import access
from amtsim.model import audit_records as events
from amtsim.model.codes import CIM_COMPLETED, CIM_INVALID_PARAMETER, CIM_NOT_SUPPORTED, OPTIN_INVALID_STATE, OPTIN_SUCCESS
from amtsim.model.component import Component, int_input, prop_bool, prop_int, prop_text, result
from amtsim.types import Instance, WsmanFault

REDIRECTION_STATES = (32768, 32769, 32770, 32771)  # 32768 + IDER + 2 x SOL
IDER_BIT, SOL_BIT = 1, 2
OPT_IN_NONE, OPT_IN_KVM, OPT_IN_ALL = 0, 1, 4294967295
OPT_IN_NOT_STARTED, OPT_IN_DISPLAYED, OPT_IN_RECEIVED = 0, 2, 3
MAX_CODE_ATTEMPTS = 3
# Ranges of Intel's class descriptions (wsman-messages IPS models): seconds.
OPT_IN_CODE_TIMEOUT_RANGE = (60, 900)
OPT_IN_DISPLAY_TIMEOUT_RANGE = (10, 4095)


def _policy_byte(policy: int) -> int:
    # Event 30/0 carries the policies as bytes; GWM decodes "All" as 255, MC as 2 (UNCONFIRMED, docs/amt-reference.md 10.8).
    return 255 if policy == OPT_IN_ALL else policy


def _in_range(new: Instance, name: str, current: int, limits: tuple) -> int:
    value = prop_int(new, name, current)
    if not limits[0] <= value <= limits[1]:
        raise WsmanFault("InvalidParameter", f"{name} must be {limits[0]}-{limits[1]} seconds")
    return value


class Redirection(Component):
    INSTANCES = {
        "AMT_RedirectionService": "_redirection_instances",
        "CIM_KVMRedirectionSAP": "_kvm_sap_instances",
        "IPS_KVMRedirectionSettingData": "_kvm_settings_instances",
        "IPS_OptInService": "_opt_in_instances",
    }
    PUTS = {"AMT_RedirectionService": "_put_redirection", "IPS_KVMRedirectionSettingData": "_put_kvm_settings",
            "IPS_OptInService": "_put_opt_in"}
    METHODS = {
        ("AMT_RedirectionService", "RequestStateChange"): "_redirection_state_change",
        ("CIM_KVMRedirectionSAP", "RequestStateChange"): "_kvm_state_change",
        ("IPS_OptInService", "StartOptIn"): "_start_opt_in",
        ("IPS_OptInService", "CancelOptIn"): "_cancel_opt_in",
        ("IPS_OptInService", "SendOptInCode"): "_send_opt_in_code",
    }
    STATE_FIELDS = ("redirection_state", "listener_enabled", "kvm_enabled", "kvm", "opt_in_required",
                    "opt_in_state", "opt_in_code", "opt_in_attempts", "opt_in_code_timeout", "opt_in_display_timeout",
                    "kvm_present")

    def reset(self) -> None:
        # The SKU decides whether there is KVM at all (Standard Manageability has none); unprovisioning keeps it.
        self.kvm_present = getattr(self, "kvm_present", True)
        self.redirection_state = 32771
        self.listener_enabled = True
        self.kvm_enabled = True
        self.kvm = {"DefaultScreen": 0, "EnabledByMEBx": True, "Is5900PortEnabled": False, "OptInPolicy": True,
                    "OptInPolicyTimeout": 300, "SessionTimeout": 3, "BackToBackFbMode": False, "rfb_password_set": False}
        self.opt_in_required = OPT_IN_KVM
        self.opt_in_code_timeout = 120
        self.opt_in_display_timeout = 300
        self.opt_in_state = OPT_IN_NOT_STARTED
        self.opt_in_code = None  # the code the host's screen would show; never returned over WS-Man
        self.opt_in_attempts = 0

    def _ccm(self) -> bool:
        return self.device.control_mode == "ccm"

    # --- AMT_RedirectionService ---------------------------------------------------------------------------
    def _redirection_instances(self, caller) -> list:
        return [Instance("AMT_RedirectionService", {
            "CreationClassName": "AMT_RedirectionService",
            "ElementName": "Intel(r) AMT Redirection Service",
            "EnabledState": self.redirection_state,
            "ListenerEnabled": self.listener_enabled,
            "Name": "Intel(r) AMT Redirection Service",
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _redirection_state_change(self, instance, inputs, caller):
        requested = int_input(inputs, "RequestedState")
        if requested not in REDIRECTION_STATES:
            return result(CIM_INVALID_PARAMETER)
        before = self.redirection_state - 32768
        after = requested - 32768
        for bit, enabled_event, disabled_event in ((IDER_BIT, (18, 2), (18, 3)), (SOL_BIT, (18, 6), (18, 7))):
            if (before & bit) != (after & bit):
                self.device.audit.log(enabled_event if after & bit else disabled_event, caller)
        self.redirection_state = requested
        self.changed()
        return result(CIM_COMPLETED)

    def _put_redirection(self, current, new, caller) -> None:
        self.listener_enabled = prop_bool(new, "ListenerEnabled", self.listener_enabled)
        self.changed()

    # --- KVM ----------------------------------------------------------------------------------------------
    def _kvm_on(self) -> bool:
        # KVM disabled in the MEBx is off whatever was requested over the network.
        return self.kvm_enabled and self.kvm["EnabledByMEBx"]

    def _kvm_sap_instances(self, caller) -> list:
        if not self.kvm_present:
            return []
        return [Instance("CIM_KVMRedirectionSAP", {
            "CreationClassName": "CIM_KVMRedirectionSAP",
            "ElementName": "KVM Redirection Service Access Point",
            "EnabledState": 6 if self._kvm_on() else 3,  # 6 = enabled, no session open
            "KVMProtocol": 4,
            "Name": "KVM Redirection Service Access Point",
            "RequestedState": 2 if self._kvm_on() else 3,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "ManagedSystem",
        })]

    def _kvm_state_change(self, instance, inputs, caller):
        requested = int_input(inputs, "RequestedState")
        if requested not in (2, 3):
            return result(CIM_INVALID_PARAMETER)
        if requested == 2 and not self.kvm["EnabledByMEBx"]:
            return result(CIM_NOT_SUPPORTED)
        if self.kvm_enabled != (requested == 2):
            self.kvm_enabled = requested == 2
            self.device.audit.log((18, 10) if self.kvm_enabled else (18, 11), caller)
            self.changed()
        return result(CIM_COMPLETED)

    def _kvm_settings_instances(self, caller) -> list:
        if not self.kvm_present:
            return []
        props = {name: value for name, value in self.kvm.items() if name != "rfb_password_set"}
        if not props["OptInPolicy"]:
            del props["OptInPolicyTimeout"]  # as in Intel's capture of a device that asks no consent for KVM
        if self.device.firmware.major >= 19:
            # KVM capabilities of a recent capture (its firmware version is not known; from 19 on is our choice).
            props.update(DoubleBufferActive=False, DoubleBufferEnabled=True, GrayscalePixelFormatSupported=True,
                         InitialDecimationModeForLowRes=2, ZlibControlSupported=True)
        props.update(ElementName="Intel(r) KVM Redirection Settings", InstanceID="Intel(r) KVM Redirection Settings",
                     RFBPassword="")  # write-only: always read back empty, as in the capture
        return [Instance("IPS_KVMRedirectionSettingData", props)]

    def _put_kvm_settings(self, current, new, caller) -> None:
        settings = dict(self.kvm)
        password = prop_text(new, "RFBPassword", "")
        if password:
            settings["rfb_password_set"] = True
        for name in ("Is5900PortEnabled", "OptInPolicy", "BackToBackFbMode"):
            settings[name] = prop_bool(new, name, settings[name])
        for name in ("DefaultScreen", "OptInPolicyTimeout", "SessionTimeout"):
            settings[name] = prop_int(new, name, settings[name])
        if not 0 <= settings["SessionTimeout"] <= 255:
            raise WsmanFault("InvalidParameter", "SessionTimeout must be 0-255 minutes")
        if settings["Is5900PortEnabled"] and not settings["rfb_password_set"]:
            raise WsmanFault("InvalidParameter", "Port 5900 needs an RFB password")
        policy_changed = (settings["OptInPolicy"], settings["OptInPolicyTimeout"]) != (
            self.kvm["OptInPolicy"], self.kvm["OptInPolicyTimeout"])
        if policy_changed and access.PT_ADMINISTRATION not in caller.realms:
            raise WsmanFault("AccessDenied")
        if self._ccm():
            settings["OptInPolicy"] = True  # CCM: consent for KVM is always required
        if settings["OptInPolicy"] != self.kvm["OptInPolicy"]:
            self.device.audit.log((29, 0) if settings["OptInPolicy"] else (29, 1), caller)
        if password:
            self.device.audit.log((29, 2), caller)
        self.kvm = settings
        self.changed()

    # --- IPS_OptInService ---------------------------------------------------------------------------------
    def _opt_in_instances(self, caller) -> list:
        return [Instance("IPS_OptInService", {
            "CanModifyOptInPolicy": 0 if self._ccm() else 1,
            "CreationClassName": "IPS_OptInService",
            "ElementName": "Intel(r) AMT OptIn Service",
            "Name": "Intel(r) AMT OptIn Service",
            "OptInCodeTimeout": self.opt_in_code_timeout,
            "OptInDisplayTimeout": self.opt_in_display_timeout,
            "OptInRequired": OPT_IN_ALL if self._ccm() else self.opt_in_required,
            "OptInState": self.opt_in_state,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    def _put_opt_in(self, current, new, caller) -> None:
        required = prop_int(new, "OptInRequired", current.props["OptInRequired"])
        if required not in (OPT_IN_NONE, OPT_IN_KVM, OPT_IN_ALL):
            raise WsmanFault("InvalidParameter", "OptInRequired must be 0, 1 or 4294967295")
        code_timeout = _in_range(new, "OptInCodeTimeout", self.opt_in_code_timeout, OPT_IN_CODE_TIMEOUT_RANGE)
        display_timeout = _in_range(new, "OptInDisplayTimeout", self.opt_in_display_timeout, OPT_IN_DISPLAY_TIMEOUT_RANGE)
        if self._ccm() and (required, display_timeout) != (current.props["OptInRequired"], self.opt_in_display_timeout):
            raise WsmanFault("AccessDenied", "NOT_PERMITTED: OptInRequired and OptInDisplayTimeout are fixed in Client Control Mode.")
        if required != current.props["OptInRequired"]:
            self.device.audit.log(events.OPT_IN_POLICY_CHANGE, caller,
                                  bytes([_policy_byte(self.opt_in_required), _policy_byte(required)]))
            self.opt_in_required = required
        self.opt_in_code_timeout, self.opt_in_display_timeout = code_timeout, display_timeout
        self.changed()

    def _start_opt_in(self, instance, inputs, caller):
        if self.opt_in_state != OPT_IN_NOT_STARTED:
            return result(OPTIN_INVALID_STATE)
        self.opt_in_state = OPT_IN_DISPLAYED
        self.opt_in_code = f"{random.SystemRandom().randrange(1000000):06d}"
        self.opt_in_attempts = 0
        self.changed()
        return result(OPTIN_SUCCESS)

    def _cancel_opt_in(self, instance, inputs, caller):
        if self.opt_in_state == OPT_IN_NOT_STARTED:
            return result(OPTIN_INVALID_STATE)
        self.opt_in_state, self.opt_in_code = OPT_IN_NOT_STARTED, None
        self.changed()
        return result(OPTIN_SUCCESS)

    def _send_opt_in_code(self, instance, inputs, caller):
        if self.opt_in_state != OPT_IN_DISPLAYED:
            return result(OPTIN_INVALID_STATE)
        code = int_input(inputs, "OptInCode")
        if code is not None and self.opt_in_code is not None and code == int(self.opt_in_code):
            self.opt_in_state = OPT_IN_RECEIVED
            self.device.audit.log((30, 1), caller, bytes([0]))
            self.changed()
            return result(OPTIN_SUCCESS)
        self.opt_in_attempts += 1
        if self.opt_in_attempts >= MAX_CODE_ATTEMPTS:
            self.device.audit.log((30, 1), caller, bytes([1]))
            self.opt_in_state, self.opt_in_code = OPT_IN_NOT_STARTED, None
        self.changed()
        return result(OPTIN_INVALID_STATE)
