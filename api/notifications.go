package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"kam"
)

// Notification is one entry of a staff member's inbox.
type Notification struct {
	ID         string     `json:"id" format:"uuid"`
	EventKey   string     `json:"event_key"`
	Kind       string     `json:"kind"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`
	CustomerID *string    `json:"customer_id" format:"uuid"`
	CreatedAt  time.Time  `json:"created_at"`
	ReadAt     *time.Time `json:"read_at"`
	Version    int32      `json:"version" doc:"1 when delivered; 2 once read (SPEC §3)"`
}

func notificationOut(n kam.Notification) Notification {
	return Notification{ID: n.ID.String(), EventKey: n.EventKey, Kind: n.Kind, Title: n.Title, Body: n.Body,
		CustomerID: uuidString(n.CustomerID), CreatedAt: n.CreatedAt, ReadAt: n.ReadAt, Version: n.Version}
}

func (s *Server) inboxRoutes() {
	huma.Register(s.api, op("list-notifications", http.MethodGet, "/v1/me/notifications", "My inbox, unread first", "notifications"), s.listNotifications)
	huma.Register(s.api, op("read-notification", http.MethodPost, "/v1/me/notifications/{id}/read", "Mark a notification read", "notifications"), s.readNotification)
}

func (s *Server) listNotifications(ctx context.Context, in *struct {
	Unread bool   `query:"unread" doc:"Only unread ones"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[Notification] }, error) {
	arg := kam.InboxQuery{RecipientID: callerOf(ctx).ID, UnreadOnly: in.Unread, Limit: int32(in.Limit + 1)}
	var read bool
	var at time.Time
	var id uuid.UUID
	if ok, err := decodeCursor(in.Cursor, "notifications", boolKey(&read), timeKey(&at), uuidKey(&id)); err != nil {
		return nil, err
	} else if ok {
		arg.AfterRead, arg.AfterAt, arg.AfterID = &read, &at, &id
	}
	// A notice about an account shows something of it (a credit
	// suspension, a discount decision and its comment, a missed visit):
	// the page is registered as a list of those accounts (Art. 9).
	page, err := readListEach(s, ctx, kam.AccessList, func(ctx context.Context) (Page[Notification], []shownAccount, error) {
		rows, err := s.store.Inbox(ctx, arg)
		if err != nil {
			return Page[Notification]{}, nil, err
		}
		page := pageOf(rows, in.Limit, notificationOut, func(n kam.Notification) string {
			return encodeCursor("notifications", boolText(n.ReadAt != nil), timeText(n.CreatedAt), n.ID.String())
		})
		return page, noticesShown(rows[:len(page.Items)]), nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Notification] }{Body: page}, nil
}

// noticesShown is each account a page of notices is about, with the
// sections their kinds speak of.
func noticesShown(rows []kam.Notification) []shownAccount {
	var shown shownAccounts
	for _, n := range rows {
		if n.CustomerID != nil {
			shown.add(*n.CustomerID, noticeSections(n.Kind))
		}
	}
	return shown.list
}

// noticeSections names what a notice of this kind speaks of, by the
// families of kinds the processes send.
func noticeSections(kind string) []string {
	for _, f := range []struct {
		prefixes []string
		sections []string
	}{
		{[]string{"discount_", "grant_", "filing"}, discountSections},
		{[]string{"credit_", "statement", "payment", "arrears", "dunning", "settlement"}, creditSections},
		{[]string{"ticket"}, ticketSections},
		{[]string{"visit"}, visitSections},
		{[]string{"greeting"}, greetingSections},
		{[]string{"inspection"}, inspectionSections},
	} {
		for _, p := range f.prefixes {
			if strings.HasPrefix(kind, p) {
				return f.sections
			}
		}
	}
	return nil
}

func (s *Server) readNotification(ctx context.Context, in *struct {
	ID string `path:"id" format:"uuid"`
}) (*struct{ Body Notification }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	n, err := s.store.MarkRead(ctx, id, callerOf(ctx).ID)
	if err != nil {
		return nil, problemFor(s.log, err)
	}
	return &struct{ Body Notification }{Body: notificationOut(n)}, nil
}
