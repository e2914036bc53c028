"""``make oracle``: third-party AMT clients checked against simulated CCM and ACM fleets, over TLS (16993) and, where
the firmware still has it, plain HTTP (16992). Prints one line per check, then the counts; exits 1 if any check failed."""
from __future__ import annotations

import signal
import subprocess
import sys

import checks_meshcentral
import checks_python_amt
import checks_wsman_messages
from results import Result, Tally, result
from simulated_fleet import FleetNotReady, simulated_fleet, target

CLIENTS = (checks_meshcentral, checks_python_amt, checks_wsman_messages)
# CSME 16.1 removed the remote non-TLS port: its fleets are checked over TLS only; AMT 15 keeps both.
FLEETS = (
    ("ccm", "16.1.27.2176", ("tls",)),
    ("acm", "16.1.27.2176", ("tls",)),
    ("ccm", "15.0.23.1706", ("tls", "http")),
    ("acm", "15.0.23.1706", ("tls", "http")),
)


def _stop_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(143)  # unwinds through simulated_fleet, which stops the simulator


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    tally = Tally(sys.stdout)
    for control_mode, firmware, transports in FLEETS:
        profile = f"{control_mode}@{'.'.join(firmware.split('.')[:2])}"
        # Each client gets its own device per transport: their power changes and CIRA set-ups do not meet.
        devices = len(CLIENTS) * len(transports)
        print(f"\n==== {len(CLIENTS)} clients, {profile} fleet (firmware {firmware}), {' and '.join(transports)} ====", flush=True)
        try:
            with simulated_fleet(control_mode, firmware, devices) as (hosts, ca_path):
                for index, (client, transport) in enumerate((c, t) for c in CLIENTS for t in transports):
                    device = target(hosts[index], ca_path, profile, transport)
                    try:
                        outcomes = client.run(device)
                    except (OSError, ValueError, RuntimeError, subprocess.SubprocessError) as error:
                        outcomes = [result(device, client.CLIENT, "run", False, f"{type(error).__name__}: {error}")]
                    for outcome in outcomes:
                        tally.add(outcome)
        except FleetNotReady as error:
            for client in CLIENTS:
                for transport in transports:
                    tally.add(Result(client.CLIENT, "fleet", profile, transport, False, str(error)))
    print("\n".join(tally.summary()))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
