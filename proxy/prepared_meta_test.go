package proxy

import (
	"bytes"
	"testing"

	"github.com/zdmctl/zdmctl/proxy/frame"
)

// v5 EXECUTE: the result_metadata_id the client got from PREPARE is mapped
// to each cluster's; a stale one (the driver still holds the metadata from
// before an ALTER TABLE, after the statement was re-prepared) must reach the
// cluster unchanged, or the cluster, seeing its current id, skips the new
// metadata and the driver decodes the new rows with the old columns (found
// with the Java driver against Cassandra 5: SELECT * after ADD column).
func TestExecuteResultMetadataIDMapping(t *testing.T) {
	e := &psEntry{
		clientID:   []byte("id-origin"),
		ids:        [2][]byte{[]byte("id-origin"), []byte("id-target")},
		metaIDs:    [2][]byte{[]byte("meta-new-o"), []byte("meta-new-t")},
		clientMeta: []byte("meta-new-o"),
	}
	execute := func(meta string) frame.Frame {
		body := frame.AppendShortBytes(nil, e.clientID)
		body = frame.AppendShortBytes(body, []byte(meta))
		body = append(body, 0x00, 0x01, 0x00) // consistency ONE, flags
		return frame.New(5, 0, 7, frame.OpExecute, body)
	}
	sent := func(f frame.Frame, c Cluster) (id, meta string, rest []byte) {
		out := frame.Frame(appendExecuteFor(nil, f, 0, e, c, 9))
		if out.Stream() != 9 {
			t.Fatalf("stream %d, want 9", out.Stream())
		}
		cur := frame.Cursor{B: out.Body()}
		id, meta = string(cur.ShortBytes()), string(cur.ShortBytes())
		if cur.Err != nil {
			t.Fatal(cur.Err)
		}
		return id, meta, cur.B
	}
	cases := []struct {
		name, clientMeta string
		want             [2]string
	}{
		{"current id is mapped", "meta-new-o", [2]string{"meta-new-o", "meta-new-t"}},
		{"stale id goes through", "meta-old", [2]string{"meta-old", "meta-old"}},
	}
	for _, tc := range cases {
		for c := Origin; c <= Target; c++ {
			id, meta, rest := sent(execute(tc.clientMeta), c)
			if id != string(e.ids[c]) || meta != tc.want[c] || !bytes.Equal(rest, []byte{0x00, 0x01, 0x00}) {
				t.Errorf("%s, %s: sent id=%q meta=%q rest=%x, want id=%q meta=%q", tc.name, c, id, meta, rest, e.ids[c], tc.want[c])
			}
		}
	}
}
