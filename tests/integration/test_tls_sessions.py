# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an amt_baseline run costs: the TLS connections it opens, the trust stores it loads and the requests it
repeats, counted on real sockets to the simulator while the module's own code runs in this process (as its action
plugin runs it in Ansible's worker).

The counts are firmware-imposed: AMT answers the Digest challenge with `Connection: close`, so a session costs two TLS
connections (the challenge's, then the session's); a TLS change restarts the device's TLS stack, so the run reconnects
once after the commit. The certificate the device then serves is read from that session, not from a third one.

Loopback range: 127.77.175.x (remote) and 127.78.175.x (local).
"""

from __future__ import annotations

import collections
import re
import ssl

import pytest
from urllib3.connection import HTTPSConnection

from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport
from ansible_collections.oob.amt.plugins.modules import amt_baseline
from ansible_collections.oob.amt.plugins.plugin_utils.in_process import ModuleRun
from conftest import start_fleet

ADDRESSES = {"first_address": "127.77.175.1", "local_first_address": "127.78.175.1"}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    started = start_fleet(tmp_path_factory.mktemp("tls-sessions-fleet"), 2, "ccm", ADDRESSES, firmware="16.1:1,12.0:1")
    yield started
    started.stop()


class TlsCounter:
    """TLS connections established, trust stores loaded and requests sent (each body without its MessageID) while it is
    installed; the calls still happen."""

    def __init__(self, monkeypatch):
        self.connections = 0
        self.trust_loads = 0
        self.requests = collections.Counter()
        connect, load_verify, load_default = HTTPSConnection.connect, ssl.SSLContext.load_verify_locations, ssl.SSLContext.load_default_certs
        post = WsmanTransport.post

        def counted_post(transport, body, idempotent):
            self.requests[re.sub(rb"MessageID>[^<]*<", b"MessageID><", body)] += 1
            return post(transport, body, idempotent)

        def counted_connect(connection):
            connect(connection)
            self.connections += 1

        def counted_load(original):
            def load(context, *args, **kwargs):
                self.trust_loads += 1
                return original(context, *args, **kwargs)
            return load

        monkeypatch.setattr(WsmanTransport, "post", counted_post)
        monkeypatch.setattr(HTTPSConnection, "connect", counted_connect)
        monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted_load(load_verify))
        monkeypatch.setattr(ssl.SSLContext, "load_default_certs", counted_load(load_default))


def converge(fleet, name, monkeypatch):
    """amt_baseline with the catalog's defaults on one device, as benchmarks/jobs/fleet_baseline.yml runs it; returns
    (result, TlsCounter)."""
    host = fleet.hosts[name]
    counter = TlsCounter(monkeypatch)
    result = ModuleRun(amt_baseline, {"hostname": host["amt_hostname"], "username": host["amt_username"], "password": host["amt_password"],
                                      "ca_path": fleet.group_vars["amt_ca_path"], "use_tls": True}).result({})
    monkeypatch.undo()
    return result, counter


@pytest.mark.parametrize("index", [0, 1], ids=["16.1", "12.0"])
def test_a_tls_change_reconnects_once_and_a_compliant_run_reads_each_thing_once(fleet, index, monkeypatch):
    name = sorted(fleet.hosts)[index]
    first, counted = converge(fleet, name, monkeypatch)
    assert not first.get("failed"), first
    assert first["tls"] is not None, "the catalog's defaults change this device's TLS settings"
    # One commit, listed under each TLS control it settles.
    commit = set(write["status"] for control in first["controls"] for write in control["writes"] if write["action"].startswith("commit the TLS"))
    assert commit == {"confirmed"}
    # The session before the commit and the one after it: two connections each (the challenge's, the session's).
    assert counted.connections == 4
    # One trust store for the run's sessions (the site CA), none for the pinned one after the change, whatever the
    # number of connections.
    assert counted.trust_loads <= 1

    again, counted = converge(fleet, name, monkeypatch)
    assert not again["changed"] and not any(control["writes"] for control in again["controls"])
    assert counted.connections == 2
    # Each class, instance and reading method is asked once: amt_info's facts and the units share the client's cache.
    assert [body for body, times in counted.requests.items() if times > 1] == []
