package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"kam/cmd/kam/devserver"
	"kam/workflows"
)

// ReplayOptions says which run `kam replay` replays and where it looks.
type ReplayOptions struct {
	WorkflowID string
	// RunID picks a run; empty: the workflow's current run, else the one
	// archived last.
	RunID string
	// ArchiveDir, when set, reads that filestore archive (a kam dev data
	// dir's archive/) and asks no server.
	ArchiveDir string
	// Register, for tests, puts other workflow definitions on the replayer;
	// nil: kam's own, as the worker registers them.
	Register func(worker.WorkflowRegistry)
	Log      *slog.Logger
}

// Replay fetches a run's history and replays it against today's workflow
// code. The history comes from the Temporal server (TEMPORAL_ADDRESS, else
// kam dev's at 127.0.0.1:KAM_TEMPORAL_PORT): live, or, once the run is past
// retention, from the namespace's archive; when no server answers, from
// the data dir's archive, which kam dev writes. The error of a history that
// does not replay names the first step today's code takes differently
// (nondeterminism): such a change needs workflow.GetVersion.
func Replay(ctx context.Context, cfg Config, o ReplayOptions) (workflows.RunHistory, error) {
	o.Log = cmp.Or(o.Log, slog.Default())
	run, err := replayHistory(ctx, cfg, o)
	if err != nil {
		return run, err
	}
	register := o.Register
	if register == nil {
		register = workflows.RegisterWorkflows
	}
	// The replayer logs a failed replay once more, with the SDK's stack;
	// the error says it all unless debugging.
	logs := o.Log.With("component", "replay")
	if !logs.Enabled(ctx, slog.LevelDebug) {
		logs = slog.New(slog.DiscardHandler)
	}
	if err := workflows.ReplayWith(register, sdklog.NewStructuredLogger(logs), run); err != nil {
		return run, fmt.Errorf("%s run %s (%d events, %s history) does not replay: %w",
			run.WorkflowID, run.RunID, len(run.History.GetEvents()), run.Source, err)
	}
	return run, nil
}

// replayHistory finds the history: in the archive asked for, else from the
// server, else, with no server, in the data dir's archive.
func replayHistory(ctx context.Context, cfg Config, o ReplayOptions) (workflows.RunHistory, error) {
	if o.ArchiveDir != "" {
		return readArchive(ctx, cfg, o.ArchiveDir, o)
	}
	address := cmp.Or(cfg.TemporalAddress, net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.TemporalPort)))
	dialCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := client.DialContext(dialCtx, client.Options{
		HostPort: address, Namespace: cfg.TemporalNamespace,
		Logger: sdklog.NewStructuredLogger(o.Log.With("component", "temporal-sdk")),
	})
	if err != nil {
		local, _ := archiveDir(cfg, Parts{})
		if _, statErr := os.Stat(local); local == "" || statErr != nil {
			return workflows.RunHistory{}, fmt.Errorf("temporal at %s: %w (without a server, --archive DIR reads an archive)", address, err)
		}
		o.Log.Warn("no temporal server; reading the data dir's archive", "address", address, "archive", local)
		return readArchive(ctx, cfg, local, o)
	}
	defer c.Close()
	return workflows.FetchHistory(ctx, c, cfg.TemporalNamespace, o.WorkflowID, o.RunID)
}

func readArchive(ctx context.Context, cfg Config, dir string, o ReplayOptions) (workflows.RunHistory, error) {
	a, err := devserver.ReadArchive(ctx, dir, cfg.TemporalNamespace, o.WorkflowID, o.RunID)
	if err != nil {
		return workflows.RunHistory{WorkflowID: o.WorkflowID, RunID: o.RunID}, err
	}
	return workflows.RunHistory{WorkflowID: a.WorkflowID, RunID: a.RunID, Source: workflows.SourceArchive, History: a.History}, nil
}
