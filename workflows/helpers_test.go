package workflows

import (
	"errors"
	"io"
	"log/slog"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
)

func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func isContinueAsNew(err error) bool {
	var can *workflow.ContinueAsNewError
	return errors.As(err, &can)
}

func continueAsNewOf(err error) *workflow.ContinueAsNewError {
	var can *workflow.ContinueAsNewError
	errors.As(err, &can)
	return can
}

// converterDecode reads the first argument a run continued as new with.
func converterDecode(can *workflow.ContinueAsNewError, out any) error {
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, out)
}
