package admin

import (
	"strconv"
	"strings"
)

// Evaluate is the readiness of a proxy whose clusters are cs: ready when
// every cluster that is not Optional is reachable; degraded (still ready)
// when an Optional cluster is unreachable or client connections run
// without it. Reason names every failing or degraded cluster and why.
func Evaluate(cs []ClusterStatus) Readiness {
	r := Readiness{Clusters: cs}
	if r.Clusters == nil {
		r.Clusters = []ClusterStatus{}
	}
	if len(cs) == 0 {
		r.Reason = "no cluster status yet"
		return r
	}
	var why []string
	for _, c := range cs {
		switch {
		case !c.Reachable && !c.Optional:
			r.FailingClusters = append(r.FailingClusters, c.Name)
			why = append(why, unreachable(c))
		case !c.Reachable:
			r.DegradedClusters = append(r.DegradedClusters, c.Name)
			why = append(why, unreachable(c)+" (optional: the proxy serves without it and journals its writes)")
		case c.DisconnectedConnections > 0:
			r.DegradedClusters = append(r.DegradedClusters, c.Name)
			why = append(why, strconv.FormatInt(c.DisconnectedConnections, 10)+" client connection(s) reconnecting to "+c.Name+
				" (optional: their writes are journaled meanwhile)")
		}
	}
	r.Ready = len(r.FailingClusters) == 0
	r.Degraded = r.Ready && len(r.DegradedClusters) > 0
	r.Reason = strings.Join(why, "; ")
	return r
}

func unreachable(c ClusterStatus) string {
	msg := c.Name + " unreachable"
	if c.Error != "" {
		msg += ": " + c.Error
	}
	return msg
}
