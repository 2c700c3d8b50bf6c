package zdm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zdmctl/zdmctl/playbooks"
)

// The proxy stops at startup on a ZDM_* variable that looks like a
// misspelt config key (proxy/config): the unit zdmctl installs must hand
// it its configuration through the file only, so nothing in the service's
// environment can trip that check or override the rendered file.
func TestProxyUnitPassesNoEnvironment(t *testing.T) {
	pb, err := playbooks.Builtin("zdm-deploy")
	if err != nil {
		t.Fatal(err)
	}
	units := 0
	for _, play := range pb.Plays {
		for _, task := range append(play.Tasks, play.Handlers...) {
			if strings.Contains(fmt.Sprint(task.Args), "ZDM_") {
				t.Errorf("task %q (line %d) mentions a ZDM_ variable: %v", task.Name, task.Line, task.Args)
			}
			content, _ := task.Args["content"].(string)
			if task.Module != "systemd" || task.Args["name"] != "zdm-proxy" || content == "" {
				continue
			}
			units++
			for _, line := range strings.Split(content, "\n") {
				line = strings.TrimSpace(line)
				for _, directive := range []string{"Environment=", "EnvironmentFile=", "PassEnvironment="} {
					if strings.HasPrefix(line, directive) {
						t.Errorf("zdm-proxy unit sets the environment: %s", line)
					}
				}
				if exec, ok := strings.CutPrefix(line, "ExecStart="); ok && (strings.Contains(exec, "env ") || strings.Contains(exec, "=")) {
					t.Errorf("zdm-proxy ExecStart sets variables: %s", line)
				}
			}
			if !strings.Contains(content, "ExecStart=/opt/zdm-proxy/current --config /etc/zdm-proxy/zdm-proxy.yaml") {
				t.Errorf("zdm-proxy unit does not start the proxy on its config file:\n%s", content)
			}
		}
	}
	if units != 1 {
		t.Fatalf("found %d zdm-proxy unit tasks in zdm-deploy, want 1", units)
	}
}
