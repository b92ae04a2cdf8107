package xmpp

import (
	"strings"
	"testing"
)

var (
	benchChat = []byte(`<message xmlns="jabber:client" type="chat" to="bob@localhost" id="8a080c77034ecd90"><body>see you at the station at nine, bring the blue folder</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>`)
	benchOTR  = []byte(`<message xmlns="jabber:client" type="chat" to="bob@localhost" id="8a080c77034ecd91"><body>?OTR:AAMDJ+MVmSfjFZkAAAAAAQAAAAIAAADAVf3Ei72ZgFeKqWvLMnuVPVCwxmR7GWC8ASbPDkiKPdV4SxObeDSz2hy8zT9eQI0Tq2k7NVz7ZwOBAtXzDTx3mGsGhgfvadPMu3E4SYUZbu4PWf6LczGJAi2awYGCz1JFzI6zMXSHhOXPrAMwIXZ2mvM2BVESYQ2N2kmWFjSQ1bhZ3D+yXYzXyR6gZnrXc9Rt0fXhYwlIvExrS6A0W0v8aR7xa2U.</body></message>`)
	benchAuth = []byte(`<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">biwsbj1hbGljZSxyPWZ5a29kTEtKSmtqdzNFbkJhWHlkWA==</auth>`)
)

func BenchmarkRedact(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   []byte
	}{{"chat", benchChat}, {"otr", benchOTR}, {"sasl", benchAuth}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				Redact(bc.in)
			}
		})
	}
}

// BenchmarkPacketLogStream splits and redacts a stream of 100 stanzas
// delivered in 1400-byte writes, the way a TLS record arrives.
func BenchmarkPacketLogStream(b *testing.B) {
	stream := []byte("<stream:stream xmlns='jabber:client'>" + strings.Repeat(string(benchChat)+string(benchOTR), 50))
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		s := newSplitter(func(u []byte, el bool) {
			if el {
				Redact(u)
			}
		})
		for i := 0; i < len(stream); i += 1400 {
			s.Write(stream[i:min(i+1400, len(stream))])
		}
	}
}
