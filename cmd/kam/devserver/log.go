package devserver

import (
	"context"
	"log/slog"

	"go.temporal.io/server/common/log/tag"
)

// serverLogger hands the Temporal server's logs to slog, so `kam dev` prints
// one stream of JSON lines.
type serverLogger struct {
	l     *slog.Logger
	level *slog.LevelVar
}

func newServerLogger(l *slog.Logger, level slog.Level) *serverLogger {
	if level == 0 {
		level = slog.LevelWarn
	}
	v := &slog.LevelVar{}
	v.Set(level)
	return &serverLogger{l: l.With("component", "temporal-server"), level: v}
}

func (s *serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	if level < s.level.Level() {
		return
	}
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	s.l.LogAttrs(ctx, level, msg, attrs...)
}

func (s *serverLogger) Debug(msg string, tags ...tag.Tag)  { s.log(slog.LevelDebug, msg, tags) }
func (s *serverLogger) Info(msg string, tags ...tag.Tag)   { s.log(slog.LevelInfo, msg, tags) }
func (s *serverLogger) Warn(msg string, tags ...tag.Tag)   { s.log(slog.LevelWarn, msg, tags) }
func (s *serverLogger) Error(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s *serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }
func (s *serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(msg)
}
func (s *serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError+4, msg, tags)
	panic(msg)
}
