// Package app wires kam's parts together for each subcommand: the embedded
// or external Temporal server, Postgres, the worker and the HTTP API.
package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"kam"
	"kam/activities"
	"kam/api"
	"kam/db"
	"kam/db/store"
	"kam/workflows"
)

// Config is every setting of SPEC §6, read from the environment.
type Config struct {
	DatabaseURL       string
	TemporalAddress   string // empty in dev: embedded
	TemporalNamespace string
	HTTPAddr          string
	DataDir           string
	TemporalPort      int
	// TemporalStore is where the embedded server keeps its state: "sqlite"
	// (a file in DataDir) or "postgres" (two databases beside kam's).
	TemporalStore  string
	BootstrapToken string
	DefaultLocale  string // KAM_DEFAULT_LOCALE: a new staff member's locale
	Timezone       *time.Location
	WebhookURL     string
	WebhookSecret  string
	LogLevel       slog.Level
	Settings       workflows.Settings

	// WebhookMaxAttempts bounds the attempts at one webhook delivery before
	// it is dead-lettered (KAM_WEBHOOK_MAX_ATTEMPTS, default 8).
	WebhookMaxAttempts int
	// Idempotency bounds Idempotency-Key replays (KAM_IDEMPOTENCY_TTL, 24h)
	// and unfinished claims (KAM_IDEMPOTENCY_LEASE, 2m).
	Idempotency store.KeyPolicy
	// HTTPReadTimeout bounds reading one request, headers and body; zero
	// means DefaultHTTPReadTimeout. HTTPWriteTimeout bounds answering it
	// (zero: DefaultHTTPWriteTimeout). Without them a client sending a byte
	// a second holds a connection and its goroutine for ever.
	HTTPReadTimeout  time.Duration
	HTTPWriteTimeout time.Duration
	// AppDatabaseURL is what the serving processes connect as (the kam_app
	// role, which cannot alter the access register); empty: DatabaseURL with
	// the user replaced by kam_app. DatabaseURL (the owner) only migrates.
	AppDatabaseURL string
	// RegisterKey keys the access register's chain and signs its checkpoints
	// (KAM_REGISTER_KEY); empty: DataDir/register.key, which kam dev creates.
	RegisterKey []byte
	// CheckpointEvery is how often a signed checkpoint of the register leaves
	// the database (KAM_REGISTER_CHECKPOINT_EVERY); zero: a minute.
	CheckpointEvery time.Duration
	// Limits bound the requests one member of staff has in flight and the
	// heavy ones (reports, imports, runs) of the process
	// (KAM_STAFF_MAX_REQUESTS, KAM_STAFF_MAX_HEAVY, KAM_MAX_HEAVY: 0 lifts
	// the limit; KAM_HEAVY_WAIT); zero fields take api.DefaultLimits.
	Limits api.Limits
	// ArchiveDelay bounds how long after a workflow closes the embedded
	// server archives its history to DataDir/archive (KAM_ARCHIVE_DELAY);
	// zero: Temporal's default, 5 minutes.
	ArchiveDelay time.Duration
}

// Defaults of KAM_HTTP_READ_TIMEOUT and KAM_HTTP_WRITE_TIMEOUT.
const (
	DefaultHTTPReadTimeout  = 30 * time.Second
	DefaultHTTPWriteTimeout = 60 * time.Second
)

// FromEnv reads the configuration; a malformed value is an error naming it.
func FromEnv() (Config, error) {
	c := Config{
		DatabaseURL:       env("DATABASE_URL", "postgres://postgres@localhost:5432/kam?sslmode=disable"),
		AppDatabaseURL:    os.Getenv("KAM_APP_DATABASE_URL"),
		TemporalAddress:   os.Getenv("TEMPORAL_ADDRESS"),
		TemporalNamespace: env("TEMPORAL_NAMESPACE", "default"),
		HTTPAddr:          env("KAM_HTTP_ADDR", ":8080"),
		DataDir:           env("KAM_DATA_DIR", ".kam"),
		TemporalStore:     env("KAM_TEMPORAL_STORE", "sqlite"),
		BootstrapToken:    os.Getenv("KAM_BOOTSTRAP_TOKEN"),
		DefaultLocale:     env("KAM_DEFAULT_LOCALE", store.LocaleZH),
		WebhookURL:        os.Getenv("KAM_NOTIFY_WEBHOOK_URL"),
		WebhookSecret:     os.Getenv("KAM_NOTIFY_WEBHOOK_SECRET"),
		HTTPReadTimeout:   DefaultHTTPReadTimeout,
		HTTPWriteTimeout:  DefaultHTTPWriteTimeout,
		Settings:          workflows.DefaultSettings(),
		Idempotency:       store.DefaultKeyPolicy(),
	}
	var errs []string
	port, err := strconv.Atoi(env("KAM_TEMPORAL_PORT", "7233"))
	if err != nil || port < 0 || port > 65535 {
		errs = append(errs, "KAM_TEMPORAL_PORT: not a port number")
	}
	c.TemporalPort = port
	if c.TemporalStore != "sqlite" && c.TemporalStore != "postgres" {
		errs = append(errs, "KAM_TEMPORAL_STORE: sqlite or postgres")
	}
	tz, err := time.LoadLocation(env("KAM_TIMEZONE", "Asia/Shanghai"))
	if err != nil {
		errs = append(errs, "KAM_TIMEZONE: "+err.Error())
	}
	c.Timezone = tz
	c.Settings.Timezone = tz
	if err := c.LogLevel.UnmarshalText([]byte(env("KAM_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, "KAM_LOG_LEVEL: "+err.Error())
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"KAM_ONBOARDING_REMIND_EVERY", &c.Settings.OnboardingRemindEvery},
		{"KAM_ONBOARDING_ESCALATE_AFTER", &c.Settings.OnboardingEscalateAfter},
		{"KAM_APPROVAL_REMIND_EVERY", &c.Settings.ApprovalRemindEvery},
		{"KAM_APPROVAL_ESCALATE_AFTER", &c.Settings.ApprovalEscalateAfter},
		{"KAM_GM_DECISION_TIMEOUT", &c.Settings.GMDecisionTimeout},
		{"KAM_GRANT_EXPIRY_NOTICE", &c.Settings.GrantExpiryNotice},
		{"KAM_PAYMENT_REMIND_BEFORE", &c.Settings.PaymentRemindBefore},
		{"KAM_DAY", &c.Settings.Day},
		{"KAM_VISIT_LEAD", &c.Settings.VisitLead},
		{"KAM_VISIT_GRACE", &c.Settings.VisitGrace},
		{"KAM_GREETING_LEAD", &c.Settings.GreetingLead},
		{"KAM_IDEMPOTENCY_TTL", &c.Idempotency.TTL},
		{"KAM_IDEMPOTENCY_LEASE", &c.Idempotency.Lease},
		{"KAM_HTTP_READ_TIMEOUT", &c.HTTPReadTimeout},
		{"KAM_HTTP_WRITE_TIMEOUT", &c.HTTPWriteTimeout},
		{"KAM_ARCHIVE_DELAY", &c.ArchiveDelay},
		{"KAM_HEAVY_WAIT", &c.Limits.HeavyWait},
	}
	for _, d := range durations {
		v := os.Getenv(d.name)
		if v == "" {
			continue
		}
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			errs = append(errs, d.name+": not a positive Go duration (e.g. 24h, 2s)")
			continue
		}
		*d.dst = parsed
	}
	for _, l := range []struct {
		name string
		dst  *int
	}{
		{"KAM_STAFF_MAX_REQUESTS", &c.Limits.PerStaff},
		{"KAM_STAFF_MAX_HEAVY", &c.Limits.HeavyPerStaff},
		{"KAM_MAX_HEAVY", &c.Limits.Heavy},
	} {
		v := os.Getenv(l.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < 0:
			errs = append(errs, l.name+": a whole number, 0 for no limit")
		case n == 0:
			*l.dst = -1 // no limit (api.Limits: a zero field is the default)
		default:
			*l.dst = n
		}
	}
	if v := os.Getenv("KAM_DUNNING_STEPS"); v != "" {
		var steps []time.Duration
		for _, part := range strings.Split(v, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || d <= 0 || (len(steps) > 0 && d <= steps[len(steps)-1]) {
				errs = append(errs, "KAM_DUNNING_STEPS: a comma list of increasing positive durations (e.g. 24h,168h,360h)")
				steps = nil
				break
			}
			steps = append(steps, d)
		}
		if steps != nil {
			c.Settings.DunningSteps = steps
		}
	}
	if v := os.Getenv("KAM_ARREARS_WARN_RATIO"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > 1 {
			errs = append(errs, "KAM_ARREARS_WARN_RATIO: a number in (0, 1], e.g. 0.8")
		} else {
			c.Settings.ArrearsWarnRatio = v
		}
	}
	if v := os.Getenv("KAM_TIER_REVIEW_CRON"); v != "" {
		if err := tierReviewCron(v); err != nil {
			errs = append(errs, "KAM_TIER_REVIEW_CRON: "+err.Error())
		} else {
			c.Settings.TierReviewCron = v
		}
	}
	errs = append(errs, c.webhookErrors()...)
	if !store.ValidLocale(c.DefaultLocale) {
		errs = append(errs, "KAM_DEFAULT_LOCALE: zh-CN or en")
	}
	if v := os.Getenv("KAM_REGISTER_KEY"); v != "" {
		key, err := store.ParseRegisterKey(v)
		if err != nil {
			errs = append(errs, "KAM_REGISTER_KEY: "+err.Error())
		}
		c.RegisterKey = key
	}
	if v := os.Getenv("KAM_REGISTER_CHECKPOINT_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			errs = append(errs, "KAM_REGISTER_CHECKPOINT_EVERY: a Go duration of at least 1s (e.g. 1m)")
		}
		c.CheckpointEvery = d
	}
	if c.BootstrapToken != "" && (len(c.BootstrapToken) < 32 || strings.ContainsAny(c.BootstrapToken, " \t\r\n")) {
		errs = append(errs, "KAM_BOOTSTRAP_TOKEN: use at least 32 characters without spaces")
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// tierReviewCron checks the tier review's schedule: a five-field cron spec
// or a descriptor (@monthly) that fires within five years, read in the
// company time zone. @every is refused: Temporal's Schedules read it
// otherwise than Go durations.
func tierReviewCron(v string) error {
	if strings.HasPrefix(strings.TrimSpace(v), "@every") {
		return errors.New("a cron spec (e.g. 0 6 1 1,4,7,10 *) or a descriptor such as @monthly, not @every")
	}
	if _, err := kam.ParseSchedule(v, time.Now()); err != nil {
		return fmt.Errorf("a cron spec (e.g. 0 6 1 1,4,7,10 *) or a descriptor such as @monthly: %w", err)
	}
	return nil
}

// webhookErrors checks the webhook settings (SPEC §7 "Webhooks"): a URL
// without a secret would send unsigned copies, so kam refuses to start.
func (c *Config) webhookErrors() []string {
	var errs []string
	c.WebhookMaxAttempts = activities.DefaultWebhookMaxAttempts
	if v := os.Getenv("KAM_WEBHOOK_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, "KAM_WEBHOOK_MAX_ATTEMPTS: a whole number from 1 to 100")
		} else {
			c.WebhookMaxAttempts = n
		}
	}
	if c.WebhookURL == "" {
		return errs
	}
	if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, "KAM_NOTIFY_WEBHOOK_URL: an absolute http(s) URL")
	}
	if c.WebhookSecret == "" {
		errs = append(errs, "KAM_NOTIFY_WEBHOOK_SECRET: required when KAM_NOTIFY_WEBHOOK_URL is set (every copy is signed)")
	} else if _, err := activities.WebhookKey(c.WebhookSecret); err != nil {
		errs = append(errs, "KAM_NOTIFY_WEBHOOK_SECRET: "+err.Error())
	}
	return errs
}

// AppURL is where the serving processes connect: KAM_APP_DATABASE_URL, or
// DATABASE_URL as the kam_app role.
func (c Config) AppURL() (string, error) {
	if c.AppDatabaseURL != "" {
		return c.AppDatabaseURL, nil
	}
	return db.AppURL(c.DatabaseURL)
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
