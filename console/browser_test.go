package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"kam/cmd/kam/app"
	"kam/db/dbtest"
	"kam/workflows"
)

// The browser tests drive Debian's Chromium through the console against one
// real kam (database clone, embedded Temporal), started on first use.
const adminToken = "kam_console_test_admin_0123456789abcdefgh"

var (
	startOnce sync.Once
	baseURL   string
	startErr  error
	stopKam   = func() {}
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopKam()
	os.Exit(code)
}

func kamURL(t *testing.T) string {
	t.Helper()
	startOnce.Do(func() {
		dsn, drop, err := dbtest.NewDatabase("console")
		if err != nil {
			startErr = err
			return
		}
		cfg := app.Config{
			DatabaseURL: dsn, TemporalNamespace: "default", HTTPAddr: "127.0.0.1:0",
			BootstrapToken: adminToken, Timezone: time.UTC, Settings: workflows.DefaultSettings(),
		}
		log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		r, err := app.Start(ctx, cfg, app.Parts{EmbeddedTemporal: true, Ephemeral: true, Migrate: true, Bootstrap: true, API: true, Worker: true, Out: io.Discard}, log)
		if err != nil {
			drop()
			startErr = err
			return
		}
		baseURL = r.URL
		stopKam = func() { r.Stop(); drop() }
	})
	if startErr != nil {
		t.Fatal("start kam:", startErr)
	}
	return baseURL
}

// chromium is Debian's browser. Without it the tests skip, except in CI
// (CI=true), where .ci/run installs it and its absence is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("KAM_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); CI must run the browser tests")
	}
	t.Skip("chromium is not installed: apt-get install -y chromium to run the console's browser tests")
	return ""
}

// browser is one Chromium for a test, with the page's uncaught errors collected.
type browser struct {
	t      *testing.T
	ctx    context.Context
	base   string
	shots  string
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	exe := chromium(t)
	base := kamURL(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "en-US"))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	b := &browser{t: t, ctx: ctx, base: base, shots: t.TempDir()}
	// The first run starts the browser; it lives as long as ctx (no timeout).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal("start chromium:", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// A refused or missing read (403/404) is the browser's network log,
			// not a fault of the page: the console hides such sections.
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	b.run(chromedp.Navigate(base + "/console/"))
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if len(b.errors) > 0 {
			t.Errorf("the page reported errors:\n%s", strings.Join(b.errors, "\n"))
		}
		t.Logf("screenshots in %s", b.shots)
	})
	return b
}

func (b *browser) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failure")
		b.t.Fatal(err)
	}
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// shot saves a full-page screenshot of the current screen.
func (b *browser) shot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	return b.save(name, png)
}

// save writes a screenshot into the test's temp dir, and into
// $KAM_CONSOLE_SHOTS when set (how docs/console-*.png are refreshed).
func (b *browser) save(name string, png []byte) string {
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if dir := os.Getenv("KAM_CONSOLE_SHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	return p
}

// shotOf saves a screenshot of one element (the README's pictures).
func (b *browser) shotOf(name, sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("screenshot of %s: %v", sel, err)
	}
	b.save(name, png)
}

// hash sets the console's route (a same-document navigation).
func (b *browser) hash(route string) {
	b.t.Helper()
	eval[string](b, fmt.Sprintf("location.hash = %q", route))
}

// fill sets a form control as typing would (an input or change event).
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)))
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false;
		el.value = %q; el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', {bubbles: true})); return true })()`, sel, value)
	if !eval[bool](b, js) {
		b.t.Fatalf("no %s", sel)
	}
}

// click presses sel as a pointer would, but measures and presses in one
// script. chromedp.Click reads the element's box and presses at that point
// in a later round trip, so a list that finished loading in between (the
// audit screen's register, when it stood above the Verify button) moved the
// button away and the press landed on the list: under CI's load the verify
// never ran. The element must still be the topmost thing at its own centre
// and enabled.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)))
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return 'missing';
		if (el.disabled) return 'disabled';
		el.scrollIntoView({block: 'center', inline: 'center'});
		const r = el.getBoundingClientRect(), top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		if (!top || (top !== el && !el.contains(top))) return 'covered by ' + (top ? top.outerHTML.slice(0, 120) : 'nothing');
		el.click(); return '' })()`, sel)
	deadline := time.Now().Add(30 * time.Second)
	for {
		why := eval[string](b, js)
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("cannot click %s: %s", sel, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)))
	return eval[string](b, fmt.Sprintf("document.querySelector(%q).innerText", sel))
}

func (b *browser) exists(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf("!!document.querySelector(%q)", sel))
}

// eventually re-runs the current screen's reads (a reload) until sel shows.
func (b *browser) eventually(sel string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !b.exists(sel) {
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("%s never showed", sel)
		}
		time.Sleep(500 * time.Millisecond)
		b.run(chromedp.Reload())
		time.Sleep(500 * time.Millisecond)
	}
}

func (b *browser) signIn(s staff) {
	b.t.Helper()
	if b.exists("#signout") {
		b.click("#signout")
	}
	// By keyboard: type the token, Enter.
	b.fill(`input[name=token]`, "")
	b.run(chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)), chromedp.SendKeys(chromedp.CSS(`input[name=token]`), s.Token+"\r"))
	if got := b.text("#whoami"); !strings.Contains(got, s.Name) {
		b.t.Fatalf("signed in as %q, want %s", got, s.Name)
	}
}

// --- the API, for setting up and for changing data behind the browser's back

type staff struct{ ID, Name, Token string }

func call(t *testing.T, method, path, token string, body any, headers ...string) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, baseURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

func newStaff(t *testing.T, name, role string) staff {
	t.Helper()
	id := call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": name, "role": role, "locale": "en"})["id"].(string)
	tok := call(t, "POST", "/v1/staff/"+id+"/tokens", adminToken, nil)["token"].(string)
	return staff{ID: id, Name: name, Token: tok}
}

// TestConsoleDiscountFlow: an account manager submits a discount request,
// seeing its route first; the KA manager finds it in My work and approves
// it; the account manager sees it granted. Then a stale edit of the archive
// is shown as a conflict.
func TestConsoleDiscountFlow(t *testing.T) {
	b := newBrowser(t)
	am := newStaff(t, "Alice AM "+uuid.NewString()[:4], "account_manager")
	ka := newStaff(t, "Kim KA "+uuid.NewString()[:4], "ka_manager")
	c := call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "HS-" + uuid.NewString()[:8], "name": "Harbour Steel",
		"tier": "A", "product_category": "equipment", "account_manager_id": am.ID})["id"].(string)

	b.run(chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	b.shot("01-signin")
	b.signIn(am)
	b.shot("02-work-am")

	// Submit: the route (standard, A/equipment allows 10%) shows before submitting.
	b.hash("#/discounts/new/" + c)
	b.run(chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`select[name=customer_id] option[value=%q]`, c))))
	b.fill(`#discount-form select[name=customer_id]`, c)
	b.fill(`#discount-form input[name=product_category]`, "equipment")
	b.fill(`#discount-form input[name=rate]`, "7")
	b.fill(`#discount-form input[name=valid_to]`, time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	b.fill(`#discount-form textarea[name=reason]`, "Annual volume commitment")
	b.run(chromedp.WaitVisible(chromedp.CSS(`#route-preview .route-standard`)))
	b.fill(`#discount-form input[name=rate]`, "25")
	b.run(chromedp.WaitVisible(chromedp.CSS(`#route-preview .route-over_cap`)))
	b.fill(`#discount-form input[name=rate]`, "7")
	b.run(chromedp.WaitVisible(chromedp.CSS(`#route-preview .route-standard`)))
	// A field the API refuses is marked next to the field, with the API's words.
	b.fill(`#discount-form input[name=rate]`, "7.12345")
	b.click(`#submit-discount`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#discount-form .field.invalid input[name=rate]`)))
	if msg := b.text(`#discount-form .field.invalid .field-error`); msg == "" {
		t.Fatal("no message next to the rate")
	}
	b.shot("03-field-error")
	b.fill(`#discount-form input[name=rate]`, "7")
	b.shot("03-discount-new")
	b.shotOf("console-discount", `#discount-form`)
	b.click(`#submit-discount`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#submitted .route-standard`)))
	reqs := call(t, "GET", "/v1/discount-requests?customer_id="+c, am.Token, nil)["items"].([]any)
	if len(reqs) != 1 {
		t.Fatalf("requests = %v", reqs)
	}
	req := reqs[0].(map[string]any)["id"].(string)

	// The KA manager: it waits in My work; approve with a comment.
	b.signIn(ka)
	b.hash("#/work")
	b.run(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a.task[href="#/discounts/%s"]`, req))))
	b.shot("04-work-ka")
	b.click(fmt.Sprintf(`a.task[href="#/discounts/%s"]`, req))
	b.fill(`#decide-form textarea[name=comment]`, "Within standard; volume justifies it")
	b.click(`#approve`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#request .req-state.state-approved`)))
	b.shot("05-approved")
	b.hash("#/discounts/filings")
	b.run(chromedp.WaitVisible(chromedp.CSS(`main table td`)))
	b.shot("05-filings")

	// The account manager sees it granted: the request and the account's standard.
	b.signIn(am)
	b.hash("#/discounts")
	b.run(chromedp.WaitVisible(chromedp.CSS(`.req-state.state-approved`)))
	b.hash("#/accounts/" + c + "/discounts")
	b.eventually(`#tab-discounts .grant-rate`)
	if got := b.text(`#tab-discounts .grant-rate`); !strings.HasPrefix(got, "7") {
		t.Fatalf("granted rate = %q", got)
	}
	b.shot("06-granted")

	// A stale edit: the KA manager changes the archive while Alice edits it.
	b.hash("#/accounts/" + c)
	b.click(`#edit-profile`)
	b.fill(`#profile-form input[name=phone]`, "+86 21 5555 0101")
	cur := call(t, "GET", "/v1/customers/"+c, ka.Token, nil)
	call(t, "PATCH", "/v1/customers/"+c, ka.Token, map[string]any{"industry": "steel"}, "If-Match", fmt.Sprintf(`"%v"`, cur["version"]))
	b.click(`#save-profile`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#conflict`)))
	b.shot("07-conflict")
	if got := call(t, "GET", "/v1/customers/"+c, ka.Token, nil)["phone"]; got != nil {
		t.Fatalf("the stale edit was saved: phone = %v", got)
	}

	// Contacts (Art. 7.2): add one, then change it.
	b.hash("#/accounts/" + c + "/contacts")
	b.fill(`#tab-contacts form input[name=name]`, "Wang Fang")
	b.fill(`#tab-contacts form input[name=phone]`, "+86 139 0000 0000")
	b.click(`#tab-contacts form button[type=submit]`)
	b.run(chromedp.WaitVisible(`//td[text()="Wang Fang"]`))
	b.click(`#tab-contacts table button`)
	b.fill(`#person-form input[name=phone]`, "+86 139 1111 1111")
	b.click(`#person-form button[type=submit]`)
	b.run(chromedp.WaitVisible(`//td[text()="+86 139 1111 1111"]`))
	b.shot("08-contacts")
}

// TestConsoleRolesAndLanguages: a data clerk never sees credit (no menu, no
// tab, no read of it), and the console renders in zh-CN and in English.
func TestConsoleRolesAndLanguages(t *testing.T) {
	b := newBrowser(t)
	ka := newStaff(t, "Kim KA "+uuid.NewString()[:4], "ka_manager")
	clerk := newStaff(t, "Dan Clerk "+uuid.NewString()[:4], "data_clerk")
	fin := newStaff(t, "Fay Finance "+uuid.NewString()[:4], "finance")
	c := call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "RC-" + uuid.NewString()[:8], "name": "River Chemicals", "tier": "B"})["id"].(string)
	call(t, "PUT", "/v1/customers/"+c+"/credit", fin.Token, map[string]any{"credit_level": "AA", "arrears_limit": "500000.00",
		"settlement_cycle": "@every 720h", "payment_term_days": 30})

	// A wrong token is refused with the API's words, and nothing is kept.
	b.run(chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)), chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "kam_not_a_token\r"),
		chromedp.WaitVisible(chromedp.CSS(`.signin .problem`)))
	if stored := eval[string](b, `sessionStorage.getItem('kam.token') || ''`); stored != "" {
		t.Fatal("a refused token was kept")
	}

	// Finance sees the account's credit section.
	b.signIn(fin)
	b.hash("#/accounts/" + c + "/credit")
	b.run(chromedp.WaitVisible(chromedp.CSS(`#credit`)))
	b.shot("08-credit-finance")

	// The clerk: no credit anywhere, not even when asking for it by address.
	b.signIn(clerk)
	if b.exists("#nav-credit") {
		t.Fatal("a data clerk has the credit menu")
	}
	b.hash("#/accounts/" + c)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#tab-profile dl.fields`)))
	if b.exists(`.tabs a[href$="/credit"]`) {
		t.Fatal("a data clerk has the credit tab")
	}
	b.hash("#/accounts/" + c + "/credit")
	time.Sleep(time.Second)
	if b.exists(`#credit`) || strings.Contains(b.text("main"), "500000") {
		t.Fatal("a data clerk was shown the credit section")
	}
	b.shot("09-clerk")
	log := call(t, "GET", "/v1/access-log?staff_id="+clerk.ID, newStaff(t, "Ada Auditor", "auditor").Token, nil)["items"].([]any)
	for _, e := range log {
		if route, _ := e.(map[string]any)["route"].(string); strings.Contains(route, "credit") {
			t.Fatalf("the console asked for credit as a data clerk: %v", e)
		}
	}

	// Both languages render, switched from the header; the choice stays
	// with the browser across sign-ins. The reports in zh-CN, with charts.
	for i, sale := range []struct{ cat, amount, on string }{{"equipment", "120000.00", "-01-15"}, {"consumables", "45000.00", "-01-20"}, {"services", "30000.00", "-02-03"}} {
		call(t, "POST", "/v1/customers/"+c+"/sales", ka.Token, map[string]any{"product": fmt.Sprintf("P%d", i), "product_category": sale.cat,
			"quantity": "10", "amount": sale.amount, "sold_on": fmt.Sprint(time.Now().Year()) + sale.on})
	}
	b.hash("#/accounts")
	b.fill("#lang", "zh-CN")
	b.run(chromedp.WaitVisible(`//a[@id="nav-accounts" and text()="客户档案"]`))
	b.run(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[href="#/accounts/%s"]`, c))))
	if got := b.text("h1"); got != "客户档案" {
		t.Fatalf("zh-CN heading = %q", got)
	}
	b.shot("10-zh-CN")
	b.signIn(fin)
	b.hash("#/reports")
	b.run(chromedp.WaitVisible(chromedp.CSS(`#chart-structure canvas`)), chromedp.WaitVisible(chromedp.CSS(`#chart-trend canvas`)))
	if got := b.text("#ov-h"); !strings.Contains(got, "大客户总体") {
		t.Fatalf("zh-CN report heading = %q", got)
	}
	b.shot("11-reports-zh-CN")
	b.shotOf("console-reports-zh-CN", `section[aria-labelledby="ov-h"]`)
	b.fill("#lang", "en")
	b.run(chromedp.WaitVisible(`//a[@id="nav-reports" and text()="Reports"]`))
	b.shot("12-reports-en")

	// The other screens render for their roles.
	call(t, "POST", "/v1/tickets", ka.Token, map[string]any{"customer_id": c, "kind": "complaint", "subject": "Late delivery", "body": "Two days late"})
	b.signIn(ka)
	b.hash("#/tickets")
	b.run(chromedp.WaitVisible(chromedp.CSS(`main table .countdown`)))
	b.shot("13-tickets")
	b.click(`main table a[href^="#/tickets/"]`)
	b.fill(`main form select[name=type]`, "acknowledge")
	b.fill(`main form input[name=note]`, "Called the buyer back")
	b.click(`main form button[type=submit]`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`main .badge.ticket-acknowledged`)))
	b.shot("13-ticket")
	b.signIn(newStaff(t, "Ada Auditor", "auditor"))
	b.hash("#/audit")
	b.click(`#verify`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#verify-result .verify-ok`)))
	b.shot("14-audit")
	// The register's day filter is sent as instants: a day before kam existed
	// lists nothing, and is no problem.
	reg := `section[aria-labelledby="reg-h"]`
	b.fill(reg+` input[name=from]`, "2001-01-01")
	b.fill(reg+` input[name=to]`, "2001-01-01")
	b.click(reg + ` button[type=submit]`)
	deadline := time.Now().Add(20 * time.Second)
	for eval[bool](b, fmt.Sprintf(`!!document.querySelector(%q)`, reg+` tbody tr`)) {
		if time.Now().After(deadline) {
			t.Fatal("the register still lists rows for 2001-01-01")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if b.exists(reg + ` .problem`) {
		t.Fatalf("the register's day filter is refused: %s", b.text(reg+` .problem`))
	}
	b.fill(`#inspection-form input[name=sample_size]`, "5")
	b.click(`#inspection-form button[type=submit]`)
	b.run(chromedp.WaitVisible(`//h1[text()="Inspection"]`))
	b.shot("14-inspection")

	// At a phone's width the page does not scroll sideways and the menu folds.
	b.run(chromedp.EmulateViewport(390, 844))
	b.hash("#/accounts/" + c)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#tab-profile dl.fields`)), chromedp.WaitVisible(chromedp.CSS(`.menu-toggle`)))
	if eval[bool](b, `document.getElementById('nav').offsetParent !== null`) {
		t.Error("the menu is open at a phone's width")
	}
	if wide := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); wide {
		t.Error("the page scrolls sideways at 390px")
	}
	b.click(`.menu-toggle`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#nav-accounts`)))
	b.shot("15-phone")
	b.run(chromedp.EmulateViewport(1280, 900))

	// Sign-out forgets the token.
	b.click("#signout")
	b.run(chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	if stored := eval[string](b, `sessionStorage.getItem('kam.token') || ''`); stored != "" {
		t.Fatal("the token outlived sign-out")
	}
}

// newStaffIn is newStaff with a language of the person's own.
func newStaffIn(t *testing.T, name, role, locale string) staff {
	t.Helper()
	id := call(t, "POST", "/v1/staff", adminToken, map[string]any{"name": name, "role": role, "locale": locale})["id"].(string)
	tok := call(t, "POST", "/v1/staff/"+id+"/tokens", adminToken, nil)["token"].(string)
	return staff{ID: id, Name: name, Token: tok}
}

// status is the HTTP status of a GET with token (call fails on any error).
func status(t *testing.T, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", baseURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestConsolePeopleHandover: the admin (the bootstrap one, whose language
// is zh-CN) hands a manager's accounts to another from the People screen;
// then deactivates the receiver, is told a receiver is needed right by the
// change (409 has_assignments), names one, and sees what moved; issues a
// token shown once and revokes it. The last receiver finds the account in
// Accounts.
func TestConsolePeopleHandover(t *testing.T) {
	b := newBrowser(t)
	ka := newStaff(t, "Kim KA "+uuid.NewString()[:4], "ka_manager")
	am1 := newStaff(t, "Alice AM "+uuid.NewString()[:4], "account_manager")
	am2 := newStaff(t, "Bob AM "+uuid.NewString()[:4], "account_manager")
	am3 := newStaff(t, "Carol AM "+uuid.NewString()[:4], "account_manager")
	c := call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "HO-" + uuid.NewString()[:8], "name": "Handover Metals",
		"tier": "B", "account_manager_id": am1.ID})["id"].(string)

	b.signIn(staff{Name: "Administrator", Token: adminToken})
	b.run(chromedp.WaitVisible(`//a[@id="nav-people" and text()="人员"]`))
	b.hash("#/people")
	// A reload keeps the person's language (none was picked in this browser).
	b.run(chromedp.Reload(), chromedp.WaitVisible(`//h1[text()="人员"]`))
	b.fill(`#staff select[name=role]`, "account_manager")
	b.run(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#staff a.person-link[href="#/people/%s"]`, am1.ID))))
	b.shot("20-people-zh-CN")

	// Alice's accounts go to Bob: the answer is followed until it is done.
	b.click(fmt.Sprintf(`#staff a.person-link[href="#/people/%s"]`, am1.ID))
	b.run(chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#handover-form select[name=to] option[value=%q]`, am2.ID))))
	b.fill(`#handover-form select[name=to]`, am2.ID)
	b.click(`#submit-handover`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#handover .handover-done`)))
	if got := b.text(`#accounts-moved`); got != "1" {
		t.Fatalf("accounts moved = %q", got)
	}
	b.shot("21-handover-zh-CN")
	if got := call(t, "GET", "/v1/customers/"+c, ka.Token, nil)["account_manager_id"]; got != am2.ID {
		t.Fatalf("the account's manager is %v, want Bob", got)
	}

	// Bob leaves: without a receiver the API refuses (has_assignments), and
	// the screen asks for one next to the change.
	b.hash("#/people/" + am2.ID)
	b.click(`#edit-person`)
	b.fill(`#staff-form select[name=active]`, "false")
	b.click(`#save-person`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#staff-form .field.invalid select[name=handover_to]`)))
	if got := b.text(`#staff-form .problem`); !strings.Contains(got, "has_assignments") {
		t.Fatalf("the problem shown is %q", got)
	}
	b.shot("22-deactivate-needs-receiver")
	b.fill(`#staff-form select[name=handover_to]`, am3.ID)
	b.click(`#save-person`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#person-active .staffStatus-inactive`)), chromedp.WaitVisible(chromedp.CSS(`#handover .handover-done`)))
	if got := b.text(`#accounts-moved`); got != "1" {
		t.Fatalf("accounts moved on deactivation = %q", got)
	}
	if code := status(t, "/v1/me", am2.Token); code != http.StatusUnauthorized {
		t.Fatalf("a deactivated person's token answers %d", code)
	}

	// A token for Carol: its secret is shown once, works, and is revoked here.
	b.hash("#/people/" + am3.ID)
	b.click(`#issue-token`)
	secret := b.text(`#token-secret`)
	if !strings.HasPrefix(secret, "kam_") || status(t, "/v1/me", secret) != http.StatusOK {
		t.Fatalf("the issued token %q does not work", secret)
	}
	b.shot("23-token-once")
	b.click(`#token-done`)
	if b.exists(`#token-secret`) {
		t.Fatal("the secret is still shown")
	}
	// The new token is Carol's latest.
	var id string
	var latest time.Time
	for _, it := range call(t, "GET", "/v1/staff/"+am3.ID+"/tokens", adminToken, nil)["items"].([]any) {
		tok := it.(map[string]any)
		if at, _ := time.Parse(time.RFC3339Nano, tok["created_at"].(string)); at.After(latest) {
			id, latest = tok["id"].(string), at
		}
	}
	eval[bool](b, `(window.confirm = () => true, true)`)
	b.click(fmt.Sprintf(`button.token-revoke[data-token=%q]`, id))
	b.run(chromedp.WaitVisible(chromedp.CSS(`#tokens .token-revoked`)))
	if code := status(t, "/v1/me", secret); code != http.StatusUnauthorized {
		t.Fatalf("the revoked token answers %d", code)
	}
	if code := status(t, "/v1/me", am3.Token); code != http.StatusOK {
		t.Fatalf("Carol's other token answers %d", code)
	}

	// Carol finds the account in Accounts (in her own language, English).
	b.signIn(am3)
	b.hash("#/accounts")
	b.run(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[href="#/accounts/%s"]`, c))))
	if b.exists("#nav-people") || b.exists("#nav-delegations") {
		t.Fatal("an account manager is offered People or Delegations")
	}
	b.shot("24-receiver-accounts")
}

// TestConsoleDelegation: a KA manager delegates their approvals to another
// (a time in the past is refused next to its field first); the deputy, who
// reads zh-CN, sees the delegation in force and may not end it; the
// delegator ends it. Then a tier review is run and a proposal rejected.
func TestConsoleDelegation(t *testing.T) {
	b := newBrowser(t)
	ka1 := newStaffIn(t, "Kim KA "+uuid.NewString()[:4], "ka_manager", "en")
	ka2 := newStaffIn(t, "Ken KA "+uuid.NewString()[:4], "ka_manager", "zh-CN")
	local := func(d time.Duration) string { return time.Now().Add(d).Format("2006-01-02T15:04") }

	b.signIn(ka1)
	b.hash("#/delegations")
	b.run(chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#delegation-form select[name=to_staff_id] option[value=%q]`, ka2.ID))))
	if b.exists(`#delegation-form select[name=from_staff_id]`) {
		t.Fatal("a KA manager is offered to delegate someone else's approvals")
	}
	b.fill(`#delegation-form select[name=to_staff_id]`, ka2.ID)
	b.fill(`#delegation-form input[name=ends_at]`, local(-48*time.Hour))
	b.fill(`#delegation-form textarea[name=reason]`, "Annual leave")
	b.click(`#submit-delegation`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#delegation-form .field.invalid input[name=ends_at]`)))
	b.shot("30-delegation-field-error")
	b.fill(`#delegation-form input[name=ends_at]`, local(48*time.Hour))
	b.click(`#submit-delegation`)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#delegation-created`)))
	row := `//section[@id="delegations"]//tr[.//span[@class="deleg-to" and text()=%q]]`
	b.run(chromedp.WaitVisible(fmt.Sprintf(row, ka2.Name) + `//span[contains(@class, "delegation-in_force")]`))
	b.shot("31-delegation-created")
	ds := call(t, "GET", "/v1/delegations?staff_id="+ka1.ID, ka1.Token, nil)["items"].([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["to_staff_id"] != ka2.ID || ds[0].(map[string]any)["reason"] != "Annual leave" {
		t.Fatalf("delegations = %v", ds)
	}
	d := ds[0].(map[string]any)["id"].(string)

	// The deputy, in zh-CN: the delegation from Kim, in force, not theirs to end.
	b.signIn(ka2)
	b.run(chromedp.WaitVisible(`//a[@id="nav-delegations" and text()="审批委托"]`))
	b.hash("#/delegations")
	from := fmt.Sprintf(`//section[@id="delegations"]//tr[.//span[@class="deleg-from" and text()=%q]]`, ka1.Name)
	b.run(chromedp.WaitVisible(from + `//span[contains(@class, "delegation-in_force") and text()="生效中"]`))
	if b.exists(fmt.Sprintf(`button.deleg-end[data-id=%q]`, d)) {
		t.Fatal("the deputy is offered to end the delegation")
	}
	b.shot("32-delegation-deputy-zh-CN")

	// The delegator ends it at once.
	b.signIn(ka1)
	b.hash("#/delegations")
	eval[bool](b, `(window.confirm = () => true, true)`)
	b.click(fmt.Sprintf(`button.deleg-end[data-id=%q]`, d))
	b.run(chromedp.WaitVisible(fmt.Sprintf(row, ka2.Name) + `//span[contains(@class, "delegation-ended")]`))
	b.shot("33-delegation-ended")

	// The admin delegates for anyone: Ken's approvals to Kim.
	b.signIn(staff{Name: "Administrator", Token: adminToken})
	b.hash("#/delegations")
	b.run(chromedp.WaitReady(chromedp.CSS(fmt.Sprintf(`#delegation-form select[name=from_staff_id] option[value=%q]`, ka2.ID))))
	b.fill(`#delegation-form select[name=from_staff_id]`, ka2.ID)
	b.fill(`#delegation-form select[name=to_staff_id]`, ka1.ID)
	b.fill(`#delegation-form input[name=ends_at]`, local(24*time.Hour))
	b.click(`#submit-delegation`)
	b.run(chromedp.WaitVisible(fmt.Sprintf(row, ka1.Name) + `//span[contains(@class, "delegation-in_force")]`))
	if got := call(t, "GET", "/v1/delegations?in_force=true&staff_id="+ka2.ID, ka2.Token, nil)["items"].([]any); len(got) != 1 ||
		got[0].(map[string]any)["from_staff_id"] != ka2.ID {
		t.Fatalf("Ken's delegations in force = %v", got)
	}
	b.signIn(ka1)

	// A tier review: an account with no sales meets no tier; the proposal
	// is rejected here, and the account keeps its tier.
	code := "TR-" + uuid.NewString()[:8]
	c := call(t, "POST", "/v1/customers", ka1.Token, map[string]any{"code": code, "name": "Quiet Trading", "tier": "B"})["id"].(string)
	b.hash("#/tier-reviews")
	b.click(`#run-review`)
	decide := fmt.Sprintf(`.proposal-decide[data-customer=%q]`, c)
	b.run(chromedp.WaitVisible(chromedp.CSS(`#review`)))
	b.eventually(decide)
	b.run(chromedp.WaitVisible(fmt.Sprintf(`//tr[.//div[@data-customer=%q]]//a[text()=%q]`, c, code+" · Quiet Trading")))
	b.shot("34-tier-review")
	b.fill(decide+` input[name=comment]`, "New account, give it a year")
	b.click(decide + ` button.reject`)
	b.run(chromedp.WaitNotPresent(chromedp.CSS(decide)))
	if got := call(t, "GET", "/v1/customers/"+c, ka1.Token, nil)["tier"]; got != "B" {
		t.Fatalf("tier = %v after a rejected proposal", got)
	}
}

// TestConsoleShowsHostileTextAsText: every string staff can write (names,
// contacts, ticket subjects, discount reasons, decision comments, and the
// task titles and notices that embed them) is shown as text on every screen
// that shows it, never parsed as markup, in both languages.
func TestConsoleShowsHostileTextAsText(t *testing.T) {
	b := newBrowser(t)
	const mark = `<img src=x class=xss onerror=window.__xss=1>`
	hostile := func(what string) string { return what + " " + mark + ` "><svg class=xss onload=window.__xss=2>` }
	am := newStaff(t, hostile("AM")+uuid.NewString()[:4], "account_manager")
	ka := newStaff(t, hostile("KA")+uuid.NewString()[:4], "ka_manager")
	c := call(t, "POST", "/v1/customers", ka.Token, map[string]any{"code": "XS-" + uuid.NewString()[:8], "name": hostile("Account"),
		"tier": "A", "product_category": "equipment", "account_manager_id": am.ID, "address": "javascript:alert(1)"})["id"].(string)
	call(t, "POST", "/v1/customers/"+c+"/contacts", ka.Token, map[string]any{"name": hostile("Contact"), "email": "x@example.com"})
	call(t, "POST", "/v1/tickets", ka.Token, map[string]any{"customer_id": c, "kind": "complaint", "subject": hostile("Subject"), "body": hostile("Body")})
	req := call(t, "POST", "/v1/discount-requests", am.Token, map[string]any{"customer_id": c, "product_category": "equipment", "rate": "5",
		"method": "percentage", "valid_from": time.Now().AddDate(0, 0, 3).Format(time.DateOnly),
		"valid_to": time.Now().AddDate(0, 1, 0).Format(time.DateOnly), "reason": hostile("Reason")})["id"].(string)
	call(t, "POST", "/v1/discount-requests/"+req+"/decisions", ka.Token, map[string]any{"decision": "reject", "comment": hostile("Comment")})

	b.run(chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))
	b.signIn(am)
	screens := []struct{ route, shows string }{
		{"#/work", "Account " + mark},
		{"#/accounts", "Account " + mark},
		{"#/accounts/" + c, "Account " + mark},
		{"#/accounts/" + c + "/contacts", "Contact " + mark},
		{"#/tickets", "Subject " + mark},
		{"#/discounts/" + req, "Comment " + mark},
	}
	for _, lang := range []string{"en", "zh-CN"} {
		b.fill("#lang", lang)
		for _, s := range screens {
			b.hash(s.route)
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(eval[string](b, `document.querySelector('main') ? document.querySelector('main').innerText : ''`), s.shows) {
				if time.Now().After(deadline) {
					b.shot("failure")
					t.Fatalf("%s (%s) never showed %q as text", s.route, lang, s.shows)
				}
				time.Sleep(200 * time.Millisecond)
			}
			if n := eval[int](b, `document.querySelectorAll('.xss, img[src="x"], svg.xss').length`); n != 0 {
				t.Fatalf("%s (%s): %d elements made from stored text", s.route, lang, n)
			}
			if eval[bool](b, `window.__xss !== undefined`) {
				t.Fatalf("%s (%s): stored text ran as script", s.route, lang)
			}
			if n := eval[int](b, `[...document.querySelectorAll('a[href]')].filter((a) => !/^(#|blob:|\/)/.test(a.getAttribute('href'))).length`); n != 0 {
				t.Fatalf("%s (%s): %d links leave the console", s.route, lang, n)
			}
		}
	}
	b.shot("16-hostile-text")
}
