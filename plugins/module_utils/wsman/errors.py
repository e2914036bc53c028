# -*- coding: utf-8 -*-
# Copyright: contributors to the oob.amt collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stable error classes shared by the WS-Man core, the AMT client and the modules.

str(error) is the user-facing message and never contains a password, a digest response or any other
secret taken from a request body; ``kind`` is the machine-readable class a playbook can test.

Additions to the shared contract:
* ``fault`` attribute: the WS-Man fault subcode (local name, e.g. ``AlreadyExists``,
  ``DestinationUnreachable``) when the error came from a SOAP fault, else None. Included in to_result().
"""

from __future__ import annotations


class AmtError(Exception):
    kind = "device_error"
    indeterminate = False

    def __init__(self, message, class_name=None, method=None, return_value=None, return_name=None, fault=None):
        super().__init__(message)
        self.message = message
        self.class_name = class_name
        self.method = method
        self.return_value = return_value
        self.return_name = return_name
        self.fault = fault

    def __str__(self):
        return self.message

    def to_result(self):
        return {
            "error": self.kind,
            "amt_class": self.class_name,
            "amt_method": self.method,
            "return_value": self.return_value,
            "return_name": self.return_name,
            "fault": self.fault,
            "indeterminate": self.indeterminate,
        }


class AuthenticationError(AmtError):
    """HTTP 401 after a digest answer: wrong user or password, or the account is locked out."""
    kind = "authentication"


class UnreachableError(AmtError):
    """Connection refused, connect or read timeout on a read, name resolution failure."""
    kind = "unreachable"


class TlsError(AmtError):
    """TLS handshake, certificate verification or certificate fingerprint mismatch."""
    kind = "tls"


class NotPermittedError(AmtError):
    """ReturnValue PT_STATUS_NOT_PERMITTED, an AccessDenied fault or HTTP 403."""
    kind = "not_permitted"


class InvalidInputError(AmtError):
    """Input rejected before sending, or by the device as an invalid parameter."""
    kind = "invalid_input"


class DeviceError(AmtError):
    """Any other non-zero ReturnValue, SOAP fault, HTTP error or malformed response."""
    kind = "device_error"


class IndeterminateError(AmtError):
    """A request that changes the device was sent but no answer came back: re-read before acting."""
    kind = "indeterminate"
    indeterminate = True


class IdentityMismatchError(AmtError):
    """The device's UUID differs from the expected_uuid the play asked for."""
    kind = "identity_mismatch"
