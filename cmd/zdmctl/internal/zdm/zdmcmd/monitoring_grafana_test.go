package zdmcmd

import (
	"slices"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/playbooks"
	"github.com/zdmctl/zdmctl/playbooks/tmpl"
)

// TestGrafanaTasksByInstall: which Grafana tasks of zdm-monitoring run for
// each grafana_install, and the zdm-grafana unit each gets. The archive and
// none paths (every inventory before grafana_install, and e2e's
// TestMonitoring) run the same tasks and the same unit as before.
func TestGrafanaTasksByInstall(t *testing.T) {
	pb, err := playbooks.Builtin("zdm-monitoring")
	if err != nil {
		t.Fatal(err)
	}
	tasks := pb.Plays[0].Tasks
	first := slices.IndexFunc(tasks, func(t *playbooks.Task) bool { return t.Name == "grafana group" })
	if first < 0 {
		t.Fatal("no grafana group task")
	}
	tasks = tasks[first:]
	always := []string{"grafana group", "grafana user", "grafana data dir", "grafana.ini", "grafana unit", "is grafana running", "start grafana", "grafana ready"}
	archive := []string{"grafana unpacked", "grafana archive", "unpack grafana", "current grafana", "older grafana builds removed"}
	pkg := []string{"no unpacked grafana left (package install)", "grafana package installed before", "the package's own grafana unit held back for the install",
		"grafana package", "packages dir", "remember the grafana package for teardown", "the package's own grafana unit off (zdm-grafana runs it)"}
	repo := []string{"grafana repository needs apt", "apt keyrings dir", "grafana repository key (grafana_apt_key)", "grafana repository (grafana_apt_repo)", "remember the grafana repository for teardown"}
	for _, tc := range []struct {
		install, grafana, repo, key string
		want                        []string
		exec                        string
	}{
		{"archive", "yes", "", "no", append(slices.Clone(always), archive...),
			"WorkingDirectory=/opt/zdm-monitoring/grafana\nExecStart=/bin/sh -c 'g=/opt/zdm-monitoring/grafana; if [ -x $g/bin/grafana ]; then exec $g/bin/grafana server --homepath $g --config /etc/zdm-monitoring/grafana/grafana.ini; else exec $g/bin/grafana-server --homepath $g --config /etc/zdm-monitoring/grafana/grafana.ini; fi'\nRestart=on-failure\n"},
		{"none", "no", "", "no", nil, ""},
		{"package", "yes", "", "no", append(slices.Clone(always), pkg...),
			"WorkingDirectory=/usr/share/grafana\nExecStart=/usr/sbin/grafana-server --homepath /usr/share/grafana --config /etc/zdm-monitoring/grafana/grafana.ini\nRestart=on-failure\n"},
		{"package", "yes", "deb https://apt.example stable main", "yes", append(append(slices.Clone(always), pkg...), repo...), ""},
	} {
		vars := map[string]any{
			"mon_grafana": tc.grafana, "mon_grafana_install": tc.install, "mon_grafana_apt_repo": tc.repo, "mon_grafana_apt_key": tc.key,
			"g_unpacked":   map[string]any{"stat": map[string]any{"exists": false}},
			"g_pkg_before": map[string]any{"stdout": "no\n"},
			"g_active":     map[string]any{"rc": 3},
		}
		for _, reg := range []string{"g_bin", "g_package", "g_ini", "g_unit", "g_ds", "g_prov"} {
			vars[reg] = map[string]any{"changed": false}
		}
		var ran []string
		for _, task := range tasks {
			run := true
			for _, w := range task.When {
				ok, err := w.Bool(vars)
				if err != nil {
					t.Fatalf("%s: task %q: %v", tc.install, task.Name, err)
				}
				run = run && ok
			}
			if run {
				ran = append(ran, task.Name)
			}
			if task.Name == "grafana unit" && tc.exec != "" {
				unit, err := tmpl.Render("unit", task.Args["content"].(string), vars)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(unit, "Group=zdm-grafana\n"+tc.exec) {
					t.Errorf("%s: zdm-grafana unit:\n%s\nwant after Group=:\n%s", tc.install, unit, tc.exec)
				}
			}
		}
		slices.Sort(ran)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(ran, want) {
			t.Errorf("%s (repo %q): tasks run\n%q\nwant\n%q", tc.install, tc.repo, ran, want)
		}
	}
}
