package main

// Private chat end to end: the appliance (web admin over HTTPS, messaging,
// the OTR engine) against mcabber (libotr 4.1, OTR v3) over prosody.
// Padlock's key is generated from the web admin; a message typed while
// not private is held, Padlock starts OTR itself, mcabber decrypts it and
// echoes back encrypted; SMP succeeds with the right secret (asked by
// either side) and fails with a wrong one. A second session of mcabber's
// account sees what prosody delivers: only OTR v3 messages, checked with
// otr_parse (libotr5-bin). The chat page in chromium shows the lock live.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/mcabber"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

func TestOTRAgainstMcabber(t *testing.T) {
	mcabber.Binaries(t) // fail early, with the install hint
	otrParse, err := exec.LookPath("otr_parse")
	if err != nil {
		t.Fatal("otr_parse not found: install it with `apt-get install -y libotr5-bin` (or `make deps`)")
	}
	srv := prosody.Start(t, prosody.Options{})
	srv.Register(t, "desk", "desk-pass-0a9d")
	srv.Register(t, "eve", "eve-pass-0a9d")
	srv.Register(t, "carol", "carol-pass-0a9d")
	deskJID, eveJID := "desk@"+srv.Domain, "eve@"+srv.Domain

	a := startAppliance(t)
	csrf := a.setUp(t)
	if r, body := a.do(t, "POST", "/accounts", url.Values{"kind": {"xmpp"}, "user": {"desk"}, "server": {srv.Domain},
		"proxy": {srv.Addr}, "transport": {"tcp"}, "enabled": {"on"}, "password": {"desk-pass-0a9d"}, "save_password": {"on"}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("add the account: %s %s", r.Status, body)
	}
	x := "/xmpp/" + strconv.Itoa(a.queryInt(t, `SELECT id FROM accounts WHERE user = 'desk'`))
	if r, body := a.do(t, "POST", x+"/pin", url.Values{"fingerprint": {fingerprint.Format(srv.Fingerprint)}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("pin: %s %s", r.Status, body)
	}
	a.pollPage(t, x, "connected", func(body string) bool { return strings.Contains(body, `<span id="xmpp-status">connected</span>`) })

	// 1. The key, from the Generate button.
	if r, body := a.do(t, "POST", x+"/otr/key", nil, csrf); r.StatusCode >= 400 {
		t.Fatalf("generate: %s %s", r.Status, body)
	}
	keyPage := a.pollPage(t, x+"/otr", "key generated", func(body string) bool { return strings.Contains(body, `id="own-fingerprint"`) })
	ours := regexp.MustCompile(`id="own-fingerprint">([0-9A-F ]{44})<`).FindStringSubmatch(keyPage)
	if ours == nil {
		t.Fatalf("no fingerprint in 5 groups of 8 on the key page:\n%s", keyPage)
	}

	eve := mcabber.Start(t, mcabber.Config{JID: eveJID, Password: "eve-pass-0a9d", Addr: srv.Addr})
	eve.Command("add " + deskJID + " Desk") // mcabber ignores OTR from people not in its roster
	observer := newWireObserver(t, srv, "eve", "eve-pass-0a9d")

	chat := x + "/chat?with=" + url.QueryEscape(eveJID)
	send := func(body string) {
		t.Helper()
		if r, b := a.do(t, "POST", x+"/chat", url.Values{"with": {eveJID}, "body": {body}}, csrf); r.StatusCode >= 400 {
			t.Fatalf("send %q: %s %s", body, r.Status, b)
		}
	}
	otrDo := func(action string, form url.Values) {
		t.Helper()
		form.Set("with", eveJID)
		if r, b := a.do(t, "POST", x+"/otr/"+action, form, csrf); r.StatusCode >= 400 {
			t.Fatalf("%s: %s %s", action, r.Status, b)
		}
	}

	// 2. Held until private; Padlock starts OTR; mcabber reads it and echoes.
	send("hello-over-otr-1")
	a.pollPage(t, chat, "the echo, decrypted", func(body string) bool {
		return strings.Contains(body, `data-lock="private-unverified"`) && strings.Contains(body, ">echo: hello-over-otr-1<")
	})
	if !strings.Contains(eve.Echoed(), "IN "+deskJID+": hello-over-otr-1") {
		t.Fatalf("mcabber did not read the message:\n%s", eve.Echoed())
	}
	send("second-over-otr-2")
	a.pollPage(t, chat, "the second echo", func(body string) bool { return strings.Contains(body, ">echo: second-over-otr-2<") })

	// 3. SMP: mcabber asks (right, then wrong), then Padlock asks.
	smp := func(want string) {
		t.Helper()
		a.pollPage(t, chat, "authentication "+want, func(body string) bool { return strings.Contains(body, "Authentication: "+want) })
	}
	eve.Command("otr smpq " + deskJID + " blue-door-17")
	smp("asked")
	otrDo("smp", url.Values{"secret": {"blue-door-17"}})
	smp("succeeded")
	a.pollPage(t, chat, "verified", func(body string) bool { return strings.Contains(body, `data-lock="private-verified"`) })

	eve.Command("otr smpq " + deskJID + " red-door-18")
	smp("asked")
	otrDo("smp", url.Values{"secret": {"green-door-19"}})
	smp("failed")

	otrDo("smp", url.Values{"question": {"Which door?"}, "secret": {"blue-door-17"}})
	// mcabber shows no notice of an incoming SMP: answer after a moment,
	// and again if it was too early (an answer with nothing asked is ignored).
	deadline := time.Now().Add(20 * time.Second)
	for {
		time.Sleep(500 * time.Millisecond)
		eve.Command("otr smpr " + deskJID + " blue-door-17")
		_, body := a.do(t, "GET", chat, nil, "")
		if strings.Contains(body, "Authentication: succeeded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SMP asked by Padlock did not succeed:\n%s\n%s", pageOTR(body), eve.Screen())
		}
	}

	// 4. The chat page in a real browser follows the lock state live: end
	// the private conversation, type a message (held, OTR restarted by
	// Padlock), and the verified lock comes back with the echo.
	b := a.openBrowser(t)
	b.open(chat)
	b.login(testPassword)
	b.waitFor("verified lock shown", `document.getElementById("otr-lock").textContent === "Private and verified"`)
	b.waitFor("both fingerprints in the dialog", `document.getElementById("otr-ours").textContent === `+jsString(ours[1])+
		` && /^[0-9A-F]{8}( [0-9A-F]{8}){4}$/.test(document.getElementById("otr-theirs").textContent)`)
	b.act(chromedp.Click("#otr-end", chromedp.ByQuery))
	b.waitFor("plaintext lock shown", `document.getElementById("otr-lock").textContent.startsWith("Not private")`)
	b.fill("#body", "third-over-otr-3")
	b.act(chromedp.Click("#send", chromedp.ByQuery))
	b.waitFor("echo after OTR restarted, verified again", `[...document.querySelectorAll("#lines li.in")].some(l => l.querySelector(".body").textContent === "echo: third-over-otr-3")
		&& document.getElementById("otr-lock").textContent === "Private and verified" && document.getElementById("otr-held").hidden`)

	// 5. A contact whose client has no OTR gets only the OTR request, never
	// the text, and the chat page says why the message waits.
	carol := newWireObserver(t, srv, "carol", "carol-pass-0a9d")
	carolJID := "carol@" + srv.Domain
	if r, b := a.do(t, "POST", x+"/chat", url.Values{"with": {carolJID}, "body": {"not-for-clear-4"}}, csrf); r.StatusCode >= 400 {
		t.Fatalf("send to carol: %s %s", r.Status, b)
	}
	a.pollPage(t, x+"/chat?with="+url.QueryEscape(carolJID), "why the message is held", func(body string) bool {
		return strings.Contains(body, `<p id="otr-held" class="error">1 message(s) held back: private messaging is required`) &&
			strings.Contains(body, `class="out pending"><span class="who">You</span>`) && strings.Contains(body, `<span class="body">not-for-clear-4</span>`)
	})
	for end := time.Now().Add(wait); len(carol.fromPadlock(deskJID)) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("carol never got the request to start OTR")
		}
	}
	for _, m := range carol.fromPadlock(deskJID) {
		if !strings.HasPrefix(m, "?OTRv") || strings.Contains(m, "not-for-clear-4") {
			t.Fatalf("carol (no OTR) received %q", m)
		}
	}

	// 6. On the wire: only OTR, v3, with one sender tag for Padlock.
	msgs := observer.fromPadlock(deskJID)
	var data []string
	tags := map[uint32]bool{}
	for _, m := range msgs {
		if strings.Contains(m, "over-otr") || !strings.HasPrefix(m, "?OTR") {
			t.Fatalf("a message to mcabber was not OTR: %q", m)
		}
		if strings.HasPrefix(m, "?OTR:AAMD") {
			data = append(data, m)
		}
		if strings.HasPrefix(m, "?OTR:AAM") {
			tags[v3SenderTag(t, m)] = true
		}
	}
	if len(data) < 2 || len(tags) != 1 {
		t.Fatalf("want v3 data messages with one sender tag: %d data messages, tags %v (of %d messages)", len(data), tags, len(msgs))
	}
	var tag uint32
	for tg := range tags {
		tag = tg
	}
	cmd := exec.Command(otrParse)
	cmd.Stdin = strings.NewReader(data[0] + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("otr_parse: %v\n%s", err, out)
	}
	want := "Sender instance: " + strconv.FormatUint(uint64(tag), 10)
	if !strings.Contains(string(out), "Data Message") || !strings.Contains(string(out), "Version: 03") || !strings.Contains(string(out), want) {
		t.Fatalf("otr_parse does not show a v3 Data Message with %q:\n%s", want, out)
	}
}

// pollPage GETs path until ok holds on its body, and returns the body.
func (a *app) pollPage(t *testing.T, path, what string, ok func(body string) bool) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		r, body := a.do(t, "GET", path, nil, "")
		if r.StatusCode == http.StatusOK && ok(body) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out waiting for %s\n%s", path, what, pageOTR(body))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pageOTR cuts the privacy part and the messages out of a chat page.
func pageOTR(body string) string {
	if i := strings.Index(body, `<div id="otr"`); i >= 0 {
		body = body[i:]
	}
	return body[:min(len(body), 4000)]
}

// wireObserver is a second session of the peer's account: prosody gives it
// a copy of every chat message sent to the bare address.
type wireObserver struct {
	mu   sync.Mutex
	msgs []xmpp.Message
}

func newWireObserver(t *testing.T, srv *prosody.Server, user, pw string) *wireObserver {
	t.Helper()
	c, err := xmpp.Dial(context.Background(), xmpp.Config{JID: user + "@" + srv.Domain, Password: []byte(pw),
		Server: srv.Addr, PinnedFingerprint: srv.Fingerprint, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("observer: %v", err)
	}
	o := &wireObserver{}
	go func() {
		for ev := range c.Events() {
			if m, ok := ev.(xmpp.Message); ok {
				o.mu.Lock()
				o.msgs = append(o.msgs, m)
				o.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return o
}

func (o *wireObserver) fromPadlock(jid string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, m := range o.msgs {
		if m.From == jid {
			out = append(out, m.Body)
		}
	}
	return out
}

// v3SenderTag reads the sender instance tag of an encoded v3 OTR message.
func v3SenderTag(t *testing.T, msg string) uint32 {
	t.Helper()
	b64, _, _ := strings.Cut(strings.TrimPrefix(msg, "?OTR:"), ".")
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) < 11 {
		t.Fatalf("not an encoded OTR message: %.40q", msg)
	}
	return binary.BigEndian.Uint32(b[3:7])
}
