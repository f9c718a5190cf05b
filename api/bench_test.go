package api_test

import (
	"context"
	"net/http"
	"testing"

	"kam"
)

// An archive read through the whole stack (HTTP, token check, scope in SQL,
// completeness facts, access registration) beside a raw pgx point select of
// the same row in the same run:
//
//	go test ./api -run '^$' -bench 'ArchiveRead|RawSelect' -benchmem
func BenchmarkArchiveReadHTTP(b *testing.B) {
	fin := staffByRole(b)[kam.RoleFinance]
	id := newAccount(b, "")
	req, _ := http.NewRequest("GET", baseURL+"/v1/customers/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+fin.Token)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := http.DefaultClient.Do(req.Clone(context.Background()))
			if err != nil {
				b.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
	})
}

func BenchmarkRawSelect(b *testing.B) {
	id := newAccount(b, "")
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var code string
			if err := running.Store.Pool.QueryRow(ctx, "SELECT code FROM customers WHERE id = $1", id).Scan(&code); err != nil {
				b.Fatal(err)
			}
		}
	})
}
