# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_redirection end to end against simulated ACM and CCM devices over TLS on loopback, and devices whose MEBx
disables KVM or that have no KVM at all.

Loopback range: 127.77.239.x (remote) and 127.78.239.x (local); 127.77.239.250 has no listener.
"""

from __future__ import annotations

import json

import pytest

from conftest import SimulatedDevice, assert_refused_before_sending, run_cases, run_play, start_fleet

ACM = {"first_address": "127.77.239.1", "local_first_address": "127.78.239.1"}
CCM = {"first_address": "127.77.239.11", "local_first_address": "127.78.239.11"}
MEBX_OFF = {"first_address": "127.77.239.21", "local_first_address": "127.78.239.21"}
NO_KVM = {"first_address": "127.77.239.31", "local_first_address": "127.78.239.31"}
# In the file's range and outside the fleets: a module that sent anything there would fail as unreachable.
UNREACHABLE = {"hostname": "127.77.239.250", "password": "Unused-Passw0rd!"}
CHECK = {"check_mode": True}
HARDENED = {"sol": False, "ider": False, "kvm": False, "listener": False, "vnc_port_5900": False, "kvm_session_timeout": 15,
            "user_consent": "all", "consent_display_timeout": 120, "consent_code_timeout": 300}
OPERATOR, OPERATOR_PASSWORD = "operator1", "Oper@tor1pass"
REDIRECTION_REALM = 2


def connection(username="{{ amt_username }}", password="{{ amt_password }}"):
    return {"hostname": "{{ amt_hostname }}", "username": username, "password": password, "ca_path": "{{ amt_ca_path }}"}


def fleet_with(directory, profile, addresses, edit=None):
    """A one-device fleet; edit(redirection_state) changes what only the MEBx or the SKU decides, across a restart."""
    fleet = start_fleet(directory, 1, profile, addresses)
    if edit is None:
        return fleet
    fleet.stop()
    state_path = next((directory / "state" / "devices").glob("*.json"))
    state = json.loads(state_path.read_text(encoding="utf-8"))
    edit(state["components"]["redirection"])
    state_path.write_text(json.dumps(state), encoding="utf-8")
    return start_fleet(directory, 1, profile, addresses)


@pytest.fixture(scope="module")
def fleets(tmp_path_factory):
    def mebx_off(redirection):
        redirection["kvm"]["EnabledByMEBx"] = False

    def no_kvm(redirection):
        redirection["kvm_present"] = False

    started = {}
    try:
        for name, profile, addresses, edit in (("acm", "acm", ACM, None), ("ccm", "ccm", CCM, None),
                                               ("mebx_off", "acm", MEBX_OFF, mebx_off), ("no_kvm", "acm", NO_KVM, no_kvm)):
            started[name] = fleet_with(tmp_path_factory.mktemp(name), profile, addresses, edit)
        yield started
    finally:
        for fleet in started.values():
            fleet.stop()


@pytest.fixture
def run(fleets, tmp_path):
    """run(fleet name, task, ...) runs amt_redirection (or amt_info for ("info", subsets)) once per task, --diff on.

    A task is the module's args, or (args, task keywords) such as (args, CHECK); "login" in the keywords replaces the admin's.
    """
    def run_module(fleet_name, *tasks):
        fleet = fleets[fleet_name]
        named = []
        for index, spec in enumerate(tasks):
            args, keywords = spec if isinstance(spec, tuple) else (spec, {})
            keywords = dict(keywords)
            login = keywords.pop("login", connection())
            module = keywords.pop("module", "amt_redirection")
            named.append(("task %d" % index, module, dict(login, **args), keywords))
        runs = run_play(tmp_path, fleet.inventory_path, named, hosts=sorted(fleet.hosts)[0], diff=True)
        return [runs["task %d" % index] for index in range(len(tasks))]
    return run_module


def device_view(fleets, fleet_name):
    """What the device holds, read with the collection's client: (EnabledState, ListenerEnabled, KVM state, OptInRequired)."""
    client = SimulatedDevice(fleets[fleet_name], sorted(fleets[fleet_name].hosts)[0]).client()
    try:
        return (client.get("AMT_RedirectionService")["EnabledState"], client.get("AMT_RedirectionService")["ListenerEnabled"],
                client.get("CIM_KVMRedirectionSAP")["EnabledState"], client.get("IPS_OptInService")["OptInRequired"])
    finally:
        client.close()


def test_acm_hardening_is_checkable_applied_once_and_stable(run, fleets):
    (checked,) = run("acm", (HARDENED, CHECK))
    assert checked["changed"] is True and checked["writes"] == [], checked
    assert device_view(fleets, "acm") == ("32771", "true", "6", "1")
    applied, again = run("acm", HARDENED, HARDENED)
    assert checked["diff"]["before"]["sol"] is True and checked["diff"]["after"]["sol"] is False
    assert applied["changed"] is True and applied["actions"] == checked["actions"] == [
        "turn SOL off and IDE-R off", "turn KVM off", "turn the redirection listener (16994/16995) off",
        "set KVM settings: KVM session timeout 15 minutes",
        "set user consent: user consent required for all, consent code shown 120 seconds, consent code valid 300 seconds"]
    assert all(write["status"] == "confirmed" and write["verified"] for write in applied["writes"]), applied["writes"]
    assert applied["not_applicable"] == [] and not applied.get("warnings")
    assert dict((key, applied["redirection"][key]) for key in HARDENED) == HARDENED
    assert device_view(fleets, "acm") == ("32768", "false", "3", "4294967295")
    assert again["changed"] is False and again["actions"] == [] and again["writes"] == []


def test_acm_features_back_on_and_port_5900_needs_its_password(run):
    refused, opened, again, info = run(
        "acm", {"vnc_port_5900": True}, {"sol": True, "kvm": True, "listener": True, "vnc_port_5900": True, "rfb_password": "Vnc!pw12"},
        {"vnc_port_5900": True, "rfb_password": "Vnc!pw12"}, ({"gather_subset": ["redirection"]}, {"module": "amt_info"}))
    assert refused["failed"] is True and refused["error"] == "invalid_input" and refused["writes"] == [], refused
    assert refused["msg"].startswith("rfb_password: opening port 5900 needs the RFB (VNC) password")
    assert opened["actions"] == ["turn SOL on and IDE-R off", "turn KVM on", "turn the redirection listener (16994/16995) on",
                                 "set KVM settings: port 5900 open"], opened
    assert opened["diff"]["after"]["rfb_password"] == "******** (written)" and "Vnc!pw12" not in json.dumps(opened)
    assert again["changed"] is False
    assert info["amt"]["redirection"]["vnc_port_5900"] is True and info["amt"]["redirection"]["kvm"] is True
    assert "AMT-REDIR-04" in [finding["id"] for finding in info["amt"]["findings"]]


def test_ccm_consent_is_reported_not_applicable_without_failing(run, fleets):
    wanted = {"user_consent": "none", "consent_display_timeout": 60, "consent_code_timeout": 600}
    checked, applied, again = run("ccm", (wanted, CHECK), wanted, wanted)
    for result in (checked, applied, again):
        assert not result.get("failed"), result
        assert [(entry["option"], entry["device"]) for entry in result["not_applicable"]] == [
            ("user_consent", "all"), ("consent_display_timeout", 300)]
        assert all(entry["reason"].startswith("not applicable in CCM") for entry in result["not_applicable"])
        assert any("user_consent was left at all: not applicable in CCM" in warning for warning in result["warnings"])
    assert applied["actions"] == ["set user consent: consent code valid 600 seconds"] == checked["actions"]
    assert applied["redirection"]["user_consent"] == "all" and applied["redirection"]["consent_policy_changeable"] is False
    assert again["changed"] is False
    assert device_view(fleets, "ccm")[3] == "4294967295"


def test_kvm_disabled_in_the_mebx_is_reported_as_such(run):
    info, switched_on, switched_off = run(
        "mebx_off", ({"gather_subset": ["redirection"]}, {"module": "amt_info"}), {"kvm": True}, {"kvm": False})
    assert info["amt"]["redirection"]["kvm"] is False and info["amt"]["redirection"]["kvm_enabled_in_mebx"] is False
    assert switched_on["changed"] is False and not switched_on.get("failed"), switched_on
    assert switched_on["not_applicable"] == [{"option": "kvm", "wanted": True, "device": False,
                                              "reason": "KVM is disabled in the MEBx; only the MEBx can allow it again"}]
    assert switched_off["changed"] is False and switched_off["not_applicable"] == []


def test_a_device_without_kvm_reads_null_and_refuses_nothing_it_cannot_have(run):
    info, off, on = run("no_kvm", ({"gather_subset": ["redirection"]}, {"module": "amt_info"}),
                        {"kvm": False, "vnc_port_5900": False, "sol": False}, {"kvm": True})
    redirection = info["amt"]["redirection"]
    assert redirection["kvm_supported"] is False and redirection["kvm"] is None and redirection["vnc_port_5900"] is None
    assert info["amt_requests"] == 4  # challenge, redirection service, the absent KVM access point, consent service
    assert off["actions"] == ["turn SOL off and IDE-R on"] and off["not_applicable"] == []
    assert on["changed"] is False and on["not_applicable"][0]["reason"] == "this device has no KVM (Intel Standard Manageability)"


def test_a_user_without_pt_administration_is_refused_by_the_device_before_any_write(run, fleets):
    SimulatedDevice(fleets["acm"], sorted(fleets["acm"].hosts)[0]).add_digest_user(
        OPERATOR, OPERATOR_PASSWORD, realms=[REDIRECTION_REALM], access_permission=2)
    before = device_view(fleets, "acm")
    (refused,) = run("acm", ({"ider": True, "user_consent": "kvm"}, {"login": connection(OPERATOR, OPERATOR_PASSWORD)}))
    assert refused["failed"] is True and refused["error"] == "not_permitted", refused
    assert refused["changed"] is False and refused["writes"] == []
    assert device_view(fleets, "acm") == before


# (case, module args without the connection, option named, rule, checked by) for every rule of redirection.validate and
# the argument spec; "ansible" marks the rules AnsibleModule checks before the module's own code runs.
BAD_INPUT = [
    ("session_timeout_range", {"kvm_session_timeout": 256}, "kvm_session_timeout", "must be between 0 and 255 (got 256)", "module"),
    ("display_timeout_range", {"consent_display_timeout": 5}, "consent_display_timeout", "must be between 10 and 4095 (got 5)", "module"),
    ("code_timeout_range", {"consent_code_timeout": 30}, "consent_code_timeout", "must be between 60 and 900 (got 30)", "module"),
    ("password_without_port", {"rfb_password": "Vnc!pw12"}, "rfb_password", "is written only when port 5900 is opened", "module"),
    ("password_length", {"vnc_port_5900": True, "rfb_password": "Vnc!pw1"}, "rfb_password",
     "must be exactly 8 printable ASCII characters", "module"),
    ("password_classes", {"vnc_port_5900": True, "rfb_password": "vncpw123"}, "rfb_password",
     "needs a lower-case letter, an upper-case letter, a digit and a special character", "module"),
    ("consent_choice", {"user_consent": "always"}, "user_consent", "must be one of", "ansible"),
    ("sol_type", {"sol": "sometimes"}, "sol", "bool", "ansible"),
]


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    results, _output = run_cases(tmp_path_factory.mktemp("redirection-bad-input"), {"amt_redirection": {}}, cases, common_args=UNREACHABLE)
    return results["amt_redirection"]


@pytest.mark.parametrize("case, option, rule, checked_by", [(case, option, rule, checked_by) for case, _args, option, rule, checked_by in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule, _checked_by in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, case, option, rule, checked_by):
    assert_refused_before_sending(bad_input_results[case], option, rule, checked_by)
