#!/usr/bin/env bash
# Installs the Debian 12 packages tempio needs, when they are missing.
# Only what the build uses; extra package names given as arguments are
# installed too (fuzz.sh: clang; consumers.sh: pkgconf; docs.sh: doxygen).
set -euo pipefail
packages=(g++ cmake ninja-build ccache libboost1.81-dev liburing-dev libgtest-dev strace acl "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
