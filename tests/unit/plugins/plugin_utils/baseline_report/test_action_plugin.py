# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""oob.amt.amt_baseline_report run by ansible-playbook on the controller (no device, no simulator): results read from
hostvars or given as a dict, hosts without a result, a failed task's result, the previous report, check mode."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import yaml

from ansible_collections.oob.amt.plugins.modules.amt_baseline_report import EXAMPLES
from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

COLLECTION = pathlib.Path(__file__).resolve().parents[5]
COLLECTIONS_ROOT = COLLECTION.parents[2]
PLAYBOOK_COMMAND = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

# Both plays end with these tasks: the compliant and drifted hosts' results from files beside the inventory, the report
# with the play's report_args, and its result written to the play's result_file for the test.
REPORT_TASKS = """\
    - name: A result from a file beside the inventory
      ansible.builtin.set_fact:
        baseline: "{{ lookup('ansible.builtin.file', results_dir + '/' + inventory_hostname + '.json') | from_json }}"
      when: inventory_hostname in ['compliant.example.net', 'drifted.example.net']
    - name: The report
      oob.amt.amt_baseline_report: "{{ report_args }}"
      run_once: true
      delegate_to: localhost
      register: report
    - name: Its result, for the test
      ansible.builtin.copy:
        content: "{{ report | to_json }}"
        dest: "{{ results_dir }}/{{ result_file }}"
        mode: "0644"
      run_once: true
      delegate_to: localhost
      check_mode: false
"""

# Its report_args come from the test.
PLAY = """
- name: Results as amt_baseline would register them
  hosts: all
  gather_facts: false
  vars:
    result_file: action-result.json
  tasks:
    # register stores a skipped result on the hosts a `when` skips, so the task that fails comes first.
    - name: A task that fails
      ansible.builtin.fail:
        msg: authentication failed for <admin>
      register: baseline
      ignore_errors: true
      when: inventory_hostname == 'failed.example.net'
""" + REPORT_TASKS

# With serial 2 and hosts in name order, the first batch is compliant and drifted; in the second, failed fails for good
# before registering anything (Ansible takes it out of the play) and silent registers nothing.
SERIAL_PLAY = """
- name: Results in two serial batches
  hosts: all
  gather_facts: false
  serial: 2
  order: sorted
  vars:
    report_args:
      result_var: baseline
      dest: "{{ results_dir }}/reports"
      run_id: "{{ hostvars['localhost'].baseline_run_id }}"
    result_file: "{{ report.run.id }}-{{ report.run.updates }}.json"
  tasks:
    - name: A task that fails the host
      ansible.builtin.fail:
        msg: the device refused the connection
      when: inventory_hostname == 'failed.example.net'
""" + REPORT_TASKS


def serial_play():
    """SERIAL_PLAY led by the task that names the run as the module's EXAMPLES do, so that the documented recipe is run."""
    naming = next(task for example in yaml.safe_load(EXAMPLES) for task in example["tasks"]
                  if "baseline_run_id" in task.get("ansible.builtin.set_fact", {}))
    play = yaml.safe_load(SERIAL_PLAY)
    play[0]["tasks"].insert(0, naming)
    return yaml.safe_dump(play, sort_keys=False)


@pytest.fixture(name="play")
def play_fixture(tmp_path):
    if not os.access(PLAYBOOK_COMMAND, os.X_OK):
        pytest.skip("ansible-playbook is not installed beside %s" % sys.executable)
    (tmp_path / "compliant.example.net.json").write_text(json.dumps(synthetic.result({})), encoding="utf-8")
    (tmp_path / "drifted.example.net.json").write_text(
        json.dumps(synthetic.result({"AMT-TLS-01": ("drifted", "TLS is off")})), encoding="utf-8")
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"vars": local, "children": {
        "office": {"hosts": {"compliant.example.net": {}, "drifted.example.net": {}}},
        "kiosk": {"hosts": {"failed.example.net": {}, "silent.example.net": {}}}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (tmp_path / "play.yml").write_text(PLAY, encoding="utf-8")
    (tmp_path / "serial.yml").write_text(serial_play(), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT), ANSIBLE_LOCAL_TEMP=str(tmp_path / "local_tmp"),
               ANSIBLE_REMOTE_TMP=str(tmp_path / "remote_tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")

    def run(report_args, *options, playbook="play.yml"):
        """Runs the playbook; report_args None leaves them to the play (SERIAL_PLAY has its own)."""
        extra = {"results_dir": str(tmp_path)}
        if report_args is not None:
            extra["report_args"] = report_args
        completed = subprocess.run([PLAYBOOK_COMMAND, "-i", str(tmp_path / "inventory.yml"), str(tmp_path / playbook),
                                    "-e", json.dumps(extra), *options], env=env, capture_output=True, text=True, timeout=300, check=False)
        result_file = tmp_path / "action-result.json"
        result = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else None
        if result_file.exists():
            result_file.unlink()
        return completed, result
    return tmp_path, run


def machines(path):
    report = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    return {item["host"]: item for item in report["machines"]}, report


def test_report_from_hostvars_then_changes_since_it(play):
    tmp_path, run = play
    dest = str(tmp_path / "reports")
    completed, result = run({"result_var": "baseline", "dest": dest, "title": "Test fleet"})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert result["changed"] is False
    assert result["previous"] is None
    by_host, report = machines(result["files"]["latest_json"])
    assert {host: item["status"] for host, item in by_host.items()} == {
        "compliant.example.net": "compliant", "drifted.example.net": "drifted", "failed.example.net": "failed",
        "silent.example.net": "unreachable"}
    assert by_host["failed.example.net"]["error"]["msg"] == "authentication failed for <admin>"
    assert by_host["silent.example.net"]["groups"] == ["kiosk"] and by_host["drifted.example.net"]["groups"] == ["office"]
    assert result["totals"] == report["totals"] and report["title"] == "Test fleet"
    assert pathlib.Path(result["files"]["html"]).read_text(encoding="utf-8") == pathlib.Path(result["files"]["latest_html"]).read_text(encoding="utf-8")

    completed, second = run({"results": {"compliant.example.net": synthetic.result({"AMT-AUD-02": "drifted"}),
                                         "drifted.example.net": synthetic.result({}), "silent.example.net": None},
                             "dest": dest})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert second["previous"] == result["files"]["json"], "the previous report under its own name, not latest.json"
    assert second["changes"] == {"newly_drifted": 1, "newly_failed": 0, "fixed": 1, "newly_unreachable": 0, "reachable_again": 0,
                                 "machines_added": 0, "machines_removed": 1}
    assert second["files"]["json"] != result["files"]["json"]
    assert len(list((tmp_path / "reports").glob("amt-baseline-*.json"))) == 2


def test_check_mode_writes_the_report(play):
    tmp_path, run = play
    completed, result = run({"result_var": "baseline", "dest": str(tmp_path / "reports"),
                             "hosts": ["compliant.example.net", "not-in-inventory.example.net"]}, "--check")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    by_host = machines(result["files"]["json"])[0]
    assert {host: item["status"] for host, item in by_host.items()} == {
        "compliant.example.net": "compliant", "not-in-inventory.example.net": "unreachable"}


@pytest.mark.parametrize("report_args, message", [
    ({"results": {}, "result_var": "baseline", "dest": "reports"}, "mutually exclusive"),
    ({"dest": "reports"}, "one of the following is required: results, result_var"),
    ({"result_var": "baseline"}, "missing required arguments: dest"),
])
def test_arguments_are_checked_before_anything_is_written(play, report_args, message):
    tmp_path, run = play
    completed, result = run(report_args)
    assert completed.returncode != 0 and result is None
    assert message in completed.stdout
    assert not (tmp_path / "reports").exists()


def test_an_explicit_previous_report_must_be_readable(play):
    tmp_path, run = play
    completed = run({"result_var": "baseline", "dest": str(tmp_path / "reports"), "previous": str(tmp_path / "nothing.json")})[0]
    assert completed.returncode != 0
    assert "cannot read %s" % (tmp_path / "nothing.json") in completed.stdout


def serial_updates(tmp_path, run):
    """The report task's result of each batch of one run of SERIAL_PLAY, in order."""
    before = set(tmp_path.glob("*-[0-9].json"))
    completed = run(None, playbook="serial.yml")[0]
    assert "failed.example.net" in completed.stdout and "fatal" in completed.stdout, completed.stdout + completed.stderr
    written = sorted(set(tmp_path.glob("*-[0-9].json")) - before, key=lambda path: path.name)
    return [json.loads(path.read_text(encoding="utf-8")) for path in written]


def test_serial_batches_of_one_run_update_one_report_and_compare_with_the_previous_run(play):
    tmp_path, run = play
    first, second = serial_updates(tmp_path, run)
    assert first["run"]["id"] == second["run"]["id"] and [first["run"]["updates"], second["run"]["updates"]] == [1, 2]
    assert first["run"]["not_reached"] == ["failed.example.net", "silent.example.net"]
    assert first["totals"]["machines"] == 2 and first["totals"]["machines_by_status"]["unreachable"] == 0
    assert second["run"]["not_reached"] == [] and second["totals"]["machines"] == 4
    assert first["files"] == second["files"] and first["run"]["started_at"] == second["run"]["started_at"]
    assert first["previous"] is None and second["previous"] is None, "the first run has no previous run, whatever its batches"
    by_host, report = machines(second["files"]["latest_json"])
    assert {host: item["status"] for host, item in by_host.items()} == {
        "compliant.example.net": "compliant", "drifted.example.net": "drifted", "failed.example.net": "unreachable",
        "silent.example.net": "unreachable"}
    assert report["run"] == second["run"] and report["changes"]["previous"] is None
    assert len(list((tmp_path / "reports").glob("amt-baseline-*.json"))) == 1

    # The next run: every batch compares with the first run's report, whose hosts are all there.
    third, fourth = serial_updates(tmp_path, run)
    assert third["run"]["id"] != first["run"]["id"] and third["files"] == fourth["files"] != first["files"]
    assert third["previous"] == fourth["previous"] == first["files"]["json"]
    assert third["changes"] == dict.fromkeys(("newly_drifted", "newly_failed", "fixed", "newly_unreachable", "reachable_again",
                                              "machines_added", "machines_removed"), 0), "hosts not reached yet are not removed"
    assert fourth["changes"] == third["changes"], "the second batch compares with the first run, not with the first batch"
    report = machines(fourth["files"]["json"])[1]
    assert report["changes"]["previous"] == {"generated_at": machines(first["files"]["json"])[1]["generated_at"],
                                             "file": os.path.basename(first["files"]["json"])}
    assert len(list((tmp_path / "reports").glob("amt-baseline-*.json"))) == 2


def test_a_later_batch_finds_the_previous_run_when_latest_json_was_copied_in(play):
    tmp_path, run = play
    serial_updates(tmp_path, run)
    # As contrib/systemd's wrapper does: a fresh directory that holds only a copy of the previous run's latest.json.
    reports = tmp_path / "reports"
    previous = json.loads((reports / "latest.json").read_text(encoding="utf-8"))
    for path in reports.iterdir():
        if path.name != "latest.json":
            path.unlink()
    first, second = serial_updates(tmp_path, run)
    kept = reports / previous["run"]["file"]
    assert first["previous"] == second["previous"] == str(kept)
    assert json.loads(kept.read_text(encoding="utf-8")) == previous
    assert second["changes"]["machines_removed"] == 0 and second["changes"]["reachable_again"] == 0


def test_a_run_done_in_one_update_keeps_no_copy_of_a_copied_in_latest_json(play):
    tmp_path, run = play
    completed, first = run({"result_var": "baseline", "dest": str(tmp_path / "reports")})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "latest.json").write_bytes(pathlib.Path(first["files"]["json"]).read_bytes())
    completed, second = run({"result_var": "baseline", "dest": str(fresh)})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert second["previous"] == str(fresh / "latest.json") and second["changes"]["machines_removed"] == 0
    assert sorted(path.name for path in fresh.glob("amt-baseline-*.json")) == [os.path.basename(second["files"]["json"])]
