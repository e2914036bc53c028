# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt.identity import normalize_uuid, read_uuid, require_uuid, uuid_from_smbios_bytes
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError, IdentityMismatchError, InvalidInputError

# SMBIOS order stores the first three fields little-endian: bytes 00..0f read as 03020100-0504-0706-0809-0a0b0c0d0e0f.
SEQUENTIAL_BYTES = bytes(range(16))
SEQUENTIAL_UUID = "03020100-0504-0706-0809-0a0b0c0d0e0f"


class FakeClient:
    def __init__(self, outputs):
        self.outputs = outputs
        self.calls = []

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        self.calls.append((class_name, method, inputs, selectors, check, idempotent))
        return self.outputs


@pytest.mark.parametrize("text", [
    "8c9a3a6e-1b2f-4d5e-9a7b-0123456789ab",
    "8C9A3A6E-1B2F-4D5E-9A7B-0123456789AB",
    "{8c9a3a6e-1b2f-4d5e-9a7b-0123456789ab}",
    "8c9a3a6e1b2f4d5e9a7b0123456789ab",
    "  8c9a3a6e-1b2f-4d5e-9a7b-0123456789ab\n",
])
def test_normalize_uuid_accepts_common_spellings(text):
    assert normalize_uuid(text) == "8c9a3a6e-1b2f-4d5e-9a7b-0123456789ab"


@pytest.mark.parametrize("text", [
    "",
    "8c9a3a6e-1b2f-4d5e-9a7b-0123456789a",
    "8c9a3a6e-1b2f-4d5e-9a7b-0123456789abc",
    "8c9a3a6e-1b2f-4d5e-9a7b-0123456789ag",
    "not-a-uuid",
])
def test_normalize_uuid_rejects_other_text(text):
    with pytest.raises(InvalidInputError) as raised:
        normalize_uuid(text)
    assert raised.value.kind == "invalid_input"


def test_smbios_bytes_swap_only_the_first_three_fields():
    assert uuid_from_smbios_bytes(SEQUENTIAL_BYTES) == SEQUENTIAL_UUID


def test_read_uuid_invokes_get_uuid_and_decodes_smbios_order():
    client = FakeClient({"ReturnValue": 0, "UUID": base64.b64encode(SEQUENTIAL_BYTES).decode()})
    assert read_uuid(client) == SEQUENTIAL_UUID
    # A read that changes nothing: the transport may retry it after a dropped connection.
    assert client.calls == [("AMT_SetupAndConfigurationService", "GetUuid", None, None, True, True)]


@pytest.mark.parametrize("outputs", [
    {"ReturnValue": 0},
    {"ReturnValue": 0, "UUID": "***not base64***"},
    {"ReturnValue": 0, "UUID": base64.b64encode(bytes(15)).decode()},
    {"ReturnValue": 0, "UUID": base64.b64encode(bytes(17)).decode()},
])
def test_read_uuid_rejects_a_malformed_answer(outputs):
    with pytest.raises(DeviceError) as raised:
        read_uuid(FakeClient(outputs))
    assert raised.value.method == "GetUuid"
    assert "AMT_SetupAndConfigurationService.GetUuid" in str(raised.value)


@pytest.mark.parametrize("expected", [None, SEQUENTIAL_UUID.upper(), "{%s}" % SEQUENTIAL_UUID.replace("-", "")])
def test_require_uuid_accepts_no_expectation_and_any_spelling_of_the_same_uuid(expected):
    require_uuid(SEQUENTIAL_UUID, expected)


def test_require_uuid_names_who_reported_what_and_keeps_the_error_fields():
    other = "11111111-2222-3333-4444-555555555555"
    with pytest.raises(IdentityMismatchError) as raised:
        require_uuid(SEQUENTIAL_UUID, other.upper(), reporter="the management engine", method="GetUUID")
    assert str(raised.value) == ("the management engine reports UUID %s but expected_uuid is %s: nothing was changed" % (SEQUENTIAL_UUID, other))
    assert raised.value.method == "GetUUID"
