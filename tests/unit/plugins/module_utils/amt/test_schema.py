# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""schema.py: resource URIs, return-code names per class and method, value helpers."""

from __future__ import annotations

import pytest

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import DeviceError


@pytest.mark.parametrize("class_name,uri", [
    ("AMT_GeneralSettings", "http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings"),
    ("CIM_SoftwareIdentity", "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_SoftwareIdentity"),
    ("IPS_OptInService", "http://intel.com/wbem/wscim/1/ips-schema/1/IPS_OptInService"),
    ("http://example.invalid/x/Y", "http://example.invalid/x/Y"),
])
def test_resource_uri(class_name, uri):
    assert schema.resource_uri(class_name) == uri
    assert schema.class_name_of(uri) == uri.rsplit("/", 1)[1]


def test_unknown_class_prefix_is_rejected():
    with pytest.raises(ValueError):
        schema.resource_uri("XYZ_Thing")


@pytest.mark.parametrize("class_name,method,code,name", [
    ("AMT_SetupAndConfigurationService", "SetMEBxPassword", 16, "PT_STATUS_NOT_PERMITTED"),
    ("AMT_SetupAndConfigurationService", "SetMEBxPassword", 2054, "PT_STATUS_INVALID_PASSWORD"),
    ("AMT_SetupAndConfigurationService", "CommitChanges", 38, "PT_STATUS_FLASH_WRITE_LIMIT_EXCEEDED"),
    ("AMT_SetupAndConfigurationService", "CommitChanges", 2057, "PT_STATUS_DATA_MISSING"),
    ("AMT_AuthorizationService", "AddUserAclEntryEx", 2058, "PT_STATUS_DUPLICATE"),
    ("AMT_SetupAndConfigurationService", "Unprovision", 9999, "UNKNOWN_9999"),
    ("IPS_HostBasedSetupService", "Setup", 2, "INVALID_STATE"),
    ("IPS_HostBasedSetupService", "AdminSetup", 5, "AUTH_FAILED"),
    ("IPS_HostBasedSetupService", "AddNextCertInChain", 1, "INVALID_PARAM"),
    ("IPS_HostBasedSetupService", "AddNextCertInChain", 4, "CERT_VERIFY_FAILED"),
    ("IPS_OptInService", "StartOptIn", 2, "INVALID_STATE"),
    ("IPS_OptInService", "SendOptInCode", 3, "BLOCKED"),
    ("AMT_WiFiPortConfigurationService", "AddWiFiSettings", 4, "INVALID_REFERENCE"),
    ("AMT_RedirectionService", "RequestStateChange", 4097, "INVALID_STATE_TRANSITION"),
    ("CIM_KVMRedirectionSAP", "RequestStateChange", 5, "INVALID_PARAMETER"),
    ("IPS_KVMRedirectionSettingData", "TerminateSession", 1, "INTERNAL_ERROR"),
])
def test_return_code_names(class_name, method, code, name):
    assert schema.return_code_name(class_name, method, code) == name
    assert schema.return_code_name(class_name, method, str(code)) == name


@pytest.mark.parametrize("name,kind", [
    ("PT_STATUS_NOT_PERMITTED", "not_permitted"),
    ("PT_STATUS_INVALID_PARAMETER", "invalid_input"),
    ("INVALID_PARAM", "invalid_input"),
    ("PT_STATUS_FLASH_WRITE_LIMIT_EXCEEDED", "device_error"),
])
def test_error_kind_for(name, kind):
    assert schema.error_kind_for(name) == kind


def test_pt_status_table_has_documented_anchors():
    assert schema.PT_STATUS[38] == "FLASH_WRITE_LIMIT_EXCEEDED"
    assert schema.PT_STATUS[2054] == "INVALID_PASSWORD"
    assert schema.PT_STATUS[2082] == "OPERATION_IN_PROGRESS"


@pytest.mark.parametrize("text,value", [("true", True), ("TRUE", True), ("1", True), ("false", False), ("0", False), (None, None), (True, True)])
def test_as_bool(text, value):
    assert schema.as_bool(text) is value


def test_as_bool_rejects_other_text():
    with pytest.raises(DeviceError):
        schema.as_bool("yes")


def test_values_that_do_not_parse_name_their_class_and_property():
    instance = schema.tag_values({"Priority": "high", "ElementName": "corp", "Realms": ["3", "x"]}, "CIM_WiFiEndpointSettings")
    with pytest.raises(DeviceError) as raised:
        schema.as_int(instance["Priority"])
    assert "CIM_WiFiEndpointSettings.Priority = 'high'" in str(raised.value)
    assert raised.value.class_name == "CIM_WiFiEndpointSettings" and raised.value.kind == "device_error"
    with pytest.raises(DeviceError, match=r"CIM_WiFiEndpointSettings\.Realms"):
        [schema.as_int(realm) for realm in instance["Realms"]]
    assert instance["ElementName"] == "corp"


def test_as_int_and_as_list():
    assert schema.as_int("32771") == 32771
    assert schema.as_int("") is None and schema.as_int(None) is None
    assert schema.as_list("2") == ["2"]
    assert schema.as_list(["2", "1"]) == ["2", "1"]
    assert schema.as_list(None) == []


@pytest.mark.parametrize("value, code", [
    (1048576, (16, 0)),  # the first entry of Intel's captured default policy
    ("1048595", (16, 19)),
    ((33 << 16) | 2, (33, 2)),
])
def test_audit_event_code_reads_the_application_above_the_low_16_bits(value, code):
    assert schema.audit_event_code(value) == code


def test_audit_event_code_does_not_read_the_top_8_bits_as_the_application():
    assert schema.audit_event_code((16 << 24) | 19) == (16 << 8, 19)
