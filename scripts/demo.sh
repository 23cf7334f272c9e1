#!/usr/bin/env bash
# The main job: installs what strata needs, then shows the engine at work.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
./bin/strata --version
