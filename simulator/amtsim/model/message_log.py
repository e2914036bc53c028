"""The platform event log: AMT_MessageLog (PositionToFirstRecord, GetRecords, ClearLog) and AMT_EventLogEntry.

Records are the 21-byte PET form go-wsman-messages decodes (pkg/wsman/amt/messagelog/decoder.go): timestamp
(uint32 little-endian), device address, sensor type, event type, event offset, source type, severity, sensor
number, entity, entity instance, 8 bytes of event data. GetRecords answers the newest record first, as the
recorded response does (its second record is older than its first). The log holds 390 records, the recorded
MaxNumberOfRecords; the oldest record makes room for a new one (OverwritePolicy 2, wraps when full).

What the host does writes here: every boot (power up, cycle, reset) adds the BIOS progress events of a boot, from
memory initialisation to "starting operating system boot" (System Firmware Progress, sensor type 0x0F, the code
in the second event data byte, as in the recorded record ``IgYBZf8PbwJoAf8iAEAHAAAAAAAA``). GetRecords returns
the position to continue from in IterationIdentifier; returning the next unread position is our reading of how
MeshCommander loops (UNCONFIRMED: the recorded answer's value does not tell).
"""
from __future__ import annotations

import base64
import struct
import time

from amtsim.model.component import Component, int_input, result
from amtsim.types import Instance

CAPACITY = 390
COMPLETED, NOT_SUPPORTED, INVALID_RECORD, NO_RECORD = 0, 1, 2, 3
POSITION_NO_RECORD = 2

_FIRMWARE_PROGRESS, _SENSOR_SPECIFIC, _BIOS_ENTITY, _SOURCE_BIOS = 0x0F, 0x6F, 0x22, 0x68
# System Firmware Progress codes of one boot, in order: memory, primary processor, PCI resources, video,
# hard disk, starting the operating system's boot.
BOOT_PROGRESS = (0x01, 0x19, 0x07, 0x09, 0x02, 0x13)


def encode_record(timestamp: int, sensor_type: int, event_type: int, offset: int, source: int, severity: int,
                  entity: int, data: bytes) -> bytes:
    return struct.pack("<IBBBBBBBBB", timestamp & 0xFFFFFFFF, 0xFF, sensor_type, event_type, offset, source, severity,
                       0xFF, entity, 0) + data.ljust(8, b"\x00")[:8]


def decode_record(record: bytes) -> dict:
    fields = struct.unpack("<IBBBBBBBBB", record[:13])
    names = ("TimeStamp", "DeviceAddress", "EventSensorType", "EventType", "EventOffset", "EventSourceType",
             "EventSeverity", "SensorNumber", "Entity", "EntityInstance")
    decoded = dict(zip(names, fields))
    decoded["EventData"] = record[13:21]
    return decoded


class MessageLog(Component):
    INSTANCES = {"AMT_MessageLog": "_log_instances", "AMT_EventLogEntry": "_entry_instances"}
    METHODS = {
        ("AMT_MessageLog", "PositionToFirstRecord"): "_position_to_first_record",
        ("AMT_MessageLog", "GetRecords"): "_get_records",
        ("AMT_MessageLog", "ClearLog"): "_clear_log",
    }
    STATE_FIELDS = ("records",)

    def reset(self) -> None:
        self.records = []  # base64 of each record, oldest first
        self.host_booted()

    def host_booted(self) -> None:
        now = int(time.time())
        for code in BOOT_PROGRESS:
            self._append(encode_record(now, _FIRMWARE_PROGRESS, _SENSOR_SPECIFIC, 2, _SOURCE_BIOS, 0x01, _BIOS_ENTITY,
                                       bytes((0x40, code))))

    def _append(self, record: bytes) -> None:
        self.records = (self.records + [base64.b64encode(record).decode()])[-CAPACITY:]
        self.changed()

    def newest_first(self) -> list:
        return list(reversed(self.records))

    # --- instances ----------------------------------------------------------------------------------------
    def _log_instances(self, caller) -> list:
        count = len(self.records)
        return [Instance("AMT_MessageLog", {
            "Capabilities": [5, 6, 8, 7], "CharacterSet": 10, "CreationClassName": "AMT_MessageLog",
            "CurrentNumberOfRecords": count, "ElementName": "Intel(r) AMT:MessageLog 1", "EnabledDefault": 2,
            "EnabledState": 2, "HealthState": 5, "IsFrozen": False, "LastChange": 0, "LogState": 4, "MaxLogSize": 0,
            "MaxNumberOfRecords": CAPACITY, "MaxRecordSize": 21, "Name": "Intel(r) AMT:MessageLog 1", "OperationalStatus": 2,
            "OverwritePolicy": 2, "PercentageNearFull": count * 100 // CAPACITY, "RequestedState": 12, "SizeOfHeader": 0,
            "SizeOfRecordHeader": 0, "Status": "OK",
        })]

    def _entry_instances(self, caller) -> list:
        entries = []
        for record_id, record in enumerate(self.newest_first(), start=1):
            fields = decode_record(base64.b64decode(record))
            entries.append(Instance("AMT_EventLogEntry", {
                "CreationClassName": "AMT_EventLogEntry", "DeviceAddress": fields["DeviceAddress"],
                "ElementName": "Event Log Entry", "EventData": fields["EventData"].hex().upper(),
                "EventSensorType": fields["EventSensorType"], "EventType": fields["EventType"], "RecordID": record_id,
                "TimeStamp": fields["TimeStamp"],
            }))
        return entries

    # --- methods ------------------------------------------------------------------------------------------
    def _position_to_first_record(self, instance, inputs, caller):
        if not self.records:
            return result(POSITION_NO_RECORD)
        return result(COMPLETED, ("IterationIdentifier", 1))

    def _get_records(self, instance, inputs, caller):
        start = int_input(inputs, "IterationIdentifier", 1)
        wanted = int_input(inputs, "MaxReadRecords", CAPACITY)
        records = self.newest_first()
        if not records:
            return result(NO_RECORD)
        if start < 1 or start > len(records) or wanted < 1:
            return result(INVALID_RECORD)
        page = records[start - 1:start - 1 + wanted]
        following = start + len(page)
        return result(COMPLETED, ("IterationIdentifier", following), ("NoMoreRecords", following > len(records)),
                      ("RecordArray", page))

    def _clear_log(self, instance, inputs, caller):
        self.records = []
        self.changed()
        return result(COMPLETED)
