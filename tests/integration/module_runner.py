# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run any oob.amt module through ansible-playbook and read back each task's registered result.

conftest.py starts the fleets; this adds what its amt_info-only runner lacks: any module, several tasks in one
playbook (one ansible-playbook start for many cases), --diff, and a direct WS-Man client for test setup.
"""

from __future__ import annotations

import json
import os
import subprocess

import yaml

from conftest import COLLECTIONS_PATH, PLAYBOOK_TIMEOUT, PYTHON_BIN

from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AuthenticationError


class TaskRuns:
    def __init__(self, completed, results):
        self.returncode = completed.returncode
        self.output = completed.stdout + completed.stderr
        self.results = results

    def __getitem__(self, task_name):
        return self.results[task_name]


def run_tasks(work_dir, inventory_path, host, tasks, check=False, diff=False):
    """tasks: list of (task name, module short name, module args[, task keywords such as check_mode or diff]).

    Returns TaskRuns keyed by task name.
    """
    results_path = work_dir / "results.json"
    if results_path.exists():
        results_path.unlink()
    play_tasks = []
    for index, (name, module, args, *keywords) in enumerate(tasks):
        task = {"name": name, "oob.amt." + module: args, "register": "task_%d" % index, "ignore_errors": True}
        for extra in keywords:
            task.update(extra)
        play_tasks.append(task)
    collected = "{" + ", ".join('"%s": task_%d' % (task[0], index) for index, task in enumerate(tasks)) + "}"
    play_tasks.append({"name": "keep the results", "check_mode": False, "diff": False, "ansible.builtin.copy": {
        "content": "{{ %s | to_json }}" % collected, "dest": str(results_path)}})
    playbook = work_dir / "playbook.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": host, "gather_facts": False, "tasks": play_tasks}], sort_keys=False), encoding="utf-8")
    environment = dict(os.environ)
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        "ANSIBLE_LOCAL_TEMP": str(work_dir / "local_tmp"),
        "ANSIBLE_REMOTE_TMP": str(work_dir / "remote_tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "PATH": str(PYTHON_BIN) + os.pathsep + environment.get("PATH", ""),
    })
    command = [str(PYTHON_BIN / "ansible-playbook"), "-i", str(inventory_path), str(playbook)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=PLAYBOOK_TIMEOUT, check=False)
    if not results_path.exists():
        raise AssertionError("ansible-playbook wrote no result (rc %d):\n%s" % (completed.returncode, completed.stdout + completed.stderr))
    return TaskRuns(completed, json.loads(results_path.read_text(encoding="utf-8")))


def wsman_client(host_vars, username, password, ca_path):
    """A collection AmtClient to a simulated device, for test setup and for checking what a module did."""
    from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient
    from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport

    return AmtClient(WsmanTransport(host_vars["amt_hostname"], host_vars["amt_tls_port"], username, password,
                                    ca_path=ca_path, timeout=10))


class SimulatedDevice:
    """One simulated device with the credentials it started with (the inventory forgets them once they change)."""

    def __init__(self, fleet, name):
        self.fleet = fleet
        self.name = name
        self.vars = dict(fleet.hosts[name])
        self.ca_path = fleet.group_vars["amt_ca_path"]

    def connection(self, password=None, username=None, **extra):
        """Module arguments for this device over TLS, verified with the simulator CA; extra ones added or replacing."""
        args = {"hostname": self.vars["amt_hostname"], "username": username or self.vars["amt_username"],
                "password": password or self.vars["amt_password"], "ca_path": self.ca_path}
        args.update(extra)
        return args

    def client(self, username=None, password=None):
        return wsman_client(self.vars, username or self.vars["amt_username"], password or self.vars["amt_password"], self.ca_path)

    def authenticates(self, username, password):
        client = self.client(username, password)
        try:
            client.invoke("AMT_AuthorizationService", "GetAdminAclEntry", idempotent=True)
            return True
        except AuthenticationError:
            return False
        finally:
            client.close()


def device(fleet, index):
    """The index-th device of a fleet, by inventory name."""
    return SimulatedDevice(fleet, sorted(fleet.hosts)[index])
