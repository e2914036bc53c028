#!/usr/bin/python
# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: amt_audit_log
short_description: Read, export and clear Intel AMT's audit log (Access Monitor)
description:
  - Reads the records of the audit log (C(AMT_AuditLog.ReadRecords)) and decodes each one - who (the user name, or the
    SID of a Kerberos user), what (application and event, by the names M(oob.amt.amt_audit_policy) uses), when (UTC),
    from where (the caller's network address) and the event's own data.
  - Reads incrementally, from a record id (O(start_record)), from a time (O(since)) or, with an export file in
    V(append) mode, after the last record the file holds, so that a scheduled job collects only what is new.
  - Writes the records to a JSON Lines file (O(export_path)), one record a line.
  - Clears the log with O(state=cleared), after reading and exporting it. Clearing needs the Audit Log realm. Once an
    account holds it (the Auditor), only that account may clear the log; before that, the admin may. The module refuses,
    before sending anything, the admin's credentials on a device with an Auditor.
  - The events that hide activity from an auditor, V(log_cleared) and V(log_disabled), are called out in RV(alerts)
    and as warnings.
  - O(expected_uuid) is checked with C(AMT_SetupAndConfigurationService.GetUuid), which the Auditor may not call (AMT
    answers it with 16, PT_STATUS_NOT_PERMITTED, to an account without the admin's realm), and nothing the Audit Log realm
    opens carries the UUID. Signed in as the Auditor, give O(admin_username) and O(admin_password); the module checks the
    UUID in an admin session of its own first, then reads and clears the log as the Auditor. Without them the module
    refuses the Auditor's O(expected_uuid) with an error naming these options, before reading the log.
version_added: 0.1.0
author:
  - oob.amt contributors (@oob-amt)
extends_documentation_fragment:
  - oob.amt.connection
  - oob.amt.attributes
options:
  state:
    description:
      - V(read) reads (and exports) the records and changes nothing on the device.
      - V(cleared) does the same, then clears the log; the firmware starts the new log with a V(log_cleared) record.
        A log holding nothing but that record is left alone.
    type: str
    choices: [read, cleared]
    default: read
  start_record:
    description:
      - The id of the first record to return; 1 is the oldest record the device holds.
      - Give the RV(audit_log.next_record) of the previous run to get only the records logged since.
      - Ids are positions in the log. When the log is full and rolls over, the oldest records go and every id moves
        down, so a saved id can skip records then; an export file in V(append) mode finds its place by the records'
        fingerprints instead.
    type: int
  since:
    description:
      - Only the records logged at or after this time, in ISO 8601 (V(2026-12-01T00:00:00Z), V(2026-12-01)).
        A time without a zone is UTC. The device's clock stamps the records.
    type: str
  export_path:
    description:
      - A JSON Lines file to write the selected records to, one JSON object a line (the fields of RV(records) and
        C(device), the O(hostname) the records came from).
      - "The file is written where the module runs, which is the controller when the task runs there (C(delegate_to: localhost)
        or C(connection: local), as the examples do). Its directory must exist."
    type: path
  export_mode:
    description:
      - V(append) adds the records the file does not hold yet. Unless O(start_record) or O(since) say otherwise, the
        device is read from the record after the file's last one, found by its fingerprint even after the log rolled
        over; if that record is gone (the log was cleared or rolled past it), every record is new and RV(gap) is true.
      - V(replace) writes the selected records in place of the file's content.
    type: str
    choices: [append, replace]
    default: append
  admin_username:
    description:
      - The account that checks O(expected_uuid) in a session of its own when O(username) may not read the UUID, which is
        the case of the Auditor. Used only for that; the log is read and cleared as O(username).
    type: str
    default: admin
  admin_password:
    description:
      - The password of O(admin_username). Needs O(expected_uuid). Never returned or logged.
    type: str
  mode:
    description:
      - The permissions of the export file, in octal. Audit records name users and addresses, so by default only the
        owner may read them.
    type: str
    default: '0600'
notes:
  - Reading needs an account the firmware lets read the log (the admin, the Auditor, or one with the General Info realm).
  - C(changed) is true when the export file's content or permissions change, or when the log is cleared; reading alone
    changes nothing. In check mode nothing is sent or written; RV(cleared_records) tells how many records a clearing
    would remove, and without O(start_record), O(since) or an V(append) export file RV(records) lists them all.
  - With C(--diff), the lines an export adds (or the file's old and new content in V(replace) mode) are shown, and the
    number of records before and after a clearing.
  - The event data of the events whose layout is known (ACL changes, TLS state, provisioning, unprovisioning, firmware
    update, time set, opt-in) is decoded in RV(records[].data); every record also carries its raw
    RV(records[].extended_data).
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
# A scheduled collection job (cron, AWX schedule): each run appends to one file per device only the records logged
# since the previous run; a SIEM agent tails the files.
- name: Collect the AMT audit logs
  hosts: amt
  gather_facts: false
  module_defaults:
    group/oob.amt.amt:
      hostname: "{{ amt_hostname }}"
      ca_path: /etc/pki/amt-ca.pem
      username: "{{ amt_auditor_username }}"
      password: "{{ vault_amt_auditor_password }}"
  tasks:
    - name: Append the new records to the device's file
      oob.amt.amt_audit_log:
        export_path: "/var/log/amt-audit/{{ inventory_hostname }}.jsonl"
      delegate_to: localhost
      register: audit

    - name: Tell the security team at once when a log was cleared or auditing was turned off
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }}: {{ item.event }} at {{ item.time }} by {{ item.user | default('the local host', true) }}"
      loop: "{{ audit.alerts }}"
      when: audit.alerts | length > 0

- name: Archive, clear and read the audit log of one device
  hosts: localhost
  gather_facts: false
  tasks:
    # Keep the log from filling up: export everything, then clear it, as the auditor. The admin's credentials only
    # check that the address is still the device with this UUID, which the auditor may not read.
    - name: Archive and clear
      oob.amt.amt_audit_log:
        hostname: 192.0.2.10
        username: auditor
        password: "{{ vault_amt_auditor_password }}"
        expected_uuid: 8c6a1f2e-4b1d-4e0a-9f3c-2d7b5e8a1c40
        admin_password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        export_path: /srv/audit-archive/192.0.2.10.jsonl
        state: cleared
      delegate_to: localhost

    # Records since a given time, into the result only.
    - name: What happened on the device today
      oob.amt.amt_audit_log:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        since: "{{ now(utc=true).strftime('%Y-%m-%d') }}"
      delegate_to: localhost
      register: today

    - name: Then only what is newer than that read
      oob.amt.amt_audit_log:
        hostname: 192.0.2.10
        password: "{{ vault_amt_password }}"
        ca_path: /etc/pki/amt-ca.pem
        start_record: "{{ today.audit_log.next_record }}"
      delegate_to: localhost
"""

RETURN = r"""
records:
  description:
    - The selected records, oldest first.
  returned: success
  type: list
  elements: dict
  contains:
    record_id:
      description: The record's position in the log when it was read; 1 is the oldest.
      type: int
    fingerprint:
      description: A hash of the record's bytes, which finds it again when its id has moved.
      type: str
    time:
      description: When the event happened, ISO 8601 UTC, from the device's clock.
      type: str
      sample: "2026-12-03T18:44:51Z"
    application:
      description: The application that logged the event, named as in M(oob.amt.amt_audit_policy) (V(app_N) when unknown).
      type: str
      sample: security_audit_log
    event:
      description: The event, named as in M(oob.amt.amt_audit_policy) (V(event_N) when unknown).
      type: str
      sample: log_cleared
    application_id:
      description: AMT's number for the application.
      type: int
    event_id:
      description: AMT's number for the event.
      type: int
    initiator:
      description: How the caller was authenticated, V(digest), V(kerberos), V(local) or V(kvm_default_port).
      type: str
    user:
      description: The digest user name, or the Kerberos user's SID (S-1-...); null for local and KVM callers.
      type: str
    address:
      description: The network address the call came from; null when the record has none.
      type: str
    data:
      description: The event's own data by name, for the events whose layout is known; null otherwise.
      type: dict
      sample: {"account": "auditor"}
    extended_data:
      description: The event's data as the device sent it, in base64.
      type: str
    alert:
      description: Whether the event is V(log_cleared) or V(log_disabled).
      type: bool
alerts:
  description: The records among RV(records) that a SIEM must see, V(log_cleared) and V(log_disabled) events.
  returned: success
  type: list
  elements: dict
gap:
  description:
    - True when records may be missing between the previous read and this one, the log having been cleared or rolled
      past the record an V(append) export file ends with, or past O(start_record).
  returned: success
  type: bool
cleared_records:
  description: The number of records the clearing removed (in check mode, would remove); 0 without a clearing.
  returned: success
  type: int
audit_log:
  description: The log after the task.
  returned: success
  type: dict
  contains:
    auditing:
      description: V(enabled), or V(disabled) when the device records nothing.
      type: str
    total_records:
      description: The number of records the device holds.
      type: int
    next_record:
      description: The id the next record will have, for O(start_record) in the next run.
      type: int
actions:
  description:
    - The changes made, or in check mode the changes a real run would make, in order.
  returned: always
  type: list
  elements: str
  sample: ["append 12 records to /var/log/amt-audit/pc-17.jsonl", "clear the audit log (161 records)"]
writes:
  description:
    - Each write, in order, with what is known of it - the export file on the controller and the clearing on the device.
    - V(confirmed) acknowledged (C(verified) whether reading back showed it); V(unconfirmed) the device's answer
      was lost and it may or may not have cleared (the result then has C(indeterminate=true)); V(refused) it was not done.
  returned: always
  type: list
  elements: dict
  sample: [{"action": "clear the audit log (161 records)", "status": "confirmed", "verified": true}]
"""

import json
import os
import tempfile

from ansible_collections.oob.amt.plugins.module_utils.amt.identity import GET_UUID
from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.units import audit_log
from ansible_collections.oob.amt.plugins.module_utils.units.base import converge
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError, NotPermittedError

APPEND = "append"
REPLACE = "replace"


def _octal_mode(text):
    try:
        mode = int(str(text), 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o7777:
        raise InvalidInputError("mode: give the permissions in octal, for example 0600 (got %r)" % text)
    return mode


class JsonLinesExport:
    """The export file on the controller: its resume point, and the content and permissions it should end with."""

    def __init__(self, path, append, mode, device):
        self.path = path
        self.append = append
        self.mode = _octal_mode(mode)
        self.device = device
        self.pending = None
        if os.path.isdir(path):
            raise InvalidInputError("export_path: %s is a directory; give the path of a file" % path)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise InvalidInputError("export_path: the directory %s does not exist" % directory)
        self.existing = self._content()
        self._resume = self._last_record() if append else None

    def _content(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidInputError("export_path: %s cannot be read (%s)" % (self.path, error)) from None

    def _current_mode(self):
        try:
            return os.stat(self.path).st_mode & 0o7777
        except FileNotFoundError:
            return None

    def _last_record(self):
        lines = (self.existing or "").splitlines()
        if not lines:
            return None
        try:
            last = json.loads(lines[-1])
            return int(last["record_id"]), str(last["fingerprint"])
        except (ValueError, TypeError, KeyError):
            raise InvalidInputError("export_path: the last line of %s is not a record this module wrote, so it cannot tell"
                                    " which records are new; give another file, or export_mode=replace" % self.path) from None

    def resume_point(self):
        """(record id, fingerprint) of the last record the file holds, in append mode."""
        return self._resume

    def change(self, records):
        lines = "".join(json.dumps(dict(record, device=self.device), sort_keys=True) + "\n" for record in records)
        if lines and self.append and self.existing and not self.existing.endswith("\n"):
            lines = "\n" + lines
        content = (self.existing or "") + lines if self.append else lines
        if (content == self.existing and self._current_mode() == self.mode) or (self.existing is None and not records):
            self.pending = None
        else:
            self.pending = {"action": "export", "content": content, "lines": lines, "records": len(records)}
        return self.pending

    def summary(self, change):
        if change["content"] == self.existing:
            return "set mode %04o on %s" % (self.mode, self.path)
        if self.append:
            return "append %d records to %s" % (change["records"], self.path)
        return "write %d records to %s" % (change["records"], self.path)

    def write(self, change):
        try:
            if self.append and self.existing is not None:
                self._append(change["lines"])
            else:
                self._replace(change["content"])
        except OSError as error:
            raise InvalidInputError("export_path: %s could not be written (%s)" % (self.path, error)) from None

    def _append(self, lines):
        # Appended in place, not replaced: log shippers follow the file by its inode and would read a new one from the start.
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(lines)
        if self._current_mode() != self.mode:
            os.chmod(self.path, self.mode)

    def _replace(self, content):
        directory = os.path.dirname(os.path.abspath(self.path))
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".amt_audit_log.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), self.mode)
                handle.write(content)
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise

    def written(self, change):
        return self._content() == change["content"] and self._current_mode() == self.mode

    def diff(self):
        """The file's lines added (append) or its whole content before and after (replace), for --diff."""
        if self.pending is None:
            return None
        if self.append:
            return {"before_header": self.path, "after_header": self.path + " (lines appended)", "before": "",
                    "after": self.pending["lines"]}
        return {"before_header": self.path, "after_header": self.path, "before": self.existing or "", "after": self.pending["content"]}


def _warnings(module, unit):
    state = unit.state
    for record in state["records"]:
        if record["alert"]:
            module.warn("audit log record %d: %s at %s by %s%s" % (
                record["record_id"], record["event"], record["time"], record["user"] or record["initiator"],
                " from %s" % record["address"] if record["address"] else ""))
    if state["gap"]:
        module.warn("records may be missing: the log no longer holds the record this read continues from (it was cleared"
                    " or rolled over since)")
    if state["auditing"] == audit_log.DISABLED:
        module.warn("auditing is disabled on the device: it records nothing until amt_audit_policy enables it")


def _session(module):
    """The run's client, its device's identity confirmed: in the admin's session when admin_password is given."""
    params = module.params
    if params["admin_password"] is not None:
        module.confirm_identity(params["admin_username"], params["admin_password"])
    try:
        return module.client
    except NotPermittedError as error:
        if error.method != GET_UUID:
            raise
        raise NotPermittedError(audit_log.uuid_unreadable(params["username"], error), class_name=error.class_name, method=GET_UUID,
                                return_value=error.return_value, return_name=error.return_name) from None


def collect(module):
    params = module.params
    if params["admin_password"] is not None and params["expected_uuid"] is None:
        raise InvalidInputError("admin_password: is used only to check expected_uuid, which is not set; set it, or leave the"
                                " admin's credentials out")
    export = None
    if params["export_path"]:
        export = JsonLinesExport(params["export_path"], params["export_mode"] == APPEND, params["mode"], module.hostname)
    unit = audit_log.AuditLog(params, export)
    outcome = converge(unit, _session(module), module.check_mode)
    if unit.state is not None:
        records = unit.state["records"]
        outcome.extra.update(records=records, alerts=[record for record in records if record["alert"]], gap=unit.state["gap"],
                             cleared_records=unit.cleared_records)
        file_diff = export.diff() if export is not None else None
        if file_diff is not None and outcome.diff is not None:
            outcome.diff = [outcome.diff, file_diff]
        _warnings(module, unit)
    module.finish(outcome)


def main():
    module = AmtModule(
        amt_argument_spec(
            state={"type": "str", "choices": [audit_log.READ, audit_log.CLEARED], "default": audit_log.READ},
            start_record={"type": "int"},
            since={"type": "str"},
            export_path={"type": "path"},
            export_mode={"type": "str", "choices": [APPEND, REPLACE], "default": APPEND},
            mode={"type": "str", "default": "0600"},
            admin_username={"type": "str", "default": "admin"},
            admin_password={"type": "str", "no_log": True},
        ),
        supports_check_mode=True,
    )
    module.run(collect)


if __name__ == "__main__":
    main()
