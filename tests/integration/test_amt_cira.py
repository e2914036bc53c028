# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_cira end to end against simulated CCM and ACM devices over TLS on loopback.

Loopback range: 127.77.249.x (remote) and 127.78.249.x (local); 127.77.249.250 has no listener.
"""

from __future__ import annotations

import json

import pytest

from conftest import SimulatedDevice, assert_refused_before_sending, run_cases, run_play, start_fleet

CCM = {"first_address": "127.77.249.1", "local_first_address": "127.78.249.1"}
ACM = {"first_address": "127.77.249.11", "local_first_address": "127.78.249.11"}
OLD = {"first_address": "127.77.249.21", "local_first_address": "127.78.249.21"}
UNREACHABLE = {"hostname": "127.77.249.250", "password": "Unused-Passw0rd!"}
CHECK = {"check_mode": True}
MPS_PASSWORD = "Mps-Secret-1"
SERVER = {"address": "mps.example.test", "cn": "mps.example.test", "username": "meshuser", "password": MPS_PASSWORD}
SECOND = {"address": "192.0.2.44", "port": 8443, "cn": "mps2.example.test", "username": "meshuser", "password": "Mps-Secret-2"}
PERIODIC = {"trigger": "periodic", "servers": ["mps.example.test"], "interval": 25}
SAP, RULE, BINDING = "AMT_ManagementPresenceRemoteSAP", "AMT_RemoteAccessPolicyRule", "AMT_RemoteAccessPolicyAppliesToMPS"


def connection():
    return {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
            "ca_path": "{{ amt_ca_path }}"}


@pytest.fixture(scope="module")
def fleets(tmp_path_factory):
    started = {}
    try:
        for name, profile, addresses, firmware in (("ccm", "ccm", CCM, None), ("acm", "acm", ACM, None),
                                                   ("old", "ccm", OLD, "11.0.25.3001")):
            started[name] = start_fleet(tmp_path_factory.mktemp(name), 1, profile, addresses, firmware=firmware)
        yield started
    finally:
        for fleet in started.values():
            fleet.stop()


@pytest.fixture
def run(fleets, tmp_path):
    """run(fleet name, task, ...) runs amt_cira (or another module named by keyword "module") once per task, --diff on."""
    def run_module(fleet_name, *tasks):
        named = []
        for index, spec in enumerate(tasks):
            args, keywords = spec if isinstance(spec, tuple) else (spec, {})
            keywords = dict(keywords)
            module = keywords.pop("module", "amt_cira")
            named.append(("task %d" % index, module, dict(connection(), **args), keywords))
        runs = run_play(tmp_path, fleets[fleet_name].inventory_path, named, hosts=sorted(fleets[fleet_name].hosts)[0], diff=True)
        return [runs["task %d" % index] for index in range(len(tasks))]
    return run_module


def device_view(fleets, fleet_name, types=False):
    """What the device holds: (address, port, CN) of each server, (trigger, ExtendedData) of each policy, and the bindings
    (policy, order of access), or with types=True (policy, order of access, MpsType)."""
    client = SimulatedDevice(fleets[fleet_name], sorted(fleets[fleet_name].hosts)[0]).client()
    try:
        servers = [(sap["AccessInfo"], sap["Port"], sap.get("CN")) for sap in client.enumerate(SAP)]
        rules = [(rule["Trigger"], rule.get("ExtendedData")) for rule in client.enumerate(RULE)]
        bindings = [(item["PolicySet"]["selectors"]["PolicyRuleName"], item["OrderOfAccess"]) + ((item.get("MpsType"),) if types else ())
                    for item in client.enumerate(BINDING)]
        return servers, rules, bindings
    finally:
        client.close()


def clean(run, fleet_name):
    (cleared,) = run(fleet_name, {"policies": [], "purge": True})
    assert not cleared.get("failed"), cleared


@pytest.mark.parametrize("fleet_name", ["ccm", "acm"])
def test_servers_and_policy_checked_applied_once_and_stable(run, fleets, fleet_name):
    clean(run, fleet_name)
    task = {"servers": [SERVER], "policies": [PERIODIC], "user_initiated": "bios"}
    checked, applied, again = run(fleet_name, (task, CHECK), task, task)
    expected = ["add MPS mps.example.test:4433", "add periodic policy (mps.example.test)", "set user-initiated connections bios"]
    assert checked["changed"] is True and checked["writes"] == [] and checked["actions"] == expected, checked
    assert applied["actions"] == expected and all(write["status"] == "confirmed" and write["verified"] for write in applied["writes"])
    assert again["changed"] is False and again["actions"] == [] and again["writes"] == [], again
    assert device_view(fleets, fleet_name) == ([("mps.example.test", "4433", "mps.example.test")], [("2", "AAAAAAAAABk=")],
                                               [("Periodic", "0")])
    assert applied["diff"]["after"]["servers"][0]["password"] == "******** (written)"
    assert applied["cira"]["policies"] == [{"trigger": "periodic", "servers": ["mps.example.test"], "tunnel_lifetime": 0,
                                            "interval": 25, "daily_at": None, "mps_type": "external"}]
    assert again["cira"]["user_initiated"] == "bios"
    for result in (checked, applied, again):
        assert MPS_PASSWORD not in json.dumps(result)


def test_a_changed_server_is_removed_and_added_around_its_policy(run, fleets):
    clean(run, "ccm")
    moved = dict(SERVER, port=443)
    first, changed, rewritten = run("ccm", {"servers": [SERVER], "policies": [PERIODIC]}, {"servers": [moved]},
                                    {"servers": [moved], "update_password": "always"})
    assert first["changed"] is True
    assert changed["actions"] == ["remove periodic policy (mps.example.test)", "remove MPS mps.example.test:4433",
                                  "add MPS mps.example.test:443", "add periodic policy (mps.example.test)"], changed
    assert rewritten["actions"] == changed["actions"][:1] + ["remove MPS mps.example.test:443", "add MPS mps.example.test:443",
                                                             "add periodic policy (mps.example.test)"]
    assert device_view(fleets, "ccm") == ([("mps.example.test", "443", "mps.example.test")], [("2", "AAAAAAAAABk=")], [("Periodic", "0")])
    (renamed,) = run("ccm", {"servers": [dict(moved, username="otheruser")]})
    assert renamed["actions"] == rewritten["actions"] and renamed["cira"]["servers"][0]["username"] == "otheruser", renamed


def test_purge_and_policies_replace_what_is_not_listed(run, fleets):
    clean(run, "acm")
    alert = {"trigger": "alert", "servers": ["192.0.2.44", "mps.example.test"], "tunnel_lifetime": 300}
    daily = {"trigger": "periodic", "servers": ["192.0.2.44"], "daily_at": "08:30"}
    both, replaced, purged = run("acm", {"servers": [SERVER, SECOND], "policies": [PERIODIC, alert]},
                                 {"policies": [daily]}, {"servers": [SECOND], "purge": True})
    assert both["changed"] is True and len(both["writes"]) == 4
    assert replaced["actions"] == ["remove alert policy (192.0.2.44, mps.example.test)", "remove periodic policy (mps.example.test)",
                                   "add periodic policy (192.0.2.44)"], replaced
    assert purged["actions"] == ["remove MPS mps.example.test:4433"], purged
    assert device_view(fleets, "acm") == ([("192.0.2.44", "8443", "mps2.example.test")], [("2", "AAAAAQAAAAgAAAAe")], [("Periodic", "0")])


# The ACM device keeps its trusted roots untouched here: test_the_mps_root_is_added_once_before_the_servers adds one later.
@pytest.mark.parametrize("fleet_name, trust_the_root", [("ccm", True), ("acm", False)])
def test_amt_info_cira_given_back_changes_nothing(run, fleets, fleet_name, trust_the_root):
    clean(run, fleet_name)
    both = {"trigger": "alert", "servers": ["192.0.2.44", "mps.example.test"], "mps_type": "both", "tunnel_lifetime": 60}
    task = {"servers": [SERVER, SECOND], "policies": [PERIODIC, both], "user_initiated": "os"}
    if trust_the_root:
        with open(fleets[fleet_name].group_vars["amt_ca_path"], encoding="utf-8") as handle:
            task["mps_root_certificate"] = handle.read()
    _set, info = run(fleet_name, task,
                     ({"gather_subset": ["network", "tls"]}, {"module": "amt_info"}))
    network = info["amt"]["network"]
    assert network["mps_servers"] == [
        {"address": "mps.example.test", "port": 4433, "cn": "mps.example.test", "username": "meshuser", "password": "********"},
        {"address": "192.0.2.44", "port": 8443, "cn": "mps2.example.test", "username": "meshuser", "password": "********"}]
    assert network["cira_policies"] == [
        {"trigger": "alert", "servers": ["192.0.2.44", "mps.example.test"], "tunnel_lifetime": 60, "interval": None, "daily_at": None,
         "mps_type": "both"},
        {"trigger": "periodic", "servers": ["mps.example.test"], "tunnel_lifetime": 0, "interval": 25, "daily_at": None,
         "mps_type": "external"}]
    assert network["cira_user_initiated"] == "os"
    (given_back,) = run(fleet_name, {"servers": network["mps_servers"], "purge": True, "policies": network["cira_policies"],
                                     "user_initiated": network["cira_user_initiated"]})
    assert given_back["changed"] is False and given_back["writes"] == [], given_back
    # Both servers authenticate by username: AMT-CIRA-02 fails only for want of a trusted root; AMT-CIRA-03 shows the policies.
    amt = info["amt"]
    cira_02 = [finding["observed"] for finding in amt["findings"] if finding["id"] == "AMT-CIRA-02"]
    if trust_the_root or amt["tls"]["trusted_root_certificates"]:
        assert cira_02 == [], cira_02
    else:
        assert cira_02 == ["2 MPS server(s) configured but the device trusts no root certificate: it cannot verify an MPS's TLS certificate"]
    (policies,) = [check for check in amt["manual_checks"] if check["id"] == "AMT-CIRA-03"]
    assert "alert to 192.0.2.44, mps.example.test (both MPS, tunnel_lifetime 60)" in policies["reason"]
    assert "user-initiated connections (os)" in policies["reason"]
    for result in (info, given_back):
        assert MPS_PASSWORD not in json.dumps(result)


def test_mps_type_is_set_in_place_checked_and_stable(run, fleets):
    clean(run, "acm")
    internal = dict(PERIODIC, mps_type="internal")
    added, checked, retyped, again = run("acm", {"servers": [SERVER], "policies": [internal]}, ({"policies": [dict(PERIODIC, mps_type="both")]}, CHECK),
                                         {"policies": [dict(PERIODIC, mps_type="both")]}, {"policies": [dict(PERIODIC, mps_type="both")]})
    assert added["actions"] == ["add MPS mps.example.test:4433", "add periodic policy (mps.example.test)",
                                "set the periodic policy's MPS mps.example.test to internal"], added
    assert all(write["status"] == "confirmed" and write["verified"] for write in added["writes"]), added
    assert checked["changed"] is True and checked["writes"] == [] and checked["actions"] == ["set the periodic policy's MPS mps.example.test to both"]
    assert checked["diff"]["before"]["policies"][0]["mps_type"] == "internal" and checked["diff"]["after"]["policies"][0]["mps_type"] == "both"
    assert retyped["actions"] == checked["actions"] and retyped["writes"][0]["verified"] is True, retyped
    assert again["changed"] is False and again["writes"] == [], again
    assert device_view(fleets, "acm", types=True)[2] == [("Periodic", "0", "2")]


def test_the_mps_root_is_added_once_before_the_servers(run, fleets):
    clean(run, "acm")
    with open(fleets["acm"].group_vars["amt_ca_path"], encoding="utf-8") as handle:
        root = handle.read()
    task = {"servers": [SERVER], "mps_root_certificate": root}
    checked, applied, again = run("acm", (task, CHECK), task, task)
    assert checked["actions"] == applied["actions"] == ["add the MPS root certificate as a trusted root", "add MPS mps.example.test:4433"]
    assert checked["diff"]["before"]["mps_root_certificate_trusted"] is False
    assert applied["cira"]["mps_root_certificate_trusted"] is True
    assert again["changed"] is False, again


def test_a_server_authenticated_by_the_certificate_with_its_key(run, fleets):
    clean(run, "acm")
    task = {"servers": [{"address": "mps.example.test", "certificate": "0"}]}
    applied, again, switched = run("acm", task, task, {"servers": [SERVER]})
    assert applied["actions"] == ["add MPS mps.example.test:4433"] and applied["cira"]["servers"][0]["certificate"] == "0"
    assert again["changed"] is False
    assert again["cira"]["servers"] == [{"address": "mps.example.test", "port": 4433, "cn": None, "certificate": "0"}]
    assert switched["actions"] == ["remove MPS mps.example.test:4433", "add MPS mps.example.test:4433"], switched


def test_the_device_refuses_a_certificate_without_its_key(run, fleets):
    clean(run, "ccm")
    (refused,) = run("ccm", {"servers": [{"address": "mps.example.test", "certificate": "9"}]})
    assert refused["failed"] is True and refused["error"] == "invalid_input", refused
    assert "AddMpServer returned 36" in refused["msg"]
    assert refused["writes"] == [{"action": "add MPS mps.example.test:4433", "status": "refused", "verified": None}]
    assert device_view(fleets, "ccm")[0] == []


def test_a_server_given_back_with_the_mask_cannot_be_added(run, fleets):
    clean(run, "ccm")
    (refused,) = run("ccm", {"servers": [dict(SERVER, password="********")]})
    assert refused["failed"] is True and refused["error"] == "invalid_input" and refused["writes"] == []
    assert refused["msg"].startswith("servers[0].password: server mps.example.test must be added")


def test_firmware_before_11_6_without_mps_type(run, fleets):
    task = {"servers": [SERVER], "policies": [PERIODIC]}
    applied, again, refused = run("old", task, task, {"servers": [SERVER], "policies": [dict(PERIODIC, mps_type="internal")]})
    assert applied["changed"] is True and again["changed"] is False, again
    assert again["cira"]["policies"][0]["mps_type"] == "external"
    assert refused["failed"] is True and refused["error"] == "not_permitted" and refused["writes"] == [], refused
    assert refused["msg"].startswith("policies[0].mps_type: this firmware reports no MpsType")
    assert device_view(fleets, "old", types=True)[2] == [("Periodic", "0", None)]


# (case, module args without the connection, option named, rule, checked by): every rule of cira.validate and the spec.
BAD_INPUT = [
    ("address", {"servers": [dict(SERVER, address="bad_name")]}, "servers[0].address", "an IPv4 or IPv6 address", "module"),
    ("port", {"servers": [dict(SERVER, port=70000)]}, "servers[0].port", "must be between 1 and 65535", "module"),
    ("cn_length", {"servers": [dict(SERVER, cn="c" * 257)]}, "servers[0].cn", "at most 256 characters", "module"),
    ("cn_for_ip", {"servers": [dict(SERVER, address="192.0.2.9", cn=None)]}, "servers[0].cn", "a server given by IP address", "module"),
    ("username", {"servers": [dict(SERVER, username="mesh-user")]}, "servers[0].username", "1 to 16 letters or digits", "module"),
    ("password", {"servers": [dict(SERVER, password="p" * 17)]}, "servers[0].password", "1 to 16 characters", "module"),
    ("password_alone", {"servers": [dict(SERVER, username=None)]}, "servers[0].username", "username and password go together", "module"),
    ("both_auth", {"servers": [dict(SERVER, certificate="1")]}, "servers[0].certificate", "a server authenticates AMT", "module"),
    ("certificate", {"servers": [{"address": "mps.example.test", "certificate": "pem"}]}, "servers[0].certificate", "the handle", "module"),
    ("twice", {"servers": [SERVER, dict(SERVER, address="MPS.example.test")]}, "servers[1].address", "server MPS.example.test is listed twice", "module"),
    ("seven", {"servers": [dict(SERVER, address="m%d.example.test" % n) for n in range(7)]}, "servers", "AMT holds at most 6", "module"),
    ("policy_servers", {"policies": [dict(PERIODIC, servers=["a", "b", "c"])]}, "policies[0].servers", "a policy names 1 or 2", "module"),
    ("policy_twice", {"policies": [dict(PERIODIC, servers=["a", "A"])]}, "policies[0].servers", "a server is listed twice", "module"),
    ("lifetime", {"policies": [dict(PERIODIC, tunnel_lifetime=-1)]}, "policies[0].tunnel_lifetime", "seconds between 0", "module"),
    ("interval_alert", {"policies": [dict(PERIODIC, trigger="alert")]}, "policies[0].interval", "applies only to trigger periodic", "module"),
    ("no_schedule", {"policies": [dict(PERIODIC, interval=None)]}, "policies[0].interval", "a periodic policy needs", "module"),
    ("interval", {"policies": [dict(PERIODIC, interval=0)]}, "policies[0].interval", "seconds, at least 1", "module"),
    ("daily_at", {"policies": [dict(PERIODIC, interval=None, daily_at="25:00")]}, "policies[0].daily_at", "a time of day", "module"),
    ("trigger_twice", {"policies": [PERIODIC, PERIODIC]}, "policies[1].trigger", "one policy per trigger", "module"),
    ("nothing", {}, "servers", "nothing to manage", "module"),
    ("root", {"mps_root_certificate": "not a certificate"}, "mps_root_certificate", "one PEM certificate", "module"),
    ("trigger", {"policies": [dict(PERIODIC, trigger="hourly")]}, "trigger", "must be one of", "ansible"),
    ("user_initiated", {"user_initiated": "always"}, "user_initiated", "must be one of", "ansible"),
    ("mps_type", {"policies": [dict(PERIODIC, mps_type="everywhere")]}, "mps_type", "must be one of", "ansible"),
]


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    results, _output = run_cases(tmp_path_factory.mktemp("cira-bad-input"), {"amt_cira": {}}, cases, common_args=UNREACHABLE)
    return results["amt_cira"]


@pytest.mark.parametrize("case, option, rule, checked_by", [(case, option, rule, checked_by) for case, _args, option, rule, checked_by in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule, _checked_by in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, case, option, rule, checked_by):
    assert_refused_before_sending(bad_input_results[case], option, rule, checked_by)
