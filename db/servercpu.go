package db

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LocalServerCPU sums the user and system time of every process named
// postgres on this machine (the server's backends, its WAL writer,
// checkpointer and autovacuum), so a benchmark can set Postgres's share of
// an operation beside its own process's. 0 where Postgres runs elsewhere.
func LocalServerCPU() time.Duration {
	var ticks int64
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := string(b)
		open, shut := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || shut < open || s[open+1:shut] != "postgres" {
			continue
		}
		fields := strings.Fields(s[shut+1:])
		if len(fields) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		k, _ := strconv.ParseInt(fields[12], 10, 64)
		ticks += u + k
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}
