"""``amtsim serve``: run a simulated Intel AMT fleet on loopback addresses until SIGINT or SIGTERM."""
from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import signal
import sys
import tempfile
import textwrap
from pathlib import Path

from amtsim import __version__
from amtsim.faults import FaultPlan
from amtsim.fleet import PROFILES, Fleet, FleetOptions
from amtsim.latency import LatencyModel
from amtsim.mei import MeiEndpoint

DESCRIPTION = "A simulated Intel AMT fleet that answers WS-Management, Digest, TLS and AMTHI like real firmware."

SERVE_EPILOG = textwrap.dedent("""\
    Device i (1-based) listens on FIRST_ADDRESS + i - 1, ports 16992 (HTTP) and 16993 (TLS), and on
    LOCAL_FIRST_ADDRESS + i - 1 as its local (LMS) endpoint. Its AMTHI socket is STATE_DIR/mei/NNNN.sock.

    Profiles: factory (unprovisioned), ccm, acm, or mixed: 40%% factory, 30%% CCM, 30%% ACM, in an order
    shuffled by --seed (the same seed and size give the same fleet).

    --state-dir keeps the fleet across restarts: the options it was created with are stored in
    STATE_DIR/fleet.json and WIN over --devices/--profile/--firmware/--seed/--first-address/--local-first-address
    on a restart; every device change is saved to STATE_DIR/devices/. Without --state-dir a temporary directory
    is used and removed at exit.

    --inventory writes an Ansible YAML inventory (addresses, ports, UUID, realm, control mode, credentials of
    provisioned devices, CA bundle, provisioning certificate) and rewrites it when a device's control mode,
    credentials or TLS change.

    The line "amtsim: serving N devices" is printed once everything listens. SIGINT/SIGTERM close the listeners,
    save the state and exit with status 0.
    """)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amtsim", description=DESCRIPTION,
                                     epilog="Run 'amtsim serve --help' for the options of the fleet.")
    parser.add_argument("--version", action="version", version=f"amtsim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve a fleet of simulated devices", description=DESCRIPTION,
                                epilog=SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = FleetOptions()
    fleet = serve.add_argument_group("fleet (stored in STATE_DIR/fleet.json on first start)")
    fleet.add_argument("--devices", type=int, default=defaults.devices, metavar="N",
                       help=f"number of devices (default {defaults.devices})")
    fleet.add_argument("--profile", choices=PROFILES, default=defaults.profile,
                       help=f"initial control mode of the devices (default {defaults.profile})")
    fleet.add_argument("--firmware", default=defaults.firmware, metavar="VERSION",
                       help=f"AMT firmware version, four parts (default {defaults.firmware})")
    fleet.add_argument("--seed", type=int, default=defaults.seed, metavar="N",
                       help=f"seed for UUIDs, realms, passwords and the mixed profile (default {defaults.seed})")
    fleet.add_argument("--first-address", default=defaults.first_address, metavar="IP",
                       help=f"remote address of device 1, in 127.0.0.0/8 (default {defaults.first_address})")
    fleet.add_argument("--local-first-address", default=defaults.local_first_address, metavar="IP",
                       help=f"local (LMS) address of device 1, in 127.0.0.0/8 (default {defaults.local_first_address})")
    run = serve.add_argument_group("run")
    run.add_argument("--state-dir", type=Path, metavar="DIR",
                     help="keep state here and resume from it on restart (default: a temporary directory)")
    run.add_argument("--inventory", type=Path, metavar="FILE", help="write the Ansible YAML inventory here")
    run.add_argument("--faults", metavar="SPEC",
                     help="inject faults, e.g. 'reset:0.05;delay=2:0.1@1-10;stale:0.2;lockout@3' (grammar: amtsim.faults)")
    run.add_argument("--latency", action="store_true",
                     help="answer with the timing of real firmware (default: instant answers, short restarts)")
    run.add_argument("--latency-set", action="append", default=[], metavar="KNOB=VALUE", type=_knob,
                     help="override one knob of the timing model (seconds, a count or a factor; see amtsim.latency), "
                          "e.g. get_put_delete=0.02 or remote_connections=8 (repeatable)")
    return parser


def _knob(text: str) -> tuple:
    name, separator, value = text.partition("=")
    if not separator or not name:
        raise argparse.ArgumentTypeError(f"expected KNOB=VALUE, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: {value!r} is not a number") from None


def _network_settings(args, parser: argparse.ArgumentParser) -> tuple:
    """The fault plan and timing model the network layer applies; bad values end the program with a usage error."""
    try:
        faults = FaultPlan.from_spec(args.faults, seed=args.seed)
        latency = (LatencyModel.realistic() if args.latency else LatencyModel.instant()).with_overrides(dict(args.latency_set))
    except ValueError as error:
        parser.error(str(error))
    return faults, latency


def _raise_open_file_limit() -> None:
    """Every device holds several listening sockets; a large fleet needs more than the usual 1,024 descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _serve(fleet_options: FleetOptions, state_dir: Path, inventory: Path | None, faults: FaultPlan,
                 latency: LatencyModel) -> None:
    from amtsim import http  # the network layer pulls in TLS and h11; keep --help fast

    fleet = Fleet.open(state_dir, fleet_options, inventory)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    network = await http.serve_fleet(fleet, faults=faults, latency=latency)

    async def apply_effects(device) -> None:
        await network.host_of(device).apply_effects(None)
    mei_servers = [await MeiEndpoint(m.device, m.mei_socket, fleet.on_change, apply_effects).start() for m in fleet.members]
    try:
        print(f"amtsim: serving {len(fleet.members)} devices", flush=True)
        fleet.flush()
        await stop.wait()
    finally:
        await network.close()
        for server in mei_servers:
            server.close()
        fleet.close()


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    faults, latency = _network_settings(args, parser)
    fleet_options = FleetOptions(devices=args.devices, profile=args.profile, firmware=args.firmware, seed=args.seed,
                                 first_address=args.first_address, local_first_address=args.local_first_address)
    try:
        fleet_options.validate()
    except ValueError as error:
        parser.error(str(error))
    _raise_open_file_limit()
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="amtsim-"))
    try:
        asyncio.run(_serve(fleet_options, state_dir, args.inventory, faults, latency))
    finally:
        if args.state_dir is None:
            shutil.rmtree(state_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
