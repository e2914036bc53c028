# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix: amtsim's fault kinds, each aimed at the first and at a later write of each writing module.

A cell is one device of one fleet; every module's cells run in one play. The module runs once with the fault, and the
result must say truthfully what was sent: the aimed write with the status its fault allows, changed exactly when a write
was confirmed or unconfirmed, indeterminate exactly when one was unconfirmed, an error kind and a message on failure.
Then the fleet is restarted without faults on the same state, and the device is read back by the same module in check
mode: what it still plans is what is missing, so a write reported confirmed and verified must not be planned again and a
write reported refused must be. Two clean runs follow: the first makes what is missing (changed exactly then), the
second changes nothing.

Each per-request fault (reset, delay, http500, soapfault, stale) and lockout is aimed with amtsim's "#N" selector at
the first or the second write request the cell's device receives (amtsim counts the requests that carry credentials and
ask for a change, so Digest challenges and reads do not count); lockout#N starts amtsim's Digest lock-out at that
request. restart-after=METHOD is aimed by its METHOD. acm-lands-in-ccm belongs to amt_provision's AMT 19 path and is
covered by test_amt_provision.py.

Loopback range: 127.77.241.x and 127.77.242.x (remote), 127.78.241.x and 127.78.242.x (local).
"""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import run_playbook, start_fleet

# Fleet -> (its amtsim profile, its addresses)
FLEETS = {"acm": ("acm", {"first_address": "127.77.241.1", "local_first_address": "127.78.241.1"}),
          "factory": ("factory", {"first_address": "127.77.242.1", "local_first_address": "127.78.242.1"})}
ADMIN_PASSWORD = "Adm1n!F4ultProv"
NEW_PASSWORD = "N3w-Adm1n!fault"
MEBX_PASSWORD = "Mebx-F4ult;word"
PASSPHRASE = "Corp-wifi-passphrase-1"
USER_PASSWORD = "Oper@tor1pass"
MPS_PASSWORD = "Mps-F4ult-pass"
MODULE_TIMEOUT = 4
DELAY_SECONDS = 7
RESTART_SECONDS = 5

AIMED_KINDS = ("reset", "delay", "http500", "soapfault", "stale", "lockout")


class Cell:
    def __init__(self, fleet, module, kind, position, index):
        self.fleet = fleet
        self.module = module
        self.kind = kind
        self.position = position
        self.index = index

    @property
    def host(self):
        return "amt-%04d" % self.index

    def __repr__(self):
        return "%s/%s/%s" % (self.module, self.kind, self.position)


def start_aimed_fleet(directory, fleet, cells, faulted):
    """The fleet's devices, one per cell; faulted: each cell's fault aimed at its write, else served without faults."""
    profile, addresses = FLEETS[fleet]
    return start_fleet(directory, len(cells), profile, addresses, faults=";".join(_spec_rules(cells)) if faulted else None)


CONNECTION = {"hostname": "{{ amt_hostname }}", "username": "{{ amt_username }}", "password": "{{ amt_password }}",
              "ca_path": "{{ amt_ca_path }}", "timeout": MODULE_TIMEOUT}

# module -> (its fleet, its args, the METHOD that restart-after aims at for the first and for a later write or None)
MODULES = {
    "amt_wifi_profile": ("acm", dict(CONNECTION, profiles=[
        {"name": "office", "ssid": "OFFICE", "priority": 1, "security": "wpa2_psk", "passphrase": PASSPHRASE},
        {"name": "lab", "ssid": "LAB", "priority": 2, "security": "wpa2_psk", "passphrase": PASSPHRASE}],
        wifi_port="enabled_in_s0_sx"),
        ("AddWiFiSettings", "RequestStateChange")),
    "amt_audit_policy": ("acm", dict(CONNECTION, state="enabled", events={"security_admin": ["acl_entry_added"]},
                                     storage_policy="restricted_rollover", min_days_to_keep=30),
                         ("SetAuditPolicyBulk", "SetStoragePolicy")),
    # The simulated ACM devices have a MEBx password of their own, so only "always" sends it (on every run).
    "amt_password": ("acm", dict(CONNECTION, new_password=NEW_PASSWORD, mebx_password=MEBX_PASSWORD, update_mebx_password="always"),
                     ("SetAdminAclEntryEx", "SetMEBxPassword")),
    # Two accounts: two AddUserAclEntryEx, so restart-after cannot single out the later one.
    "amt_user": ("acm", dict(CONNECTION, accounts=[{"name": "operator1", "password": USER_PASSWORD, "realms": ["redirection"]},
                                                   {"name": "operator2", "password": USER_PASSWORD, "realms": ["general_info"]}]),
                 ("AddUserAclEntryEx", None)),
    "amt_redirection": ("acm", dict(CONNECTION, sol=False, ider=False, kvm=False, listener=False, vnc_port_5900=False,
                                    kvm_session_timeout=15, user_consent="all", consent_display_timeout=120, consent_code_timeout=300),
                        ("RequestStateChange", "Put")),
    # An MPS, then its policy (bound as internal by a Put), then the user-initiated service.
    "amt_cira": ("acm", dict(CONNECTION, servers=[{"address": "mps.example.test", "username": "faultuser", "password": MPS_PASSWORD}],
                             policies=[{"trigger": "periodic", "servers": ["mps.example.test"], "interval": 60, "mps_type": "internal"}],
                             user_initiated="bios"),
                 ("AddMpServer", "AddRemoteAccessPolicyRule")),
    # One write only: a device unprovisioned closes its network interface, which later runs take as done.
    "amt_unprovision": ("acm", dict(CONNECTION, verify_timeout=DELAY_SECONDS + 3, assume_unprovisioned_if_unreachable=True), ("Unprovision", None)),
    # ACM activation over the LMS: the chain's certificates one by one, then AdminSetup and, as the new admin, the MEBx password.
    "amt_provision": ("factory", {
        "control_mode": "acm", "admin_password": ADMIN_PASSWORD, "mebx_password": MEBX_PASSWORD,
        "provisioning_cert": "{{ amt_provisioning_cert }}", "provisioning_cert_password": "{{ amt_provisioning_cert_password }}",
        "mei_device": "{{ amt_mei_socket }}", "lms_hostname": "{{ amt_local_hostname }}", "timeout": MODULE_TIMEOUT},
        ("AddNextCertInChain", "AdminSetup")),
}
# Modules whose run sends a single write: only the first can be aimed at.
SINGLE_WRITE = ("amt_unprovision",)
# Writes a module sends on every run by request: a converged device still plans them.
ALWAYS_SENT = ("set the MEBx password",)
KINDS = AIMED_KINDS + ("restart-after",)


def _cells():
    cells = []
    for module, (fleet, _args, methods) in MODULES.items():
        for kind in KINDS:
            for position in ("first", "later"):
                if position == "later" and (module in SINGLE_WRITE or (kind == "restart-after" and not methods[1])):
                    continue
                cells.append(Cell(fleet, module, kind, position, len([cell for cell in cells if cell.fleet == fleet]) + 1))
    return cells


CELLS = _cells()


def _spec_rules(cells):
    rules = []
    for cell in cells:
        if cell.kind == "restart-after":
            method = MODULES[cell.module][2][0 if cell.position == "first" else 1]
            rules.append("restart-after=%s:%d@%d" % (method, RESTART_SECONDS, cell.index))
        else:
            kind = "delay=%d" % DELAY_SECONDS if cell.kind == "delay" else cell.kind
            rules.append("%s@%d#%d" % (kind, cell.index, 1 if cell.position == "first" else 2))
    return rules


def _playbook(directory, name, fleet, tasks):
    """One play per module of the fleet over its cells' devices, each running the module once per (task name, keywords)."""
    plays = []
    for module, (module_fleet, args, _methods) in MODULES.items():
        if module_fleet != fleet:
            continue
        vars_path = directory / ("%s-vars.json" % module)
        vars_path.write_text(json.dumps({"task_args": args}), encoding="utf-8")
        options = dict((option, "{{ task_args[%s] }}" % json.dumps(option)) for option in args)
        plays.append({"name": "%s %s" % (name, module), "hosts": ",".join(cell.host for cell in CELLS if cell.module == module),
                      "gather_facts": False, "vars_files": [str(vars_path)],
                      "tasks": [dict({"name": task, "oob.amt." + module: options, "ignore_errors": True}, **keywords)
                                for task, keywords in tasks]})
    path = directory / ("%s-%s.yml" % (name, fleet))
    path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """Every cell's faulted run; then, each fleet restarted without faults on the same state, the read-back and two reruns."""
    results = {}
    for fleet in FLEETS:
        directory = tmp_path_factory.mktemp("fault-matrix-%s" % fleet)
        cells = [cell for cell in CELLS if cell.fleet == fleet]
        served = start_aimed_fleet(directory, fleet, cells, True)
        # The inventory forgets a password once it changes; the runs after the restart log in as the first one did.
        inventory = directory / "inventory-as-started.yml"
        inventory.write_text(served.inventory_path.read_text(encoding="utf-8"), encoding="utf-8")
        try:
            faulted = run_playbook(directory, [inventory], _playbook(directory, "faulted", fleet, [("faulted", {})]))
        finally:
            served.stop()
        served = start_aimed_fleet(directory, fleet, cells, False)
        try:
            clean = run_playbook(directory, [inventory], _playbook(directory, "clean", fleet, [
                ("read back", {"check_mode": True}), ("rerun", {}), ("rerun again", {})]))
        finally:
            served.stop()
        for cell in cells:
            results[repr(cell)] = (dict(faulted.results(cell.host), **clean.results(cell.host)), faulted.output + clean.output)
    return results


# What the aimed write may be reported as, with the error kind of the run (None: the run succeeds).
LOST = ("unconfirmed", "indeterminate")
AIMED_OUTCOME = {
    "reset": (LOST,),
    # A delayed request lands after the answer was given up for: a module that waits for the effect sees it land.
    "delay": (LOST, ("confirmed", None)),
    "http500": (("refused", "device_error"),),
    "soapfault": (("refused", "device_error"),),
    "stale": (("confirmed", None),),  # the transport answers the stale challenge with a fresh nonce
    "lockout": (("refused", "authentication"),),
}
# Procedures plan one step for what takes several writes: a write missing on the device shows as any planned step.
PROCEDURES = ("amt_provision",)


def _assert_the_fault_hit(cell, faulted):
    writes = faulted.get("writes", [])
    if cell.kind in AIMED_OUTCOME:
        aimed = writes[0 if cell.position == "first" else 1]
        assert (aimed["status"], faulted.get("error")) in AIMED_OUTCOME[cell.kind], faulted
        assert aimed["status"] != "confirmed" or aimed["verified"] is not False, faulted
        assert all(write["status"] == "confirmed" for write in writes[:writes.index(aimed)]), faulted
        return
    # restart-after: the aimed method was acknowledged, then the device's interfaces closed for a while.
    assert writes[-1]["status"] == "confirmed", faulted
    # Either the restart is waited out, or the run stops at the closed interface, recording nothing it did not send.
    assert not faulted.get("failed") or faulted["error"] == "unreachable", faulted


@pytest.mark.parametrize("cell", CELLS, ids=repr)
def test_the_result_states_what_was_sent_and_a_rerun_converges(matrix, cell):
    tasks, output = matrix[repr(cell)]
    faulted, read_back, rerun, again = tasks["faulted"], tasks["read back"], tasks["rerun"], tasks["rerun again"]
    writes = faulted.get("writes", [])
    _assert_the_fault_hit(cell, faulted)
    assert all(write["status"] in ("confirmed", "unconfirmed", "refused") for write in writes), faulted
    assert faulted["changed"] is any(write["status"] in ("confirmed", "unconfirmed") for write in writes), faulted
    assert faulted["actions"] == [write["action"] for write in writes if write["status"] != "refused"], faulted
    if faulted.get("failed"):
        assert faulted["error"] and faulted["msg"], faulted
        assert faulted["indeterminate"] is any(write["status"] == "unconfirmed" for write in writes), faulted
        for write in writes:
            if write["status"] == "confirmed":
                assert "acknowledged" in faulted["msg"] or "HAVE changed" in faulted["msg"], faulted["msg"]
    # The device read back: what the module still plans is what is missing there.
    assert not read_back.get("failed"), read_back
    missing = read_back["actions"]
    for write in writes:
        if write["status"] == "confirmed" and write["verified"]:
            assert write["action"] not in missing, (faulted, read_back)
        if write["status"] == "refused":
            assert write["action"] in missing or (cell.module in PROCEDURES and missing), (faulted, read_back)
    assert not rerun.get("failed"), rerun
    assert rerun["changed"] is bool(missing), (read_back, rerun)
    assert not again.get("failed") and [action for action in again["actions"] if action not in ALWAYS_SENT] == [], again
    for secret in (NEW_PASSWORD, MEBX_PASSWORD, PASSPHRASE, ADMIN_PASSWORD, USER_PASSWORD, MPS_PASSWORD):
        assert secret not in output
