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

from ansible_collections.oob.amt.tests.unit.plugins.plugin_utils.baseline_report import synthetic

COLLECTION = pathlib.Path(__file__).resolve().parents[5]
COLLECTIONS_ROOT = COLLECTION.parents[2]
PLAYBOOK_COMMAND = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

PLAY = """
- name: Results as amt_baseline would register them
  hosts: all
  gather_facts: false
  tasks:
    # register stores a skipped result on the hosts a `when` skips, so the task that fails comes first.
    - name: A task that fails
      ansible.builtin.fail:
        msg: authentication failed for <admin>
      register: baseline
      ignore_errors: true
      when: inventory_hostname == 'failed.example.net'
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
        dest: "{{ results_dir }}/action-result.json"
        mode: "0644"
      run_once: true
      delegate_to: localhost
      check_mode: false
"""


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
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT), ANSIBLE_LOCAL_TEMP=str(tmp_path / "local_tmp"),
               ANSIBLE_REMOTE_TMP=str(tmp_path / "remote_tmp"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")

    def run(report_args, *options):
        extra = json.dumps({"results_dir": str(tmp_path), "report_args": report_args})
        completed = subprocess.run([PLAYBOOK_COMMAND, "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml"),
                                    "-e", extra, *options], env=env, capture_output=True, text=True, timeout=300, check=False)
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
    assert second["previous"] == os.path.join(dest, "latest.json")
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
