# Shortcuts; the README's two commands need none of this.
SQLC = CGO_ENABLED=0 go run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1

.PHONY: dev test ci sqlc verify-sqlc
dev:
	go run ./cmd/kam dev
test:
	go test ./...
ci:
	bash .ci/run
sqlc:
	$(SQLC) generate
verify-sqlc:
	$(SQLC) diff
