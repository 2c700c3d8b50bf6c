package proxy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zdmctl/zdmctl/internal/cqltest"
	"github.com/zdmctl/zdmctl/proxy"
)

// A wrong target_password must stop startup even when clients authenticate
// against Target themselves and the proxy would never use it.
func TestCheckCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	targetAuth := envOpts{target: cqltest.Options{Username: "tu", Password: "tp"}}

	t.Run("wrong target password", func(t *testing.T) {
		o := targetAuth
		o.extraEnv = []string{"ZDM_TARGET_USERNAME=tu", "ZDM_TARGET_PASSWORD=bad"}
		e := newEnv(t, o)
		err := e.srv.CheckCredentials(ctx)
		if !errors.Is(err, proxy.ErrCredentialsRejected) {
			t.Fatalf("CheckCredentials = %v, want ErrCredentialsRejected", err)
		}
		for _, want := range []string{"TARGET", "target_username/target_password", "Provided username and/or password are incorrect"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "bad") {
			t.Errorf("error %q shows the password", err)
		}
	})
	t.Run("right password", func(t *testing.T) {
		o := targetAuth
		o.extraEnv = []string{"ZDM_TARGET_USERNAME=tu", "ZDM_TARGET_PASSWORD=tp"}
		if err := newEnv(t, o).srv.CheckCredentials(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("cluster without auth", func(t *testing.T) {
		o := envOpts{extraEnv: []string{"ZDM_ORIGIN_USERNAME=ou", "ZDM_ORIGIN_PASSWORD=whatever"}}
		if err := newEnv(t, o).srv.CheckCredentials(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unreachable cluster is not fatal", func(t *testing.T) {
		o := targetAuth
		o.extraEnv = []string{"ZDM_TARGET_USERNAME=tu", "ZDM_TARGET_PASSWORD=bad"}
		e := newEnv(t, o)
		e.target.Close()
		if err := e.srv.CheckCredentials(ctx); err != nil {
			t.Fatalf("CheckCredentials with Target down = %v, want nil (only logged)", err)
		}
	})
}
