package sip

import (
	"context"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/call"
	"github.com/padlock-phone/padlock/phone"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// The driver fits the phone's interfaces.
var (
	_ phone.Telephony  = (*Driver)(nil)
	_ phone.DTMFSender = (*Driver)(nil)
)

// TestPhoneBrainCallsLinphone wires the driver to the real phone loop, as
// cmd/appliance will: registration reaches the phone's state, a Dial
// becomes an answered call and HangUp ends it.
func TestPhoneBrainCallsLinphone(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "bob", Password: "bobpass"})
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bobpass", Domain: "127.0.0.1", Registrar: k.Addr, AutoAnswer: true})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var p *phone.Phone
	d, err := New(Config{
		Accounts: []Account{{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr}},
		Media:    newUDPMedia(),
		OnStatus: func(s AccountStatus) {
			p.Post(ctx, phone.AccountStatus{Account: s.Account, Registered: s.Registered})
		},
		Backoff: fastBackoff, KeepAlive: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	p = phone.New(phone.Config{Telephony: d, TickEvery: 50 * time.Millisecond})
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done; d.Close() }()
	d.Start()

	waitState(t, p, "alice registered", func(s phone.State) bool { return s.Registered["alice@127.0.0.1"] })
	mark := bob.Mark()
	p.Post(ctx, phone.Dial{Target: "bob"})
	waitState(t, p, "an active call", func(s phone.State) bool { return s.Current().Status == phone.Active })
	bob.WaitForAfter(t, mark, "connected", callWait)
	p.Post(ctx, phone.Hold{On: true})
	bob.WaitForAfter(t, mark, "has been paused by", callWait)
	p.Post(ctx, phone.Hold{On: false})
	waitState(t, p, "resumed", func(s phone.State) bool { return s.Current().Status == phone.Active })
	p.Post(ctx, phone.HangUp{})
	waitState(t, p, "ended", func(s phone.State) bool { return s.Current().Status == phone.Ended || s.Current().Status == phone.Idle })
	bob.WaitForAfter(t, mark, "ended", callWait)
}

func waitState(t *testing.T, p *phone.Phone, what string, ok func(phone.State) bool) {
	t.Helper()
	ch, stop := p.Watch()
	defer stop()
	deadline := time.After(callWait)
	for !ok(p.State()) {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("phone never reached %s: %+v", what, p.State())
		}
	}
}

// TestCloseEndsCallsAndRegistration: shutting the driver down hangs up a
// call in progress (linphonec sees the BYE) and removes the registration.
func TestCloseEndsCallsAndRegistration(t *testing.T) {
	k := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alicepass"}, kamailio.User{Name: "bob", Password: "bobpass"})
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bobpass", Domain: "127.0.0.1", Registrar: k.Addr, AutoAnswer: true})
	st := newStatusLog()
	d := newDriver(t, st, Account{User: "alice", Password: "alicepass", Domain: "127.0.0.1", Registrar: k.Addr})
	d.Start()
	st.wait(t, 5*time.Second, "registration", func(s AccountStatus) bool { return s.Registered })
	mark := bob.Mark()
	id, err := d.Dial("bob")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent[call.Answered](t, d, id, callWait)
	bob.WaitForAfter(t, mark, "connected", callWait)
	start := time.Now()
	d.Close()
	t.Logf("Close took %v", time.Since(start))
	bob.WaitForAfter(t, mark, "ended", callWait)
	if c := k.Contacts("alice"); len(c) != 0 {
		t.Errorf("alice still registered: %v", c)
	}
	if _, err := d.Dial("bob"); err == nil {
		t.Error("dialled after Close")
	}
}
