# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_audit_policy end to end against a simulated ACM device over TLS on loopback, with and without an Auditor.

Loopback range: 127.77.232.x (remote) and 127.78.232.x (local); 127.77.232.250 has no listener.
"""

from __future__ import annotations

import certifi
import pytest

from conftest import SimulatedDevice, assert_refused_before_sending, run_cases, run_play, start_fleet

ADDRESSES = {"first_address": "127.77.232.1", "local_first_address": "127.78.232.1"}
# In the file's range and outside the fleet: a module that sent anything there would fail as unreachable.
UNREACHABLE = {"hostname": "127.77.232.250", "password": "Unused-Passw0rd!"}
AUDITOR = "auditor1"
AUDITOR_PASSWORD = "Aud1tor!pass"
CHECK = {"check_mode": True}
POLICY = {
    "state": "enabled",
    "events": {"security_admin": ["acl_entry_added", "unprovisioning_started"], "security_audit_log": "all"},
    "critical_events": {"security_admin": ["unprovisioning_started"]},
    "storage_policy": "restricted_rollover",
    "min_days_to_keep": 30,
}


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("audit-fleet"), 1, "acm", ADDRESSES)
    yield fleet, sorted(fleet.hosts)[0]
    fleet.stop()


def connection(username="{{ amt_username }}", password="{{ amt_password }}"):
    return {"hostname": "{{ amt_hostname }}", "username": username, "password": password, "ca_path": "{{ amt_ca_path }}"}


@pytest.fixture
def run(device, tmp_path):
    """run(task, ...) runs amt_audit_policy once per task in one playbook (--diff on) and returns the results in order.

    A task is the module's args, or (args, task keywords) such as (args, CHECK); login replaces the admin's connection.
    """
    fleet, host = device

    def run_module(*tasks):
        named = []
        for index, spec in enumerate(tasks):
            args, keywords = spec if isinstance(spec, tuple) else (spec, {})
            keywords = dict(keywords)
            login = keywords.pop("login", connection())
            named.append(("task %d" % index, "amt_audit_policy", dict(login, **args), keywords))
        runs = run_play(tmp_path, fleet.inventory_path, named, hosts=host, diff=True)
        return [runs["task %d" % index] for index in range(len(tasks))]
    return run_module


def test_policy_is_applied_once_checkable_and_disabling_is_reported(run):
    checked, applied, again, disabled, enabled = run((POLICY, CHECK), POLICY, POLICY, dict(POLICY, state="disabled"), POLICY)
    assert checked["changed"] is True, checked
    assert applied["changed"] is True and applied["actions"] == checked["actions"], (checked, applied)
    assert applied["diff"]["before"]["storage_policy"] == "rollover"
    assert applied["audit_policy"] == {
        "state": "enabled",
        "events": {"security_admin": ["acl_entry_added", "unprovisioning_started"],
                   "security_audit_log": ["log_cleared", "audit_policy_modified", "log_disabled", "log_enabled", "log_exported", "log_recovered"]},
        "critical_events": {"security_admin": ["unprovisioning_started"]},
        "storage_policy": "restricted_rollover",
        "min_days_to_keep": 30,
    }
    assert again["changed"] is False and again["actions"] == []
    assert disabled["changed"] is True and disabled["actions"] == ["disable auditing"]
    assert enabled["actions"] == ["enable auditing"] and enabled["audit_policy"]["state"] == "enabled"


# (case, module args without the connection, option named, rule, checked by) for every rule of audit_policy.validate and the
# module's argument spec; "ansible" marks the rules AnsibleModule checks before the module's own code runs.
BAD_INPUT = [
    ("events_shape", {"events": ["acl_entry_added"]}, "events", "give 'all' or a mapping of application name", "module"),
    ("unknown_application", {"events": {"security": ["acl_entry_added"]}}, "events", "unknown application security", "module"),
    ("application_events_shape", {"events": {"security_admin": "acl_entry_added"}}, "events.security_admin",
     "give a list of event names or 'all'", "module"),
    ("unknown_event", {"events": {"security_admin": ["acl_added"]}}, "events.security_admin", "unknown event acl_added", "module"),
    ("unknown_critical_event", {"critical_events": {"kvm": ["kvm_opened"]}}, "critical_events.kvm", "unknown event kvm_opened", "module"),
    ("critical_not_audited", {"events": {"kvm": "all"}, "critical_events": {"security_admin": ["unprovisioning_started"]}},
     "critical_events", "every critical event must also be audited (listed in events): security_admin.unprovisioning_started", "module"),
    ("days_without_restricted", {"storage_policy": "rollover", "min_days_to_keep": 5}, "min_days_to_keep",
     "applies only to storage_policy restricted_rollover", "module"),
    ("restricted_without_days", {"storage_policy": "restricted_rollover"}, "min_days_to_keep",
     "storage_policy restricted_rollover needs the number of days", "module"),
    ("days_range", {"storage_policy": "restricted_rollover", "min_days_to_keep": 400}, "min_days_to_keep",
     "must be between 0 and 255 days (got 400)", "module"),
    ("storage_policy_choice", {"storage_policy": "wrap"}, "storage_policy", "must be one of", "ansible"),
    ("state_choice", {"state": "on"}, "state", "must be one of", "ansible"),
]


@pytest.fixture(scope="module")
def bad_input_results(tmp_path_factory):
    """Every case as one host of one task, so that the cases run side by side; host -> result."""
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    results, _output = run_cases(tmp_path_factory.mktemp("audit-bad-input"), {"amt_audit_policy": {}}, cases, common_args=UNREACHABLE)
    return results["amt_audit_policy"]


@pytest.mark.parametrize("case, option, rule, checked_by", [(case, option, rule, checked_by) for case, _args, option, rule, checked_by in BAD_INPUT],
                         ids=[case for case, _args, _option, _rule, _checked_by in BAD_INPUT])
def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(bad_input_results, case, option, rule, checked_by):
    result = bad_input_results[case]
    assert_refused_before_sending(result, option, rule, checked_by)


def test_tls_is_verified_and_an_unverifiable_device_is_left_alone(run):
    disabled = dict(POLICY, state="disabled")
    other_ca = {"login": dict(connection(), ca_path=certifi.where())}
    pinned_wrong = {"login": dict(connection(), ca_path=None, cert_fingerprint="00" * 32)}
    verified, refused_ca, refused_pin, still_enabled = run(POLICY, (disabled, other_ca), (disabled, pinned_wrong), (disabled, CHECK))
    assert not verified.get("failed") and verified["audit_policy"]["state"] == "enabled", verified
    for refused in (refused_ca, refused_pin):
        assert refused["failed"] is True and refused["error"] == "tls" and refused["changed"] is False, refused
    assert still_enabled["actions"] == ["disable auditing"], still_enabled


def add_auditor(fleet, host):
    SimulatedDevice(fleet, host).add_digest_user(AUDITOR, AUDITOR_PASSWORD, realms=[20], access_permission=2)


def test_with_an_auditor_only_the_auditor_may_change_the_policy(run, device):
    fleet, host = device
    add_auditor(fleet, host)
    no_rollover = dict(POLICY, storage_policy="no_rollover", min_days_to_keep=None)
    by_auditor = {"login": connection(AUDITOR, AUDITOR_PASSWORD)}
    as_admin_checked, as_admin, as_auditor, as_auditor_again, unchanged_as_admin = run(
        (no_rollover, CHECK), no_rollover, (no_rollover, by_auditor), (no_rollover, by_auditor), no_rollover)
    for refused in (as_admin_checked, as_admin):
        assert refused["failed"] is True and refused["changed"] is False and refused["error"] == "not_permitted"
        assert "connect with the auditor's username and password" in refused["msg"]
    assert as_auditor["changed"] is True and as_auditor["actions"] == ["set storage policy no_rollover"], as_auditor
    assert as_auditor_again["changed"] is False
    assert unchanged_as_admin["changed"] is False and not unchanged_as_admin.get("failed")
