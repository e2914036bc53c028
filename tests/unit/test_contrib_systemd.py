# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""contrib/systemd: the wrapper run as the timer's service runs it (a bare environment, STATE_DIRECTORY set, settings
from the environment file), with a stand-in ansible-playbook on PATH that writes a report; and the units through
systemd-analyze verify where it is installed."""

from __future__ import annotations

import fcntl
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "contrib" / "systemd"
WRAPPER = SYSTEMD / "amt-hardening-run"
RUN_NAME = re.compile(r"^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$")

# Writes what the report task would into amt_hardening_report_dir and records its arguments and whether it found the
# previous run's latest.json there. FAKE_RC is its exit status, FAKE_NO_REPORT=1 makes it write nothing,
# FAKE_DRIFTED the drifted machine count.
FAKE_PLAYBOOK = r"""#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
report_dir = next(arg.split("=", 1)[1] for arg in args if arg.startswith("amt_hardening_report_dir="))
previous = os.path.join(report_dir, "latest.json")
carried = json.load(open(previous))["run"] if os.path.exists(previous) else None
with open(os.path.join(report_dir, "fake-call.json"), "w") as stream:
    json.dump({"args": args, "carried": carried}, stream)
if os.environ.get("FAKE_NO_REPORT") != "1":
    drifted = int(os.environ.get("FAKE_DRIFTED", "0"))
    report = {"run": os.path.basename(report_dir), "totals": {"machines_by_status": {
        "unreachable": 0, "failed": 0, "drifted": drifted, "changed": 0, "compliant": 3 - drifted}}}
    for name in ("amt-baseline-20261203T000000Z.json", "latest.json"):
        with open(os.path.join(report_dir, name), "w") as stream:
            json.dump(report, stream)
print("PLAY RECAP fake")
sys.exit(int(os.environ.get("FAKE_RC", "0")))
"""


@pytest.fixture(name="timer_run")
def timer_run_fixture(tmp_path):
    if shutil.which("flock") is None:
        pytest.skip("flock (util-linux) is not installed")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "ansible-playbook").write_text(FAKE_PLAYBOOK, encoding="utf-8")
    (fake_bin / "ansible-playbook").chmod(0o755)
    (tmp_path / "inventory.yml").write_text("all:\n  hosts:\n    amt-1:\n", encoding="utf-8")
    state = tmp_path / "state"
    state.mkdir()

    def run(**settings):
        env = {"PATH": "%s:/usr/local/bin:/usr/bin:/bin" % fake_bin, "STATE_DIRECTORY": str(state),
               "AMT_HARDENING_INVENTORY": str(tmp_path / "inventory.yml"), "LANG": "C.UTF-8"}
        env.update({key: str(value) for key, value in settings.items()})
        return subprocess.run([str(WRAPPER)], env=env, cwd=str(state), capture_output=True, text=True, timeout=120, check=False)
    return state / "reports", run


def runs(reports):
    return sorted(path.name for path in reports.iterdir() if path.is_dir() and not path.is_symlink() and RUN_NAME.match(path.name))


def test_a_run_keeps_its_report_log_and_status_in_a_dated_directory(timer_run):
    reports, run = timer_run
    completed = run()
    assert completed.returncode == 0, completed.stderr
    (name,) = runs(reports)
    run_dir = reports / name
    assert os.readlink(reports / "latest") == name
    call = json.loads((run_dir / "fake-call.json").read_text(encoding="utf-8"))
    assert call["args"][:4] == ["-i", str(reports.parent.parent / "inventory.yml"), "-e", "amt_hardening_report_dir=%s" % run_dir]
    assert call["args"][-1] == "oob.amt.harden" and "--check" not in call["args"]
    assert call["carried"] is None, "the first run has no previous report"
    assert (run_dir / "ansible-playbook.log").read_text(encoding="utf-8") == "PLAY RECAP fake\n"
    assert (run_dir / "exit-status").read_text(encoding="utf-8") == "0\n"
    assert "report: %s/latest.html" % run_dir in completed.stderr


def test_each_run_starts_from_the_previous_report_and_old_runs_rotate(timer_run):
    reports, run = timer_run
    reports.mkdir()
    for old in ("20250101T000000Z", "20250102T000000Z", "20250103T000000Z"):
        (reports / old).mkdir()
    (reports / "notes").mkdir()
    (reports / "README").write_text("kept", encoding="utf-8")
    first = run(AMT_HARDENING_KEEP=3)
    assert first.returncode == 0, first.stderr
    assert "removed old run 20250101T000000Z" in first.stderr
    second = run(AMT_HARDENING_KEEP=3, AMT_HARDENING_CHECK=1, AMT_HARDENING_EXTRA_ARGS="--forks 50 --diff")
    assert second.returncode == 0, second.stderr
    kept = runs(reports)
    assert len(kept) == 3 and kept[0] == "20250103T000000Z", kept
    newest = reports / kept[-1]
    call = json.loads((newest / "fake-call.json").read_text(encoding="utf-8"))
    assert call["carried"] == kept[-2], "the run found the previous run's latest.json in its directory"
    assert ["--check", "--forks", "50", "--diff"] == call["args"][4:8]
    assert os.readlink(reports / "latest") == kept[-1]
    assert (reports / "notes").is_dir() and (reports / "README").exists(), "only run directories are rotated"


@pytest.mark.parametrize("settings, status, message", [
    ({"FAKE_RC": 2}, 2, "ansible-playbook exited with 2"),
    ({"FAKE_RC": 4, "FAKE_NO_REPORT": 1}, 4, "ansible-playbook exited with 4"),
    ({"FAKE_NO_REPORT": 1}, 70, "wrote no report"),
    ({"FAKE_DRIFTED": 2, "AMT_HARDENING_FAIL_ON_DRIFT": 1}, 3, "2 machine(s) drifted or failed"),
    ({"FAKE_DRIFTED": 2}, 0, "report: "),
    ({"AMT_HARDENING_INVENTORY": ""}, 64, "AMT_HARDENING_INVENTORY is not set"),
    ({"AMT_HARDENING_INVENTORY": "/nonexistent/inventory.yml"}, 64, "does not exist"),
    ({"AMT_HARDENING_KEEP": "0"}, 64, "AMT_HARDENING_KEEP must be"),
    ({"AMT_HARDENING_CHECK": "yes"}, 64, "take 0 or 1"),
    ({"ANSIBLE_PLAYBOOK": "no-such-ansible-playbook"}, 64, "not found"),
])
def test_exit_status(timer_run, settings, status, message):
    reports, run = timer_run
    completed = run(**settings)
    assert completed.returncode == status, completed.stderr
    assert message in completed.stderr
    if status in (2, 4):
        (name,) = runs(reports)
        assert (reports / name / "exit-status").read_text(encoding="utf-8") == "%d\n" % status


def test_a_second_run_while_one_holds_the_lock_exits_75(timer_run):
    reports, run = timer_run
    reports.mkdir()
    with open(reports / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        completed = run()
    assert completed.returncode == 75 and "another run holds" in completed.stderr
    assert runs(reports) == []


def test_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # verify checks that ExecStart exists: point it at the wrapper in this checkout.
    service = (SYSTEMD / "amt-hardening.service").read_text(encoding="utf-8")
    assert "ExecStart=/usr/local/libexec/amt-hardening-run\n" in service
    (tmp_path / "amt-hardening.service").write_text(service.replace("/usr/local/libexec/amt-hardening-run", str(WRAPPER)), encoding="utf-8")
    shutil.copy(SYSTEMD / "amt-hardening.timer", tmp_path / "amt-hardening.timer")
    completed = subprocess.run([analyze, "verify", "amt-hardening.service", "amt-hardening.timer"], cwd=str(tmp_path),
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    # Unknown keys and unparsable values are only warned about; they are mistakes all the same.
    assert not re.search(r"Unknown (key|section)|Failed to parse|ignoring", completed.stderr), completed.stderr
