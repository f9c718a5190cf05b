package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	archiverspb "go.temporal.io/server/api/archiver/v1"
	"go.temporal.io/server/common/archiver"
	"go.temporal.io/server/common/archiver/filestore"
	"go.temporal.io/server/common/codec"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// The archive holds what a workflow leaves behind when it closes: its event
// history (history/, one file per run) and its visibility record
// (visibility/<namespace id>/, one file per run, which names the run).
// Histories record decisions (who approved which discount, when); the
// files are the owner's alone.
const (
	archiveHistoryDir    = "history"
	archiveVisibilityDir = "visibility"
	archiveFileMode      = "0600"
	archiveDirMode       = "0700"
)

// archiveURIs are the namespace's archival URIs under dir (absolute).
func archiveURIs(dir string) (history, visibility string) {
	uri := func(sub string) string { return "file://" + filepath.ToSlash(filepath.Join(dir, sub)) }
	return uri(archiveHistoryDir), uri(archiveVisibilityDir)
}

// archivalConfig is the cluster's archival with the filestore provider
// under dir, readable through the frontend (GetWorkflowExecutionHistory of
// a run past retention, ListArchivedWorkflowExecutions), and on by default
// for every namespace; with no dir, archival is off.
func archivalConfig(dir string) (config.Archival, config.ArchivalNamespaceDefaults) {
	if dir == "" {
		return config.Archival{
				History:    config.HistoryArchival{State: config.ArchivalDisabled},
				Visibility: config.VisibilityArchival{State: config.ArchivalDisabled},
			}, config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: config.ArchivalDisabled},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: config.ArchivalDisabled},
			}
	}
	fs := &config.FilestoreArchiver{FileMode: archiveFileMode, DirMode: archiveDirMode}
	history, visibility := archiveURIs(dir)
	return config.Archival{
			History: config.HistoryArchival{State: config.ArchivalEnabled, EnableRead: true,
				Provider: &config.HistoryArchiverProvider{Filestore: fs}},
			Visibility: config.VisibilityArchival{State: config.ArchivalEnabled, EnableRead: true,
				Provider: &config.VisibilityArchiverProvider{Filestore: fs}},
		}, config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: config.ArchivalEnabled, URI: history},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: config.ArchivalEnabled, URI: visibility},
		}
}

// archiveNamespace turns archival on in a namespace created now.
func archiveNamespace(ns *sqliteschema.NamespaceConfig, dir string) {
	if dir == "" {
		return
	}
	c := ns.Detail.Config
	c.HistoryArchivalUri, c.VisibilityArchivalUri = archiveURIs(dir)
	c.HistoryArchivalState, c.VisibilityArchivalState = enumspb.ARCHIVAL_STATE_ENABLED, enumspb.ARCHIVAL_STATE_ENABLED
}

// enableArchival turns archival on in namespaces that existed before it
// was configured (a data dir from an older kam). A namespace's archival URI
// never changes once set (Temporal refuses), so one that archives elsewhere
// keeps doing so, with a warning.
func enableArchival(ctx context.Context, hostPort string, namespaces []string, dir string, logger *serverLogger) error {
	nc, err := client.NewNamespaceClient(client.Options{HostPort: hostPort, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		return err
	}
	defer nc.Close()
	history, visibility := archiveURIs(dir)
	for _, name := range namespaces {
		d, err := nc.Describe(ctx, name)
		if err != nil {
			return fmt.Errorf("devserver: namespace %s: %w", name, err)
		}
		c := d.GetConfig()
		if c.GetHistoryArchivalUri() != "" && c.GetHistoryArchivalUri() != history {
			logger.l.Warn("the namespace archives histories elsewhere; its archival URI cannot change",
				"namespace", name, "uri", c.GetHistoryArchivalUri(), "configured", history)
			history, visibility = c.GetHistoryArchivalUri(), c.GetVisibilityArchivalUri()
		}
		if c.GetHistoryArchivalState() == enumspb.ARCHIVAL_STATE_ENABLED && c.GetVisibilityArchivalState() == enumspb.ARCHIVAL_STATE_ENABLED {
			continue
		}
		err = nc.Update(ctx, &workflowservice.UpdateNamespaceRequest{Namespace: name, Config: &namespacepb.NamespaceConfig{
			HistoryArchivalState: enumspb.ARCHIVAL_STATE_ENABLED, HistoryArchivalUri: history,
			VisibilityArchivalState: enumspb.ARCHIVAL_STATE_ENABLED, VisibilityArchivalUri: visibility,
		}})
		if err != nil {
			return fmt.Errorf("devserver: archival of namespace %s: %w", name, err)
		}
		logger.l.Info("archival enabled", "namespace", name, "history", history)
	}
	return nil
}

// ErrNotArchived says the archive holds no run of the workflow asked for.
var ErrNotArchived = errors.New("not in the archive")

// ArchivedRun is one run read back from the archive.
type ArchivedRun struct {
	Namespace, WorkflowID, RunID, WorkflowType string
	CloseTime                                  time.Time
	History                                    *historypb.History
}

// ReadArchive reads a run's history from a filestore archive (the ArchiveDir
// of a devserver, which need not be running), with the server's own
// archiver. Without a run id it takes the run of workflowID in namespace
// that closed last.
func ReadArchive(ctx context.Context, dir, namespace, workflowID, runID string) (ArchivedRun, error) {
	dir, err := filepath.Abs(dir) // a file:// URI's path is absolute
	if err != nil {
		return ArchivedRun{}, err
	}
	rec, err := findArchivedRun(dir, namespace, workflowID, runID)
	if err != nil {
		return ArchivedRun{}, err
	}
	run := ArchivedRun{Namespace: rec.GetNamespace(), WorkflowID: rec.GetWorkflowId(), RunID: rec.GetRunId(),
		WorkflowType: rec.GetWorkflowTypeName(), CloseTime: rec.GetCloseTime().AsTime(), History: &historypb.History{}}
	ha, err := filestore.NewHistoryArchiver(persistence.ExecutionManager(nil), log.NewNoopLogger(), metrics.NoopMetricsHandler,
		&config.FilestoreArchiver{FileMode: archiveFileMode, DirMode: archiveDirMode})
	if err != nil {
		return run, err
	}
	uri, err := archiver.NewURI(archiveURI(dir))
	if err != nil {
		return run, err
	}
	req := &archiver.GetHistoryRequest{NamespaceID: rec.GetNamespaceId(), WorkflowID: run.WorkflowID, RunID: run.RunID, PageSize: 1000}
	for {
		res, err := ha.Get(ctx, uri, req)
		if err != nil {
			return run, fmt.Errorf("archived history of %s run %s: %w", run.WorkflowID, run.RunID, err)
		}
		for _, batch := range res.HistoryBatches {
			run.History.Events = append(run.History.Events, batch.GetEvents()...)
		}
		if len(res.NextPageToken) == 0 {
			return run, nil
		}
		req.NextPageToken = res.NextPageToken
	}
}

func archiveURI(dir string) string {
	history, _ := archiveURIs(dir)
	return history
}

// findArchivedRun scans the visibility records (one small file per closed
// run) for the run asked for.
func findArchivedRun(root, namespace, workflowID, runID string) (*archiverspb.VisibilityRecord, error) {
	dir := filepath.Join(root, archiveVisibilityDir)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.visibility"))
	if err != nil {
		return nil, err
	}
	var found *archiverspb.VisibilityRecord
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rec := &archiverspb.VisibilityRecord{}
		if err := codec.NewJSONPBEncoder().Decode(b, rec); err != nil {
			return nil, fmt.Errorf("archive %s: %w", f, err)
		}
		match := rec.GetWorkflowId() == workflowID && (runID == "" || rec.GetRunId() == runID) &&
			(namespace == "" || rec.GetNamespace() == namespace)
		if match && (found == nil || rec.GetCloseTime().AsTime().After(found.GetCloseTime().AsTime())) {
			found = rec
		}
	}
	if found == nil {
		what := workflowID
		if runID != "" {
			what += " run " + runID
		}
		return nil, fmt.Errorf("%s: %w at %s", what, ErrNotArchived, root)
	}
	return found, nil
}
