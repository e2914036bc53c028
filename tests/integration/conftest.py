# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Simulated fleets (amtsim subprocesses on loopback) and a runner for ansible-playbook against them.

The tests run from a staged copy at <dir>/ansible_collections/oob/amt, so <dir> (parents[4] of this file) is the
ANSIBLE_COLLECTIONS_PATH that makes the collection under test importable by ansible-playbook.
"""

from __future__ import annotations

import json
import os
import pathlib
import selectors
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

COLLECTIONS_PATH = pathlib.Path(__file__).resolve().parents[4]
PYTHON_BIN = pathlib.Path(sys.executable).parent
READY_TIMEOUT = 60
PLAYBOOK_TIMEOUT = 120

# Address ranges owned by these tests, so they can run next to other simulators on the same machine.
MODERN_FLEET = {"first_address": "127.77.200.1", "local_first_address": "127.78.200.1"}
LEGACY_FLEET = {"first_address": "127.77.201.1", "local_first_address": "127.78.201.1"}


class Fleet:
    def __init__(self, process, inventory_path, state_dir):
        self.process = process
        self.inventory_path = inventory_path
        self.state_dir = state_dir

    @property
    def hosts(self):
        inventory = yaml.safe_load(self.inventory_path.read_text(encoding="utf-8"))
        return inventory["all"]["children"]["amt"]["hosts"]

    @property
    def group_vars(self):
        inventory = yaml.safe_load(self.inventory_path.read_text(encoding="utf-8"))
        return inventory["all"]["children"]["amt"].get("vars", {})

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_until_serving(process, devices):
    expected = "amtsim: serving %d devices" % devices
    seen = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.5):
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line.rstrip())
        if line.startswith(expected):
            _keep_draining(process.stdout)
            return
    process.kill()
    raise RuntimeError("amtsim did not report %r; its output was:\n%s" % (expected, "\n".join(seen)))


def _keep_draining(stream):
    """Read the simulator's output for the rest of its life: a full pipe would freeze the simulator."""
    threading.Thread(target=lambda: [None for _line in stream], daemon=True).start()


def start_fleet(directory, devices, profile, addresses, firmware=None):
    state_dir = directory / "state"
    inventory_path = directory / "inventory.yml"
    command = [str(PYTHON_BIN / "python"), "-m", "amtsim", "serve", "--devices", str(devices), "--profile", profile,
               "--seed", "11", "--first-address", addresses["first_address"],
               "--local-first-address", addresses["local_first_address"],
               "--state-dir", str(state_dir), "--inventory", str(inventory_path)]
    if firmware:
        command += ["--firmware", firmware]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_until_serving(process, devices)
    return Fleet(process, inventory_path, state_dir)


@pytest.fixture(scope="session")
def modern_fleet(tmp_path_factory):
    """Two ACM devices with the simulator's default (current) firmware and TLS on the network interface."""
    fleet = start_fleet(tmp_path_factory.mktemp("modern-fleet"), 2, "acm", MODERN_FLEET)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="session")
def legacy_fleet(tmp_path_factory):
    """One CCM device on firmware 11.0.0.1000: affected by INTEL-SA-00075, still serving plain HTTP on 16992."""
    fleet = start_fleet(tmp_path_factory.mktemp("legacy-fleet"), 1, "ccm", LEGACY_FLEET, firmware="11.0.0.1000")
    yield fleet
    fleet.stop()


class PlaybookRun:
    def __init__(self, completed, results):
        self.returncode = completed.returncode
        self.output = completed.stdout + completed.stderr
        self.results = results

    def result(self, host):
        return self.results[host]


@pytest.fixture
def run_amt_info(tmp_path):
    """Run amt_info once per host of an inventory and return every host's registered result and the whole output.

    module_args values may be Jinja expressions over the inventory (e.g. "{{ amt_password }}").
    """
    def run(inventory_path, module_args, hosts="amt", check=False, extra_args=()):
        results_dir = tmp_path / "results"
        results_dir.mkdir(exist_ok=True)
        play = [{
            "hosts": hosts,
            "gather_facts": False,
            "tasks": [
                {"name": "amt_info", "oob.amt.amt_info": module_args, "register": "info", "ignore_errors": True},
                {"name": "keep the result", "check_mode": False, "ansible.builtin.copy": {
                    "content": "{{ info | to_json }}", "dest": str(results_dir) + "/{{ inventory_hostname }}.json"}},
            ],
        }]
        playbook = tmp_path / "playbook.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
        environment = dict(os.environ)
        environment.update({
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "local_tmp"),
            "ANSIBLE_REMOTE_TMP": str(tmp_path / "remote_tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "PATH": str(PYTHON_BIN) + os.pathsep + environment.get("PATH", ""),
        })
        command = [str(PYTHON_BIN / "ansible-playbook"), "-v", "-i", str(inventory_path), str(playbook)] + list(extra_args)
        if check:
            command.append("--check")
        completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=PLAYBOOK_TIMEOUT, check=False)
        results = {}
        for path in results_dir.glob("*.json"):
            results[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        if not results:
            raise AssertionError("ansible-playbook wrote no result (rc %d):\n%s" % (completed.returncode, completed.stdout + completed.stderr))
        return PlaybookRun(completed, results)
    return run
