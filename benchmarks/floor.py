# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor of a fleet job, from a thread pool in this one Python process, without Ansible: either the same classes
read from the same devices by the collection's own AmtClient and WsmanTransport (--gather-subset), or the same baseline
enforced by amt_baseline's own code on each device (--baseline), for a job that writes.

    PYTHONPATH=COLLECTIONS_ROOT python floor.py --inventory FILE --hosts FILE --gather-subset all --threads 20
    PYTHONPATH=COLLECTIONS_ROOT python floor.py --inventory FILE --hosts FILE --baseline --threads 50

The hosts file names one inventory host a line; credentials come from the inventory. Prints one JSON object:
devices, requests (the sum of every client's request_count, Digest challenges included), writes and failures
(host -> error message).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import threading

import yaml

from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient
from ansible_collections.oob.amt.plugins.module_utils.info.gather import gather
from ansible_collections.oob.amt.plugins.module_utils.info.subsets import resolve_subsets
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AmtError
from ansible_collections.oob.amt.plugins.module_utils.module import AmtModule
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport
from ansible_collections.oob.amt.plugins.modules import amt_baseline
from ansible_collections.oob.amt.plugins.plugin_utils.in_process import ModuleExit, ModuleRun

# The module run of each thread: AmtModule builds its front end from the class, which every thread shares.
_CURRENT = threading.local()


def read_device(host, ca_path, subsets):
    """(requests sent, 0 writes, None) once every subset is read, or (requests sent, 0, error message)."""
    port = host["amt_tls_port"] if host["amt_use_tls"] else host["amt_http_port"]
    client = AmtClient(WsmanTransport(host["amt_hostname"], port, host["amt_username"], host["amt_password"],
                                      use_tls=host["amt_use_tls"], ca_path=ca_path))
    try:
        gather(client, subsets)
        return client.request_count, 0, None
    except AmtError as error:
        return client.request_count, 0, str(error)
    finally:
        client.close()


def _thread_front_end(**spec):
    return _CURRENT.run.build_front_end(**spec)


def enforce_device(host, ca_path):
    """(requests sent, writes, None) once amt_baseline's main() converged the device with the catalog's defaults, as
    benchmarks/jobs/fleet_baseline.yml asks, or (requests sent, writes, error message)."""
    _CURRENT.run = ModuleRun(amt_baseline, {"hostname": host["amt_hostname"], "username": host["amt_username"],
                                            "password": host["amt_password"], "ca_path": ca_path, "use_tls": host["amt_use_tls"]})
    try:
        amt_baseline.main()
        result = {"failed": True, "msg": "amt_baseline returned without a result"}
    except ModuleExit as done:
        result = done.result
    writes = sum(len(control.get("writes") or []) for control in result.get("controls") or [])
    return result.get("amt_requests", 0), writes, result.get("msg") if result.get("failed") else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--inventory", required=True, help="the amtsim inventory (YAML)")
    parser.add_argument("--hosts", required=True, help="file naming the hosts to read, one a line")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--gather-subset", action="append", help="as amt_info's gather_subset (repeatable)")
    what.add_argument("--baseline", action="store_true", help="enforce the baseline with the catalog's defaults")
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    with open(args.inventory, encoding="utf-8") as handle:
        group = yaml.safe_load(handle)["all"]["children"]["amt"]
    with open(args.hosts, encoding="utf-8") as handle:
        names = [line.strip() for line in handle if line.strip()]
    ca_path = group["vars"]["amt_ca_path"]
    if args.baseline:
        AmtModule.front_end = _thread_front_end
        work = functools.partial(enforce_device, ca_path=ca_path)
    else:
        work = functools.partial(read_device, ca_path=ca_path, subsets=resolve_subsets(args.gather_subset))
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        outcomes = dict(zip(names, pool.map(lambda name: work(group["hosts"][name]), names)))
    print(json.dumps({"devices": len(names), "requests": sum(requests for requests, _writes, _error in outcomes.values()),
                      "writes": sum(writes for _requests, writes, _error in outcomes.values()),
                      "failures": dict((name, error) for name, (_requests, _writes, error) in outcomes.items() if error)}))


if __name__ == "__main__":
    main()
