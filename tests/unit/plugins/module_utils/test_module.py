# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import base64
import json
import uuid

import pytest

from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oob.amt.plugins.module_utils import module as amt_module
from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import IdentityMismatchError, InvalidInputError, NotPermittedError

PASSWORD = "S3cret-Passw0rd!"
DEVICE_UUID = "8c9a3a6e-1b2f-4d5e-9a7b-0123456789ab"
OTHER_UUID = "11111111-2222-3333-4444-555555555555"
FINGERPRINT = "ab" * 32


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    # AnsibleModule collects warnings process-wide (a dict from ansible-core 2.19, a list before); each test starts without the previous tests' warnings.
    monkeypatch.setattr(ansible_warnings, "_global_warnings", type(ansible_warnings._global_warnings)())  # pylint: disable=protected-access


class FakeClient:
    """Records what a module sends and as whom; answers GetUuid with DEVICE_UUID in SMBIOS byte order."""

    def __init__(self, username=None, password=None):
        self.username = username
        self.password = password
        self.calls = []
        self.closed = False

    def invoke(self, class_name, method, inputs=None, selectors=None, check=True, idempotent=False, cached=False):
        self.calls.append(("invoke", class_name, method))
        if method == "GetUuid":
            return {"ReturnValue": 0, "UUID": base64.b64encode(uuid.UUID(DEVICE_UUID).bytes_le).decode()}
        return {"ReturnValue": 0}

    def put(self, class_name, instance, selectors=None):
        self.calls.append(("put", class_name, None))
        return instance

    def close(self):
        self.closed = True


class RecordingModule(AmtModule):
    """AmtModule whose client is a FakeClient instead of a network connection."""

    def _connect(self, username, password, overrides=None, read_retries=2):
        self.fake_client = FakeClient(username, password)
        return self.fake_client


def base_args(**overrides):
    args = {"hostname": "127.77.0.1", "password": PASSWORD}
    args.update(overrides)
    return args


def build(args, argument_spec=None):
    with patch_module_args(args):
        return RecordingModule(argument_spec or amt_argument_spec())


def run_to_result(capsys, args, fn):
    """Build the module, run fn through AmtModule.run and return (exit code, result dict, raw stdout)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            module = RecordingModule(amt_argument_spec())
            module.run(fn)
    out = capsys.readouterr().out
    return exited.value.code, json.loads(out), out


def build_to_result(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            RecordingModule(amt_argument_spec())
    out = capsys.readouterr().out
    return exited.value.code, json.loads(out), out


@pytest.mark.parametrize("use_tls, port", [(True, 16993), (False, 16992)])
def test_port_defaults_follow_use_tls(use_tls, port):
    module = build(base_args(use_tls=use_tls))
    assert module.params["port"] == port


def test_explicit_port_is_kept():
    assert build(base_args(port=443)).params["port"] == 443


def test_invalid_option_fails_the_module_before_any_connection(capsys):
    code, result, out = build_to_result(capsys, base_args(timeout=0))
    assert code == 1
    assert result["failed"] is True
    assert result["error"] == "invalid_input"
    assert "timeout" in result["msg"]
    assert PASSWORD not in out


def test_missing_library_is_reported_with_missing_required_lib(capsys, monkeypatch):
    monkeypatch.setattr(amt_module, "MISSING_LIBRARIES", {"requests": "Traceback: No module named 'requests'"})
    code, result, dummy = build_to_result(capsys, base_args())
    assert code == 1
    assert "requests" in result["msg"]
    assert "Failed to import the required Python library" in result["msg"]


def test_disabled_certificate_validation_warns(capsys):
    def finish(module):
        module.exit(changed=False)

    dummy, result, dummy = run_to_result(capsys, base_args(validate_certs=False), finish)
    assert "validate_certs=false" in json.dumps(result["warnings"])


def test_pinned_fingerprint_does_not_warn(capsys):
    def finish(module):
        module.exit(changed=False)

    dummy, result, dummy = run_to_result(capsys, base_args(validate_certs=False, cert_fingerprint=FINGERPRINT), finish)
    assert "warnings" not in result


def test_matching_expected_uuid_reads_the_uuid_first_then_lets_the_module_work(capsys):
    def change(module):
        module.client.put("AMT_GeneralSettings", {"HostName": "x"})
        module.exit(changed=True, fake_calls=module.fake_client.calls)

    code, result, dummy = run_to_result(capsys, base_args(expected_uuid=DEVICE_UUID.upper()), change)
    assert code == 0
    assert result["changed"] is True
    assert result["fake_calls"] == [["invoke", "AMT_SetupAndConfigurationService", "GetUuid"], ["put", "AMT_GeneralSettings", None]]


def test_mismatching_expected_uuid_fails_and_changes_nothing(capsys):
    seen = {}

    def change(module):
        seen["module"] = module
        module.client.put("AMT_GeneralSettings", {"HostName": "x"})
        module.exit(changed=True)

    code, result, out = run_to_result(capsys, base_args(expected_uuid=OTHER_UUID), change)
    fake = seen["module"].fake_client
    assert code == 1
    assert result["error"] == "identity_mismatch"
    assert DEVICE_UUID in result["msg"] and OTHER_UUID in result["msg"]
    assert result.get("changed", False) is False
    assert fake.calls == [("invoke", "AMT_SetupAndConfigurationService", "GetUuid")]
    assert fake.closed is True
    assert PASSWORD not in out


def test_without_expected_uuid_no_identity_request_is_sent(capsys):
    def change(module):
        module.client.put("AMT_GeneralSettings", {"HostName": "x"})
        module.exit(changed=True, fake_calls=module.fake_client.calls)

    dummy, result, dummy = run_to_result(capsys, base_args(), change)
    assert result["fake_calls"] == [["put", "AMT_GeneralSettings", None]]


def test_client_is_built_once_per_run():
    module = build(base_args())
    assert module.client is module.client


def test_run_turns_an_amt_error_into_a_failed_result_with_its_fields(capsys):
    def refuse(module):
        module.client.put("AMT_GeneralSettings", {})
        raise NotPermittedError("AMT_SetupAndConfigurationService.SetMEBxPassword returned 16 (PT_STATUS_NOT_PERMITTED)",
                                class_name="AMT_SetupAndConfigurationService", method="SetMEBxPassword",
                                return_value=16, return_name="PT_STATUS_NOT_PERMITTED")

    code, result, out = run_to_result(capsys, base_args(), refuse)
    assert code == 1
    assert result["msg"] == "AMT_SetupAndConfigurationService.SetMEBxPassword returned 16 (PT_STATUS_NOT_PERMITTED)"
    assert result["error"] == "not_permitted"
    assert result["amt_class"] == "AMT_SetupAndConfigurationService"
    assert result["amt_method"] == "SetMEBxPassword"
    assert result["return_value"] == 16
    assert result["return_name"] == "PT_STATUS_NOT_PERMITTED"
    assert result["indeterminate"] is False
    assert "Traceback" not in out and PASSWORD not in out


def test_fail_from_keeps_extra_result_fields(capsys):
    def half_done(module):
        module.fail_from(NotPermittedError("second step refused"), changed=True)

    dummy, result, dummy = run_to_result(capsys, base_args(), half_done)
    assert result["changed"] is True
    assert result["error"] == "not_permitted"


def test_exit_closes_the_client(capsys):
    seen = {}

    def finish(module):
        seen["client"] = module.client
        module.exit(changed=False)

    code, dummy, dummy = run_to_result(capsys, base_args(), finish)
    assert code == 0
    assert seen["client"].closed is True


@pytest.mark.parametrize("diff_mode, expected", [(True, {"before": "a", "after": "b"}), (False, None)])
def test_diff_is_returned_only_in_diff_mode(capsys, diff_mode, expected):
    def finish(module):
        module.exit(changed=True, diff={"before": "a", "after": "b"})

    args = base_args(_ansible_diff=diff_mode)
    dummy, result, dummy = run_to_result(capsys, args, finish)
    assert result.get("diff") == expected


def test_a_function_that_forgets_to_exit_fails_instead_of_succeeding_silently(capsys):
    def forgetful(module):
        return module.params["hostname"]

    code, result, dummy = run_to_result(capsys, base_args(), forgetful)
    assert code == 1
    assert "forgetful returned without a result" in result["msg"]


def test_check_mode_is_exposed():
    assert build(base_args(_ansible_check_mode=True)).check_mode is True


def test_connect_opens_a_new_session_with_other_credentials_and_leaves_the_runs_client_alone():
    module = build(base_args())
    run_client = module.client
    other = module.connect("auditor", "An0ther-Passw0rd!")
    assert other is not run_client and module.client is run_client
    assert (other.username, other.password) == ("auditor", "An0ther-Passw0rd!")
    assert (run_client.username, run_client.password) == ("admin", PASSWORD)


def test_connect_defaults_to_the_connection_credentials():
    client = build(base_args(username="operator")).connect()
    assert (client.username, client.password) == ("operator", PASSWORD)


def test_connect_checks_expected_uuid_and_closes_a_client_to_another_device():
    module = build(base_args(expected_uuid=OTHER_UUID))
    with pytest.raises(IdentityMismatchError, match=OTHER_UUID):
        module.connect("admin", "An0ther-Passw0rd!")
    assert module.fake_client.calls == [("invoke", "AMT_SetupAndConfigurationService", "GetUuid")]
    assert module.fake_client.closed is True


def test_hostname_is_not_required_until_the_device_is_reached_over_the_network(monkeypatch):
    monkeypatch.delenv("AMT_HOSTNAME", raising=False)
    with patch_module_args({"password": PASSWORD}):
        module = AmtModule(amt_argument_spec())
    assert module.params["hostname"] is None
    with pytest.raises(InvalidInputError, match="^hostname is required"):
        module.connect()


def test_missing_hostname_fails_a_network_module_naming_the_option(capsys, monkeypatch):
    monkeypatch.delenv("AMT_HOSTNAME", raising=False)

    def read(module):
        module.client.get("AMT_GeneralSettings")
        module.exit(changed=False)

    with patch_module_args({"password": PASSWORD}):
        with pytest.raises(SystemExit) as exited:
            AmtModule(amt_argument_spec()).run(read)
    result = json.loads(capsys.readouterr().out)
    assert exited.value.code == 1
    assert result["error"] == "invalid_input"
    assert "hostname" in result["msg"] and "AMT_HOSTNAME" in result["msg"]


def test_hostname_is_returned_without_surrounding_blanks():
    assert build(base_args(hostname=" 127.77.0.1 ")).hostname == "127.77.0.1"
