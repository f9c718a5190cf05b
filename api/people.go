package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

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
	Version    int32     `json:"version" doc:"Send it back in If-Match to change or remove the contact"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func contactOut(c kam.Contact) Contact {
	return Contact{ID: c.ID.String(), CustomerID: c.CustomerID.String(), Name: c.Name, Title: c.Title, Phone: c.Phone, Email: c.Email,
		Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
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
	Version    int32     `json:"version" doc:"Send it back in If-Match to change or remove the key person"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func keyPersonOut(k kam.KeyPerson) KeyPerson {
	return KeyPerson{ID: k.ID.String(), CustomerID: k.CustomerID.String(), Name: k.Name, Role: k.Role, Title: k.Title,
		Phone: k.Phone, Email: k.Email, Birthday: dateString(k.Birthday), Version: k.Version, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt}
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
	var bad fieldErrors
	bad.add(validEmail("body.email", in.Body.Email))
	birthday, err := optDate("body.birthday", in.Body.Birthday)
	bad.add(err)
	if err := bad.err(); err != nil {
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

// Archive upkeep (Art. 7.2): contacts and key persons are changed and
// removed with the capability and sections that add them; every change is
// in the account's history, in the change's own transaction with its
// register entry (writeAccount).

// ContactPatch changes a contact person; absent fields stay as they are, and
// "" or null clears an optional one.
type ContactPatch struct {
	Name  *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Title *string `json:"title,omitempty" maxLength:"100"`
	Phone *string `json:"phone,omitempty" maxLength:"50"`
	Email *string `json:"email,omitempty" maxLength:"254"`
}

// KeyPersonPatch changes a key person like ContactPatch.
type KeyPersonPatch struct {
	Name     *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
	Role     *string `json:"role,omitempty" enum:"head,handler,other"`
	Title    *string `json:"title,omitempty" maxLength:"100"`
	Phone    *string `json:"phone,omitempty" maxLength:"50"`
	Email    *string `json:"email,omitempty" maxLength:"254"`
	Birthday *string `json:"birthday,omitempty" format:"date" doc:"null clears it; open greeting tasks for the old day are cancelled (Art. 19)"`
}

type contactOutput struct {
	ETag string `header:"ETag"`
	Body Contact
}

type keyPersonOutput struct {
	ETag string `header:"ETag"`
	Body KeyPerson
}

// ContactPath names one contact of an account, KeyPersonPath one key person
// (exported: huma fills the parameters of an embedded struct only then).
type ContactPath struct {
	ID        string `path:"id" format:"uuid" doc:"Account id"`
	ContactID string `path:"contact_id" format:"uuid"`
	IfMatch   string `header:"If-Match" doc:"The version you read (ETag); a stale one gets 412"`
}

type KeyPersonPath struct {
	ID          string `path:"id" format:"uuid" doc:"Account id"`
	KeyPersonID string `path:"key_person_id" format:"uuid"`
	IfMatch     string `header:"If-Match" doc:"The version you read (ETag); a stale one gets 412"`
}

// personIDs parses an account's and one of its people's ids and If-Match.
func personIDs(account, param, person, rawIfMatch string) (uuid.UUID, uuid.UUID, *int32, error) {
	a, err := parseUUID("path.id", account)
	if err != nil {
		return a, uuid.Nil, nil, err
	}
	p, err := parseUUID("path."+param, person)
	if err != nil {
		return a, p, nil, err
	}
	ifMatch, err := parseIfMatch(rawIfMatch)
	return a, p, ifMatch, err
}

func (s *Server) upkeepRoutes() {
	upkeep := func(id, method, path, summary string) huma.Operation {
		o := op(id, method, path, summary, "archive")
		o.Errors = append(o.Errors, 412)
		if method == http.MethodDelete {
			o.DefaultStatus = http.StatusNoContent
		}
		return o
	}
	huma.Register(s.api, upkeep("update-contact", http.MethodPatch, "/v1/customers/{id}/contacts/{contact_id}", "Change a contact person (Art. 7.2)"), s.updateContact)
	huma.Register(s.api, upkeep("remove-contact", http.MethodDelete, "/v1/customers/{id}/contacts/{contact_id}", "Remove a contact person (Art. 7.2)"), s.removeContact)
	huma.Register(s.api, upkeep("update-key-person", http.MethodPatch, "/v1/customers/{id}/key-persons/{key_person_id}", "Change a key person (Art. 7.3)"), s.updateKeyPerson)
	huma.Register(s.api, upkeep("remove-key-person", http.MethodDelete, "/v1/customers/{id}/key-persons/{key_person_id}", "Remove a key person; they are greeted no more (Art. 7.3, 19)"), s.removeKeyPerson)
}

func (s *Server) updateContact(ctx context.Context, in *struct {
	ContactPath
	Body    ContactPatch
	RawBody []byte
}) (*contactOutput, error) {
	id, cid, ifMatch, err := personIDs(in.ID, "contact_id", in.ContactID, in.IfMatch)
	if err != nil {
		return nil, err
	}
	b := &in.Body
	var bad fieldErrors
	bad.add(clearNulls(in.RawBody, map[string]**string{"title": &b.Title, "phone": &b.Phone, "email": &b.Email}, nil))
	bad.add(validEmail("body.email", b.Email))
	if err := bad.err(); err != nil {
		return nil, err
	}
	c, err := writeAccount(s, ctx, id, capEditArchive, contactSections, contactSections, func(ctx context.Context, scope store.Scope) (kam.Contact, error) {
		return s.store.UpdateContact(ctx, scope, id, cid, ifMatch, store.ContactPatch{Name: b.Name, Title: b.Title, Phone: b.Phone, Email: b.Email}, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	s.archiveChanged(ctx, id)
	return &contactOutput{ETag: etag(c.Version), Body: contactOut(c)}, nil
}

func (s *Server) removeContact(ctx context.Context, in *ContactPath) (*struct{}, error) {
	id, cid, ifMatch, err := personIDs(in.ID, "contact_id", in.ContactID, in.IfMatch)
	if err != nil {
		return nil, err
	}
	if _, err := writeAccount(s, ctx, id, capEditArchive, contactSections, contactSections, func(ctx context.Context, scope store.Scope) (struct{}, error) {
		return struct{}{}, s.store.RemoveContact(ctx, scope, id, cid, ifMatch, callerOf(ctx).ID)
	}); err != nil {
		return nil, err
	}
	// The last contact gone, the archive is incomplete again (Art. 7.1).
	s.archiveChanged(ctx, id)
	return nil, nil
}

func (s *Server) updateKeyPerson(ctx context.Context, in *struct {
	KeyPersonPath
	Body    KeyPersonPatch
	RawBody []byte
}) (*keyPersonOutput, error) {
	id, kid, ifMatch, err := personIDs(in.ID, "key_person_id", in.KeyPersonID, in.IfMatch)
	if err != nil {
		return nil, err
	}
	p, err := keyPersonPatchOf(in.RawBody, &in.Body)
	if err != nil {
		return nil, err
	}
	k, err := writeAccount(s, ctx, id, capEditArchive, personSections, personSections, func(ctx context.Context, scope store.Scope) (kam.KeyPerson, error) {
		return s.store.UpdateKeyPerson(ctx, scope, id, kid, ifMatch, p, callerOf(ctx).ID)
	})
	if err != nil {
		return nil, err
	}
	s.archiveChanged(ctx, id)
	if p.Birthday != nil {
		s.greetNow(ctx, &id, nil) // the new birthday's task, if it falls within the lead
	}
	return &keyPersonOutput{ETag: etag(k.Version), Body: keyPersonOut(k)}, nil
}

// keyPersonPatchOf validates a key person's PATCH and turns it into the
// store's patch; an explicit null clears an optional field.
func keyPersonPatchOf(raw []byte, b *KeyPersonPatch) (store.KeyPersonPatch, error) {
	var p store.KeyPersonPatch
	var bad fieldErrors
	bad.add(clearNulls(raw, map[string]**string{"title": &b.Title, "phone": &b.Phone, "email": &b.Email}, map[string]*bool{"birthday": &p.ClearBirthday}))
	bad.add(validEmail("body.email", b.Email))
	birthday, err := optDate("body.birthday", b.Birthday)
	bad.add(err)
	if err := bad.err(); err != nil {
		return p, err
	}
	if b.Birthday != nil && *b.Birthday == "" {
		p.ClearBirthday = true
	}
	p.Name, p.Role, p.Title, p.Phone, p.Email, p.Birthday = b.Name, b.Role, b.Title, b.Phone, b.Email, birthday
	return p, nil
}

func (s *Server) removeKeyPerson(ctx context.Context, in *KeyPersonPath) (*struct{}, error) {
	id, kid, ifMatch, err := personIDs(in.ID, "key_person_id", in.KeyPersonID, in.IfMatch)
	if err != nil {
		return nil, err
	}
	// The store cancels the person's open greeting tasks in the same
	// transaction (Art. 19).
	if _, err := writeAccount(s, ctx, id, capEditArchive, personSections, personSections, func(ctx context.Context, scope store.Scope) (struct{}, error) {
		return struct{}{}, s.store.RemoveKeyPerson(ctx, scope, id, kid, ifMatch, callerOf(ctx).ID)
	}); err != nil {
		return nil, err
	}
	// Without its head or handler the archive is incomplete again (Art. 7.3).
	s.archiveChanged(ctx, id)
	return nil, nil
}

// clearNulls reads a PATCH body's explicit nulls (JSON merge patch): an
// optional text field set to null is cleared like "", a flag field set to
// null raises its flag, and any other field may not be null.
func clearNulls(raw []byte, text map[string]**string, flags map[string]*bool) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil // huma has already refused a body that is not an object
	}
	empty := ""
	var bad fieldErrors
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if string(fields[name]) != "null" {
			continue
		}
		if dst, ok := text[name]; ok {
			*dst = &empty
		} else if flag, ok := flags[name]; ok {
			*flag = true
		} else {
			bad.field("body."+name, name+" may not be null")
		}
	}
	return bad.err()
}

// hasKey tells whether a JSON object body names key at all, null included.
func hasKey(raw []byte, key string) bool {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return false
	}
	_, ok := fields[key]
	return ok
}
