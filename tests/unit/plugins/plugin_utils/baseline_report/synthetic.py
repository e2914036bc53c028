# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Synthetic amt_baseline results for report tests: one result in the shape the baseline module returns, and a
seeded mixed fleet (compliant, drifted, enforced, excepted, failed, unreachable, old firmware with advisories)."""

from __future__ import annotations

import random

from ansible_collections.oob.amt.plugins.module_utils.info import findings

CATALOG = [(control.id, control.severity, control.title) for control in findings.CONTROLS]
CATALOG += [entry[:3] for entry in findings.MANUAL_CHECKS]
MANUAL_REASONS = {entry[0]: entry[3] for entry in findings.MANUAL_CHECKS}
STATUSES = ("compliant", "changed", "drifted", "not_applicable", "manual", "excepted", "failed")

FIRMWARE = ("16.1.25", "16.1.25", "16.1.25", "15.0.45", "12.0.92", "19.0.5", "11.8.50")
OLD_FIRMWARE_ADVISORIES = {
    "11.8.50": [{"advisory": "INTEL-SA-00086", "cves": ["CVE-2017-5705"], "status": "affected", "fixed_in": "11.8.55",
                 "reason": "11.8.50 is below 11.8.55 on the 11.8 line"}],
    "12.0.92": [{"advisory": "INTEL-SA-00404", "cves": ["CVE-2020-8758"], "status": "affected", "fixed_in": "12.0.70",
                 "reason": "synthetic"}],
}
GROUPS = ("office", "office", "office", "kiosk", "lab")


def control(control_id, status, reason=None, error=None):
    severity, title = next((entry[1], entry[2]) for entry in CATALOG if entry[0] == control_id)
    return {"id": control_id, "title": title, "severity": severity, "status": status, "reason": reason,
            "actions": ["set %s" % control_id] if status in ("changed", "drifted") else [],
            "writes": [{"action": "set %s" % control_id, "status": "confirmed", "verified": True}] if status == "changed" else [],
            "error": error, "fix": "oob.amt.amt_general"}


def result(statuses, firmware="16.1.25", hostname="amt.example.net", advisories=None):
    """An amt_baseline result: statuses maps control id -> status or (status, reason[, error]); others are compliant."""
    controls = []
    for control_id in (entry[0] for entry in CATALOG):
        wanted = statuses.get(control_id, "manual" if control_id in MANUAL_REASONS else "compliant")
        status, reason, error = (wanted, None, None) if isinstance(wanted, str) else (tuple(wanted) + (None, None))[:3]
        if status == "manual" and reason is None:
            reason = MANUAL_REASONS.get(control_id, "check by hand")
        controls.append(control(control_id, status, reason, error))
    summary = dict.fromkeys(STATUSES, 0)
    for entry in controls:
        summary[entry["status"]] += 1
    return {"changed": summary["changed"] > 0, "indeterminate": False, "controls": controls, "summary": summary,
            "device": {"uuid": "4c4c4544-0000-0000-0000-000000000000", "firmware": firmware, "control_mode": "acm",
                       "hostname": hostname},
            "advisories": advisories if advisories is not None else OLD_FIRMWARE_ADVISORIES.get(firmware, []), "tls": None}


def fleet(count, seed=7):
    """({host: result or None}, {host: [groups]}) for a mixed fleet of count machines."""
    rng = random.Random(seed)
    results, groups = {}, {}
    enforceable = [entry[0] for entry in CATALOG if entry[0] not in MANUAL_REASONS and entry[0] != "AMT-FW-01"]
    for number in range(1, count + 1):
        host = "amt-%04d.example.net" % number
        group = GROUPS[number % len(GROUPS)]
        groups[host] = [group]
        roll = rng.random()
        if roll < 0.04:
            results[host] = None
            continue
        if roll < 0.07:
            results[host] = {"failed": True, "msg": "authentication failed: the device refused the digest credentials",
                             "error": "auth"}
            continue
        firmware = rng.choice(FIRMWARE)
        statuses = {}
        if roll < 0.35:
            for control_id in rng.sample(enforceable, rng.randint(1, 4)):
                statuses[control_id] = ("drifted", "%s differs from the baseline" % control_id)
        elif roll < 0.55:
            for control_id in rng.sample(enforceable, rng.randint(1, 3)):
                statuses[control_id] = "changed"
        if roll > 0.97:
            statuses[rng.choice(enforceable)] = ("failed", "the device answered with an error",
                                                 {"kind": "device_error", "msg": "PT_STATUS_INTERNAL_ERROR (1)"})
        if group == "kiosk":
            statuses["AMT-REDIR-02"] = ("excepted", "KVM needed on the kiosk group for remote support")
        if firmware in OLD_FIRMWARE_ADVISORIES:
            statuses["AMT-FW-01"] = ("manual", "firmware %s is affected by %s: update the OEM BIOS/ME package"
                                     % (firmware, OLD_FIRMWARE_ADVISORIES[firmware][0]["advisory"]))
        if firmware == "11.8.50":
            statuses["AMT-WEB-01"] = ("not_applicable", "AMT_WebUIService is not present on this firmware")
        results[host] = result(statuses, firmware, host)
    return results, groups
