package demo

import (
	"sort"
	"strings"
	"sync"

	"github.com/datastax/go-cassandra-native-protocol/datatype"
	"github.com/datastax/go-cassandra-native-protocol/message"

	"github.com/zdmctl/zdmctl/internal/cqltest"
)

// table is shop.orders (id text PRIMARY KEY, item text) held by one
// in-memory cluster: INSERTs through any client land in it and SELECT ...
// WHERE id = ? answers from it, so the two clusters can really differ.
type table struct {
	mu   sync.Mutex
	rows map[string]string
}

var orderColumns = []*message.ColumnMetadata{
	{Keyspace: "shop", Table: "orders", Name: "id", Type: datatype.Varchar},
	{Keyspace: "shop", Table: "orders", Name: "item", Type: datatype.Varchar},
}

func attachTable(c *cqltest.Cluster) *table {
	t := &table{rows: map[string]string{}}
	c.SetHook(func(r cqltest.Received) cqltest.Action {
		if strings.HasPrefix(r.Query, "INSERT INTO shop.orders") && len(r.Values) >= 2 {
			t.mu.Lock()
			t.rows[string(r.Values[0])] = string(r.Values[1])
			t.mu.Unlock()
		}
		return cqltest.Action{}
	})
	c.SetRows(func(r cqltest.Received) *message.RowsResult {
		if !strings.Contains(r.Query, "FROM shop.orders") {
			return nil
		}
		res := &message.RowsResult{Metadata: &message.RowsMetadata{ColumnCount: 2, Columns: orderColumns}, Data: message.RowSet{}}
		t.mu.Lock()
		defer t.mu.Unlock()
		if len(r.Values) == 0 { // the whole table, as a copy job reads it
			for _, id := range t.idsLocked() {
				res.Data = append(res.Data, message.Row{message.Column(id), message.Column(t.rows[id])})
			}
			return res
		}
		if item, ok := t.rows[string(r.Values[0])]; ok {
			res.Data = append(res.Data, message.Row{r.Values[0], message.Column(item)})
		}
		return res
	})
	return t
}

func (t *table) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.rows)
}

func (t *table) ids() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.idsLocked()
}

func (t *table) idsLocked() []string {
	out := make([]string, 0, len(t.rows))
	for id := range t.rows {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
