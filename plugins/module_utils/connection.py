# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every oob.amt module takes, and the rules they are checked against before anything is sent."""

from __future__ import annotations

import re

from ansible.module_utils.basic import env_fallback

from ansible_collections.oob.amt.plugins.module_utils.amt.identity import normalize_uuid
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import InvalidInputError

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
