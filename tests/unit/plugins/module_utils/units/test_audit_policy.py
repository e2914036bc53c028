# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Event names, validation and planning of the audit policy unit, without a device."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.units import audit_policy
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

ACL_ENTRY_ADDED = (16, 2)
UNPROVISIONING_STARTED = (16, 19)
KVM_SESSION_STARTED = (18, 8)


def validated(**options):
    params = {"events": None, "critical_events": None, "append": False, "state": "enabled", "storage_policy": None,
              "min_days_to_keep": None}
    params.update(options)
    return audit_policy.validate(params)


def device(events=None, state="enabled", storage_policy="rollover", min_days_to_keep=None):
    return {"state": state, "events": dict(events or {}), "storage_policy": storage_policy, "min_days_to_keep": min_days_to_keep}


def test_event_names_follow_the_reference_numbers():
    codes = audit_policy.event_set("events", {"security_admin": ["acl_entry_added", "unprovisioning_started"],
                                              "redirection_manager": ["kvm_session_started"], "watchdog": ["watchdog_action_pairing_changed"]})
    assert codes == {ACL_ENTRY_ADDED, UNPROVISIONING_STARTED, KVM_SESSION_STARTED, (33, 2)}


def test_all_selects_every_event_of_an_application_or_of_the_device():
    assert audit_policy.event_set("events", {"security_audit_log": "all"}) == set((20, event) for event in range(6))
    every = audit_policy.event_set("events", "all")
    assert (30, 2) in every and (16, 19) in every and (33, 1) in every and (33, 0) not in every


def test_unknown_application_and_event_are_refused_naming_the_option():
    with pytest.raises(InvalidInputError, match=r"^events: unknown application security"):
        validated(events={"security": ["acl_entry_added"]})
    with pytest.raises(InvalidInputError, match=r"^critical_events\.security_admin: unknown event acl_added"):
        validated(events="all", critical_events={"security_admin": ["acl_added"]})


def test_events_must_be_a_list_or_all():
    with pytest.raises(InvalidInputError, match=r"^events\.kvm: give a list"):
        validated(events={"kvm": "kvm_enabled"})


def test_critical_events_must_be_audited():
    with pytest.raises(InvalidInputError, match="must also be audited.*security_admin.unprovisioning_started"):
        validated(events={"security_admin": ["acl_entry_added"]}, critical_events={"security_admin": ["unprovisioning_started"]})


def test_restricted_rollover_needs_days_and_days_need_it():
    with pytest.raises(InvalidInputError, match=r"^min_days_to_keep: storage_policy restricted_rollover needs"):
        validated(storage_policy="restricted_rollover")
    with pytest.raises(InvalidInputError, match=r"^min_days_to_keep: applies only"):
        validated(storage_policy="rollover", min_days_to_keep=3)
    with pytest.raises(InvalidInputError, match=r"^min_days_to_keep: must be between 0 and 255"):
        validated(storage_policy="restricted_rollover", min_days_to_keep=256)


def test_plan_replaces_the_event_set_and_marks_critical_events():
    want = validated(events={"security_admin": ["acl_entry_added", "unprovisioning_started"]},
                     critical_events={"security_admin": ["unprovisioning_started"]})
    current = device({ACL_ENTRY_ADDED: 0, KVM_SESSION_STARTED: 0})
    changes = audit_policy.plan(current, want)
    assert changes == [{"action": "policy", "rows": [(True, UNPROVISIONING_STARTED, 1), (False, KVM_SESSION_STARTED, 0)],
                        "events": {ACL_ENTRY_ADDED: 0, UNPROVISIONING_STARTED: 1}}]


def test_append_keeps_what_the_device_audits():
    want = validated(events={"security_admin": ["unprovisioning_started"]}, append=True)
    changes = audit_policy.plan(device({KVM_SESSION_STARTED: 1}), want)
    assert changes[0]["rows"] == [(True, UNPROVISIONING_STARTED, 0)]


def test_nothing_to_do_plans_nothing():
    want = validated(events={"security_admin": ["acl_entry_added"]}, storage_policy="restricted_rollover", min_days_to_keep=7)
    assert audit_policy.plan(device({ACL_ENTRY_ADDED: 0}, storage_policy="restricted_rollover", min_days_to_keep=7), want) == []


def test_disabling_comes_after_the_other_changes_and_enabling_before():
    disabling = audit_policy.plan(device(), validated(state="disabled", storage_policy="no_rollover"))
    assert [change["action"] for change in disabling] == ["storage", "disable"]
    enabling = audit_policy.plan(device(state="disabled"), validated(storage_policy="no_rollover"))
    assert [change["action"] for change in enabling] == ["enable", "storage"]


def test_diff_names_events():
    current = device({ACL_ENTRY_ADDED: 0})
    unit = audit_policy.AuditPolicy({"events": "all", "critical_events": {"security_admin": ["acl_entry_added"]}})
    difference = unit.diff(current, unit.plan(current))
    assert difference["before"]["events"] == {"security_admin": ["acl_entry_added"]}
    assert difference["after"]["critical_events"] == {"security_admin": ["acl_entry_added"]}
    assert "kvm_session_started" in difference["after"]["events"]["redirection_manager"]
