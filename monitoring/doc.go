// Package monitoring holds the monitoring assets zdmctl deploys next to a
// ZDM proxy fleet, embedded in the binary: the Prometheus config (one
// "zdm-proxy" scrape job over every proxy's metrics endpoint, the instance
// label set to the inventory host name), the Grafana provisioning files (a
// datasource for that Prometheus and a file dashboard provider) and the ZDM
// proxy dashboards, written against the metric names of proxy/metrics.
//
// Rendering is pure (same inputs, same bytes), so a re-deploy with nothing
// changed uploads nothing and a changed scrape list is a reload.
package monitoring
