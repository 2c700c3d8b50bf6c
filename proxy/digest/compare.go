package digest

import "fmt"

// Result is the outcome of comparing a primary and a secondary page.
type Result struct {
	Match              bool
	Primary, Secondary Digest
	// Keyspace and Table from the primary's metadata, else the secondary's,
	// else the caller's fallback.
	Keyspace, Table string
}

// Compare digests both RESULT ROWS bodies and compares their rows.
// keyspace and table name the table when neither body carries metadata.
func Compare(primary, secondary []byte, keyspace, table string) (Result, error) {
	p, err := Rows(primary)
	if err != nil {
		return Result{}, fmt.Errorf("primary result: %w", err)
	}
	s, err := Rows(secondary)
	if err != nil {
		return Result{}, fmt.Errorf("secondary result: %w", err)
	}
	res := Result{Match: p.SameRows(s), Primary: p, Secondary: s, Keyspace: keyspace, Table: table}
	switch {
	case p.Table != "":
		res.Keyspace, res.Table = p.Keyspace, p.Table
	case s.Table != "":
		res.Keyspace, res.Table = s.Keyspace, s.Table
	}
	return res, nil
}
