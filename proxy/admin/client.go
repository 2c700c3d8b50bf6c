package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// GetStatus fetches and decodes /api/v1/status from base (e.g.
// "http://10.0.0.5:14001").
func GetStatus(ctx context.Context, c *http.Client, base string) (Status, error) {
	var st Status
	code, err := getJSON(ctx, c, base+"/api/v1/status", &st)
	if err != nil {
		return Status{}, err
	}
	if code != http.StatusOK {
		return Status{}, fmt.Errorf("GET %s/api/v1/status: HTTP %d", base, code)
	}
	return st, nil
}

// GetReadiness fetches /health/readiness from base. A 503 is not an error:
// the returned Readiness says why the proxy is not ready.
func GetReadiness(ctx context.Context, c *http.Client, base string) (Readiness, error) {
	var r Readiness
	code, err := getJSON(ctx, c, base+"/health/readiness", &r)
	if err != nil {
		return Readiness{}, err
	}
	if code != http.StatusOK && code != http.StatusServiceUnavailable {
		return Readiness{}, fmt.Errorf("GET %s/health/readiness: HTTP %d", base, code)
	}
	return r, nil
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) (int, error) {
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", url, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, fmt.Errorf("GET %s: read body: %w", url, err)
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusServiceUnavailable {
		if err := json.Unmarshal(body, v); err != nil {
			return resp.StatusCode, fmt.Errorf("GET %s: decode: %w", url, err)
		}
	}
	return resp.StatusCode, nil
}
