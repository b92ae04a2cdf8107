package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOwnerGestureClearsThrottle: guesses from 40 addresses push the
// device-wide throttle so a new browser is refused; HANGUP and SAS held
// together on the (simulated) board for 5.6 s clear it, and the same new
// browser logs in. The whole path: sim pins, debouncer, brain, web admin.
func TestOwnerGestureClearsThrottle(t *testing.T) {
	a := startAppliance(t)
	csrf := a.setUp(t)
	tlsConf := a.client.Transport.(*http.Transport).TLSClientConfig
	from := func(ip net.IP) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf, DialContext: d.DialContext},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	login := func(c *http.Client, pw string) int {
		req, _ := http.NewRequest("POST", a.base+"/login", strings.NewReader(url.Values{"password": {pw}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	// One after the other: at once, most would find the KDF queue full
	// and not count at all.
	for i := range 40 {
		login(from(net.IPv4(127, 0, 3, byte(1+i))), fmt.Sprintf("wrong guess %d", i))
	}
	laptop := from(net.IPv4(127, 0, 4, 1))
	if code := login(laptop, testPassword); code != http.StatusTooManyRequests {
		t.Fatalf("a new browser after 40 wrong guesses: %d, want 429 (the device-wide limit)", code)
	}
	// The owner at the phone: both buttons, held together.
	for _, b := range []string{"hangup", "sas"} {
		if r, body := a.do(t, "POST", "/panel/press", url.Values{"button": {b}, "hold_ms": {"5600"}}, csrf); r.StatusCode != http.StatusNoContent {
			t.Fatalf("press %s: %s %s", b, r.Status, body)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(a.logs.String(), "login throttle cleared") {
		if time.Now().After(deadline) {
			t.Fatalf("the gesture did not clear the throttle:\n%s", a.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := login(laptop, testPassword); code != http.StatusSeeOther {
		t.Fatalf("the new browser after the gesture: %d, want 303", code)
	}
}
