package otr

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/")

// TestGoldenTranscripts replays whole conversations with fixed randomness
// and compares every message on the wire with a recorded transcript. Any
// change to what goes on the wire shows up here; rewrite with -update only
// after checking the change against the interop tests.
func TestGoldenTranscripts(t *testing.T) {
	for _, tt := range []struct {
		file   string
		policy Policy
	}{
		{"testdata/transcript_v3.txt", policyV3},
		{"testdata/transcript_v2.txt", policyV2},
	} {
		t.Run(tt.file, func(t *testing.T) {
			got := recordTranscript(t, tt.policy)
			if *update {
				if err := os.WriteFile(tt.file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range min(len(gl), len(wl)) {
					if gl[i] != wl[i] {
						t.Fatalf("line %d differs:\n got %.120s\nwant %.120s", i+1, gl[i], wl[i])
					}
				}
				t.Fatalf("transcript length %d lines, want %d", len(gl), len(wl))
			}
		})
	}
}

func recordTranscript(t *testing.T, p Policy) string {
	alice := newPeer(t, "alice", p, 0x1111, 0)
	bob := newPeer(t, "bob", p, 0x2222, 0)
	var b strings.Builder
	b.WriteString("# Golden OTR transcript: alice and bob with the test keys and detRand\n")
	b.WriteString("# seeds \"alice\"/\"bob\"; each line is sender>receiver and the message.\n")
	step := func(from, to *peer, msgs []string) {
		for len(msgs) > 0 {
			var replies []string
			for _, m := range msgs {
				fmt.Fprintf(&b, "%s>%s %q\n", from.name, to.name, m)
				plain, out, ev, err := to.c.Receive(m)
				if err != nil {
					t.Fatal(err)
				}
				if plain != "" {
					fmt.Fprintf(&b, "# %s shows %q\n", to.name, plain)
				}
				for _, e := range ev {
					fmt.Fprintf(&b, "# %s event %v\n", to.name, e.Kind)
				}
				to.events = append(to.events, ev...)
				replies = append(replies, out...)
			}
			msgs = replies
			from, to = to, from
		}
	}
	step(alice, bob, []string{alice.c.QueryMessage()})
	step(alice, bob, alice.send(t, "hello bob"))
	step(bob, alice, bob.send(t, "hello alice"))
	step(alice, bob, alice.send(t, "again"))
	step(bob, alice, authenticate(t, bob, "question?", "secret"))
	step(alice, bob, authenticate(t, alice, "", "secret"))
	bye, _ := alice.c.End()
	step(alice, bob, bye)
	return b.String()
}
