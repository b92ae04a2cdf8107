package main

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSpoofedInviteAtTheDesk: the appliance registered with kamailio; an
// attacker on the LAN (127.0.0.2) sends INVITEs straight to its SIP port,
// claiming to be bob. None rings, none is answered. Then the real bob
// (linphonec, through kamailio) calls and the phone rings: the
// registrar's path still works, and it ran after the spoofed INVITEs had
// been read.
func TestSpoofedInviteAtTheDesk(t *testing.T) {
	d := newClearDesk(t, clearOpts{ring: true})
	a, bob := d.a, d.bob
	var contact string
	for _, c := range d.kam.Contacts("alice") {
		contact = c
	}
	m := regexp.MustCompile(`@([0-9.]+):(\d+)`).FindStringSubmatch(contact)
	if m == nil {
		t.Fatalf("alice's contact at kamailio: %q", contact)
	}
	port, _ := strconv.Atoi(m[2])
	to := &net.UDPAddr{IP: net.ParseIP(m[1]), Port: port}
	atk, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer atk.Close()
	lport := atk.LocalAddr().(*net.UDPAddr).Port
	const spoofed = 50
	for i := range spoofed {
		var b strings.Builder
		fmt.Fprintf(&b, "INVITE sip:alice@%s SIP/2.0\r\n", to)
		fmt.Fprintf(&b, "Via: SIP/2.0/UDP 127.0.0.2:%d;branch=z9hG4bKspoof%d\r\nMax-Forwards: 70\r\n", lport, i)
		fmt.Fprintf(&b, "From: \"bob\" <sip:bob@127.0.0.1>;tag=s%d\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: spoof-%d@127.0.0.2\r\nCSeq: 1 INVITE\r\n", i, i)
		fmt.Fprintf(&b, "Contact: <sip:bob@127.0.0.2:%d>\r\nContent-Length: 0\r\n\r\n", lport)
		if _, err := atk.WriteToUDP([]byte(b.String()), to); err != nil {
			t.Fatal(err)
		}
	}
	if v := a.state(t); v["status"] != "idle" || missed(v) != 0 {
		t.Fatalf("after %d spoofed INVITEs: status %v, missed %v", spoofed, v["status"], v["missed"])
	}
	mark := bob.Mark()
	bob.Send(t, "call sip:alice@127.0.0.1")
	v := a.waitState(t, "status", "ringing-in")
	if !strings.Contains(fmt.Sprint(v["remote"]), "bob") {
		t.Errorf("ringing for %v", v["remote"])
	}
	d.post(t, "/call/hangup", nil)
	bob.WaitForAfter(t, mark, "ended", callWait)
	// Anything sent back to the attacker would have come long before now
	// (sipgo's 100 Trying is due after 200 ms); read what is there.
	atk.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	buf := make([]byte, 65535)
	if n, _, err := atk.ReadFromUDP(buf); err == nil {
		t.Errorf("the spoofing source got an answer: %q", buf[:min(n, 200)])
	}
	if strings.Contains(a.logs.String(), "spoof-") {
		t.Error("a spoofed Call-ID reached the log")
	}
}
