# Copyright: oob.amt contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The floor of a fleet job: the same classes read from the same devices by the collection's own AmtClient and
WsmanTransport, from a thread pool in this one Python process, without Ansible.

    PYTHONPATH=COLLECTIONS_ROOT python floor.py --inventory FILE --hosts FILE --gather-subset all --threads 20

The hosts file names one inventory host a line; credentials come from the inventory. Prints one JSON object:
devices, requests (the sum of every client's request_count, Digest challenges included) and failures
(host -> error message).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json

import yaml

from ansible_collections.oob.amt.plugins.module_utils.amt.client import AmtClient
from ansible_collections.oob.amt.plugins.module_utils.info.gather import gather
from ansible_collections.oob.amt.plugins.module_utils.info.subsets import resolve_subsets
from ansible_collections.oob.amt.plugins.module_utils.wsman.errors import AmtError
from ansible_collections.oob.amt.plugins.module_utils.wsman.transport import WsmanTransport


def read_device(host, ca_path, subsets):
    """(requests sent, None) once every subset is read, or (requests sent, error message)."""
    port = host["amt_tls_port"] if host["amt_use_tls"] else host["amt_http_port"]
    client = AmtClient(WsmanTransport(host["amt_hostname"], port, host["amt_username"], host["amt_password"],
                                      use_tls=host["amt_use_tls"], ca_path=ca_path))
    try:
        gather(client, subsets)
        return client.request_count, None
    except AmtError as error:
        return client.request_count, str(error)
    finally:
        client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--inventory", required=True, help="the amtsim inventory (YAML)")
    parser.add_argument("--hosts", required=True, help="file naming the hosts to read, one a line")
    parser.add_argument("--gather-subset", action="append", required=True, help="as amt_info's gather_subset (repeatable)")
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    with open(args.inventory, encoding="utf-8") as handle:
        group = yaml.safe_load(handle)["all"]["children"]["amt"]
    with open(args.hosts, encoding="utf-8") as handle:
        names = [line.strip() for line in handle if line.strip()]
    subsets = resolve_subsets(args.gather_subset)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        outcomes = dict(zip(names, pool.map(lambda name: read_device(group["hosts"][name], group["vars"]["amt_ca_path"], subsets), names)))
    print(json.dumps({"devices": len(names), "requests": sum(requests for requests, _error in outcomes.values()),
                      "failures": dict((name, error) for name, (_requests, error) in outcomes.items() if error)}))


if __name__ == "__main__":
    main()
