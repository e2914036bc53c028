"""How amtsim scales: time to ready, memory and Get latency of a large fleet.

Starts ``amtsim serve --devices N --profile ccm`` (CCM, so every device has admin credentials in the inventory),
waits for the ready line, then sends one digest-authenticated WS-Man Get of AMT_GeneralSettings to every device
and finally ``--gets`` Gets over keep-alive sessions to a few devices, timing each.

    .venv/bin/python simulator/bench/fleet_scale.py [--devices 1000] [--gets 2000] [--firmware SPEC]

``--firmware mixed`` (or counts such as ``11.8:100,16.1:900``) measures a fleet of several generations, whose older
devices negotiate TLS with RSA key exchange or DHE.
"""
from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import requests
import yaml
from requests.auth import HTTPDigestAuth

GET_GENERAL_SETTINGS = """<?xml version="1.0" encoding="utf-8"?>
<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
 xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><Header>
<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action><a:To>/wsman</a:To>
<w:ResourceURI>http://intel.com/wbem/wscim/1/amt-schema/1/AMT_GeneralSettings</w:ResourceURI>
<a:MessageID>uuid:{message_id}</a:MessageID>
<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
<w:OperationTimeout>PT60S</w:OperationTimeout></Header><Body/></Envelope>"""


def _session(host: dict, ca_path: str) -> tuple:
    """A keep-alive session to the device's remote interface: TLS verified by the simulator CA when configured."""
    session = requests.Session()
    session.auth = HTTPDigestAuth(host["amt_username"], host["amt_password"])
    session.headers["Content-Type"] = "application/soap+xml;charset=UTF-8"
    session.trust_env = False  # else REQUESTS_CA_BUNDLE or a proxy from the environment overrides the settings here
    session.verify = ca_path
    if host["amt_use_tls"]:
        return session, f"https://{host['amt_hostname']}:{host['amt_tls_port']}/wsman"
    return session, f"http://{host['amt_hostname']}:{host['amt_http_port']}/wsman"


def _get(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    response = session.post(url, data=GET_GENERAL_SETTINGS.format(message_id=uuid.uuid4()), timeout=30)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or b"AMT_GeneralSettings" not in response.content:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    return elapsed


def _start(command: list) -> tuple:
    """(process, seconds until its ready line, CPU seconds it used until then).

    The CPU time is what the wall time would be on an idle machine (start-up runs on one core), so it stays
    comparable when other work shares the cores.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    if not process.stdout.readline().startswith("amtsim: serving"):
        process.kill()
        raise RuntimeError("amtsim did not become ready")
    elapsed = time.perf_counter() - started
    cpu = psutil.Process(process.pid).cpu_times()
    return process, elapsed, cpu.user + cpu.system


def _percentile(values: list, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=10, help="keep-alive sessions the timed Gets are spread over")
    parser.add_argument("--firmware", help="amtsim --firmware SPEC (default: amtsim's)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="amtsim-bench-") as scratch:
        inventory_path = Path(scratch) / "hosts.yml"
        command = [sys.executable, "-m", "amtsim", "serve", "--devices", str(args.devices), "--profile", "ccm",
                   "--state-dir", str(Path(scratch) / "state"), "--inventory", str(inventory_path)]
        if args.firmware:
            command += ["--firmware", args.firmware]
        process, ready_seconds, ready_cpu = _start(command)
        try:
            server = psutil.Process(process.pid)
            rss_ready = server.memory_info().rss
            amt = yaml.safe_load(inventory_path.read_text())["all"]["children"]["amt"]
            hosts, ca_path = list(amt["hosts"].values()), amt["vars"]["amt_ca_path"]

            sweep_started = time.perf_counter()
            for host in hosts:
                session, url = _session(host, ca_path)
                with session:
                    _get(session, url)
            sweep_seconds = time.perf_counter() - sweep_started
            rss_swept = server.memory_info().rss

            sessions = [_session(host, ca_path) for host in hosts[:args.sessions]]
            for session, url in sessions:
                _get(session, url)  # the digest handshake, not counted
            latencies = [_get(*sessions[i % len(sessions)]) for i in range(args.gets)]
            for session, _url in sessions:
                session.close()
        finally:
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(timeout=60)
        process, restart_seconds, restart_cpu = _start(command)
        process.send_signal(signal.SIGTERM)
        restart_exit_code = process.wait(timeout=60)

    print(f"devices                         {args.devices} (firmware {args.firmware or 'default'})")
    print(f"time to ready line              {ready_seconds:.2f} s, {ready_cpu:.2f} s CPU (first start: certificates, state files)")
    print(f"time to ready line on restart   {restart_seconds:.2f} s, {restart_cpu:.2f} s CPU (resumed from the state directory)")
    print(f"RSS after start                 {rss_ready / 2**20:.0f} MiB")
    print(f"one Get to every device         {sweep_seconds:.2f} s (new session, TLS and digest handshake each)")
    print(f"RSS after that                  {rss_swept / 2**20:.0f} MiB")
    print(f"keep-alive Get latency          p50 {statistics.median(latencies) * 1000:.2f} ms, "
          f"p95 {_percentile(latencies, 0.95) * 1000:.2f} ms over {len(latencies)} Gets, {len(sessions)} sessions")
    print(f"exit status after SIGTERM       {exit_code}, {restart_exit_code} after the restart")
    return 0 if exit_code == restart_exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
