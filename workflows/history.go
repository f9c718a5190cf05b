package workflows

import (
	"context"
	"os"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// RecordHistory writes a run's history as JSON, the format the replay tests
// in testdata/ read. End-to-end tests call it when KAM_RECORD_HISTORY asks.
func RecordHistory(ctx context.Context, c client.Client, workflowID, path string) error {
	return RecordRunHistory(ctx, c, workflowID, "", path)
}

// RecordRunHistory is RecordHistory for one run of the workflow ("": the
// latest), e.g. one that continued as new.
func RecordRunHistory(ctx context.Context, c client.Client, workflowID, runID, path string) error {
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return err
		}
		h.Events = append(h.Events, e)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
