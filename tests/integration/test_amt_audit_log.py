# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amt_audit_log end to end against simulated CCM and ACM devices over TLS on loopback: reading, incremental reads,
the JSON Lines export, and clearing, which only the holder of the Audit Log realm may do.

Loopback range: 127.77.240.x (remote) and 127.78.240.x (local): CCM .1, ACM .11, the ACM device whose Auditor checks
expected_uuid .21; 127.77.240.250 has no listener.
"""

from __future__ import annotations

import json
import stat

import pytest

from conftest import SimulatedDevice, assert_refused_before_sending, run_cases, run_play, start_fleet

FLEETS = {
    "ccm": {"first_address": "127.77.240.1", "local_first_address": "127.78.240.1"},
    "acm": {"first_address": "127.77.240.11", "local_first_address": "127.78.240.11"},
    "acm_identity": {"first_address": "127.77.240.21", "local_first_address": "127.78.240.21"},
}
PROFILES = {"ccm": "ccm", "acm": "acm", "acm_identity": "acm"}
# In the file's range and outside the fleets: a module that sent anything there would fail as unreachable.
UNREACHABLE = {"hostname": "127.77.240.250", "password": "Unused-Passw0rd!"}
AUDITOR = "auditor1"
AUDITOR_PASSWORD = "Aud1tor!pass"
CHECK = {"check_mode": True}


@pytest.fixture(scope="module")
def fleets(tmp_path_factory):
    started = dict((name, start_fleet(tmp_path_factory.mktemp("audit-log-" + name), 1, PROFILES[name], addresses))
                   for name, addresses in FLEETS.items())
    yield started
    for fleet in started.values():
        fleet.stop()


def connection(username="{{ amt_username }}", password="{{ amt_password }}"):
    return {"hostname": "{{ amt_hostname }}", "username": username, "password": password, "ca_path": "{{ amt_ca_path }}"}


AS_AUDITOR = {"login": connection(AUDITOR, AUDITOR_PASSWORD)}
READER = "reader1"
READER_PASSWORD = "Re4der!pass"
AS_READER = {"login": connection(READER, READER_PASSWORD)}
GENERAL_INFO = 13
AUDIT_LOG = 20


@pytest.fixture
def run(fleets, tmp_path):
    """run(profile, task, ...) runs the tasks in order in one playbook (--diff on) on that fleet's device; returns the
    results in order. A task is amt_audit_log's args, or (args, keywords) with task keywords (check_mode, register),
    login (replaces the admin's connection) and module (another oob.amt module)."""

    def run_tasks(profile, *tasks):
        fleet = fleets[profile]
        named = []
        for index, spec in enumerate(tasks):
            args, keywords = spec if isinstance(spec, tuple) else (spec, {})
            keywords = dict(keywords)
            login = keywords.pop("login", connection())
            module = keywords.pop("module", "amt_audit_log")
            named.append(("task %d" % index, module, dict(login, **args), keywords))
        runs = run_play(tmp_path, fleet.inventory_path, named, hosts=sorted(fleet.hosts)[0], diff=True)
        return [runs["task %d" % index] for index in range(len(tasks))]
    return run_tasks


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_reads_change_nothing_and_an_export_collects_each_record_once(run, fleets, tmp_path):
    export = tmp_path / "audit.jsonl"
    snapshot = tmp_path / "snapshot.jsonl"
    appended = {"export_path": str(export)}
    replaced = {"export_path": str(snapshot), "export_mode": "replace", "since": "2000-01-01"}
    audit_more = {"events": {"kvm": ["kvm_opt_in_enabled"]}, "append": True}
    (first, exported, again, policy, incremental, future, checked, collected, replaced_once, replaced_again, loosened,
     loosened_again) = run(
        "ccm",
        ({}, {"register": "first"}),
        appended,
        appended,
        (audit_more, {"module": "amt_audit_policy"}),
        {"start_record": "{{ first.audit_log.next_record }}"},
        {"since": "2100-01-01T00:00:00Z"},
        (appended, CHECK),
        appended,
        replaced,
        replaced,
        dict(appended, mode="0640"),
        dict(appended, mode="0640"))
    total = len(first["records"])
    assert first["changed"] is False and first["writes"] == [] and total >= 2, first
    assert first["audit_log"] == {"auditing": "enabled", "total_records": total, "next_record": total + 1}
    started = first["records"][0]
    assert (started["record_id"], started["application"], started["event"], started["initiator"]) == (
        1, "security_admin", "provisioning_started", "local")
    assert started["time"].endswith("Z") and first["alerts"] == [] and first["gap"] is False

    # The tasks ran in one playbook: the file holds what every run appended.
    assert exported["changed"] is True and exported["actions"] == ["append %d records to %s" % (total, export)], exported
    written = lines(export)
    assert [line["record_id"] for line in written] == list(range(1, total + 2))
    assert set(line["device"] for line in written) == {fleets["ccm"].hosts[sorted(fleets["ccm"].hosts)[0]]["amt_hostname"]}
    assert again["changed"] is False and again["records"] == [], again

    assert policy["changed"] is True, policy["msg"]
    assert [(r["record_id"], r["event"], r["user"], r["initiator"]) for r in incremental["records"]] == [
        (total + 1, "audit_policy_modified", "admin", "digest")], incremental
    assert incremental["changed"] is False and future["records"] == []

    assert checked["changed"] is True and checked["actions"] == ["append 1 records to %s" % export], checked
    assert "audit_policy_modified" in checked["diff"][1]["after"] and checked["diff"][1]["before"] == ""
    assert collected["actions"] == checked["actions"], "the check-mode run wrote the file"
    assert written[-1]["event"] == "audit_policy_modified" and written[-1]["user"] == "admin"

    assert replaced_once["changed"] is True and len(lines(snapshot)) == total + 1, replaced_once
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    assert replaced_again["changed"] is False, replaced_again
    assert loosened["actions"] == ["set mode 0640 on %s" % export] and loosened_again["changed"] is False, loosened
    assert stat.S_IMODE(export.stat().st_mode) == 0o640


@pytest.mark.parametrize("profile", ["ccm", "acm"])
def test_only_the_auditor_may_clear_and_the_clearing_is_called_out(run, fleets, tmp_path, profile):
    archive = tmp_path / "archive.jsonl"
    admin_may, = run(profile, ({"state": "cleared"}, CHECK))
    assert admin_may["changed"] is True and not admin_may.get("failed"), "without an Auditor the admin holds the realm"
    simulated = SimulatedDevice(fleets[profile], sorted(fleets[profile].hosts)[0])
    simulated.add_digest_user(AUDITOR, AUDITOR_PASSWORD, realms=[AUDIT_LOG], access_permission=2)
    simulated.add_digest_user(READER, READER_PASSWORD, realms=[GENERAL_INFO], access_permission=2)
    cleared = {"state": "cleared", "export_path": str(archive)}
    as_admin_checked, as_admin, reader_reads, reader_clears, checked, clearing, again, after = run(
        profile,
        ({"state": "cleared"}, CHECK),
        {"state": "cleared"},
        ({}, AS_READER),
        ({"state": "cleared"}, AS_READER),
        (cleared, dict(CHECK, **AS_AUDITOR)),
        (cleared, AS_AUDITOR),
        ({"state": "cleared"}, AS_AUDITOR),
        ({"export_path": str(archive)}, AS_AUDITOR))
    for refused in (as_admin_checked, as_admin):
        assert refused["failed"] is True and refused["error"] == "not_permitted" and refused["changed"] is False, refused
        assert refused["writes"] == [] and "only the account holding the Audit Log realm may clear" in refused["msg"]
    assert not reader_reads.get("failed") and reader_reads["records"][-1]["event"] == "acl_entry_added", reader_reads
    assert reader_clears["failed"] is True and reader_clears["error"] == "not_permitted" and reader_clears["changed"] is False
    assert reader_clears["writes"] == [{"action": "clear the audit log (%d records)" % len(reader_reads["records"]), "status": "refused",
                                        "verified": None}], reader_clears
    assert "PT_STATUS_NOT_PERMITTED): only the account holding the Audit Log realm" in reader_clears["msg"]

    total = len(checked["records"])
    assert checked["changed"] is True and checked["cleared_records"] == total, checked
    assert checked["actions"] == ["append %d records to %s" % (total, archive), "clear the audit log (%d records)" % total]

    assert clearing["actions"] == checked["actions"], "the check-mode run wrote the archive or cleared the log"
    assert clearing["diff"][0]["before"]["total_records"] == total
    assert clearing["writes"][1] == {"action": "clear the audit log (%d records)" % total, "status": "confirmed", "verified": True}
    assert clearing["audit_log"]["total_records"] == 1 and len(lines(archive)) == total + 1
    assert again["changed"] is False and again["actions"] == [], again

    assert after["gap"] is True, "the archive's last record is gone with the clearing"
    log_cleared = after["records"]
    assert [(r["record_id"], r["application"], r["event"], r["user"], r["alert"]) for r in log_cleared] == [
        (1, "security_audit_log", "log_cleared", AUDITOR, True)], after
    assert after["alerts"] == log_cleared and any("log_cleared" in warning for warning in after["warnings"])
    assert lines(archive)[-1]["event"] == "log_cleared"


def test_the_auditor_checks_expected_uuid_through_an_admin_session_or_is_refused_naming_it(fleets, tmp_path):
    fleet = fleets["acm_identity"]
    simulated = SimulatedDevice(fleet, sorted(fleet.hosts)[0])
    simulated.add_digest_user(AUDITOR, AUDITOR_PASSWORD, realms=[AUDIT_LOG], access_permission=2)
    right, wrong = simulated.vars["amt_uuid"], "00000000-0000-4000-8000-000000000000"
    archive = tmp_path / "archive.jsonl"
    as_auditor = connection(AUDITOR, AUDITOR_PASSWORD)
    admin = {"admin_password": "{{ amt_password }}"}
    clearing = {"state": "cleared", "export_path": str(archive)}
    tasks = [
        ("alone", "amt_audit_log", dict(as_auditor, expected_uuid=right, **clearing)),
        ("another machine", "amt_audit_log", dict(as_auditor, expected_uuid=wrong, **dict(admin, **clearing))),
        ("checked", "amt_audit_log", dict(as_auditor, expected_uuid=right, **dict(admin, **clearing)), {"check_mode": True}),
        ("cleared", "amt_audit_log", dict(as_auditor, expected_uuid=right, **dict(admin, **clearing))),
        ("read back", "amt_audit_log", dict(as_auditor, expected_uuid=right.upper(), **admin)),
    ]
    runs = run_play(tmp_path, fleet.inventory_path, tasks, hosts=sorted(fleet.hosts)[0])
    alone, other, checked, cleared, read_back = (runs[name] for name, *_rest in tasks)

    assert alone["failed"] is True and alone["error"] == "not_permitted" and alone["changed"] is False, alone
    assert alone["msg"].startswith("expected_uuid: the account %r may not read the device's UUID" % AUDITOR), alone["msg"]
    assert "GetUuid returned 16" in alone["msg"] and "give admin_username and admin_password" in alone["msg"], alone["msg"]
    assert "records" not in alone, alone

    assert other["failed"] is True and other["error"] == "identity_mismatch" and other["changed"] is False, other
    assert wrong in other["msg"] and "records" not in other, other

    total = len(checked["records"])
    assert not checked.get("failed") and checked["cleared_records"] == total > 1 and checked["writes"] == [], checked
    # Neither refused run wrote the archive: every record is still to be appended.
    assert checked["actions"] == ["append %d records to %s" % (total, archive), "clear the audit log (%d records)" % total], checked
    assert cleared["actions"] == checked["actions"] and cleared["cleared_records"] == total, cleared
    assert [write["status"] for write in cleared["writes"]] == ["confirmed", "confirmed"], cleared
    assert len(lines(archive)) == total
    # The log was cleared in the Auditor's session: the firmware names the Auditor in the log_cleared record.
    assert [(r["event"], r["user"]) for r in read_back["records"]] == [("log_cleared", AUDITOR)], read_back
    assert simulated.vars["amt_password"] not in runs.output


BAD_INPUT = [
    ("start_record", {"start_record": 0}, "start_record", "record ids start at 1", "module"),
    ("since", {"since": "yesterday"}, "since", "give a time in ISO 8601", "module"),
    ("export_directory", {"export_path": "/nonexistent-amt-dir/audit.jsonl"}, "export_path",
     "the directory /nonexistent-amt-dir does not exist", "module"),
    ("export_is_directory", {"export_path": "/"}, "export_path", "/ is a directory", "module"),
    ("mode", {"export_path": "/tmp/amt-audit-never.jsonl", "mode": "rw-------"}, "mode", "give the permissions in octal", "module"),
    ("admin_without_uuid", {"admin_password": "Unused-Adm1n!"}, "admin_password", "is used only to check expected_uuid", "module"),
    ("state_choice", {"state": "absent"}, "state", "must be one of", "ansible"),
    ("export_mode_choice", {"export_path": "/tmp/amt-audit-never.jsonl", "export_mode": "rotate"}, "export_mode", "must be one of", "ansible"),
]


def test_bad_input_is_refused_naming_the_option_and_rule_before_sending(tmp_path):
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text("not a record\n", encoding="utf-8")
    cases = dict((case, args) for case, args, _option, _rule, _checked_by in BAD_INPUT)
    cases["foreign_file"] = {"export_path": str(foreign)}
    results, _output = run_cases(tmp_path, {"amt_audit_log": {}}, cases, common_args=UNREACHABLE)
    for case, _args, option, rule, checked_by in BAD_INPUT:
        assert_refused_before_sending(results["amt_audit_log"][case], option, rule, checked_by)
    assert_refused_before_sending(results["amt_audit_log"]["foreign_file"], "export_path", "the last line of %s is not a record" % foreign, "module")
