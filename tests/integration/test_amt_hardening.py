# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The amt_hardening role (through playbooks/harden.yml) across a mixed simulated fleet: a factory device, CCM devices
on old (advisories) and current firmware, an ACM device with an exception, a device that drops mid-run and a TLS
change whose commit answer is lost. The fleet report's numbers are checked against the devices read back with
amt_info; a second run changes nothing."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from conftest import HERE, PYTHON_BIN, Fleet, _wait_until_serving, make_ca, run_play, run_playbook
from test_amt_tls import _served_fingerprint

HARDEN = HERE.parents[1] / "playbooks" / "harden.yml"
BASELINE_TASK = "Judge and enforce the hardening baseline"
KIOSK_REASON = "KVM needed: the kiosk is supported remotely (change CHG-1234)"
# Controls the role enforces with its defaults alone (no site data needed), so amt_info must find nothing left.
ENFORCED_BY_DEFAULT = {"AMT-AUD-02", "AMT-AUD-03", "AMT-AUD-04", "AMT-TLS-02", "AMT-TLS-04", "AMT-REDIR-01", "AMT-REDIR-02",
                       "AMT-REDIR-03", "AMT-REDIR-04", "AMT-WIFI-01", "AMT-WIFI-05", "AMT-WEB-01"}


def _start(directory, first, local_first, profile, firmware, extra=()):
    """amtsim with its own CA, state and inventory in `directory`; extra: further `amtsim serve` arguments."""
    directory.mkdir()
    command = [str(PYTHON_BIN / "python"), "-m", "amtsim", "serve", "--profile", profile, "--seed", "11",
               "--firmware", firmware, "--first-address", first, "--local-first-address", local_first,
               "--state-dir", str(directory / "state"), "--inventory", str(directory / "inventory.yml")] + list(extra)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    devices = sum(int(part.split(":")[1]) for part in firmware.split(","))
    _wait_until_serving(process, devices)
    return Fleet(process, directory / "inventory.yml", directory / "state")


@pytest.fixture(scope="module")
def site_ca(tmp_path_factory):
    certificate, key = make_ca("oob.amt hardening test CA")
    path = tmp_path_factory.mktemp("site-ca") / "ca.pem"
    path.write_text(certificate, encoding="utf-8")
    return {"certificate": certificate, "key": key, "path": str(path)}


@pytest.fixture()
def fleet(tmp_path, site_ca):
    """name -> (Fleet, inventory host vars); one amtsim per behaviour, so that each has its own faults and timing."""
    fleets = {}
    try:
        fleets["factory"] = _start(tmp_path / "factory", "127.77.221.1", "127.78.221.1", "factory", "16.1:1")
        fleets["ccm"] = _start(tmp_path / "ccm", "127.77.221.11", "127.78.221.11", "ccm", "11.8:1,16.1:1")
        fleets["kiosk"] = _start(tmp_path / "kiosk", "127.77.222.1", "127.78.222.1", "acm", "19.0:1")
        # The first RequestStateChange (redirection) succeeds, then the device refuses connections for the rest of the run.
        fleets["drops"] = _start(tmp_path / "drops", "127.77.222.11", "127.78.222.11", "ccm", "16.1:1",
                                 ["--faults", "restart-after=RequestStateChange:300"])
        # Every CommitChanges that switches TLS loses its answer (the firmware restarts its ports while it is in flight).
        fleets["tls"] = _start(tmp_path / "tls", "127.77.223.1", "127.78.223.1", "acm", "16.1:1",
                               ["--latency-set", "tls_commit_cut_chance=1"])
        yield fleets
    finally:
        for started in fleets.values():
            started.stop()


def _inventory(tmp_path, fleets, site_ca):
    """One inventory for the five simulators: hosts renamed by role, each with its own simulator's CA as amt_ca_path."""
    hosts = {}
    for name, started in fleets.items():
        for index, (_original, host_vars) in enumerate(sorted(started.hosts.items())):
            host = dict(host_vars, amt_ca_path=started.group_vars["amt_ca_path"])
            hosts["%s-%d" % (name, index)] = host
    hosts["kiosk-0"]["amt_hardening_exceptions"] = {"AMT-REDIR-02": KIOSK_REASON}
    hosts["kiosk-0"]["amt_hardening_redir_02"] = {"kvm": True}
    hosts["kiosk-0"]["amt_needed_features"] = ["kvm"]  # what amt_info judges the redirection controls against
    tls = hosts["tls-0"]
    tls["amt_hardening_tls_01"] = {"server_certificate": {"common_name": "amt-tls.example.com",
                                                          "subject_alt_names": [tls["amt_hostname"]]},
                                   "issuer_certificate": site_ca["certificate"]}
    tls["amt_hardening_secrets"] = {"tls_ca_key": site_ca["key"]}
    tls["amt_timeout"] = 60
    path = tmp_path / "fleet.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"amt": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": str(PYTHON_BIN / "python")}}}}}), encoding="utf-8")
    return path, hosts


def _harden(tmp_path, inventory, report_dir, check=False):
    run = run_playbook(tmp_path, [inventory], HARDEN, check=check, extra_vars={"amt_hardening_report_dir": str(report_dir)})
    results = dict((record["host"], record["result"]) for record in run.records if record["task"].endswith(BASELINE_TASK))
    report = json.loads((report_dir / "latest.json").read_text(encoding="utf-8"))
    return run, results, report


def _read_back(tmp_path, inventory, hosts):
    """amt_info (every subset) on each host, over the connection its inventory gives (the TLS device: the site CA)."""
    run = run_play(tmp_path, inventory, [("read back", "amt_info", {
        "hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
        "ca_path": "{{ amt_readback_ca | default(amt_ca_path) }}", "gather_subset": ["all"],
        "needed_features": "{{ amt_needed_features | default([]) }}"})], hosts=":".join(hosts))
    return run.by_host("read back")


def _by_id(machine):
    return dict((control["id"], control) for control in machine["controls"])


def test_the_role_across_a_mixed_fleet(tmp_path, fleet, site_ca):
    inventory, hosts = _inventory(tmp_path, fleet, site_ca)
    healthy = ["ccm-0", "ccm-1", "kiosk-0", "tls-0"]
    before = _read_back(tmp_path, inventory, healthy)
    assert before["kiosk-0"]["amt"]["redirection"]["kvm"] is True  # the exception keeps what is there
    weak = dict((host, {finding["id"] for finding in before[host]["amt"]["findings"]} & ENFORCED_BY_DEFAULT) for host in healthy)
    assert all(weak.values()), weak  # every device starts with something to fix

    # Check mode: the drift, exactly, and nothing written (amt_info reads the same findings afterwards).
    reports = tmp_path / "reports"
    _check_run, planned, drift_report = _harden(tmp_path, inventory, reports, check=True)
    drift = dict((machine["host"], _by_id(machine)) for machine in drift_report["machines"])
    for host in healthy:
        assert all(control["writes"] == [] for control in planned[host]["controls"]), host
        for control_id in weak[host]:
            assert drift[host][control_id]["status"] == "drifted" and drift[host][control_id]["actions"], (host, control_id)
    unchanged = _read_back(tmp_path, inventory, healthy)
    assert dict((host, unchanged[host]["amt"]["findings"]) for host in healthy) == \
        dict((host, before[host]["amt"]["findings"]) for host in healthy)

    run, results, report = _harden(tmp_path, inventory, reports)
    # The issuer's private key (amt_hardening_secrets.tls_ca_key) reaches the device's certificate, never the output.
    key_line = site_ca["key"].splitlines()[1]
    assert key_line not in run.output and key_line not in json.dumps(report) and key_line not in json.dumps(results)
    assert run.returncode != 0  # the factory and the dropped device fail their hosts, after the report is written
    machines = dict((machine["host"], machine) for machine in report["machines"])
    assert sorted(machines) == sorted(hosts)

    # Totals are the machines' own statuses, counted.
    counted = dict((status, 0) for status in report["totals"]["machines_by_status"])
    for machine in machines.values():
        counted[machine["status"]] += 1
    assert report["totals"]["machines_by_status"] == counted
    assert report["totals"]["machines"] == len(hosts)

    # Factory: no network account, nothing sent; the report says why.
    assert machines["factory-0"]["status"] in ("failed", "unreachable"), machines["factory-0"]
    assert machines["factory-0"]["error"]["msg"]

    # The device that dropped mid-run: what came before the drop landed, what came after failed as unreachable.
    dropped = _by_id(machines["drops-0"])
    assert machines["drops-0"]["status"] == "failed"
    assert any(control["status"] == "failed" and control["error"]["kind"] == "unreachable" for control in dropped.values()), dropped

    # The TLS change whose commit answer was lost: read back, confirmed, served, never sent twice.
    tls = _by_id(machines["tls-0"])["AMT-TLS-01"]
    assert tls["status"] == "changed", tls
    commits = [write for write in tls["writes"] if write["action"].startswith("commit")]
    assert [(write["status"], write["verified"]) for write in commits] == [("confirmed", True)], tls["writes"]
    assert results["tls-0"]["tls"]["cert_fingerprint"] == _served_fingerprint(hosts["tls-0"]["amt_hostname"])

    # The exception is reported with its reason and left alone.
    kiosk = _by_id(machines["kiosk-0"])["AMT-REDIR-02"]
    assert kiosk["status"] == "excepted" and kiosk["reason"] == KIOSK_REASON and kiosk["writes"] == []

    # Manual controls are listed on every device reached, with what to do.
    for host in healthy:
        manual = _by_id(machines[host])["AMT-NET-01"]
        assert manual["status"] == "manual" and manual["reason"], manual

    # Old firmware: the advisories are in the report, and AMT-FW-01 is drifted (nothing over WS-Man can fix it).
    old = machines["ccm-0"]
    assert old["device"]["firmware"].startswith("11.8") and old["advisories"], old["device"]
    assert _by_id(old)["AMT-FW-01"]["status"] == "drifted"

    # Against the check-mode report before it: every drift the run changed is listed as fixed.
    fixed = {(entry["host"], entry["control"]) for entry in report["changes"]["fixed"]}
    for host in healthy:
        for control_id, control in _by_id(machines[host]).items():
            if control["status"] == "changed" and drift[host][control_id]["status"] == "drifted":
                assert (host, control_id) in fixed, (host, control_id)

    # The report's statuses against the devices as amt_info reads them now.
    rewritten = dict(hosts)
    rewritten["tls-0"] = dict(hosts["tls-0"], amt_readback_ca=site_ca["path"])
    inventory.write_text(yaml.safe_dump({"all": {"children": {"amt": {"hosts": rewritten, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": str(PYTHON_BIN / "python")}}}}}), encoding="utf-8")
    after = _read_back(tmp_path, inventory, healthy)
    for host in healthy:
        assert after[host].get("failed") is not True, after[host]
        found = {finding["id"] for finding in after[host]["amt"]["findings"]}
        for control_id, control in _by_id(machines[host]).items():
            if control["status"] in ("compliant", "changed"):
                assert control_id not in found, (host, control_id)
            elif control["status"] == "drifted" and control_id in ENFORCED_BY_DEFAULT | {"AMT-FW-01", "AMT-TLS-01"}:
                assert control_id in found, (host, control_id)
        assert not found & ENFORCED_BY_DEFAULT, (host, found)
    assert after["kiosk-0"]["amt"]["redirection"]["kvm"] is True

    # Second run: the devices reached change nothing and send no write; the report says what changed since the first.
    second_run, second, second_report = _harden(tmp_path, inventory_for_second_run(inventory, rewritten), reports)
    for host in healthy:
        assert second[host]["changed"] is False, (host, second[host].get("summary"))
        assert all(control["writes"] == [] for control in second[host]["controls"]), host
        assert second[host]["summary"]["changed"] == 0
    second_machines = dict((machine["host"], machine) for machine in second_report["machines"])
    assert all(second_machines[host]["status"] != "changed" for host in healthy)
    assert second_run.returncode != 0  # the factory device still has no account


def inventory_for_second_run(inventory, hosts):
    """After the TLS change the device is verified with the site CA: later runs connect with it."""
    for host in hosts.values():
        if "amt_readback_ca" in host:
            host["amt_ca_path"] = host.pop("amt_readback_ca")
    inventory.write_text(yaml.safe_dump({"all": {"children": {"amt": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": str(PYTHON_BIN / "python")}}}}}), encoding="utf-8")
    return inventory
