package xmpp_test

import (
	"bytes"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/protocols/xmpp"
)

// TestNoTLSNoLogin: a server (here a fake one) that offers only PLAIN over
// the clear stream gets no credentials: the client insists on STARTTLS and
// gives up when it is refused.
func TestNoTLSNoLogin(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var seen bytes.Buffer
		buf := make([]byte, 4096)
		greeted := false
		for {
			n, err := c.Read(buf)
			seen.Write(buf[:n])
			if err != nil {
				break
			}
			if !greeted && bytes.Contains(seen.Bytes(), []byte("<stream:stream")) {
				greeted = true
				c.Write([]byte(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='f1' version='1.0'>` +
					`<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`))
			}
			if bytes.Contains(seen.Bytes(), []byte("<starttls")) {
				c.Write([]byte(`<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>`))
				break
			}
		}
		got <- seen.Bytes()
	}()
	cfg := xmpp.Config{JID: "alice@localhost", Password: []byte("alicepass"), Server: l.Addr().String(), Timeout: 5 * time.Second}
	c, err := xmpp.Dial(ctxT(t), cfg)
	if err == nil {
		c.Close()
		t.Fatal("Dial succeeded without TLS")
	}
	sent := string(<-got)
	if strings.Contains(sent, "<auth") || strings.Contains(sent, "alicepass") || strings.Contains(sent, base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alicepass"))) {
		t.Fatalf("credentials sent in the clear: %s", sent)
	}
	if !strings.Contains(sent, "<starttls") {
		t.Fatalf("client did not ask for STARTTLS: %s", sent)
	}
	t.Logf("error shown: %v", err)
}
