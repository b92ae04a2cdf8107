// Package image_test builds the Padlock gokrazy image, checks that it is
// reproducible, and boots it under qemu-system-aarch64 (software emulation)
// to run the first-run flow through the port-forwarded web admin and check
// that the master password survives a reboot (perm is persistent).
package image_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/image"
	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/internal/testkit/ports"
	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/webadmin"
)

const updatePassword = "test-update-password"

var (
	buildOnce sync.Once
	built     image.Result
	builtImg  string
	// pristineImg is the second, identical build, never booted.
	pristineImg string
	buildErr    error
	buildDir    string
	cfg         image.Config // of the built image
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildImage builds the QEMU image once per test run, twice in fact: the
// second build must give the same bytes.
func buildImage(t testing.TB) (image.Result, string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "padlock-image-test-")
		if buildErr != nil {
			return
		}
		var mod string
		if mod, buildErr = image.ModuleRoot(); buildErr != nil {
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		cfg = image.Config{
			ModuleDir: mod, CacheDir: filepath.Join(cache, "padlock", "image"),
			QEMU: true, Audio: "malgo", Password: updatePassword,
			Epoch: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
		}
		var logs [2]bytes.Buffer
		var res [2]image.Result
		for i := range 2 {
			cfg.Out = filepath.Join(buildDir, fmt.Sprintf("padlock-%d.img", i))
			cfg.Log = &logs[i]
			res[i], buildErr = image.Build(context.Background(), cfg)
			if buildErr != nil {
				buildErr = fmt.Errorf("build %d: %w\n%s", i+1, buildErr, logs[i].String())
				return
			}
		}
		if res[0].SHA256 != res[1].SHA256 {
			buildErr = fmt.Errorf("two builds of the same tree differ: sha256 %s and %s, first at %s\n%s\n%s",
				res[0].SHA256, res[1].SHA256, firstDifference(res[0].Layout, filepath.Join(buildDir, "padlock-0.img"), cfg.Out),
				logs[0].String(), logs[1].String())
			return
		}
		// padlock-0.img is booted (and so changed); padlock-1.img stays as
		// built, for the tests that read it.
		built, builtImg, pristineImg = res[0], filepath.Join(buildDir, "padlock-0.img"), filepath.Join(buildDir, "padlock-1.img")
		fmt.Fprintf(os.Stderr, "image: %s in %s, root %d bytes\n", res[0].SHA256, res[0].Took.Round(time.Second), res[0].RootSize)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built, builtImg
}

// firstDifference says where two images first differ.
func firstDifference(l image.Layout, a, b string) string {
	fa, err := os.Open(a)
	if err != nil {
		return err.Error()
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err.Error()
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); ; off += int64(len(ba)) {
		na, _ := io.ReadFull(fa, ba)
		nb, _ := io.ReadFull(fb, bb)
		for i := range min(na, nb) {
			if ba[i] != bb[i] {
				at := off + int64(i)
				for n := 1; n <= 4; n++ {
					if start := int64(l.Start(n)) * 512; at >= start && at < start+int64(l.Size(n))*512 {
						return fmt.Sprintf("byte %d (partition %d, offset %d in it)", at, n, at-start)
					}
				}
				return fmt.Sprintf("byte %d (partition table)", at)
			}
		}
		if na != nb || na < len(ba) {
			return "nowhere in the common length"
		}
	}
}

func TestImageIsReproducible(t *testing.T) {
	res, img := buildImage(t)
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := image.ReadPartitionTable(f)
	if err != nil {
		t.Fatal(err)
	}
	if l != res.Layout {
		t.Errorf("image's partition table %+v, built %+v", l, res.Layout)
	}
}

// freePort is a loopback TCP port reserved for the test, for QEMU to
// forward (testkit/ports).
func freePort(t testing.TB) int {
	t.Helper()
	return ports.Reserve(t, 1, ports.TCPOnly)[0]
}

// device is a booted image and the ways into it.
type device struct {
	web, gokrazy string // base URLs on the host
	boots        chan int
	serial       *output.Buffer
	exited       chan struct{} // closed when QEMU's runner returns, with runErr
	runErr       error
	wav          string // the emulated USB headset's playback
	stop         func() // ends QEMU (also done when the test ends)
}

// boot starts QEMU on img; the returned device stops when the test ends.
func boot(t testing.TB, img string) *device {
	t.Helper()
	for attempt := 1; ; attempt++ {
		d := start(t, img)
		// A port that freePort found free may be taken before QEMU binds
		// it (other tests run beside this one): then QEMU stops at once.
		select {
		case <-d.exited:
			if attempt < 3 && strings.Contains(d.serial.String(), "forwarding") {
				continue
			}
			t.Fatalf("QEMU stopped: %v\n%s", d.runErr, tail(d.serial.String(), 2000))
		case <-time.After(3 * time.Second):
		}
		return d
	}
}

// start starts QEMU on img; it stops when the test ends.
func start(t testing.TB, img string) *device {
	https, gk := freePort(t), freePort(t)
	d := &device{
		web:     fmt.Sprintf("https://127.0.0.1:%d", https),
		gokrazy: fmt.Sprintf("http://127.0.0.1:%d", gk),
		boots:   make(chan int, 8),
		serial:  &output.Buffer{},
		exited:  make(chan struct{}),
	}
	d.wav = filepath.Join(t.TempDir(), "headset.wav")
	q := &image.QEMU{
		Image:   img,
		Forward: map[int]int{https: 443, gk: 8080},
		WAV:     d.wav,
		Serial:  d.serial,
		Boots:   d.boots,
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		d.runErr = q.Run(ctx)
		close(d.exited)
	}()
	d.stop = func() {
		cancel()
		<-d.exited
	}
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			t.Logf("serial console:\n%s", tail(d.serial.String(), 6000))
		}
	})
	return d
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// client trusts no certificate by itself; the test pins the device's.
func client(pin string) *http.Client {
	return &http.Client{
		// Generous: setting the master password runs argon2id (80 MiB)
		// under software emulation, on a machine busy with other tests.
		Timeout: 3 * time.Minute,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, // the certificate is checked below, against the device's own log
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if pin != "" && (len(raw) == 0 || webadmin.Fingerprint(raw[0]) != pin) {
					return errors.New("the web admin presented a certificate that is not the device's")
				}
				return nil
			},
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// waitWeb polls the web admin until it answers, and returns the
// fingerprint of the certificate it presents.
func (d *device) waitWeb(t testing.TB, deadline time.Duration) string {
	t.Helper()
	stop := time.Now().Add(deadline)
	var last error
	for time.Now().Before(stop) {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(d.web, "https://"),
			&tls.Config{InsecureSkipVerify: true}) // only to read the certificate; it is compared with the device's
		if err == nil {
			certs := conn.ConnectionState().PeerCertificates
			conn.Close()
			if len(certs) > 0 {
				return webadmin.Fingerprint(certs[0].Raw)
			}
		}
		last = err
		select {
		case <-d.exited:
			t.Fatalf("QEMU stopped: %v", d.runErr)
		case <-time.After(time.Second):
		}
	}
	t.Fatalf("the web admin did not answer within %s: %v", deadline, last)
	return ""
}

// gokrazyGet fetches a page of gokrazy's own interface (basic auth).
func (d *device) gokrazyDo(t testing.TB, method, path string) string {
	t.Helper()
	req, err := http.NewRequest(method, d.gokrazy+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("gokrazy", updatePassword)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("gokrazy %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("gokrazy %s %s: %s\n%s", method, path, resp.Status, body)
	}
	return string(body)
}

var fingerprintRe = regexp.MustCompile(`certificate_sha256=([0-9A-F:]{95})`)

// deviceFingerprint reads the fingerprint the appliance logged at start,
// from its log on gokrazy's authenticated interface.
func (d *device) deviceFingerprint(t testing.TB) string {
	t.Helper()
	for range 30 {
		if fp := d.scanLog(t); fp != "" {
			return fp
		}
		time.Sleep(time.Second)
	}
	t.Fatal("the appliance's log on gokrazy's interface names no certificate_sha256")
	return ""
}

// scanLog reads the appliance's stderr (a stream that stays open) for a
// while and returns the last fingerprint it names.
func (d *device) scanLog(t testing.TB) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.gokrazy+"/log?path=/user/appliance&stream=stderr", nil)
	req.SetBasicAuth("gokrazy", updatePassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if m := fingerprintRe.FindStringSubmatch(sc.Text()); m != nil {
			return m[1]
		}
	}
	return ""
}

func (d *device) waitBoot(t testing.TB, n int, deadline time.Duration) {
	t.Helper()
	select {
	case got := <-d.boots:
		if got != n {
			t.Fatalf("boot %d, want %d", got, n)
		}
	case <-d.exited:
		t.Fatalf("QEMU stopped: %v", d.runErr)
	case <-time.After(deadline):
		t.Fatalf("boot %d did not start within %s", n, deadline)
	}
}

// TestFirstRunRebootUpdate is the appliance's first run on the image:
// set the master password through the web admin, reboot through gokrazy,
// and find the password still set (perm persisted); then push a newer root
// through gokrazy's update endpoints and boot into it, password still set.
func TestFirstRunRebootUpdate(t *testing.T) {
	_, img := buildImage(t)
	d := boot(t, img)
	d.waitBoot(t, 1, time.Minute)
	presented := d.waitWeb(t, 4*time.Minute)
	if want := d.deviceFingerprint(t); presented != want {
		t.Fatalf("web admin presented certificate %s, the device logged %s", presented, want)
	}
	c := client(presented)

	if loc := redirect(t, c, d.web+"/"); loc != "/setup" {
		t.Fatalf("first run: / redirects to %q, want /setup", loc)
	}
	form := url.Values{"password": {"violet ferry quartz 47 lantern"}, "confirm": {"violet ferry quartz 47 lantern"}}
	req, _ := http.NewRequest(http.MethodPost, d.web+"/setup", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /setup: %s\n%s", resp.Status, body)
	}
	if loc := redirect(t, c, d.web+"/setup"); loc != "/login" {
		t.Fatalf("after setup, /setup redirects to %q, want /login", loc)
	}
	d.ringInHeadset(t, c, resp.Cookies())

	d.gokrazyDo(t, http.MethodPost, "/reboot")
	d.waitBoot(t, 2, 2*time.Minute)
	again := d.waitWeb(t, 4*time.Minute)
	if again != presented {
		t.Errorf("after the reboot the certificate changed: %s, was %s (perm lost?)", again, presented)
	}
	if loc := redirect(t, client(again), d.web+"/"); loc != "/login" {
		t.Fatalf("after the reboot / redirects to %q, want /login: the master password was lost", loc)
	}

	// An update: the same tree a day later, so its build stamp differs.
	newer := cfg
	newer.Epoch += 24 * 60 * 60
	newer.Out = filepath.Join(t.TempDir(), "root.squashfs")
	var log bytes.Buffer
	newer.Log = &log
	if _, err := image.BuildRoot(context.Background(), newer); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	stamp := time.Unix(newer.Epoch, 0).UTC().Format("2006-01-02T15:04:05Z")
	if strings.Contains(d.gokrazyDo(t, http.MethodGet, "/"), stamp) {
		t.Fatalf("the device runs %s before the update", stamp)
	}
	if err := image.Update(context.Background(), nil, d.gokrazy, updatePassword, newer.Out, true, t.Logf); err != nil {
		t.Fatal(err)
	}
	d.waitBoot(t, 3, 2*time.Minute)
	afterUpdate := d.waitWeb(t, 4*time.Minute)
	if page := d.gokrazyDo(t, http.MethodGet, "/"); !strings.Contains(page, "built at "+stamp) {
		t.Errorf("after the update gokrazy's page does not say built at %s", stamp)
	}
	if !strings.Contains(d.serial.String(), "PARTNROFF=2") {
		t.Errorf("the third boot did not use the second root partition")
	}
	if loc := redirect(t, client(afterUpdate), d.web+"/"); loc != "/login" {
		t.Fatalf("after the update / redirects to %q, want /login: the master password was lost", loc)
	}
}

// redirect GETs u and returns where it redirects to ("" if it does not).
func redirect(t testing.TB, c *http.Client, u string) string {
	t.Helper()
	var last error
	for range 10 {
		resp, err := c.Get(u)
		if err != nil {
			last = err
			time.Sleep(2 * time.Second)
			continue
		}
		resp.Body.Close()
		return resp.Header.Get("Location")
	}
	t.Fatalf("GET %s: %v", u, last)
	return ""
}

// ringInHeadset has the test line call the phone back and finds the ring
// (440 + 480 Hz) in what the emulated USB headset played: the appliance's
// malgo device, ALSA and the kernel's USB audio driver, end to end.
func (d *device) ringInHeadset(t testing.TB, c *http.Client, cookies []*http.Cookie) {
	t.Helper()
	do := func(method, path string, form url.Values, csrf string) (*http.Response, string) {
		req, _ := http.NewRequest(method, d.web+path, strings.NewReader(form.Encode()))
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Requested-With", "fetch")
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	_, home := do(http.MethodGet, "/", nil, "")
	m := regexp.MustCompile(`<meta name="csrf" content="([0-9a-f]+)">`).FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("no CSRF token on the home page (logged in?):\n%s", tail(home, 2000))
	}
	if resp, body := do(http.MethodPost, "/call/dial", url.Values{"target": {"ringback"}}, m[1]); resp.StatusCode/100 != 2 {
		t.Fatalf("POST /call/dial: %s %s", resp.Status, body)
	}
	deadline := time.Now().Add(90 * time.Second)
	var best [3]float64
	for time.Now().Before(deadline) {
		time.Sleep(2 * time.Second)
		// The ring has pauses: look at quarter seconds of the last 10 s.
		pcm := lastSamples(d.wav, 10*headsetRate)
		const win = headsetRate / 4
		for i := 0; i+win <= len(pcm); i += win {
			w := pcm[i : i+win]
			lo, hi, off := goertzel(w, headsetRate, 440), goertzel(w, headsetRate, 480), goertzel(w, headsetRate, 1000)
			if lo+hi > best[0]+best[1] {
				best = [3]float64{lo, hi, off}
			}
			if lo > 0.01 && hi > 0.01 && off < min(lo, hi)/4 {
				t.Logf("ring in the headset: 440 Hz %.3f, 480 Hz %.3f, 1000 Hz %.4f", lo, hi, off)
				return
			}
		}
	}
	t.Fatalf("no ring in the headset's playback (%s): at best 440 Hz %.4f, 480 Hz %.4f, 1000 Hz %.4f", d.wav, best[0], best[1], best[2])
}

// headsetRate is the QEMU wav backend's rate (image.QEMU sets 16 kHz mono).
const headsetRate = 16000

// lastSamples reads up to n samples from the end of QEMU's wav file (16-bit
// mono; its header holds the sizes only once QEMU exits, so the data is
// taken to run from byte 44 to the end).
func lastSamples(name string, n int) []int16 {
	b, err := os.ReadFile(name)
	if err != nil || len(b) < 44 {
		return nil
	}
	b = b[44:]
	b = b[:len(b)&^1]
	if len(b) > 2*n {
		b = b[len(b)-2*n:]
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return pcm
}

// goertzel is the amplitude (full scale 1) of freq in pcm (tone.Level).
func goertzel(pcm []int16, rate int, freq float64) float64 { return tone.Level(pcm, rate, freq) }
