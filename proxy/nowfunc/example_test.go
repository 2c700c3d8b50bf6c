package nowfunc_test

import (
	"fmt"

	"github.com/zdmctl/zdmctl/proxy/nowfunc"
)

func ExampleRewriteLiteral() {
	u := nowfunc.UUID{0xc2, 0x32, 0xab, 0x00, 0x94, 0x14, 0x11, 0xec, 0xb3, 0xc8, 0x9f, 0x6b, 0xde, 0xce, 0xd8, 0x46}
	q, n := nowfunc.RewriteLiteral("INSERT INTO ks.t (id, note) VALUES (now(), 'now() stays')", u)
	fmt.Println(q, n)
	// Output: INSERT INTO ks.t (id, note) VALUES (c232ab00-9414-11ec-b3c8-9f6bdeced846, 'now() stays') 1
}

func ExampleRewriteForPrepare() {
	p, ok := nowfunc.RewriteForPrepare("INSERT INTO ks.t (k, id, ts) VALUES (?, now(), toTimestamp(now()))")
	fmt.Println(ok, p.Query, p.Positions)
	// Output: true INSERT INTO ks.t (k, id, ts) VALUES (?, ?, toTimestamp((timeuuid)?)) [1 2]
}
