package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"kam/db"
	"kam/db/dbtest"
)

// Ids go to Postgres as bytes (db.Connect's encoding), and every shape the
// queries pass still means what it meant as text: one id, an array of them,
// a nil pointer and a null NullUUID as NULL, and the zero id as itself.
func TestUUIDParameters(t *testing.T) {
	ctx := context.Background()
	pool, err := db.Connect(ctx, dbtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	a, b := uuid.New(), uuid.New()
	var one, arr, zero string
	var nilPtr, nullNull bool
	var set *uuid.UUID = &b
	var back uuid.UUID
	err = pool.QueryRow(ctx, `SELECT $1::uuid::text, $2::uuid[]::text, $3::uuid IS NULL, $4::uuid IS NULL, $5::uuid::text, $6::uuid`,
		a, []uuid.UUID{a, b}, (*uuid.UUID)(nil), uuid.NullUUID{}, uuid.Nil, set).Scan(&one, &arr, &nilPtr, &nullNull, &zero, &back)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	// The plan pgx would use without db.Connect's encoding formats text.
	if plan := c.Conn().TypeMap().PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, a); fmt.Sprintf("%T", plan) == "*pgtype.encodePlanDriverValuer" {
		t.Error("a uuid.UUID is still encoded through its driver.Valuer (as text)")
	}
	if one != a.String() || arr != "{"+a.String()+","+b.String()+"}" || !nilPtr || !nullNull || zero != uuid.Nil.String() || back != b {
		t.Fatalf("got %s, %s, %v, %v, %s, %s", one, arr, nilPtr, nullNull, zero, back)
	}
}
