# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The general unit against real firmware captures: reading in the module's vocabulary, validation, planning, the
writes it sends and what a device without the web UI service does."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import general
from ansible_collections.oob.amt.plugins.module_utils.units.base import converge
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError

from ansible_collections.oob.amt.tests.unit.plugins.module_utils.info.fake_device import FakeClient, captured_instance

SETTINGS, WEB_UI, DETECTION = "AMT_GeneralSettings", "AMT_WebUIService", "AMT_EnvironmentDetectionSettingData"


class Device(FakeClient):
    """Captured settings (host name and domain from the capture, pings answered, two detection domains), web UI on."""

    def __init__(self, absent=(), **changes):
        instances = {
            SETTINGS: captured_instance("amt/general/get.xml"),
            DETECTION: captured_instance("amt/environmentdetection/get.xml"),
            WEB_UI: {"EnabledState": "2", "Name": "Intel(r) AMT Web Browser UI Service"},
        }
        instances[SETTINGS].update(HostName="pc17", DomainName="corp.example.com")
        for key, value in changes.items():
            class_name, name = key.split("__")
            instances[dict(settings=SETTINGS, detection=DETECTION, web_ui=WEB_UI)[class_name]][name] = value
        super().__init__(instances=instances, absent=absent, methods={(WEB_UI, "RequestStateChange"): self._web_ui})
        self.puts = []

    def _web_ui(self, inputs):
        self.instances[WEB_UI]["EnabledState"] = str(dict(inputs)["RequestedState"])
        return {"ReturnValue": 0}

    def put(self, class_name, instance, selectors=None):
        self.calls.append(("put", class_name))
        self.puts.append((class_name, dict(instance), selectors))
        self.instances[class_name] = dict((name, str(value).lower() if isinstance(value, bool) else value)
                                          for name, value in instance.items())


CAPTURED = {
    "host_name": "pc17", "domain_name": "corp.example.com", "ping_response_enabled": True, "rmcp_ping_response_enabled": True,
    "shared_fqdn": True, "idle_wake_timeout": 1, "presence_notification_interval": 0, "web_ui_enabled": True,
    "detection_domains": ["b332bb28-ef3a-43b0-b998-342285ac1e26.com", "test.com"], "detection_ipv6_prefixes": [],
}


def test_captured_device_reads_in_option_names():
    unit = general.General()
    assert unit.describe(unit.read(Device())) == CAPTURED


def test_parts_read_only_their_own_class():
    client = Device()
    state = general.General(parts=(general.WEB_UI,)).read(client)
    assert state == {"web_ui_enabled": True} and client.calls == [("get", WEB_UI)]


def test_giving_the_read_state_back_plans_nothing():
    client = Device()
    outcome = converge(general.General(dict(CAPTURED, detection_domains=["TEST.com", "b332bb28-ef3a-43b0-b998-342285ac1e26.com"])),
                       client, check_mode=False)
    assert outcome.error is None and outcome.planned == [] and outcome.writes == []
    assert not [call for call in client.calls if call[0] in ("put", "invoke")]


def test_changes_are_one_put_per_class_and_a_state_change():
    client = Device()
    want = {"host_name": "pc18", "ping_response_enabled": False, "presence_notification_interval": 30, "web_ui_enabled": False,
            "detection_ipv6_prefixes": ["2001:0db8:0010::/48"]}
    outcome = converge(general.General(want), client, check_mode=False)
    assert outcome.error is None, outcome.error
    assert outcome.actions == [
        "set general settings: host name pc18, ping answers off, presence notifications every 30 minutes",
        "set environment detection: IPv6 prefixes 2001:db8:10::/48",
        "turn the web UI off"]
    assert [write.status for write in outcome.writes] == ["confirmed"] * 3 and all(write.verified for write in outcome.writes)
    (settings_class, settings, settings_selectors), (detection_class, detection, detection_selectors) = client.puts
    assert settings_class == SETTINGS and settings_selectors is None
    assert settings["HostName"] == "pc18" and settings["PingResponseEnabled"] is False
    assert settings["PresenceNotificationInterval"] == 30 and settings["WsmanOnlyMode"] == "false"
    assert not {"DigestRealm", "NetworkInterfaceEnabled", "PrivacyLevel", "PowerSource"} & set(settings)
    assert detection_class == DETECTION and detection_selectors == {"InstanceID": "Intel(r) AMT Environment Detection Settings"}
    assert detection["DetectionAlgorithm"] == 0 and detection["DetectionIPv6LocalPrefixes"] == ["2001:db8:10::/48"]
    assert detection["DetectionStrings"] == CAPTURED["detection_domains"]
    assert ("invoke", WEB_UI, "RequestStateChange", False) in client.calls
    assert outcome.diff["before"]["web_ui_enabled"] is True and outcome.diff["after"]["web_ui_enabled"] is False
    assert outcome.state == dict(CAPTURED, host_name="pc18", ping_response_enabled=False, presence_notification_interval=30,
                                 web_ui_enabled=False, detection_ipv6_prefixes=["2001:db8:10::/48"])


def test_check_mode_sends_nothing():
    client = Device()
    outcome = converge(general.General({"shared_fqdn": False, "detection_domains": []}), client, check_mode=True)
    assert outcome.changed and outcome.actions == ["set general settings: FQDN dedicated to AMT",
                                                   "set environment detection: intranet domains none"]
    assert client.puts == []


def test_without_web_ui_service_off_is_nothing_to_do_and_on_is_refused_before_writing():
    client = Device(absent={WEB_UI})
    state = general.General().read(client)
    assert state["web_ui_enabled"] is None
    assert converge(general.General({"web_ui_enabled": False}), client, check_mode=False).planned == []
    outcome = converge(general.General({"web_ui_enabled": True, "host_name": "pc18"}), client, check_mode=False)
    assert isinstance(outcome.error, DeviceError) and str(outcome.error).startswith("web_ui_enabled: this device has no web UI")
    assert outcome.writes == [] and client.puts == []


def test_without_environment_detection_domains_are_refused_before_writing():
    client = Device(absent={DETECTION})
    assert general.General().read(client)["detection_domains"] is None
    outcome = converge(general.General({"detection_domains": ["corp.example.com"]}), client, check_mode=False)
    assert str(outcome.error).startswith("detection_domains: this device has no environment detection")
    assert outcome.writes == []


def test_a_write_the_device_does_not_show_is_unverified():
    client = Device()
    client.put = lambda class_name, instance, selectors=None: None
    outcome = converge(general.General({"idle_wake_timeout": 60}), client, check_mode=False)
    assert isinstance(outcome.error, DeviceError)
    assert [(write.status, write.verified) for write in outcome.writes] == [("confirmed", False)]


@pytest.mark.parametrize("options, message", [
    ({"host_name": "a" * 64}, "host_name: is at most 63 characters"),
    ({"host_name": "pc17.corp"}, "host_name: is a single label without dots"),
    ({"host_name": "-pc17"}, "host_name: labels hold only letters, digits and hyphens"),
    ({"host_name": "pc_17"}, "host_name: labels hold only letters, digits and hyphens"),
    ({"domain_name": "a." * 95 + "com"}, "domain_name: is at most 191 characters"),
    ({"domain_name": "corp..example.com"}, "domain_name: must not have an empty label"),
    ({"domain_name": "b" * 64 + ".com"}, "domain_name: each label is at most 63 characters"),
    ({"idle_wake_timeout": 0}, "idle_wake_timeout: must be between 1 and 65535 minutes"),
    ({"idle_wake_timeout": 65536}, "idle_wake_timeout: must be between 1 and 65535 minutes"),
    ({"presence_notification_interval": 14}, "presence_notification_interval: must be 0 (off) or at least 15 minutes"),
    ({"detection_domains": ["d%d.example.com" % number for number in range(6)]}, "detection_domains: holds at most 5 domains"),
    ({"detection_domains": ["a" * 63 + "." + "b" * 63 + "." + "c" * 63]}, "detection_domains: is at most 190 characters"),
    ({"detection_domains": ["corp.example.com", "CORP.example.com"]}, "detection_domains: lists each entry once"),
    ({"detection_domains": ["corp example"]}, "detection_domains: labels hold only"),
    ({"detection_ipv6_prefixes": ["2001:db8::"]}, "detection_ipv6_prefixes: the prefix length is between 1 and 64"),
    ({"detection_ipv6_prefixes": ["2001:db8::/96"]}, "detection_ipv6_prefixes: the prefix length is between 1 and 64"),
    ({"detection_ipv6_prefixes": ["2001:db8::1/48"]}, "detection_ipv6_prefixes: each is an IPv6 prefix"),
    ({"detection_ipv6_prefixes": ["192.0.2.0/24"]}, "detection_ipv6_prefixes: each is an IPv6 prefix"),
    ({"detection_ipv6_prefixes": ["2001:db8::/48", "2001:0db8::/48"]}, "detection_ipv6_prefixes: lists each entry once"),
])
def test_validation_names_the_option_and_rule(options, message):
    with pytest.raises(InvalidInputError) as refused:
        general.General(options)
    assert str(refused.value).startswith(message), str(refused.value)


def test_empty_names_and_lists_are_accepted():
    want = general.General({"host_name": "", "domain_name": "", "detection_domains": [], "detection_ipv6_prefixes": []}).want
    assert want["host_name"] == "" and want["detection_domains"] == [] and want["web_ui_enabled"] is None
