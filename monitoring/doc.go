// Package monitoring holds the monitoring assets zdmctl deploys next to a
// ZDM proxy fleet, embedded in the binary: the Prometheus config (job
// "zdm-proxy" over every proxy's metrics endpoint and job "node" over every
// host's node exporter, the instance label set to the inventory host name),
// the alert rules and the Alertmanager config with the inventory's
// receivers, the Grafana provisioning files (a datasource for that
// Prometheus and a file dashboard provider) and three dashboards (ZDM
// proxy, Go runtime and process, hosts), written against the metric names
// of proxy/metrics and of the Debian node exporter.
//
// Rendering is pure (same inputs, same bytes), so a re-deploy with nothing
// changed uploads nothing and a changed scrape list is a reload.
//
// The dashboards are JSON files, not built with
// github.com/grafana/grafana-foundation-sdk/go (v0.0.22 judged): its
// builders type the dashboard's structure, but a panel's query stays a
// string (prometheus.DataqueryBuilder.Expr), and the queries are what
// breaks (a renamed metric, a wrong job). The tests here check exactly
// that: every metric a panel or rule names exists in the proxy's registry
// or a live node exporter, and the e2e runs every panel query against a
// live Prometheus. The SDK would add 20 MB of generated code (1,253 files)
// at a v0.0.x API, for structure the tests already check.
package monitoring
