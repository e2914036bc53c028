"""AMT_GeneralSettings and AMT_EnvironmentDetectionSettingData Put rules of the device model."""
import pytest

from amtsim.model.general import ENVIRONMENT_ID
from amtsim.types import Instance, WsmanFault
from model_support import FakePki, admin, new_device


@pytest.fixture(scope="module")
def pki():
    return FakePki()


def put_detection(device, **props):
    body = dict({"DetectionAlgorithm": "0", "ElementName": ENVIRONMENT_ID, "InstanceID": ENVIRONMENT_ID}, **props)
    device.put("AMT_EnvironmentDetectionSettingData", {"InstanceID": ENVIRONMENT_ID},
               Instance("AMT_EnvironmentDetectionSettingData", body), admin())
    return device.get("AMT_EnvironmentDetectionSettingData", {}, admin()).props


def put_general(device, **changes):
    current = dict(device.get("AMT_GeneralSettings", {}, admin()).props)
    current.update(changes)
    device.put("AMT_GeneralSettings", {}, Instance("AMT_GeneralSettings", current), admin())
    return device.get("AMT_GeneralSettings", {}, admin()).props


def test_detection_keeps_domains_and_ipv6_prefixes(pki):
    device = new_device(pki, "acm")
    stored = put_detection(device, DetectionStrings=["corp.example.com", "example.net"],
                           DetectionIPv6LocalPrefixes=["2001:db8:10::/48", "fd00:1:2:3::/64"])
    assert stored["DetectionStrings"] == ["corp.example.com", "example.net"]
    assert stored["DetectionIPv6LocalPrefixes"] == ["2001:db8:10::/48", "fd00:1:2:3::/64"]
    cleared = put_detection(device)
    assert cleared.get("DetectionStrings") is None and cleared.get("DetectionIPv6LocalPrefixes") is None


@pytest.mark.parametrize("props", [
    {"DetectionStrings": ["d%d.example.com" % number for number in range(6)]},
    {"DetectionStrings": ["a" * 191]},
    {"DetectionIPv6LocalPrefixes": ["2001:db8::"]},
    {"DetectionIPv6LocalPrefixes": ["2001:db8::1/48"]},
    {"DetectionIPv6LocalPrefixes": ["2001:db8::/96"]},
    {"DetectionIPv6LocalPrefixes": ["not-a-prefix/48"]},
])
def test_detection_refuses_what_amt_refuses(pki, props):
    device = new_device(pki, "acm")
    with pytest.raises(WsmanFault) as refused:
        put_detection(device, **props)
    assert refused.value.subcode == "InvalidParameter"
    assert device.general.detection_strings == [] and device.general.detection_ipv6_prefixes == []


def test_presence_notification_interval_is_off_or_at_least_15_minutes(pki):
    device = new_device(pki, "ccm")
    assert put_general(device, PresenceNotificationInterval="15")["PresenceNotificationInterval"] == 15
    assert put_general(device, PresenceNotificationInterval="0")["PresenceNotificationInterval"] == 0
    with pytest.raises(WsmanFault):
        put_general(device, PresenceNotificationInterval="14")
