package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"kam"
	"kam/db/store"
	"kam/workflows"
)

// Handover is a staff handover and its progress (SPEC §7 "Staff and identity").
type Handover struct {
	ID             string     `json:"id" format:"uuid"`
	Status         string     `json:"status" enum:"running,done,failed"`
	FromStaffID    string     `json:"from_staff_id" format:"uuid"`
	ToStaffID      string     `json:"to_staff_id" format:"uuid"`
	RequestedBy    string     `json:"requested_by" format:"uuid"`
	AccountsMoved  int        `json:"accounts_moved" doc:"Accounts moved so far, each with a history row and an update access-register row"`
	RequestsMoved  int        `json:"requests_moved" doc:"Pending discount requests of the departing manager on those accounts, now the new manager's"`
	GreetingsMoved int        `json:"greetings_moved" doc:"Open greeting tasks of those accounts"`
	Batches        int        `json:"batches" doc:"Batches done (each one transaction)"`
	Reason         string     `json:"reason,omitempty" doc:"Why a failed handover stopped"`
	WorkflowID     string     `json:"workflow_id" doc:"The Temporal run that moves the accounts"`
	CreatedAt      time.Time  `json:"created_at"`
	FinishedAt     *time.Time `json:"finished_at"`
	Version        int32      `json:"version" doc:"1 when begun; one more with each batch and when it finishes (SPEC §3)"`
	Link           string     `json:"link" doc:"Where to follow its progress"`
}

func handoverOut(h kam.Handover) Handover {
	return Handover{ID: h.ID.String(), Status: h.Status, FromStaffID: h.FromStaffID.String(), ToStaffID: h.ToStaffID.String(),
		RequestedBy: h.RequestedBy.String(), AccountsMoved: h.AccountsMoved, RequestsMoved: h.RequestsMoved,
		GreetingsMoved: h.GreetingsMoved, Batches: h.Batches, Reason: h.Reason, WorkflowID: workflows.HandoverWorkflowID(h.ID),
		CreatedAt: h.CreatedAt, FinishedAt: h.FinishedAt, Version: h.Version, Link: handoverLink(h)}
}

func handoverLink(h kam.Handover) string {
	return "/v1/staff/" + h.FromStaffID.String() + "/handovers/" + h.ID.String()
}

// HandoverCreate names who receives the accounts.
type HandoverCreate struct {
	To string `json:"to" format:"uuid" doc:"An active account manager, not the person who leaves"`
}

type handoverOutput struct {
	Location string `header:"Location"`
	Body     Handover
}

func (s *Server) handoverRoutes() {
	post := op("hand-over-staff", http.MethodPost, "/v1/staff/{id}/handover",
		"Hand over all of a manager's accounts, pending discount requests, visit plans and greeting tasks (ka_manager, admin)", "staff")
	post.DefaultStatus = http.StatusAccepted
	post.Errors = append(post.Errors, http.StatusConflict, http.StatusServiceUnavailable)
	huma.Register(s.api, post, s.handOver)
	huma.Register(s.api, op("get-handover", http.MethodGet, "/v1/staff/{id}/handovers/{handover_id}",
		"A staff handover's progress (admin, general_manager, ka_manager)", "staff"), s.getHandover)
}

// handOver begins a handover; its run moves the accounts in batches, so the
// answer is 202 with where to follow it. Asked again while it runs, it
// answers the same handover.
func (s *Server) handOver(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body HandoverCreate
}) (*handoverOutput, error) {
	if !can(callerOf(ctx).Role, capHandOver) {
		return nil, forbidden("only a KA manager or an admin hands over a manager's accounts")
	}
	var bad fieldErrors
	from, err := parseUUID("path.id", in.ID)
	bad.add(err)
	to, err := parseUUID("body.to", in.Body.To)
	bad.add(err)
	if err := bad.err(); err != nil {
		return nil, err
	}
	h, err := s.store.StartHandover(ctx, from, to, "to", s.handoverStart(ctx))
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &handoverOutput{Location: handoverLink(h), Body: handoverOut(h)}, nil
}

// handoverStart is how this request begins a handover: its register entry,
// which each batch writes for the accounts it moves (Art. 9), and the start
// of the run inside the handover's transaction (a run that cannot start
// stores nothing: 503).
func (s *Server) handoverStart(ctx context.Context) store.HandoverStart {
	return store.HandoverStart{
		Access: accessOf(ctx, kam.AccessUpdate, nil, []string{kam.SectionService}),
		Start: func(h kam.Handover) error {
			if err := s.procs.StartHandover(ctx, h); err != nil {
				return kam.StartFailed("the handover could not be started", err)
			}
			return nil
		},
	}
}

func (s *Server) getHandover(ctx context.Context, in *struct {
	ID         string `path:"id" format:"uuid"`
	HandoverID string `path:"handover_id" format:"uuid"`
}) (*struct{ Body Handover }, error) {
	// Whoever may read a staff record may follow its handovers.
	if !can(callerOf(ctx).Role, capListStaff) {
		return nil, forbidden("your role does not read staff records")
	}
	var bad fieldErrors
	from, err := parseUUID("path.id", in.ID)
	bad.add(err)
	id, err := parseUUID("path.handover_id", in.HandoverID)
	bad.add(err)
	if err := bad.err(); err != nil {
		return nil, err
	}
	h, err := s.store.Handover(ctx, from, id)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Handover }{Body: handoverOut(h)}, nil
}
