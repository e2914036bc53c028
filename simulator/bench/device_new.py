"""How long ``Device.new`` takes per device and how much memory a new device holds (model only, no sockets).

    .venv/bin/python simulator/bench/device_new.py [--devices 1000] [--profile ccm]

A 1,000-device fleet creates every device on its first start, so this bounds that part of the start-up time.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc

from amtsim.fleet import device_rng
from amtsim.model import Device
from amtsim.model.firmware import DEFAULT_FIRMWARE
from amtsim.pki import Pki


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--profile", choices=("factory", "ccm", "acm"), default="ccm")
    parser.add_argument("--firmware", default=DEFAULT_FIRMWARE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amtsim-bench-") as scratch:
        pki = Pki(scratch)
        Device.new(0, args.profile, args.firmware, random.Random(0), pki)  # imports and caches, not counted
        tracemalloc.start()
        started = time.perf_counter()
        devices = [Device.new(index, args.profile, args.firmware, device_rng(0, index), pki)
                   for index in range(1, args.devices + 1)]
        elapsed = time.perf_counter() - started
        size, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"devices                 {len(devices)} ({args.profile}, firmware {args.firmware})")
    print(f"Device.new per device   {elapsed / len(devices) * 1000:.3f} ms (with tracemalloc on)")
    print(f"memory per device       {size / len(devices) / 1024:.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
