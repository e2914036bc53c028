# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Access Monitor's records (docs/amt-reference.md 6.1, 6.3): reading them with AMT_AuditLog.ReadRecords, decoding them,
and clearing the log with ClearLog.

A record is big-endian bytes: AuditAppID u16, EventID u16, InitiatorType u8 and the initiator (0 HTTP Digest: u8
length + user name; 1 Kerberos: u32 domain flag, u8 length + SID; 2 local; 3 KVM default port), TimeStamp u32
(seconds since 1970, UTC), MCLocationType u8, NetAddress (u8 length + text), ExtendedData (u8 length + bytes).
A record's id is its position in the log, 1 being the oldest: ids move down when the firmware rolls the oldest out.
Each decoded record carries a fingerprint of its bytes, so that a reader can find where it stopped even then.

Reading needs an account the firmware lets read the log (the admin, the Auditor, General Info); clearing needs the
Audit Log realm: the Auditor's, or the admin's while no Auditor exists.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import ipaddress
import struct

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.units.accounts import sid_text
from ansible_collections.oob.amt.plugins.module_utils.units.audit_policy import (
    APPLICATIONS,
    AUDIT_STATE_DISABLED,
    DISABLED,
    ENABLED,
    EVENT_CODES,
    EVENT_NAMES,
    WATCHDOG,
    check_rights,
)
from ansible_collections.oob.amt.plugins.module_utils.units.base import Unit
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, InvalidInputError, NotPermittedError

READ_RECORDS = "ReadRecords"
CLEAR_LOG = "ClearLog"
# More records than any firmware keeps (the capacity is not published): a device claiming more is not believed.
MAX_RECORDS = 65536

LOG_CLEARED = EVENT_CODES[("security_audit_log", "log_cleared")]
LOG_DISABLED = EVENT_CODES[("security_audit_log", "log_disabled")]
# The events a SIEM must see: someone removed the evidence, or stopped recording it.
ALERT_EVENTS = frozenset([LOG_CLEARED, LOG_DISABLED])

INITIATORS = {0: "digest", 1: "kerberos", 2: "local", 3: "kvm_default_port"}
_INITIATOR_DIGEST, _INITIATOR_KERBEROS = 0, 1
_FINGERPRINT_HEX = 32

APPLICATION_NAMES = dict((app_id, name) for name, (app_id, _events) in APPLICATIONS.items())
APPLICATION_NAMES[WATCHDOG[1]] = WATCHDOG[0]

READ_NEEDS = "reading the audit log needs the admin, the Auditor, or an account with the General Info realm"
CLEAR_NEEDS_AUDITOR = ("only the account holding the Audit Log realm may clear the audit log: the Auditor, or the admin"
                       " while no Auditor exists; connect with the auditor's username and password")


def uuid_unreadable(username, error):
    """Why expected_uuid cannot be checked in the session of username, whom the device refused the UUID (error)."""
    return ("expected_uuid: the account %r may not read the device's UUID (%s; AMT refuses it to every account without the"
            " admin's realm, the Auditor included), so the device's identity cannot be checked in its session; give"
            " admin_username and admin_password to check it in an admin session of its own, or leave expected_uuid out;"
            " the audit log was neither read nor cleared" % (username, error))


class MalformedRecord(ValueError):
    """A record whose bytes do not follow the layout; the reader turns it into a DeviceError naming the record."""


class _Bytes:
    """A cursor over one record's bytes that says what it was reading when the bytes ran out."""

    def __init__(self, raw):
        self.raw = raw
        self.offset = 0

    def take(self, count, what):
        end = self.offset + count
        if end > len(self.raw):
            raise MalformedRecord("%d bytes end inside %s (byte %d, needs %d more)" % (
                len(self.raw), what, self.offset, end - len(self.raw)))
        chunk = self.raw[self.offset:end]
        self.offset = end
        return chunk

    def number(self, fmt, what):
        return struct.unpack(">" + fmt, self.take(struct.calcsize(">" + fmt), what))[0]

    def counted(self, what):
        return self.take(self.number("B", what + " length"), what)


def _text(raw):
    return raw.decode("utf-8", "backslashreplace")


def utc_time(seconds):
    """ISO 8601 UTC text of seconds since 1970."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _address(raw):
    """The caller's address as the firmware wrote it, IPv6 in its short form; None when the record has none."""
    text = _text(raw).strip("\x00 ")
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


# --- the event's own data (docs/amt-reference.md 6.3; layouts as MeshCommander and go-wsman-messages read them) ----------------

_TLS_AUTH = ("no_auth", "server_auth", "mutual_auth")
_REALM_AUTH_MODE = ("no_auth", "auth", "disabled")
_UNPROVISION_INITIATORS = ("bios", "mebx", "local_mei", "local_wsman", "remote_wsman")
_PROVISIONING_METHODS = {2: "remote_configuration", 3: "manual_mebx", 5: "host_based_acm"}
_RECOVERY_REASONS = ("unknown", "migration_failure", "initialization_failure")
# Event 30/0: MeshCommander reads 2 as all, go-wsman-messages 255 (docs/amt-reference.md 6.3): both are named.
_OPT_IN_POLICIES = {0: "none", 1: "kvm", 2: "all", 255: "all"}
_CONSENT_STATUS = ("success", "failed_3_times")
_ACL_PARAMETERS = ((0x01, "username"), (0x02, "password"), (0x04, "local_realms"), (0x08, "remote_realms"),
                   (0x10, "kerberos_domain"), (0x20, "sid"))


def _named(table, value):
    if isinstance(table, dict):
        return table.get(value, value)
    return table[value] if value < len(table) else value


def _acl_account(data):
    kind = data.number("B", "account type")
    name = data.counted("account name")
    return {"account": _text(name) if kind == _INITIATOR_DIGEST else sid_text(name)}


def _acl_modified(data):
    flags = data.number("B", "modified parameters")
    decoded = {"modified": [name for bit, name in _ACL_PARAMETERS if flags & bit]}
    decoded.update(_acl_account(data))
    return decoded


def _acl_state(data):
    enabled = data.number("B", "entry state")
    decoded = {"enabled": bool(enabled)}
    decoded.update(_acl_account(data))
    return decoded


def _version(data):
    return ".".join(str(data.number("H", "firmware version")) for _part in range(4))


def _one(key, table):
    return lambda data: {key: _named(table, data.number("B", key))}


_EVENT_DATA = {
    (16, 1): _one("provisioning_method", _PROVISIONING_METHODS),
    (16, 2): _acl_account,
    (16, 3): _acl_modified,
    (16, 4): _acl_account,
    (16, 5): lambda data: {"interface": _named(("amt", "mebx"), data.number("B", "interface"))},
    (16, 6): _acl_state,
    (16, 7): lambda data: {"remote": _named(_TLS_AUTH, data.number("B", "remote")), "local": _named(_TLS_AUTH, data.number("B", "local"))},
    (16, 17): lambda data: {"realm": schema.enum_name(schema.REALMS, data.number("I", "realm")),
                            "mode": _named(_REALM_AUTH_MODE, data.number("B", "mode"))},
    (16, 19): _one("initiator", _UNPROVISION_INITIATORS),
    (19, 0): lambda data: {"old_version": _version(data), "new_version": _version(data)},
    (20, 5): _one("reason", _RECOVERY_REASONS),
    (21, 0): lambda data: {"time": utc_time(data.number("I", "time"))},
    (22, 1): lambda data: {"host_name": _text(data.counted("host name"))},
    (22, 2): lambda data: {"domain_name": _text(data.counted("domain name"))},
    (30, 0): lambda data: {"previous_policy": _named(_OPT_IN_POLICIES, data.number("B", "previous policy")),
                           "current_policy": _named(_OPT_IN_POLICIES, data.number("B", "current policy"))},
    (30, 1): _one("status", _CONSENT_STATUS),
}


def event_data(code, extended):
    """The event's data by name, for the events whose layout is known; None when unknown or when it does not fit."""
    decoder = _EVENT_DATA.get(code)
    if decoder is None or not extended:
        return None
    data = _Bytes(extended)
    try:
        decoded = decoder(data)
    except MalformedRecord:
        return None
    return decoded if data.offset == len(extended) else None


# --- records ---------------------------------------------------------------------------------------------------------


def fingerprint(raw):
    return hashlib.sha256(raw).hexdigest()[:_FINGERPRINT_HEX]


def event_names(code):
    """(application, event) names of an (AuditAppID, EventID); numbers spelled app_N / event_N when unknown."""
    if code in EVENT_NAMES:
        return EVENT_NAMES[code]
    return APPLICATION_NAMES.get(code[0], "app_%d" % code[0]), "event_%d" % code[1]


def decode_record(raw, record_id):
    """One record's fields by name; MalformedRecord says what does not follow the layout."""
    data = _Bytes(raw)
    code = (data.number("H", "the application id"), data.number("H", "the event id"))
    initiator_type = data.number("B", "the initiator type")
    if initiator_type not in INITIATORS:
        raise MalformedRecord("unknown initiator type %d" % initiator_type)
    user = None
    if initiator_type == _INITIATOR_DIGEST:
        user = _text(data.counted("the user name"))
    elif initiator_type == _INITIATOR_KERBEROS:
        data.take(4, "the Kerberos domain flag")
        user = sid_text(data.counted("the Kerberos SID"))
    seconds = data.number("I", "the time stamp")
    data.take(1, "the location type")
    address = _address(data.counted("the network address"))
    extended = data.counted("the extended data")
    if data.offset != len(raw):
        raise MalformedRecord("%d bytes follow the extended data" % (len(raw) - data.offset))
    application, event = event_names(code)
    return {
        "record_id": record_id,
        "fingerprint": fingerprint(raw),
        "time": utc_time(seconds),
        "application": application,
        "event": event,
        "application_id": code[0],
        "event_id": code[1],
        "initiator": INITIATORS[initiator_type],
        "user": user,
        "address": address,
        "data": event_data(code, extended),
        "extended_data": base64.b64encode(extended).decode("ascii"),
        "alert": code in ALERT_EVENTS,
    }


def decode_text(text, record_id):
    """A record as ReadRecords sends it (base64), decoded; DeviceError naming the record and what is wrong."""
    try:
        raw = base64.b64decode(str(text).strip(), validate=True)
        return decode_record(raw, record_id)
    except (binascii.Error, ValueError) as error:
        raise DeviceError("audit log record %d could not be decoded: %s" % (record_id, error),
                          class_name=schema.AMT_AUDIT_LOG, method=READ_RECORDS) from None


# --- the device ------------------------------------------------------------------------------------------------------


def _page(client, start):
    """(total records in the log, [record texts]) from start; an index past the end gives no records."""
    answer = client.invoke(schema.AMT_AUDIT_LOG, READ_RECORDS, [("StartIndex", start)], check=False, idempotent=True)
    code = answer["ReturnValue"]
    total = schema.as_int(answer.get("TotalRecordCount"))
    name = schema.return_code_name(schema.AMT_AUDIT_LOG, READ_RECORDS, code)
    if name == "PT_STATUS_INVALID_INDEX":
        return total or 0, []
    if code != schema.PT_STATUS_SUCCESS:
        error_class = NotPermittedError if code == schema.PT_STATUS_NOT_PERMITTED else DeviceError
        raise error_class("%s.%s returned %d (%s)" % (schema.AMT_AUDIT_LOG, READ_RECORDS, code, name),
                          class_name=schema.AMT_AUDIT_LOG, method=READ_RECORDS, return_value=code, return_name=name)
    texts = schema.as_list(answer.get("EventRecords"))
    returned = schema.as_int(answer.get("RecordsReturned"))
    if total is None or returned != len(texts) or not start - 1 + len(texts) <= total <= MAX_RECORDS:
        raise DeviceError("%s.%s answered TotalRecordCount %s and RecordsReturned %s with %d records from index %d" % (
            schema.AMT_AUDIT_LOG, READ_RECORDS, total, returned, len(texts), start), class_name=schema.AMT_AUDIT_LOG, method=READ_RECORDS)
    return total, texts


def read_records(client, start=1):
    """(total records in the log, the decoded records from id start to the end)."""
    records = []
    total, texts = _page(client, start)
    while texts:
        records.extend([decode_text(text, start + len(records) + index) for index, text in enumerate(texts)])
        if start + len(records) > total:
            break
        total, texts = _page(client, start + len(records))
    return total, records


def records_after(client, record_id, record_fingerprint):
    """(total, the records logged after the one given, whether it was found): found where it was, else looked for in
    the whole log (the firmware rolled older records out); not found, every record is new and some may be lost."""
    total, records = read_records(client, record_id)
    if records and records[0]["fingerprint"] == record_fingerprint:
        return total, records[1:], True
    total, records = read_records(client, 1)
    for index in range(len(records) - 1, -1, -1):
        if records[index]["fingerprint"] == record_fingerprint:
            return total, records[index + 1:], True
    return total, records, False


def explained(error, advice):
    """A NotPermittedError that says which rights the operation needs."""
    return NotPermittedError("%s: %s" % (error, advice), class_name=error.class_name, method=error.method,
                             return_value=error.return_value, return_name=error.return_name, fault=error.fault)


def check_clear_rights(client, username):
    """Refuse, before sending ClearLog, the admin's login on a device whose log belongs to an Auditor."""
    try:
        check_rights(client, username)
    except NotPermittedError as error:
        raise NotPermittedError(CLEAR_NEEDS_AUDITOR, class_name=schema.AMT_AUDIT_LOG, method=CLEAR_LOG,
                                return_value=error.return_value, return_name=error.return_name) from None


def clear(client):
    """ClearLog; a refusal names the realm it needs."""
    try:
        client.invoke(schema.AMT_AUDIT_LOG, CLEAR_LOG)
    except NotPermittedError as error:
        raise explained(error, CLEAR_NEEDS_AUDITOR) from None


def first_record(client):
    """The oldest record, None when the log is empty."""
    _total, texts = _page(client, 1)
    return decode_text(texts[0], 1) if texts else None


def cleared(client):
    """Whether the log now starts with the log_cleared event, as it does right after ClearLog."""
    first = first_record(client)
    return first is not None and (first["application_id"], first["event_id"]) == LOG_CLEARED


# --- the unit --------------------------------------------------------------------------------------------------------

READ, CLEARED = "read", "cleared"


def parse_since(text):
    """since as the records spell time (ISO 8601 UTC); a time without a zone is taken as UTC."""
    spelled = str(text).strip()
    if spelled[-1:] in ("Z", "z"):
        spelled = spelled[:-1] + "+00:00"  # fromisoformat reads Z only from Python 3.11
    try:
        moment = datetime.datetime.fromisoformat(spelled)
    except ValueError:
        raise InvalidInputError("since: give a time in ISO 8601, for example 2026-12-01T00:00:00Z or 2026-12-01 (got %r)" % text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _only_cleared(state):
    """Nothing to clear: the log is empty or holds only the record of its last clearing."""
    first = state["first"]
    return state["total"] == 0 or (state["total"] == 1 and first is not None and (first["application_id"], first["event_id"]) == LOG_CLEARED)


class AuditLog(Unit):
    """The audit log's records: the ones the task selects (from start_record, since a time, or after the last one an
    export file holds), exported by an export object the module gives, and the log cleared when state is cleared.

    export (optional) offers resume_point(), change(records) (None when the file already holds them), summary(change),
    write(change) and written(change): the module's file on the controller.
    """

    name = "audit_log"

    def __init__(self, options, export=None):
        self.export = export
        self.state = None
        self.cleared_records = 0
        super().__init__(options or {})

    def validate(self, options):
        state = options.get("state") or READ
        if state not in (READ, CLEARED):
            raise InvalidInputError("state: must be read or cleared")
        start = options.get("start_record")
        if start is not None and start < 1:
            raise InvalidInputError("start_record: record ids start at 1, the oldest record (got %d)" % start)
        since = options.get("since")
        self.username = options.get("username")
        return {"state": state, "start": start or 1, "since": None if since is None else parse_since(since)}

    def read(self, client):
        try:
            log = client.get(schema.AMT_AUDIT_LOG)
        except NotPermittedError as error:
            raise explained(error, READ_NEEDS) from None
        auditing = DISABLED if (schema.as_int(log.get("AuditState")) or 0) & AUDIT_STATE_DISABLED else ENABLED
        start, since = self.want["start"], self.want["since"]
        resume = self.export.resume_point() if self.export is not None else None
        if resume is None:
            total, records = read_records(client, start)
            gap = start > total + 1
        else:
            total, records, found = records_after(client, resume[0], resume[1])
            gap = not found
        selected = [record for record in records if record["record_id"] >= start and (since is None or record["time"] >= since)]
        first = None
        if self.want["state"] == CLEARED and total:
            first = records[0] if records and records[0]["record_id"] == 1 else first_record(client)
        self.state = {"auditing": auditing, "total": total, "records": selected, "gap": gap, "first": first}
        return self.state

    def describe(self, state):
        return {"auditing": state["auditing"], "total_records": state["total"], "next_record": state["total"] + 1}

    def plan(self, state):
        changes = []
        if self.export is not None:
            export = self.export.change(state["records"])
            if export is not None:
                changes.append(export)
        if self.want["state"] == CLEARED and not _only_cleared(state):
            changes.append({"action": "clear", "records": state["total"]})
            self.cleared_records = state["total"]
        return changes

    def after(self, state, changes):
        after = dict(state)
        if any(change["action"] == "clear" for change in changes):
            after["total"] = 1  # the log_cleared record the firmware writes
        return after

    def preflight(self, client, state, changes):
        if any(change["action"] == "clear" for change in changes):
            check_clear_rights(client, self.username)

    def summary(self, change):
        if change["action"] == "clear":
            return "clear the audit log (%d records)" % change["records"]
        return self.export.summary(change)

    def send(self, client, state, change):
        if change["action"] == "clear":
            clear(client)
        else:
            self.export.write(change)

    def landed(self, client, change):
        if change["action"] == "clear":
            return cleared(client)
        return self.export.written(change)
