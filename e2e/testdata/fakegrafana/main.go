// Command fakegrafana stands in for Grafana in the monitoring e2e test
// (Grafana is not a Debian package and the test hosts have no internet).
// Packed as grafana-v0.0.0-fake/bin/grafana in a .tar.gz like Grafana's
// linux tarball, it is started the way the zdm-grafana unit starts Grafana
// (`grafana server --homepath DIR --config FILE`), reads http_addr, http_port and the
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
	"net"
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
	log.Fatal(http.ListenAndServe(net.JoinHostPort(ini["server.http_addr"], port), mux))
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

// eachProvisioning decodes every *.yaml file in dir into a T and hands it
// to fn; a dir without one is an error, as Grafana would find nothing.
func eachProvisioning[T any](dir string, fn func(path string, doc T) error) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no provisioning file in %s", dir)
	}
	if err != nil {
		return err
	}
	for _, p := range files {
		var doc T
		if err := decodeFile(p, yaml.Unmarshal, &doc); err != nil {
			return err
		}
		if err := fn(p, doc); err != nil {
			return err
		}
	}
	return nil
}

type datasourcesDoc struct {
	Datasources []map[string]any `yaml:"datasources"`
}

func loadDatasources(dir string) (map[string]any, error) {
	out := map[string]any{}
	err := eachProvisioning(dir, func(_ string, doc datasourcesDoc) error {
		for _, d := range doc.Datasources {
			out[fmt.Sprint(d["uid"])] = d
		}
		return nil
	})
	return out, err
}

type providersDoc struct {
	Providers []struct {
		Options struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

func loadDashboards(dir string) (map[string]any, error) {
	out := map[string]any{}
	err := eachProvisioning(dir, func(p string, doc providersDoc) error {
		for _, pr := range doc.Providers {
			jsons, _ := filepath.Glob(filepath.Join(pr.Options.Path, "*.json"))
			if len(jsons) == 0 {
				return fmt.Errorf("%s: no dashboard in %s", p, pr.Options.Path)
			}
			for _, j := range jsons {
				var d map[string]any
				if err := decodeFile(j, json.Unmarshal, &d); err != nil {
					return err
				}
				out[fmt.Sprint(d["uid"])] = d
			}
		}
		return nil
	})
	return out, err
}

// decodeFile reads path and decodes it into v with unmarshal.
func decodeFile(path string, unmarshal func([]byte, any) error, v any) error {
	b, err := os.ReadFile(path)
	if err == nil {
		err = unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
