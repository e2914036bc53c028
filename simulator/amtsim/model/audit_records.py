"""Audit log records in the firmware's byte layout, and the catalogue of auditable events (docs/amt-reference.md 6.1, 6.3).

Layout (big-endian): AuditAppID u16, EventID u16, InitiatorType u8 (0 HTTP Digest: u8 length + username;
2 Local: nothing), TimeStamp u32 (seconds since 1970), MCLocationType u8 (0 IPv4, 1 IPv6, 2 none),
NetAddress u8 length + ASCII, ExtendedData u8 length + bytes.
"""
from __future__ import annotations

import struct

INITIATOR_DIGEST = 0
INITIATOR_LOCAL = 2
LOCATION_NONE = 2

# app id -> event ids it defines
EVENTS = {
    16: range(0, 20), 17: range(0, 10), 18: range(0, 13), 19: range(0, 2), 20: range(0, 6), 21: range(0, 1),
    22: range(0, 6), 23: range(0, 4), 24: range(0, 4), 25: range(0, 7), 26: range(0, 3), 27: range(0, 6),
    28: range(0, 5), 29: range(0, 5), 30: range(0, 3), 33: range(1, 3),
}

SECURITY_ADMIN = 16
REMOTE_CONTROL = 17
SECURITY_AUDIT_LOG = 20
WIRELESS = 27
USER_OPT_IN = 30

PROVISIONING_STARTED = (16, 0)
PROVISIONING_COMPLETED = (16, 1)
ACL_ENTRY_ADDED = (16, 2)
ACL_ENTRY_MODIFIED = (16, 3)
ACL_ENTRY_REMOVED = (16, 4)
ACL_ENTRY_STATE_CHANGED = (16, 6)
TLS_STATE_CHANGED = (16, 7)
TLS_SERVER_CERTIFICATE_SET = (16, 8)
TLS_TRUSTED_ROOT_ADDED = (16, 10)
TLS_TRUSTED_ROOT_REMOVED = (16, 11)
KERBEROS_SETTINGS_MODIFIED = (16, 13)
UPGRADE_CLIENT_TO_ADMIN = (16, 18)
UNPROVISIONING_STARTED = (16, 19)
AMT_TIME_SET = (21, 0)
POWER_UP, POWER_DOWN, POWER_CYCLE, RESET, SET_BOOT_OPTIONS = (17, 0), (17, 1), (17, 2), (17, 3), (17, 4)
LOG_CLEARED = (20, 0)
AUDIT_POLICY_MODIFIED = (20, 1)
LOG_DISABLED = (20, 2)
LOG_ENABLED = (20, 3)
WIFI_PROFILE_ADDED = (27, 0)
WIFI_PROFILE_REMOVED = (27, 1)
WIFI_PROFILE_UPDATED = (27, 2)
OPT_IN_POLICY_CHANGE = (30, 0)

# Logged even when the log is disabled (release 12 "super-critical" events, docs/amt-reference.md 6.1); the log's own
# clear/enable/disable records are always written too.
ALWAYS_LOGGED = frozenset({PROVISIONING_COMPLETED, UNPROVISIONING_STARTED, SET_BOOT_OPTIONS,
                           LOG_CLEARED, LOG_DISABLED, LOG_ENABLED})

# Unprovisioning-started initiators (extended data of 16/19)
UNPROVISION_BY_LOCAL_MEI = 2
UNPROVISION_BY_LOCAL_WSMAN = 3
UNPROVISION_BY_REMOTE_WSMAN = 4


def default_policy() -> dict:
    """Enabled events and their policy type (0 non-critical): every Security Admin event except 16/15 and 16/16,
    every Security Audit Log event (the defaults since release 8.0)."""
    policy = {f"16:{event}": 0 for event in EVENTS[16] if event not in (15, 16)}
    policy.update({f"20:{event}": 0 for event in EVENTS[20]})
    return policy


def encode_record(app: int, event: int, username: str | None, timestamp: int, extended: bytes = b"") -> bytes:
    if username is None:
        initiator = struct.pack(">B", INITIATOR_LOCAL)
    else:
        name = username.encode("ascii", "replace")[:255]
        initiator = struct.pack(">BB", INITIATOR_DIGEST, len(name)) + name
    return (struct.pack(">HH", app, event) + initiator
            + struct.pack(">IBBB", timestamp & 0xFFFFFFFF, LOCATION_NONE, 0, len(extended[:255])) + extended[:255])


def decode_record(record: bytes) -> dict:
    """The fields of one record (used by tests and by the inventory of what happened)."""
    app, event, initiator_type = struct.unpack_from(">HHB", record, 0)
    offset = 5
    username = None
    if initiator_type == INITIATOR_DIGEST:
        length = record[offset]
        username = record[offset + 1:offset + 1 + length].decode("ascii")
        offset += 1 + length
    timestamp, location = struct.unpack_from(">IB", record, offset)
    offset += 5
    address_length = record[offset]
    address = record[offset + 1:offset + 1 + address_length].decode("ascii")
    offset += 1 + address_length
    extended_length = record[offset]
    extended = record[offset + 1:offset + 1 + extended_length]
    return {"app": app, "event": event, "initiator_type": initiator_type, "username": username,
            "timestamp": timestamp, "location": location, "address": address, "extended": extended}
