"""``amtsim serve``: run a simulated Intel AMT fleet on loopback addresses until SIGINT or SIGTERM."""
from __future__ import annotations

import argparse
import asyncio
import errno
import resource
import shutil
import signal
import sys
import tempfile
import textwrap
from pathlib import Path

from amtsim import __version__
from amtsim.faults import FaultPlan
from amtsim.fleet import PROFILES, Fleet, FleetError, FleetOptions, firmware_counts
from amtsim.latency import LatencyModel
from amtsim.mei import MeiEndpoint

DESCRIPTION = "A simulated Intel AMT fleet that answers WS-Management, Digest, TLS and AMTHI like real firmware."

SERVE_EPILOG = textwrap.dedent("""\
    Device i (1-based) listens on FIRST_ADDRESS + i - 1, ports 16992 (HTTP) and 16993 (TLS), and on
    LOCAL_FIRST_ADDRESS + i - 1 as its local (LMS) endpoint. Its AMTHI socket is STATE_DIR/mei/NNNN.sock.

    Profiles: factory (unprovisioned), ccm, acm, or mixed: 40% factory, 30% CCM, 30% ACM, in an order
    shuffled by --seed (the same seed and size give the same fleet).

    Firmware: one version for all devices (16.1.27.2176, or a release: 11.8, 12.0, 15.0, 16.1, 19.0); counts per
    version in device order, e.g. --firmware 11.8:2,12.0:3,16.1:10,19.0:5 (the counts must add up to --devices;
    without --devices they set the fleet size); or "mixed": 10% 11.8, 15% 12.0, 25% 19.0, the rest 16.1, shuffled
    by --seed. TLS on 16993 speaks each generation's versions and cipher suites.

    --state-dir keeps the fleet across restarts: the options it was created with are stored in
    STATE_DIR/fleet.json and WIN over --devices/--profile/--firmware/--seed/--first-address/--local-first-address
    on a restart; every device change is saved to STATE_DIR/devices/. Without --state-dir a temporary directory
    is used and removed at exit.

    --inventory writes an Ansible YAML inventory (addresses, ports, UUID, realm, control mode, firmware, credentials
    of provisioned devices, CA bundle, provisioning certificate) and rewrites it when a device's control mode,
    credentials or TLS change. A password set over the network reaches the simulator as a digest hash only: that
    host has amt_password_known: false and no amt_password.

    Connections: the TLS handshake and each request must arrive within request_timeout (10 s) and a kept-alive
    connection may idle keepalive_idle (60 s) between requests, with or without --latency; change them with
    --latency-set request_timeout=SECONDS or keepalive_idle=SECONDS.

    Start-up problems (an address in use, an unusable state directory, a corrupt state file) end the program with
    one line on stderr and exit status 2. State directories are made 0700 and their files 0600.

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
    fleet.add_argument("--devices", type=int, metavar="N",
                       help=f"number of devices (default: the sum of the --firmware counts, else {defaults.devices})")
    fleet.add_argument("--profile", choices=PROFILES, default=defaults.profile,
                       help=f"initial control mode of the devices (default {defaults.profile})")
    fleet.add_argument("--firmware", default=defaults.firmware, metavar="SPEC",
                       help=f"firmware: VERSION, VERSION:COUNT,... or mixed (see below; default {defaults.firmware})")
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
    network, mei_servers = None, []
    try:
        network = await http.serve_fleet(fleet, faults=faults, latency=latency)

        async def apply_effects(device) -> None:
            await network.host_of(device).apply_effects(None)
        for member in fleet.members:
            mei_servers.append(await _start_mei(member, fleet, apply_effects))
        print(f"amtsim: serving {len(fleet.members)} devices", flush=True)
        fleet.flush()
        await stop.wait()
    finally:
        if network is not None:
            await network.close()
        for server in mei_servers:
            server.close()
        fleet.close()


async def _start_mei(member, fleet: Fleet, apply_effects):
    try:
        return await MeiEndpoint(member.device, member.mei_socket, fleet.on_change, apply_effects).start()
    except (OSError, ValueError) as error:
        raise FleetError(f"AMTHI socket {member.mei_socket} cannot be opened: {getattr(error, 'strerror', None) or error}") from None


def _listener_problem(error) -> str:
    """One line for a port that would not open, naming the option that moves the fleet elsewhere."""
    option = "--first-address" if error.interface == "remote" else "--local-first-address"
    where = f"{error.address}:{error.port}"
    if error.errno == errno.EADDRINUSE:
        return f"{where} is already in use (another fleet or program listens there); move this fleet with {option}"
    if error.errno == errno.EMFILE:
        return f"{where}: too many open files; raise the limit (ulimit -n) or serve fewer --devices"
    return f"{where} cannot be opened: {error.strerror}; choose other addresses with {option}"


def _fleet_options(args, parser: argparse.ArgumentParser) -> FleetOptions:
    try:
        counts = firmware_counts(args.firmware)
        devices = args.devices or (sum(count for _version, count in counts) if counts else FleetOptions().devices)
        options = FleetOptions(devices=devices, profile=args.profile, firmware=args.firmware, seed=args.seed,
                               first_address=args.first_address, local_first_address=args.local_first_address)
        options.validate()
    except ValueError as error:
        parser.error(str(error))
    return options


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    faults, latency = _network_settings(args, parser)
    fleet_options = _fleet_options(args, parser)
    _raise_open_file_limit()
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="amtsim-"))
    try:
        asyncio.run(_serve(fleet_options, state_dir, args.inventory, faults, latency))
    except FleetError as error:
        print(f"amtsim: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        from amtsim.http import ListenerError
        if not isinstance(error, ListenerError):
            raise
        print(f"amtsim: {_listener_problem(error)}", file=sys.stderr)
        return 2
    finally:
        if args.state_dir is None:
            shutil.rmtree(state_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
