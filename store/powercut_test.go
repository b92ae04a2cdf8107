package store

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
)

// The power-cut test re-executes this test binary as a writer child (see
// TestMain): the child writes accounts and history in a loop and prints each
// id after its commit returned; the parent kills it with SIGKILL at a random
// moment and checks that the database is intact and holds every write the
// child reported.
//
// SIGKILL ends the process, not the machine: it proves that the store never
// reports a write it has not committed and that SQLite's files are
// consistent at any instant, but the kernel still flushes its page cache
// afterwards. The durability of a real power cut rests on synchronous=FULL
// (checked in TestOpenSetsPragmas) and on fsync doing what it says.
const (
	envPowerCutDB  = "PADLOCK_POWERCUT_DB"
	envPowerCutKey = "PADLOCK_POWERCUT_KEYFILE"
	envPowerCutHdr = "PADLOCK_POWERCUT_HEADER"
	envPowerCutRun = "PADLOCK_POWERCUT_RUN"
	powerCutRuns   = 50
)

func TestMain(m *testing.M) {
	if os.Getenv(envPowerCutDB) != "" {
		os.Exit(powerCutChild())
	}
	os.Exit(m.Run())
}

// powerCutChild writes until killed. Output lines:
//
//	ready
//	account <id> <user>
//	history <id> <body>
//	edit <id> <user>
func powerCutChild() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "powercut child:", err)
		return 2
	}
	hdr, err := hex.DecodeString(os.Getenv(envPowerCutHdr))
	if err != nil {
		return fail(err)
	}
	kf, err := hex.DecodeString(os.Getenv(envPowerCutKey))
	if err != nil {
		return fail(err)
	}
	v, err := vault.Load(hdr)
	if err != nil {
		return fail(err)
	}
	if err := v.UnlockWithKeyFile(kf); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(envPowerCutDB), v)
	if err != nil {
		return fail(err)
	}
	s.SetHistoryLimits(HistoryLimits{}) // its entries are dated 1970: keep them
	run := os.Getenv(envPowerCutRun)
	out := os.Stdout // unbuffered: each line is one write(2) after the commit
	fmt.Fprintln(out, "ready")
	for i := 0; ; i++ {
		user := fmt.Sprintf("u%s-%d", run, i)
		id, err := s.CreateAccount(ctx, Account{Kind: SIP, User: user, Server: "example.org", Transport: UDP}, []byte("pw-"+user))
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "account %d %s\n", id, user)
		for j := range 2 {
			body := fmt.Sprintf("%s-%d", user, j)
			kind := Call
			if j == 1 {
				kind = Chat
			}
			hid, err := s.AddHistory(ctx, HistoryEntry{AccountID: id, Contact: "bob@example.org", Time: time.UnixMilli(int64(i)), Direction: Out, Kind: kind, Body: []byte(body)})
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(out, "history %d %s\n", hid, body)
		}
		// An account edit: fields and password in one transaction.
		a := Account{ID: id, Kind: SIP, User: user, Server: "example.org", Transport: UDP, DisplayName: "edited", AcceptAnySource: true}
		if err := s.EditAccount(ctx, a, PasswordChange{Change: true, Password: []byte("pw2-" + user)}); err != nil {
			return fail(err)
		}
		fmt.Fprintf(out, "edit %d %s\n", id, user)
	}
}

func TestPowerCut(t *testing.T) {
	runs := powerCutRuns
	if testing.Short() {
		runs = 5
	}
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "padlock.db")
	v, err := vault.Create([]byte("pw"), vault.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	kf, err := v.KeyFile()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dbPath, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetBool(ctx, LogChatHistory, true); err != nil {
		t.Fatal(err)
	}
	s.Close()

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := mrand.New(mrand.NewPCG(seed, 0))

	accounts := map[int64]string{} // every id a child reported committed
	history := map[int64]string{}
	edited := map[int64]bool{}
	for run := range runs {
		lines := runWriterUntilKilled(t, run, dbPath, v.Header(), kf, time.Duration(rng.IntN(40_000))*time.Microsecond)
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 {
				continue // "ready"
			}
			id, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatalf("run %d: bad line %q", run, l)
			}
			switch f[0] {
			case "account":
				accounts[id] = f[2]
			case "history":
				history[id] = f[2]
			case "edit":
				edited[id] = true
			}
		}
		checkAfterCut(t, run, dbPath, v, accounts, history, edited)
	}
	t.Logf("%d runs; %d accounts, %d edits and %d history entries reported and found", runs, len(accounts), len(edited), len(history))
	if len(history) == 0 {
		t.Fatal("no child ever committed a write: the kill delays are too short to test anything")
	}
}

// runWriterUntilKilled starts the child, waits until it is ready, lets it
// write for delay, kills it with SIGKILL and returns the complete lines it
// printed.
func runWriterUntilKilled(t *testing.T, run int, dbPath string, hdr, kf []byte, delay time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envPowerCutDB+"="+dbPath,
		envPowerCutHdr+"="+hex.EncodeToString(hdr),
		envPowerCutKey+"="+hex.EncodeToString(kf),
		envPowerCutRun+"="+strconv.Itoa(run),
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		lines []string
		ready = make(chan struct{})
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		r := bufio.NewReader(stdout)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				// A line cut off by the kill has no newline: not reported.
				if !errors.Is(err, io.EOF) {
					t.Errorf("run %d: reading child: %v", run, err)
				}
				return
			}
			mu.Lock()
			lines = append(lines, strings.TrimSuffix(l, "\n"))
			if len(lines) == 1 {
				close(ready)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-ready:
	case <-done:
		cmd.Wait()
		t.Fatalf("run %d: child ended before ready: %s", run, stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("run %d: child not ready after 30 s", run)
	}
	time.Sleep(delay) // the random moment of the power cut
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run %d: child did not die by SIGKILL (%v): %s", run, err, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	return lines
}

// checkAfterCut opens the store as the next boot would and checks that every
// reported write is there, intact, with its secrets opening.
func checkAfterCut(t *testing.T, run int, dbPath string, v *vault.Vault, accounts, history map[int64]string, edited map[int64]bool) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dbPath, v)
	if err != nil {
		t.Fatalf("run %d: reopening after the cut: %v", run, err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatalf("run %d: %v", run, err)
	}
	for id, user := range accounts {
		a, err := s.Account(ctx, id)
		if err != nil || a.User != user {
			t.Fatalf("run %d: reported account %d (%s): %+v, %v", run, id, user, a, err)
		}
		pw, err := s.AccountPassword(ctx, id)
		if err != nil {
			t.Fatalf("run %d: password of account %d: %v", run, id, err)
		}
		// An edit is all there or not at all, and there if reported.
		isEdited := a.DisplayName == "edited" && a.AcceptAnySource && string(pw) == "pw2-"+user
		isOld := a.DisplayName == "" && !a.AcceptAnySource && string(pw) == "pw-"+user
		if !isEdited && !isOld || edited[id] && !isEdited {
			t.Fatalf("run %d: account %d (edit reported: %v) half-edited or lost: %+v, password %q", run, id, edited[id], a, pw)
		}
	}
	all, err := s.History(ctx, HistoryFilter{})
	if err != nil {
		t.Fatalf("run %d: %v", run, err)
	}
	found := make(map[int64]string, len(all))
	for _, e := range all {
		found[e.ID] = string(e.Body)
	}
	for id, body := range history {
		if found[id] != body {
			t.Fatalf("run %d: reported history %d (%q) reads back %q", run, id, body, found[id])
		}
	}
}
