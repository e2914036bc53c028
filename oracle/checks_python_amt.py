"""Checks PyPI's ``amt`` client (python-amt, pinned in requirements-dev.txt): power status and power changes.

Its ``Client`` takes ``protocol="https"`` for port 16993 but has no certificate option: it calls ``requests.post``,
which verifies against the bundle named by ``REQUESTS_CA_BUNDLE``. The checks point that variable at the simulator CA
while they run, and check that without it the connection is refused.
"""
from __future__ import annotations

import contextlib
import io
import os
from xml.etree import ElementTree

import requests
from amt.client import Client

from results import CheckFailed, expect, result

CLIENT = "python-amt"
ON, OFF_SOFT = "2", "8"


@contextlib.contextmanager
def _ca_bundle(path: str | None):
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    if path is None:
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = path
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved


def _client(target, password: str | None = None) -> Client:
    return Client(target.host, target.password if password is None else password, username=target.username,
                  protocol="https" if target.tls else "http")


def _quietly(call):
    """The client prints the whole response when a method returns non-zero; keep it out of the report."""
    with contextlib.redirect_stdout(io.StringIO()):
        return call()


def _power_change(client: Client, change: str, settled: str) -> str:
    returned = _quietly(getattr(client, change))
    expect(returned == 0, f"{change}() returned {returned!r} (the device's ReturnValue was not 0)")
    state = client.power_status()
    expect(state == settled, f"{change}() returned 0 but power_status() is {state!r}, expected {settled!r}")
    return f"{change}() returned 0, power_status() {state}"


def _power_status(client: Client) -> str:
    state = client.power_status()
    expect(state == ON, f"power_status() {state!r}, expected {ON!r} (on)")
    return f"power_status() {state}"


def _wrong_password(target) -> str:
    intruder = _client(target, password="not-" + target.password)
    try:
        intruder.power_status()
    except requests.HTTPError as error:
        status = error.response.status_code
        expect(status == 401, f"HTTP {status}, expected 401")
        return "HTTP 401 for a wrong password"
    raise CheckFailed("a wrong password was accepted")


def _unknown_ca(target) -> str:
    with _ca_bundle(None):
        try:
            _client(target).power_status()
        except requests.exceptions.SSLError:
            return "certificate refused without the simulator CA (requests' default bundle)"
    raise CheckFailed("the device certificate was accepted without the simulator CA")


def run(target) -> list:
    client = _client(target)
    checks = [
        ("power-status", lambda: _power_status(client)),
        ("power-off", lambda: _power_change(client, "power_off", OFF_SOFT)),
        ("power-on", lambda: _power_change(client, "power_on", ON)),
        ("power-cycle", lambda: _power_change(client, "power_cycle", ON)),
        ("wrong-password", lambda: _wrong_password(target)),
    ]
    if target.tls:
        checks.append(("tls-verify", lambda: _unknown_ca(target)))
    outcomes = []
    with _ca_bundle(target.ca_path if target.tls else None):
        for name, check in checks:
            try:
                outcomes.append(result(target, CLIENT, name, True, check()))
            except CheckFailed as failure:
                outcomes.append(result(target, CLIENT, name, False, str(failure)))
            except (requests.RequestException, ElementTree.ParseError, ValueError, AttributeError) as error:
                outcomes.append(result(target, CLIENT, name, False, f"{type(error).__name__}: {error}"))
    return outcomes
