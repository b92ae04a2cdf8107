package image_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/image"
)

// webSession is a logged-in browser of the booted device's web admin.
type webSession struct {
	t    testing.TB
	d    *device
	c    *http.Client
	csrf string
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]+)">`)

func (d *device) session(t testing.TB, pin string) *webSession {
	c := client(pin)
	c.Jar, _ = cookiejar.New(nil)
	return &webSession{t: t, d: d, c: c}
}

func (s *webSession) send(req *http.Request) (*http.Response, string) {
	s.t.Helper()
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfMeta.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	return resp, string(b)
}

func (s *webSession) get(path string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, s.d.web+path, nil)
	return s.send(req)
}

func (s *webSession) post(path string, form url.Values) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodPost, s.d.web+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(req)
}

// TestUpdateFromWebAdmin: the person uploads a newer root file system on
// the web admin's maintenance page; the appliance writes it through
// gokrazy's update endpoints on the device, checks it, switches and
// reboots; the device comes back on the second root partition with the
// new build stamp on the status page, and the master password and the
// phonebook are still there.
func TestUpdateFromWebAdmin(t *testing.T) {
	buildImage(t)
	// This test boots its own copy of the image as built: the other test
	// boots (and updates) the first build.
	mine := filepath.Join(t.TempDir(), "padlock.img")
	if out, err := exec.Command("cp", "--sparse=always", pristineImg, mine).CombinedOutput(); err != nil {
		t.Fatalf("copy the image: %v\n%s", err, out)
	}
	d := boot(t, mine)
	d.waitBoot(t, 1, time.Minute)
	fp := d.waitWeb(t, 4*time.Minute)
	if want := d.deviceFingerprint(t); fp != want {
		t.Fatalf("web admin presented certificate %s, the device logged %s", fp, want)
	}
	const master = "heron basalt violin 62 meadow"
	s := d.session(t, fp)
	if r, body := s.post("/setup", url.Values{"password": {master}, "confirm": {master}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("setup: %s\n%s", r.Status, body)
	}
	s.get("/")
	if r, body := s.post("/phonebook", url.Values{"name": {"Kept Across Updates"}, "addresses": {"1001"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("phonebook: %s\n%.500s", r.Status, body)
	}
	_, status := s.get("/status")
	oldStamp := time.Unix(cfg.Epoch, 0).UTC().Format("2006-01-02T15:04:05Z")
	if !strings.Contains(status, "padlock image "+oldStamp) {
		t.Fatalf("status page before the update does not show build %s:\n%s", oldStamp, status)
	}

	// A newer root: the same tree two days later, so its stamp differs.
	newer := cfg
	newer.Epoch += 2 * 24 * 60 * 60
	newer.Out = filepath.Join(t.TempDir(), "root.squashfs")
	var log bytes.Buffer
	newer.Log = &log
	if _, err := image.BuildRoot(context.Background(), newer); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	stamp := time.Unix(newer.Epoch, 0).UTC().Format("2006-01-02T15:04:05Z")
	root, err := os.ReadFile(newer.Out)
	if err != nil {
		t.Fatal(err)
	}

	// First something that is not a root: refused, nothing switched.
	if r, body := s.upload("/maintenance/update", url.Values{"master": {master}}, []byte("PK\x03\x04 a zip")); r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "not a root file system") {
		t.Fatalf("a zip as the root: %s\n%.500s", r.Status, body)
	}
	r, body := s.upload("/maintenance/update", url.Values{"master": {master}}, root)
	if r.StatusCode != http.StatusOK || !strings.Contains(body, `id="updated"`) {
		t.Fatalf("update: %s\n%.1000s", r.Status, body)
	}
	d.waitBoot(t, 2, 3*time.Minute)
	again := d.waitWeb(t, 4*time.Minute)
	if again != fp {
		t.Errorf("the certificate changed across the update (data lost?): %s, was %s", again, fp)
	}
	if !strings.Contains(d.serial.String(), "PARTNROFF=2") {
		t.Errorf("the second boot did not use the second root partition")
	}
	s = d.session(t, again)
	if r, body := s.post("/login", url.Values{"password": {master}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login after the update (the master password lost?): %s\n%.500s", r.Status, body)
	}
	if _, status := s.get("/status"); !strings.Contains(status, "padlock image "+stamp) {
		t.Errorf("status page after the update does not show build %s:\n%s", stamp, status)
	}
	if _, pb := s.get("/phonebook"); !strings.Contains(pb, `data-name="Kept Across Updates"`) {
		t.Errorf("the phonebook lost its entry across the update")
	}
}

// upload posts a multipart form with one file field.
func (s *webSession) upload(path string, fields url.Values, file []byte) (*http.Response, string) {
	s.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", s.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, _ := mw.CreateFormFile("file", "root.squashfs")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.d.web+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return s.send(req)
}
