# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which device is this: the AMT UUID, read and compared in one canonical form."""

from __future__ import annotations

import base64
import binascii
import re
import uuid

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, IdentityMismatchError, InvalidInputError

SETUP_SERVICE = schema.AMT_SETUP_AND_CONFIGURATION_SERVICE
GET_UUID = "GetUuid"

_UUID_TEXT = re.compile(r"^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$")


def normalize_uuid(text):
    """Return the canonical lower-case 8-4-4-4-12 form of a UUID given with or without dashes or braces.

    Raises InvalidInputError for anything else.
    """
    match = _UUID_TEXT.match(str(text).strip().lower())
    if not match:
        raise InvalidInputError("%r is not a UUID: expected 32 hexadecimal digits in the form 8-4-4-4-12" % (text,))
    return "-".join(match.groups())


def uuid_from_smbios_bytes(raw):
    """Format 16 bytes in SMBIOS order, whose first three fields are little-endian, as a canonical UUID."""
    return str(uuid.UUID(bytes_le=bytes(raw)))


def read_uuid(client):
    """Ask the device for its UUID (AMT_SetupAndConfigurationService.GetUuid) and return it canonical."""
    outputs = client.invoke(SETUP_SERVICE, GET_UUID, idempotent=True)
    encoded = outputs.get("UUID")
    if not isinstance(encoded, str):
        raise DeviceError("%s.%s returned no UUID" % (SETUP_SERVICE, GET_UUID), class_name=SETUP_SERVICE, method=GET_UUID)
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise DeviceError("%s.%s returned a UUID that is not 16 bytes of base64" % (SETUP_SERVICE, GET_UUID),
                          class_name=SETUP_SERVICE, method=GET_UUID)
    return uuid_from_smbios_bytes(raw)


def require_uuid(actual_uuid, expected_uuid, reporter="the device", **error_fields):
    """Raise IdentityMismatchError unless the canonical actual_uuid is expected_uuid; an expected_uuid of None accepts any."""
    if expected_uuid is None:
        return
    expected_uuid = normalize_uuid(expected_uuid)
    if actual_uuid != expected_uuid:
        raise IdentityMismatchError("%s reports UUID %s but expected_uuid is %s: nothing was changed" % (reporter, actual_uuid, expected_uuid),
                                    **error_fields)
