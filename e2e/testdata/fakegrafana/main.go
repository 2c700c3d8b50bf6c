// Command fakegrafana stands in for Grafana in the monitoring e2e test
// (Grafana is not a Debian package and the test hosts have no internet).
// Packed as grafana-v0.0.0-fake/bin/grafana in a .tar.gz like Grafana's
// linux tarball, it is started the way the zdm-grafana unit starts Grafana
// (`grafana server --homepath DIR --config FILE`), reads http_port and the
// provisioning path from the ini file, follows the provisioning files like
// Grafana does (datasources/*.yaml, dashboards/*.yaml → the dashboards
// path) and serves:
//
//	/api/health                 200 once the provisioning loaded
//	/api/datasources/uid/UID    the provisioned datasource (url, type)
//	/api/dashboards/uid/UID     the provisioned dashboard JSON
//
// It exits non-zero when the ini, a provisioning file or a dashboard is
// missing or malformed, so a broken deployment fails to start.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "server" {
		args = args[1:]
	}
	var homepath, config string
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--homepath":
			homepath = args[i+1]
		case "--config":
			config = args[i+1]
		}
	}
	if homepath == "" || config == "" {
		log.Fatalf("usage: grafana server --homepath DIR --config FILE (got %q)", os.Args[1:])
	}
	ini, err := readIni(config)
	if err != nil {
		log.Fatal(err)
	}
	port := ini["server.http_port"]
	if port == "" {
		port = "3000"
	}
	prov := ini["paths.provisioning"]
	datasources, err := loadDatasources(filepath.Join(prov, "datasources"))
	if err != nil {
		log.Fatal(err)
	}
	dashboards, err := loadDashboards(filepath.Join(prov, "dashboards"))
	if err != nil {
		log.Fatal(err)
	}
	if data := ini["paths.data"]; data != "" {
		// Grafana writes its database there: the unit must allow it.
		if err := os.WriteFile(filepath.Join(data, "grafana.db"), []byte("fake"), 0o640); err != nil {
			log.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"database":"ok","version":"0.0.0-fake"}`)
	})
	mux.HandleFunc("GET /api/datasources/uid/{uid}", func(w http.ResponseWriter, r *http.Request) {
		serve(w, datasources[r.PathValue("uid")])
	})
	mux.HandleFunc("GET /api/dashboards/uid/{uid}", func(w http.ResponseWriter, r *http.Request) {
		serve(w, dashboards[r.PathValue("uid")])
	})
	log.Printf("fake grafana on :%s, %d datasources, %d dashboards", port, len(datasources), len(dashboards))
	log.Fatal(http.ListenAndServe(":"+port, mux))
}

func serve(w http.ResponseWriter, v any) {
	if v == nil {
		http.NotFound(w, nil)
		return
	}
	json.NewEncoder(w).Encode(v)
}

// readIni returns section.key values.
func readIni(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, ";") || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[]")
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				return nil, fmt.Errorf("%s: bad line %q", path, l)
			}
			out[section+"."+strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}

func yamlFiles(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err == nil && len(m) == 0 {
		err = fmt.Errorf("no provisioning file in %s", dir)
	}
	return m, err
}

func loadDatasources(dir string) (map[string]any, error) {
	files, err := yamlFiles(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, p := range files {
		var doc struct {
			Datasources []map[string]any `yaml:"datasources"`
		}
		b, err := os.ReadFile(p)
		if err == nil {
			err = yaml.Unmarshal(b, &doc)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, d := range doc.Datasources {
			out[fmt.Sprint(d["uid"])] = d
		}
	}
	return out, nil
}

func loadDashboards(dir string) (map[string]any, error) {
	files, err := yamlFiles(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, p := range files {
		var doc struct {
			Providers []struct {
				Options struct {
					Path string `yaml:"path"`
				} `yaml:"options"`
			} `yaml:"providers"`
		}
		b, err := os.ReadFile(p)
		if err == nil {
			err = yaml.Unmarshal(b, &doc)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for _, pr := range doc.Providers {
			jsons, _ := filepath.Glob(filepath.Join(pr.Options.Path, "*.json"))
			if len(jsons) == 0 {
				return nil, fmt.Errorf("%s: no dashboard in %s", p, pr.Options.Path)
			}
			for _, j := range jsons {
				var d map[string]any
				b, err := os.ReadFile(j)
				if err == nil {
					err = json.Unmarshal(b, &d)
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %w", j, err)
				}
				out[fmt.Sprint(d["uid"])] = d
			}
		}
	}
	return out, nil
}
