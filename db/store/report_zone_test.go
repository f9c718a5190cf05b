package store_test

import (
	"context"
	"testing"
	"time"

	"kam"
	"kam/db"
	"kam/db/store"
)

// A report's days are the company's (KAM_TIMEZONE): a ticket opened at 16:23
// in Los Angeles on 1 December (00:23 UTC on the 2nd) counts on 1 December,
// not on a day that has not begun there. Before, every connection took the
// server's zone (UTC) and the ticket counted on the 2nd.
func TestReportsCountTheCompanysDay(t *testing.T) {
	ctx := context.Background()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	p, err := db.Connect(ctx, pool.Config().ConnString(), db.InZone(la))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := store.New(p)
	s.SetZone(la)
	mgr := newManager(t)
	c := newCustomer(t, mgr, &mgr)
	tk, err := s.CreateTicket(ctx, store.Scope{}, store.TicketInput{CustomerID: c, Kind: "inquiry", Subject: "late", Body: "b", OpenedBy: mgr},
		func(kam.Ticket, kam.Tier) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Date(2026, 12, 2, 0, 23, 0, 0, time.UTC)
	if _, err := p.Exec(ctx, "UPDATE tickets SET created_at = $2 WHERE id = $1", tk.ID, opened); err != nil {
		t.Fatal(err)
	}
	tickets := func(day string) int32 {
		d, _ := time.Parse(time.DateOnly, day)
		rows, err := s.StaffReport(ctx, store.ReportPeriod{ManagerID: &mgr, From: d, To: d})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.ID == mgr {
				return r.Tickets
			}
		}
		t.Fatalf("no row for the manager on %s", day)
		return 0
	}
	if got, next := tickets("2026-12-01"), tickets("2026-12-02"); got != 1 || next != 0 {
		t.Fatalf("tickets on 1 December (Los Angeles) = %d, on the 2nd = %d; want 1 and 0", got, next)
	}
}
