# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a fleet job costs against firmware timing: an oob.amt playbook across an amtsim --latency fleet, twice (the
second run must find the fleet compliant), beside the floor (benchmarks/floor.py: the same classes read by the
collection's own client from a thread pool in one Python process).

Run it inside a private network namespace: TLS handshakes are counted as the TCP connections the namespace accepted
(amtsim counts no handshakes and the client counts no connections), so nothing else may connect there meanwhile.

    unshare -n sh -c 'ip link set lo up && .venv/bin/python benchmarks/fleet_job.py --devices 100'

Per phase it prints and writes to --json: devices per minute, module runs, requests and TLS handshakes per device,
controller CPU-seconds per device (getrusage of the children: ansible-playbook and its forks, or the floor process)
and the simulator's CPU-seconds; then the job / floor ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import psutil
import yaml

HERE = pathlib.Path(__file__).resolve().parent
CHECKOUT = HERE.parent
PYTHON_BIN = pathlib.Path(sys.executable).parent
READY_TIMEOUT = 300


def writes_sent(result):
    """Writes a result reports: a unit module's `writes`, or those of every control of an amt_baseline result."""
    return len(result.get("writes") or []) + sum(len(control.get("writes") or []) for control in result.get("controls") or [])


@dataclasses.dataclass(frozen=True)
class Job:
    """A fleet job: its playbook (in benchmarks/jobs), the amt_info gather_subset that reads the classes it reads
    (for the floor), what its second run must show to count as compliant, and whether it writes (then a second floor
    enforces the same baseline on a fresh fleet from one process)."""
    playbook: str
    floor_subsets: tuple
    compliant_rerun: str
    writes: bool = False

    @staticmethod
    def rerun_is_compliant(records):
        """Every host ran without failure, nothing changed and no write was sent."""
        return bool(records) and all(record["outcome"] == "ok" and not record["result"].get("changed") and not writes_sent(record["result"])
                                     for record in records)


JOBS = {
    "audit": Job(playbook="fleet_audit.yml", floor_subsets=("all",),
                 compliant_rerun="every device read again without failure, nothing changed"),
    "baseline": Job(playbook="fleet_baseline.yml", floor_subsets=("all",),
                    compliant_rerun="every device converged again without failure, nothing changed, no write sent", writes=True),
}


@dataclasses.dataclass
class Phase:
    """One measured run: a playbook pass or the floor."""
    name: str
    devices: int
    wall_seconds: float
    controller_cpu_seconds: float
    simulator_cpu_seconds: float
    connections: int
    requests: int
    module_runs: int
    failed_devices: int
    writes: int = 0
    compliant: bool | None = None

    def figures(self):
        per_device = max(self.devices, 1)
        return {"phase": self.name, "devices": self.devices, "wall_seconds": round(self.wall_seconds, 1),
                "devices_per_minute": round(60 * self.devices / self.wall_seconds, 1) if self.wall_seconds else None,
                "module_runs_per_device": round(self.module_runs / per_device, 2),
                "requests_per_device": round(self.requests / per_device, 2),
                "writes_per_device": round(self.writes / per_device, 2),
                "tls_handshakes_per_device": round(self.connections / per_device, 2),
                "controller_cpu_seconds": round(self.controller_cpu_seconds, 1),
                "controller_cpu_seconds_per_device": round(self.controller_cpu_seconds / per_device, 3),
                "simulator_cpu_seconds": round(self.simulator_cpu_seconds, 1),
                "failed_devices": self.failed_devices, "compliant": self.compliant}


def accepted_connections():
    """TCP connections accepted in this network namespace so far (Tcp PassiveOpens of /proc/net/snmp)."""
    with open("/proc/net/snmp", encoding="ascii") as handle:
        tcp = [line.split()[1:] for line in handle if line.startswith("Tcp:")]
    return int(dict(zip(tcp[0], tcp[1]))["PassiveOpens"])


def network_interfaces():
    """The interfaces of this process's network namespace."""
    with open("/proc/net/dev", encoding="ascii") as handle:
        return sorted(line.split(":")[0].strip() for line in handle if ":" in line)


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Wall time, children's CPU, the simulator's CPU and accepted connections across one phase."""

    def __init__(self, simulator):
        self._simulator = simulator
        self.wall_seconds = self.controller_cpu_seconds = self.simulator_cpu_seconds = 0.0
        self.connections = 0
        self._start = None

    def _sample(self):
        times = self._simulator.cpu_times()
        return time.monotonic(), children_cpu_seconds(), times.user + times.system, accepted_connections()

    def __enter__(self):
        self._start = self._sample()
        return self

    def __exit__(self, *_exc):
        end = self._sample()
        self.wall_seconds, self.controller_cpu_seconds, self.simulator_cpu_seconds, self.connections = (
            end[index] - self._start[index] for index in range(4))


class Simulator:
    """amtsim serve --latency, stopped (SIGTERM, then SIGKILL) whatever happens."""

    def __init__(self, args, work_dir):
        work_dir.mkdir(exist_ok=True)
        self.inventory_path = work_dir / "inventory.yml"
        command = [str(PYTHON_BIN / "python"), "-m", "amtsim", "serve", "--devices", str(args.devices), "--profile", "mixed",
                   "--seed", str(args.seed), "--latency", "--first-address", args.first_address,
                   "--local-first-address", args.local_first_address, "--state-dir", str(work_dir / "state"),
                   "--inventory", str(self.inventory_path)]
        for knob in args.latency_set:
            command += ["--latency-set", knob]
        self._log = open(work_dir / "amtsim.log", "w+", encoding="utf-8")  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log, text=True)  # pylint: disable=consider-using-with
        self.psutil = psutil.Process(self.process.pid)

    def wait_until_serving(self):
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            if selector.select(timeout=1) and self.process.stdout.readline().startswith("amtsim: serving"):
                # Nothing reads stdout from here on; amtsim writes nothing more to it than the ready line.
                return
        self._log.seek(0)
        raise RuntimeError("amtsim did not start serving; its stderr:\n" + self._log.read())

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def stage_collection(work_dir):
    """The checkout staged as work_dir/collections/ansible_collections/oob/amt; returns that directory."""
    subprocess.run([str(CHECKOUT / "tools" / "stage-collection.sh"), str(work_dir / "collections")], check=True,
                   stdout=subprocess.DEVNULL)
    return work_dir / "collections" / "ansible_collections" / "oob" / "amt"


def clean_environment():
    """The environment without AMT_* settings, which the modules would take as fallbacks."""
    environment = dict((name, value) for name, value in os.environ.items() if not name.startswith("AMT_"))
    environment["PATH"] = str(PYTHON_BIN) + os.pathsep + environment.get("PATH", "")
    return environment


def run_playbook(name, job, collection, simulator, hosts_file, devices, args, work_dir):
    """One pass of the job's playbook; compliant tells whether this pass, taken as the re-run, found the fleet compliant."""
    run_dir = work_dir / name
    run_dir.mkdir()
    results_path = run_dir / "results.jsonl"
    environment = clean_environment()
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collection.parents[2]),
        "ANSIBLE_CALLBACK_PLUGINS": str(collection / "tests" / "integration" / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "AMT_TEST_RESULTS": str(results_path),
        "ANSIBLE_LOCAL_TEMP": str(run_dir / "local_tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
    })
    command = [str(PYTHON_BIN / "ansible-playbook"), "-i", str(simulator.inventory_path), "--limit", "@" + str(hosts_file),
               "--forks", str(args.forks), str(collection / "benchmarks" / "jobs" / job.playbook)]
    with open(run_dir / "output.log", "w", encoding="utf-8") as output, Meter(simulator.psutil) as meter:
        subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, env=environment, check=False)
    records = [json.loads(line) for line in results_path.read_text(encoding="utf-8").splitlines()] if results_path.exists() else []
    ran = [record for record in records if record["outcome"] != "skipped"]
    return Phase(name=name, devices=devices, wall_seconds=meter.wall_seconds, controller_cpu_seconds=meter.controller_cpu_seconds,
                 simulator_cpu_seconds=meter.simulator_cpu_seconds, connections=meter.connections,
                 requests=sum(record["result"].get("amt_requests", 0) for record in ran), module_runs=len(ran),
                 writes=sum(writes_sent(record["result"]) for record in ran),
                 failed_devices=len(set(record["host"] for record in ran if record["outcome"] != "ok")),
                 compliant=job.rerun_is_compliant(records) and len(set(record["host"] for record in records)) == devices)


def run_floor(job, collection, simulator, hosts_file, devices, args, enforcing=False):
    """The floor that reads the job's classes, or (enforcing) the one that enforces the baseline with amt_baseline's code."""
    command = [str(PYTHON_BIN / "python"), str(collection / "benchmarks" / "floor.py"), "--inventory", str(simulator.inventory_path),
               "--hosts", str(hosts_file), "--threads", str(args.floor_threads)]
    if enforcing:
        command.append("--baseline")
    for subset in () if enforcing else job.floor_subsets:
        command += ["--gather-subset", subset]
    environment = clean_environment()
    environment["PYTHONPATH"] = str(collection.parents[2])
    with Meter(simulator.psutil) as meter:
        completed = subprocess.run(command, capture_output=True, text=True, env=environment, check=True)
    outcome = json.loads(completed.stdout)
    return Phase(name="floor enf" if enforcing else "floor", devices=devices, wall_seconds=meter.wall_seconds,
                 controller_cpu_seconds=meter.controller_cpu_seconds, simulator_cpu_seconds=meter.simulator_cpu_seconds,
                 connections=meter.connections, requests=outcome["requests"], writes=outcome["writes"], module_runs=0,
                 failed_devices=len(outcome["failures"]))


def provisioned_hosts(inventory_path):
    """The devices a network job can reach: those the inventory has an admin password for (factory devices keep their
    network interface closed)."""
    hosts = yaml.safe_load(inventory_path.read_text(encoding="utf-8"))["all"]["children"]["amt"]["hosts"]
    names = sorted(name for name, host in hosts.items() if host.get("amt_password"))
    return names, sum(1 for name in names if hosts[name]["amt_use_tls"])


def ratios(job_phase, floor):
    def ratio(first, second):
        return round(first / second, 2) if second else None
    return {"wall": ratio(job_phase.wall_seconds, floor.wall_seconds),
            "controller_cpu": ratio(job_phase.controller_cpu_seconds, floor.controller_cpu_seconds),
            "requests": ratio(job_phase.requests, floor.requests),
            "tls_handshakes": ratio(job_phase.connections, floor.connections)}


COLUMNS = (("phase", "%-10s"), ("devices", "%8s"), ("wall_seconds", "%8s"), ("devices_per_minute", "%8s"),
           ("module_runs_per_device", "%8s"), ("requests_per_device", "%9s"), ("writes_per_device", "%8s"),
           ("tls_handshakes_per_device", "%10s"),
           ("controller_cpu_seconds", "%8s"), ("controller_cpu_seconds_per_device", "%9s"), ("simulator_cpu_seconds", "%8s"),
           ("failed_devices", "%6s"), ("compliant", "%9s"))
HEADINGS = ("phase", "devices", "wall s", "dev/min", "runs/dev", "req/dev", "wr/dev", "TLS hs/dev", "ctl CPU", "CPU/dev", "sim CPU",
            "failed", "compliant")


def print_report(report):
    print("load average %s at the start, %s at the end; %d of %d devices provisioned, %d of those on TLS (a clear-text"
          " device's connections count as handshakes too)" % (report["load_average_start"], report["load_average_end"],
                                                              report["provisioned_devices"], report["fleet_devices"],
                                                              report["provisioned_devices_on_tls"]))
    print("  ".join(fmt % heading for (_key, fmt), heading in zip(COLUMNS, HEADINGS)))
    for figures in report["phases"]:
        print("  ".join(fmt % ("-" if figures[key] is None else figures[key]) for key, fmt in COLUMNS))
    print("first run / floor: " + ", ".join("%s %s" % item for item in report["first_run_over_floor"].items()))
    if report.get("first_run_over_enforcing_floor"):
        print("first run / enforcing floor: " + ", ".join("%s %s" % item for item in report["first_run_over_enforcing_floor"].items()))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--devices", type=int, default=20, help="devices amtsim serves (profile mixed: the factory ones are left out)")
    parser.add_argument("--job", choices=sorted(JOBS), default="audit")
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--floor-threads", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--first-address", default="127.77.160.1")
    parser.add_argument("--local-first-address", default="127.78.160.1")
    parser.add_argument("--latency-set", action="append", default=[], metavar="KNOB=VALUE", help="passed on to amtsim (repeatable)")
    parser.add_argument("--json", default="fleet_job.json", help="where the figures go (default: %(default)s)")
    parser.add_argument("--no-rerun", action="store_true", help="run the job once, without the compliant re-run (for long runs)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (playbook output, amtsim stderr)")
    return parser.parse_args()


def main():
    args = parse_args()
    job = JOBS[args.job]
    if network_interfaces() != ["lo"]:
        print("warning: interfaces other than lo, so probably not a private network namespace: the handshake counts then "
              "include every connection accepted on this host meanwhile", file=sys.stderr)
    work_dir = pathlib.Path(tempfile.mkdtemp(prefix="fleet-job-"))
    report = {"job": args.job, "playbook": job.playbook, "compliant_rerun": job.compliant_rerun, "fleet_devices": args.devices,
              "forks": args.forks, "floor_threads": args.floor_threads, "latency_set": args.latency_set,
              "load_average_start": [round(value, 1) for value in os.getloadavg()], "cpus": os.cpu_count()}
    collection = stage_collection(work_dir)
    simulator = Simulator(args, work_dir)
    try:
        simulator.wait_until_serving()
        names, on_tls = provisioned_hosts(simulator.inventory_path)
        hosts_file = work_dir / "hosts.txt"
        hosts_file.write_text("\n".join(names) + "\n", encoding="utf-8")
        first = run_playbook("first run", job, collection, simulator, hosts_file, len(names), args, work_dir)
        first.compliant = None  # only a re-run is judged
        runs = [first] if args.no_rerun else [first, run_playbook("re-run", job, collection, simulator, hosts_file, len(names), args, work_dir)]
        floors = [run_floor(job, collection, simulator, hosts_file, len(names), args)]
        if job.writes:
            # The same fleet again, as it was before the job converged it (same seed, a state of its own).
            simulator.stop()
            simulator = Simulator(args, work_dir / "fresh")
            simulator.wait_until_serving()
            floors.append(run_floor(job, collection, simulator, hosts_file, len(names), args, enforcing=True))
    finally:
        simulator.stop()
        if not args.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    report.update(provisioned_devices=len(names), provisioned_devices_on_tls=on_tls, load_average_end=[round(value, 1) for value in os.getloadavg()],
                  phases=[phase.figures() for phase in runs + floors], first_run_over_floor=ratios(first, floors[0]),
                  first_run_over_enforcing_floor=ratios(first, floors[1]) if job.writes else None)
    pathlib.Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report)
    if args.keep:
        print("work directory kept: %s" % work_dir)


if __name__ == "__main__":
    main()
