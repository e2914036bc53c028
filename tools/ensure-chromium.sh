#!/usr/bin/env bash
# Makes headless Chromium available for the report's browser test (tests/integration/test_report_browser.py).
# Installs Debian's `chromium` package when it is missing and this runs as root with apt-get; otherwise it says why
# not, and the browser test skips with that reason. Never fails `make test` by itself.
set -uo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(chromium --version 2>/dev/null || echo present)"
    exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium: not installed and no root apt-get here; the browser test of the report will be skipped"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; then
    # Package lists may be missing on a fresh machine.
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || true
fi
if command -v chromium >/dev/null 2>&1; then
    echo "chromium: installed $(chromium --version 2>/dev/null)"
else
    echo "chromium: apt-get could not install it; the browser test of the report will be skipped"
fi
