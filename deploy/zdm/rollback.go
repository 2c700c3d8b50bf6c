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
// proxy and waits up to 60s for readiness from the restored binary.
const rollbackScript = `set -u
m=/etc/zdm-proxy/rollback-run
restored=""
if [ -f "$m" ]; then
  read -r id what < "$m" || true
  if [ "$id" = "$RUN_ID" ]; then
    case " $what " in *" config "*)
      cp -p /etc/zdm-proxy/zdm-proxy.yaml.prev /etc/zdm-proxy/zdm-proxy.yaml
      [ -f /etc/zdm-proxy/restart-key.prev ] && cp -p /etc/zdm-proxy/restart-key.prev /etc/zdm-proxy/restart-key
      restored="$restored config";;
    esac
    case " $what " in *" binary "*)
      prev=$(readlink /opt/zdm-proxy/previous) && ln -sfn "$prev" /opt/zdm-proxy/current && restored="$restored binary";;
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
  if exec 3<>/dev/tcp/127.0.0.1/$PORT 2>/dev/null; then
    printf 'GET /health/readiness HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    if head -1 <&3 | grep -q ' 200'; then echo "ready:$(readlink /opt/zdm-proxy/current)"; exit 0; fi
    exec 3<&-
  fi
  sleep 1
done
echo "not ready 60s after the rollback" >&2
exit 1
`

// Rollback restores host's previous binary and config saved by run runID
// and brings the proxy back. It returns what was restored.
func Rollback(ctx context.Context, conn transport.Conn, runID string, adminPort int) (string, error) {
	script := fmt.Sprintf("RUN_ID=%s PORT=%d\n%s", shellQuote(runID), adminPort, rollbackScript)
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
