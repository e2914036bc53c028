"""1,000 devices (2,000 listeners) in one process: every listener up, every device on its own addresses, keep-alive
still working under the full fleet. Start time, memory and latency are measured by simulator/bench/fleet_scale.py."""
import resource
from types import SimpleNamespace

import pytest
from conftest import TRANSFER, DigestClient, FakeDevice, envelope, port_refuses

from amtsim import http as amt_http
from amtsim.types import AMT_PREFIX

DEVICES = 1000
GENERAL = AMT_PREFIX + "AMT_GeneralSettings"


@pytest.fixture(scope="module")
def big_fleet(simulator_loop):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * DEVICES:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8 * DEVICES), hard))
    # A range of its own (127.80/127.81), outside the per-module 127.79.<n>.0/24 blocks.
    members = [SimpleNamespace(device=FakeDevice(index=index), remote_address="127.80.%d.%d" % (index // 250, index % 250 + 1),
                               local_address="127.81.%d.%d" % (index // 250, index % 250 + 1)) for index in range(1, DEVICES + 1)]
    server = simulator_loop.run(amt_http.serve_fleet(SimpleNamespace(members=members)), timeout=120)
    yield SimpleNamespace(server=server, members=members)
    simulator_loop.run(server.close(), timeout=60)


def test_a_thousand_devices_have_every_listener(big_fleet):
    assert sum(len(host.listeners) for host in big_fleet.server.hosts) == 2 * DEVICES


def test_every_device_answers_on_its_own_addresses(big_fleet):
    for member in (big_fleet.members[0], big_fleet.members[499], big_fleet.members[-1]):
        client = DigestClient(member.remote_address)
        assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200
        client.close()
        assert not port_refuses(member.local_address, 16992)
        assert port_refuses(member.remote_address, 16993)


def test_keep_alive_holds_under_a_full_fleet(big_fleet):
    client = DigestClient(big_fleet.members[700].remote_address)
    client.post(envelope(TRANSFER + "Get", GENERAL))
    opened = client.connections_opened
    for _round in range(50):
        assert client.post(envelope(TRANSFER + "Get", GENERAL)).status == 200
    client.close()
    assert client.connections_opened == opened
