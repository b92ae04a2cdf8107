package icelink_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	. "github.com/padlock-phone/padlock/media/icelink"
	"github.com/padlock-phone/padlock/media/icelink/icelinktest"
)

func TestConnectAndDemux(t *testing.T) {
	a, b := icelinktest.Pair(t)
	if !a.Remote().Addr().IsLoopback() || !b.Remote().Addr().IsLoopback() {
		t.Fatalf("selected pair off loopback: %v %v", a.Remote(), b.Remote())
	}
	rtpPkt := append([]byte{0x80, 0}, bytes.Repeat([]byte{1}, 30)...)
	dtlsPkt := append([]byte{22, 0xfe, 0xfd}, bytes.Repeat([]byte{2}, 30)...)
	if _, err := a.WriteToUDPAddrPort(dtlsPkt, a.Remote()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteToUDPAddrPort(rtpPkt, a.Remote()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, from, err := b.ReadFromUDPAddrPort(buf)
	if err != nil || !bytes.Equal(buf[:n], rtpPkt) || from != b.Remote() {
		t.Fatalf("media side read %x from %v: %v", buf[:n], from, err)
	}
	b.DTLS().SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err = b.DTLS().ReadFrom(buf)
	if err != nil || !bytes.Equal(buf[:n], dtlsPkt) {
		t.Fatalf("DTLS side read %x: %v", buf[:n], err)
	}
}

func TestRefusesCandidates(t *testing.T) {
	l, err := New(Config{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, c := range []Candidate{
		{Protocol: "tcp", IP: "127.0.0.1", Port: 9, Component: 1},
		{Protocol: "udp", IP: "example.local", Port: 9, Component: 1},
		{Protocol: "udp", IP: "192.0.2.1", Port: 9, Component: 1}, // off loopback in a loopback test
		{Protocol: "udp", IP: "127.0.0.1", Port: 0, Component: 1},
		{Protocol: "udp", IP: "127.0.0.1", Port: 9, Component: 2},
	} {
		if err := l.AddRemote(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestConnectTimesOut(t *testing.T) {
	l, err := New(Config{Loopback: true, FailedTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Gather()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = l.Connect(ctx, "abcd", "0123456789012345678901")
	if !errors.Is(err, ErrICEFailed) {
		t.Fatalf("Connect to nobody: %v, want ErrICEFailed", err)
	}
}
