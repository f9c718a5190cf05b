package workflows

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"kam"
)

// TestUpdateErr: the discount run's validator refusals reach the API as
// domain errors with their own code, so the API holds no second table; any
// other failure is "the run did not answer" (503), cause kept for the log.
func TestUpdateErr(t *testing.T) {
	cases := []struct {
		err  error
		kind kam.Kind
		code string
		name string // the update; "": decide
	}{
		{temporal.NewApplicationError("no", ErrNotDecider), kam.KindForbidden, ErrNotDecider, ""},
		{temporal.NewApplicationError("no", ErrNotRequester), kam.KindForbidden, ErrNotRequester, ""},
		{temporal.NewApplicationError("no", ErrAlreadyDecided), kam.KindConflict, ErrAlreadyDecided, ""},
		{temporal.NewApplicationError("no", ErrNotPending), kam.KindConflict, ErrNotPending, ""},
		{temporal.NewApplicationError("no", "validation_failed"), kam.KindInvalid, "validation_failed", ""},
		{temporal.NewApplicationError("no", ErrNotRevoker), kam.KindForbidden, ErrNotRevoker, ""},
		{temporal.NewApplicationError("no", ErrAlreadyRevoked), kam.KindConflict, ErrAlreadyRevoked, ""},
		{temporal.NewApplicationError("no", ErrGrantEnded), kam.KindConflict, ErrGrantEnded, ""},
		{temporal.NewApplicationError("no", ErrNoGrant), kam.KindConflict, ErrNoGrant, ""},
		// The revocation's activity refused for good: the update fails with it.
		{fmt.Errorf("activity error: %w", temporal.NewNonRetryableApplicationError("ended", ErrGrantEnded, nil)), kam.KindConflict, ErrGrantEnded, ""},
		{temporal.NewApplicationError("boom", "something_else"), kam.KindUnavailable, "unavailable", ""},
		{errors.New("deadline exceeded"), kam.KindUnavailable, "unavailable", ""},
		// The run ended under the update (the server aborts the updates
		// still waiting when a decision ends the run): too late, not an outage.
		{serviceerror.NewNotFound("workflow update was aborted by closing workflow"), kam.KindConflict, ErrAlreadyDecided, ""},
		{fmt.Errorf("update: %w", serviceerror.NewNotFound("workflow execution already completed")), kam.KindConflict, ErrNotPending, UpdateWithdraw},
		{serviceerror.NewNotFound("workflow update was aborted by closing workflow"), kam.KindConflict, ErrGrantEnded, UpdateRevoke},
	}
	for _, c := range cases {
		var de *kam.Error
		name := c.name
		if name == "" {
			name = UpdateDecide
		}
		if !errors.As(updateErr(name, c.err), &de) {
			t.Fatalf("%v: not a *kam.Error", c.err)
		}
		if de.Kind != c.kind || de.Code != c.code {
			t.Errorf("%v: got kind %d code %q, want %d %q", c.err, de.Kind, de.Code, c.kind, c.code)
		}
		if c.kind == kam.KindUnavailable && de.Internal == "" {
			t.Errorf("%v: the cause is lost", c.err)
		}
	}
	if updateErr(UpdateDecide, nil) != nil {
		t.Error("nil must stay nil")
	}
}
