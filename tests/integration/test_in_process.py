# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins of amt_info and amt_baseline (plugins/plugin_utils/in_process.py): on a local connection the
module's code runs in the controller's worker, anywhere else the module runs as a module; results the same, secrets
nowhere.

The proof that nothing ran as a module is the Python interpreter: the hosts name one that does not exist, so a task that
started a module process fails (its interpreter is not found) while one that ran in the worker succeeds.

Loopback range: 127.77.218.x (remote) and 127.78.218.x (local); 127.77.218.250 unreachable.
"""

from __future__ import annotations

import json
import sys

import pytest
import yaml

from conftest import device, run_playbook, start_fleet

ADDRESSES = {"first_address": "127.77.218.1", "local_first_address": "127.78.218.1"}
UNREACHABLE_ADDRESS = "127.77.218.250"
WRONG_PASSWORD = "Wr0ng~In-Process!"
AUDITOR_PASSWORD = "Aud1tor~In-Process!"
NO_INTERPRETER = "/nonexistent/oob-amt/python"
IN_PROCESS_LINE = "oob.amt.amt_info runs in the controller's worker process"

# A connection plugin that is the local connection under another name: a non-local connection that needs no SSH server.
OTHER_CONNECTION = '''
from __future__ import annotations

DOCUMENTATION = """
name: local_elsewhere
short_description: The local connection under another name
description:
  - Runs tasks on the controller as the local connection does, but its transport is not C(local).
author: oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - connection_pipelining
"""

from ansible.plugins.connection.local import Connection as LocalConnection


class Connection(LocalConnection):
    transport = "local_elsewhere"
'''


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    started = start_fleet(tmp_path_factory.mktemp("in-process-fleet"), 1, "acm", ADDRESSES)
    yield started
    started.stop()


def info_task(name, interpreter=NO_INTERPRETER, connection="local", environment=None, **extra):
    """An amt_info task over TLS (arguments from the inventory unless extra replaces them; None leaves one out), errors
    ignored; the connection and interpreter are task variables, which win over the inventory's."""
    args = {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
            "ca_path": "{{ amt_ca_path }}", "gather_subset": ["firmware", "general"]}
    args.update(extra)
    return {"name": name, "oob.amt.amt_info": dict((key, value) for key, value in args.items() if value is not None),
            "ignore_errors": True, "environment": environment or {},
            "vars": {"ansible_connection": connection, "ansible_python_interpreter": interpreter}}


def baseline_task(name):
    """amt_baseline in check mode with --diff, with an auditor account and its password (a no_log dict), errors ignored."""
    args = {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
            "ca_path": "{{ amt_ca_path }}", "baseline": {"AMT-AUD-01": {"name": "auditor"}},
            "secrets": {"auditor_password": "{{ auditor_password }}"}}
    return {"name": name, "oob.amt.amt_baseline": args, "ignore_errors": True, "check_mode": True, "diff": True,
            "vars": {"ansible_python_interpreter": NO_INTERPRETER}}


@pytest.fixture(scope="module")
def runs(fleet, tmp_path_factory):
    """One playbook of every case, run at verbosity 4, with the other connection plugin beside the playbook."""
    amt = device(fleet, 0)
    work_dir = tmp_path_factory.mktemp("in-process")
    (work_dir / "connection_plugins").mkdir()
    (work_dir / "connection_plugins" / "local_elsewhere.py").write_text(OTHER_CONNECTION, encoding="utf-8")
    # Secrets only in a vars file: ansible quotes playbook lines in its errors.
    (work_dir / "vars.json").write_text(json.dumps({"wrong_password": WRONG_PASSWORD, "auditor_password": AUDITOR_PASSWORD}),
                                        encoding="utf-8")
    tasks = [
        info_task("in process"),
        info_task("on the managed host (transport local)", transport="local"),
        info_task("other connection", connection="local_elsewhere"),
        info_task("other connection, as a module", connection="local_elsewhere", interpreter=sys.executable),
        info_task("password from the task environment", password=None, environment={"AMT_PASSWORD": "{{ amt_password }}"}),
        info_task("wrong password", password="{{ wrong_password }}"),
        info_task("port out of range", port=70000),
        info_task("unreachable", hostname=UNREACHABLE_ADDRESS, timeout=5),
        baseline_task("baseline in process, check mode"),
    ]
    playbook = work_dir / "playbook.yml"
    play = {"name": "in process", "hosts": amt.name, "gather_facts": False, "vars_files": [str(work_dir / "vars.json")], "tasks": tasks}
    playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSIBLE_VERBOSITY", "3")
        return amt, run_playbook(work_dir, [fleet.inventory_path], playbook)


def test_a_local_connection_runs_the_module_in_the_worker(runs):
    amt, run = runs
    result = run["in process"]
    assert not result.get("failed"), result
    assert result["amt"]["general"]["uuid"] == amt.vars["amt_uuid"]
    assert result["amt_requests"] == 4
    # Every task on the local connection for the network ran in the worker, the three that failed too.
    assert run.output.count(IN_PROCESS_LINE) == 5, run.output


def test_the_managed_host_and_other_connections_run_the_module(runs):
    _amt, run = runs
    for name in ("on the managed host (transport local)", "other connection"):
        result = run[name]
        assert result["failed"] is True and NO_INTERPRETER in json.dumps(result), (name, result)
    as_module = run["other connection, as a module"]
    assert not as_module.get("failed"), as_module
    assert as_module["amt"] == run["in process"]["amt"]
    assert as_module["amt_requests"] == run["in process"]["amt_requests"]
    assert "AnsiballZ_amt_info.py" in run.output


def test_baseline_runs_in_the_worker_in_check_mode(runs):
    _amt, run = runs
    result = run["baseline in process, check mode"]
    assert not result.get("failed"), result
    assert "oob.amt.amt_baseline runs in the controller's worker process" in run.output
    statuses = dict((control["id"], control["status"]) for control in result["controls"])
    assert statuses["AMT-AUD-01"] == "drifted" and "changed" not in statuses.values(), statuses
    assert [write for control in result["controls"] for write in control["writes"]] == []
    assert result["diff"]["before"] and result["diff"]["after"], result


def test_environment_fallbacks_as_in_a_module(runs):
    _amt, run = runs
    result = run["password from the task environment"]
    assert not result.get("failed"), result


def test_failures_are_clean_results(runs):
    _amt, run = runs
    wrong = run["wrong password"]
    assert wrong["failed"] is True and wrong["changed"] is False and wrong["error"] == "authentication", wrong
    refused = run["port out of range"]
    assert refused["failed"] is True and refused["error"] == "invalid_input" and refused["msg"].startswith("port"), refused
    unreachable = run["unreachable"]
    assert unreachable["failed"] is True and unreachable["error"] == "unreachable", unreachable
    for result in (wrong, refused, unreachable):
        assert "module_stderr" not in result and not result["msg"].startswith("MODULE FAILURE"), result


def test_secrets_absent_from_results_and_verbose_output(runs):
    amt, run = runs
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.output
    for secret in (amt.vars["amt_password"], WRONG_PASSWORD, AUDITOR_PASSWORD):
        assert secret not in run.output
        assert secret not in json.dumps(run.records)
