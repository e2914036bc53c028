"""One ``amtsim serve`` fleet for the oracle: started in the background, read from its inventory, always stopped."""
from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
FIRST_ADDRESS = "127.77.250.1"
LOCAL_FIRST_ADDRESS = "127.78.250.1"


@dataclass(frozen=True)
class Target:
    """One device as a client sees it, over one transport."""

    host: str
    port: int
    tls: bool
    username: str
    password: str
    ca_path: str
    control_mode: str
    firmware: str
    digest_realm: str
    profile: str
    transport: str

    def as_json(self) -> dict:
        return {"host": self.host, "port": self.port, "tls": self.tls, "username": self.username,
                "password": self.password, "ca_path": self.ca_path, "control_mode": self.control_mode,
                "firmware": self.firmware}


class FleetNotReady(RuntimeError):
    pass


@contextlib.contextmanager
def simulated_fleet(profile: str, firmware: str, devices: int):
    """Yields the fleet's devices (inventory host entries, in address order) and the simulator CA path."""
    with tempfile.TemporaryDirectory(prefix="oob-amt-oracle-") as workdir:
        work = Path(workdir)
        inventory = work / "inventory.yml"
        log_path = work / "amtsim.log"
        command = [sys.executable, "-m", "amtsim", "serve", "--devices", str(devices), "--profile", profile,
                   "--firmware", firmware, "--first-address", FIRST_ADDRESS, "--local-first-address", LOCAL_FIRST_ADDRESS,
                   "--state-dir", str(work / "state"), "--inventory", str(inventory)]
        with open(log_path, "wb") as log:
            simulator = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(simulator, log_path, devices)
            group = yaml.safe_load(inventory.read_text())["all"]["children"]["amt"]
            hosts = sorted(group["hosts"].values(), key=lambda host: tuple(int(p) for p in host["amt_hostname"].split(".")))
            yield hosts, group["vars"]["amt_ca_path"]
        finally:
            _stop(simulator)


def _wait_until_serving(simulator: subprocess.Popen, log_path: Path, devices: int) -> None:
    ready = f"amtsim: serving {devices} devices"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if ready in text:
            return
        if simulator.poll() is not None:
            raise FleetNotReady(f"amtsim exited with status {simulator.returncode}: {text[-800:]}")
        time.sleep(0.1)
    raise FleetNotReady(f"amtsim not serving after {READY_TIMEOUT_S} s")


def _stop(simulator: subprocess.Popen) -> None:
    if simulator.poll() is None:
        simulator.terminate()
        try:
            simulator.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            simulator.kill()
            simulator.wait()


def target(host: dict, ca_path: str, profile: str, transport: str) -> Target:
    tls = transport == "tls"
    return Target(host=host["amt_hostname"], port=host["amt_tls_port"] if tls else host["amt_http_port"], tls=tls,
                  username=host["amt_username"], password=host["amt_password"], ca_path=ca_path,
                  control_mode=host["amt_control_mode"], firmware=host["amt_firmware"],
                  digest_realm=host["amt_digest_realm"], profile=profile,
                  transport=transport)
