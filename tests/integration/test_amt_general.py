# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_general end to end against simulated CCM (current and 11.x firmware) and ACM devices over TLS on loopback.

Loopback range: 127.77.245.x (remote) and 127.78.245.x (local); 127.77.245.250 has no listener.
"""

from __future__ import annotations

import pytest

from conftest import SimulatedDevice, assert_refused_before_sending, run_cases, run_play, start_fleet

# In the file's range and outside the fleets: a module that sent anything there would fail as unreachable.
UNREACHABLE = {"hostname": "127.77.245.250", "password": "Unused-Passw0rd!"}
FLEETS = {
    "ccm": ("ccm", None, 1),
    "acm": ("acm", None, 11),
    "ccm-11": ("ccm", "11.8.50.3425", 21),
}
CHECK = {"check_mode": True}
CONNECTION = {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
              "ca_path": "{{ amt_ca_path }}"}
WANTED = {
    "host_name": "pc-0042", "domain_name": "corp.example.com", "ping_response_enabled": False, "rmcp_ping_response_enabled": False,
    "shared_fqdn": False, "idle_wake_timeout": 120, "presence_notification_interval": 30, "web_ui_enabled": False,
    "detection_domains": ["corp.example.com", "lab.example.com"], "detection_ipv6_prefixes": ["2001:db8:10::/48"],
}
GENERAL_INFO_REALM = 13
OPERATOR, OPERATOR_PASSWORD = "netops", "N3tops!pass"


@pytest.fixture(scope="module", params=sorted(FLEETS))
def device(request, tmp_path_factory):
    profile, firmware, last_octet = FLEETS[request.param]
    addresses = {"first_address": "127.77.245.%d" % last_octet, "local_first_address": "127.78.245.%d" % last_octet}
    fleet = start_fleet(tmp_path_factory.mktemp("general-fleet"), 1, profile, addresses, firmware=firmware)
    yield SimulatedDevice(fleet, sorted(fleet.hosts)[0])
    fleet.stop()


@pytest.fixture
def run(device, tmp_path):
    """run(task, ...) runs amt_general once per task in one playbook (--diff on) and returns the results in order.

    A task is the module's args, or (args, task keywords) such as (args, CHECK); "login" in the keywords replaces the
    admin's connection and "module" runs another module (amt_info).
    """
    def run_tasks(*tasks):
        named = []
        for index, spec in enumerate(tasks):
            args, keywords = spec if isinstance(spec, tuple) else (spec, {})
            keywords = dict(keywords)
            login = keywords.pop("login", CONNECTION)
            module = keywords.pop("module", "amt_general")
            named.append(("task %d" % index, module, dict(login, **args), keywords))
        runs = run_play(tmp_path, device.fleet.inventory_path, named, hosts=device.name, diff=True)
        return [runs["task %d" % index] for index in range(len(tasks))]
    return run_tasks


def device_view(device):
    """What the device holds, read with the collection's client."""
    client = device.client()
    try:
        settings = client.get("AMT_GeneralSettings")
        detection = client.get("AMT_EnvironmentDetectionSettingData")
        return {
            "HostName": str(settings["HostName"] or ""), "PingResponseEnabled": str(settings["PingResponseEnabled"]),
            "SharedFQDN": str(settings["SharedFQDN"]), "IdleWakeTimeout": str(settings["IdleWakeTimeout"]),
            "WebUI": str(client.get("AMT_WebUIService")["EnabledState"]),
            "DetectionStrings": detection.get("DetectionStrings"), "DetectionIPv6LocalPrefixes": detection.get("DetectionIPv6LocalPrefixes"),
        }
    finally:
        client.close()


def test_check_mode_then_one_run_then_nothing(run, device):
    before = device_view(device)
    (checked,) = run((WANTED, CHECK))
    assert checked["changed"] is True and checked["writes"] == [], checked
    assert device_view(device) == before
    expected_actions = [
        "set general settings: host name pc-0042, domain name corp.example.com, ping answers off, RMCP ping answers off, "
        "FQDN dedicated to AMT, idle wake timeout 120 minutes, presence notifications every 30 minutes",
        "set environment detection: intranet domains corp.example.com, lab.example.com; IPv6 prefixes 2001:db8:10::/48",
        "turn the web UI off"]
    assert checked["actions"] == expected_actions
    assert checked["diff"]["before"]["web_ui_enabled"] is True and checked["diff"]["after"] == WANTED
    applied, again, info = run(WANTED, WANTED, ({"gather_subset": ["general", "network"]}, {"module": "amt_info"}))
    assert applied["changed"] is True and applied["actions"] == expected_actions, applied
    assert [(write["status"], write["verified"]) for write in applied["writes"]] == [("confirmed", True)] * 3
    assert applied["general"] == WANTED and applied["diff"]["after"] == WANTED
    assert device_view(device) == {
        "HostName": "pc-0042", "PingResponseEnabled": "false", "SharedFQDN": "false", "IdleWakeTimeout": "120", "WebUI": "3",
        "DetectionStrings": ["corp.example.com", "lab.example.com"], "DetectionIPv6LocalPrefixes": "2001:db8:10::/48"}
    assert again["changed"] is False and again["actions"] == [] and again["writes"] == []
    assert dict((option, info["amt"]["general"][option]) for option in list(WANTED)[:7]) == dict(list(WANTED.items())[:7])
    assert dict((option, info["amt"]["network"][option]) for option in list(WANTED)[7:]) == dict(list(WANTED.items())[7:])
    assert "AMT-WEB-01" not in [finding["id"] for finding in info["amt"]["findings"]]


def test_lists_are_sets_and_empty_lists_clear(run, device):
    reordered, cleared, web_ui_on = run(
        {"detection_domains": ["LAB.example.com", "corp.example.com"], "detection_ipv6_prefixes": ["2001:0db8:0010::/48"]},
        {"detection_domains": [], "detection_ipv6_prefixes": []}, {"web_ui_enabled": True})
    assert reordered["changed"] is False and reordered["writes"] == [], reordered
    assert cleared["actions"] == ["set environment detection: intranet domains none; IPv6 prefixes none"], cleared
    assert cleared["general"]["detection_domains"] == [] and cleared["general"]["detection_ipv6_prefixes"] == []
    assert device_view(device)["DetectionStrings"] is None
    assert web_ui_on["actions"] == ["turn the web UI on"] and device_view(device)["WebUI"] == "2"


def test_an_account_without_pt_administration_is_refused_by_the_device_before_any_write(run, device):
    device.add_digest_user(OPERATOR, OPERATOR_PASSWORD, realms=[GENERAL_INFO_REALM], access_permission=2)
    login = dict(CONNECTION, username=OPERATOR, password=OPERATOR_PASSWORD)
    before = device_view(device)
    (refused,) = run(({"host_name": "pc-0043", "web_ui_enabled": False}, {"login": login}))
    assert refused["failed"] is True and refused["error"] == "not_permitted", refused
    assert refused["changed"] is False and refused["writes"] == []
    assert device_view(device) == before


# (case, module args without the connection, option named, rule, checked by) for every rule of general.validate and
# the argument spec; "ansible" marks the rules AnsibleModule checks before the module's own code runs.
BAD_INPUT = [
    ("host_name_length", {"host_name": "h" * 64}, "host_name", "is at most 63 characters (got 64)", "module"),
    ("host_name_dots", {"host_name": "pc.corp"}, "host_name", "is a single label without dots", "module"),
    ("host_name_characters", {"host_name": "pc_17"}, "host_name", "labels hold only letters, digits and hyphens", "module"),
    ("host_name_hyphen", {"host_name": "pc17-"}, "host_name", "labels hold only letters, digits and hyphens", "module"),
    ("domain_length", {"domain_name": "d." * 95 + "com"}, "domain_name", "is at most 191 characters (got 193)", "module"),
    ("domain_empty_label", {"domain_name": "corp..example"}, "domain_name", "must not have an empty label", "module"),
    ("domain_label_length", {"domain_name": "l" * 64 + ".example"}, "domain_name", "each label is at most 63 characters", "module"),
    ("idle_low", {"idle_wake_timeout": 0}, "idle_wake_timeout", "must be between 1 and 65535 minutes (got 0)", "module"),
    ("idle_high", {"idle_wake_timeout": 65536}, "idle_wake_timeout", "must be between 1 and 65535 minutes (got 65536)", "module"),
    ("presence_short", {"presence_notification_interval": 10}, "presence_notification_interval",
     "must be 0 (off) or at least 15 minutes (got 10)", "module"),
    ("domains_count", {"detection_domains": ["d%d.example.com" % number for number in range(6)]}, "detection_domains",
     "holds at most 5 domains (got 6)", "module"),
    ("domain_too_long", {"detection_domains": ["a" * 63 + "." + "b" * 63 + "." + "c" * 63]}, "detection_domains",
     "is at most 190 characters (got 191)", "module"),
    ("domain_characters", {"detection_domains": ["corp example.com"]}, "detection_domains", "labels hold only letters", "module"),
    ("domains_repeated", {"detection_domains": ["corp.example.com", "Corp.Example.com"]}, "detection_domains",
     "lists each entry once", "module"),
    ("prefix_without_length", {"detection_ipv6_prefixes": ["2001:db8::"]}, "detection_ipv6_prefixes",
     "the prefix length is between 1 and 64", "module"),
    ("prefix_too_long", {"detection_ipv6_prefixes": ["2001:db8::/80"]}, "detection_ipv6_prefixes",
     "the prefix length is between 1 and 64", "module"),
    ("prefix_host_bits", {"detection_ipv6_prefixes": ["2001:db8::1/64"]}, "detection_ipv6_prefixes", "each is an IPv6 prefix", "module"),
    ("prefix_ipv4", {"detection_ipv6_prefixes": ["192.0.2.0/24"]}, "detection_ipv6_prefixes", "each is an IPv6 prefix", "module"),
    ("prefixes_repeated", {"detection_ipv6_prefixes": ["2001:db8::/48", "2001:0db8:0::/48"]}, "detection_ipv6_prefixes",
     "lists each entry once", "module"),
    ("web_ui_type", {"web_ui_enabled": "sometimes"}, "web_ui_enabled", "bool", "ansible"),
    ("idle_type", {"idle_wake_timeout": "an hour"}, "idle_wake_timeout", "int", "ansible"),
]


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    results, _output = run_cases(tmp_path_factory.mktemp("general-bad-input"), {"amt_general": {}}, cases, common_args=UNREACHABLE)
    return results["amt_general"]


@pytest.mark.parametrize("case, option, rule, checked_by", [(case, option, rule, checked_by) for case, _args, option, rule, checked_by in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule, _checked_by in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, case, option, rule, checked_by):
    assert_refused_before_sending(bad_input_results[case], option, rule, checked_by)
