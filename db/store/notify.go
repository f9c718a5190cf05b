package store

import (
	"context"

	"github.com/google/uuid"

	"kam/db/dbq"
)

// Notification is one inbox entry to deliver.
type Notification struct {
	EventKey    string
	Kind        string
	Title, Body string
	CustomerID  *uuid.UUID
}

// Deliver writes n into each recipient's inbox once: a retried delivery of
// the same event key writes nothing new. It returns how many entries are new.
func (s *Store) Deliver(ctx context.Context, recipients []uuid.UUID, n Notification) (int64, error) {
	var created int64
	err := s.inTx(ctx, func(q *dbq.Queries) error {
		for _, r := range recipients {
			k, err := q.InsertNotification(ctx, dbq.InsertNotificationParams{
				ID: NewID(), RecipientID: r, EventKey: n.EventKey, Kind: n.Kind,
				Title: n.Title, Body: n.Body, CustomerID: n.CustomerID,
			})
			if err != nil {
				return err
			}
			created += k
		}
		return nil
	})
	return created, err
}

// Recipients resolves roles and explicit staff into a de-duplicated list.
func (s *Store) Recipients(ctx context.Context, roles []string, staff []uuid.UUID) ([]uuid.UUID, error) {
	seen := map[uuid.UUID]bool{}
	out := []uuid.UUID{}
	add := func(id uuid.UUID) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, role := range roles {
		rows, err := s.q.ActiveStaffByRole(ctx, role)
		if err != nil {
			return nil, interpret(err)
		}
		for _, r := range rows {
			add(r.ID)
		}
	}
	for _, id := range staff {
		add(id)
	}
	return out, nil
}
