# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running an oob.amt module's own code in the controller's worker process instead of shipping it as a module.

A module that only talks to a device over the network gains nothing from running in a process of its own on a local
connection, and pays for it: a Python start, Ansible's module utilities unpacked and imported, requests imported, for
every device. InProcessAction, the base of such a module's action plugin, calls the module's main() in the worker
instead, with a ControllerFrontEnd in place of AnsibleModule (AmtModule.front_end): the same argument checks, the same
result, every no_log value removed from it. Anything else (another connection, become, async, the module working on
the managed host itself) runs the module as the normal action plugin does.
"""

from __future__ import annotations

import contextlib
import json
import os
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import PASS_BOOLS, PASS_VARS, remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

from ansible_collections.oob.amt.plugins.module_utils.module import MISSING_LIBRARIES, AmtModule

try:
    from ansible.module_utils.common.json import Direction, get_module_decoder, get_module_encoder
    # (encoder, its options, decoder) of the arguments on their way to a module process
    TO_MODULE = (get_module_encoder("legacy", Direction.CONTROLLER_TO_MODULE), {}, get_module_decoder("legacy", Direction.CONTROLLER_TO_MODULE))
except ImportError:  # ansible-core before 2.19 sends them as plain JSON
    from ansible.module_utils.common.json import AnsibleJSONEncoder
    TO_MODULE = (AnsibleJSONEncoder, {"vault_to_text": True}, json.JSONDecoder)

display = Display()


class ModuleExit(BaseException):
    """exit_json or fail_json of a module running in the worker: the result, carried out of the module's code as a
    module process's exit would end it (a BaseException, so that no `except Exception` in the module stops it)."""

    def __init__(self, result):
        super().__init__("module exited")
        self.result = result


class ControllerFrontEnd:
    """AnsibleModule's interface, as far as AmtModule uses it, for a module running in the controller's worker.

    The task's arguments are checked against the module's argument spec by ArgumentSpecValidator, with the internal
    arguments (_ansible_check_mode, _ansible_diff, ...) taken as AnsibleModule takes them; exit_json and fail_json
    build the result AnsibleModule would print (invocation, warnings, deprecations, no_log values removed) and raise
    ModuleExit with it.
    """

    def __init__(self, module_args, argument_spec, supports_check_mode=False, mutually_exclusive=None, required_together=None,
                 required_one_of=None, required_if=None, required_by=None):
        self.no_log_values = set()
        self._warnings = []
        self._deprecations = []
        self.params = dict(module_args)
        for name, (attribute, default) in PASS_VARS.items():
            value = self.params.pop("_ansible_" + name, default)
            setattr(self, attribute, boolean(value) if name in PASS_BOOLS else value)
        validation = ArgumentSpecValidator(argument_spec, mutually_exclusive, required_together, required_one_of, required_if,
                                           required_by).validate(self.params)
        self.params.update(validation.validated_parameters)
        self.no_log_values.update(validation._no_log_values)  # pylint: disable=protected-access
        for deprecation in validation._deprecations:  # pylint: disable=protected-access
            self.deprecate(deprecation["msg"], version=deprecation.get("version"), date=deprecation.get("date"),
                           collection_name=deprecation.get("collection_name"))
        for both in validation._warnings:  # pylint: disable=protected-access
            self.warn("Both option {option} and its alias {alias} are set.".format(option=both["option"], alias=both["alias"]))
        errors = validation.errors
        first = errors.errors[0] if errors.errors else None
        if first is not None and not (isinstance(first, UnsupportedError) and self._ignore_unknown_opts):  # pylint: disable=no-member
            message = errors.msg
            if isinstance(first, UnsupportedError):
                message = "Unsupported parameters for ({name}) module: {msg}".format(name=self._name, msg=message)  # pylint: disable=no-member
            self.fail_json(msg=message)
        if self.check_mode and not supports_check_mode:  # pylint: disable=no-member
            self.exit_json(skipped=True, msg="remote module (%s) does not support check mode" % self._name)  # pylint: disable=no-member

    def warn(self, warning):
        self._warnings.append(warning)

    def deprecate(self, msg, version=None, date=None, collection_name=None):
        deprecation = {"msg": msg, "collection_name": collection_name}
        deprecation.update({"date": date} if date is not None else {"version": version})
        self._deprecations.append(deprecation)

    def exit_json(self, **result):
        raise ModuleExit(self._formatted(result))

    def fail_json(self, msg, exception=None, **result):
        result.update(failed=True, msg=str(msg))
        if isinstance(exception, BaseException):
            result["exception"] = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
        elif exception is not None:
            result["exception"] = exception
        raise ModuleExit(self._formatted(result))

    def _formatted(self, result):
        """The result as AnsibleModule returns it: invocation, warnings and deprecations added, every no_log value
        replaced in it (booleans and None kept as they are), and as plain as JSON makes it."""
        result.setdefault("invocation", {"module_args": self.params})
        if self._warnings:
            result["warnings"] = list(self._warnings)
        if self._deprecations:
            result["deprecations"] = list(self._deprecations)
        kept = dict((key, value) for key, value in result.items() if value is None or isinstance(value, bool))
        result = remove_values(result, self.no_log_values)
        result.update(kept)
        return json.loads(json.dumps(result))


def as_module_receives(module_args):
    """The task's arguments as a module process decodes them: plain JSON values, without the controller's own types."""
    encoder, options, decoder = TO_MODULE
    return json.loads(json.dumps(module_args, cls=encoder, **options), cls=decoder)


@contextlib.contextmanager
def task_environment(environment):
    """os.environ with the task's `environment` added (where a module process would find it), restored afterwards."""
    saved = dict(os.environ)
    os.environ.update((str(name), str(value)) for name, value in environment.items())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


class ModuleRun:
    """One run of a module's main() in this process, with the task's arguments (the internal _ansible_* ones included)."""

    def __init__(self, module, module_args):
        self.module = module
        self.module_args = module_args
        self.front_end = None

    def build_front_end(self, **spec):
        """What AmtModule builds in place of AnsibleModule during the run."""
        self.front_end = ControllerFrontEnd(self.module_args, **spec)
        return self.front_end

    def result(self, environment):
        """The module's result, with the task's environment in os.environ meanwhile.

        A crash in the module's code becomes a failed result, as a module process's traceback would, with the no_log
        values known by then removed from its message and traceback.
        """
        saved, AmtModule.front_end = AmtModule.front_end, self.build_front_end
        try:
            with task_environment(environment):
                self.module.main()
        except ModuleExit as done:
            return done.result
        except (Exception, SystemExit) as crash:  # pylint: disable=broad-exception-caught
            return remove_values({"failed": True, "msg": "MODULE FAILURE: %s: %s" % (type(crash).__name__, crash),
                                  "exception": traceback.format_exc()}, self.front_end.no_log_values if self.front_end else set())
        finally:
            AmtModule.front_end = saved
        return {"failed": True, "msg": "MODULE FAILURE: %s returned without a result" % self.module.__name__}


class InProcessAction(NormalAction):
    """The action plugin of a module that reaches its device over the network: on a local connection it runs the
    module's code in this worker (ModuleRun), otherwise as the normal action plugin runs any module.

    A subclass names the module (its Python module, whose main() builds an AmtModule) and the option values with which
    the module works on the managed host itself, where it must run as a module.
    """

    module = None
    on_managed_host = {}

    def run(self, tmp=None, task_vars=None):
        if not self._runs_in_process():
            return super().run(tmp, task_vars)
        result = ActionBase.run(self, tmp, task_vars)
        del tmp  # tmp no longer has any effect
        module_args = as_module_receives(self._task.args)
        self._update_module_args(self._task.action, module_args, task_vars)
        environment = {}
        self._compute_environment_string(environment)
        display.vvv("%s runs in the controller's worker process (connection local): no module is transferred" % self._task.action,
                    host=self._play_context.remote_addr)
        result.update(ModuleRun(self.module, module_args).result(environment))
        return result

    def _runs_in_process(self):
        """Whether the module can run here: a local connection without become or async, the libraries it needs
        importable here, and no option that makes it work on the managed host."""
        return (self._connection.transport == "local" and not self._connection.become and not self._task.async_val
                and not MISSING_LIBRARIES
                and not any(self._task.args.get(option) == value for option, value in self.on_managed_host.items()))
