package mutation

import "testing"

func TestTarget(t *testing.T) {
	for q, want := range map[string][2]string{
		"INSERT INTO ks.t (k) VALUES (1)":                        {"ks", "t"},
		"insert into T (k) values (1)":                           {"", "t"},
		`UPDATE "MyKs"."Tab" SET v = 1 WHERE k = 2`:              {"MyKs", "Tab"},
		"DELETE v, w FROM ks.t WHERE k = 1":                      {"ks", "t"},
		"/* c */ DELETE FROM t USING TIMESTAMP 5 WHERE k = 1":    {"", "t"},
		"BEGIN UNLOGGED BATCH USING TIMESTAMP 9 INSERT INTO a.b": {"a", "b"},
		"BEGIN BATCH UPDATE x.y SET a=1 WHERE k=1; APPLY BATCH":  {"x", "y"},
		"SELECT * FROM ks.t":                                     {"", ""},
		"":                                                       {"", ""},
	} {
		ks, tb := Target(q)
		if ks != want[0] || tb != want[1] {
			t.Errorf("Target(%q) = %q, %q; want %q", q, ks, tb, want)
		}
	}
}

func TestUnsafe(t *testing.T) {
	for q, want := range map[string]string{
		"INSERT INTO ks.t (k, v) VALUES (?, ?)":                           "",
		"INSERT INTO ks.t (k, v) VALUES (?, ?) IF NOT EXISTS":             "lwt",
		"UPDATE ks.t SET v = 1 WHERE k = 1 IF v = 0":                      "lwt",
		"DELETE FROM ks.t WHERE k = 1 IF EXISTS":                          "lwt",
		"UPDATE ks.c SET n = n + 1 WHERE k = 1":                           "counter or collection update relative to the current value",
		"UPDATE ks.c SET a = 2, l = [1] + l WHERE k = 1":                  "counter or collection update relative to the current value",
		"UPDATE ks.c SET n = -1, m = ? WHERE k = ?":                       "",
		"UPDATE ks.c SET n = 'n + 1' WHERE n = 1":                         "",
		"INSERT INTO ks.t (k, id) VALUES (1, now())":                      "non-deterministic function now()",
		"INSERT INTO ks.t (k, id) VALUES (1, uuid())":                     "non-deterministic function uuid()",
		"INSERT INTO ks.t (k, ts) VALUES (1, toTimestamp(now()))":         "non-deterministic function now()",
		"INSERT INTO ks.t (k, now) VALUES (1, 'uuid()')":                  "",
		"INSERT INTO ks.t (k, \"if\") VALUES (1, 2)":                      "",
		`UPDATE ks.c SET "N" = "N" + 1 WHERE k = 1`:                       "counter or collection update relative to the current value",
		`UPDATE ks.c SET "N" = n + 1 WHERE k = 1`:                         "",
		"BEGIN BATCH UPDATE ks.c SET n = n + 1 WHERE k = 1; APPLY BATCH;": "counter or collection update relative to the current value",
	} {
		if got := Unsafe(q); got != want {
			t.Errorf("Unsafe(%q) = %q, want %q", q, got, want)
		}
	}
}
