package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// The ledger's views and corrections (SPEC §7 "Ledger", Art. 7.5, 10, 13):
// an account's charges and payments, their reversals, and the arrears
// overview across accounts.

// Charge is a purchase on credit as recorded, or the reversal of one.
type Charge struct {
	ID          string    `json:"id" format:"uuid"`
	CustomerID  string    `json:"customer_id" format:"uuid"`
	Amount      string    `json:"amount" doc:"Negative for a reversal"`
	Reference   string    `json:"reference" doc:"A reversal keeps its original's reference"`
	OccurredOn  string    `json:"occurred_on" format:"date"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   *string   `json:"created_by" format:"uuid"`
	StatementID *string   `json:"statement_id" format:"uuid" doc:"The statement it is billed on; null until its cycle closes"`
	ReversalOf  *string   `json:"reversal_of" format:"uuid" doc:"The charge this one reverses"`
	ReversedBy  *string   `json:"reversed_by" format:"uuid" doc:"The reversal of this charge, once reversed"`
	Reason      *string   `json:"reason" doc:"Why the reversal was made"`
	Version     int32     `json:"version" doc:"1 when recorded; one more when its cycle bills it and when it is reversed (SPEC §3)"`
}

// Payment is a remittance as recorded (Art. 7.5), or the reversal of one.
type Payment struct {
	ID         string    `json:"id" format:"uuid"`
	CustomerID string    `json:"customer_id" format:"uuid"`
	Amount     string    `json:"amount" doc:"Negative for a reversal"`
	Reference  string    `json:"reference" doc:"A reversal keeps its original's reference"`
	ReceivedOn string    `json:"received_on" format:"date"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  *string   `json:"created_by" format:"uuid"`
	ReversalOf *string   `json:"reversal_of" format:"uuid" doc:"The payment this one reverses"`
	ReversedBy *string   `json:"reversed_by" format:"uuid" doc:"The reversal of this payment, once reversed"`
	Reason     *string   `json:"reason" doc:"Why the reversal was made"`
	Version    int32     `json:"version" doc:"1 when recorded; 2 once reversed (SPEC §3)"`
}

// ReversalCreate says why an entry is reversed.
type ReversalCreate struct {
	Reason string `json:"reason" minLength:"1" maxLength:"500" doc:"Why the entry is corrected; kept with the correcting entry"`
}

// ArrearsLine is one account in the arrears overview.
type ArrearsLine struct {
	CustomerID        string     `json:"customer_id" format:"uuid"`
	CustomerCode      string     `json:"customer_code"`
	CustomerName      string     `json:"customer_name"`
	Tier              string     `json:"tier"`
	AccountManagerID  *string    `json:"account_manager_id" format:"uuid"`
	Terms             string     `json:"terms" enum:"credit,cash"`
	Status            string     `json:"status" enum:"active,suspended,closed" doc:"The credit status"`
	CreditLevel       string     `json:"credit_level"`
	ArrearsLimit      *string    `json:"arrears_limit" doc:"null on cash terms"`
	Outstanding       string     `json:"outstanding" doc:"Charges less payments, never below zero"`
	CreditBalance     string     `json:"credit_balance" doc:"Paid ahead or overpaid"`
	Unbilled          string     `json:"unbilled" doc:"Charged, not yet on a statement"`
	OverdueAmount     string     `json:"overdue_amount" doc:"Left to pay on statements past their due time"`
	OverdueStatements int32      `json:"overdue_statements"`
	OldestDueAt       *time.Time `json:"oldest_due_at" doc:"Due time of the oldest overdue statement"`
	OldestDueDate     *string    `json:"oldest_due_date" format:"date" doc:"oldest_due_at in the company time zone"`
	DaysOverdue       *int       `json:"days_overdue" doc:"Calendar days in the company time zone since oldest_due_date"`
	SuspendedAt       *time.Time `json:"suspended_at"`
}

func (s *Server) ledgerRoutes() {
	huma.Register(s.api, op("list-charges", http.MethodGet, "/v1/customers/{id}/charges", "Charges and their reversals, newest first", "credit"), s.listCharges)
	huma.Register(s.api, op("list-payments", http.MethodGet, "/v1/customers/{id}/payments", "Payments and their reversals, newest first (Art. 7.5)", "credit"), s.listPayments)
	rc := created(op("reverse-charge", http.MethodPost, "/v1/customers/{id}/charges/{charge_id}/reversal",
		"Reverse a charge with a correcting entry (finance); 409 already_reversed the second time", "credit"))
	rc.Errors = append(rc.Errors, 409)
	huma.Register(s.api, rc, s.reverseCharge)
	rp := created(op("reverse-payment", http.MethodPost, "/v1/customers/{id}/payments/{payment_id}/reversal",
		"Reverse a payment with a correcting entry (finance); 409 already_reversed the second time", "credit"))
	rp.Errors = append(rp.Errors, 409)
	huma.Register(s.api, rp, s.reversePayment)
	huma.Register(s.api, op("list-arrears", http.MethodGet, "/v1/credit", "Arrears across accounts, by account code (Art. 10, 13)", "credit"), s.listArrears)
}

type ledgerList struct {
	ID     string `path:"id" format:"uuid"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}

// ledgerPage reads a list's path and cursor into a store page.
func ledgerPage(in *ledgerList, list string) (store.LedgerPage, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return store.LedgerPage{}, err
	}
	at, after, err := keyIDCursor(in.Cursor, list, timeKey)
	return store.LedgerPage{CustomerID: id, BeforeAt: at, BeforeID: after, Limit: int32(in.Limit + 1)}, err
}

// readLedger is a registered read of an account's credit section.
func readLedger[T any](s *Server, ctx context.Context, p store.LedgerPage, limit int, list func(context.Context, store.LedgerPage) ([]kam.LedgerEntry, error),
	conv func(kam.LedgerEntry) T, cursor string) (*struct{ Body Page[T] }, error) {
	r := archiveRead{need: capReadCredit, sections: creditSections, action: kam.AccessView}
	page, err := readAccount(s, ctx, p.CustomerID, r, func(ctx context.Context, _ store.Scope) (Page[T], error) {
		rows, err := list(ctx, p)
		return pageOf(rows, limit, conv, func(e kam.LedgerEntry) string { return encodeCursor(cursor, timeText(e.CreatedAt), e.ID.String()) }), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[T] }{Body: page}, nil
}

func (s *Server) listCharges(ctx context.Context, in *ledgerList) (*struct{ Body Page[Charge] }, error) {
	p, err := ledgerPage(in, "charges")
	if err != nil {
		return nil, err
	}
	return readLedger(s, ctx, p, in.Limit, s.store.ListCharges, chargeOut, "charges")
}

func (s *Server) listPayments(ctx context.Context, in *ledgerList) (*struct{ Body Page[Payment] }, error) {
	p, err := ledgerPage(in, "payments")
	if err != nil {
		return nil, err
	}
	return readLedger(s, ctx, p, in.Limit, s.store.ListPayments, paymentOut, "payments")
}

func chargeOut(e kam.LedgerEntry) Charge {
	return Charge{ID: e.ID.String(), CustomerID: e.CustomerID.String(), Amount: money(e.Amount), Reference: e.Reference,
		OccurredOn: dateText(e.On), CreatedAt: e.CreatedAt, CreatedBy: uuidString(e.CreatedBy), StatementID: uuidString(e.StatementID),
		ReversalOf: uuidString(e.ReversalOf), ReversedBy: uuidString(e.ReversedBy), Reason: e.Reason, Version: e.Version}
}

func paymentOut(e kam.LedgerEntry) Payment {
	return Payment{ID: e.ID.String(), CustomerID: e.CustomerID.String(), Amount: money(e.Amount), Reference: e.Reference,
		ReceivedOn: dateText(e.On), CreatedAt: e.CreatedAt, CreatedBy: uuidString(e.CreatedBy),
		ReversalOf: uuidString(e.ReversalOf), ReversedBy: uuidString(e.ReversedBy), Reason: e.Reason, Version: e.Version}
}

type ledgerReversal func(ctx context.Context, scope store.Scope, r store.Reversal) (kam.Posting, error)

func (s *Server) reverseCharge(ctx context.Context, in *struct {
	ID       string `path:"id" format:"uuid"`
	ChargeID string `path:"charge_id" format:"uuid"`
	Body     ReversalCreate
}) (*struct{ Body Charge }, error) {
	return reverse(s, ctx, in.ID, "path.charge_id", in.ChargeID, in.Body.Reason, s.store.ReverseCharge, chargeOut)
}

func (s *Server) reversePayment(ctx context.Context, in *struct {
	ID        string `path:"id" format:"uuid"`
	PaymentID string `path:"payment_id" format:"uuid"`
	Body      ReversalCreate
}) (*struct{ Body Payment }, error) {
	return reverse(s, ctx, in.ID, "path.payment_id", in.PaymentID, in.Body.Reason, s.store.ReversePayment, paymentOut)
}

// reverse records a correcting entry (finance only) in the agreement's
// transaction with its register entry, then tells the settlement run, which
// re-reads the ledger: statements, suspension and reinstatement follow the
// corrected ledger (Art. 13). An entry not of this account is 404.
func reverse[T any](s *Server, ctx context.Context, rawID, entryField, rawEntry, reason string, write ledgerReversal, conv func(kam.LedgerEntry) T) (*struct{ Body T }, error) {
	var bad fieldErrors
	id, err := parseUUID("path.id", rawID)
	bad.add(err)
	entry, err := parseUUID(entryField, rawEntry)
	bad.add(err)
	if reason = strings.TrimSpace(reason); reason == "" {
		bad.field("body.reason", "a reversal needs its reason")
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	e, err := writeAccount(s, ctx, id, capReverseLedger, creditSections, creditSections, func(ctx context.Context, scope store.Scope) (kam.Posting, error) {
		return write(ctx, scope, store.Reversal{CustomerID: id, EntryID: entry, Reason: reason, By: callerOf(ctx).ID})
	})
	if err != nil {
		return nil, err
	}
	s.ledgerChanged(ctx, id)
	return &struct{ Body T }{Body: conv(e.LedgerEntry)}, nil
}

func (s *Server) listArrears(ctx context.Context, in *struct {
	Status  string `query:"status" enum:"active,suspended,closed" doc:"Only agreements of this credit status"`
	Terms   string `query:"terms" enum:"credit,cash"`
	Overdue bool   `query:"overdue" doc:"Only accounts with a statement unpaid past its due time"`
	Manager string `query:"account_manager_id" format:"uuid" doc:"Only this account manager's accounts"`
	Limit   int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor  string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[ArrearsLine] }, error) {
	f, err := arrearsFilter(in.Status, in.Terms, in.Overdue, in.Manager, in.Cursor, in.Limit)
	if err != nil {
		return nil, err
	}
	r := archiveRead{need: capReadArrears, sections: creditSections, action: kam.AccessList,
		refusal: "the arrears overview is for finance, the KA Department, the General Manager and inspection"}
	page, err := readList(s, ctx, r, func(ctx context.Context, scope store.Scope) (Page[ArrearsLine], []uuid.UUID, error) {
		rows, err := s.store.Arrears(ctx, scope, f)
		p := pageOf(rows, in.Limit, s.arrearsOut, func(a kam.Arrears) string {
			return encodeCursor("credit", a.CustomerCode, a.Agreement.CustomerID.String())
		})
		return p, accountsOf(rows[:len(p.Items)], func(a kam.Arrears) uuid.UUID { return a.Agreement.CustomerID }), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[ArrearsLine] }{Body: page}, nil
}

// arrearsFilter reads the overview's query: its filters and where its page
// resumes.
func arrearsFilter(status, terms string, overdue bool, manager, cursor string, limit int) (store.ArrearsFilter, error) {
	m, err := optUUID("query.account_manager_id", &manager)
	if err != nil {
		return store.ArrearsFilter{}, err
	}
	f := store.ArrearsFilter{Status: nonEmpty(status), Terms: nonEmpty(terms), OverdueOnly: overdue, AccountManagerID: m, Limit: int32(limit + 1)}
	var code string
	var after uuid.UUID
	ok, err := decodeCursor(cursor, "credit", textKey(&code), uuidKey(&after))
	if ok {
		f.AfterCode, f.AfterID = &code, &after
	}
	return f, err
}

func (s *Server) arrearsOut(a kam.Arrears) ArrearsLine {
	c := creditOut(a.Agreement)
	l := ArrearsLine{CustomerID: c.CustomerID, CustomerCode: a.CustomerCode, CustomerName: a.CustomerName, Tier: a.Tier,
		AccountManagerID: uuidString(a.AccountManagerID), Terms: c.Terms, Status: c.Status, CreditLevel: c.CreditLevel,
		ArrearsLimit: c.ArrearsLimit, Outstanding: c.Outstanding, CreditBalance: c.CreditBalance, Unbilled: money(a.Unbilled),
		OverdueAmount: money(a.OverdueAmount), OverdueStatements: a.OverdueStatements, OldestDueAt: a.OldestDueAt, SuspendedAt: c.SuspendedAt}
	if a.OldestDueAt != nil {
		tz := s.procs.Settings.Timezone
		due := a.OldestDueAt.In(tz)
		date := due.Format(time.DateOnly)
		days := daysBetween(due, time.Now().In(tz))
		l.OldestDueDate, l.DaysOverdue = &date, &days
	}
	return l
}

// daysBetween counts calendar days from one date to another, both read in
// their own location.
func daysBetween(from, to time.Time) int {
	a := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	b := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}
