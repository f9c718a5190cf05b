package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kam/cmd/kam/app"
	"kam/db/dbtest"
	"kam/workflows"
)

// bodies records every webhook delivery's body.
type bodies struct {
	mu  sync.Mutex
	all [][]byte
}

func (b *bodies) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all = append(b.all, body)
}

func (b *bodies) saw(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, body := range b.all {
		if bytes.Contains(body, []byte(s)) {
			return true
		}
	}
	return false
}

// kam dev serves as kam_app, keys the register with a key it writes into the
// data dir (0600) and reuses, and sends signed checkpoints out of the
// database: to a file in the data dir, the auditors' inboxes and the
// webhook; verify holds the chain against them (Art. 9).
func TestRegisterCheckpointsLeaveTheDatabase(t *testing.T) {
	own, drop, err := dbtest.NewDatabase("regseal")
	if err != nil {
		t.Fatal(err)
	}
	defer drop()
	hook := &bodies{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	cfg := config(t, workflows.DefaultSettings())
	cfg.DatabaseURL = own
	cfg.CheckpointEvery = time.Second
	cfg.WebhookURL, cfg.WebhookSecret = hs.URL, "hook-secret"
	r := start(t, cfg, true)
	var role string
	if err := r.Store.Pool.QueryRow(context.Background(), "SELECT current_user").Scan(&role); err != nil || role != "kam_app" {
		t.Fatalf("serving as %q (%v), want kam_app", role, err)
	}
	keyFile := filepath.Join(cfg.DataDir, "register.key")
	info, err := os.Stat(keyFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("register key file: %v %v", info, err)
	}
	key, _ := os.ReadFile(keyFile)

	c := client{t: t, base: r.URL}
	_, auditor := c.staff("auditor")
	_, ka := c.staff("ka_manager")
	c.do("POST", "/v1/customers", ka, map[string]any{"code": "SEAL-1", "name": "Sealed Co"}, 201)
	checkpoints := filepath.Join(cfg.DataDir, "register-checkpoints.jsonl")
	eventually(t, 30*time.Second, "a checkpoint in the file, the auditor's inbox and the webhook", func() bool {
		lines, _ := os.ReadFile(checkpoints)
		return strings.Contains(string(lines), `"signature"`) && c.inbox(auditor, "register_checkpoint", "") > 0 && hook.saw("register_checkpoint")
	})
	v := c.do("GET", "/v1/access-log/verify", auditor, nil, 200)
	if v["ok"] != true || v["checkpoint_position"] == nil || v["checkpoint_position"].(float64) < 1 {
		t.Fatalf("verify = %v", v)
	}
	r.Stop()

	// A restart reuses the key: the chain and its checkpoints still verify.
	r = start(t, cfg, true)
	defer r.Stop()
	if again, _ := os.ReadFile(keyFile); !bytes.Equal(again, key) {
		t.Fatal("kam dev replaced the register key on restart")
	}
	c.base = r.URL
	if v := c.do("GET", "/v1/access-log/verify", auditor, nil, 200); v["ok"] != true || v["checkpoint_position"] == nil {
		t.Fatalf("after restart: %v", v)
	}
}

// serve refuses to start without a register key, and refuses a database
// role that could alter or bypass the register.
func TestServeRefusesAnEscapableRegister(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := config(t, workflows.DefaultSettings())
	if _, err := app.Start(ctx, cfg, app.Parts{API: true, Out: io.Discard}, quiet()); err == nil || !strings.Contains(err.Error(), "KAM_REGISTER_KEY") {
		t.Fatalf("serve without a key: %v", err)
	}
	cfg.RegisterKey = []byte("a register key of at least 32 bytes!")
	cfg.AppDatabaseURL = dsn // the owner, a superuser
	if _, err := app.Start(ctx, cfg, app.Parts{API: true, Out: io.Discard}, quiet()); err == nil || !strings.Contains(err.Error(), "can alter or bypass") {
		t.Fatalf("serve as the owner: %v", err)
	}
}

// The register's settings are checked like every other.
func TestRegisterSettingsFromEnv(t *testing.T) {
	t.Setenv("KAM_REGISTER_KEY", strings.Repeat("ab", 32))
	t.Setenv("KAM_REGISTER_CHECKPOINT_EVERY", "30s")
	t.Setenv("KAM_APP_DATABASE_URL", "postgres://kam_app:pw@db/kam")
	cfg, err := app.FromEnv()
	if err != nil || len(cfg.RegisterKey) != 32 || cfg.CheckpointEvery != 30*time.Second {
		t.Fatalf("%v %d %v", err, len(cfg.RegisterKey), cfg.CheckpointEvery)
	}
	if u, _ := cfg.AppURL(); u != "postgres://kam_app:pw@db/kam" {
		t.Fatalf("app URL %q", u)
	}
	for name, bad := range map[string]string{"KAM_REGISTER_KEY": "tooshort", "KAM_REGISTER_CHECKPOINT_EVERY": "0s"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, bad)
			if _, err := app.FromEnv(); err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%s: %v", name, bad, err)
			}
		})
	}
}
