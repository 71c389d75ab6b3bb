#!/usr/bin/env bash
# Sets up everything `streamer` needs on a Debian machine with Python 3.11: system packages, a .venv, the package.
#   bash scripts/setup.sh          runtime (espeak-ng voices, CJK font, OpenCV face data)
#   bash scripts/setup.sh --dev    also what the tests use (nginx RTMP ingest, ngircd, PostgreSQL, chromium, dev + gpu extras)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

# espeak-ng: offline zh/en voices; fonts-noto-cjk: captions; opencv-data: face detector for photo hosts
apt_pkgs=(espeak-ng fonts-noto-cjk opencv-data)
# test fixtures: a real RTMP ingest, IRC server, PostgreSQL and the browser for panel tests
[ $dev = 1 ] && apt_pkgs+=(nginx-light libnginx-mod-rtmp ngircd postgresql chromium faketime gcc)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" != 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# nginx is only a test fixture here: keep the packaged service from holding port 80
if [ $dev = 1 ] && command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
  systemctl stop nginx || true
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install -q --upgrade pip
if [ $dev = 1 ]; then
  # torch comes from the local CPU wheel (pip install torch==2.13.0), pinned in the gpu extra
  .venv/bin/pip install -q -e ".[dev,gpu]"
else
  .venv/bin/pip install -q -e .
fi
echo "setup done: .venv/bin/streamer"
