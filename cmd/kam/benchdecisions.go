package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"kam/cmd/kam/app"
	"kam/workflows"
)

// decisionBench is what the decision lines of `kam bench load` need.
type decisionBench struct {
	r        *app.Running
	hc       *http.Client
	call     func(method, path, tok string, body any, want int) error
	accounts []uuid.UUID
	am, ka   string // an account manager of every account, a ka_manager
	n        int
	parallel int
}

// run measures POST .../decisions (approve at stage 1, standard route: the
// run answers, then grants, files with the GM and sends notices) on n
// requests of n distinct accounts and on n requests of one account, beside
// the floor: a bare no-op Update, one each on n open runs (the shape a
// decision has: the first update of its own run), and, for reference, all
// on one run. Each decision line is followed by its ratios to the floor.
func (b decisionBench) run(ctx context.Context) ([]ratio, error) {
	distinct, err := b.submit(ctx, func(i int) uuid.UUID { return b.accounts[(i+1)%len(b.accounts)] })
	if err != nil {
		return nil, err
	}
	one, err := b.submit(ctx, func(int) uuid.UUID { return b.accounts[1] })
	if err != nil {
		return nil, err
	}
	// The floor's runs are stopped after the decision lines: a run's close
	// (its visibility record, the archival of its history) would otherwise
	// be carried out in the middle of them and counted as theirs.
	open := &openRuns{b: b}
	defer open.stop(ctx)
	before, err := b.floorPerRun(ctx, open, "floor: bare no-op Temporal Update, one on each open run")
	if err != nil {
		return nil, err
	}
	if _, err := b.floorOneRun(ctx, open); err != nil {
		return nil, err
	}
	d, err := b.decide(ctx, "POST decisions, approve, distinct accounts", distinct)
	if err != nil {
		return nil, err
	}
	o, err := b.decide(ctx, "POST decisions, approve, one account", one)
	if err != nil {
		return nil, err
	}
	// The floor again, on fresh runs: one line of 300 Updates lasts about a
	// second, and its throughput moved by a third between runs, so the
	// decisions are set against the floor on both sides of them.
	after, err := b.floorPerRun(ctx, open, "floor again, after the decision lines")
	if err != nil {
		return nil, err
	}
	// The decision's Temporal shape, whole and in parts: what Temporal's
	// own work for a decision costs beside the floor, and what kam adds.
	shape, shapeIDs, err := b.shapeLine(ctx, open, shapeParts{Save: true, Aftermath: true},
		"the decision's shape: an Update with one local activity, then one activity and a timer")
	if err != nil {
		return nil, err
	}
	saveOnly, _, err := b.shapeLine(ctx, open, shapeParts{Save: true}, "  its parts: an Update with one local activity")
	if err != nil {
		return nil, err
	}
	afterOnly, _, err := b.shapeLine(ctx, open, shapeParts{Aftermath: true}, "  its parts: an Update, then one activity and a timer")
	if err != nil {
		return nil, err
	}
	if err := b.reportUpdateCosts(ctx, distinct, open.ids, shapeIDs); err != nil {
		return nil, err
	}
	floor := meanOf(before, after)
	fmt.Println("\n| the decision's Temporal shape (no kam work) | p50 ÷ floor's p50 | throughput ÷ floor's | CPU ÷ floor's, aftermath included |")
	fmt.Println("|---|---|---|---|")
	for _, l := range []struct {
		what string
		s    stat
	}{{"an Update with one local activity (the save)", saveOnly}, {"an Update, then one activity and a timer (the aftermath, the grant's end)", afterOnly}, {"the whole shape: both", shape}} {
		fmt.Printf("| %s | %.2f× | %.0f %% | %.1f× |\n", l.what, l.s.ratioP50(floor), 100*l.s.ratioRate(floor), float64(l.s.cpu)/float64(floor.cpu))
	}
	return []ratio{{"distinct accounts", d, floor, shape}, {"one account", o, floor, shape}}, nil
}

// meanOf is two measurements of one line taken as one: each figure their mean.
func meanOf(a, b stat) stat {
	return stat{perSecond: (a.perSecond + b.perSecond) / 2, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2,
		cpu: (a.cpu + b.cpu) / 2, pgCPU: (a.pgCPU + b.pgCPU) / 2}
}

// ratio is a decision line beside its floor and beside the decision's
// Temporal shape (shapeLine).
type ratio struct {
	what        string
	line, floor stat
	shape       stat
}

func printRatios(rs []ratio) {
	fmt.Println()
	fmt.Println("| decision line | p50 ÷ floor's p50 (goal ≤ 2×) | throughput ÷ floor's (goal ≥ 50 %) | CPU per decision, aftermath included | ÷ floor's CPU per Update | p50 ÷ the shape's | throughput ÷ the shape's | CPU ÷ the shape's |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		fmt.Printf("| %s | %.2f× | %.0f %% | %s | %.1f× | %.2f× | %.0f %% | %.1f× |\n", r.what, r.line.ratioP50(r.floor), 100*r.line.ratioRate(r.floor),
			r.line.cpu.Round(10*time.Microsecond), float64(r.line.cpu)/float64(r.floor.cpu),
			r.line.ratioP50(r.shape), 100*r.line.ratioRate(r.shape), float64(r.line.cpu)/float64(r.shape.cpu))
	}
	if len(rs) > 0 {
		sh, fl := rs[0].shape, rs[0].floor
		fmt.Printf("\nThe shape itself: p50 %.2f× the floor's, throughput %.0f %% of it, CPU %.1f× per op.\n",
			sh.ratioP50(fl), 100*sh.ratioRate(fl), float64(sh.cpu)/float64(fl.cpu))
	}
	fmt.Println("\nThe floor is the bare no-op Update, one on each of as many open runs (a decision is the first Update of its run),")
	fmt.Println("measured before and after the decision lines; the ratios are to the mean of the two. The shape is a decision's")
	fmt.Println("Temporal work with none of kam's: an Update whose handler runs one local activity, then one activity and a timer.")
	fmt.Println("CPU is this process's (server, worker, API, clients), the least sensitive figure to other load on the machine.")
}

// submit makes n requests, on the account of(i), and lets them settle:
// each decision then meets a run that is waiting, as in real life, and no
// line counts the work of the submissions' first tasks.
func (b decisionBench) submit(ctx context.Context, of func(i int) uuid.UUID) ([]string, error) {
	// A grant for a quarter, an ordinary one: its expiry notice is weeks
	// away, so the lines measure the decision and its aftermath only.
	today := time.Now()
	from, to := today.Format(time.DateOnly), today.AddDate(0, 3, 0).Format(time.DateOnly)
	ids := make([]string, b.n)
	err := fanOut(b.n, b.parallel, func(i int) error {
		body, _ := json.Marshal(map[string]any{"customer_id": of(i).String(), "product_category": "equipment", "rate": "3",
			"method": "percentage", "valid_from": from, "valid_to": to})
		req, _ := http.NewRequestWithContext(ctx, "POST", b.r.URL+"/v1/discount-requests", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+b.am)
		req.Header.Set("Content-Type", "application/json")
		res, err := b.hc.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var out struct {
			ID string `json:"id"`
		}
		if res.StatusCode != http.StatusCreated {
			msg, _ := io.ReadAll(res.Body)
			return fmt.Errorf("submit: %d %s", res.StatusCode, msg)
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			return err
		}
		ids[i] = out.ID
		return nil
	})
	if err != nil {
		return ids, err
	}
	return ids, b.awaitWaiting(ctx, ids)
}

// awaitWaiting waits until none of the runs of ids has a workflow or an
// activity task pending (bounded: a run still busy after two minutes is
// reported, and the line goes on).
func (b decisionBench) awaitWaiting(ctx context.Context, ids []string) error {
	start := time.Now()
	wids := make([]string, len(ids))
	for i, id := range ids {
		wids[i] = workflows.DiscountWorkflowID(uuid.MustParse(id))
	}
	idle, err := awaitIdle(ctx, b.r, wids, 2*time.Minute)
	switch {
	case err != nil:
		return err
	case idle:
		fmt.Printf("(%d requests submitted; their runs waiting after %s)\n", len(ids), time.Since(start).Round(100*time.Millisecond))
	default:
		fmt.Printf("(%d requests submitted; some runs still busy after %s)\n", len(ids), time.Since(start).Round(time.Second))
	}
	return nil
}

// awaitIdle waits, up to bound, until no run of wids has a workflow or an
// activity task pending, and says whether that happened.
func awaitIdle(ctx context.Context, r *app.Running, wids []string, bound time.Duration) (bool, error) {
	deadline := time.Now().Add(bound)
	for {
		busy := false
		for _, wid := range wids {
			d, err := r.Temporal.DescribeWorkflowExecution(ctx, wid, "")
			if err != nil {
				return false, err
			}
			if busy = d.GetPendingWorkflowTask() != nil || len(d.GetPendingActivities()) > 0; busy {
				break
			}
		}
		if !busy {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// decide measures one decision line; its stat's cpu then also counts the
// aftermath the runs carry out after answering (settle).
func (b decisionBench) decide(ctx context.Context, what string, ids []string) (stat, error) {
	cpu := cpuTime()
	s := measure(what, len(ids), b.parallel, func(i int) error {
		return b.call("POST", "/v1/discount-requests/"+ids[i]+"/decisions", b.ka, map[string]any{"decision": "approve"}, 200)
	})
	if firstErr != nil {
		return s, firstErr
	}
	err := b.settle(ctx, ids)
	s.cpu = (cpuTime() - cpu) / time.Duration(len(ids))
	return s, err
}

// settle waits until the runs of ids have carried out their approvals (the
// grant, the filing and the notices after the answer), so that one line's
// aftermath does not weigh on the next line.
func (b decisionBench) settle(ctx context.Context, ids []string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var n int
		if err := b.r.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM discount_events WHERE kind = 'discount_granted' AND request_id = ANY($1::uuid[])`, ids).Scan(&n); err != nil {
			return err
		}
		if n == len(ids) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after 5 minutes %d of %d approvals carried out", n, len(ids))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// updateCost counts what a run's history holds from the workflow task that
// took its first Update on: what the server wrote for it and the work it
// made.
type updateCost struct {
	runs, events, wfts, activities, markers, timers int
}

// reportUpdateCosts prints the mean updateCost of up to 20 decided requests
// (their aftermath carried out) beside as many of the floor's runs and of
// the shape's.
func (b decisionBench) reportUpdateCosts(ctx context.Context, decided, floor, shape []string) error {
	var d, f, sh updateCost
	for _, id := range decided[:min(20, len(decided))] {
		if err := d.read(ctx, b.r, workflows.DiscountWorkflowID(uuid.MustParse(id))); err != nil {
			return err
		}
	}
	for _, wid := range floor[:min(20, len(floor))] {
		if err := f.read(ctx, b.r, wid); err != nil {
			return err
		}
	}
	for _, wid := range shape[:min(20, len(shape))] {
		if err := sh.read(ctx, b.r, wid); err != nil {
			return err
		}
	}
	fmt.Printf("\nFrom the workflow task that took the Update on (mean of %d runs each): a decision %s; a bare Update %s; the shape %s.\n",
		min(d.runs, f.runs, sh.runs), d, f, sh)
	return nil
}

// shapeLine measures a decision's Temporal shape with none of kam's work,
// or some of its parts (decisionShape), on n fresh runs (added to open):
// whole, an Update whose handler runs one local activity (the decision's
// save), after whose answer the run carries out one activity (the
// aftermath) and starts a timer (the grant's end). Like a decision line,
// its CPU counts what the runs do after the answers. It answers the line
// and the runs' workflow ids.
func (b decisionBench) shapeLine(ctx context.Context, open *openRuns, parts shapeParts, what string) (stat, []string, error) {
	wids, err := open.start(ctx, "bench-shape-", decisionShape, parts)
	if err != nil {
		return stat{}, nil, err
	}
	time.Sleep(time.Second)
	cpu := cpuTime()
	s := measure(what, b.n, b.parallel, func(i int) error { return b.update(ctx, wids[i], "decide") })
	// The runs are done once each has run its activity and the workflow
	// task after it (the timer's).
	if idle, err := awaitIdle(ctx, b.r, wids, 5*time.Minute); err != nil || !idle {
		return s, wids, cmp.Or(err, errors.New("the shape: runs still busy after 5 minutes"))
	}
	s.cpu = (cpuTime() - cpu) / time.Duration(b.n)
	return s, wids, nil
}

func (u updateCost) String() string {
	n := float64(max(u.runs, 1))
	return fmt.Sprintf("%.1f history events, %.1f workflow tasks, %.1f activity tasks, %.1f markers (local activities), %.1f timers",
		float64(u.events)/n, float64(u.wfts)/n, float64(u.activities)/n, float64(u.markers)/n, float64(u.timers)/n)
}

// read adds the run wid's counts from the workflow task before its first
// accepted Update.
func (u *updateCost) read(ctx context.Context, r *app.Running, wid string) error {
	it := r.Temporal.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	accepted := false
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return err
		}
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			if !accepted {
				events = events[:0] // the task that takes the Update starts here
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			accepted = true
		}
		events = append(events, e)
	}
	if !accepted {
		return fmt.Errorf("%s: no accepted update in its history", wid)
	}
	u.runs++
	for _, e := range events {
		u.events++
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			u.wfts++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			u.activities++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			u.markers++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			u.timers++
		}
	}
	return nil
}

// openRuns are the floor's no-op runs, stopped after the decision lines.
type openRuns struct {
	b   decisionBench
	ids []string
}

// start starts n runs of wf on the bench's worker, their ids prefixed, and
// adds those that started to o.
func (o *openRuns) start(ctx context.Context, prefix string, wf any, args ...any) ([]string, error) {
	wids := make([]string, o.b.n)
	err := fanOut(o.b.n, o.b.parallel, func(i int) error {
		id := prefix + uuid.NewString()
		_, err := o.b.r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "bench-load"}, wf, args...)
		if err == nil {
			wids[i] = id
		}
		return err
	})
	for _, id := range wids {
		if id != "" {
			o.ids = append(o.ids, id)
		}
	}
	return wids, err
}

func (o *openRuns) stop(ctx context.Context) {
	for _, id := range o.ids {
		_ = o.b.r.Temporal.SignalWorkflow(context.WithoutCancel(ctx), id, "", "stop", nil)
	}
	o.ids = nil
}

// floorPerRun is the floor: n open runs, one no-op Update each; the runs are
// added to open.
func (b decisionBench) floorPerRun(ctx context.Context, open *openRuns, what string) (stat, error) {
	wids, err := open.start(ctx, "bench-noop-", noopUpdates)
	if err != nil {
		return stat{}, err
	}
	time.Sleep(time.Second)
	return measure(what, b.n, b.parallel, func(i int) error {
		return b.noop(ctx, wids[i])
	}), nil
}

// floorOneRun is the earlier floor: every Update on one run, which the
// server may hand to the worker several at a time; the run is added to open.
func (b decisionBench) floorOneRun(ctx context.Context, open *openRuns) (stat, error) {
	wid := "bench-noop-" + uuid.NewString()
	if _, err := b.r.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid, TaskQueue: "bench-load"}, noopUpdates); err != nil {
		return stat{}, err
	}
	open.ids = append(open.ids, wid)
	return measure("bare no-op Temporal Update, all on one run", b.n, b.parallel, func(int) error { return b.noop(ctx, wid) }), nil
}

func (b decisionBench) noop(ctx context.Context, wid string) error { return b.update(ctx, wid, "noop") }

// update sends the Update name to the run wid and waits for its answer.
func (b decisionBench) update(ctx context.Context, wid, name string) error {
	h, err := b.r.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: wid, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}
