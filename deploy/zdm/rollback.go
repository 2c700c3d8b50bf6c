package zdm

import (
	"context"
	"fmt"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// rollbackScript restores what the run runID replaced on this host (the
// marker /etc/zdm-proxy/rollback-run names the run and what it saved), then
// clears the unit's failed state (a crash-looping binary may have used up
// systemd's start limit, which would refuse the restart), restarts the
// proxy, waits up to 60s for readiness from the restored binary, and
// checks the proxy runs the restored config (its config_sha256).
const rollbackScript = `set -u
: "${RB_ETC:=/etc/zdm-proxy}" "${RB_OPT:=/opt/zdm-proxy}"
m=$RB_ETC/rollback-run
restored=""
if [ -f "$m" ]; then
  read -r id what < "$m" || true
  if [ "$id" = "$RUN_ID" ]; then
    case " $what " in *" config "*)
      cp -p $RB_ETC/zdm-proxy.yaml.prev $RB_ETC/zdm-proxy.yaml
      [ -f $RB_ETC/restart-key.prev ] && cp -p $RB_ETC/restart-key.prev $RB_ETC/restart-key
      restored="$restored config";;
    esac
    case " $what " in *" binary "*)
      prev=$(readlink $RB_OPT/previous) && ln -sfn "$prev" $RB_OPT/current && restored="$restored binary";;
    esac
    rm -f "$m"
  fi
fi
echo "restored:${restored:- nothing}"
systemctl cat zdm-proxy >/dev/null 2>&1 || exit 0
systemctl reset-failed zdm-proxy 2>/dev/null || true
if ! systemctl restart zdm-proxy; then
  echo "restart failed: $(systemctl show -p Result --value zdm-proxy 2>/dev/null)" >&2; exit 1
fi
for i in $(seq 1 60); do
  # (a bare "exec 3<>... 2>/dev/null" would silence the script's stderr
  # for good: the group confines that redirection)
  if { exec 3<>/dev/tcp/127.0.0.1/$PORT; } 2>/dev/null; then
    printf 'GET /health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    if head -1 <&3 | grep -q ' 200'; then ready=yes; break; fi
    exec 3<&-
  fi
  sleep 1
done
if [ -z "${ready:-}" ]; then echo "not ready 60s after the rollback" >&2; exit 1; fi
# The proxy must run the restored config: its status (admin API port, or
# the metrics port for a proxy from before the split) names the hash.
want=$(sha256sum < $RB_ETC/zdm-proxy.yaml | cut -d' ' -f1)
for p in $API_PORT $PORT; do
  body=$(timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'$p' && printf "GET /api/v1/status HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && cat <&3' 2>/dev/null)
  case "$body" in
    *"$want"*) echo "ready:$(readlink $RB_OPT/current) config $want"; exit 0;;
    *'"config_sha256"'*) echo "ready, but the proxy does not run the restored config ($want)" >&2; exit 1;;
  esac
done
echo "ready:$(readlink $RB_OPT/current) (config hash not confirmed)"
`

// rollbackTestEnv, set by tests only, precedes the script's variables
// (RB_ETC, RB_OPT, PATH with a stand-in systemctl).
var rollbackTestEnv string

// Rollback restores host's previous binary and config saved by run runID
// and brings the proxy back. It returns what was restored.
// adminPort serves readiness (metrics_port), apiPort the status
// (admin_port).
func Rollback(ctx context.Context, conn transport.Conn, runID string, adminPort, apiPort int) (string, error) {
	script := fmt.Sprintf("%sRUN_ID=%s PORT=%d API_PORT=%d\n%s", rollbackTestEnv, shellQuote(runID), adminPort, apiPort, rollbackScript)
	res, err := conn.Exec(ctx, "bash -s", transport.ExecOptions{Become: true, Stdin: strings.NewReader(script)})
	if err != nil {
		return "", fmt.Errorf("rollback on %s: %w", conn.Host(), err)
	}
	out := strings.TrimSpace(string(res.Stdout))
	what := "nothing"
	for _, l := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(l, "restored:"); ok {
			what = strings.TrimSpace(s)
		}
	}
	if res.ExitCode != 0 {
		return what, fmt.Errorf("rollback on %s (restored %s): %s", conn.Host(), what, firstLine(string(res.Stderr)))
	}
	return what, nil
}
