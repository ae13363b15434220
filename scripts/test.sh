#!/usr/bin/env bash
# Sets up .venv, makes sure a browser is there for the browser tests, runs the whole test suite.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

# The browser tests drive Debian's chromium (never a downloaded browser); the deployment test runs deploy/nginx.conf in
# Debian's nginx with a certificate made by openssl. Install what is missing where we can.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's ${missing[*]} for the browser and deployment tests ..."
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
            || echo "warning: could not install ${missing[*]}; the tests that need them will be skipped" >&2
    else
        echo "note: ${missing[*]} not installed and cannot be installed here; the tests that need them will be skipped" >&2
    fi
fi

# Two workers (pytest-xdist) on the two cores: the AppTest pages run in the test process itself, one core each, and
# the browser and training tests wait on their servers and workers. No test asserts how fast this machine is (the
# time budget is tested with a fake clock; speeds are measured by bench/ scripts), so the other worker's load
# changes no result.
#   bash scripts/test.sh          everything (CI runs exactly this)
#   bash scripts/test.sh --fast   the unit and AppTest tiers only (tests/conftest.py): a couple of minutes
#   other arguments go to pytest (e.g. -k sign_in, tests/lib/access)
args=()
for arg in "$@"; do
    if [ "$arg" = "--fast" ]; then args+=(-m "unit or apptest"); else args+=("$arg"); fi
done
.venv/bin/python -m pytest -n 2 --dist worksteal --durations=25 "${args[@]}"  # the slowest 25, for whoever makes it faster
status=$?
if [ "$status" = 5 ]; then
    echo "error: pytest collected no tests; that is a failure, not a pass" >&2
    exit 1
fi
exit "$status"
