"""Redirection rules the model adds to the captures: consent timeouts and what CCM fixes, KVM switched off in the MEBx,
devices without KVM (docs/amt-reference.md 3.5, 7.2, 7.3)."""
import pytest

from amtsim.model import Device
from amtsim.types import Instance, WsmanFault
from model_support import FakePki, admin, new_device


@pytest.fixture(scope="module")
def pki():
    return FakePki()


def opt_in(device):
    return device.get("IPS_OptInService", {}, admin()).props


def put_opt_in(device, **props):
    return device.put("IPS_OptInService", {}, Instance("IPS_OptInService", {name: str(value) for name, value in props.items()}), admin())


def test_consent_timeouts_are_settable_within_intels_ranges(pki):
    device = new_device(pki, "acm")
    put_opt_in(device, OptInCodeTimeout=60, OptInDisplayTimeout=4095)
    assert (opt_in(device)["OptInCodeTimeout"], opt_in(device)["OptInDisplayTimeout"]) == (60, 4095)
    for name, value in (("OptInCodeTimeout", 59), ("OptInCodeTimeout", 901), ("OptInDisplayTimeout", 9), ("OptInDisplayTimeout", 4096)):
        with pytest.raises(WsmanFault) as refused:
            put_opt_in(device, **{name: value})
        assert refused.value.subcode == "InvalidParameter"
    assert (opt_in(device)["OptInCodeTimeout"], opt_in(device)["OptInDisplayTimeout"]) == (60, 4095)


def test_ccm_fixes_the_policy_and_the_display_timeout_but_not_the_code_timeout(pki):
    device = new_device(pki, "ccm")
    for props in ({"OptInRequired": 1}, {"OptInDisplayTimeout": 60}):
        with pytest.raises(WsmanFault) as refused:
            put_opt_in(device, **props)
        assert refused.value.subcode == "AccessDenied"
    put_opt_in(device, OptInRequired=4294967295, OptInCodeTimeout=600)
    assert opt_in(device)["OptInCodeTimeout"] == 600 and opt_in(device)["OptInDisplayTimeout"] == 300


def test_kvm_disabled_in_the_mebx_reads_off_and_cannot_be_switched_on(pki):
    device = new_device(pki, "acm")
    device.redirection.kvm["EnabledByMEBx"] = False
    assert device.get("CIM_KVMRedirectionSAP", {}, admin()).props["EnabledState"] == 3
    outcome = device.invoke("CIM_KVMRedirectionSAP", "RequestStateChange", {}, {"RequestedState": "2"}, admin())
    assert outcome.return_value == 1


def test_a_device_without_kvm_has_no_kvm_classes_even_after_unprovisioning(pki):
    device = new_device(pki, "acm")
    device.redirection.kvm_present = False
    restored = Device.from_state(device.to_state(), pki)
    restored.factory_reset(keep_admin=False)
    for class_name in ("CIM_KVMRedirectionSAP", "IPS_KVMRedirectionSettingData"):
        with pytest.raises(WsmanFault) as absent:
            restored.get(class_name, {}, admin())
        assert absent.value.subcode == "DestinationUnreachable"
