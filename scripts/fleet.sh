#!/usr/bin/env bash
# Test fleet: N systemd-nspawn hosts with SSH on this machine (needs root).
#
#   scripts/fleet.sh up [N] [flags]   boot N hosts (default 3) + a bastion-only
#                                     host; prints hosts, addresses and the
#                                     ssh_config / inventory paths
#   scripts/fleet.sh down [flags]     take the fleet down (-all: every fleet)
#   scripts/fleet.sh status|base      show the fleet / build the base rootfs
#
# Flags go to internal/testfleet/cmd/testfleet (`scripts/fleet.sh up -h`).
# Running `up` again replaces the fleet; `down` is safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "fleet.sh: needs root (containers, mounts, bridges)" >&2
	exit 1
fi

# Tools the fleet needs; installed only when missing, quietly.
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v ip >/dev/null || need+=(iproute2)
command -v ssh >/dev/null || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
	echo "fleet.sh: installing ${need[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq "${need[@]}" >/dev/null
fi

bin=.cache/bin/testfleet
mkdir -p "$(dirname "$bin")"
go build -o "$bin" ./internal/testfleet/cmd/testfleet
exec "$bin" "$@"
