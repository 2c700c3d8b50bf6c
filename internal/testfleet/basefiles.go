package testfleet

// Files baked into the base rootfs. Per-host files (addresses, host keys,
// authorized keys, /etc/hosts) are written into each host's overlay before
// boot; see hostfiles.go.

// baseRecipe names the version of everything customizeBase does. Changing
// the customization must change it, so cached bases are rebuilt.
const baseRecipe = "zdmctl-testfleet-base 2"

// netScript brings up the addresses listed in /etc/testfleet/net.env.
const netScript = `#!/bin/sh
# Static addresses of this test-fleet host, from /etc/testfleet/net.env.
set -e
. /etc/testfleet/net.env
ip link set lo up
ip link set host0 up
ip addr replace "$ADDR" dev host0
if [ -n "$GATEWAY" ]; then ip route replace default via "$GATEWAY"; fi
if [ -n "$EXTRA_IF" ]; then
	ip link set "$EXTRA_IF" up
	ip addr replace "$EXTRA_ADDR" dev "$EXTRA_IF"
fi
`

const netUnit = `[Unit]
Description=Test fleet static addresses
DefaultDependencies=no
ConditionPathExists=/etc/testfleet/net.env
Before=ssh.service network.target network-online.target shutdown.target
Wants=network.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/testfleet-net

[Install]
WantedBy=multi-user.target
`

// sshdConfig: only the per-host ed25519 host key, no DNS (trap 2), keys
// only, and room for many parallel sessions from the controller.
const sshdConfig = `# zdmctl test fleet
HostKey /etc/ssh/ssh_host_ed25519_key
UseDNS no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
MaxStartups 200
MaxSessions 200
`

// resolvConf fails fast: nothing listens on 127.0.0.1:53 (trap 2).
const resolvConf = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"

// maskedUnits would only burn CPU or reach for the network in a test host.
var maskedUnits = []string{
	"apt-daily.timer",
	"apt-daily-upgrade.timer",
	"dpkg-db-backup.timer",
	"fstrim.timer",
	"e2scrub_all.timer",
	"e2scrub_reap.service",
	"console-getty.service",
	"getty@.service",
	"systemd-networkd-wait-online.service",
}
