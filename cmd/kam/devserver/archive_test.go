package devserver

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// A data dir from before archival (its namespace made without it) gets
// archival on the next start, at the archive dir asked for.
func TestArchivalReachesAnExistingNamespace(t *testing.T) {
	dir := t.TempDir()
	o := Options{DatabaseFile: filepath.Join(dir, "temporal.sqlite"), Namespaces: []string{"default"},
		Logger: slog.New(slog.DiscardHandler), LogLevel: slog.LevelError}
	if c := namespaceConfig(t, o); c.GetHistoryArchivalState() != enumspb.ARCHIVAL_STATE_DISABLED {
		t.Fatalf("archival without an archive dir: %v", c)
	}
	o.ArchiveDir = filepath.Join(dir, "archive")
	c := namespaceConfig(t, o)
	history, visibility := archiveURIs(o.ArchiveDir)
	if c.GetHistoryArchivalState() != enumspb.ARCHIVAL_STATE_ENABLED || c.GetHistoryArchivalUri() != history ||
		c.GetVisibilityArchivalState() != enumspb.ARCHIVAL_STATE_ENABLED || c.GetVisibilityArchivalUri() != visibility {
		t.Fatalf("after a start with an archive dir: %v", c)
	}
}

// namespaceConfig starts the server and answers the namespace's configuration.
func namespaceConfig(t *testing.T, o Options) *namespacepb.NamespaceConfig {
	t.Helper()
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: s.HostPort(), Logger: sdklog.NewStructuredLogger(o.Logger)})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	d, err := nc.Describe(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	return d.GetConfig()
}
