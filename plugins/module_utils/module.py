# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every oob.amt module shares: the connection options, their validation, the client and error reporting."""

from __future__ import annotations

import re
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.oob.amt.plugins.module_utils.amt.identity import GET_UUID, SETUP_SERVICE, normalize_uuid, read_uuid, require_uuid
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

HTTPS_PORT = 16993
HTTP_PORT = 16992

CONNECTION_OPTIONS = {
    # Not required here: modules that reach the device another way (MEI, LMS) accept it for group module_defaults only.
    "hostname": {"type": "str", "fallback": (env_fallback, ["AMT_HOSTNAME"])},
    "port": {"type": "int"},
    "username": {"type": "str", "default": "admin", "fallback": (env_fallback, ["AMT_USERNAME"])},
    "password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["AMT_PASSWORD"])},
    "use_tls": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "client_cert": {"type": "path"},
    "client_key": {"type": "path", "no_log": False},
    "cert_fingerprint": {"type": "str"},
    "timeout": {"type": "int", "default": 30},
    "expected_uuid": {"type": "str"},
}

_SHA256_FINGERPRINT = re.compile(r"^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){31})$")


def amt_argument_spec(**module_options):
    """The connection options plus the module's own options (a module option of the same name wins)."""
    spec = {name: dict(option) for name, option in CONNECTION_OPTIONS.items()}
    spec.update(module_options)
    return spec


def validate_connection_options(params):
    """Raise InvalidInputError naming the first connection option that breaks its rule."""
    if params["hostname"] is not None and not params["hostname"].strip():
        raise InvalidInputError("hostname must not be empty")
    port = params["port"]
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInputError("port must be between 1 and 65535, got %d" % port)
    if params["timeout"] <= 0:
        raise InvalidInputError("timeout must be greater than 0, got %d" % params["timeout"])
    if bool(params["client_cert"]) != bool(params["client_key"]):
        missing = "client_key" if params["client_cert"] else "client_cert"
        raise InvalidInputError("client_cert and client_key must be given together (%s is missing)" % missing)
    fingerprint = params["cert_fingerprint"]
    if fingerprint is not None and not _SHA256_FINGERPRINT.match(fingerprint.strip()):
        raise InvalidInputError("cert_fingerprint must be a SHA-256 fingerprint: 64 hexadecimal digits, optionally with colons between byte pairs")
    if not params["use_tls"]:
        for option in ("cert_fingerprint", "client_cert"):
            if params[option]:
                raise InvalidInputError("%s requires use_tls=true" % option)
    if params["expected_uuid"] is not None:
        try:
            normalize_uuid(params["expected_uuid"])
        except InvalidInputError:
            raise InvalidInputError("expected_uuid must be a UUID in the form 8-4-4-4-12, got %r" % params["expected_uuid"]) from None


class AmtModule:
    """An AnsibleModule with the connection options validated, the run's lazily built AmtClient, connect() for sessions
    with other credentials, and AmtError reporting.

    Use it through run(): every AmtError raised by the module's function, the client included, becomes a failed result.
    """

    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        self._client = None
        self.ansible_module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=supports_check_mode, **kwargs)
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
            self._client = self.connect()
        return self._client

    def connect(self, username=None, password=None):
        """A new AmtClient in a session of its own, as username/password (default: the connection's); the caller closes it.

        With expected_uuid set, the device's UUID is checked before the client is returned, so nothing can be sent to another machine.
        """
        params = self.params
        client = self._connect(params["username"] if username is None else username, params["password"] if password is None else password)
        if params["expected_uuid"] is not None:
            try:
                require_uuid(read_uuid(client), params["expected_uuid"], class_name=SETUP_SERVICE, method=GET_UUID)
            except AmtError:
                client.close()
                raise
        return client

    def warn(self, message):
        self.ansible_module.warn(message)

    def fail_from(self, error, **result):
        """Fail with the error's redacted message and its machine-readable fields; result adds e.g. changed=True."""
        self._close()
        result.update(error.to_result())
        self.ansible_module.fail_json(msg=str(error), **result)

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

    def _connect(self, username, password):
        # Imported here so that a missing requests or defusedxml is reported by __init__ through missing_required_lib.
        from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient
        from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport

        params = self.params
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
        )
        return AmtClient(transport)

    def _close(self):
        if self._client is not None:
            client, self._client = self._client, None
            client.close()
