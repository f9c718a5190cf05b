package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"kam"
	"kam/db/store"
)

// Credit is an account's credit grade and agreement (Art. 7.7, 13).
type Credit struct {
	CustomerID       string     `json:"customer_id" format:"uuid"`
	CreditLevel      string     `json:"credit_level"`
	ArrearsLimit     string     `json:"arrears_limit"`
	SettlementCycle  string     `json:"settlement_cycle"`
	PaymentTermDays  int32      `json:"payment_term_days"`
	AgreementRef     *string    `json:"agreement_reference"`
	AgreementDate    *string    `json:"agreement_date"`
	Status           string     `json:"status" enum:"active,suspended,closed" doc:"Computed: suspended while a statement is overdue (Art. 13)"`
	Outstanding      string     `json:"outstanding" doc:"Computed: charges less payments"`
	CreditBalance    string     `json:"credit_balance" doc:"Paid ahead or overpaid, not yet set against a statement"`
	SuspendedAt      *time.Time `json:"suspended_at"`
	SuspensionReason *string    `json:"suspension_reason"`
	Version          int32      `json:"version"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// CreditPut sets the credit agreement; status and outstanding are computed.
type CreditPut struct {
	CreditLevel     string  `json:"credit_level" minLength:"1" maxLength:"50"`
	ArrearsLimit    string  `json:"arrears_limit" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Money as a decimal string"`
	SettlementCycle string  `json:"settlement_cycle" minLength:"1" maxLength:"100" doc:"Cron spec, descriptor (@monthly) or @every duration"`
	PaymentTermDays int32   `json:"payment_term_days" minimum:"0" maximum:"366"`
	AgreementRef    *string `json:"agreement_reference,omitempty" maxLength:"100"`
	AgreementDate   *string `json:"agreement_date,omitempty" format:"date"`
	Status          *string `json:"status,omitempty" enum:"active,closed" doc:"closed closes the agreement (only with nothing outstanding); active reopens a closed one"`
}

func creditOut(c kam.CreditAgreement) Credit {
	balance := c.Unapplied
	if o := c.Outstanding(); o.IsNegative() {
		balance = o.Neg()
	}
	out := c.Outstanding()
	if out.IsNegative() {
		out = decimal.Zero
	}
	return Credit{CustomerID: c.CustomerID.String(), CreditLevel: c.CreditLevel, ArrearsLimit: money(c.ArrearsLimit),
		SettlementCycle: c.SettlementCycle, PaymentTermDays: c.PaymentTermDays, AgreementRef: c.AgreementRef,
		AgreementDate: dateString(c.AgreementDate), Status: c.Status, Outstanding: money(out), CreditBalance: money(balance),
		SuspendedAt: c.SuspendedAt, SuspensionReason: c.SuspensionReason, Version: c.Version, UpdatedAt: c.UpdatedAt}
}

// ChargeCreate is a purchase on credit (记欠).
type ChargeCreate struct {
	Amount     string `json:"amount" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Money as a decimal string"`
	Reference  string `json:"reference" minLength:"1" maxLength:"100" doc:"Unique per account; a repeat returns the first charge"`
	OccurredOn string `json:"occurred_on" format:"date"`
}

// PaymentCreate is a remittance (Art. 7.5).
type PaymentCreate struct {
	Amount     string `json:"amount" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Money as a decimal string"`
	Reference  string `json:"reference" minLength:"1" maxLength:"100" doc:"Unique per account; a repeat returns the first payment"`
	ReceivedOn string `json:"received_on" format:"date"`
}

// LedgerEntry is a recorded charge or payment.
type LedgerEntry struct {
	ID          string    `json:"id" format:"uuid"`
	CustomerID  string    `json:"customer_id" format:"uuid"`
	Amount      string    `json:"amount"`
	Reference   string    `json:"reference"`
	Date        string    `json:"date" doc:"occurred_on for a charge, received_on for a payment"`
	CreatedAt   time.Time `json:"created_at"`
	Replayed    bool      `json:"replayed" doc:"true when this reference was already recorded and nothing new was written"`
	Outstanding string    `json:"outstanding" doc:"What the account owes after this entry"`
}

// Statement is one settlement cycle's bill.
type Statement struct {
	ID          string     `json:"id" format:"uuid"`
	PeriodStart time.Time  `json:"period_start"`
	PeriodEnd   time.Time  `json:"period_end"`
	AmountDue   string     `json:"amount_due"`
	Paid        string     `json:"paid"`
	DueAt       time.Time  `json:"due_at"`
	DueDate     string     `json:"due_date" doc:"due_at in the company time zone"`
	Status      string     `json:"status" enum:"open,paid,overdue"`
	PaidAt      *time.Time `json:"paid_at"`
}

func (s *Server) creditRoutes() {
	huma.Register(s.api, op("get-credit", http.MethodGet, "/v1/customers/{id}/credit", "The credit agreement (Art. 7.7)", "credit"), s.getCredit)
	put := op("put-credit", http.MethodPut, "/v1/customers/{id}/credit", "Set, change or close the credit agreement (Art. 13)", "credit")
	put.Errors = append(put.Errors, 409)
	huma.Register(s.api, put, s.putCredit)
	charge := created(op("create-charge", http.MethodPost, "/v1/customers/{id}/charges", "A purchase on credit (记欠): 409 while suspended, 422 past the limit", "credit"))
	charge.Errors = append(charge.Errors, 409)
	huma.Register(s.api, charge, s.createCharge)
	pay := created(op("create-payment", http.MethodPost, "/v1/customers/{id}/payments", "A remittance (Art. 7.5), applied oldest statement first", "credit"))
	pay.Errors = append(pay.Errors, 409)
	huma.Register(s.api, pay, s.createPayment)
	huma.Register(s.api, op("list-statements", http.MethodGet, "/v1/customers/{id}/statements", "Settlement statements, newest first", "credit"), s.listStatements)
}

func (s *Server) getCredit(ctx context.Context, in *customerID) (*struct{ Body Credit }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	scope, err := s.gateVisible(ctx, id, capReadCredit, creditSections)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetCredit(ctx, scope, id)
	if rerr := s.register(ctx, kam.AccessView, []uuid.UUID{id}, creditSections); rerr != nil {
		return nil, rerr
	}
	if errors.Is(err, kam.ErrNotFound) {
		return nil, problemFor(s.log, kam.Errorf(kam.KindNotFound, "no_credit_agreement", "this account has no credit agreement on file"))
	} else if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Credit }{Body: creditOut(c)}, nil
}

func (s *Server) putCredit(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body CreditPut
}) (*struct{ Body Credit }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	input, err := s.creditInput(in.Body)
	if err != nil {
		return nil, err
	}
	var change store.CreditChange
	c, err := writeAccount(s, ctx, id, capEditCredit, creditSections, creditSections, func(ctx context.Context, scope store.Scope) (kam.CreditAgreement, error) {
		c, ch, err := s.store.PutCredit(ctx, scope, id, input, callerOf(ctx).ID, s.startSettlement(ctx, id))
		change = ch
		return c, err
	})
	if err != nil {
		return nil, err
	}
	if change != store.CreditOpened {
		// The run re-reads its agreement at its next decision point anyway.
		if err := s.procs.AgreementChanged(ctx, id); err != nil {
			s.log.Warn("signal settlement", "customer", id, "error", err)
		}
	}
	s.archiveChanged(ctx, id)
	return &struct{ Body Credit }{Body: creditOut(c)}, nil
}

// creditInput reads a credit agreement: its limit, cycle and agreement date.
func (s *Server) creditInput(b CreditPut) (store.CreditInput, error) {
	limit, err := optMoney("body.arrears_limit", &b.ArrearsLimit)
	if err != nil {
		return store.CreditInput{}, err
	}
	if _, err := store.ParseCycle("settlement_cycle", b.SettlementCycle); err != nil {
		return store.CreditInput{}, problemFor(s.log, err)
	}
	date, err := optDate("body.agreement_date", b.AgreementDate)
	if err != nil {
		return store.CreditInput{}, err
	}
	return store.CreditInput{CreditLevel: b.CreditLevel, ArrearsLimit: *limit, SettlementCycle: b.SettlementCycle,
		PaymentTermDays: b.PaymentTermDays, AgreementRef: b.AgreementRef, AgreementDate: date,
		Close: b.Status != nil && *b.Status == kam.CreditClosed}, nil
}

// startSettlement starts an opened agreement's settlement run inside the
// agreement's transaction: a run that cannot start rolls the opening back.
func (s *Server) startSettlement(ctx context.Context, id uuid.UUID) func() error {
	return func() error {
		if err := s.procs.StartSettlement(ctx, id); err != nil {
			return kam.StartFailed("the settlement process could not be started", err)
		}
		return nil
	}
}

func ledgerOut(customer uuid.UUID, e store.LedgerEntry) LedgerEntry {
	out := e.Outstanding
	if out.IsNegative() {
		out = decimal.Zero
	}
	return LedgerEntry{ID: e.ID.String(), CustomerID: customer.String(), Amount: money(e.Amount), Reference: e.Reference,
		Date: e.On.Format(time.DateOnly), CreatedAt: e.CreatedAt, Replayed: e.Replayed, Outstanding: money(out)}
}

// ledgerInput validates what a charge and a payment share.
func ledgerInput(rawAmount, dateField, rawDate string) (decimal.Decimal, time.Time, error) {
	amount, err := parseMoney("body.amount", rawAmount)
	if err != nil {
		return amount, time.Time{}, err
	}
	if !amount.IsPositive() {
		return amount, time.Time{}, invalidField("body.amount", "amount must be a positive decimal")
	}
	on, err := optDate("body."+dateField, &rawDate)
	if err != nil {
		return amount, time.Time{}, err
	}
	return amount, *on, nil
}

func (s *Server) createCharge(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body ChargeCreate
}) (*struct{ Body LedgerEntry }, error) {
	return s.postLedger(ctx, in.ID, in.Body.Amount, "occurred_on", in.Body.OccurredOn, in.Body.Reference, s.store.Charge)
}

func (s *Server) createPayment(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body PaymentCreate
}) (*struct{ Body LedgerEntry }, error) {
	return s.postLedger(ctx, in.ID, in.Body.Amount, "received_on", in.Body.ReceivedOn, in.Body.Reference, s.store.Pay)
}

type ledgerWrite func(ctx context.Context, scope store.Scope, customerID uuid.UUID, amount decimal.Decimal, reference string, on time.Time, by uuid.UUID) (store.LedgerEntry, error)

// postLedger records a charge or a payment: validate, authorize, write under
// the agreement's lock, register, and tell the settlement run.
func (s *Server) postLedger(ctx context.Context, rawID, rawAmount, dateField, rawDate, reference string, write ledgerWrite) (*struct{ Body LedgerEntry }, error) {
	id, err := parseUUID("path.id", rawID)
	if err != nil {
		return nil, err
	}
	amount, on, err := ledgerInput(rawAmount, dateField, rawDate)
	if err != nil {
		return nil, err
	}
	e, err := writeAccount(s, ctx, id, capLedger, creditSections, creditSections, func(ctx context.Context, scope store.Scope) (store.LedgerEntry, error) {
		return write(ctx, scope, id, amount, reference, on, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	if !e.Replayed {
		s.ledgerChanged(ctx, id)
	}
	return &struct{ Body LedgerEntry }{Body: ledgerOut(id, e)}, nil
}

// ledgerChanged tells the settlement run to re-check (reinstatement, early
// warning). A lost signal only delays that to the run's next decision point.
func (s *Server) ledgerChanged(ctx context.Context, id uuid.UUID) {
	if err := s.procs.LedgerChanged(ctx, id); err != nil {
		s.log.Warn("signal settlement", "customer", id, "error", err)
	}
}

func (s *Server) listStatements(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Statement] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	var before *time.Time
	var end time.Time
	if ok, err := decodeCursor(in.Cursor, "statements", timeKey(&end)); err != nil {
		return nil, err
	} else if ok {
		before = &end
	}
	r := archiveRead{need: capReadCredit, sections: creditSections, action: kam.AccessView}
	page, err := readAccount(s, ctx, id, r, func(ctx context.Context, _ store.Scope) (Page[Statement], error) {
		rows, err := s.store.ListStatements(ctx, id, before, int32(in.Limit+1))
		return pageOf(rows, in.Limit, s.statementOut, statementCursor), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Statement] }{Body: page}, nil
}

func (s *Server) statementOut(st kam.Statement) Statement {
	tz := s.procs.Settings.Timezone
	return Statement{ID: st.ID.String(), PeriodStart: st.PeriodStart, PeriodEnd: st.PeriodEnd, AmountDue: money(st.AmountDue),
		Paid: money(st.Paid), DueAt: st.DueAt, DueDate: st.DueAt.In(tz).Format(time.DateOnly), Status: st.Status, PaidAt: st.PaidAt}
}

func statementCursor(st kam.Statement) string {
	return encodeCursor("statements", timeText(st.PeriodEnd))
}
