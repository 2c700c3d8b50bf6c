package gocqlmatrix

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// PagingRows is how many rows the paging step writes and reads back.
const PagingRows = 5000

// PageSize is the page size of the paging step.
const PageSize = 500

func (r *runner) exec(ctx context.Context, stmt string, args ...any) error {
	if err := r.s.Query(stmt, args...).WithContext(ctx).Exec(); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

func (r *runner) schema(ctx context.Context) (string, error) {
	ks := r.ks
	stmts := []string{
		"DROP KEYSPACE IF EXISTS " + ks,
		"CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
		"CREATE TYPE " + ks + ".address (street text, city text, zip int)",
		"CREATE TABLE " + ks + ".kv (id int PRIMARY KEY, val text)",
		"CREATE TABLE " + ks + ".lwt (id int PRIMARY KEY, owner text)",
		"CREATE TABLE " + ks + ".counters (id text PRIMARY KEY, hits counter)",
		"CREATE TABLE " + ks + ".rows (bucket int, seq int, payload text, PRIMARY KEY (bucket, seq))",
		"CREATE TABLE " + ks + ".colls (id int PRIMARY KEY, tags set<text>, items list<int>, attrs map<text, int>, home frozen<address>)",
	}
	for _, st := range stmts {
		if err := r.exec(ctx, st); err != nil {
			return "", err
		}
	}
	if err := r.s.AwaitSchemaAgreement(ctx); err != nil {
		return "", fmt.Errorf("schema agreement: %w", err)
	}
	return fmt.Sprintf("keyspace %s, 1 type, 5 tables", ks), nil
}

func (r *runner) val(ctx context.Context, id int) (string, bool, error) {
	var v string
	err := r.s.Query("SELECT val FROM "+r.ks+".kv WHERE id = ?", id).WithContext(ctx).Scan(&v)
	if err == gocql.ErrNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read kv id=%d: %w", id, err)
	}
	return v, true, nil
}

func (r *runner) expectVal(ctx context.Context, id int, want string) error {
	got, ok, err := r.val(ctx, id)
	if err != nil {
		return err
	}
	if !ok || got != want {
		return fmt.Errorf("kv id=%d: got %q (found=%v), want %q", id, got, ok, want)
	}
	return nil
}

func (r *runner) simpleInsert(ctx context.Context) (string, error) {
	// No bind values: gocql sends a plain QUERY, not PREPARE/EXECUTE.
	if err := r.exec(ctx, "INSERT INTO "+r.ks+".kv (id, val) VALUES (1, 'one')"); err != nil {
		return "", err
	}
	return "unprepared QUERY", r.expectVal(ctx, 1, "one")
}

func (r *runner) preparedInsert(ctx context.Context) (string, error) {
	for i := 2; i <= 4; i++ {
		if err := r.exec(ctx, "INSERT INTO "+r.ks+".kv (id, val) VALUES (?, ?)", i, fmt.Sprintf("v%d", i)); err != nil {
			return "", err
		}
	}
	for i := 2; i <= 4; i++ {
		if err := r.expectVal(ctx, i, fmt.Sprintf("v%d", i)); err != nil {
			return "", err
		}
	}
	return "3 rows via PREPARE/EXECUTE", nil
}

func (r *runner) update(ctx context.Context) (string, error) {
	if err := r.exec(ctx, "UPDATE "+r.ks+".kv SET val = 'uno' WHERE id = 1"); err != nil {
		return "", err
	}
	if err := r.exec(ctx, "UPDATE "+r.ks+".kv SET val = ? WHERE id = ?", "two", 2); err != nil {
		return "", err
	}
	if err := r.expectVal(ctx, 1, "uno"); err != nil {
		return "", err
	}
	return "simple and prepared", r.expectVal(ctx, 2, "two")
}

func (r *runner) delete(ctx context.Context) (string, error) {
	if err := r.exec(ctx, "DELETE FROM "+r.ks+".kv WHERE id = 3"); err != nil {
		return "", err
	}
	if err := r.exec(ctx, "DELETE FROM "+r.ks+".kv WHERE id = ?", 4); err != nil {
		return "", err
	}
	for _, id := range []int{3, 4} {
		if _, ok, err := r.val(ctx, id); err != nil || ok {
			return "", fmt.Errorf("kv id=%d still present after DELETE (err=%v)", id, err)
		}
	}
	return "", nil
}

func (r *runner) loggedBatch(ctx context.Context) (string, error) {
	b := r.s.Batch(gocql.LoggedBatch).WithContext(ctx)
	b.Query("INSERT INTO " + r.ks + ".kv (id, val) VALUES (10, 'b10')")
	b.Query("INSERT INTO "+r.ks+".kv (id, val) VALUES (?, ?)", 11, "b11")
	b.Query("UPDATE "+r.ks+".kv SET val = ? WHERE id = ?", "b12", 12)
	if err := b.Exec(); err != nil {
		return "", fmt.Errorf("logged batch: %w", err)
	}
	for i := 10; i <= 12; i++ {
		if err := r.expectVal(ctx, i, fmt.Sprintf("b%d", i)); err != nil {
			return "", err
		}
	}
	return "3 statements", nil
}

func (r *runner) lwt(ctx context.Context) (string, error) {
	stmt := "INSERT INTO " + r.ks + ".lwt (id, owner) VALUES (?, ?) IF NOT EXISTS"
	prev := map[string]any{}
	applied, err := r.s.Query(stmt, 1, "alice").WithContext(ctx).MapScanCAS(prev)
	if err != nil {
		return "", fmt.Errorf("first LWT: %w", err)
	}
	if !applied {
		return "", fmt.Errorf("first INSERT IF NOT EXISTS not applied (existing %v)", prev)
	}
	prev = map[string]any{}
	applied, err = r.s.Query(stmt, 1, "bob").WithContext(ctx).MapScanCAS(prev)
	if err != nil {
		return "", fmt.Errorf("second LWT: %w", err)
	}
	if applied {
		return "", fmt.Errorf("second INSERT IF NOT EXISTS applied, want [applied]=false")
	}
	if prev["owner"] != "alice" {
		return "", fmt.Errorf("second LWT returned owner %v, want alice", prev["owner"])
	}
	return "[applied]=true then false with owner=alice", nil
}

func (r *runner) counter(ctx context.Context) (string, error) {
	if err := r.exec(ctx, "UPDATE "+r.ks+".counters SET hits = hits + 5 WHERE id = 'c1'"); err != nil {
		return "", err
	}
	for i := 0; i < 3; i++ {
		if err := r.exec(ctx, "UPDATE "+r.ks+".counters SET hits = hits + ? WHERE id = ?", int64(1), "c1"); err != nil {
			return "", err
		}
	}
	var hits int64
	if err := r.s.Query("SELECT hits FROM "+r.ks+".counters WHERE id = ?", "c1").WithContext(ctx).Scan(&hits); err != nil {
		return "", fmt.Errorf("read counter: %w", err)
	}
	if hits != 8 {
		return "", fmt.Errorf("counter = %d, want 8", hits)
	}
	return "hits=8", nil
}

func (r *runner) paging(ctx context.Context) (string, error) {
	const workers = 16
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			for i := w; i < PagingRows; i += workers {
				if err := r.exec(ctx, "INSERT INTO "+r.ks+".rows (bucket, seq, payload) VALUES (?, ?, ?)", 0, i, fmt.Sprintf("row-%05d", i)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			return "", err
		}
	}
	q := r.s.Query("SELECT seq, payload FROM "+r.ks+".rows WHERE bucket = ?", 0).WithContext(ctx).PageSize(PageSize)
	var state []byte
	rows, pages, next := 0, 0, 0
	for {
		it := q.PageState(state).Iter()
		pages++
		var seq int
		var payload string
		for it.Scan(&seq, &payload) {
			if seq != next || payload != fmt.Sprintf("row-%05d", seq) {
				_ = it.Close()
				return "", fmt.Errorf("row %d: got seq=%d payload=%q", next, seq, payload)
			}
			next++
			rows++
		}
		state = it.PageState()
		if err := it.Close(); err != nil {
			return "", fmt.Errorf("page %d: %w", pages, err)
		}
		if len(state) == 0 {
			break
		}
	}
	if rows != PagingRows {
		return "", fmt.Errorf("counted %d rows, want %d", rows, PagingRows)
	}
	if pages < PagingRows/PageSize {
		return "", fmt.Errorf("only %d pages for %d rows at page size %d", pages, rows, PageSize)
	}
	return fmt.Sprintf("%d rows in %d pages of %d", rows, pages, PageSize), nil
}

type address struct {
	Street string `cql:"street"`
	City   string `cql:"city"`
	Zip    int    `cql:"zip"`
}

func (r *runner) collectionsUDT(ctx context.Context) (string, error) {
	home := address{Street: "1 Main St", City: "Springfield", Zip: 12345}
	if err := r.exec(ctx, "INSERT INTO "+r.ks+".colls (id, tags, items, attrs, home) VALUES (?, ?, ?, ?, ?)",
		1, []string{"a", "b"}, []int{1, 2, 3}, map[string]int{"x": 24, "y": 25}, home); err != nil {
		return "", err
	}
	if err := r.exec(ctx, "UPDATE "+r.ks+".colls SET items = items + [4], tags = tags - {'a'}, attrs['z'] = 26 WHERE id = 1"); err != nil {
		return "", err
	}
	var tags []string
	var items []int
	var attrs map[string]int
	var got address
	if err := r.s.Query("SELECT tags, items, attrs, home FROM "+r.ks+".colls WHERE id = ?", 1).WithContext(ctx).
		Scan(&tags, &items, &attrs, &got); err != nil {
		return "", fmt.Errorf("read colls: %w", err)
	}
	sort.Strings(tags)
	if !reflect.DeepEqual(tags, []string{"b"}) || !reflect.DeepEqual(items, []int{1, 2, 3, 4}) ||
		!reflect.DeepEqual(attrs, map[string]int{"x": 24, "y": 25, "z": 26}) || got != home {
		return "", fmt.Errorf("read back tags=%v items=%v attrs=%v home=%+v", tags, items, attrs, got)
	}
	return "set, list, map and frozen UDT round-trip", nil
}

// useKeyspace: gocql refuses USE through Query (ErrUseStmt) and instead sends
// USE on every connection of a session whose ClusterConfig.Keyspace is set,
// which is what this step does; statements then name no keyspace.
func (r *runner) useKeyspace(ctx context.Context) (string, error) {
	s, err := r.cluster(r.ks).CreateSession()
	if err != nil {
		return "", fmt.Errorf("session with keyspace %s: %w", r.ks, err)
	}
	defer s.Close()
	if err := s.Query("INSERT INTO kv (id, val) VALUES (100, 'used')").WithContext(ctx).Exec(); err != nil {
		return "", fmt.Errorf("unqualified simple insert: %w", err)
	}
	if err := s.Query("INSERT INTO kv (id, val) VALUES (?, ?)", 101, "used-prepared").WithContext(ctx).Exec(); err != nil {
		return "", fmt.Errorf("unqualified prepared insert: %w", err)
	}
	var v string
	if err := s.Query("SELECT val FROM kv WHERE id = ?", 101).WithContext(ctx).Scan(&v); err != nil || v != "used-prepared" {
		return "", fmt.Errorf("unqualified select: %q, %v", v, err)
	}
	if err := r.expectVal(ctx, 100, "used"); err != nil {
		return "", err
	}
	return "USE " + r.ks + " via session keyspace", nil
}

func (r *runner) alterTable(ctx context.Context) (string, error) {
	// A prepared SELECT * from before the ALTER: on protocol v5 its result
	// metadata id changes and the driver must see the new column.
	star := "SELECT * FROM " + r.ks + ".kv WHERE id = ?"
	if err := r.s.Query(star, 1).WithContext(ctx).MapScan(map[string]any{}); err != nil {
		return "", fmt.Errorf("prepared SELECT * before ALTER: %w", err)
	}
	if err := r.exec(ctx, "ALTER TABLE "+r.ks+".kv ADD extra text"); err != nil {
		return "", err
	}
	if err := r.s.AwaitSchemaAgreement(ctx); err != nil {
		return "", fmt.Errorf("schema agreement: %w", err)
	}
	if err := r.exec(ctx, "INSERT INTO "+r.ks+".kv (id, val, extra) VALUES (?, ?, ?)", 200, "v200", "new-column"); err != nil {
		return "", err
	}
	var extra string
	if err := r.s.Query("SELECT extra FROM "+r.ks+".kv WHERE id = ?", 200).WithContext(ctx).Scan(&extra); err != nil {
		return "", fmt.Errorf("read new column: %w", err)
	}
	if extra != "new-column" {
		return "", fmt.Errorf("extra = %q, want new-column", extra)
	}
	if r.obs.v.Load() < 5 {
		return "ADD extra text, then wrote and read it", nil
	}
	for i := 1; i <= 2; i++ { // twice: the second EXECUTE carries the new metadata id
		row := map[string]any{}
		if err := r.s.Query(star, 200).WithContext(ctx).MapScan(row); err != nil {
			return "", fmt.Errorf("prepared SELECT * after ALTER (execution %d): %w", i, err)
		}
		if row["extra"] != "new-column" || row["val"] != "v200" {
			return "", fmt.Errorf("prepared SELECT * after ALTER (execution %d) returned %v", i, row)
		}
	}
	return "ADD extra text, then wrote and read it (prepared SELECT * sees it: v5 metadata id)", nil
}
