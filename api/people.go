package api

import (
	"context"
	"time"

	"github.com/google/uuid"

	"kam"
	"kam/db/store"
)

// ContactCreate is a contact person (Art. 7.2).
type ContactCreate struct {
	Name  string  `json:"name" minLength:"1" maxLength:"200"`
	Title *string `json:"title,omitempty" maxLength:"100"`
	Phone *string `json:"phone,omitempty" maxLength:"50"`
	Email *string `json:"email,omitempty" maxLength:"254"`
}

// Contact is a stored contact person.
type Contact struct {
	ID         string    `json:"id" format:"uuid"`
	CustomerID string    `json:"customer_id" format:"uuid"`
	Name       string    `json:"name"`
	Title      *string   `json:"title"`
	Phone      *string   `json:"phone"`
	Email      *string   `json:"email"`
	CreatedAt  time.Time `json:"created_at"`
}

func contactOut(c kam.Contact) Contact {
	return Contact{ID: c.ID.String(), CustomerID: c.CustomerID.String(), Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email, CreatedAt: c.CreatedAt}
}

// KeyPersonCreate is a key person (Art. 7.3).
type KeyPersonCreate struct {
	Name     string  `json:"name" minLength:"1" maxLength:"200"`
	Role     string  `json:"role" enum:"head,handler,other" doc:"head: the enterprise's head; handler: who handles business (经办人)"`
	Title    *string `json:"title,omitempty" maxLength:"100"`
	Phone    *string `json:"phone,omitempty" maxLength:"50"`
	Email    *string `json:"email,omitempty" maxLength:"254"`
	Birthday *string `json:"birthday,omitempty" format:"date" doc:"For greetings (Art. 19)"`
}

// KeyPerson is a stored key person.
type KeyPerson struct {
	ID         string    `json:"id" format:"uuid"`
	CustomerID string    `json:"customer_id" format:"uuid"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Title      *string   `json:"title"`
	Phone      *string   `json:"phone"`
	Email      *string   `json:"email"`
	Birthday   *string   `json:"birthday"`
	CreatedAt  time.Time `json:"created_at"`
}

func keyPersonOut(k kam.KeyPerson) KeyPerson {
	return KeyPerson{ID: k.ID.String(), CustomerID: k.CustomerID.String(), Name: k.Name, Role: k.Role, Title: k.Title,
		Phone: k.Phone, Email: k.Email, Birthday: dateString(k.Birthday), CreatedAt: k.CreatedAt}
}

// HistoryEntry is one change of an archive.
type HistoryEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	StaffID   *string   `json:"staff_id" format:"uuid"`
	StaffName *string   `json:"staff_name"`
	Field     string    `json:"field"`
	Old       *string   `json:"old"`
	New       *string   `json:"new"`
}

func validEmail(location string, e *string) error {
	if e == nil || *e == "" {
		return nil
	}
	if !emailOK(*e) {
		return invalidField(location, "not an e-mail address")
	}
	return nil
}

func (s *Server) addContact(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid" doc:"Account id"`
	Body ContactCreate
}) (*struct{ Body Contact }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	if err := validEmail("body.email", in.Body.Email); err != nil {
		return nil, err
	}
	c, err := writeAccount(s, ctx, id, capEditArchive, contactSections, contactSections, func(ctx context.Context, scope store.Scope) (kam.Contact, error) {
		return s.store.AddContact(ctx, scope, id, store.ContactInput{Name: in.Body.Name, Title: in.Body.Title, Phone: in.Body.Phone, Email: in.Body.Email}, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	s.archiveChanged(ctx, id)
	return &struct{ Body Contact }{Body: contactOut(c)}, nil
}

// subListInput is a page of one account's contacts or key persons.
type subListInput struct {
	ID     string `path:"id" format:"uuid" doc:"Account id"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"1024"`
}

// createdCursor carries the (created_at, id) a page of contacts or key
// persons ends at.
func createdCursor(list string, at time.Time, id uuid.UUID) string {
	return encodeCursor(list, timeText(at), id.String())
}

func readCreatedCursor(c, list string) (store.PageAfter, error) {
	var at time.Time
	var id uuid.UUID
	if ok, err := decodeCursor(c, list, timeKey(&at), uuidKey(&id)); !ok {
		return store.PageAfter{}, err
	}
	return store.PageAfter{At: &at, ID: &id}, nil
}

func (s *Server) listContacts(ctx context.Context, in *subListInput) (*struct{ Body Page[Contact] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	after, err := readCreatedCursor(in.Cursor, "contacts")
	if err != nil {
		return nil, err
	}
	r := archiveRead{need: capReadArchive, sections: contactSections, action: kam.AccessView, scoped: true}
	page, err := readAccount(s, ctx, id, r, func(ctx context.Context, scope store.Scope) (Page[Contact], error) {
		rows, err := s.store.ListContacts(ctx, scope, id, after, int32(in.Limit+1))
		return pageOf(rows, in.Limit, contactOut, func(c kam.Contact) string { return createdCursor("contacts", c.CreatedAt, c.ID) }), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[Contact] }{Body: page}, nil
}

func (s *Server) addKeyPerson(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid" doc:"Account id"`
	Body KeyPersonCreate
}) (*struct{ Body KeyPerson }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	if err := validEmail("body.email", in.Body.Email); err != nil {
		return nil, err
	}
	birthday, err := optDate("body.birthday", in.Body.Birthday)
	if err != nil {
		return nil, err
	}
	k, err := writeAccount(s, ctx, id, capEditArchive, personSections, personSections, func(ctx context.Context, scope store.Scope) (kam.KeyPerson, error) {
		return s.store.AddKeyPerson(ctx, scope, id, store.KeyPersonInput{Name: in.Body.Name, Role: in.Body.Role, Title: in.Body.Title, Phone: in.Body.Phone, Email: in.Body.Email, Birthday: birthday}, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	s.archiveChanged(ctx, id)
	if k.Birthday != nil {
		s.greetNow(ctx, &id, nil)
	}
	return &struct{ Body KeyPerson }{Body: keyPersonOut(k)}, nil
}

func (s *Server) listKeyPersons(ctx context.Context, in *subListInput) (*struct{ Body Page[KeyPerson] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	after, err := readCreatedCursor(in.Cursor, "key-persons")
	if err != nil {
		return nil, err
	}
	r := archiveRead{need: capReadArchive, sections: personSections, action: kam.AccessView, scoped: true}
	page, err := readAccount(s, ctx, id, r, func(ctx context.Context, scope store.Scope) (Page[KeyPerson], error) {
		rows, err := s.store.ListKeyPersons(ctx, scope, id, after, int32(in.Limit+1))
		return pageOf(rows, in.Limit, keyPersonOut, func(k kam.KeyPerson) string { return createdCursor("key-persons", k.CreatedAt, k.ID) }), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[KeyPerson] }{Body: page}, nil
}

func (s *Server) listHistory(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid" doc:"Account id"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor string `query:"cursor" maxLength:"1024"`
}) (*struct{ Body Page[HistoryEntry] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	after, err := int64Cursor(in.Cursor, "history")
	if err != nil {
		return nil, err
	}
	r := archiveRead{need: capReadArchive, sections: historySections, action: kam.AccessView, scoped: true}
	page, err := readAccount(s, ctx, id, r, func(ctx context.Context, scope store.Scope) (Page[HistoryEntry], error) {
		// Art. 9, 11: credit terms and discounts stay out of the history of a
		// caller who may not see them elsewhere.
		role := callerOf(ctx).Role
		hidden := store.HiddenHistory(can(role, capReadCredit), can(role, capReadGrants))
		rows, err := s.store.ListHistory(ctx, scope, id, hidden, after, int32(in.Limit+1))
		return pageOf(rows, in.Limit, historyOut, historyCursor), err
	})
	if err != nil {
		return nil, err
	}
	return &struct{ Body Page[HistoryEntry] }{Body: page}, nil
}

func historyOut(h kam.HistoryEntry) HistoryEntry {
	return HistoryEntry{ID: h.ID, At: h.At, StaffID: uuidString(h.StaffID), StaffName: h.StaffName, Field: h.Field, Old: h.OldValue, New: h.NewValue}
}

func historyCursor(h kam.HistoryEntry) string { return encodeCursor("history", int64Text(h.ID)) }
