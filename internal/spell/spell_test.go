package spell

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"readmode", "readmode", 0},
		{"readmode", "raedmode", 1}, {"readmode", "readmod", 1}, {"readmode", "readmodes", 1},
		{"readmode", "reedmoda", 2}, {"kitten", "sitting", 3}, {"ca", "abc", 3},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := Distance(tc.b, tc.a); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestNearest(t *testing.T) {
	known := []string{"read_mode", "primary_cluster", "proxy_listen_port", "proxy_listen_address"}
	for _, tc := range []struct {
		s, want string
		ok      bool
	}{
		{"READMODE", "read_mode", true},
		{"proxy_listen_prot", "proxy_listen_port", true},
		{"primary-clustr", "primary_cluster", true},
		{"proxy_listen_addr", "", false}, // three letters off
		{"my_own_var", "", false},
	} {
		got, ok := Nearest(tc.s, known, 2)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Nearest(%q) = %q, %v; want %q, %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
}
