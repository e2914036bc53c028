# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side runner: a module's main() in this process, with the controller front end in place of
AnsibleModule, and the action plugin's choice between that and a normal module run."""

from __future__ import annotations

import json
import os
import types
from unittest import mock

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.oob.amt.plugins.module_utils.connection import amt_argument_spec
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError
from ansible_collections.oob.amt.plugins.plugin_utils.in_process import InProcessAction, ModuleRun

try:
    from ansible.module_utils import _internal as module_utils_internal  # ansible-core 2.19 and later
except ImportError:
    module_utils_internal = None

# Importing Ansible's controller code (the action plugin above) marks the whole process as the controller, which would
# change how AnsibleModule records warnings in the module tests of the same pytest run; this file's tests set it back.
if module_utils_internal is not None:
    module_utils_internal.is_controller = False

PASSWORD = "S3cret-Passw0rd!"
MASKED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
# What the action plugin adds to the task's arguments (ActionBase._update_module_args), the ones that matter here.
INTERNAL = {"_ansible_check_mode": False, "_ansible_diff": False, "_ansible_module_name": "oob.amt.fake", "_ansible_no_log": False}


@pytest.fixture(autouse=True)
def on_the_controller(monkeypatch):
    if module_utils_internal is not None:
        monkeypatch.setattr(module_utils_internal, "is_controller", True)


def fake_module(body, supports_check_mode=True, **options):
    """A module whose main() builds an AmtModule over the connection options plus `options` and runs body(module)."""
    def main():
        module = AmtModule(argument_spec=amt_argument_spec(**options), supports_check_mode=supports_check_mode)
        module.run(body)
    return types.SimpleNamespace(__name__="fake", main=main)


def run(body, args, environment=None, **module_keywords):
    arguments = dict(INTERNAL, hostname="127.0.0.1", password=PASSWORD)
    arguments.update(args)
    arguments = dict((name, value) for name, value in arguments.items() if value is not None)  # None: left out, as omit does
    result = ModuleRun(fake_module(body, **module_keywords), arguments).result(environment or {})
    assert AmtModule.front_end is AnsibleModule
    return result


def exits_with_params(module):
    module.exit(changed=False, seen={"check_mode": module.check_mode, "diff": module.diff, "port": module.params["port"]})


def test_result_as_ansible_module_gives_it():
    result = run(exits_with_params, {"timeout": "7"})
    assert result["changed"] is False
    assert result["seen"] == {"check_mode": False, "diff": False, "port": 16993}
    invocation = result["invocation"]["module_args"]
    assert invocation["password"] == MASKED
    assert invocation["timeout"] == 7 and invocation["username"] == "admin" and invocation["port"] == 16993
    assert not any(key.startswith("_ansible_") for key in invocation)


@pytest.mark.parametrize("args, option, rule", [
    ({"timeout": "soon"}, "timeout", "int"),
    ({"use_tls": "maybe"}, "use_tls", "bool"),
    ({"mode": "loud"}, "mode", "one of"),
    ({"bogus": 1}, "bogus", "Unsupported parameters for (oob.amt.fake) module"),
    ({"port": 0}, "port", "between 1 and 65535"),
])
def test_refused_arguments_fail_naming_the_option(args, option, rule):
    sent = []
    result = run(sent.append, args, mode={"type": "str", "choices": ["quiet"]})
    assert result["failed"] is True and option in result["msg"] and rule in result["msg"], result
    assert sent == []
    assert PASSWORD not in json.dumps(result)


def test_no_log_values_never_in_the_result():
    def echoes_the_password(module):
        raise InvalidInputError("the device answered %s and %s" % (module.params["password"], module.params["secret"]))
    result = run(echoes_the_password, {"secret": "An0ther-0ne"}, secret={"type": "str", "no_log": True})
    assert result["failed"] is True and result["error"] == "invalid_input"
    assert PASSWORD not in json.dumps(result) and "An0ther-0ne" not in json.dumps(result)
    assert result["invocation"]["module_args"]["secret"] == MASKED


def test_a_crash_is_a_failed_result_without_secrets():
    def crashes(module):
        raise RuntimeError("unexpected %s" % module.params["password"])
    result = run(crashes, {})
    assert result["failed"] is True and result["msg"].startswith("MODULE FAILURE: RuntimeError"), result
    assert "Traceback" in result["exception"]
    assert PASSWORD not in json.dumps(result)


def test_a_module_without_a_result_fails():
    result = run(lambda module: None, {})
    assert result["failed"] is True and "without a result" in result["msg"]


def test_fail_from_is_a_failed_result():
    result = run(lambda module: module.fail_from(InvalidInputError("port: must be open"), changed=True), {})
    assert result["failed"] is True and result["changed"] is True and result["msg"] == "port: must be open"
    assert result["error"] == "invalid_input" and result["indeterminate"] is False


def test_check_mode_and_diff_reach_the_module():
    def exits_with_diff(module):
        module.exit(changed=True, diff={"before": "a", "after": "b"}, check_mode=module.check_mode)
    result = run(exits_with_diff, {"_ansible_check_mode": True, "_ansible_diff": True})
    assert result["check_mode"] is True and result["diff"] == {"before": "a", "after": "b"}
    assert "diff" not in run(exits_with_diff, {})


def test_check_mode_without_support_skips():
    result = run(exits_with_params, {"_ansible_check_mode": True}, supports_check_mode=False)
    assert result["skipped"] is True and "does not support check mode" in result["msg"]


def test_environment_fallbacks_come_from_the_task_environment():
    def exits_with_user(module):
        module.exit(changed=False, user=module.params["username"], password=module.params["password"])
    result = run(exits_with_user, {"password": None}, environment={"AMT_USERNAME": "auditor", "AMT_PASSWORD": PASSWORD})
    assert result["user"] == "auditor" and result["password"] == MASKED
    assert "AMT_PASSWORD" not in os.environ


def test_warnings_and_deprecations_are_in_the_result():
    def warns(module):
        module.warn("careful")
        module.exit(changed=False)
    deprecated_alias = {"name": "old_level", "version": "2.0.0", "collection_name": "oob.amt"}
    result = run(warns, {"use_tls": False, "level": 1, "old_level": 2},
                 level={"type": "int", "aliases": ["old_level"], "deprecated_aliases": [deprecated_alias]})
    assert result["warnings"] == ["Both option level and its alias old_level are set.", "careful"]
    assert [(item["msg"].split(" ")[0], item["version"], item["collection_name"]) for item in result["deprecations"]] == [
        ("Alias", "2.0.0", "oob.amt")]


class FakeAction(InProcessAction):
    module = fake_module(exits_with_params, transport={"type": "str"})
    on_managed_host = {"transport": "local"}


def action(connection="local", become=None, async_val=0, **args):
    task = mock.MagicMock(args=dict(hostname="127.0.0.1", password=PASSWORD, **args), async_val=async_val, action="oob.amt.fake",
                          check_mode=False, diff=False, no_log=False, environment=[])
    plugin = mock.MagicMock(transport=connection, become=become)
    plugin._shell.tmpdir = None
    return FakeAction(task, plugin, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), mock.MagicMock())


@pytest.mark.parametrize("settings, in_process", [
    ({}, True),
    ({"transport": "network"}, True),
    ({"transport": "local"}, False),
    ({"connection": "ssh"}, False),
    ({"become": object()}, False),
    ({"async_val": 30}, False),
])
def test_runs_in_process_only_on_a_local_connection_for_the_network(settings, in_process):
    normal_runs = []
    with mock.patch.object(NormalAction, "run", lambda self, tmp=None, task_vars=None: normal_runs.append(self) or {"ran": "module"}):
        result = action(**settings).run(task_vars={})
    assert (normal_runs == []) == in_process
    assert result.get("seen", {}).get("port") == (16993 if in_process else None)
    assert PASSWORD not in json.dumps(result)
