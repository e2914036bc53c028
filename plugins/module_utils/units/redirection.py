# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redirection and user consent: SOL, IDE-R/USB-R, KVM, the redirection listener, VNC port 5900 and the consent policy
(docs/amt-reference.md 7.1-7.3).

Redirection is the unit (units/base.py). It reads AMT_RedirectionService, CIM_KVMRedirectionSAP,
IPS_KVMRedirectionSettingData and IPS_OptInService, and writes in the order Intel's tools use: RequestStateChange of the
redirection service (SOL/IDE-R), RequestStateChange of the KVM access point, Put of the redirection service
(ListenerEnabled), then Put of the KVM settings and of the consent service.

What the device does not let a console change is not sent, and is reported in `not_applicable` instead of failing:
consent required for everything and its display timeout are fixed in client control mode (docs/amt-reference.md 3.5), the MEBx
may forbid changing the consent policy remotely (CanModifyOptInPolicy), KVM switched off in the MEBx can only be
switched on there, and Standard Manageability devices have no KVM at all.
"""

from __future__ import annotations

import string

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.amt.client import optional
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_WRITTEN_MASK, Unit
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

USER_CONSENT = dict((name, value) for value, name in schema.OPT_IN_REQUIRED.items())
FEATURE_OPTIONS = ("sol", "ider", "kvm", "listener", "vnc_port_5900")
# Ranges from Intel's class descriptions: SessionTimeout in minutes (0 = none), the consent timeouts in seconds.
KVM_SESSION_TIMEOUT = (0, 255)
CONSENT_DISPLAY_TIMEOUT = (10, 4095)
CONSENT_CODE_TIMEOUT = (60, 900)
RFB_PASSWORD_LENGTH = 8
# CIM_KVMRedirectionSAP.EnabledState: 2 enabled, 6 enabled but no session open (docs/amt-reference.md 7.2).
KVM_ENABLED_STATES = (2, 6)
CAN_MODIFY_OPT_IN_POLICY = 1
# The Put bodies of IPS_OptInService carry what Intel's tools send back: the read-only state fields are left out.
_OPT_IN_READ_ONLY = ("OptInState", "CanModifyOptInPolicy")
_KVM_SETTINGS_PROPERTIES = {"vnc_port_5900": "Is5900PortEnabled", "kvm_session_timeout": "SessionTimeout"}
_CONSENT_PROPERTIES = {"user_consent": "OptInRequired", "consent_display_timeout": "OptInDisplayTimeout",
                       "consent_code_timeout": "OptInCodeTimeout"}
_CONSENT_OPTIONS = tuple(_CONSENT_PROPERTIES)

NOT_APPLICABLE_IN_CCM = "not applicable in CCM"


def _range(options, option, limits):
    value = options.get(option)
    if value is not None and not limits[0] <= value <= limits[1]:
        raise InvalidInputError("%s: must be between %d and %d (got %d)" % (option, limits[0], limits[1], value))
    return value


def _check_rfb_password(password):
    # Intel's KVM documentation: exactly 8 characters with a lower-case and an upper-case letter, a digit and a special character.
    if len(password) != RFB_PASSWORD_LENGTH or any(not 33 <= ord(char) <= 126 for char in password):
        raise InvalidInputError("rfb_password: must be exactly %d printable ASCII characters without spaces" % RFB_PASSWORD_LENGTH)
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    if not all(any(char in group for char in password) for group in classes) or password.isalnum():
        raise InvalidInputError("rfb_password: needs a lower-case letter, an upper-case letter, a digit and a special character")


def validate(options):
    """The normalised task; raises InvalidInputError naming the option and the rule."""
    want = dict((option, options.get(option)) for option in FEATURE_OPTIONS)
    consent = options.get("user_consent")
    if consent is not None and consent not in USER_CONSENT:
        raise InvalidInputError("user_consent: must be one of %s" % ", ".join(sorted(USER_CONSENT)))
    want["user_consent"] = consent
    want["kvm_session_timeout"] = _range(options, "kvm_session_timeout", KVM_SESSION_TIMEOUT)
    want["consent_display_timeout"] = _range(options, "consent_display_timeout", CONSENT_DISPLAY_TIMEOUT)
    want["consent_code_timeout"] = _range(options, "consent_code_timeout", CONSENT_CODE_TIMEOUT)
    password = options.get("rfb_password")
    if password is not None:
        if want["vnc_port_5900"] is not True:
            raise InvalidInputError("rfb_password: is written only when port 5900 is opened; set vnc_port_5900: true or leave it out")
        _check_rfb_password(password)
    want["rfb_password"] = password
    return want


def read(client, with_control_mode=False):
    """The device's redirection state; with_control_mode also reads the control mode, which decides what consent may change."""
    service = client.get(schema.AMT_REDIRECTION_SERVICE)
    kvm_sap = optional(lambda: client.get(schema.CIM_KVM_REDIRECTION_SAP))
    kvm_settings = None if kvm_sap is None else optional(lambda: client.get(schema.IPS_KVM_REDIRECTION_SETTING_DATA))
    opt_in = client.get(schema.IPS_OPT_IN_SERVICE)
    vendor_state = max(0, (schema.as_int(service.get("EnabledState")) or 0) - schema.REDIRECTION_STATE_BASE)
    control_mode = None
    if with_control_mode:
        control_mode = schema.enum_name(schema.CONTROL_MODE, client.get(schema.IPS_HOST_BASED_SETUP_SERVICE).get("CurrentControlMode"))
    return {
        "sol": bool(vendor_state & schema.REDIRECTION_SOL_BIT),
        "ider": bool(vendor_state & schema.REDIRECTION_IDER_BIT),
        "listener": schema.as_bool(service.get("ListenerEnabled")),
        "kvm_supported": kvm_sap is not None,
        "kvm": None if kvm_sap is None else schema.as_int(kvm_sap.get("EnabledState")) in KVM_ENABLED_STATES,
        "kvm_enabled_in_mebx": None if kvm_settings is None else schema.as_bool(kvm_settings.get("EnabledByMEBx")),
        "vnc_port_5900": None if kvm_settings is None else schema.as_bool(kvm_settings.get("Is5900PortEnabled")),
        "kvm_session_timeout": None if kvm_settings is None else schema.as_int(kvm_settings.get("SessionTimeout")),
        "user_consent": schema.enum_name(schema.OPT_IN_REQUIRED, opt_in.get("OptInRequired")),
        "consent_display_timeout": schema.as_int(opt_in.get("OptInDisplayTimeout")),
        "consent_code_timeout": schema.as_int(opt_in.get("OptInCodeTimeout")),
        "consent_policy_changeable": schema.as_int(opt_in.get("CanModifyOptInPolicy")) == CAN_MODIFY_OPT_IN_POLICY,
        "control_mode": control_mode,
    }


def describe(state):
    """The options' names and values, then what the device decides alone (kvm_supported, kvm_enabled_in_mebx,
    consent_policy_changeable): read-only facts, not options."""
    return dict((key, value) for key, value in state.items() if key != "control_mode")


def _not_applicable(option, wanted, device, reason):
    return {"option": option, "wanted": wanted, "device": device, "reason": reason}


def _consent_refusal(state, option):
    """Why the device does not let a console change this consent option, or None when it does."""
    if state["control_mode"] == "ccm" and option in ("user_consent", "consent_display_timeout"):
        return "%s: client control mode fixes it (consent is always required for everything)" % NOT_APPLICABLE_IN_CCM
    if option == "user_consent" and not state["consent_policy_changeable"]:
        return "the MEBx does not allow changing the consent policy remotely (CanModifyOptInPolicy=0): change it in the MEBx"
    return None


def _kvm_refusal(state, option, wanted):
    """Why a KVM option cannot be brought to `wanted` on this device, or None when it can."""
    if not state["kvm_supported"]:
        return None if wanted in (False, None) else "this device has no KVM (Intel Standard Manageability)"
    if option == "kvm" and wanted and state["kvm_enabled_in_mebx"] is False:
        return "KVM is disabled in the MEBx; only the MEBx can allow it again"
    return None


def plan(state, want):
    """(changes, not_applicable): the writes in the order they must be sent, and what the device does not let change."""
    changes, refused = [], []
    sol = state["sol"] if want["sol"] is None else want["sol"]
    ider = state["ider"] if want["ider"] is None else want["ider"]
    if (sol, ider) != (state["sol"], state["ider"]):
        changes.append({"action": "redirection_state", "sol": sol, "ider": ider})
    if want["kvm"] is not None and want["kvm"] != bool(state["kvm"]):
        reason = _kvm_refusal(state, "kvm", want["kvm"])
        if reason:
            refused.append(_not_applicable("kvm", want["kvm"], state["kvm"], reason))
        else:
            changes.append({"action": "kvm", "enabled": want["kvm"]})
    if want["listener"] is not None and want["listener"] != state["listener"]:
        changes.append({"action": "listener", "enabled": want["listener"]})
    kvm_settings = {}
    for option in _KVM_SETTINGS_PROPERTIES:
        if want[option] is None or want[option] == state[option]:
            continue
        reason = _kvm_refusal(state, option, want[option])
        if reason:
            refused.append(_not_applicable(option, want[option], state[option], reason))
        elif state["kvm_supported"]:
            kvm_settings[option] = want[option]
    if kvm_settings:
        opening = kvm_settings.get("vnc_port_5900") is True
        if opening and want["rfb_password"] is None:
            raise InvalidInputError("rfb_password: opening port 5900 needs the RFB (VNC) password; the device never shows one it may hold")
        changes.append({"action": "kvm_settings", "values": kvm_settings, "rfb_password": want["rfb_password"] if opening else None})
    consent = {}
    for option in _CONSENT_OPTIONS:
        if want[option] is None or want[option] == state[option]:
            continue
        reason = _consent_refusal(state, option)
        if reason:
            refused.append(_not_applicable(option, want[option], state[option], reason))
        else:
            consent[option] = want[option]
    if consent:
        changes.append({"action": "consent", "values": consent})
    return changes, refused


def after_state(state, changes):
    after = dict(state)
    for change in changes:
        action = change["action"]
        if action == "redirection_state":
            after["sol"], after["ider"] = change["sol"], change["ider"]
        elif action in ("kvm", "listener"):
            after[action] = change["enabled"]
        else:
            after.update(change["values"])
    return after


def _on_off(value):
    return "on" if value else "off"


def summary(change):
    action = change["action"]
    if action == "redirection_state":
        return "turn SOL %s and IDE-R %s" % (_on_off(change["sol"]), _on_off(change["ider"]))
    if action == "kvm":
        return "turn KVM %s" % _on_off(change["enabled"])
    if action == "listener":
        return "turn the redirection listener (16994/16995) %s" % _on_off(change["enabled"])
    values = change["values"]
    parts = []
    if "vnc_port_5900" in values:
        parts.append("port 5900 %s" % ("open" if values["vnc_port_5900"] else "closed"))
    if "kvm_session_timeout" in values:
        parts.append("KVM session timeout %d minutes" % values["kvm_session_timeout"])
    if "user_consent" in values:
        parts.append("user consent required for %s" % values["user_consent"])
    if "consent_display_timeout" in values:
        parts.append("consent code shown %d seconds" % values["consent_display_timeout"])
    if "consent_code_timeout" in values:
        parts.append("consent code valid %d seconds" % values["consent_code_timeout"])
    return "set %s: %s" % ("KVM settings" if action == "kvm_settings" else "user consent", ", ".join(parts))


def send(client, change):
    action = change["action"]
    if action == "redirection_state":
        requested = (schema.REDIRECTION_STATE_BASE + (schema.REDIRECTION_IDER_BIT if change["ider"] else 0)
                     + (schema.REDIRECTION_SOL_BIT if change["sol"] else 0))
        client.invoke(schema.AMT_REDIRECTION_SERVICE, "RequestStateChange", [("RequestedState", requested)])
    elif action == "kvm":
        requested = schema.REQUESTED_STATE_ENABLED if change["enabled"] else schema.REQUESTED_STATE_DISABLED
        client.invoke(schema.CIM_KVM_REDIRECTION_SAP, "RequestStateChange", [("RequestedState", requested)])
    elif action == "listener":
        service = client.get(schema.AMT_REDIRECTION_SERVICE)
        service["ListenerEnabled"] = change["enabled"]
        client.put(schema.AMT_REDIRECTION_SERVICE, service)
    elif action == "kvm_settings":
        settings = client.get(schema.IPS_KVM_REDIRECTION_SETTING_DATA)
        # Write-only, read back empty: sent only with a new password, so that an empty one never replaces it.
        settings.pop("RFBPassword", None)
        if change["rfb_password"] is not None:
            settings["RFBPassword"] = change["rfb_password"]
        for option, value in change["values"].items():
            settings[_KVM_SETTINGS_PROPERTIES[option]] = value
        client.put(schema.IPS_KVM_REDIRECTION_SETTING_DATA, settings)
    else:
        opt_in = client.get(schema.IPS_OPT_IN_SERVICE)
        for name in _OPT_IN_READ_ONLY:
            opt_in.pop(name, None)
        for option, value in change["values"].items():
            opt_in[_CONSENT_PROPERTIES[option]] = USER_CONSENT[value] if option == "user_consent" else value
        client.put(schema.IPS_OPT_IN_SERVICE, opt_in)


class Redirection(Unit):
    """SOL, IDE-R, KVM, the listener, port 5900 and user consent (module amt_redirection). Built with options=None it
    only reads, as amt_info reports it."""

    name = "redirection"

    def __init__(self, options=None):
        self.want = None if options is None else validate(options)
        self.not_applicable = []

    def read(self, client):
        needs_mode = self.want is not None and any(self.want[option] is not None for option in _CONSENT_OPTIONS)
        return read(client, with_control_mode=needs_mode)

    def describe(self, state):
        return describe(state)

    def plan(self, state):
        changes, self.not_applicable = plan(state, self.want)
        return changes

    def after(self, state, changes):
        return after_state(state, changes)

    def diff(self, state, changes):
        difference = super().diff(state, changes)
        if any(change.get("rfb_password") for change in changes):
            difference["after"]["rfb_password"] = SECRET_WRITTEN_MASK
        return difference

    def summary(self, change):
        return summary(change)

    def send(self, client, state, change):
        send(client, change)

    def landed(self, client, change):
        state = read(client)
        return describe(state) == describe(after_state(state, [change]))
