#!/usr/bin/env bash
# Debian and Ubuntu ship `python3 -m venv` in a separate package; install it
# when creating the virtualenv failed. Needs root or password-less sudo.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
PY=${PYTHON:-python3}
ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
export DEBIAN_FRONTEND=noninteractive
install() { $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1; }
install "python${ver}-venv" || install python3-venv || {
  $SUDO apt-get update -qq >/dev/null
  install "python${ver}-venv" || install python3-venv
}
rm -rf .venv
