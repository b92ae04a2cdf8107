package hil

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw/rig"
	"github.com/padlock-phone/padlock/media/audio"
	"github.com/padlock-phone/padlock/media/prompts"
	"github.com/padlock-phone/padlock/tests/peers/kamailio"
	"github.com/padlock-phone/padlock/tests/peers/linphone"
)

// Password is the master password the rigs' phones are set up with.
const Password = "correct pony staple battery"

// Peers is the far side of every rig: kamailio with alice (the phone) and
// bob (linphonec, ZRTP mandatory, answering by hand).
type Peers struct {
	Kamailio *kamailio.Server
	Bob      *linphone.Phone
}

// StartPeers starts kamailio and linphonec for one test.
func StartPeers(t testing.TB) *Peers {
	t.Helper()
	kam := kamailio.Start(t, kamailio.User{Name: "alice", Password: "alice-pw"}, kamailio.User{Name: "bob", Password: "bob-pw"})
	bob := linphone.Start(t, linphone.Config{User: "bob", Password: "bob-pw", Domain: "127.0.0.1", Registrar: kam.Addr,
		MediaEncryption: "zrtp", Mandatory: true})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("linphonec:\n%s", bob.Console())
		}
	})
	return &Peers{Kamailio: kam, Bob: bob}
}

// Alice is the phone's account on the peers' kamailio.
func (p *Peers) Alice(t testing.TB) rig.SIPAccount {
	_, port, _ := strings.Cut(p.Kamailio.Addr, ":")
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return rig.SIPAccount{User: "alice", Password: "alice-pw", Server: "127.0.0.1", Port: n, Transport: "udp"}
}

// Provision gives a phone at its first run the master password and alice's
// account (password saved), and waits until it is registered.
func Provision(t testing.TB, admin *rig.Admin, acc rig.SIPAccount) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.Setup(ctx, Password); err != nil {
		t.Fatal(err)
	}
	if err := admin.AddSIPAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.WaitState(ctx, "alice registered", func(s rig.State) bool { return len(s.Accounts) > 0 && allTrue(s.Accounts) }); err != nil {
		t.Fatal(err)
	}
}

func allTrue(m map[string]bool) bool {
	for _, v := range m {
		if !v {
			return false
		}
	}
	return true
}

// SASSpoken scores the phone's spoken SAS in what a file headset played:
// the prompt's own samples, by correlation on the 20 ms frame grid after
// "call secured, please compare" (the voice starts a phrase on a frame).
func SASSpoken(heard []int16, rate int, sas string) float64 {
	want, err := prompts.SAS(sas, rate)
	if err != nil {
		return 0
	}
	secured, _ := prompts.Phrase(prompts.CallSecured, rate)
	compare, _ := prompts.Phrase(prompts.PleaseCompare, rate)
	return rig.Correlation(heard, want, audio.FrameLen(rate), len(secured)+len(compare))
}
