# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every oob.amt module shares: the validated connection, the client and error reporting."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.oob.amt.plugins.module_utils.amt.identity import GET_UUID, SETUP_SERVICE, read_uuid, require_uuid
from ansible_collections.oob.amt.plugins.module_utils.connection import HTTP_PORT, HTTPS_PORT, validate_connection_options
from ansible_collections.oob.amt.plugins.module_utils.units.base import SECRET_MASK, Outcome, converge
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AmtError, InvalidInputError

MISSING_LIBRARIES = {}
try:
    import requests  # pylint: disable=unused-import
except ImportError:
    MISSING_LIBRARIES["requests"] = traceback.format_exc()
try:
    import defusedxml  # pylint: disable=unused-import
except ImportError:
    MISSING_LIBRARIES["defusedxml"] = traceback.format_exc()


class AmtModule:
    """An AnsibleModule with the connection options validated, the run's lazily built AmtClient, connect() for sessions
    with other credentials, and AmtError reporting.

    Use it through run(): every AmtError raised by the module's function, the client included, becomes a failed result.
    """

    # What takes the task's arguments and returns its result: AnsibleModule in a module process. The controller-side
    # runner (plugins/plugin_utils/in_process.py) puts its own front end here, with AnsibleModule's interface, for one run.
    front_end = AnsibleModule

    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        self._client = None
        self._identity_confirmed = False
        self.ansible_module = type(self).front_end(argument_spec=argument_spec, supports_check_mode=supports_check_mode, **kwargs)
        for library, import_traceback in MISSING_LIBRARIES.items():
            self.ansible_module.fail_json(msg=missing_required_lib(library), exception=import_traceback)
        try:
            validate_connection_options(self.params)
        except InvalidInputError as error:
            self.fail_from(error)
        if self.params["port"] is None:
            self.params["port"] = HTTPS_PORT if self.params["use_tls"] else HTTP_PORT
        if self.params["use_tls"] and not self.params["validate_certs"] and not self.params["cert_fingerprint"]:
            self.warn("validate_certs=false: the device's TLS certificate is not verified, so anyone on the path can impersonate it."
                      " Prefer ca_path or cert_fingerprint.")

    @property
    def params(self):
        return self.ansible_module.params

    @property
    def check_mode(self):
        return self.ansible_module.check_mode

    @property
    def diff(self):
        return self.ansible_module._diff  # pylint: disable=protected-access

    @property
    def hostname(self):
        """The device's address; checked only here, when something is about to talk to the device over the network."""
        hostname = self.params["hostname"]
        if hostname is None:
            raise InvalidInputError("hostname is required to reach the device over the network: set hostname or the AMT_HOSTNAME environment variable")
        return hostname.strip()

    @property
    def client(self):
        """The run's AmtClient, built on first use with the connection's credentials; exit() and fail_from() close it."""
        if self._client is None:
            self._client = self.connect(identity_confirmed=self._identity_confirmed)
        return self._client

    def confirm_identity(self, username, password):
        """Check expected_uuid in a session of its own as username/password, an account that may read the UUID, so that
        the run's client does not read it again: its account may be one that may not, such as the Auditor."""
        self.connect(username=username, password=password).close()
        self._identity_confirmed = True

    def connect(self, username=None, password=None, identity_confirmed=False, read_retries=2, **overrides):
        """A new AmtClient in a session of its own, as username/password (default: the connection's); the caller closes it.

        overrides replace connection options for this session only (port, use_tls, ca_path, cert_fingerprint): the way
        back to a device whose TLS settings the module has just changed. read_retries=0 leaves retrying to a caller that
        polls a restarting device with pauses of its own.

        With expected_uuid set, the device's UUID is checked before the client is returned, so nothing can be sent to another machine.
        identity_confirmed=True skips that check for a second session to a device whose UUID this run has already
        confirmed: the Auditor, who holds only the audit log realm, may not read the UUID (GetUuid answers 16).
        """
        params = self.params
        client = self._connect(params["username"] if username is None else username, params["password"] if password is None else password,
                               overrides, read_retries)
        if params["expected_uuid"] is not None and not identity_confirmed:
            try:
                require_uuid(read_uuid(client), params["expected_uuid"], class_name=SETUP_SERVICE, method=GET_UUID)
            except AmtError:
                client.close()
                raise
        return client

    def warn(self, message):
        self.ansible_module.warn(message)

    def redact(self, text):
        """text with every no_log value of the task replaced by the mask, whatever produced it (a device's fault text too)."""
        for secret in sorted(self.ansible_module.no_log_values, key=len, reverse=True):
            if secret:
                text = text.replace(secret, SECRET_MASK)
        return text

    def fail_from(self, error, msg=None, **result):
        """Fail with the error's redacted message and its machine-readable fields; result adds e.g. changed=True.

        indeterminate is true if the error or result says so (a write whose answer was lost).
        """
        self._close()
        indeterminate = bool(result.pop("indeterminate", False)) or error.indeterminate
        result.update(error.to_result())
        result["indeterminate"] = indeterminate
        self.ansible_module.fail_json(msg=self.redact(str(error) if msg is None else msg), **result)

    def converge(self, unit_class, options=None):
        """Bring one unit to the task's options (default: all of the module's parameters), then exit or fail.

        The result holds changed, actions, writes (each with its status), the unit's state under its name and, with
        --diff, before/after. A failure after some writes still reports them, and changed says whether any may have landed.
        """
        try:
            unit = unit_class(self.params if options is None else options)
            client = self.client
        except AmtError as error:
            self.fail_from(error)
        self.finish(converge(unit, client, self.check_mode))

    def run_procedure(self, name, procedure):
        """Run a procedure (provisioning, unprovisioning, a password rotation): steps rather than a desired state.

        procedure(self, outcome) records each write it sends in outcome, sets outcome.planned (what it does or, in check
        mode, would do), outcome.state and outcome.extra, and raises AmtError on failure; the result is built as for units.
        """
        outcome = Outcome(name, self.check_mode)
        try:
            procedure(self, outcome)
        except AmtError as error:
            outcome.error = error
        self.finish(outcome)

    def finish(self, outcome):
        """Exit, or fail, with an Outcome's result."""
        result = outcome.result()
        if outcome.error is not None:
            self.fail_from(outcome.error, msg=outcome.failure_message(), indeterminate=outcome.indeterminate, **result)
        changed = result.pop("changed")
        self.exit(changed, diff=outcome.diff, **result)

    def exit(self, changed, diff=None, **result):
        self._close()
        if diff is not None and self.diff:
            result["diff"] = diff
        self.ansible_module.exit_json(changed=changed, **result)

    def run(self, fn):
        """Call fn(self), which ends with exit(); an AmtError it raises becomes fail_from(), never a traceback."""
        try:
            fn(self)
        except AmtError as error:
            self.fail_from(error)
        self.ansible_module.fail_json(msg="internal error: %s returned without a result" % getattr(fn, "__name__", fn))

    def _connect(self, username, password, overrides=None, read_retries=2):
        # Imported here so that a missing requests or defusedxml is reported by __init__ through missing_required_lib.
        from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient
        from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport

        params = dict(self.params, **(overrides or {}))
        transport = WsmanTransport(
            hostname=self.hostname,
            port=params["port"],
            username=username,
            password=password,
            use_tls=params["use_tls"],
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
            client_cert=params["client_cert"],
            client_key=params["client_key"],
            cert_fingerprint=params["cert_fingerprint"],
            timeout=params["timeout"],
            read_retries=read_retries,
        )
        return AmtClient(transport)

    def _close(self):
        if self._client is not None:
            client, self._client = self._client, None
            client.close()
