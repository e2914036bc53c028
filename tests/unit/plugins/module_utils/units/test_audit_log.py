# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decoding audit log records, reading them page by page, finding where a reader stopped, and the unit's plan."""

from __future__ import annotations

import base64
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.oob.amt.plugins.module_utils.units import audit_log
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AmtError, DeviceError, InvalidInputError, NotPermittedError

# Records captured from a device (go-wsman-messages pkg/wsman/wsmantesting/responses/amt/auditlog/readrecords.xml):
# firmware updated, by the local host, on a clock never set (2004), from 12.0.40.1433 to 12.0.36.1428.
CAPTURED = ["ABMAAAI/9M1uAgAQAAwAAAAoBZkADAAAACQFlA==", "ABMAAAI/9M1vAgAQAAwAAAAoBZkADAAAACQFlA=="]
SID = bytes([1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x50, 0x04, 0, 0])
NOON = 1796126400  # 2026-12-01T12:00:00Z


def record(app, event, user=None, seconds=NOON, address="", extended=b"", sid=None, initiator=None):
    """A record in the firmware's layout (docs/amt-reference.md 6.1)."""
    if sid is not None:
        who = struct.pack(">BIB", 1, 1, len(sid)) + sid
    elif user is not None:
        who = struct.pack(">BB", 0, len(user)) + user.encode()
    else:
        who = struct.pack(">B", 2 if initiator is None else initiator)
    return (struct.pack(">HH", app, event) + who + struct.pack(">IBB", seconds, 0 if address else 2, len(address))
            + address.encode() + struct.pack(">B", len(extended)) + extended)


def text(raw):
    return base64.b64encode(raw).decode()


def test_captured_records_decode_with_their_event_data():
    decoded = audit_log.decode_text(CAPTURED[0], 7)
    assert decoded == {
        "record_id": 7, "fingerprint": decoded["fingerprint"], "time": "2004-01-02T01:46:22Z",
        "application": "firmware_update_manager", "event": "firmware_updated", "application_id": 19, "event_id": 0,
        "initiator": "local", "user": None, "address": None,
        "data": {"old_version": "12.0.40.1433", "new_version": "12.0.36.1428"},
        "extended_data": "AAwAAAAoBZkADAAAACQFlA==", "alert": False,
    }
    assert audit_log.decode_text(CAPTURED[1], 8)["time"] == "2004-01-02T01:46:23Z"
    assert decoded["fingerprint"] != audit_log.decode_text(CAPTURED[1], 8)["fingerprint"]


def test_who_is_the_digest_user_or_the_kerberos_sid_and_where_the_address():
    by_user = audit_log.decode_record(record(20, 0, user="auditor", address="192.0.2.7"), 1)
    assert (by_user["initiator"], by_user["user"], by_user["address"], by_user["time"]) == ("digest", "auditor", "192.0.2.7", "2026-12-01T12:00:00Z")
    by_sid = audit_log.decode_record(record(17, 0, sid=SID, address="0000:0000:0000:0000:0000:0000:0000:0001"), 2)
    assert (by_sid["initiator"], by_sid["user"], by_sid["address"]) == ("kerberos", "S-1-5-21-1-2-3-1104", "::1")
    assert audit_log.decode_record(record(18, 8, initiator=3), 3)["initiator"] == "kvm_default_port"


def test_log_cleared_and_log_disabled_are_alerts_and_nothing_else_is():
    alerts = [(app, event) for app in range(16, 34) for event in range(20)
              if audit_log.decode_record(record(app, event), 1)["alert"]]
    assert alerts == [(20, 0), (20, 2)]


def test_names_come_from_the_audit_policy_and_unknown_numbers_stay_visible():
    assert audit_log.event_names((16, 19)) == ("security_admin", "unprovisioning_started")
    assert audit_log.event_names((33, 2)) == ("watchdog", "watchdog_action_pairing_changed")
    assert audit_log.event_names((16, 40)) == ("security_admin", "event_40")
    assert audit_log.event_names((31, 0)) == ("app_31", "event_0")


@pytest.mark.parametrize("code, extended, data", [
    ((16, 1), b"\x05", {"provisioning_method": "host_based_acm"}),
    ((16, 2), b"\x00\x07auditor", {"account": "auditor"}),
    ((16, 3), b"\x06\x00\x05alice", {"modified": ["password", "local_realms"], "account": "alice"}),
    ((16, 4), b"\x01" + bytes([len(SID)]) + SID, {"account": "S-1-5-21-1-2-3-1104"}),
    ((16, 5), b"\x01", {"interface": "mebx"}),
    ((16, 6), b"\x00\x00\x03bob", {"enabled": False, "account": "bob"}),
    ((16, 7), b"\x01\x02", {"remote": "server_auth", "local": "mutual_auth"}),
    ((16, 17), b"\x00\x00\x00\x14\x01", {"realm": "Audit Log", "mode": "auth"}),
    ((16, 19), b"\x04", {"initiator": "remote_wsman"}),
    ((16, 19), b"\x09", {"initiator": 9}),
    ((20, 5), b"\x02", {"reason": "initialization_failure"}),
    ((21, 0), struct.pack(">I", NOON), {"time": "2026-12-01T12:00:00Z"}),
    ((22, 1), b"\x04pc17", {"host_name": "pc17"}),
    ((30, 0), b"\x00\xff", {"previous_policy": "none", "current_policy": "all"}),
    ((30, 1), b"\x01", {"status": "failed_3_times"}),
    # No known layout, too short, or bytes left over: the data stays raw only.
    ((18, 8), b"\x01", None),
    ((16, 7), b"\x01", None),
    ((16, 19), b"\x04\x00", None),
    ((16, 2), b"\x00\x09short", None),
])
def test_event_data_is_decoded_where_the_layout_is_known(code, extended, data):
    decoded = audit_log.decode_record(record(code[0], code[1], extended=extended), 1)
    assert decoded["data"] == data
    assert base64.b64decode(decoded["extended_data"]) == extended


@pytest.mark.parametrize("raw, what", [
    (b"\x00\x14\x00", "end inside the event id"),
    (b"\x00\x14\x00\x00\x00\x09ab", "end inside the user name"),
    (b"\x00\x14\x00\x00\x07", "unknown initiator type 7"),
    (record(20, 0)[:-1], "end inside the extended data length"),
    (record(20, 0, extended=b"abc")[:-1], "end inside the extended data (byte"),
    (record(20, 0) + b"\x00\x00", "2 bytes follow the extended data"),
])
def test_malformed_records_are_device_errors_naming_the_record_and_the_fault(raw, what):
    with pytest.raises(DeviceError, match=r"^audit log record 12 could not be decoded: .*%s" % what.replace("(", r"\(")) as raised:
        audit_log.decode_text(text(raw), 12)
    assert raised.value.class_name == "AMT_AuditLog" and raised.value.method == "ReadRecords"


def test_text_that_is_not_base64_is_a_device_error():
    with pytest.raises(DeviceError, match="record 3 could not be decoded"):
        audit_log.decode_text("not base64!", 3)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_end_as_a_device_error(raw):
    try:
        decoded = audit_log.decode_text(text(raw), 1)
    except DeviceError as error:
        assert "audit log record 1 could not be decoded" in str(error)
        return
    assert decoded["fingerprint"] == audit_log.fingerprint(raw)
    assert raw.endswith(base64.b64decode(decoded["extended_data"]))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_records_decode_or_end_as_a_device_error(data):
    raw = record(16, 3, user="admin", address="10.0.0.1", extended=b"\x02\x00\x05alice")
    damaged = bytearray(raw[:data.draw(st.integers(0, len(raw)))])
    for _change in range(data.draw(st.integers(0, 3))):
        if damaged:
            damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    try:
        decoded = audit_log.decode_text(text(bytes(damaged)), 9)
    except DeviceError as error:
        assert str(error).startswith("audit log record 9 could not be decoded: ")
        return
    assert decoded["data"] is None or isinstance(decoded["data"], dict)


@settings(max_examples=200, deadline=None)
@given(app=st.integers(0, 0xFFFF), event=st.integers(0, 0xFFFF), user=st.one_of(st.none(), st.text("abcdefgh$_-.", max_size=32)),
       seconds=st.integers(0, 0xFFFFFFFF), extended=st.binary(max_size=255), address=st.sampled_from(["", "10.1.2.3", "2001:db8::5"]))
def test_well_formed_records_decode_to_what_they_hold(app, event, user, seconds, extended, address):
    decoded = audit_log.decode_record(record(app, event, user=user, seconds=seconds, address=address, extended=extended), 4)
    assert (decoded["application_id"], decoded["event_id"], decoded["user"]) == (app, event, user)
    assert decoded["address"] == (address or None)
    assert decoded["time"] == audit_log.utc_time(seconds)
    assert base64.b64decode(decoded["extended_data"]) == extended


# --- reading from a device ---------------------------------------------------------------------------------------------


class FakeLog:
    """AMT_AuditLog as a client sees it: ReadRecords pages of `page` records, ClearLog, Get."""

    def __init__(self, raws, page=10, audit_state=16, answer=None):
        self.raws = list(raws)
        self.page = page
        self.audit_state = audit_state
        self.answer = answer
        self.calls = []

    def get(self, class_name, selectors=None):
        return {"AuditState": str(self.audit_state)}

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        self.calls.append((method, dict(inputs or [])))
        if method == "ReadRecords":
            start = dict(inputs)["StartIndex"]
            if self.answer is not None:
                return self.answer(start)
            if not 1 <= start <= len(self.raws):
                return {"ReturnValue": 35, "TotalRecordCount": str(len(self.raws)), "RecordsReturned": "0"}
            chunk = [text(raw) for raw in self.raws[start - 1:start - 1 + self.page]]
            return {"ReturnValue": 0, "TotalRecordCount": str(len(self.raws)), "RecordsReturned": str(len(chunk)),
                    "EventRecords": chunk[0] if len(chunk) == 1 else chunk}
        raise AssertionError(method)


def numbered(count, first=0):
    return [record(17, 0, seconds=NOON + index) for index in range(first, first + count)]


def test_records_are_read_page_by_page_with_their_ids():
    log = FakeLog(numbered(25))
    total, records = audit_log.read_records(log)
    assert total == 25 and [r["record_id"] for r in records] == list(range(1, 26))
    assert [inputs["StartIndex"] for _method, inputs in log.calls] == [1, 11, 21]
    assert audit_log.read_records(log, 21)[1][0]["record_id"] == 21
    assert audit_log.read_records(FakeLog(numbered(1)))[1][0]["time"] == "2026-12-01T12:00:00Z"


def test_an_empty_log_and_a_start_past_the_end_give_no_records():
    assert audit_log.read_records(FakeLog([])) == (0, [])
    assert audit_log.read_records(FakeLog(numbered(3)), 4) == (3, [])


@pytest.mark.parametrize("answer, error, match", [
    ({"ReturnValue": 16}, NotPermittedError, "returned 16 \\(PT_STATUS_NOT_PERMITTED\\)"),
    ({"ReturnValue": 2}, DeviceError, "returned 2 \\(PT_STATUS_NOT_READY\\)"),
    ({"ReturnValue": 0, "TotalRecordCount": "5", "RecordsReturned": "2", "EventRecords": CAPTURED[0]}, DeviceError, "RecordsReturned 2 with 1 records"),
    ({"ReturnValue": 0, "TotalRecordCount": "0", "RecordsReturned": "1", "EventRecords": CAPTURED[0]}, DeviceError, "TotalRecordCount 0"),
    ({"ReturnValue": 0, "TotalRecordCount": "99999999", "RecordsReturned": "1", "EventRecords": CAPTURED[0]}, DeviceError, "TotalRecordCount 99999999"),
    ({"ReturnValue": 0, "TotalRecordCount": "many", "RecordsReturned": "1"}, DeviceError, "'many'"),
])
def test_answers_that_do_not_add_up_are_device_errors(answer, error, match):
    with pytest.raises(error, match=match):
        audit_log.read_records(FakeLog([], answer=lambda start: dict(answer)))


def test_a_reader_continues_after_its_last_record_even_when_the_log_rolled_over():
    raws = numbered(30)
    last = audit_log.decode_record(raws[19], 20)
    total, new, found = audit_log.records_after(FakeLog(raws), 20, last["fingerprint"])
    assert (total, found, [r["record_id"] for r in new]) == (30, True, list(range(21, 31)))
    rolled = raws[5:] + numbered(5, first=30)  # five oldest gone, five new: record 20 is now 15
    total, new, found = audit_log.records_after(FakeLog(rolled), 20, last["fingerprint"])
    assert (found, [r["record_id"] for r in new][:1], len(new)) == (True, [16], 15)
    total, new, found = audit_log.records_after(FakeLog([record(20, 0, user="auditor")]), 20, last["fingerprint"])
    assert (found, [r["event"] for r in new]) == (False, ["log_cleared"])


# --- the unit ----------------------------------------------------------------------------------------------------------


def test_options_are_checked_before_anything_is_sent():
    with pytest.raises(InvalidInputError, match="^start_record: record ids start at 1"):
        audit_log.AuditLog({"start_record": 0})
    with pytest.raises(InvalidInputError, match="^since: give a time in ISO 8601"):
        audit_log.AuditLog({"since": "yesterday"})
    with pytest.raises(InvalidInputError, match="^state: must be read or cleared"):
        audit_log.AuditLog({"state": "absent"})
    assert audit_log.parse_since("2026-12-01") == "2026-12-01T00:00:00Z"
    assert audit_log.parse_since("2026-12-01T13:00:00+01:00") == "2026-12-01T12:00:00Z"
    assert audit_log.parse_since("2026-12-01T12:00:00Z") == "2026-12-01T12:00:00Z"


def test_reading_selects_by_start_and_time_and_reports_a_start_past_the_end():
    log = FakeLog(numbered(12))
    unit = audit_log.AuditLog({"start_record": 3, "since": "2026-12-01T12:00:05Z"})
    state = unit.read(log)
    assert [r["record_id"] for r in state["records"]] == [6, 7, 8, 9, 10, 11, 12]
    assert unit.describe(state) == {"auditing": "enabled", "total_records": 12, "next_record": 13}
    assert unit.plan(state) == [] and state["gap"] is False
    assert audit_log.AuditLog({"start_record": 14}).read(log)["gap"] is True
    assert audit_log.AuditLog({}).read(FakeLog([], audit_state=17))["auditing"] == "disabled"


def test_clearing_is_planned_unless_the_log_holds_only_its_last_clearing():
    unit = audit_log.AuditLog({"state": "cleared", "start_record": 5})
    state = unit.read(FakeLog(numbered(12)))
    assert unit.plan(state) == [{"action": "clear", "records": 12}] and unit.cleared_records == 12
    assert unit.describe(unit.after(state, unit.plan(state))) == {"auditing": "enabled", "total_records": 1, "next_record": 2}
    for raws in ([], [record(20, 0, user="auditor")]):
        assert audit_log.AuditLog({"state": "cleared"}).plan(audit_log.AuditLog({"state": "cleared"}).read(FakeLog(raws))) == []


def test_a_refused_read_names_the_realms_that_may_read():
    class Refusing(FakeLog):
        def get(self, class_name, selectors=None):
            raise NotPermittedError("AMT_AuditLog Get: access denied", class_name=class_name, fault="AccessDenied")
    with pytest.raises(NotPermittedError, match="access denied: reading the audit log needs the admin, the Auditor, or .*General Info"):
        audit_log.AuditLog({}).read(Refusing([]))


def test_a_refused_clear_names_the_realm_it_needs():
    class Refusing(FakeLog):
        def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
            raise NotPermittedError("AMT_AuditLog.ClearLog returned 16 (PT_STATUS_NOT_PERMITTED)", class_name=class_name, method=method,
                                    return_value=16, return_name="PT_STATUS_NOT_PERMITTED")
    with pytest.raises(AmtError, match="returned 16.*only the account holding the Audit Log realm may clear"):
        audit_log.clear(Refusing([]))
