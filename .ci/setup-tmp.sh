#!/usr/bin/env bash
# Everything the test suite needs, from a fresh machine, then the suite itself (README: "Run the tests").
#   bash .ci/run            # locally: engines that are missing make their tests skip, with the reason
#   CI=true bash .ci/run    # CI: a missing engine fails its tests instead
set -euo pipefail
cd "$(dirname "$0")/.."

# pyenv's shims answer only for the versions named here; tox then finds python3.8 ... python3.13.
export PYENV_VERSION=3.12.1:3.11.7:3.13.0:3.10.13:3.9.18:3.8.18
# The Debian client speaks BuildKit without buildx (the docker 28 client first on PATH needs buildx).
export DOCKER=/usr/bin/docker DOCKER_BUILDKIT=1

say() { printf '\n== %s\n' "$*"; }

say "system packages"
missing=()
for pkg in docker.io debootstrap nginx-light wrk curl git; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

say "docker engine"
if ! "$DOCKER" info >/dev/null 2>&1; then
    # A daemon killed with its session leaves its pid file behind, which stops a new one from starting.
    if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
        rm -f /var/run/docker.pid
    fi
    nohup dockerd --bridge=none --iptables=false --ip-masq=false >/tmp/python-upgrade-dockerd.log 2>&1 &
    for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
fi
"$DOCKER" info --format 'engine {{.ServerVersion}}, storage {{.Driver}}'

say "python test dependencies (.venv)"
if [ ! -x .venv/bin/python ]; then
    python3.12 -m venv .venv
fi
.venv/bin/python -m pip install -q -e '.[test]'
export PATH="$PWD/.venv/bin:$PATH"

say "base images (python:<v>-slim-bookworm, pulled or offline stand-ins; 3.14/3.15 from Debian sid)"
bash tests/engines/base_images.sh bookworm 3.10 3.11 3.12 3.13 3.14 3.15

