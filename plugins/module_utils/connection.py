# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every oob.amt module takes, and the rules they are checked against before anything is sent."""

from __future__ import annotations

import ipaddress
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
# RFC 1035 limits: 63 octets a label, 253 characters a name (255 octets on the wire).
_MAX_LABEL = 63
_MAX_NAME = 253
# Underscores are not valid in host names but occur in internal DNS; urllib3 and getaddrinfo accept them.
_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$")
_HOST_AND_PORT = re.compile(r"^(?:\[[^\]]*\]|[^:\[\]]*):[0-9]+$")


def amt_argument_spec(**module_options):
    """The connection options plus the module's own options (a module option of the same name wins)."""
    spec = {name: dict(option) for name, option in CONNECTION_OPTIONS.items()}
    spec.update(module_options)
    return spec


def _hostname_problem(hostname):
    """Why hostname is not a bare IP literal or DNS name (the rule it breaks), or None when it is one."""
    if "://" in hostname:
        return "must not contain a scheme (%s): give the address only, use_tls chooses HTTPS" % hostname.split("://", 1)[0]
    if "@" in hostname:
        return "must not contain user information ('@'): give the address only, and the user in username"
    if "/" in hostname or "?" in hostname or "#" in hostname:
        return "must not contain a path ('/', '?' or '#'): give the address only"
    if _HOST_AND_PORT.match(hostname):
        return "must not contain a port (':<number>'): give the address only, and the port in port"
    if "%" in hostname:
        # It would need percent-encoding in the URL, and Python before 3.9 cannot parse it.
        return "must not carry an IPv6 zone index ('%'): give a global or unique local IPv6 address"
    if hostname.startswith("[") or hostname.endswith("]"):
        return None if hostname.startswith("[") and hostname.endswith("]") and _is_ipv6(hostname[1:-1]) else (
            "in brackets must be an IPv6 address, such as [fe80::1]")
    if ":" in hostname:
        return None if _is_ipv6(hostname) else "must be an IPv6 address when it contains ':' (a port goes in port)"
    return _dns_name_problem(hostname)


def _is_ipv6(text):
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _dns_name_problem(hostname):
    name = hostname[:-1] if hostname.endswith(".") else hostname
    if re.match(r"^[0-9.]+$", name):
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return "is neither an IPv4 address (four numbers from 0 to 255) nor a DNS name"
        return None
    if len(name) > _MAX_NAME:
        return "must be at most %d characters long, got %d" % (_MAX_NAME, len(name))
    for label in name.split("."):
        if not label:
            return "must not contain an empty label (two dots in a row, or a leading dot)"
        if len(label) > _MAX_LABEL:
            return "must not contain a DNS label longer than %d characters, got one of %d" % (_MAX_LABEL, len(label))
        if not _LABEL.match(label):
            return ("may contain only ASCII letters, digits, hyphens, underscores and dots, with no hyphen at either end of a label"
                    " (write an international name in its xn-- form)")
    return None


def validate_connection_options(params):
    """Raise InvalidInputError naming the first connection option that breaks its rule."""
    if params["hostname"] is not None:
        hostname = params["hostname"].strip()
        if not hostname:
            raise InvalidInputError("hostname must not be empty")
        problem = _hostname_problem(hostname)
        if problem:
            raise InvalidInputError("hostname %s, got %r" % (problem, hostname))
    if not (params["username"] or "").strip():
        # Sent anyway, an empty user name costs a failed logon, which counts towards the device's lock-out.
        raise InvalidInputError("username must not be empty")
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
