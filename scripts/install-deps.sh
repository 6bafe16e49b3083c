#!/usr/bin/env bash
# Installs the Debian 12 packages Gatehouse needs to build, test and benchmark.
# Only what is missing is installed, so a second run is quick and offline-safe.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev libboost-regex1.81-dev
  libhiredis-dev libvectorscan-dev libyaml-cpp-dev libssl-dev zlib1g-dev libgoogle-perftools-dev
  libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  redis-server redis-tools
  python3 python3-pytest python3-requests python3-redis python3-jwt python3-yaml
)
if [[ "${1:-}" == "--bench" ]]; then
  # luajit2: OpenResty's LuaJIT, the one libnginx-mod-http-lua links (Debian's `luajit`
  # conflicts with it, so installing both would remove nginx's Lua module or fail).
  packages+=(wrk nginx-light haproxy libnginx-mod-http-lua luajit2)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# nginx's Debian package starts a system nginx on :80; benchmarks run their own.
if [[ "${1:-}" == "--bench" ]] && command -v systemctl >/dev/null; then
  systemctl stop nginx 2>/dev/null || true
fi
exit 0
