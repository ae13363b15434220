#!/usr/bin/env bash
# Sets up .venv and runs the app. Without real data it generates the demo datasets on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Uvicorn believes a request's X-Forwarded-For (the client address that failed sign-ins count against) only from the
# proxies named here; by default from none (it would trust any local client otherwise). See server.py.
export FORWARDED_ALLOW_IPS="${DLMI_TRUSTED_PROXIES:-}"
exec .venv/bin/python -m streamlit run server.py --browser.gatherUsageStats false "$@"
