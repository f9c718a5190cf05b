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
	Terms            string     `json:"terms" enum:"credit,cash"`
	CreditLevel      string     `json:"credit_level"`
	ArrearsLimit     *string    `json:"arrears_limit" doc:"null on cash terms"`
	SettlementCycle  *string    `json:"settlement_cycle" doc:"null on cash terms"`
	PaymentTermDays  *int32     `json:"payment_term_days" doc:"null on cash terms"`
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
// On credit terms the limit, cycle and payment term are required; on cash
// terms there are none (SPEC §7 "Ledger").
type CreditPut struct {
	Terms           *string `json:"terms,omitempty" enum:"credit,cash" doc:"credit (default): a limit, a settlement cycle and its settlement run; cash: none of them, payments still recorded"`
	CreditLevel     string  `json:"credit_level" minLength:"1" maxLength:"50"`
	ArrearsLimit    *string `json:"arrears_limit,omitempty" nullable:"true" pattern:"^[0-9]{1,12}(\\.[0-9]{1,2})?$" patternDescription:"an amount of at most 999999999999.99" doc:"Money as a decimal string; required on credit terms, absent on cash terms"`
	SettlementCycle *string `json:"settlement_cycle,omitempty" nullable:"true" minLength:"1" maxLength:"100" doc:"Cron spec, descriptor (@monthly) or @every duration; required on credit terms, absent on cash terms"`
	PaymentTermDays *int32  `json:"payment_term_days,omitempty" nullable:"true" minimum:"0" maximum:"366" doc:"Required on credit terms, absent on cash terms"`
	AgreementRef    *string `json:"agreement_reference,omitempty" maxLength:"100"`
	AgreementDate   *string `json:"agreement_date,omitempty" format:"date"`
	Status          *string `json:"status,omitempty" enum:"active,closed" doc:"closed closes the agreement (only with nothing outstanding); active reopens a closed one"`
	// Version is the version a GET answered, accepted so that what was read
	// can be sent back; a PUT sets the whole resource and checks no version.
	Version *int32 `json:"version,omitempty" doc:"Read-only: the version a GET answered, accepted and not checked (this PUT takes no precondition)"`
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
	cr := Credit{CustomerID: c.CustomerID.String(), Terms: c.Terms, CreditLevel: c.CreditLevel, AgreementRef: c.AgreementRef,
		AgreementDate: dateString(c.AgreementDate), Status: c.Status, Outstanding: money(out), CreditBalance: money(balance),
		SuspendedAt: c.SuspendedAt, SuspensionReason: c.SuspensionReason, Version: c.Version, UpdatedAt: c.UpdatedAt}
	if c.Terms != kam.TermsCash {
		limit, cycle, days := money(c.ArrearsLimit), c.SettlementCycle, c.PaymentTermDays
		cr.ArrearsLimit, cr.SettlementCycle, cr.PaymentTermDays = &limit, &cycle, &days
	}
	return cr
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

// ledgerAnswer is a charge or payment as just recorded, in the shape its
// list shows it. A reference recorded before answers its first entry and
// writes nothing; the header says so, as it does for an Idempotency-Key
// replay, so the entry itself stays the one shape.
type ledgerAnswer[T any] struct {
	Replayed string `header:"Idempotent-Replayed" enum:"true" doc:"true when this reference was already recorded and nothing new was written"`
	Body     T
}

// Statement is one settlement cycle's bill.
type Statement struct {
	ID          string     `json:"id" format:"uuid"`
	PeriodStart time.Time  `json:"period_start"`
	PeriodEnd   time.Time  `json:"period_end"`
	AmountDue   string     `json:"amount_due" doc:"What the cycle billed"`
	Reversed    string     `json:"reversed" doc:"What reversals of its charges took off since"`
	Paid        string     `json:"paid"`
	Balance     string     `json:"balance" doc:"What is left to pay: amount_due - reversed - paid"`
	DueAt       time.Time  `json:"due_at"`
	DueDate     string     `json:"due_date" doc:"due_at in the company time zone"`
	Status      string     `json:"status" enum:"open,paid,overdue"`
	PaidAt      *time.Time `json:"paid_at"`
	Version     int32      `json:"version" doc:"1 when the cycle closes; one more with each payment set against it, reversal, or its falling overdue (SPEC §3)"`
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
	s.ledgerRoutes()
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

// creditInput reads a credit agreement: its terms, limit, cycle and
// agreement date.
func (s *Server) creditInput(b CreditPut) (store.CreditInput, error) {
	in := store.CreditInput{Terms: kam.TermsCredit, CreditLevel: b.CreditLevel, AgreementRef: b.AgreementRef,
		Close: b.Status != nil && *b.Status == kam.CreditClosed}
	if b.Terms != nil {
		in.Terms = *b.Terms
	}
	var bad fieldErrors
	complete := bad.add(termsFields(in.Terms, b))
	date, err := optDate("body.agreement_date", b.AgreementDate)
	bad.add(err)
	in.AgreementDate = date
	if in.Terms == kam.TermsCash || !complete {
		return in, bad.err()
	}
	limit, err := optMoney("body.arrears_limit", b.ArrearsLimit)
	bad.add(err)
	if _, err := store.ParseCycle("settlement_cycle", *b.SettlementCycle); err != nil {
		bad.add(problemFor(s.log, err))
	}
	if err := bad.err(); err != nil {
		return in, err
	}
	in.ArrearsLimit, in.SettlementCycle, in.PaymentTermDays = *limit, *b.SettlementCycle, *b.PaymentTermDays
	return in, nil
}

// termsFields holds the body to its terms: credit terms need a limit, a
// cycle and a payment term; cash terms have none (422, each field named).
func termsFields(terms string, b CreditPut) error {
	given := map[string]bool{"arrears_limit": b.ArrearsLimit != nil, "settlement_cycle": b.SettlementCycle != nil, "payment_term_days": b.PaymentTermDays != nil}
	p := invalid("validation_failed", "credit terms need arrears_limit, settlement_cycle and payment_term_days; cash terms have none of them")
	for _, f := range []string{"arrears_limit", "settlement_cycle", "payment_term_days"} {
		switch {
		case terms == kam.TermsCash && given[f]:
			p.addError(FieldError{Location: "body." + f, Message: "cash terms have no " + f})
		case terms != kam.TermsCash && !given[f]:
			p.addError(FieldError{Location: "body." + f, Message: f + " is required on credit terms"})
		}
	}
	if len(p.Errors) > 0 {
		return p
	}
	return nil
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

// ledgerInput validates what a charge and a payment share.
func ledgerInput(rawAmount, dateField, rawDate string) (decimal.Decimal, time.Time, error) {
	var bad fieldErrors
	amount, err := parseMoney("body.amount", rawAmount)
	if bad.add(err) && !amount.IsPositive() {
		bad.field("body.amount", "amount must be a positive decimal")
	}
	on, err := optDate("body."+dateField, &rawDate)
	bad.add(err)
	if err := bad.err(); err != nil {
		return amount, time.Time{}, err
	}
	return amount, *on, nil
}

func (s *Server) createCharge(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body ChargeCreate
}) (*ledgerAnswer[Charge], error) {
	return postLedger(s, ctx, in.ID, in.Body.Amount, "occurred_on", in.Body.OccurredOn, in.Body.Reference, s.store.Charge, chargeOut)
}

func (s *Server) createPayment(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid"`
	Body PaymentCreate
}) (*ledgerAnswer[Payment], error) {
	return postLedger(s, ctx, in.ID, in.Body.Amount, "received_on", in.Body.ReceivedOn, in.Body.Reference, s.store.Pay, paymentOut)
}

type ledgerWrite func(ctx context.Context, scope store.Scope, customerID uuid.UUID, amount decimal.Decimal, reference string, on time.Time, by uuid.UUID) (kam.Posting, error)

// postLedger records a charge or a payment: validate, authorize, write under
// the agreement's lock, register, and tell the settlement run.
func postLedger[T any](s *Server, ctx context.Context, rawID, rawAmount, dateField, rawDate, reference string, write ledgerWrite, conv func(kam.LedgerEntry) T) (*ledgerAnswer[T], error) {
	id, err := parseUUID("path.id", rawID)
	if err != nil {
		return nil, err
	}
	amount, on, err := ledgerInput(rawAmount, dateField, rawDate)
	if err != nil {
		return nil, err
	}
	e, err := writeAccount(s, ctx, id, capLedger, creditSections, creditSections, func(ctx context.Context, scope store.Scope) (kam.Posting, error) {
		return write(ctx, scope, id, amount, reference, on, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	out := &ledgerAnswer[T]{Body: conv(e.LedgerEntry)}
	if e.Replayed {
		out.Replayed = "true"
	} else {
		s.ledgerChanged(ctx, id)
	}
	return out, nil
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
		Reversed: money(st.Reversed), Paid: money(st.Paid), Balance: money(st.Balance()), DueAt: st.DueAt, DueDate: st.DueAt.In(tz).Format(time.DateOnly), Status: st.Status, PaidAt: st.PaidAt, Version: st.Version}
}

func statementCursor(st kam.Statement) string {
	return encodeCursor("statements", timeText(st.PeriodEnd))
}
