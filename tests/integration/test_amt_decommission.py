# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The amt_decommission role end to end (playbooks/decommission.yml) on a mixed simulated fleet.

Six machines: a CCM one to retire; a CCM one whose inventory names another UUID; an ACM one on firmware 11.8 whose
Auditor has not allowed unprovisioning; an ACM one to retire in full and one in part; an ACM one that stops answering
in the middle of its run (amtsim's restart-after fault on AMT_AuditLog.ReadRecords). The first run, in batches of two,
retires three machines and refuses or fails the others, each for its reason, in the disposition log. The device that dropped comes back (the
fleet restarted without faults) and the Auditor allows unprovisioning: the same command then retires those two and
changes nothing else. A third run changes nothing at all. Another ACM machine on 11.8 with an Auditor is retired in one
run when the Auditor's credentials are given.

Loopback range: 127.77.225.x to 127.77.229.x (remote) and 127.78.225.x to 127.78.229.x (local); 127.77.229.250 has no
listener.
"""

from __future__ import annotations

import csv
import json
import pathlib
import sys

import pytest

from conftest import device, run_playbook, start_fleet

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import UnreachableError

PLAYBOOK = pathlib.Path(__file__).resolve().parents[2] / "playbooks" / "decommission.yml"
CCM_FLEET = {"first_address": "127.77.225.1", "local_first_address": "127.78.225.1"}
ACM_FLEET = {"first_address": "127.77.226.1", "local_first_address": "127.78.226.1"}
CHECK_FLEET = {"first_address": "127.77.227.1", "local_first_address": "127.78.227.1"}
AUDITOR_FLEET = {"first_address": "127.77.228.1", "local_first_address": "127.78.228.1"}
UNREACHABLE = "127.77.229.250"
# Device 1 of the ACM fleet predates release 12, where an Auditor can block unprovisioning in ACM (docs/amt-reference.md 3.1).
ACM_FIRMWARE = "11.8:1,16.1:3"
# Device 4 of the ACM fleet drops for a minute once it has served the first page of its audit log.
DROP_MID_RUN = "restart-after=ReadRecords:60@4"
AUDITOR = "auditor"
AUDITOR_PASSWORD = "Aud1tor-Passw0rd!"
OTHER_UUID = "11111111-2222-3333-4444-555555555555"
CONFIRMATION = "yes-retire-these-machines"
UNPROVISION_TASK = "Unprovision the machine"
# The batch's disposition log is written by one host's run_once tasks.
LOG_TASKS = {"Create the log directory", "Append the lines to the JSON Lines log", "Append the lines to the CSV log",
             "Keep the logs readable by their owner only"}


def machine(amt, **role_vars):
    """Inventory variables for a simulated device, taken before any change (amtsim forgets passwords it no longer has)."""
    host_vars = {"amt_hostname": amt.vars["amt_hostname"], "amt_username": amt.vars["amt_username"],
                 "amt_password": amt.vars["amt_password"], "amt_ca_path": amt.ca_path, "amt_use_tls": True,
                 "amt_decommission_expected_uuid": amt.vars["amt_uuid"]}
    host_vars.update(role_vars)
    return host_vars


def write_inventory(path, machines):
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
                         "children": {"amt_retire": {"hosts": machines}}}}
    path.write_text(json.dumps(inventory), encoding="utf-8")
    return path


def decommission(work_dir, inventory, out_dir, check=False, confirm=CONFIRMATION, serial=None):
    extra_vars = {"amt_decommission_dir": str(out_dir), "amt_decommission_verify_timeout": 10,
                  "amt_decommission_operator": "pytest"}
    if serial is not None:
        extra_vars["amt_decommission_serial"] = serial
    if confirm is not None:
        extra_vars["amt_decommission_confirm"] = confirm
    return run_playbook(work_dir, [inventory], PLAYBOOK, check=check, extra_vars=extra_vars)


def disposition(out_dir):
    """The JSON Lines log and the CSV log, each as a list of dicts, in the order written."""
    lines = [json.loads(line) for line in (out_dir / "disposition.jsonl").read_text(encoding="utf-8").splitlines()]
    with open(out_dir / "disposition.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return lines, rows


def provisioned(amt):
    """True while the device answers as provisioned; False once its network interface is closed."""
    client = amt.client()
    try:
        return client.get("AMT_SetupAndConfigurationService")["ProvisioningState"] == "2"
    except UnreachableError:
        return False
    finally:
        client.close()


def changed_tasks(run):
    return sorted({(record["host"], record["task"]) for record in run.records if record["result"].get("changed")})


def changed_machines(run):
    return sorted({host for host, task in changed_tasks(run) if task not in LOG_TASKS})


@pytest.fixture(scope="module")
def fleet_dirs(tmp_path_factory):
    return {"ccm": tmp_path_factory.mktemp("decommission-ccm"), "acm": tmp_path_factory.mktemp("decommission-acm")}


def test_mixed_fleet_retired_refused_retried_and_left_alone(fleet_dirs, tmp_path):
    ccm = start_fleet(fleet_dirs["ccm"], 2, "ccm", CCM_FLEET)
    acm = start_fleet(fleet_dirs["acm"], 4, "acm", ACM_FLEET, firmware=ACM_FIRMWARE, faults=DROP_MID_RUN)
    try:
        # In this order, the first batch of two holds the two machines that are refused.
        devices = {"ccm-other-uuid": device(ccm, 1), "acm-11-auditor": device(acm, 0), "ccm-retire": device(ccm, 0),
                   "acm-retire": device(acm, 1), "acm-partial": device(acm, 2), "acm-drops": device(acm, 3)}
        devices["acm-11-auditor"].add_digest_user(AUDITOR, AUDITOR_PASSWORD, realms=[20], access_permission=1)
        machines = dict((name, machine(amt)) for name, amt in devices.items())
        machines["ccm-other-uuid"]["amt_decommission_expected_uuid"] = OTHER_UUID
        machines["acm-partial"]["amt_decommission_mode"] = "partial"
        # This one is also read over its host interface, as the role does on the machine itself when told its MEI device.
        machines["ccm-retire"].update(amt_decommission_mei_device=devices["ccm-retire"].vars["amt_mei_socket"],
                                      amt_decommission_lms_hostname=devices["ccm-retire"].vars["amt_local_hostname"],
                                      amt_decommission_local_become=False)
        inventory = write_inventory(tmp_path / "inventory.json", machines)
        out_dir = tmp_path / "decommission"

        # In batches of two: the first batch, refused whole, does not stop the others; each batch writes its lines.
        first = decommission(tmp_path, inventory, out_dir, serial=2)
        assert first.returncode == 2, first.output  # the machines not retired fail at the end, after the log is written
        lines, rows = disposition(out_dir)
        assert [line["host"] for line in lines] == list(devices), "one line per machine, batch after batch"
        by_host = dict((line["host"], line) for line in lines)
        assert sorted(by_host) == sorted(devices) and len(lines) == 6
        assert [row["host"] for row in rows] == [line["host"] for line in lines]
        assert all(row["result"] == by_host[row["host"]]["result"] and row["operator"] == "pytest" for row in rows)

        for name in ("ccm-retire", "acm-retire", "acm-partial"):
            line = by_host[name]
            assert line["result"] == "retired" and line["error"] is None, line
            assert "read back: the WS-Man port no longer answers" in line["verification"], line
            assert not provisioned(devices[name])
            record = json.loads(pathlib.Path(line["exported"]["device_record"]).read_text(encoding="utf-8"))
            assert record["uuid"] == devices[name].vars["amt_uuid"] and record["provisioning_state"] == "post"
            assert record["firmware"] == devices[name].vars["amt_firmware"]
            assert record["certificates"]["tls_server"]["fingerprint"]
            exported = pathlib.Path(line["exported"]["audit_log"]).read_text(encoding="utf-8").splitlines()
            assert len(exported) == line["exported"]["audit_records"] > 0, "the audit log is exported in full"
        assert by_host["ccm-retire"]["control_mode"] == "ccm" and by_host["acm-retire"]["control_mode"] == "acm"
        assert by_host["ccm-retire"]["verification"].endswith("host interface (MEI): the firmware reports the pre-provisioning"
                                                              " state and the expected UUID"), by_host["ccm-retire"]
        assert "host interface" not in by_host["acm-retire"]["verification"]
        assert any("MEBx password" in item for item in by_host["acm-retire"]["survived"])
        assert any("DNS suffix" in item for item in by_host["acm-retire"]["survived"]), "16.1 keeps the DNS suffix"
        assert any("admin account" in item for item in by_host["acm-partial"]["survived"])
        assert not any("admin account" in item for item in by_host["acm-retire"]["survived"])

        other = by_host["ccm-other-uuid"]
        assert other["result"] == "refused" and other["step"] == "preflight" and other["exported"] == {}, other
        assert other["error"].startswith("identity: ") and OTHER_UUID in other["error"]
        assert provisioned(devices["ccm-other-uuid"])

        legacy = by_host["acm-11-auditor"]
        assert legacy["result"] == "refused" and legacy["step"] == "unprovision" and legacy["auditor_needed"] is True, legacy
        assert "the Auditor account 'auditor' has not allowed it" in legacy["error"]
        assert legacy["exported"]["audit_records"] > 0, "the evidence is kept before the device refuses"
        assert provisioned(devices["acm-11-auditor"])

        dropped = by_host["acm-drops"]
        assert dropped["result"] == "failed" and dropped["step"] in ("evidence", "unprovision"), dropped
        assert "unreachable" in dropped["error"]
        for run_output in (first.output, (out_dir / "disposition.jsonl").read_text(encoding="utf-8"),
                           (out_dir / "disposition.csv").read_text(encoding="utf-8")):
            assert not any(amt.vars["amt_password"] in run_output for amt in devices.values())
        for path in (out_dir / "evidence").iterdir():
            assert not any(amt.vars["amt_password"] in path.read_text(encoding="utf-8") for amt in devices.values())

        # The dropped device comes back, and the Auditor allows unprovisioning for the next five minutes.
        acm.stop()
        acm = start_fleet(fleet_dirs["acm"], 4, "acm", ACM_FLEET, firmware=ACM_FIRMWARE)
        auditor = devices["acm-11-auditor"].client(AUDITOR, AUDITOR_PASSWORD)
        try:
            auditor.invoke("AMT_AuditLog", "SetAuditLock", [("LockTimeoutInSeconds", 300), ("Flag", 1)])
        finally:
            auditor.close()

        second = decommission(tmp_path, inventory, out_dir)
        assert second.returncode == 2, second.output  # ccm-other-uuid is still refused
        lines, rows = disposition(out_dir)
        added = lines[6:]
        assert sorted(line["host"] for line in added) == ["acm-11-auditor", "acm-drops"], added
        assert all(line["result"] == "retired" for line in added), added
        assert len(rows) == len(lines)
        assert not provisioned(devices["acm-11-auditor"]) and not provisioned(devices["acm-drops"])
        assert changed_machines(second) == ["acm-11-auditor", "acm-drops"], changed_tasks(second)
        assert set(second.by_host(UNPROVISION_TASK)) == {"acm-11-auditor", "acm-drops"}, "nothing is unprovisioned twice"
        shown = second.by_host("Show the disposition of every machine of the batch")
        batch = dict((line["host"], line) for result in shown.values() for line in result["msg"])
        assert batch["ccm-retire"]["result"] == batch["acm-partial"]["result"] == "already_retired", batch
        assert "over the host interface (MEI) the firmware reports the pre-provisioning state" in batch["ccm-retire"]["verification"]
        assert "the disposition log records this machine" in batch["acm-partial"]["verification"]
        assert batch["ccm-other-uuid"]["result"] == "refused"

        third = decommission(tmp_path, inventory, out_dir)
        assert changed_tasks(third) == [], third.output
        assert disposition(out_dir)[0] == lines, "a run that changes nothing adds no line"
        assert third.by_host(UNPROVISION_TASK) == {}
    finally:
        ccm.stop()
        acm.stop()


@pytest.fixture(scope="module")
def check_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("decommission-check"), 2, "acm", CHECK_FLEET, firmware="11.8:1,16.1:1")
    yield fleet
    fleet.stop()


def test_check_mode_reports_the_plan_and_sends_no_write(check_fleet, tmp_path):
    devices = {"old": device(check_fleet, 0), "new": device(check_fleet, 1)}
    devices["old"].add_digest_user(AUDITOR, AUDITOR_PASSWORD, realms=[20], access_permission=1)
    inventory = write_inventory(tmp_path / "inventory.json", dict((name, machine(amt)) for name, amt in devices.items()))
    out_dir = tmp_path / "decommission"

    run = decommission(tmp_path, inventory, out_dir, check=True)
    assert run.returncode == 0, run.output
    assert all(provisioned(amt) for amt in devices.values())
    assert not out_dir.exists(), "check mode writes no evidence and no disposition log"
    for host, result in run.by_host(UNPROVISION_TASK).items():
        assert result["changed"] is True and result["writes"] == [] and result["verified"] is False, (host, result)
    plans = dict((host, result["msg"]) for host, result in run.by_host("Say what will happen").items())
    assert "an Auditor is needed" in plans["old"] and "Auditor account 'auditor'" in plans["old"], plans["old"]
    assert "no Auditor credentials are given (amt_decommission_auditor_username" in plans["old"], plans["old"]
    assert "no Auditor consent is needed" in plans["new"] and "DNS suffix" in plans["new"], plans["new"]
    assert "DNS suffix" not in plans["old"], "before release 12 the DNS suffix goes too"
    shown = run.by_host("Show the disposition of every machine of the batch")
    batch = dict((line["host"], line) for result in shown.values() for line in result["msg"])
    assert batch["old"]["result"] == batch["new"]["result"] == "would_retire"
    exports = run.by_host("Export the audit log in full (resumes after the records an earlier run kept)")
    assert all(result["changed"] is False and len(result["records"]) > 0 for result in exports.values()), exports


def test_refuses_to_start_without_the_confirmation(check_fleet, tmp_path):
    amt = device(check_fleet, 1)
    inventory = write_inventory(tmp_path / "inventory.json", {"only": machine(amt)})
    run = decommission(tmp_path, inventory, tmp_path / "decommission", confirm="yes")
    assert run.returncode != 0
    ran = [record["task"] for record in run.records]
    assert ran[-1] == "Refuse to start without the confirmation" and len(ran) == 2, run.output  # after the argument checks
    assert 'Set amt_decommission_confirm to "yes-retire-these-machines"' in run.records[-1]["result"]["msg"]
    assert provisioned(amt)


def test_refuses_a_machine_whose_inventory_names_no_uuid(tmp_path):
    # No listener at this address: had the role sent anything, the machine would have failed as unreachable instead.
    host_vars = {"amt_hostname": UNREACHABLE, "amt_password": "Unused-Passw0rd!"}
    machines = {"no-uuid": host_vars, "bad-uuid": dict(host_vars, amt_decommission_expected_uuid="pc-17")}
    inventory = write_inventory(tmp_path / "inventory.json", machines)
    out_dir = tmp_path / "decommission"
    run = decommission(tmp_path, inventory, out_dir)
    assert run.returncode == 2, run.output
    lines, rows = disposition(out_dir)
    assert sorted(line["host"] for line in lines) == ["bad-uuid", "no-uuid"] and len(rows) == 2
    for line in lines:
        assert line["result"] == "refused" and line["step"] == "preflight" and line["exported"] == {}, line
        assert line["error"].startswith("expected_uuid: set amt_decommission_expected_uuid for this host"), line
    assert run.by_host("Read the machine (identity, firmware, control mode, settings, accounts, certificates, Wi-Fi, MPS)") == {}


@pytest.fixture(scope="module")
def auditor_fleet(tmp_path_factory):
    fleet = start_fleet(tmp_path_factory.mktemp("decommission-auditor"), 1, "acm", AUDITOR_FLEET, firmware="11.8:1")
    yield fleet
    fleet.stop()


def test_the_auditor_credentials_retire_a_machine_whose_auditor_must_consent(auditor_fleet, tmp_path):
    amt = device(auditor_fleet, 0)
    amt.add_digest_user(AUDITOR, AUDITOR_PASSWORD, realms=[20], access_permission=1)
    inventory = write_inventory(tmp_path / "inventory.json", {"acm-11-auditor": machine(
        amt, amt_decommission_auditor_username=AUDITOR, amt_decommission_auditor_password=AUDITOR_PASSWORD)})
    out_dir = tmp_path / "decommission"

    run = decommission(tmp_path, inventory, out_dir)
    assert run.returncode == 0, run.output
    plan = run.by_host("Say what will happen")["acm-11-auditor"]["msg"]
    assert "an Auditor is needed" in plan and "the Auditor's credentials are given" in plan, plan
    line = disposition(out_dir)[0][0]
    assert line["result"] == "retired" and line["auditor_needed"] is True and line["error"] is None, line
    assert not provisioned(amt)
    writes = run.by_host(UNPROVISION_TASK)["acm-11-auditor"]["writes"]
    assert [(write["action"].split(" (")[0], write["status"]) for write in writes] == [
        ("allow unprovisioning as the Auditor 'auditor'", "confirmed"), ("unprovision", "confirmed")], writes
    logs = [run.output] + [path.read_text(encoding="utf-8") for path in out_dir.rglob("*") if path.is_file()]
    assert not any(AUDITOR_PASSWORD in text or amt.vars["amt_password"] in text for text in logs)
