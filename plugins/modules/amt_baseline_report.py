#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_baseline_report
short_description: Write the fleet report of an amt_baseline run (JSON and one self-contained HTML page)
description:
  - Builds one report for the whole fleet from the per-host results of M(oob.amt.amt_baseline), in one task on the
    controller, without contacting any device again.
  - For every machine and every control it gives the status (V(compliant), V(changed), V(drifted), V(not_applicable),
    V(manual), V(excepted) with its reason, V(failed) with the error, or V(unreachable) for a host without a result), the
    firmware advisories, totals, and what changed since the previous report (newly drifted, newly failed, fixed).
  - Writes C(amt-baseline-<UTC time>.json) (schema C(oob.amt/baseline-report), version 1, described in the collection's
    C(docs/baseline-report-schema.md) and C(docs/baseline-report.schema.json)), C(amt-baseline-<UTC time>.html), and
    copies of both as C(latest.json) and C(latest.html), into O(dest).
  - One run, one report. Every task with the same O(run_id) (the batches of a play with C(serial)) updates the same two
    files in place, adding the hosts it reached, and compares with the report of the run before, not with an earlier
    batch's. Hosts of the play whose batch has not run are listed as not reached (C(run.not_reached) in the report),
    not as unreachable.
  - The HTML page needs no network access. It holds the totals, a summary chart, the changes, a machines by controls
    grid (grouped, sorted, filtered and paged, for fleets of thousands) and each machine's detail.
  - This is an action plugin that runs on the controller only; the module file holds its documentation, and running it
    as a module on a host fails.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
options:
  results:
    description:
      - The amt_baseline result of each host, keyed by inventory hostname.
      - A host whose value is null, or that is listed in O(hosts) but missing here, is reported as unreachable. A failed
        task result is reported as failed with its message, or as unreachable when its error kind is V(unreachable).
      - Exactly one of O(results) and O(result_var) is required.
    type: dict
  result_var:
    description:
      - The name of the variable each host registered its amt_baseline result in, read from C(hostvars) for every host of
        O(hosts). A host without that variable is reported as unreachable once it has been reached.
      - A host of C(ansible_play_hosts_all) is reached once it has that variable, is in C(ansible_play_batch), has left
        the play through a failure (it is no longer in C(ansible_play_hosts)), or is in the run's report already. The
        others are in later C(serial) batches; they are left out of the machines and listed as not reached.
    type: str
  hosts:
    description:
      - The hosts the report covers.
      - Defaults to the keys of O(results), or to C(ansible_play_hosts_all) with O(result_var), so that hosts which failed
        or were unreachable earlier in the play still appear.
    type: list
    elements: str
  dest:
    description:
      - The directory the report files are written to, on the controller. Created when missing.
    type: path
    required: true
  previous:
    description:
      - The report to compare with. Defaults to the previous run's report, the C(latest.json) in O(dest) that the first
        update of this run found; without a previous report the changes section says so.
      - When that C(latest.json) was copied into O(dest) from elsewhere and the run has hosts left to reach, the first
        update also writes it under its own name (C(amt-baseline-<UTC time>.json)), so that the later updates find it.
      - A default report that cannot be read is skipped with a warning; a O(previous) given explicitly must be readable.
    type: path
  run_id:
    description:
      - Names the run the report belongs to. When C(latest.json) in O(dest) has this run id, this task updates that
        report in place (same files, same start time, the previous run's report to compare with); otherwise it starts
        a new report.
      - Set it once per play and pass the same value to every batch, for example a fact on C(localhost) set by the
        first batch (the role M(oob.amt.amt_hardening) keeps one per play). Plays given the same id share one report,
        which keeps the hosts the earlier plays reached. Left out, each task writes a report of its own.
    type: str
  title:
    description:
      - The report's title, shown at the top of the page.
    type: str
    default: AMT hardening baseline
notes:
  - Inventory groups come from each host's C(group_names), so that the page can group machines by them.
  - The task never reports a change, so an idempotence check of a play that ends with it stays meaningful; the files are
    its output. It writes them in check mode too, as a check-mode run is how the fleet's drift is reported.
  - Run it once per play (C(run_once) with C(delegate_to) V(localhost)); with C(serial) that is once per batch, with one
    O(run_id) for the whole run.
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: The report is written in check mode too; it reports the baseline run, it changes no device.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
    details: Runs on the controller, whatever the task's host.
seealso:
  - module: oob.amt.amt_info
"""

EXAMPLES = r"""
- name: Harden the fleet and report on it
  hosts: amt
  gather_facts: false
  tasks:
    - name: Converge the baseline on each device
      oob.amt.amt_baseline:
        hostname: "{{ amt_hostname }}"
        password: "{{ amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
      register: baseline
      delegate_to: localhost

    - name: Write the fleet report
      oob.amt.amt_baseline_report:
        result_var: baseline
        dest: /var/lib/amt-hardening/reports
        title: AMT baseline, head office
      run_once: true
      delegate_to: localhost
      register: report

    - name: Show where it is
      ansible.builtin.debug:
        msg: "{{ report.files.html }}: {{ report.totals.machines_by_status }}"
      run_once: true

- name: Harden 50 devices at a time, with one report for the whole run
  hosts: amt
  gather_facts: false
  serial: 50
  tasks:
    - name: Name the run once, in a fact on localhost that the later batches find
      ansible.builtin.set_fact:
        baseline_run_id: "{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}-{{ 4294967296 | random }}"
      delegate_to: localhost
      delegate_facts: true
      run_once: true
      when: hostvars['localhost'].baseline_run_id is not defined

    - name: Converge the baseline on each device
      oob.amt.amt_baseline:
        hostname: "{{ amt_hostname }}"
        password: "{{ amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
      register: baseline
      delegate_to: localhost

    - name: Update the run's report with this batch
      oob.amt.amt_baseline_report:
        result_var: baseline
        dest: /var/lib/amt-hardening/reports
        run_id: "{{ hostvars['localhost'].baseline_run_id }}"
      run_once: true
      delegate_to: localhost
"""

RETURN = r"""
files:
  description: The files written.
  returned: success
  type: dict
  contains:
    json:
      description: The JSON report of this run.
      type: str
      sample: /var/lib/amt-hardening/reports/amt-baseline-20261203T214000Z.json
    html:
      description: The HTML page of this run.
      type: str
      sample: /var/lib/amt-hardening/reports/amt-baseline-20261203T214000Z.html
    latest_json:
      description: The copy of the JSON report named latest.json.
      type: str
      sample: /var/lib/amt-hardening/reports/latest.json
    latest_html:
      description: The copy of the HTML page named latest.html.
      type: str
      sample: /var/lib/amt-hardening/reports/latest.html
previous:
  description:
    - The previous run's report compared with, under its own name when O(dest) has it, or null when there was none.
  returned: success
  type: str
  sample: /var/lib/amt-hardening/reports/amt-baseline-20261202T214000Z.json
run:
  description: The report's run section.
  returned: success
  type: dict
  contains:
    id:
      description: The run id (O(run_id), or one made up for this task alone).
      type: str
      sample: 20261203T214000Z-1864012537
    started_at:
      description: UTC time of the run's first update.
      type: str
      sample: "2026-12-03T21:40:00Z"
    file:
      description: The run's JSON file in O(dest).
      type: str
      sample: amt-baseline-20261203T214000Z.json
    updates:
      description: How many times the run has written the report, this task included.
      type: int
      sample: 2
    not_reached:
      description: Hosts of the play this run has not reached (later C(serial) batches), left out of the machines.
      type: list
      elements: str
      sample: [amt-0005.example.net, amt-0006.example.net]
totals:
  description:
    - The report's totals, as in the JSON report.
    - machines, machines_by_status (unreachable, failed, drifted, changed, compliant), controls_by_status (one count per
      machine and control), firmware (versions and their machine counts) and advisories (machines_affected, by_advisory).
  returned: success
  type: dict
  sample: {machines: 3, machines_by_status: {unreachable: 1, failed: 0, drifted: 1, changed: 0, compliant: 1}}
changes:
  description: How many entries each list of the report's changes section has.
  returned: success
  type: dict
  sample: {newly_drifted: 2, newly_failed: 0, fixed: 5, newly_unreachable: 1, reachable_again: 0, machines_added: 0,
           machines_removed: 0}
"""

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = dict(
    results=dict(type="dict"),
    result_var=dict(type="str"),
    hosts=dict(type="list", elements="str"),
    dest=dict(type="path", required=True),
    previous=dict(type="path"),
    title=dict(type="str", default="AMT hardening baseline"),
    run_id=dict(type="str"),
)
MUTUALLY_EXCLUSIVE = [("results", "result_var")]
REQUIRED_ONE_OF = [("results", "result_var")]


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, mutually_exclusive=MUTUALLY_EXCLUSIVE, required_one_of=REQUIRED_ONE_OF,
                           supports_check_mode=True)
    module.fail_json(msg="oob.amt.amt_baseline_report is an action plugin that runs on the Ansible controller; it was run as a module "
                         "on a host, which means the collection's action plugin was not found (is the task's action name right?)")


if __name__ == "__main__":
    main()
