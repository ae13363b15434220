#!/usr/bin/env bash
# Sets up .venv and runs the app. Without real data it generates the demo datasets on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m streamlit run server.py --browser.gatherUsageStats false "$@"
