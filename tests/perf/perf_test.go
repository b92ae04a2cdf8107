// Package perf measures Padlock beside the softphones it replaces: CPU
// per established call and at idle, memory after unlock, and how fast a
// call is secured, in one run on this machine (issue 19). It holds
// benchmarks only; `make perf` runs them in a private network namespace
// and docs/BENCHMARKS.md keeps the figures. Nothing here passes or fails
// on a figure.
package perf

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/internal/testkit/admin"
	"github.com/padlock-phone/padlock/internal/testkit/output"
	"github.com/padlock-phone/padlock/internal/testkit/tone"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

var (
	callFor = flag.Duration("perf.call", 60*time.Second, "how long each established call is measured")
	idleFor = flag.Duration("perf.idle", 30*time.Second, "how long the idle phone is measured")
	logTo   = flag.String("perf.log", "", "append the appliance's log (its stderr: GODEBUG=gctrace=1 output too) to this file")
	profile = flag.String("perf.profile", "", "write Padlock's CPU profiles of the idle phone and of the call to this directory (idle.pprof, call.pprof); the profiler's own cost is then in the figures")
)

const password = "correct pony staple battery"

// appliance is bin/appliance running as its own process, as on the
// phone: the shipped argon2id cost, the simulated board, file audio.
type appliance struct {
	cmd   *exec.Cmd
	admin *admin.Client
	logs  *output.Buffer
	data  string
	ear   string
}

// lockedBuffer is the appliance's log, written by its process and read
// binary is the appliance to measure: $PADLOCK_APPLIANCE (make perf
// builds it outside the namespace), else built here.
func binary(b *testing.B) string {
	if p := os.Getenv("PADLOCK_APPLIANCE"); p != "" {
		return p
	}
	out := filepath.Join(b.TempDir(), "appliance")
	build := exec.Command("go", "build", "-o", out, "github.com/padlock-phone/padlock/cmd/appliance")
	if msg, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

var webLine = regexp.MustCompile(`web=(https://\S+)`)

// start runs the appliance on data (kept across restarts) and waits until
// its web admin listens.
func start(b *testing.B, bin, data, ear string) *appliance {
	b.Helper()
	a := &appliance{logs: &output.Buffer{}, data: data, ear: ear}
	args := []string{"-data", data, "-board", "sim", "-audio", "file:" + ear + ",loop",
		"-http", "127.0.0.1:0", "-https", "127.0.0.1:0", "-sip", "127.0.0.1:0"}
	if *profile != "" {
		args = append(args, "-pprof")
	}
	a.cmd = exec.Command(bin, args...)
	a.cmd.Stderr = a.logs
	if *logTo != "" {
		f, err := os.OpenFile(*logTo, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		a.cmd.Stderr = io.MultiWriter(a.logs, f)
	}
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := webLine.FindStringSubmatch(a.logs.String()); m != nil {
			pem, err := os.ReadFile(filepath.Join(data, "webadmin-cert.pem"))
			if err != nil {
				b.Fatal(err)
			}
			a.admin = admin.New(m[1], pem)
			a.admin.Logs = a.logs.String
			return a
		}
		if time.Now().After(deadline) {
			b.Fatalf("appliance did not start in 30 s:\n%s", a.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (a *appliance) pid() int { return a.cmd.Process.Pid }

// profile, with -perf.profile, fetches a CPU profile of the next d from the
// web admin's /debug/pprof into name; the returned function waits for it.
func (a *appliance) profile(b *testing.B, name string, d time.Duration) (wait func()) {
	if *profile == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(int(d/time.Second)-1, 1)
		resp, body := a.admin.Do(b, "GET", fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), nil, "")
		if resp.StatusCode != 200 {
			b.Errorf("profile %s: %s", name, resp.Status)
			return
		}
		if err := os.WriteFile(filepath.Join(*profile, name), []byte(body), 0o644); err != nil {
			b.Error(err)
		}
	}()
	return func() { <-done }
}

// stop ends the appliance the way gokrazy does (SIGTERM) and waits.
func (a *appliance) stop() {
	if a.cmd == nil || a.cmd.Process == nil || a.cmd.ProcessState != nil {
		return
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { a.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// BenchmarkSideBySide is one run of everything issue 19 measures:
//
//   - the first unlock in a fresh process and the RSS after it;
//   - the idle phone (unlocked, one registered SIP account);
//   - a ZRTP PCMU call Padlock -> linphonec (bob), and the same call
//     linphonec (carol) -> linphonec (bob), both through kamailio, each
//     established for -perf.call with a tone both ways: CPU per process,
//     dial -> secured, the ratios;
//   - the largest RSS seen after the unlock, in the call and idle.
//
// Run it with -benchtime 1x (make perf): every iteration is minutes long.
func BenchmarkSideBySide(b *testing.B) {
	bin := binary(b)
	kam := kamailio.Start(b, kamailio.User{Name: "alice", Password: "alice-pw"},
		kamailio.User{Name: "bob", Password: "bob-pw"}, kamailio.User{Name: "carol", Password: "carol-pw"})
	peer := func(user string, answer bool) *linphone.Phone {
		return linphone.Start(b, linphone.Config{User: user, Password: user + "-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
			AutoAnswer: answer, MediaEncryption: "zrtp", Mandatory: true, Codecs: []string{"PCMU/8000"}})
	}
	bob, carol := peer("bob", true), peer("carol", false)
	talk := int((*callFor + 20*time.Second) / time.Second)
	tone.WriteTone(b, filepath.Join(bob.Dir, "talk.wav"), 440, talk)
	tone.WriteTone(b, filepath.Join(carol.Dir, "talk.wav"), 700, talk)

	for range b.N {
		data, ear := b.TempDir(), b.TempDir()
		tone.WriteTone(b, filepath.Join(ear, "in.wav"), 700, 10)
		a := start(b, bin, data, ear)
		a.admin.SetUp(b, password)
		a.stop()

		// The first unlock in a process: what a restarted phone does.
		a = start(b, bin, data, ear)
		began := time.Now()
		csrf := a.admin.LogIn(b, password)
		unlock := time.Since(began)
		peak := watchRSS(a.pid())
		afterUnlock, err := rss(a.pid())
		if err != nil {
			b.Fatal(err)
		}
		a.admin.AddRegisteredSIPAccount(b, csrf, admin.SIPAccount{User: "alice", Password: "alice-pw", Server: "127.0.0.1", Port: kam.Port})

		stopProfile := a.profile(b, "idle.pprof", *idleFor)
		idle, err := cpuShare(*idleFor, a.pid())
		stopProfile()
		if err != nil {
			b.Fatal(err)
		}
		idleRSS, _ := rss(a.pid())

		// Padlock -> bob.
		began = time.Now()
		a.admin.Post(b, "/call/dial", url.Values{"target": {"sip:bob@127.0.0.1"}}, csrf)
		a.admin.WaitState(b, "security", "secured")
		padlockSecured := time.Since(began)
		// Each side plays a tone and records what it hears, as Padlock's
		// file headset always does (out.wav): the same work on both ends.
		bob.Play(b, filepath.Join(bob.Dir, "talk.wav"))
		bob.Record(b, filepath.Join(bob.Dir, "heard.wav"))
		stopProfile = a.profile(b, "call.pprof", *callFor)
		inCall, err := cpuShare(*callFor, a.pid(), bob.PID())
		stopProfile()
		if err != nil {
			b.Fatal(err)
		}
		callRSS, _ := rss(a.pid())
		a.admin.Post(b, "/call/hangup", nil, csrf)
		a.admin.WaitState(b, "status", "idle")

		// carol -> bob: the same call between two linphonecs.
		mark := carol.Mark()
		began = time.Now()
		carol.Send(b, "call sip:bob@127.0.0.1")
		carol.WaitSAS(b, mark, 15*time.Second)
		linphoneSecured := time.Since(began)
		carol.Play(b, filepath.Join(carol.Dir, "talk.wav"))
		carol.Record(b, filepath.Join(carol.Dir, "heard.wav"))
		bob.Play(b, filepath.Join(bob.Dir, "talk.wav"))
		bob.Record(b, filepath.Join(bob.Dir, "heard.wav"))
		between, err := cpuShare(*callFor, carol.PID(), bob.PID())
		if err != nil {
			b.Fatal(err)
		}
		mark = carol.Mark()
		carol.Send(b, "terminate")
		carol.WaitForAfter(b, mark, "ended", 10*time.Second)
		peak.Stop()
		a.stop()

		b.ReportMetric(float64(unlock.Milliseconds()), "unlock-ms")
		b.ReportMetric(mb(afterUnlock), "rss-after-unlock-MB")
		b.ReportMetric(mb(peak.Peak()), "rss-peak-after-unlock-MB")
		b.ReportMetric(idle[0], "idle-cpu-%")
		b.ReportMetric(mb(idleRSS), "rss-idle-MB")
		b.ReportMetric(inCall[0], "padlock-call-cpu-%")
		b.ReportMetric(inCall[1], "linphonec-callee-cpu-%")
		b.ReportMetric(inCall[0]/inCall[1], "cpu-ratio")
		b.ReportMetric(between[0], "linphonec-caller-cpu-%")
		b.ReportMetric(between[1], "linphonec-callee2-cpu-%")
		b.ReportMetric(mb(callRSS), "rss-call-MB")
		b.ReportMetric(float64(padlockSecured.Milliseconds()), "padlock-dial-secured-ms")
		b.ReportMetric(float64(linphoneSecured.Milliseconds()), "linphonec-dial-secured-ms")
		b.ReportMetric(padlockSecured.Seconds()/linphoneSecured.Seconds(), "secured-ratio")
		b.Logf("\n%s", table([][]string{
			{"metric", "Padlock", "linphonec", "ratio"},
			{"CPU, established ZRTP PCMU call (% of a core)", pct(inCall[0]), pct(inCall[1]) + " (callee of Padlock); " + pct(between[0]) + " / " + pct(between[1]) + " (caller / callee, linphonec to linphonec)", ratio(inCall[0], inCall[1])},
			{"CPU, idle, unlocked, one account", pct(idle[0]), "", ""},
			{"RSS right after the first unlock", fmt.Sprintf("%.1f MB", mb(afterUnlock)), "", ""},
			{"RSS at most, after unlock (idle and call)", fmt.Sprintf("%.1f MB", mb(peak.Peak())), "", ""},
			{"first unlock in a process", unlock.Round(time.Millisecond).String(), "", ""},
			{"dial -> secured (auto-answering callee)", padlockSecured.Round(time.Millisecond).String(), linphoneSecured.Round(time.Millisecond).String(), ratio(padlockSecured.Seconds(), linphoneSecured.Seconds())},
		}))
	}
}

func mb(n int64) float64        { return float64(n) / 1e6 }
func pct(f float64) string      { return fmt.Sprintf("%.2f %%", f) }
func ratio(a, b float64) string { return fmt.Sprintf("%.2f", a/b) }

// table is rows as a Markdown table, for pasting into BENCHMARKS.md.
func table(rows [][]string) string {
	var buf bytes.Buffer
	for i, r := range rows {
		buf.WriteString("|")
		for _, c := range r {
			buf.WriteString(" " + c + " |")
		}
		buf.WriteString("\n")
		if i == 0 {
			buf.WriteString("|" + strings.Repeat("---|", len(r)) + "\n")
		}
	}
	return buf.String()
}
