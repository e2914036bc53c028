"""Runs checks_meshcentral.js (MeshCentral's AMT stack) against one target and turns its JSON lines into results."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from results import result

CLIENT = "meshcentral"
SCRIPT = Path(__file__).with_name("checks_meshcentral.js")
RUN_TIMEOUT_S = 600


def run(target) -> list:
    try:
        finished = subprocess.run(["node", str(SCRIPT)], input=json.dumps(target.as_json()), capture_output=True, check=False,
                                  text=True, timeout=RUN_TIMEOUT_S, cwd=SCRIPT.parent)
    except subprocess.TimeoutExpired:
        return [result(target, CLIENT, "run", False, f"node did not finish in {RUN_TIMEOUT_S} s")]
    outcomes = []
    for line in finished.stdout.splitlines():
        try:
            answer = json.loads(line)
        except ValueError:
            continue  # MeshCentral's stack prints its own diagnostics on stdout
        if isinstance(answer, dict) and {"check", "ok", "detail"} <= answer.keys():
            outcomes.append(result(target, CLIENT, answer["check"], answer["ok"] is True, answer["detail"]))
    if finished.returncode != 0 or not outcomes:
        tail = " | ".join(finished.stderr.strip().splitlines()[-3:])
        outcomes.append(result(target, CLIENT, "run", False, f"node exited with status {finished.returncode}: {tail}"))
    return outcomes
