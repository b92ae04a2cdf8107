package messaging

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/crypto/vault"
	"github.com/padlock-phone/padlock/internal/fingerprint"
	"github.com/padlock-phone/padlock/keyring"
	"github.com/padlock-phone/padlock/store"
	"github.com/padlock-phone/padlock/tests/peers/ejabberd"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
	"github.com/padlock-phone/padlock/tests/peers/slixmpp"
	"github.com/padlock-phone/padlock/tests/peers/xmppserver"
)

var fingerprintForm = regexp.MustCompile(`^[0-9A-F]{8}( [0-9A-F]{8}){4}$`)

// TestOTRBetweenAccounts runs two Padlock accounts (alice and bob, one
// service) over each server setup: keys generated in the background, a
// message held until OTR (started by Padlock) is up, encrypted on the wire
// (seen by a slixmpp session of bob's), SMP right and wrong, fingerprint
// compare, a changed key, and a contact without OTR (slixmpp) who never
// gets the text. (OTR with an independent implementation, libotr in
// mcabber, is in cmd/appliance.)
func TestOTRBetweenAccounts(t *testing.T) {
	for _, srv := range []xmppserver.Info{
		prosody.Start(t, prosody.Options{}).Info(),
		prosody.Start(t, prosody.Options{Stock: true}).Info(),
		ejabberd.Start(t).Info(),
	} {
		t.Run(srv.Name, func(t *testing.T) { otrOn(t, srv) })
	}
}

func otrOn(t *testing.T, srv xmppserver.Info) {
	ctx := context.Background()
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.Register(t, u, u+"-pass-5d1c")
	}
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "padlock.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, err := keyring.Open(dir, st, vault.TestParams, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Setup([]byte("master password")); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, u := range []string{"alice", "bob"} {
		a := store.Account{Kind: store.XMPP, User: u, Server: srv.Domain, Transport: store.TCP,
			Proxy: srv.Addr, Enabled: true, TLSFingerprint: fingerprint.Format(srv.Fingerprint)}
		if ids[u], err = keys.CreateAccount(ctx, a, []byte(u+"-pass-5d1c"), true); err != nil {
			t.Fatal(err)
		}
	}
	for _, set := range []store.Setting{store.PacketLogging, store.LogChatHistory} {
		if err := st.SetBool(ctx, set, true); err != nil {
			t.Fatal(err)
		}
	}
	s := New(Config{Store: st, Passwords: keys, DataDir: dir})
	defer s.Close()
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	alice, bob := ids["alice"], ids["bob"]
	aliceJID, bobJID, carolJID := "alice@"+srv.Domain, "bob@"+srv.Domain, "carol@"+srv.Domain
	await(t, s, "both connected", func() bool { return view(s, alice).Connected && view(s, bob).Connected })

	if err := s.Send(ctx, alice, bobJID, "no key yet"); !errors.Is(err, ErrPrivateRequired) {
		t.Fatalf("without a key, require-private send = %v, want ErrPrivateRequired", err)
	}
	for _, id := range []int64{alice, bob} {
		if err := s.GenerateOTRKey(id); err != nil {
			t.Fatal(err)
		}
	}
	await(t, s, "keys generated", func() bool {
		return s.OTRKey(ctx, alice).Fingerprint != "" && s.OTRKey(ctx, bob).Fingerprint != ""
	})
	aliceFP, bobFP := s.OTRKey(ctx, alice).Fingerprint, s.OTRKey(ctx, bob).Fingerprint
	for _, fp := range []string{aliceFP, bobFP} {
		if !fingerprintForm.MatchString(fp) {
			t.Fatalf("fingerprint %q is not 5 groups of 8 hex digits", fp)
		}
	}
	if k, err := st.Key(ctx, alice, KindOTRPrivate, ""); err != nil || len(k.Blob) < 100 {
		t.Fatalf("sealed key not stored: %v", err)
	}

	observer := peerOn(t, srv, "bob", "bob-pass-5d1c")
	t.Run("held until private", func(t *testing.T) {
		if err := s.Send(ctx, alice, bobJID, "first-secret-8e2a"); err != nil {
			t.Fatal(err)
		}
		await(t, s, "alice private with bob", func() bool { return s.Private(ctx, alice, bobJID).Lock == LockUnverified })
		await(t, s, "bob reads it", func() bool { return hasLine(s.Conversation(ctx, bob, aliceJID), "first-secret-8e2a", false) })
		if got := s.Private(ctx, alice, bobJID); got.Fingerprint != bobFP || got.Ours != aliceFP || got.Notice != "" {
			t.Fatalf("alice's view of the conversation: %+v", got)
		}
		if got := s.Private(ctx, bob, aliceJID); got.Fingerprint != aliceFP || got.Lock != LockUnverified {
			t.Fatalf("bob's view of the conversation: %+v", got)
		}
		if err := s.Send(ctx, bob, aliceJID, "reply-secret-77c0"); err != nil {
			t.Fatal(err)
		}
		await(t, s, "alice reads the reply", func() bool { return hasLine(s.Conversation(ctx, alice, bobJID), "reply-secret-77c0", false) })
		if lines := s.Conversation(ctx, alice, bobJID); slices.ContainsFunc(lines, func(l Line) bool { return l.Pending }) {
			t.Fatalf("a sent message is still pending: %+v", lines)
		}
		// bob's second session sees what the server delivers to bob.
		observer.Await(t, "an OTR v3 data message", func(ev slixmpp.Event) bool {
			return ev.Event == "message" && ev.From == aliceJID && strings.HasPrefix(ev.Body, "?OTR:AAMD")
		})
		for _, m := range observer.Events() {
			if m.Event != "message" {
				continue
			}
			if strings.Contains(m.Body, "secret") {
				t.Errorf("went over the wire in clear: %q", m.Body)
			}
			if strings.HasPrefix(m.Body, "?OTR:AAM") {
				if tag := senderTag(t, m.Body); tag != s.keys[alice].tag {
					t.Errorf("v3 message with sender tag %#x, alice's is %#x", tag, s.keys[alice].tag)
				}
			}
		}
		b, _ := os.ReadFile(filepath.Join(dir, PacketLogName))
		for _, secret := range []string{"first-secret-8e2a", "reply-secret-77c0"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Fatalf("%s in the packet log", secret)
			}
		}
		for _, f := range []string{"padlock.db", "padlock.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			if bytes.Contains(b, []byte("first-secret-8e2a")) {
				t.Fatalf("decrypted text in clear in %s", f)
			}
		}
		h, err := st.History(ctx, store.HistoryFilter{AccountID: bob, Contact: aliceJID, Kind: store.Chat})
		if err != nil || !slices.ContainsFunc(h, func(e store.HistoryEntry) bool { return string(e.Body) == "first-secret-8e2a" }) {
			t.Fatalf("decrypted text not in (sealed) history: %v %v", h, err)
		}
	})

	t.Run("smp", func(t *testing.T) {
		steps := []struct {
			name, question, secret, answer, want string
			lock                                 string
		}{
			{"wrong answer", "", "blue", "green", "failed", LockUnverified},
			{"right answer", "Colour of the door?", "red", "red", "succeeded", LockVerified},
		}
		for _, c := range steps {
			if err := s.AuthenticateSMP(ctx, alice, bobJID, c.question, c.secret); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			await(t, s, c.name+": bob asked", func() bool { return s.Private(ctx, bob, aliceJID).SMP == "asked" })
			if q := s.Private(ctx, bob, aliceJID).SMPQuestion; q != c.question {
				t.Fatalf("%s: bob sees question %q", c.name, q)
			}
			if err := s.AuthenticateSMP(ctx, bob, aliceJID, "", c.answer); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			await(t, s, c.name+": both "+c.want, func() bool {
				return s.Private(ctx, alice, bobJID).SMP == c.want && s.Private(ctx, bob, aliceJID).SMP == c.want
			})
			if a, b := s.Private(ctx, alice, bobJID).Lock, s.Private(ctx, bob, aliceJID).Lock; a != c.lock || b != c.lock {
				t.Fatalf("%s: locks %s and %s, want %s", c.name, a, b, c.lock)
			}
		}
		if fp, ok, err := s.Trust(ctx, alice, bobJID); fp != bobFP || !ok || err != nil {
			t.Fatalf("trust stored: %q %v %v", fp, ok, err)
		}
	})

	t.Run("compare fingerprints", func(t *testing.T) {
		if err := s.VerifyFingerprint(ctx, bob, aliceJID, "00000000 11111111 22222222 33333333 44444444", true); err == nil {
			t.Fatal("a wrong fingerprint was accepted")
		}
		if err := s.VerifyFingerprint(ctx, bob, aliceJID, strings.ToLower(aliceFP), false); err != nil {
			t.Fatal(err)
		}
		if l := s.Private(ctx, bob, aliceJID).Lock; l != LockUnverified {
			t.Fatalf("after unverify: %s", l)
		}
		if err := s.VerifyFingerprint(ctx, bob, aliceJID, aliceFP, true); err != nil {
			t.Fatal(err)
		}
		if l := s.Private(ctx, bob, aliceJID).Lock; l != LockVerified {
			t.Fatalf("after verify: %s", l)
		}
	})

	t.Run("changed key", func(t *testing.T) {
		if err := s.GenerateOTRKey(bob); err != nil {
			t.Fatal(err)
		}
		await(t, s, "bob's new key", func() bool {
			k := s.OTRKey(ctx, bob)
			return !k.Generating && k.Fingerprint != "" && k.Fingerprint != bobFP
		})
		newFP := s.OTRKey(ctx, bob).Fingerprint
		if err := s.EndOTR(ctx, alice, bobJID); err != nil {
			t.Fatal(err)
		}
		if err := s.Send(ctx, alice, bobJID, "after-new-key"); err != nil {
			t.Fatal(err)
		}
		await(t, s, "private again with the new key", func() bool { return s.Private(ctx, alice, bobJID).Fingerprint == newFP })
		got := s.Private(ctx, alice, bobJID)
		if got.Changed != bobFP || got.Lock != LockUnverified {
			t.Fatalf("a changed key must warn and drop to unverified: %+v", got)
		}
		await(t, s, "bob reads it", func() bool { return hasLine(s.Conversation(ctx, bob, aliceJID), "after-new-key", false) })
	})

	t.Run("contact without OTR", func(t *testing.T) {
		carol := peerOn(t, srv, "carol", "carol-pass-5d1c")
		if err := s.Send(ctx, alice, carolJID, "never-in-clear-3f9b"); err != nil {
			t.Fatal(err)
		}
		carol.Await(t, "the OTR query", func(ev slixmpp.Event) bool {
			return ev.Event == "message" && strings.HasPrefix(ev.Body, "?OTRv")
		})
		carol.Do(t, map[string]any{"cmd": "send", "to": aliceJID, "body": "what is this?"})
		await(t, s, "carol's plain reply shown", func() bool { return hasLine(s.Conversation(ctx, alice, carolJID), "what is this?", false) })
		time.Sleep(200 * time.Millisecond) // nothing should come; give it the chance
		leaked := carol.Saw(func(ev slixmpp.Event) bool {
			return ev.Event == "message" && strings.Contains(ev.Body, "never-in-clear-3f9b")
		})
		if leaked {
			t.Fatal("the held message reached a contact without OTR")
		}
		got := s.Private(ctx, alice, carolJID)
		if got.Lock != LockPlaintext || !strings.Contains(got.Held, "held back") {
			t.Fatalf("the person is not told why: %+v", got)
		}
		if !slices.ContainsFunc(s.Conversation(ctx, alice, carolJID), func(l Line) bool { return l.Pending && l.Body == "never-in-clear-3f9b" }) {
			t.Fatal("the held message is not shown as pending")
		}
	})
}

func TestKeyBlobRoundTrip(t *testing.T) {
	s := New(Config{})
	k := &otrKey{tag: 0x1234abcd}
	var err error
	if k.priv, err = otrGenerate(s); err != nil {
		t.Fatal(err)
	}
	b, err := marshalKey(k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unmarshalKey(b)
	if err != nil || got.tag != k.tag || got.priv.X.Cmp(k.priv.X) != 0 {
		t.Fatalf("round trip: %v", err)
	}
	for _, bad := range [][]byte{nil, b[:3], b[:20], append(append([]byte{}, b[:len(b)-1]...), b[len(b)-1]^1)} {
		if _, err := unmarshalKey(bad); err == nil {
			t.Errorf("bad blob of %d bytes accepted", len(bad))
		}
	}
}

// senderTag reads the sender instance tag of an encoded v3 OTR message.
func senderTag(t *testing.T, msg string) uint32 {
	t.Helper()
	b64, _, _ := strings.Cut(strings.TrimPrefix(msg, "?OTR:"), ".")
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) < 11 {
		t.Fatalf("not an encoded OTR message: %.40q", msg)
	}
	return binary.BigEndian.Uint32(b[3:7])
}

// FuzzUnmarshalKey: a stored key blob (opened from the vault, but still
// input) never panics, and one that decodes encodes back the same.
func FuzzUnmarshalKey(f *testing.F) {
	priv, err := otrGenerate(New(Config{}))
	if err != nil {
		f.Fatal(err)
	}
	good, err := marshalKey(&otrKey{priv: priv, tag: 0x12345678})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:40])
	f.Add([]byte{0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := unmarshalKey(b)
		if err != nil {
			return
		}
		again, err := marshalKey(k)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded key does not encode back: %v", err)
		}
	})
}
