package clientconfig

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/zdmctl/zdmctl/deploy/zdm"
)

// Report is the client advice for one fleet: where to connect and, per
// driver, the settings that keep a rollout from failing requests.
type Report struct {
	ContactPoints []ContactPoint `json:"contact_points"`
	// LocalDatacenter is origin_local_datacenter when set (the proxies
	// answer system.local with Origin's data_center); empty otherwise,
	// LocalDatacenterAdvice then says where to read it.
	LocalDatacenter       string `json:"local_datacenter,omitempty"`
	LocalDatacenterAdvice string `json:"local_datacenter_advice"`
	// TLS: the proxies take TLS from clients (proxy_tls_cert_path set);
	// ClientCert: they require a client certificate.
	TLS        bool     `json:"tls"`
	ClientCert bool     `json:"client_cert"`
	Notes      []string `json:"notes"`
	Drivers    []Driver `json:"drivers"`
}

// ContactPoint is one proxy as a client reaches it.
type ContactPoint struct {
	Host    string `json:"host"`
	Address string `json:"address"`
	Port    int    `json:"port"`
}

// String is host:port ([v6]:port).
func (c ContactPoint) String() string {
	return net.JoinHostPort(c.Address, strconv.Itoa(c.Port))
}

// Driver is the advice for one driver.
type Driver struct {
	Driver string `json:"driver"` // gocql, java or python
	// Checked is the driver version whose source the advice was read in
	// (proxy/OPERATIONS.md "Why 0 without retries is out of the proxy's
	// reach").
	Checked  string    `json:"checked"`
	Settings []Setting `json:"settings"`
	// Without is what a rollout can still fail without these settings,
	// and Source the driver code that does it.
	Without string `json:"without"`
	Source  string `json:"source"`
	// StillLost is what these settings cannot save either.
	StillLost string `json:"still_lost"`
}

// Setting is one driver setting: its name as the driver spells it, the
// value, the line to write and why.
type Setting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Code  string `json:"code"`
	Why   string `json:"why"`
}

// Drivers are the driver names --driver accepts besides "all".
var Drivers = []string{"gocql", "java", "python"}

// Build makes the advice for fleet; driver is one of Drivers or "all".
func Build(fleet *zdm.Fleet, driver string) Report {
	r := Report{}
	dc := ""
	for _, h := range fleet.Proxies {
		port := 9042
		c := fleet.Configs[h.Name]
		if c != nil {
			if v, err := strconv.Atoi(c.Values["proxy_listen_port"]); err == nil {
				port = v
			}
			if dc == "" {
				dc = c.Values["origin_local_datacenter"]
			}
			r.TLS = r.TLS || c.Values["proxy_tls_cert_path"] != ""
			r.ClientCert = r.ClientCert || c.Values["proxy_tls_require_client_auth"] == "true"
		}
		r.ContactPoints = append(r.ContactPoints, ContactPoint{Host: h.Name, Address: h.Address, Port: port})
	}
	r.LocalDatacenter = dc
	if dc != "" {
		r.LocalDatacenterAdvice = fmt.Sprintf("%s: the proxies answer system.local and system.peers with Origin's data_center (origin_local_datacenter)", dc)
	} else {
		r.LocalDatacenterAdvice = "Origin's datacenter name (SELECT data_center FROM system.local on an Origin node): the proxies answer system.local and system.peers with Origin's data_center"
	}
	r.Notes = []string{
		"every proxy is a contact point: the proxies answer system.peers with each other, so the driver balances over them and moves off a draining one",
		"credentials: Target's when both clusters require auth (the proxies log into Origin with origin_username/origin_password)",
		"client-side timestamps: keep the driver's default (on); the proxy sets one on a write that carries none, so Origin and Target get the same writetime either way",
		"speculative execution: off, or only for idempotent statements (each speculative write is another dual write; the three drivers speculate only on statements marked idempotent)",
		"request timeout: above the proxies' proxy_request_timeout_ms, so the driver gets the proxy's answer rather than giving up first",
	}
	if r.TLS {
		tls := "TLS: the proxies take TLS (proxy_tls_cert_path): connect with TLS and trust the CA that signed that certificate"
		if r.ClientCert {
			tls += "; they require a client certificate (proxy_tls_require_client_auth)"
		}
		r.Notes = append(r.Notes, tls)
	}
	for _, d := range Drivers {
		if driver == "all" || driver == d {
			r.Drivers = append(r.Drivers, driverAdvice(d, r.ContactPoints, dc))
		}
	}
	return r
}

func driverAdvice(name string, cps []ContactPoint, dc string) Driver {
	dcValue := dc
	if dcValue == "" {
		dcValue = "<Origin's datacenter>"
	}
	switch name {
	case "gocql":
		var hosts []string
		for _, c := range cps {
			hosts = append(hosts, strconv.Quote(c.Address))
		}
		port := 9042
		if len(cps) > 0 {
			port = cps[0].Port
		}
		s := []Setting{
			{Name: "hosts", Value: strings.Join(hosts, ", "), Code: fmt.Sprintf("cluster := gocql.NewCluster(%s)", strings.Join(hosts, ", ")), Why: "every proxy"},
			{Name: "Port", Value: strconv.Itoa(port), Code: fmt.Sprintf("cluster.Port = %d", port), Why: "proxy_listen_port"},
			{Name: "RetryPolicy", Value: "SimpleRetryPolicy{NumRetries: 3}", Code: "cluster.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 3}",
				Why: "without a RetryPolicy gocql returns the first error of every request (query_executor.go do)"},
			{Name: "DefaultIdempotence", Value: "true", Code: "cluster.DefaultIdempotence = true // or q.Idempotent(true) on the idempotent statements only",
				Why: "gocql retries only statements marked idempotent; leave counter updates, list appends and LWTs not idempotent"},
			{Name: "ReconnectInterval", Value: "1s", Code: "cluster.ReconnectInterval = time.Second",
				Why: "gocql applies a proxy's UP event after a 1 s debounce plus a 10 s nodeUpDelay for release_version 4.0-5.0; with a short interval it reconnects to a restarted proxy without waiting for that"},
			{Name: "bind markers", Value: "VALUES (?)", Code: `session.Query("INSERT INTO ks.t (k, v) VALUES (?, ?)", k, v)`,
				Why: "gocql prepares every new statement text and does not retry a PREPARE cancelled by a closing connection (conn.go prepareStatement; query_executor.go returns context.Canceled at once)"},
			{Name: "DefaultTimestamp", Value: "true", Code: "cluster.DefaultTimestamp = true // the default", Why: "client-side timestamps"},
		}
		if dc != "" {
			s = append(s, Setting{Name: "PoolConfig.HostSelectionPolicy", Value: dc, Code: fmt.Sprintf("cluster.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.DCAwareRoundRobinPolicy(%q))", dc), Why: "local datacenter"})
		}
		return Driver{Driver: name, Checked: "gocql v2.1.2", Settings: s,
			Without:   "a request in flight when gocql closes its pool to a proxy on the DOWN event of its drain fails with ErrConnectionClosed (\"connection closed waiting for response\", or \"use of closed network connection\"/EOF on the write), and one answered IS_BOOTSTRAPPING during the drain is returned as is: without a RetryPolicy, or for a statement not idempotent, gocql returns the first error",
			Source:    "gocql v2.1.2 events.go handleNodeDown -> removeHost; conn.go Close -> closeWithError(nil); query_executor.go do (proxy/OPERATIONS.md \"Why 0 without retries is out of the proxy's reach\")",
			StillLost: "a statement that is not idempotent (counter update, list append, LWT) caught by gocql's own pool close: the proxy may already have executed it, so no driver may retry it",
		}
	case "java":
		var cs []string
		for _, c := range cps {
			cs = append(cs, strconv.Quote(c.String()))
		}
		s := []Setting{
			{Name: "basic.contact-points", Value: strings.Join(cs, ", "), Code: fmt.Sprintf("basic.contact-points = [%s]", strings.Join(cs, ", ")), Why: "every proxy, port proxy_listen_port"},
			{Name: "basic.load-balancing-policy.local-datacenter", Value: dcValue, Code: fmt.Sprintf("basic.load-balancing-policy.local-datacenter = %q", dcValue), Why: "required with explicit contact points; the proxies report Origin's datacenter"},
			{Name: "basic.request.default-idempotence", Value: "true", Code: "basic.request.default-idempotence = true // or setIdempotent(true) on the idempotent statements only",
				Why: "the driver gives a request aborted by a closing connection to the retry policy only when it is idempotent"},
			{Name: "advanced.retry-policy.class", Value: "DefaultRetryPolicy", Code: "advanced.retry-policy.class = DefaultRetryPolicy // the default", Why: "its onRequestAborted retries on the next node"},
			{Name: "advanced.timestamp-generator.class", Value: "AtomicTimestampGenerator", Code: "advanced.timestamp-generator.class = AtomicTimestampGenerator // the default", Why: "client-side timestamps"},
		}
		return Driver{Driver: name, Checked: "Java driver 4.19.4", Settings: s,
			Without:   "a request not marked idempotent that is in flight when its connection closes fails with ClosedConnectionException (IS_BOOTSTRAPPING is retried on the next node whatever the policy)",
			Source:    "Java driver 4.19.4 CqlRequestHandler: onRequestAborted is asked only for idempotent requests (proxy/OPERATIONS.md \"Why 0 without retries is out of the proxy's reach\")",
			StillLost: "a statement that is not idempotent caught by a closing connection",
		}
	default: // python
		var cs []string
		for _, c := range cps {
			cs = append(cs, strconv.Quote(c.Address))
		}
		port := 9042
		if len(cps) > 0 {
			port = cps[0].Port
		}
		s := []Setting{
			{Name: "load_balancing_policy", Value: dcValue, Code: fmt.Sprintf("profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=%q)), retry_policy=RetryPolicy())", dcValue), Why: "local datacenter"},
			{Name: "contact_points", Value: strings.Join(cs, ", "), Code: fmt.Sprintf("Cluster(contact_points=[%s], port=%d, execution_profiles={EXEC_PROFILE_DEFAULT: profile})", strings.Join(cs, ", "), port), Why: "every proxy, port proxy_listen_port"},
			{Name: "retry_policy", Value: "RetryPolicy", Code: "retry_policy=RetryPolicy()  # the default; not FallthroughRetryPolicy",
				Why: "its on_request_error answers RETRY_NEXT_HOST for a closed connection and IS_BOOTSTRAPPING, whatever the statement's idempotence: the proxy closes only idle connections and answers IS_BOOTSTRAPPING only to requests it did not run"},
			{Name: "use_client_timestamp", Value: "True", Code: "session.use_client_timestamp = True  # the default", Why: "client-side timestamps"},
		}
		return Driver{Driver: name, Checked: "Python driver 3.25", Settings: s,
			Without:   "with FallthroughRetryPolicy (or any policy whose on_request_error rethrows) a request in flight on a closing connection fails with ConnectionShutdown, and one the proxy answers IS_BOOTSTRAPPING during its drain with IsBootstrappingErrorMessage",
			Source:    "Python driver 3.25 io/asyncorereactor.py AsyncoreConnection.close; cluster.py ResponseFuture._set_result -> retry_policy.on_request_error; policies.py RetryPolicy (proxy/OPERATIONS.md \"Why 0 without retries is out of the proxy's reach\")",
			StillLost: "nothing known: the default policy retries what the proxy did not run",
		}
	}
}
