package modules

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zdmctl/zdmctl/deploy/transport"
)

// waitForModule waits until a TCP port accepts connections or an HTTP URL
// answers with the expected status (and body text), optionally requiring it
// to stay healthy for healthy_for continuously.
//
// By default the check runs ON the host, in one Exec: a bash loop using
// /dev/tcp (minbase has bash but no curl) with a plain HTTP/1.0 request.
// With from: controller it runs here, against the host's address (needed
// for https).
type waitForModule struct{}

func init() { Register(waitForModule{}) }

func (waitForModule) Spec() Spec {
	return Spec{
		Name: "wait_for",
		Params: map[string]Param{
			"host":        {Kind: KindString},
			"port":        {Kind: KindInt},
			"url":         {Kind: KindString},
			"status":      {Kind: KindInt},
			"body":        {Kind: KindString},
			"timeout":     {Kind: KindDuration},
			"interval":    {Kind: KindDuration},
			"healthy_for": {Kind: KindDuration},
			"from":        {Kind: KindString, Choices: []string{"host", "controller"}},
			"state":       {Kind: KindString, Choices: []string{"started", "stopped"}},
		},
		OneOf: [][]string{{"port", "url"}},
	}
}

type waitSpec struct {
	http              bool
	host, port, path  string
	rawURL            string
	status            int
	body              string
	timeout, interval time.Duration
	healthyFor        time.Duration
	wantDown          bool
}

func parseWait(env *Env, a Args) (waitSpec, error) {
	var w waitSpec
	var err error
	if w.timeout, err = a.Duration("timeout", 60*time.Second); err != nil {
		return w, err
	}
	if w.interval, err = a.Duration("interval", time.Second); err != nil {
		return w, err
	}
	if w.healthyFor, err = a.Duration("healthy_for", 0); err != nil {
		return w, err
	}
	if w.status, err = a.Int("status", 200); err != nil {
		return w, err
	}
	w.body = a.Str("body")
	w.wantDown = a.Str("state") == "stopped"
	controller := a.Str("from") == "controller"
	if a.Has("url") {
		w.http, w.rawURL = true, a.Str("url")
		u, err := url.Parse(w.rawURL)
		if err != nil || u.Host == "" {
			return w, fmt.Errorf("url %q: want http://host:port/path", w.rawURL)
		}
		if u.Scheme == "https" && !controller {
			return w, fmt.Errorf("url %q: https checks need from: controller (hosts have no TLS client)", w.rawURL)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return w, fmt.Errorf("url %q: scheme must be http or https", w.rawURL)
		}
		w.host, w.port = u.Hostname(), u.Port()
		if w.port == "" {
			w.port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		w.path = u.RequestURI()
		return w, nil
	}
	port, err := a.Int("port", 0)
	if err != nil {
		return w, err
	}
	w.port = strconv.Itoa(port)
	w.host = a.Str("host")
	if w.host == "" {
		w.host = "127.0.0.1"
		if controller && env.Host != nil && env.Host.Address != "" {
			w.host = env.Host.Address
		}
	}
	return w, nil
}

func (waitForModule) Run(ctx context.Context, env *Env, a Args) Result {
	w, err := parseWait(env, a)
	if err != nil {
		return Fail(err)
	}
	if env.Check {
		return Result{Skipped: true, Msg: "wait_for not run in check mode"}
	}
	if a.Str("from") == "controller" {
		return waitController(ctx, w)
	}
	return waitOnHost(ctx, env, w)
}

// waitScript is bash: positional args are
// mode host port path status body timeout_ms interval_s healthy_ms want_state.
// Time is kept in milliseconds (EPOCHREALTIME, or date +%s%3N on old bash)
// so healthy_for is honoured to the millisecond, not to the second.
const waitScript = `mode=$1 host=$2 port=$3 path=$4 want=$5 body=$6 tmo=$7 interval=$8 healthy=$9 state=${10}
now_ms() { if [ -n "$EPOCHREALTIME" ]; then local r=${EPOCHREALTIME//[.,]/}; echo $((10#$r / 1000)); else date +%s%3N; fi; }
ct=$(( (tmo + 999) / 1000 )); [ "$ct" -gt 5 ] && ct=5; [ "$ct" -lt 1 ] && ct=1
last="not checked"
check() {
  if [ "$mode" = tcp ]; then
    H=$host P=$port timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$H/$P"' 2>/dev/null && return 0
    last="port $host:$port closed"; return 1
  fi
  resp=$(H=$host P=$port U=$path timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$H/$P" || exit 1
printf "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: zdmctl\r\nConnection: close\r\n\r\n" "$U" "$H" >&3
cat <&3' 2>/dev/null) || { last="cannot connect to $host:$port"; return 1; }
  code=$(printf '%s\n' "$resp" | head -n 1 | cut -d' ' -f2)
  if [ "$code" != "$want" ]; then last="HTTP status $code, want $want"; return 1; fi
  if [ -n "$body" ]; then case "$resp" in *"$body"*) ;; *) last="response does not contain the expected text"; return 1;; esac; fi
  return 0
}
start=$(now_ms); since=-1
while :; do
  if check; then ok=1; else ok=0; fi
  if [ "$state" = stopped ]; then ok=$((1 - ok)); last="$host:$port still answers"; fi
  now=$(now_ms)
  if [ "$ok" = 1 ]; then
    [ "$since" -lt 0 ] && since=$now
    if [ $((now - since)) -ge "$healthy" ]; then echo "ready after $(( (now - start) / 1000 )).$(( (now - start) % 1000 / 100 ))s"; exit 0; fi
  else
    since=-1
  fi
  if [ $((now - start)) -ge "$tmo" ]; then echo "timed out after $((tmo / 1000))s: $last" >&2; exit 1; fi
  sleep "$interval"
done`

func waitOnHost(ctx context.Context, env *Env, w waitSpec) Result {
	mode := "tcp"
	if w.http {
		mode = "http"
	}
	state := "started"
	if w.wantDown {
		state = "stopped"
	}
	args := []string{mode, w.host, w.port, w.path, strconv.Itoa(w.status), w.body,
		strconv.FormatInt(w.timeout.Milliseconds(), 10), strconv.FormatFloat(w.interval.Seconds(), 'f', -1, 64),
		strconv.FormatInt(w.healthyFor.Milliseconds(), 10), state}
	for i, s := range args {
		args[i] = transport.ShellQuote(s)
	}
	// The URL, host and body come from vars: the script and its arguments
	// go by stdin, and reach its child processes by environment, never in
	// argv (ps).
	script := "set -- " + strings.Join(args, " ") + "\n" + waitScript + "\n"
	res, err := env.Conn.Exec(ctx, "bash -s", transport.ExecOptions{Become: env.Become, BecomeUser: env.BecomeUser,
		Stdin: strings.NewReader(script), Secret: HoldsSecret([]byte(script), env.Secrets)})
	if err != nil {
		return Fail(err)
	}
	out := Result{Rc: res.ExitCode, Msg: strings.TrimSpace(string(res.Stdout))}
	if res.ExitCode != 0 {
		out.Failed = true
		out.Msg = strings.TrimSpace(string(res.Stderr))
		if out.Msg == "" {
			out.Msg = fmt.Sprintf("wait_for exited %d", res.ExitCode)
		}
	}
	return out
}

func waitController(ctx context.Context, w waitSpec) Result {
	client := &http.Client{Timeout: 5 * time.Second}
	check := func() error {
		if !w.http {
			c, err := net.DialTimeout("tcp", net.JoinHostPort(w.host, w.port), 5*time.Second)
			if err != nil {
				return err
			}
			return c.Close()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.rawURL, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode != w.status {
			return fmt.Errorf("HTTP status %d, want %d", resp.StatusCode, w.status)
		}
		if w.body != "" && !strings.Contains(string(b), w.body) {
			return fmt.Errorf("response does not contain the expected text")
		}
		return nil
	}
	start := time.Now()
	deadline := start.Add(w.timeout)
	var since time.Time
	for {
		err := check()
		ok := err == nil
		if w.wantDown {
			ok = !ok
			err = fmt.Errorf("%s:%s still answers", w.host, w.port)
		}
		now := time.Now()
		if ok {
			if since.IsZero() {
				since = now
			}
			if now.Sub(since) >= w.healthyFor {
				return Result{Msg: fmt.Sprintf("ready after %s", now.Sub(start).Round(time.Millisecond))}
			}
		} else {
			since = time.Time{}
		}
		if now.After(deadline) {
			return Failf("timed out after %s: %v", w.timeout, err)
		}
		select {
		case <-ctx.Done():
			return Fail(ctx.Err())
		case <-time.After(w.interval):
		}
	}
}
