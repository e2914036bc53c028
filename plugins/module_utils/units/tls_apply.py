# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Applying the TLS unit: its writes, CommitChanges (never sent twice), the reconnection over TLS that verifies the
device serves the new settings, and the removal of the certificate it replaced. amt_tls and amt_baseline both use it.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time

from ansible_collections.oob.amt.plugins.module_utils.amt import schema
from ansible_collections.oob.amt.plugins.module_utils.connection import HTTP_PORT, HTTPS_PORT
from ansible_collections.oob.amt.plugins.module_utils.units.base import (
    CONFIRMED, REFUSED, UNCONFIRMED, _write, read_state)
from ansible_collections.oob.amt.plugins.module_utils.units.tls import Tls, fingerprint
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import (
    AmtError, DeviceError, IndeterminateError, InvalidInputError, TlsError, UnreachableError)

COMMIT = "commit the TLS changes (CommitChanges), then reconnect over TLS and verify"
# Pauses between attempts to reach the device after CommitChanges, the last one repeated: the restart takes 5 to 60 s
# (docs/firmware-timing.md section 4), and a refused connection costs the device nothing.
_BACKOFF = (0.2, 0.5, 1, 2)
_PROBE_TIMEOUT = 5


def _wanted_connection(unit, state, issuer_file):
    """Connection overrides that reach the device as it must serve after the change: the issuer verifies a certificate
    it issued (issuer_file given), any other is pinned."""
    entry = state["certificates"][state["context"]]
    pinned = fingerprint(entry["der"])
    issuer = unit.want["issuer"]
    if issuer is not None and issuer_file and entry["certificate"].issuer == issuer[0].subject:
        return {"port": HTTPS_PORT, "use_tls": True, "validate_certs": True, "ca_path": issuer_file, "cert_fingerprint": None}
    return {"port": HTTPS_PORT, "use_tls": True, "validate_certs": True, "ca_path": None, "cert_fingerprint": pinned}


def _port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def _serves_over_tls(module, overrides, client):
    """Whether the device serves the certificate overrides pin: seen on the TLS session `client` already holds, or else
    on a new session pinned to it (two more TLS handshakes, the digest challenge's and the session's)."""
    if client is not None and client.peer_certificate is not None:
        return fingerprint(client.peer_certificate) == overrides["cert_fingerprint"]
    try:
        client = module.connect(**overrides)
    except AmtError:
        return False
    try:
        client.enumerate(schema.AMT_TLS_SETTING_DATA)
    except AmtError:
        return False
    finally:
        client.close()
    return True


def _in_effect(module, unit, state, client=None):
    """Whether the device serves what its settings say: the certificate in use on 16993, 16992 closed when it must be.
    client: a session over TLS whose served certificate answers the first half, if the caller holds one."""
    if state["context"] not in state["certificates"]:
        return False
    if not _serves_over_tls(module, _wanted_connection(unit, state, None), client):
        return False
    if "AcceptNonSecureConnections" in unit.settings_wanted(state)["remote"] and not unit.want["accept_non_secure_connections"]:
        return not _port_open(module.hostname, HTTP_PORT)
    return True


def _reach_again(module, unit, overrides, timeout):
    """A client over the new connection and the state it reads, once the device is back; raises the last error at timeout."""
    deadline = time.monotonic() + timeout
    attempt = 0
    while True:
        client = None
        try:
            client = module.connect(read_retries=0, **overrides)
            return client, read_state(unit, client)
        except (UnreachableError, TlsError, IndeterminateError) as error:
            if client is not None:
                client.close()
            pause = _BACKOFF[min(attempt, len(_BACKOFF) - 1)]
            if time.monotonic() + pause > deadline:
                raise type(error)("the device did not answer over TLS within restart_timeout (%d s) after CommitChanges: %s"
                                  % (timeout, error)) from None
            time.sleep(pause)
            attempt += 1


def _commit(module, unit, outcome, overrides, restart_timeout):
    """CommitChanges, never sent twice; then the device reached over the new connection. Returns (client, state)."""
    lost = False
    try:
        module.client.invoke(schema.AMT_SETUP_AND_CONFIGURATION_SERVICE, "CommitChanges")
    except IndeterminateError:
        lost = True  # The port stack restarted while the answer was in flight: read what the device serves.
    except UnreachableError:
        raise
    except AmtError:
        outcome.record(COMMIT, REFUSED)
        raise
    try:
        client, state = _reach_again(module, unit, overrides, restart_timeout)
    except AmtError:
        outcome.record(COMMIT, UNCONFIRMED if lost else CONFIRMED, verified=None if lost else False)
        raise
    remaining = unit.plan(state)
    if remaining or not _in_effect(module, unit, state, client):
        client.close()
        outcome.record(COMMIT, UNCONFIRMED if lost else CONFIRMED, verified=None if lost else False)
        pending = "; ".join(unit.summary(change) for change in remaining) or "the device does not serve its new settings yet"
        error_class = IndeterminateError if lost else DeviceError
        raise error_class("after CommitChanges the device still differs: %s" % pending,
                          class_name=schema.AMT_SETUP_AND_CONFIGURATION_SERVICE, method="CommitChanges")
    outcome.record(COMMIT, CONFIRMED, verified=True)
    return client, state


def _removals(unit, state, replaced):
    """(class, InstanceID, action) removing the certificate the run replaced, those earlier runs left behind (a run cut
    off between CommitChanges and this clean-up) and their key pairs, unless something that stays uses them."""
    replaced_key = (state["certificates"].get(replaced) or {}).get("key")
    removals = []
    for class_name, instance_id in unit.removals(state, ([replaced] if replaced else []) + unit.leftovers(state)):
        which = "replaced" if instance_id in (replaced, replaced_key) else "leftover"
        what = "server certificate" if class_name == schema.AMT_PUBLIC_KEY_CERTIFICATE else "key pair"
        removals.append((class_name, instance_id, "remove the %s %s %s" % (which, what, instance_id)))
    return removals


def _remove(client, removals, outcome):
    for class_name, instance_id, action in removals:
        try:
            client.delete(class_name, {"InstanceID": instance_id})
        except AmtError:
            # The device refuses to delete what is in use (802.1X, CIRA): it stays, and so do the keys.
            outcome.record(action, REFUSED)
            return
        outcome.record(action, CONFIRMED, verified=True)


def _issuer_file(unit):
    issuer = unit.want["issuer"]
    if issuer is None:
        return None
    from cryptography.hazmat.primitives import serialization
    handle, path = tempfile.mkstemp(prefix="amt-tls-issuer-", suffix=".pem")
    with os.fdopen(handle, "wb") as stream:
        stream.write(issuer[0].public_bytes(serialization.Encoding.PEM))
    return path


def _request_only(module, unit, state, outcome):
    """No issuer and no certificate: leave the device's request in the result for signing elsewhere, then fail."""
    generated = unit.spare_key(state) is None
    outcome.extra["csr"] = unit.request(module.client, state)
    if generated:
        outcome.record("generate a key pair on the device for the server certificate", CONFIRMED, verified=True)
    raise InvalidInputError("certificate: a new server certificate is needed (%s) and neither issuer_certificate nor certificate"
                            " is given. Have the result's csr signed and give it as certificate" % unit.renewal_reason(state))


def check_hostname(module, unit):
    names = set(unit.want["server_certificate"]["subject_alt_names"]) | {unit.want["server_certificate"]["common_name"].lower()}
    hostname = module.hostname.strip("[]").lower()
    if unit.want["issuer"] is not None and hostname not in names:
        raise InvalidInputError("server_certificate.subject_alt_names: must include %s, the host name this task connects to,"
                                " or the device could not be verified against the issuer after the change" % hostname)


def apply(module, unit, outcome, restart_timeout):
    """Bring the device to the Tls unit's options as procedure outcome: writes, CommitChanges, reconnection, clean-up.

    module is the AmtModule whose client and connect() reach the device; restart_timeout bounds the wait after the commit.
    """
    check_hostname(module, unit)
    client = module.client
    state = read_state(unit, client)
    changes = unit.plan(state)
    outcome.diff = unit.diff(state, changes)
    pending = bool(changes) or not _in_effect(module, unit, state, client)
    # Certificates left behind are removed once the device serves what the task wants: now, or after the commit.
    leftovers = [] if pending else _removals(unit, state, None)
    outcome.planned = [unit.summary(change) for change in changes] + ([COMMIT] if pending else []) + [action for _c, _i, action in leftovers]
    if changes:
        unit.preflight(client, state, changes)
    needs_certificate = any(change["action"] == "certificate" for change in changes)
    if needs_certificate and unit.want["issuer"] is None and unit.want["certificate"] is None:
        if module.check_mode:
            raise InvalidInputError("certificate: a new server certificate is needed (%s) and neither issuer_certificate nor"
                                    " certificate is given" % unit.renewal_reason(state))
        _request_only(module, unit, state, outcome)
    if not module.check_mode and leftovers:
        _remove(client, leftovers, outcome)
        state = read_state(unit, client)
    if module.check_mode or not pending:
        outcome.state = outcome.diff["after"]
        if not changes and state["context"] in state["certificates"]:
            _finish(state, outcome)
        return
    for change in changes:
        _write(unit, client, state, change, outcome)
    issuer_file = _issuer_file(unit)
    try:
        written = read_state(unit, client)
        overrides = _wanted_connection(unit, written, issuer_file)
        new_client, final = _commit(module, unit, outcome, overrides, restart_timeout)
        try:
            replaced = next((change["replaces"] for change in changes if change["action"] == "certificate"), None)
            removals = _removals(unit, final, replaced)
            if removals:
                _remove(new_client, removals, outcome)
                final = read_state(unit, new_client)
        finally:
            new_client.close()
    finally:
        if issuer_file:
            os.unlink(issuer_file)
    outcome.state = unit.describe(final)
    _finish(final, outcome)


def _finish(state, outcome):
    facts = Tls.server_certificate_facts(state)
    outcome.extra["certificate"] = facts
    outcome.extra["connection"] = {"port": HTTPS_PORT, "use_tls": True, "cert_fingerprint": facts["fingerprint"]}
