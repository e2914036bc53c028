"""AMT_AuditLog and AMT_AuditPolicyRule: the Access Monitor (docs/amt-reference.md 6)."""
from __future__ import annotations

import base64
import datetime
import time

from amtsim.model import audit_records as events
from amtsim.model.codes import DUPLICATE, INVALID_HANDLE, INVALID_INDEX, INVALID_PARAMETER, NOT_PERMITTED, SUCCESS
from amtsim.model.component import Component, bool_input, int_input, list_input, result
from amtsim.types import Datetime, Instance

# Our firmware's record capacity (the real one is not published; MaxNumberOfRecords reads 0 in the capture).
CAPACITY = 400
RECORDS_PER_READ = 10
MAX_LOCK_SECONDS = 300

STORAGE_NO_ROLLOVER, STORAGE_ROLLOVER, STORAGE_RESTRICTED_ROLLOVER = 0, 1, 2
OVERWRITE_POLICY = {STORAGE_NO_ROLLOVER: 7, STORAGE_ROLLOVER: 2, STORAGE_RESTRICTED_ROLLOVER: 32768}

STATE_DISABLED, STATE_LOCKED, STATE_ALMOST_FULL, STATE_FULL, STATE_NO_SIGNING_KEY = 0x01, 0x02, 0x04, 0x08, 0x10

LOCK, UNPROVISIONING_LOCK, UNLOCK = 0, 1, 2


def _cim_datetime(timestamp: float) -> Datetime:
    return Datetime(datetime.datetime.fromtimestamp(int(timestamp), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))


class AuditLog(Component):
    INSTANCES = {"AMT_AuditLog": "_log_instances", "AMT_AuditPolicyRule": "_policy_instances"}
    METHODS = {
        ("AMT_AuditLog", "ReadRecords"): "_read_records",
        ("AMT_AuditLog", "ClearLog"): "_clear_log",
        ("AMT_AuditLog", "RequestStateChange"): "_request_state_change",
        ("AMT_AuditLog", "SetAuditLock"): "_set_audit_lock",
        ("AMT_AuditLog", "SetStoragePolicy"): "_set_storage_policy",
        ("AMT_AuditPolicyRule", "SetAuditPolicy"): "_set_audit_policy",
        ("AMT_AuditPolicyRule", "SetAuditPolicyBulk"): "_set_audit_policy_bulk",
    }
    STATE_FIELDS = ("records", "enabled", "storage_policy", "min_days_to_keep", "policy", "lock_handle",
                    "locked_until", "next_lock_handle", "unprovisioning_allowed_until")

    def reset(self) -> None:
        self.records = []  # base64 of each record, oldest first
        self.enabled = True
        self.storage_policy = STORAGE_ROLLOVER
        self.min_days_to_keep = 0
        self.policy = events.default_policy()
        self.lock_handle = 0
        self.locked_until = 0.0
        self.next_lock_handle = 1
        self.unprovisioning_allowed_until = 0.0

    # --- recording ----------------------------------------------------------------------------------------
    def log(self, event: tuple, caller=None, extended: bytes = b"") -> None:
        """Append a record when the policy (or the event's criticality) says so; ``caller`` None = local host."""
        app, event_id = event
        if event not in events.ALWAYS_LOGGED and (not self.enabled or f"{app}:{event_id}" not in self.policy):
            return
        now = self.device.clock.now()  # the firmware stamps records with its own clock, whatever a console set it to
        if len(self.records) >= CAPACITY and not self._make_room(now):
            return
        username = None if caller is None else caller.username
        self.records.append(base64.b64encode(events.encode_record(app, event_id, username, now, extended)).decode())
        self.changed()

    def _make_room(self, now: int) -> bool:
        if self.storage_policy == STORAGE_NO_ROLLOVER:
            return False
        if self.storage_policy == STORAGE_RESTRICTED_ROLLOVER:
            oldest = events.decode_record(base64.b64decode(self.records[0]))["timestamp"]
            if now - oldest < self.min_days_to_keep * 86400:
                return False
        del self.records[0]
        return True

    def decoded_records(self) -> list:
        return [events.decode_record(base64.b64decode(record)) for record in self.records]

    # --- rights -------------------------------------------------------------------------------------------
    def _controls(self, caller) -> bool:
        return self.device.accounts.audit_realm() in caller.realms

    def unprovisioning_released(self) -> bool:
        return time.time() < self.unprovisioning_allowed_until

    # --- instances ----------------------------------------------------------------------------------------
    def _audit_state(self) -> int:
        state = STATE_NO_SIGNING_KEY
        if not self.enabled:
            state |= STATE_DISABLED
        if time.time() < self.locked_until:
            state |= STATE_LOCKED
        if len(self.records) >= CAPACITY:
            state |= STATE_FULL
        elif len(self.records) * 100 >= CAPACITY * 85:
            state |= STATE_ALMOST_FULL
        return state

    def _log_instances(self, caller) -> list:
        props = {
            "AuditState": self._audit_state(),
            "CurrentNumberOfRecords": len(self.records),
            "ElementName": "Intel(r) AMT Audit Log",
            "EnabledState": 2 if self.enabled else 3,
            "MaxAllowedAuditors": 1,
            "MaxNumberOfRecords": 0,
            "MinDaysToKeep": self.min_days_to_keep if self.storage_policy == STORAGE_RESTRICTED_ROLLOVER else None,
            "Name": "Intel(r) AMT:Audit Log",
            "OverwritePolicy": OVERWRITE_POLICY[self.storage_policy],
            "PercentageFree": 100 - (len(self.records) * 100) // CAPACITY,
            "RequestedState": 2 if self.enabled else 3,
            "StoragePolicy": self.storage_policy,
        }
        if self.records:
            props["TimeOfLastRecord"] = _cim_datetime(events.decode_record(base64.b64decode(self.records[-1]))["timestamp"])
        return [Instance("AMT_AuditLog", props)]

    def _policy_instances(self, caller) -> list:
        enabled = sorted(tuple(int(part) for part in key.split(":")) for key in self.policy)
        return [Instance("AMT_AuditPolicyRule", {
            # The SDK text speaks of "8 most significant bits", but Intel's own captured rule carries 16/0 as
            # 1048576, i.e. the application ID sits in the upper 16 bits.
            "AuditApplicationEventID": [(app << 16) | event for app, event in enabled],
            "CreationClassName": "AMT_AuditPolicyRule",
            "ElementName": "Intel(r) AMT Audit Policy Rule",
            "PolicyRuleName": "Audit Policy Rule",
            "PolicyType": [self.policy[f"{app}:{event}"] for app, event in enabled],
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    # --- AMT_AuditLog methods -----------------------------------------------------------------------------
    def _read_records(self, instance, inputs, caller):
        start = int_input(inputs, "StartIndex", 1)
        total = len(self.records)
        if start < 1 or (total and start > total) or (not total and start != 1):
            return result(INVALID_INDEX, ("TotalRecordCount", total), ("RecordsReturned", 0))
        page = self.records[start - 1:start - 1 + RECORDS_PER_READ]
        return result(SUCCESS, ("TotalRecordCount", total), ("RecordsReturned", len(page)), ("EventRecords", list(page)))

    def _clear_log(self, instance, inputs, caller):
        if not self._controls(caller):
            return result(NOT_PERMITTED)
        self.records = []
        self.log(events.LOG_CLEARED, caller)
        self.changed()
        return result(SUCCESS)

    def _request_state_change(self, instance, inputs, caller):
        if not self._controls(caller):
            return result(NOT_PERMITTED)
        requested = int_input(inputs, "RequestedState")
        if requested not in (2, 3):
            return result(INVALID_PARAMETER)
        if (requested == 2) != self.enabled:
            if requested == 2:
                self.enabled = True
                self.log(events.LOG_ENABLED, caller)
            else:
                self.log(events.LOG_DISABLED, caller)
                self.enabled = False
            self.changed()
        return result(SUCCESS)

    def _set_audit_lock(self, instance, inputs, caller):
        if not self._controls(caller):
            return result(NOT_PERMITTED)
        seconds = int_input(inputs, "LockTimeoutInSeconds", 0)
        flag = int_input(inputs, "Flag")
        handle = int_input(inputs, "Handle", 0)
        if flag not in (LOCK, UNPROVISIONING_LOCK, UNLOCK) or not 0 <= seconds <= MAX_LOCK_SECONDS:
            return result(INVALID_PARAMETER)
        now = time.time()
        if flag == UNLOCK:
            if now >= self.locked_until or handle != self.lock_handle:
                return result(INVALID_HANDLE)
            self.locked_until = 0.0
            self.changed()
            return result(SUCCESS)
        if flag == UNPROVISIONING_LOCK:
            self.unprovisioning_allowed_until = now + seconds
            self.changed()
            return result(SUCCESS, ("Handle", 0))
        if now < self.locked_until:
            return result(DUPLICATE)
        self.lock_handle, self.next_lock_handle = self.next_lock_handle, self.next_lock_handle + 1
        self.locked_until = now + seconds
        self.changed()
        return result(SUCCESS, ("Handle", self.lock_handle))

    def _set_storage_policy(self, instance, inputs, caller):
        # Parameter names StoragePolicy / DaysToKeep are UNCONFIRMED (docs/amt-reference.md 6.1).
        if not self._controls(caller):
            return result(NOT_PERMITTED)
        policy = int_input(inputs, "StoragePolicy")
        days = int_input(inputs, "DaysToKeep", self.min_days_to_keep)
        if policy not in OVERWRITE_POLICY or not 0 <= days <= 255:
            return result(INVALID_PARAMETER)
        self.storage_policy, self.min_days_to_keep = policy, days
        self.changed()
        return result(SUCCESS)

    # --- AMT_AuditPolicyRule methods ----------------------------------------------------------------------
    def _apply_policy(self, changes: list, caller):
        for _enable, app, event, policy_type in changes:
            if app not in events.EVENTS or event not in events.EVENTS[app] or policy_type not in (0, 1):
                return result(INVALID_PARAMETER)
        for enable, app, event, policy_type in changes:
            if enable:
                self.policy[f"{app}:{event}"] = policy_type
            else:
                self.policy.pop(f"{app}:{event}", None)
        self.log(events.AUDIT_POLICY_MODIFIED, caller)
        self.changed()
        return result(SUCCESS)

    def _set_audit_policy(self, instance, inputs, caller):
        if not self._controls(caller):
            return result(NOT_PERMITTED)
        return self._apply_policy([(bool_input(inputs, "Enable", True), int_input(inputs, "AuditedAppID"),
                                    int_input(inputs, "EventID"), int_input(inputs, "PolicyType", 0))], caller)

    def _set_audit_policy_bulk(self, instance, inputs, caller):
        if not self._controls(caller):
            return result(NOT_PERMITTED)
        columns = [list_input(inputs, name) for name in ("Enable", "AuditedAppID", "EventID", "PolicyType")]
        if not columns[1] or len({len(column) for column in columns}) != 1:
            return result(INVALID_PARAMETER)
        try:
            changes = [(str(enable).strip().lower() in ("true", "1"), int(app), int(event), int(policy_type))
                       for enable, app, event, policy_type in zip(*columns)]
        except (TypeError, ValueError):
            return result(INVALID_PARAMETER)
        return self._apply_policy(changes, caller)
