package otr

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// A conversation with libotr, captured once (go test -run
// TestLibotrCapture -update) and replayed here without libotr: our engine
// runs with fixed randomness, so it sends exactly the recorded messages and
// libotr's recorded answers stay valid. This keeps libotr's behaviour in
// every test run, even where libotr is not installed.

const libotrCapture = "testdata/libotr/capture_v3.txt"

func TestLibotrCapture(t *testing.T) {
	if !*update {
		t.Skip("records a new capture only with -update; TestLibotrCaptureReplay replays the stored one")
	}
	us := newPeer(t, "alice", policyV3, 0x1111, 0)
	lib := startLibotr(t, "bob", libotrAllowV2|libotrAllowV3, 0)
	var b strings.Builder
	b.WriteString("# A v3 conversation between crypto/otr (alice: detRand seed \"alice\", instance\n")
	b.WriteString("# tag 0x1111) and libotr 4 (bob). Lines: a user action of ours (query, send,\n")
	b.WriteString("# answer), \"us\" (a message we sent), \"lib\" (a message libotr sent), \"shown\"\n")
	b.WriteString("# (what we displayed); values are Go-quoted.\n")
	rec := func(toLib, toUs []string) {
		for round := 0; len(toLib)+len(toUs) > 0; round++ {
			if round > 50 {
				t.Fatal("conversation did not settle")
			}
			var nextLib, nextUs []string
			for _, m := range toLib {
				fmt.Fprintf(&b, "us %q\n", m)
				nextUs = append(nextUs, lib.do("recv "+m)...)
			}
			for _, m := range toUs {
				fmt.Fprintf(&b, "lib %q\n", m)
				plain, out, ev, err := us.c.Receive(m)
				if err != nil {
					t.Fatal(err)
				}
				if plain != "" {
					fmt.Fprintf(&b, "shown %q\n", plain)
				}
				us.events = append(us.events, ev...)
				nextLib = append(nextLib, out...)
			}
			toLib, toUs = nextLib, nextUs
		}
	}
	action := func(kind, arg string) {
		fmt.Fprintf(&b, "%s %q\n", kind, arg)
	}
	action("query", "")
	rec([]string{us.c.QueryMessage()}, nil)
	checkLibotrSecure(t, us, lib, 3)
	action("send", "hello libotr")
	rec(us.send(t, "hello libotr"), nil)
	rec(nil, lib.do("send hello engine"))
	rec(nil, lib.do("send twice in a row"))
	action("send", "a reply")
	rec(us.send(t, "a reply"), nil)
	rec(nil, lib.do("smpq where?\tHere"))
	action("answer", "Here")
	rec(authenticate(t, us, "", "Here"), nil)
	if us.has(SMPSucceeded) == nil || lib.find("smp", "success") == nil {
		t.Fatal("SMP did not succeed while capturing")
	}
	rec(nil, lib.do("end"))
	if err := os.WriteFile(libotrCapture, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLibotrCaptureReplay(t *testing.T) {
	us := newPeer(t, "alice", policyV3, 0x1111, 0)
	var pending []string // what we sent, in order, not yet matched
	for i, v := range readVectors(t, libotrCapture) {
		arg, err := strconv.Unquote(v[1])
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		switch v[0] {
		case "query":
			pending = append(pending, us.c.QueryMessage())
		case "send":
			pending = append(pending, us.send(t, arg)...)
		case "answer":
			pending = append(pending, authenticate(t, us, "", arg)...)
		case "us":
			if len(pending) == 0 || pending[0] != arg {
				t.Fatalf("vector %d: the capture has us sending\n%.100q\nwe have %.100q", i+1, arg, pending)
			}
			pending = pending[1:]
		case "lib":
			plain, out, ev, err := us.c.Receive(arg)
			if err != nil {
				t.Fatalf("vector %d: %v", i+1, err)
			}
			us.events = append(us.events, ev...)
			if plain != "" {
				us.shown = append(us.shown, plain)
			}
			pending = append(pending, out...)
		case "shown":
			if len(us.shown) == 0 || us.shown[len(us.shown)-1] != arg {
				t.Fatalf("vector %d: shown %q, capture has %q", i+1, us.shown, arg)
			}
		default:
			t.Fatalf("vector %d: unknown kind %q", i+1, v[0])
		}
	}
	if len(pending) != 0 {
		t.Fatalf("%d messages sent that the capture does not have", len(pending))
	}
	for _, k := range []EventKind{WentSecure, SMPSecretNeeded, SMPSucceeded, WentInsecure} {
		if us.has(k) == nil {
			t.Errorf("no %v event in the replay", k)
		}
	}
	if strings.Join(us.shown, "|") != "hello engine|twice in a row" {
		t.Errorf("shown %q", us.shown)
	}
}
