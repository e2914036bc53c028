# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A short end-to-end run, for every ansible-core release the collection claims (tools/test-ansible-releases.sh runs it
in each release's venv): one module that reads and one that writes, against one simulated device over TLS.

Loopback range: 127.77.236.x (remote) and 127.78.236.x (local).
"""

from __future__ import annotations

import pytest

from conftest import device, run_play, start_fleet

ADDRESSES = {"first_address": "127.77.236.1", "local_first_address": "127.78.236.1"}
NEW_PASSWORD = "Sm0ke~Adm1n!pass"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    started = start_fleet(tmp_path_factory.mktemp("smoke-fleet"), 1, "acm", ADDRESSES)
    yield started
    started.stop()


def test_a_read_a_write_and_an_unchanged_rerun(fleet, tmp_path):
    amt = device(fleet, 0)
    old_password = amt.vars["amt_password"]
    runs = run_play(tmp_path, fleet.inventory_path, [
        ("read", "amt_info", amt.connection(gather_subset=["general", "tls"])),
        ("write", "amt_password", amt.connection(new_password=NEW_PASSWORD)),
        ("write again", "amt_password", amt.connection(password=NEW_PASSWORD, new_password=NEW_PASSWORD)),
    ], hosts=amt.name)
    read = runs["read"]
    assert not read.get("failed") and read["changed"] is False, read
    assert read["amt"]["general"]["uuid"] == amt.vars["amt_uuid"], read
    assert runs["write"]["changed"] is True, runs["write"]
    assert runs["write again"]["changed"] is False, runs["write again"]
    assert amt.authenticates("admin", NEW_PASSWORD) and not amt.authenticates("admin", old_password)
    for secret in (NEW_PASSWORD, old_password):
        assert secret not in runs.output
