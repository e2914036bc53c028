# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration harness: simulated fleets (amtsim on loopback) and one runner of ansible-playbook against them.

start_fleet() starts amtsim and keeps its output drained. run_play() runs oob.amt tasks, with per-host arguments,
and run_playbook() runs any playbook file; both return a PlaybookRun with every host's and task's result, as
`register` would hold it (callback_plugins/record_results.py writes them), and the whole output. run_cases() runs
modules over many argument sets at once, each set a controller-local host, for tables of refused inputs.

The tests run from a staged copy at <dir>/ansible_collections/oob/amt, so <dir> (parents[4] of this file) is the
ANSIBLE_COLLECTIONS_PATH that makes the collection under test importable by ansible-playbook.

Loopback ranges, one per test file so that fleets never collide (each 127.77.N.x remote, 127.78.N.x local);
an "unreachable" address has no listener, so a module that sent anything there fails as unreachable:
  test_amt_password.py          143, 144; 127.77.149.250 unreachable
  test_amt_unprovision.py       145, 146, 147
  test_amt_info.py              200, 201; 127.77.202.250 unreachable
  test_amt_provision.py         210, 211, 213; 127.78.212.250 unreachable
  test_amt_wifi_profile.py      231; 127.77.231.250 unreachable
  test_amt_audit_policy.py      232; 127.77.232.250 unreachable
  test_lifecycle.py             233
  test_connection_options.py    234; 127.77.234.250 unreachable
  test_smoke.py                 236
  test_round_trip.py            237
  test_amt_user.py              238; 127.77.238.250 unreachable
  test_amt_redirection.py       239 (.1-.49); 127.77.239.250 unreachable
  test_amt_info_local.py        239 (.51-.79)
  test_amt_audit_log.py         240 (CCM .1, ACM .11, ACM with an Auditor .21); 127.77.240.250 unreachable
  test_fault_matrix.py          241-244
  test_amt_general.py           245 (CCM .1, ACM .11, CCM 11.x .21); 127.77.245.250 unreachable
  test_tls_findings.py          246, 247, 248
  test_amt_tls.py               246, 247 (.101-.149); 127.77.247.250 unreachable
  test_amt_cira.py              249 (CCM .1, ACM .11, CCM 11.0 .21); 127.77.249.250 unreachable
  test_amt_hardening.py         221 (factory .1, CCM .11), 222 (ACM kiosk .1, drops .11), 223 (TLS .1)
  test_amt_decommission.py      225-229 (CCM 225, ACM 226, check mode 227, auditor 228); 127.77.229.250 unreachable
  molecule amt_hardening        220;  molecule amt_decommission 230 (extensions/molecule)
  test_amt_baseline.py          216 (CCM .1-.2, 11.0 .21, factory .31, .41, .51, .61), 217 ACM, 219 dropping; 127.77.219.250 unreachable
  test_in_process.py            218; 127.77.218.250 unreachable
  test_amt_baseline.py          165 (allowed accounts .1)
  test_amt_hardening_serial.py  170 (CCM .1-.5); 127.77.170.250, .251 unreachable
  test_tls_sessions.py          175
  benchmarks/fleet_job.py       160-164 (its default; run in a network namespace of its own)
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient
from ansible_collections.oob.amt.plugins.module_utils.units.password_policy import digest_password
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AuthenticationError
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport

HERE = pathlib.Path(__file__).resolve().parent
COLLECTIONS_PATH = HERE.parents[3]
PYTHON_BIN = pathlib.Path(sys.executable).parent
READY_TIMEOUT = 60
PLAYBOOK_TIMEOUT = 180


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


def start_fleet(directory, devices, profile, addresses, firmware=None, faults=None, latency=False, latency_set=None):
    """Start amtsim with `devices` devices of `profile` at addresses {"first_address", "local_first_address"};
    faults is an amtsim --faults SPEC, latency turns on the firmware's latency model (--latency) and latency_set
    (knob -> value) sets its knobs (--latency-set)."""
    state_dir = directory / "state"
    inventory_path = directory / "inventory.yml"
    command = [str(PYTHON_BIN / "python"), "-m", "amtsim", "serve", "--devices", str(devices), "--profile", profile,
               "--seed", "11", "--first-address", addresses["first_address"],
               "--local-first-address", addresses["local_first_address"],
               "--state-dir", str(state_dir), "--inventory", str(inventory_path)]
    if firmware:
        command += ["--firmware", firmware]
    if faults:
        command += ["--faults", faults]
    command += ["--latency"] if latency else []
    for knob, value in (latency_set or {}).items():
        command += ["--latency-set", "%s=%s" % (knob, value)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_until_serving(process, devices)
    return Fleet(process, inventory_path, state_dir)


class PlaybookRun:
    """Every task result of one ansible-playbook run, by host, play and task name, and the run's whole output."""

    def __init__(self, completed, records):
        self.returncode = completed.returncode
        self.output = completed.stdout + completed.stderr
        self.records = records

    def results(self, host=None, play=None):
        """Task name -> result on `host` (may be left out when one host ran), in `play` if given."""
        if host is None:
            hosts = {record["host"] for record in self.records}
            if len(hosts) != 1:
                raise AssertionError("results() needs a host when %d hosts ran:\n%s" % (len(hosts), self.output))
            host = hosts.pop()
        by_task = {}
        for record in self.records:
            if record["host"] == host and play in (None, record["play"]):
                if record["task"] in by_task:
                    raise AssertionError("task %r ran twice on %s; name the play" % (record["task"], host))
                by_task[record["task"]] = record["result"]
        return by_task

    def by_host(self, task):
        """Host -> result of the task named `task`."""
        return dict((record["host"], record["result"]) for record in self.records if record["task"] == task)

    def __getitem__(self, task):
        """The result of `task` on the only host that ran."""
        return self.results()[task]


def run_playbook(work_dir, inventories, playbook, check=False, diff=False, extra_vars=None):
    """Run ansible-playbook with the collection under test; return a PlaybookRun. Never a secret on its command line."""
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix="run-", dir=str(work_dir)))
    results_path = run_dir / "results.jsonl"
    # The modules' environment fallbacks must not pick up a developer's own AMT_* settings.
    environment = dict((name, value) for name, value in os.environ.items() if not name.startswith("AMT_"))
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "AMT_TEST_RESULTS": str(results_path),
        "ANSIBLE_LOCAL_TEMP": str(run_dir / "local_tmp"),
        "ANSIBLE_REMOTE_TMP": str(run_dir / "remote_tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_FORKS": "16",
        "PATH": str(PYTHON_BIN) + os.pathsep + environment.get("PATH", ""),
    })
    command = [str(PYTHON_BIN / "ansible-playbook"), "-v"]
    for inventory in inventories:
        command += ["-i", str(inventory)]
    command.append(str(playbook))
    if extra_vars:
        extra_vars_path = run_dir / "extra_vars.json"
        extra_vars_path.write_text(json.dumps(extra_vars), encoding="utf-8")
        command += ["--extra-vars", "@" + str(extra_vars_path)]
    command += ["--check"] if check else []
    command += ["--diff"] if diff else []
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=PLAYBOOK_TIMEOUT, check=False)
    if not results_path.exists():
        raise AssertionError("ansible-playbook recorded no result (rc %d):\n%s" % (completed.returncode, completed.stdout + completed.stderr))
    records = [json.loads(line) for line in results_path.read_text(encoding="utf-8").splitlines()]
    return PlaybookRun(completed, records)


def run_play(work_dir, inventory_path, tasks, hosts=None, cases=None, check=False, diff=False):
    """Run oob.amt tasks in one play; every task ignores errors, so each one's result is there to assert on.

    tasks: (task name, module short name, module args[, task keywords such as {"check_mode": True, "diff": True}]).
    Module args may be Jinja over the inventory ("{{ amt_password }}") and over `case`, which is cases[inventory_hostname]
    when cases (host -> variables) is given. hosts defaults to the hosts of cases.
    """
    play_vars = {"task_args": [args for _name, _module, args, *_keywords in tasks]}
    play_tasks = []
    for index, (name, module, args, *keywords) in enumerate(tasks):
        # The playbook only points into a vars file: ansible quotes playbook lines in its errors, and args may hold secrets.
        task = {"name": name, "oob.amt." + module: dict((option, "{{ task_args[%d][%s] }}" % (index, json.dumps(option))) for option in args),
                "ignore_errors": True}
        for extra in keywords:
            task.update(extra)
        play_tasks.append(task)
    play = {"name": "oob.amt tasks", "hosts": hosts or ",".join(sorted(cases)), "gather_facts": False, "tasks": play_tasks}
    if cases is not None:
        play_vars["cases"] = cases
        play["vars"] = {"case": "{{ cases[inventory_hostname] }}"}
    play_dir = pathlib.Path(tempfile.mkdtemp(prefix="play-", dir=str(work_dir)))
    (play_dir / "vars.json").write_text(json.dumps(play_vars), encoding="utf-8")
    play["vars_files"] = [str(play_dir / "vars.json")]
    (play_dir / "playbook.yml").write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return run_playbook(work_dir, [inventory_path], play_dir / "playbook.yml", check=check, diff=diff)


def run_cases(work_dir, modules, cases, common_args=None, diff=False):
    """Run every module once per case in one play, each case a controller-local host, so that the cases run side by side.

    modules: module short name -> args that module adds to every case ({} for none). cases: case name -> module args.
    A case's args win over its module's, which win over common_args; an arg whose value is None is left out, so the
    module's default applies. Returns (module -> case -> result, the run's whole output).
    """
    inventory_path = work_dir / "cases.json"
    hosts = dict((case, {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}) for case in cases)
    inventory_path.write_text(json.dumps({"all": {"hosts": hosts}}), encoding="utf-8")
    args_by_case = {}
    for case, case_args in cases.items():
        args_by_case[case] = {}
        for module, module_args in modules.items():
            merged = dict(common_args or {}, **module_args)
            merged.update(case_args)
            args_by_case[case][module] = dict((option, value) for option, value in merged.items() if value is not None)
    tasks = []
    for module in modules:
        options = sorted(set(option for by_module in args_by_case.values() for option in by_module[module]))
        task_args = dict((option, "{{ case[%s][%s] | default(omit) }}" % (json.dumps(module), json.dumps(option))) for option in options)
        tasks.append((module, module, task_args))
    runs = run_play(work_dir, inventory_path, tasks, cases=args_by_case, diff=diff)
    return dict((module, runs.by_host(module)) for module in modules), runs.output


def assert_refused_before_sending(result, option, rule, checked_by):
    """A bad-input case failed naming its option and rule, before any connection was opened.

    checked_by "module": the module's own validation (error invalid_input, message "option: rule"); otherwise Ansible's
    argument checks (choices, required_by, ...), which fail without an error kind. Either way nothing changed, and the
    cases point at an address with no listener, so a module that had sent anything would have failed as unreachable.
    """
    assert result["failed"] is True and result.get("changed", False) is False, result
    if checked_by == "module":
        assert result["error"] == "invalid_input", result
        assert result["msg"].startswith("%s: %s" % (option, rule)), result["msg"]
    else:
        assert "error" not in result and option in result["msg"] and rule in result["msg"], result


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
        """A collection AmtClient to the device, for test setup and for checking what a module did."""
        return AmtClient(WsmanTransport(self.vars["amt_hostname"], self.vars["amt_tls_port"], username or self.vars["amt_username"],
                                        password or self.vars["amt_password"], ca_path=self.ca_path, timeout=10))

    def add_digest_user(self, username, password, realms, access_permission):
        """Test setup: a digest ACL entry created by the admin (access_permission 0 local, 1 network, 2 both)."""
        client = self.client()
        try:
            realm = client.get("AMT_GeneralSettings")["DigestRealm"]
            client.invoke("AMT_AuthorizationService", "AddUserAclEntryEx", [
                ("DigestUsername", username), ("DigestPassword", digest_password(username, realm, password)),
                ("AccessPermission", access_permission), ("Realms", list(realms))])
        finally:
            client.close()

    def logs_in(self, username, password):
        """Whether username/password opens a session that may read AMT_GeneralSettings (realm general_info)."""
        client = self.client(username, password)
        try:
            return bool(client.get("AMT_GeneralSettings").get("DigestRealm"))
        except Exception:  # pylint: disable=broad-except
            return False
        finally:
            client.close()

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


def make_ca(name):
    """A self-signed CA (certificate PEM, PKCS#8 key PEM) standing for a site's CA in TLS tests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    return (certificate.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
