# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The redirection unit against real firmware captures: reading, validation, planning (what the device does not let
change included) and the writes it sends."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import redirection
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_WRITTEN_MASK, converge
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.info.fake_device import FakeClient, captured_instance

SERVICE, KVM_SAP, KVM_SETTINGS, OPT_IN, HOST_SETUP = (
    "AMT_RedirectionService", "CIM_KVMRedirectionSAP", "IPS_KVMRedirectionSettingData", "IPS_OptInService", "IPS_HostBasedSetupService")


class Device(FakeClient):
    """Captured instances (SOL+IDE-R on, listener on, KVM on, port 5900 closed, consent none) that take Puts and state changes."""

    def __init__(self, control_mode="2", absent=(), **changes):
        instances = {
            SERVICE: captured_instance("amt/redirectionservice/get.xml"),
            KVM_SAP: captured_instance("cim/kvm/get.xml"),
            KVM_SETTINGS: captured_instance("ips/kvmredirection/settings/get.xml"),
            OPT_IN: captured_instance("ips/optin/get.xml"),
            HOST_SETUP: {"CurrentControlMode": control_mode},
        }
        for key, value in changes.items():
            class_name, name = key.split("__")
            instances[dict(service=SERVICE, kvm=KVM_SAP, settings=KVM_SETTINGS, opt_in=OPT_IN)[class_name]][name] = value
        super().__init__(instances=instances, absent=absent, methods={
            (SERVICE, "RequestStateChange"): self._state_change(SERVICE),
            (KVM_SAP, "RequestStateChange"): self._state_change(KVM_SAP),
        })
        self.puts = []

    def _state_change(self, class_name):
        def change(inputs):
            self.instances[class_name]["EnabledState"] = str(dict(inputs)["RequestedState"])
            return {"ReturnValue": 0}
        return change

    def put(self, class_name, instance, selectors=None):
        self.calls.append(("put", class_name))
        self.puts.append((class_name, dict(instance)))
        self.instances[class_name] = dict((name, value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value))
                                          for name, value in instance.items())


def test_captured_device_reads_in_option_names():
    unit = redirection.Redirection()
    client = Device()
    assert unit.describe(unit.read(client)) == {
        "sol": True, "ider": True, "listener": True, "kvm": True, "vnc_port_5900": False, "kvm_session_timeout": 3,
        "user_consent": "none", "consent_display_timeout": 300, "consent_code_timeout": 120,
        "kvm_supported": True, "kvm_enabled_in_mebx": True, "consent_policy_changeable": True,
    }
    # amt_info's reads: four Gets, and no control mode.
    assert [call[1] for call in client.calls] == [SERVICE, KVM_SAP, KVM_SETTINGS, OPT_IN]


def test_device_without_kvm_reads_null_and_skips_the_settings():
    unit = redirection.Redirection()
    client = Device(absent={KVM_SAP})
    described = unit.describe(unit.read(client))
    assert described["kvm"] is None and described["vnc_port_5900"] is None and described["kvm_supported"] is False
    assert ("get", KVM_SETTINGS) not in client.calls


@pytest.mark.parametrize("options, message", [
    ({"kvm_session_timeout": 256}, "kvm_session_timeout: must be between 0 and 255 (got 256)"),
    ({"consent_display_timeout": 9}, "consent_display_timeout: must be between 10 and 4095 (got 9)"),
    ({"consent_code_timeout": 901}, "consent_code_timeout: must be between 60 and 900 (got 901)"),
    ({"user_consent": "some"}, "user_consent: must be one of all, kvm, none"),
    ({"rfb_password": "Ab1!Ab1!"}, "rfb_password: is written only when port 5900 is opened"),
    ({"vnc_port_5900": True, "rfb_password": "Ab1!Ab1"}, "rfb_password: must be exactly 8 printable ASCII characters"),
    ({"vnc_port_5900": True, "rfb_password": "Ab1 Ab1!"}, "rfb_password: must be exactly 8 printable ASCII characters"),
    ({"vnc_port_5900": True, "rfb_password": "Abc1Abc1"}, "rfb_password: needs a lower-case letter, an upper-case letter"),
    ({"vnc_port_5900": True, "rfb_password": "abc1!bc1"}, "rfb_password: needs a lower-case letter, an upper-case letter"),
])
def test_validation_names_the_option_and_rule(options, message):
    with pytest.raises(InvalidInputError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        redirection.Redirection(options)


def run(client, check_mode=False, **options):
    unit = redirection.Redirection(options)
    return unit, converge(unit, client, check_mode)


def test_hardening_sends_the_writes_in_intel_order_and_reads_each_back():
    client = Device()
    unit, outcome = run(client, sol=False, ider=False, kvm=False, listener=False, vnc_port_5900=False, kvm_session_timeout=30,
                        user_consent="all", consent_display_timeout=120, consent_code_timeout=60)
    assert outcome.error is None, outcome.error
    assert outcome.actions == [
        "turn SOL off and IDE-R off", "turn KVM off", "turn the redirection listener (16994/16995) off",
        "set KVM settings: KVM session timeout 30 minutes",
        "set user consent: user consent required for all, consent code shown 120 seconds, consent code valid 60 seconds"]
    assert all(write.verified for write in outcome.writes)
    assert unit.not_applicable == []
    invokes = [call for call in client.calls if call[0] == "invoke"]
    assert [call[1] for call in invokes] == [SERVICE, KVM_SAP]
    assert client.instances[SERVICE]["EnabledState"] == "32768" and client.instances[KVM_SAP]["EnabledState"] == "3"
    puts = dict(client.puts)
    assert puts[SERVICE]["ListenerEnabled"] is False
    assert "RFBPassword" not in puts[KVM_SETTINGS] and puts[KVM_SETTINGS]["SessionTimeout"] == 30
    assert puts[OPT_IN]["OptInRequired"] == 4294967295
    assert "OptInState" not in puts[OPT_IN] and "CanModifyOptInPolicy" not in puts[OPT_IN]
    assert outcome.state["user_consent"] == "all" and outcome.state["listener"] is False


def test_a_device_already_there_gets_nothing_and_check_mode_sends_nothing():
    client = Device()
    _unit, unchanged = run(client, sol=True, ider=True, kvm=True, listener=True, user_consent="none")
    assert unchanged.planned == [] and unchanged.writes == []
    _unit, checked = run(client, check_mode=True, sol=False)
    assert checked.changed and checked.actions == ["turn SOL off and IDE-R on"]
    assert checked.diff["before"]["sol"] is True and checked.diff["after"]["sol"] is False
    assert not [call for call in client.calls if call[0] in ("invoke", "put")]


def test_ccm_consent_is_not_applicable_and_not_sent():
    client = Device(control_mode="1", opt_in__OptInRequired="4294967295", opt_in__CanModifyOptInPolicy="0")
    unit, outcome = run(client, user_consent="none", consent_display_timeout=60, consent_code_timeout=300)
    assert outcome.error is None
    assert [(entry["option"], entry["wanted"], entry["device"]) for entry in unit.not_applicable] == [
        ("user_consent", "none", "all"), ("consent_display_timeout", 60, 300)]
    assert all(entry["reason"].startswith("not applicable in CCM") for entry in unit.not_applicable)
    assert outcome.actions == ["set user consent: consent code valid 300 seconds"]
    assert dict(client.puts)[OPT_IN]["OptInRequired"] == "4294967295"


def test_acm_with_the_policy_locked_in_the_mebx_is_reported_as_such():
    unit, outcome = run(Device(opt_in__CanModifyOptInPolicy="0"), user_consent="all")
    assert outcome.planned == []
    assert "CanModifyOptInPolicy=0" in unit.not_applicable[0]["reason"]


def test_kvm_disabled_in_the_mebx_stays_off_and_is_reported():
    client = Device(kvm__EnabledState="3", settings__EnabledByMEBx="false")
    unit, outcome = run(client, kvm=True)
    assert outcome.planned == [] and outcome.state["kvm_enabled_in_mebx"] is False
    assert unit.not_applicable == [{"option": "kvm", "wanted": True, "device": False,
                                    "reason": "KVM is disabled in the MEBx; only the MEBx can allow it again"}]
    _unit, off = run(client, kvm=False)
    assert off.planned == [] and _unit.not_applicable == []


def test_no_kvm_on_the_device_turns_kvm_options_into_not_applicable_only_when_asked_for_on():
    client = Device(absent={KVM_SAP})
    unit, outcome = run(client, kvm=False, vnc_port_5900=False)
    assert outcome.planned == [] and unit.not_applicable == []
    unit, outcome = run(client, kvm=True, kvm_session_timeout=10)
    assert outcome.planned == [] and [entry["option"] for entry in unit.not_applicable] == ["kvm", "kvm_session_timeout"]


def test_opening_port_5900_needs_the_password_and_masks_it():
    unit, outcome = run(Device(), vnc_port_5900=True)
    assert outcome.error is not None and str(outcome.error).startswith("rfb_password: opening port 5900 needs")
    client = Device()
    _unit, opened = run(client, vnc_port_5900=True, rfb_password="Ab1!Cd2?")
    assert opened.actions == ["set KVM settings: port 5900 open"]
    assert dict(client.puts)[KVM_SETTINGS]["RFBPassword"] == "Ab1!Cd2?"
    assert opened.diff["after"]["rfb_password"] == SECRET_WRITTEN_MASK and "Ab1!Cd2?" not in repr(opened.diff)
    _unit, again = run(client, vnc_port_5900=True, rfb_password="Ab1!Cd2?")
    assert again.planned == []
