package cqltest

import "github.com/datastax/go-cassandra-native-protocol/message"

// SetRows makes every SELECT outside the system tables (simple or
// prepared) answer with the result fn builds for it, e.g. from rows a hook
// recorded (SetHook sees every INSERT's values); fn returning nil, or
// SetRows(nil), restores the default answer (one row naming the cluster).
func (c *Cluster) SetRows(fn func(Received) *message.RowsResult) {
	c.mu.Lock()
	c.rows = fn
	c.mu.Unlock()
}

// rowsFor is the SetRows answer to rec, nil for the default one.
func (c *Cluster) rowsFor(rec Received) *message.RowsResult {
	c.mu.Lock()
	fn := c.rows
	c.mu.Unlock()
	if fn == nil || !isSelect(rec.Query) || isSystem(rec.Query) {
		return nil
	}
	return fn(rec)
}

// RowsOf is a SetRows answer: the default row as the cluster named name
// gives it, so that clusters answering RowsOf the same name return equal
// rows (no async read mismatch).
func RowsOf(name string) func(Received) *message.RowsResult {
	return func(Received) *message.RowsResult {
		return &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: int32(len(dataColumns)), Columns: dataColumns},
			Data: message.RowSet{{message.Column(name), message.Column("v")}}}
	}
}
