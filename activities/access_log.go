package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"kam"
	"kam/db/store"
	"kam/i18n"
)

// Sealer keeps the access register tamper-evident (Art. 9): it links new
// rows into the hash chain about once a second, off the request path, and
// every Every (default a minute) sends a signed checkpoint of the grown chain
// out of the database; a last one on the way out covers the tail.
type Sealer struct {
	Store  *store.Store
	Notify *Activities // the notification path the checkpoints travel by
	Every  time.Duration
	Log    *slog.Logger
}

// Run seals and publishes until ctx ends, then publishes once more.
func (s *Sealer) Run(ctx context.Context) {
	every := s.Every
	if every <= 0 {
		every = time.Minute
	}
	var published int64
	if last, err := s.Store.LastCheckpoint(); err == nil && last != nil {
		published = last.Position
	}
	seal := time.NewTicker(time.Second)
	defer seal.Stop()
	checkpoint := time.NewTicker(every)
	defer checkpoint.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			if _, err := s.Publish(final, published); err != nil {
				s.log().Warn("checkpoint access register", "error", err)
			}
			cancel()
			return
		case <-seal.C:
			if _, err := s.Store.Seal(ctx); err != nil && ctx.Err() == nil {
				s.log().Warn("seal access register", "error", err)
			}
		case <-checkpoint.C:
			pos, err := s.Publish(ctx, published)
			if err != nil && ctx.Err() == nil {
				s.log().Warn("checkpoint access register", "error", err)
			}
			published = pos
		}
	}
}

// Publish signs the chain's head when it has grown past the position after,
// appends it to the checkpoint file and puts it in every auditor's inbox
// through the notification path (which copies it to the webhook). It returns
// the position now published; after a failure, after, so the next tick tries
// again.
func (s *Sealer) Publish(ctx context.Context, after int64) (int64, error) {
	c, ok, err := s.Store.TakeCheckpoint(ctx)
	if err != nil || !ok || c.Position <= after {
		return after, err
	}
	if err := s.Store.AppendCheckpoint(c); err != nil {
		return after, fmt.Errorf("checkpoint file: %w", err)
	}
	line, _ := json.Marshal(c)
	_, err = s.Notify.Notify(ctx, Notice{
		// The head in the key: a chain re-sealed at the same length is a new event.
		EventKey: fmt.Sprintf("register-checkpoint/%d/%s", c.Position, c.Head[:16]),
		Kind:     "register_checkpoint", TitleMsg: i18n.M(i18n.RegisterCheckpointTitle),
		Body: string(line), Roles: []string{kam.RoleAuditor},
	})
	if err != nil {
		return after, fmt.Errorf("checkpoint notice: %w", err)
	}
	return c.Position, nil
}

func (s *Sealer) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
