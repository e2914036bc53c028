"""The admin account, the user ACL, system accounts and AMT_AuthorizationService (docs/amt-reference.md 2.3, 4)."""
from __future__ import annotations

import base64
import binascii
import hashlib

from amtsim.model import access
from amtsim.model import audit_records as events
from amtsim.model.codes import (DUPLICATE, INVALID_HANDLE, INVALID_INDEX, INVALID_NAME, INVALID_PARAMETER,
                                INVALID_PASSWORD, INVALID_REALM, MAX_LIMIT_REACHED, NOT_PERMITTED, SUCCESS)
from amtsim.model.component import Component, bool_input, int_input, list_input, result, text_input
from amtsim.types import Instance

# Our firmware's ACL table size (the real size is UNCONFIRMED; SCS allows 7 digest and 32 Kerberos entries, so
# the firmware holds at least that): one more digest user than SCS, the 9th answers MAX_LIMIT_REACHED.
MAX_DIGEST_USERS = 8
MAX_KERBEROS_USERS = 32
ENUMERATION_PAGE = 50

LOCAL_SYSTEM_ACCOUNT = "$$OsAdmin"
USER_NOTIFICATION_ACCOUNT = "$$uns"

ACCESS_LOCAL, ACCESS_NETWORK, ACCESS_BOTH = 0, 1, 2
_FORBIDDEN_NAME_CHARACTERS = set(':,<>&"')


def digest_ha1(username: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def valid_username(name: str) -> bool:
    return (0 < len(name) <= 16 and all(33 <= ord(char) <= 126 for char in name)
            and not _FORBIDDEN_NAME_CHARACTERS & set(name))


def _decode_digest_password(value: str | None) -> str | None:
    """Hex HA1 from the base64 of the 16 MD5 bytes that the ACL methods carry, or None when malformed."""
    try:
        raw = base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def _decode_sid(value: str | None) -> str | None:
    try:
        raw = base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        return None
    return value if 0 < len(raw) <= 28 and len(raw) % 4 == 0 else None


class Accounts(Component):
    INSTANCES = {"AMT_AuthorizationService": "_service_instances"}
    METHODS = {(("AMT_AuthorizationService", name)): "_" + name for name in (
        "SetAdminAclEntryEx", "GetAdminAclEntry", "GetAdminAclEntryStatus", "GetAdminNetAclEntryStatus",
        "AddUserAclEntryEx", "UpdateUserAclEntryEx", "GetUserAclEntryEx", "EnumerateUserAclEntries",
        "RemoveUserAclEntry", "SetAclEnabledState", "GetAclEnabledState")}
    STATE_FIELDS = ("admin_username", "admin_ha1", "admin_password", "entries", "next_handle", "local_system_password")

    def reset(self) -> None:
        self.admin_username = "admin"
        self.admin_ha1 = None
        self.admin_password = None  # cleartext only for the fleet inventory
        self.next_handle = 3
        self.entries = [
            {"handle": 1, "name": LOCAL_SYSTEM_ACCOUNT, "ha1": None, "access": ACCESS_LOCAL,
             "realms": [access.LOCAL_SYSTEM], "enabled": True, "system": True},
            {"handle": 2, "name": USER_NOTIFICATION_ACCOUNT, "ha1": None, "access": ACCESS_LOCAL,
             "realms": [access.LOCAL_UN], "enabled": True, "system": True},
        ]
        password = getattr(self, "local_system_password", None)
        self.local_system_password = None
        if password:
            self.set_local_system_password(password)

    # --- identity and authentication ----------------------------------------------------------------------
    def set_local_system_password(self, password: str) -> None:
        self.local_system_password = password
        self.entries[0]["ha1"] = digest_ha1(LOCAL_SYSTEM_ACCOUNT, self.device.digest_realm, password)

    def set_admin_password(self, username: str, password: str) -> None:
        """Profile setup: an admin whose cleartext the fleet inventory needs."""
        self.admin_username = username
        self.admin_password = password
        self.admin_ha1 = digest_ha1(username, self.device.digest_realm, password)
        self.changed()

    def set_admin_ha1(self, username: str, ha1_hex: str) -> None:
        """Provisioning over the wire: only the hash is known, the cleartext stays with the caller."""
        self.admin_username = username
        self.admin_ha1 = ha1_hex.lower()
        self.admin_password = None
        self.changed()

    def _entry_by_name(self, username: str):
        return next((entry for entry in self.entries if entry.get("name") == username), None)

    def _entry_by_handle(self, handle):
        return next((entry for entry in self.entries if entry["handle"] == handle), None)

    def ha1(self, username: str, interface: str) -> str | None:
        if self.admin_ha1 and username == self.admin_username:
            return self.admin_ha1
        entry = self._entry_by_name(username)
        if entry is None or not entry["enabled"] or not entry["ha1"]:
            return None
        allowed = (ACCESS_LOCAL, ACCESS_BOTH) if interface == "local" else (ACCESS_NETWORK, ACCESS_BOTH)
        return entry["ha1"] if entry["access"] in allowed else None

    def realms_of(self, username: str) -> frozenset:
        if self.admin_ha1 and username == self.admin_username:
            return access.ADMIN_REALMS
        entry = self._entry_by_name(username)
        if entry is None or not entry["enabled"]:
            return frozenset()
        return frozenset(entry["realms"])

    def auditor_exists(self) -> bool:
        return any(access.AUDIT_LOG in entry["realms"] for entry in self.entries if entry["enabled"])

    def audit_realm(self) -> int:
        return access.audit_realm(self.auditor_exists())

    def user_entries(self) -> list:
        return [entry for entry in self.entries if not entry["system"]]

    # --- instances ----------------------------------------------------------------------------------------
    def _service_instances(self, caller) -> list:
        return [Instance("AMT_AuthorizationService", {
            "AllowHttpQopAuthOnly": 1,
            "CreationClassName": "AMT_AuthorizationService",
            "ElementName": "Intel(r) AMT Authorization Service",
            "EnabledState": 5,
            "Name": "Intel(r) AMT Authorization Service",
            "RequestedState": 12,
            "SystemCreationClassName": "CIM_ComputerSystem",
            "SystemName": "Intel(r) AMT",
        })]

    # --- methods ------------------------------------------------------------------------------------------
    def _is_admin(self, caller) -> bool:
        return access.PT_ADMINISTRATION in caller.realms

    def _SetAdminAclEntryEx(self, instance, inputs, caller):
        if not (self._is_admin(caller) or self.device.provisioning.hbased_admin_caller(caller)):
            return result(NOT_PERMITTED)
        username = text_input(inputs, "Username") or ""
        ha1 = _decode_digest_password(text_input(inputs, "DigestPassword"))
        if not valid_username(username) or username.startswith("$$"):
            return result(INVALID_NAME)
        if any(entry.get("name") == username for entry in self.entries):
            return result(DUPLICATE)
        if ha1 is None:
            return result(INVALID_PASSWORD)
        self.set_admin_ha1(username, ha1)
        self.device.audit.log(events.ACL_ENTRY_MODIFIED, caller, self._entry_extended(username))
        return result(SUCCESS)

    def _GetAdminAclEntry(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        return result(SUCCESS, ("Username", self.admin_username))

    def _GetAdminAclEntryStatus(self, instance, inputs, caller):
        # Our reading of IsDefault here: the MEBx password is still the factory one (UNCONFIRMED, docs/hardening-controls.md 5).
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        return result(SUCCESS, ("IsDefault", self.device.provisioning.mebx_is_default()))

    def _GetAdminNetAclEntryStatus(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        return result(SUCCESS, ("IsDefault", self.admin_ha1 is None))

    @staticmethod
    def _entry_extended(name: str, kerberos: bool = False) -> bytes:
        raw = name.encode("ascii", "replace")[:64]
        return bytes([1 if kerberos else 0, len(raw)]) + raw

    def _validated_entry(self, inputs, handle=None):
        """(entry fields, 0) from Add/Update inputs, or (None, ReturnValue)."""
        username = text_input(inputs, "DigestUsername")
        sid = text_input(inputs, "KerberosUserSid")
        permission = int_input(inputs, "AccessPermission", ACCESS_BOTH)
        try:
            realms = sorted({int(str(realm).strip()) for realm in list_input(inputs, "Realms")})
        except ValueError:
            return None, INVALID_REALM
        if (username is None) == (sid is None) or permission not in (ACCESS_LOCAL, ACCESS_NETWORK, ACCESS_BOTH):
            return None, INVALID_PARAMETER
        if not realms or not set(realms) <= access.ASSIGNABLE_REALMS:
            return None, INVALID_REALM
        others = [entry for entry in self.entries if entry["handle"] != handle]
        if access.AUDIT_LOG in realms and any(access.AUDIT_LOG in entry["realms"] for entry in others):
            return None, MAX_LIMIT_REACHED  # AMT_AuditLog.MaxAllowedAuditors is 1
        fields = {"access": permission, "realms": realms}
        if username is not None:
            if not valid_username(username) or username.startswith("$$") or username.lower() == "admin":
                return None, INVALID_NAME
            if username == self.admin_username or any(entry.get("name") == username for entry in others):
                return None, DUPLICATE
            ha1 = _decode_digest_password(text_input(inputs, "DigestPassword"))
            if ha1 is None:
                return None, INVALID_PASSWORD
            fields.update(name=username, ha1=ha1, sid=None)
        else:
            sid = _decode_sid(sid)
            if sid is None:
                return None, INVALID_PARAMETER
            if any(entry.get("sid") == sid for entry in others):
                return None, DUPLICATE
            fields.update(name=None, ha1=None, sid=sid)
        return fields, SUCCESS

    def _AddUserAclEntryEx(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        fields, code = self._validated_entry(inputs)
        if fields is None:
            return result(code)
        kerberos = fields["sid"] is not None
        limit = MAX_KERBEROS_USERS if kerberos else MAX_DIGEST_USERS
        if sum(1 for entry in self.user_entries() if (entry.get("sid") is not None) == kerberos) >= limit:
            return result(MAX_LIMIT_REACHED)
        handle, self.next_handle = self.next_handle, self.next_handle + 1
        self.entries.append(dict(fields, handle=handle, enabled=True, system=False))
        self.changed()
        self.device.audit.log(events.ACL_ENTRY_ADDED, caller, self._entry_extended(fields["name"] or fields["sid"], kerberos))
        return result(SUCCESS, ("Handle", handle))

    def _UpdateUserAclEntryEx(self, instance, inputs, caller):
        handle = int_input(inputs, "Handle")
        entry = self._entry_by_handle(handle)
        if entry is None or entry["system"]:
            return result(INVALID_HANDLE if entry is None else NOT_PERMITTED)
        own_entry = access.ACL_SELF in caller.realms and entry.get("name") == caller.username
        if not (self._is_admin(caller) or own_entry):
            return result(NOT_PERMITTED)
        fields, code = self._validated_entry(inputs, handle)
        if fields is None:
            return result(code)
        if not self._is_admin(caller) and (fields["realms"] != entry["realms"] or fields["access"] != entry["access"]):
            return result(NOT_PERMITTED)
        entry.update(fields)
        self.changed()
        self.device.audit.log(events.ACL_ENTRY_MODIFIED, caller,
                              self._entry_extended(entry["name"] or entry["sid"], entry["sid"] is not None))
        return result(SUCCESS)

    def _GetUserAclEntryEx(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        entry = self._entry_by_handle(int_input(inputs, "Handle"))
        if entry is None:
            return result(INVALID_HANDLE)
        identity = ("KerberosUserSid", entry["sid"]) if entry.get("sid") else ("DigestUsername", entry["name"])
        return result(SUCCESS, identity, ("AccessPermission", entry["access"]), ("Realms", list(entry["realms"])))

    def _EnumerateUserAclEntries(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        start = int_input(inputs, "StartIndex", 1)
        handles = sorted(entry["handle"] for entry in self.entries)
        if start < 1 or start > len(handles):
            return result(INVALID_INDEX)
        page = handles[start - 1:start - 1 + ENUMERATION_PAGE]
        return result(SUCCESS, ("TotalCount", len(handles)), ("HandlesCount", len(page)), ("Handles", page))

    def _RemoveUserAclEntry(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        entry = self._entry_by_handle(int_input(inputs, "Handle"))
        if entry is None:
            return result(INVALID_HANDLE)
        if entry["system"]:
            return result(NOT_PERMITTED)
        self.entries.remove(entry)
        self.changed()
        self.device.audit.log(events.ACL_ENTRY_REMOVED, caller,
                              self._entry_extended(entry["name"] or entry["sid"], entry["sid"] is not None))
        return result(SUCCESS)

    def _SetAclEnabledState(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        entry = self._entry_by_handle(int_input(inputs, "Handle"))
        enabled = bool_input(inputs, "Enabled")
        if entry is None:
            return result(INVALID_HANDLE)
        if enabled is None:
            return result(INVALID_PARAMETER)
        if entry["enabled"] != enabled:
            entry["enabled"] = enabled
            self.changed()
            self.device.audit.log(events.ACL_ENTRY_STATE_CHANGED, caller,
                                  self._entry_extended(entry["name"] or entry["sid"]) + bytes([int(enabled)]))
        return result(SUCCESS)

    def _GetAclEnabledState(self, instance, inputs, caller):
        if not self._is_admin(caller):
            return result(NOT_PERMITTED)
        entry = self._entry_by_handle(int_input(inputs, "Handle"))
        if entry is None:
            return result(INVALID_HANDLE)
        return result(SUCCESS, ("Enabled", entry["enabled"]))
