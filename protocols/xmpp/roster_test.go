package xmpp_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/padlock-phone/padlock/protocols/xmpp"
	"github.com/padlock-phone/padlock/tests/peers/prosody"
)

// findContact returns the contact with the given JID from a roster event.
func findContact(r xmpp.RosterChanged, j string) (xmpp.Contact, bool) {
	for _, c := range r.Contacts {
		if c.JID == j {
			return c, true
		}
	}
	return xmpp.Contact{}, false
}

func hasContact(j string, ok func(xmpp.Contact) bool) func(xmpp.RosterChanged) bool {
	return func(r xmpp.RosterChanged) bool {
		c, found := findContact(r, j)
		return found && (ok == nil || ok(c))
	}
}

// TestRosterSubscribeChat runs two accounts through the driver: alice adds
// bob (name, group), bob sees the request and authorises, both see each
// other's presence, alice renames and moves bob, they chat both ways, and
// alice removes bob.
func TestRosterSubscribeChat(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "bob", "bobpass")
	alice := dial(t, account(s, "alice", "alicepass"))
	bob := dial(t, account(s, "bob", "bobpass"))
	waitFor[xmpp.Connected](t, alice, nil)
	waitFor[xmpp.Connected](t, bob, nil)
	ctx := ctxT(t)

	if err := alice.AddContact(ctx, "bob@localhost", "Bob B.", "Friends"); err != nil {
		t.Fatalf("AddContact: %v", err)
	}
	waitFor(t, alice, hasContact("bob@localhost", func(c xmpp.Contact) bool {
		return c.Name == "Bob B." && slices.Equal(c.Groups, []string{"Friends"})
	}))
	req := waitFor[xmpp.SubscriptionRequest](t, bob, nil)
	if req.From != "alice@localhost" {
		t.Fatalf("subscription request from %q", req.From)
	}
	if err := bob.Authorize(ctx, req.From); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	// Bob's authorisation also asks for alice's presence; alice authorises.
	req = waitFor[xmpp.SubscriptionRequest](t, alice, nil)
	if req.From != "bob@localhost" {
		t.Fatalf("subscription request from %q", req.From)
	}
	if err := alice.Authorize(ctx, req.From); err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	waitFor(t, alice, hasContact("bob@localhost", func(c xmpp.Contact) bool { return c.Subscription == "both" }))
	waitFor(t, bob, hasContact("alice@localhost", func(c xmpp.Contact) bool { return c.Subscription == "both" }))
	waitFor(t, alice, func(p xmpp.Presence) bool { return p.From == "bob@localhost" && p.Available })
	waitFor(t, bob, func(p xmpp.Presence) bool { return p.From == "alice@localhost" && p.Available })

	if err := alice.RenameContact(ctx, "bob@localhost", "Robert"); err != nil {
		t.Fatalf("RenameContact: %v", err)
	}
	waitFor(t, alice, hasContact("bob@localhost", func(c xmpp.Contact) bool {
		return c.Name == "Robert" && slices.Equal(c.Groups, []string{"Friends"})
	}))
	if err := alice.MoveContact(ctx, "bob@localhost", "Work"); err != nil {
		t.Fatalf("MoveContact: %v", err)
	}
	waitFor(t, alice, hasContact("bob@localhost", func(c xmpp.Contact) bool {
		return c.Name == "Robert" && slices.Equal(c.Groups, []string{"Work"})
	}))

	if err := alice.SendChat(ctx, "bob@localhost", "hello bob <3 & more"); err != nil {
		t.Fatalf("SendChat: %v", err)
	}
	m := waitFor[xmpp.Message](t, bob, nil)
	if m.From != "alice@localhost" || m.Body != "hello bob <3 & more" || m.Resource == "" {
		t.Fatalf("bob got %+v", m)
	}
	if err := bob.SendChat(ctx, "alice@localhost", "hi alice"); err != nil {
		t.Fatalf("SendChat: %v", err)
	}
	if m := waitFor[xmpp.Message](t, alice, nil); m.From != "bob@localhost" || m.Body != "hi alice" {
		t.Fatalf("alice got %+v", m)
	}

	if err := alice.RemoveContact(ctx, "bob@localhost"); err != nil {
		t.Fatalf("RemoveContact: %v", err)
	}
	waitFor(t, alice, func(r xmpp.RosterChanged) bool { _, found := findContact(r, "bob@localhost"); return !found })
	// Removal cancels both subscriptions: bob sees alice go offline.
	waitFor(t, bob, func(p xmpp.Presence) bool { return p.From == "alice@localhost" && !p.Available })
	if err := alice.RenameContact(ctx, "bob@localhost", "x"); err == nil {
		t.Fatal("RenameContact of a removed contact succeeded")
	}
}

// TestDeny: a denied request leaves the asker without a subscription.
func TestDeny(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "eve", "evepass")
	alice := dial(t, account(s, "alice", "alicepass"))
	eve := dial(t, account(s, "eve", "evepass"))
	waitFor[xmpp.Connected](t, alice, nil)
	ctx := ctxT(t)
	if err := eve.AddContact(ctx, "alice@localhost", "Alice", ""); err != nil {
		t.Fatalf("AddContact: %v", err)
	}
	waitFor(t, eve, hasContact("alice@localhost", func(c xmpp.Contact) bool { return c.Asked && len(c.Groups) == 0 }))
	req := waitFor[xmpp.SubscriptionRequest](t, alice, nil)
	if err := alice.Deny(ctx, req.From); err != nil {
		t.Fatalf("Deny: %v", err)
	}
	waitFor(t, eve, hasContact("alice@localhost", func(c xmpp.Contact) bool { return !c.Asked && c.Subscription == "none" }))
}

// TestIgnoreAndClose: an ignored request stays pending and the server
// offers it again at the next login; a closed client's events end and its
// methods say it is closed.
func TestIgnoreAndClose(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	s.Register(t, "alice", "alicepass")
	s.Register(t, "frank", "frankpass")
	alice := dial(t, account(s, "alice", "alicepass"))
	frank := dial(t, account(s, "frank", "frankpass"))
	waitFor[xmpp.Connected](t, alice, nil)
	if err := frank.AddContact(ctxT(t), "alice@localhost", "", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, alice, func(r xmpp.SubscriptionRequest) bool { return r.From == "frank@localhost" })
	alice.Close()
	for range alice.Events() {
	}
	if err := alice.SendChat(ctxT(t), "frank@localhost", "x"); !errors.Is(err, xmpp.ErrClosed) {
		t.Fatalf("SendChat after Close: %v, want ErrClosed", err)
	}
	again := dial(t, account(s, "alice", "alicepass"))
	waitFor(t, again, func(r xmpp.SubscriptionRequest) bool { return r.From == "frank@localhost" })
	// Frank's request is still pending.
	waitFor(t, frank, hasContact("alice@localhost", func(c xmpp.Contact) bool { return c.Asked && c.Subscription == "none" }))
}

// TestManyAccounts dials four accounts at once and passes a message round
// a ring of them.
func TestManyAccounts(t *testing.T) {
	s := prosody.Start(t, prosody.Options{})
	names := []string{"u0", "u1", "u2", "u3"}
	for _, n := range names {
		s.Register(t, n, n+"pass")
	}
	clients := make([]*xmpp.Client, len(names))
	errs := make(chan error, len(names))
	for i, n := range names {
		go func() {
			c, err := xmpp.Dial(ctxT(t), account(s, n, n+"pass"))
			clients[i] = c
			errs <- err
		}()
	}
	for range names {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients {
		t.Cleanup(func() { c.Close() })
		waitFor[xmpp.Connected](t, c, nil)
	}
	for i, c := range clients {
		to := names[(i+1)%len(names)] + "@localhost"
		if err := c.SendChat(ctxT(t), to, "from "+names[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range clients {
		from := names[(i+len(names)-1)%len(names)]
		if m := waitFor[xmpp.Message](t, c, nil); m.From != from+"@localhost" || m.Body != "from "+from {
			t.Errorf("%s got %+v", names[i], m)
		}
	}
}
