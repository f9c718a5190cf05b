package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"kam/db/dbq"
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

func contactOut(c dbq.CustomerContact) Contact {
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

func keyPersonOut(k dbq.KeyPerson) KeyPerson {
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

// Credit is an account's credit grade (Art. 7.7).
type Credit struct {
	CustomerID      string    `json:"customer_id" format:"uuid"`
	CreditLevel     string    `json:"credit_level"`
	ArrearsLimit    string    `json:"arrears_limit"`
	SettlementCycle string    `json:"settlement_cycle"`
	PaymentTermDays int32     `json:"payment_term_days"`
	Status          string    `json:"status" enum:"active,suspended,closed"`
	Outstanding     string    `json:"outstanding"`
	Version         int32     `json:"version"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// CreditPut sets the credit grade.
type CreditPut struct {
	CreditLevel     string `json:"credit_level" minLength:"1" maxLength:"50"`
	ArrearsLimit    string `json:"arrears_limit" pattern:"^[0-9]{1,16}(\\.[0-9]{1,2})?$" doc:"Money as a decimal string"`
	SettlementCycle string `json:"settlement_cycle" minLength:"1" maxLength:"100" doc:"Cron spec, descriptor (@monthly) or @every duration"`
	PaymentTermDays int32  `json:"payment_term_days" minimum:"0" maximum:"366"`
}

func creditOut(c dbq.CreditAgreement) Credit {
	return Credit{CustomerID: c.CustomerID.String(), CreditLevel: c.CreditLevel, ArrearsLimit: money(c.ArrearsLimit),
		SettlementCycle: c.SettlementCycle, PaymentTermDays: c.PaymentTermDays, Status: c.Status,
		Outstanding: "0.00", Version: c.Version, UpdatedAt: c.UpdatedAt}
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
	scope, err := s.gateAccount(ctx, id, capEditArchive, contactSections)
	if err != nil {
		return nil, err
	}
	c, err := s.store.AddContact(ctx, scope, id, store.ContactInput{Name: in.Body.Name, Title: in.Body.Title, Phone: in.Body.Phone, Email: in.Body.Email}, callerOf(ctx).ID)
	if err != nil {
		return nil, s.archiveErr(ctx, id, contactSections, err)
	}
	if err := s.register(ctx, store.AccessUpdate, []uuid.UUID{id}, contactSections); err != nil {
		return nil, err
	}
	s.archiveChanged(ctx, id)
	return &struct{ Body Contact }{Body: contactOut(c)}, nil
}

func (s *Server) listContacts(ctx context.Context, in *customerID) (*struct{ Body Page[Contact] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	scope, err := s.gateAccount(ctx, id, capReadArchive, contactSections)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListContacts(ctx, scope, id)
	if err != nil {
		return nil, s.archiveErr(ctx, id, contactSections, err)
	}
	if err := s.register(ctx, store.AccessView, []uuid.UUID{id}, contactSections); err != nil {
		return nil, err
	}
	out := Page[Contact]{Items: make([]Contact, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, contactOut(r))
	}
	return &struct{ Body Page[Contact] }{Body: out}, nil
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
	scope, err := s.gateAccount(ctx, id, capEditArchive, personSections)
	if err != nil {
		return nil, err
	}
	k, err := s.store.AddKeyPerson(ctx, scope, id, store.KeyPersonInput{Name: in.Body.Name, Role: in.Body.Role, Title: in.Body.Title, Phone: in.Body.Phone, Email: in.Body.Email, Birthday: birthday}, callerOf(ctx).ID)
	if err != nil {
		return nil, s.archiveErr(ctx, id, personSections, err)
	}
	if err := s.register(ctx, store.AccessUpdate, []uuid.UUID{id}, personSections); err != nil {
		return nil, err
	}
	s.archiveChanged(ctx, id)
	return &struct{ Body KeyPerson }{Body: keyPersonOut(k)}, nil
}

func (s *Server) listKeyPersons(ctx context.Context, in *customerID) (*struct{ Body Page[KeyPerson] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	scope, err := s.gateAccount(ctx, id, capReadArchive, personSections)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListKeyPersons(ctx, scope, id)
	if err != nil {
		return nil, s.archiveErr(ctx, id, personSections, err)
	}
	if err := s.register(ctx, store.AccessView, []uuid.UUID{id}, personSections); err != nil {
		return nil, err
	}
	out := Page[KeyPerson]{Items: make([]KeyPerson, 0, len(rows))}
	for _, r := range rows {
		out.Items = append(out.Items, keyPersonOut(r))
	}
	return &struct{ Body Page[KeyPerson] }{Body: out}, nil
}

func (s *Server) listHistory(ctx context.Context, in *struct {
	ID     string `path:"id" format:"uuid" doc:"Account id"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Cursor string `query:"cursor" maxLength:"200"`
}) (*struct{ Body Page[HistoryEntry] }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	after, err := int64Cursor(in.Cursor)
	if err != nil {
		return nil, err
	}
	scope, err := s.gateAccount(ctx, id, capReadArchive, historySections)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ListHistory(ctx, scope, id, after, int32(in.Limit+1))
	if err != nil {
		return nil, s.archiveErr(ctx, id, historySections, err)
	}
	if err := s.register(ctx, store.AccessView, []uuid.UUID{id}, historySections); err != nil {
		return nil, err
	}
	page := pageOf(rows, in.Limit, func(h dbq.ListHistoryRow) HistoryEntry {
		return HistoryEntry{ID: h.ID, At: h.At, StaffID: uuidString(h.StaffID), StaffName: h.StaffName, Field: h.Field, Old: h.OldValue, New: h.NewValue}
	}, func(h dbq.ListHistoryRow) string { return encodeCursor(strconv.FormatInt(h.ID, 10)) })
	return &struct{ Body Page[HistoryEntry] }{Body: page}, nil
}

func (s *Server) getCredit(ctx context.Context, in *customerID) (*struct{ Body Credit }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	scope, err := s.gateAccount(ctx, id, capReadCredit, creditSections)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetCredit(ctx, scope, id)
	if err != nil {
		if err == store.ErrNotFound {
			// The account is visible; it simply has no credit grade yet.
			if _, aerr := s.store.GetArchive(ctx, scope, id); aerr == nil {
				if rerr := s.register(ctx, store.AccessView, []uuid.UUID{id}, creditSections); rerr != nil {
					return nil, rerr
				}
				return nil, newProblem(http.StatusNotFound, "no_credit_agreement", "this account has no credit grade on file")
			}
		}
		return nil, s.archiveErr(ctx, id, creditSections, err)
	}
	if err := s.register(ctx, store.AccessView, []uuid.UUID{id}, creditSections); err != nil {
		return nil, err
	}
	return &struct{ Body Credit }{Body: creditOut(c)}, nil
}

func (s *Server) putCredit(ctx context.Context, in *struct {
	ID   string `path:"id" format:"uuid" doc:"Account id"`
	Body CreditPut
}) (*struct{ Body Credit }, error) {
	id, err := parseUUID("path.id", in.ID)
	if err != nil {
		return nil, err
	}
	limit, err := optMoney("body.arrears_limit", &in.Body.ArrearsLimit)
	if err != nil {
		return nil, err
	}
	if _, err := store.ParseCycle("settlement_cycle", in.Body.SettlementCycle); err != nil {
		return nil, problemFor(s.log, err)
	}
	scope, err := s.gateAccount(ctx, id, capEditCredit, creditSections)
	if err != nil {
		return nil, err
	}
	c, err := s.store.PutCredit(ctx, scope, id, store.CreditInput{CreditLevel: in.Body.CreditLevel, ArrearsLimit: *limit, SettlementCycle: in.Body.SettlementCycle, PaymentTermDays: in.Body.PaymentTermDays}, callerOf(ctx).ID)
	if err != nil {
		return nil, s.archiveErr(ctx, id, creditSections, err)
	}
	if err := s.register(ctx, store.AccessUpdate, []uuid.UUID{id}, creditSections); err != nil {
		return nil, err
	}
	s.archiveChanged(ctx, id)
	return &struct{ Body Credit }{Body: creditOut(c)}, nil
}
