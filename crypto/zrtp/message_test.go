package zrtp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func filled(n int, v byte) []byte { return bytes.Repeat([]byte{v}, n) }

// sampleMessages has one message of every type, with every field set.
func sampleMessages() []Message {
	return []Message{
		&Hello{
			Version: [4]byte([]byte("1.10")), ClientID: [16]byte([]byte("Padlock test    ")),
			H3: [32]byte(filled(32, 3)), ZID: [12]byte(filled(12, 0x21)),
			Signature: true, Passive: true,
			Hashes: []Algo{HashS384, HashS256}, Ciphers: []Algo{CipherAES3, CipherAES1},
			AuthTags: []Algo{AuthHS80}, KeyAgreements: []Algo{KeyX255, KeyEC25, KeyDH3k, KeyMult},
			SASTypes: []Algo{SASB256, SASB32}, MAC: [8]byte(filled(8, 9)),
		},
		&Hello{Version: [4]byte([]byte("1.10")), MiTM: true}, // empty lists
		Ack{Of: MsgHelloACK},
		&Commit{
			H2: [32]byte(filled(32, 2)), ZID: [12]byte(filled(12, 0x22)),
			Hash: HashS256, Cipher: CipherAES1, AuthTag: AuthHS32, KeyAgreement: KeyDH3k, SAS: SASB32,
			HVI: [32]byte(filled(32, 0x77)), MAC: [8]byte(filled(8, 8)),
		},
		&Commit{Hash: HashS256, Cipher: CipherAES1, AuthTag: AuthHS32, KeyAgreement: KeyMult, SAS: SASB32,
			Nonce: [16]byte(filled(16, 0x66)), MAC: [8]byte(filled(8, 8))},
		&Commit{Hash: HashS256, Cipher: CipherAES1, AuthTag: AuthHS32, KeyAgreement: KeyPrsh, SAS: SASB32,
			Nonce: [16]byte(filled(16, 0x66)), KeyID: [8]byte(filled(8, 0x55)), MAC: [8]byte(filled(8, 8))},
		&DHPart{Part: 1, H1: [32]byte(filled(32, 1)), RS1ID: [8]byte(filled(8, 0xa1)), RS2ID: [8]byte(filled(8, 0xa2)),
			AuxSecretID: [8]byte(filled(8, 0xa3)), PBXSecretID: [8]byte(filled(8, 0xa4)), PV: filled(32, 0xee), MAC: [8]byte(filled(8, 7))},
		&DHPart{Part: 2, H1: [32]byte(filled(32, 1)), PV: filled(384, 0xdd), MAC: [8]byte(filled(8, 7))},
		&Confirm{Which: 1, ConfirmMAC: [8]byte(filled(8, 0xc1)), IV: [16]byte(filled(16, 0x1f)), Encrypted: filled(40, 0xe1)},
		&Confirm{Which: 2, ConfirmMAC: [8]byte(filled(8, 0xc2)), IV: [16]byte(filled(16, 0x2f)), Encrypted: filled(48, 0xe2)},
		Ack{Of: MsgConf2ACK},
		&ErrorMsg{Code: ErrCodeBadHVI},
		Ack{Of: MsgErrorACK},
		&GoClear{ClearMAC: [8]byte(filled(8, 0x9c))},
		Ack{Of: MsgClearACK},
		&Ping{Version: [4]byte([]byte("1.10")), EndpointHash: [8]byte(filled(8, 0x5e))},
		&PingACK{Version: [4]byte([]byte("1.10")), EndpointHash: [8]byte(filled(8, 1)), ReceivedEndpointHash: [8]byte(filled(8, 2)), SSRC: 0xdeadbeef},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		t.Run(m.Type().String(), func(t *testing.T) {
			b := Marshal(m)
			if len(b)%4 != 0 {
				t.Fatalf("message of %d bytes is not a whole number of words", len(b))
			}
			got, err := ParseMessage(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip:\n got %#v\nwant %#v", got, m)
			}
			// framed too
			raw := Packet{Sequence: 7, SSRC: 42, Message: b}.Marshal()
			p, err := ParsePacket(raw)
			if err != nil || !bytes.Equal(p.Message, b) {
				t.Fatalf("packet round trip: %v", err)
			}
		})
	}
}

func TestConfirmPlainRoundTrip(t *testing.T) {
	for _, p := range []*ConfirmPlain{
		{H0: [32]byte(filled(32, 0)), CacheExpiration: 0xffffffff},
		{H0: [32]byte(filled(32, 5)), Enrollment: true, SASVerified: true, AllowClear: true, Disclosure: true, CacheExpiration: 3600,
			Signature: append([]byte("PGP "), filled(4*300, 0x3c)...)}, // sig len 301 words uses the 9th bit
	} {
		got, err := ParseConfirmPlain(p.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", got, p)
		}
	}
}

// header builds a message header of the given type for a body.
func withHeader(typ string, body []byte) []byte {
	b := append([]byte{0x50, 0x5a, 0, 0}, typ...)
	b = append(b, body...)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)/4))
	return b
}

func TestMessageErrors(t *testing.T) {
	hello := Marshal(sampleMessages()[0])
	tests := []struct {
		name string
		in   []byte
	}{
		{"short", []byte{0x50, 0x5a, 0, 1}},
		{"hello truncated", withHeader("Hello   ", filled(40, 0))},
		{"hello count over 7", func() []byte {
			b := bytes.Clone(hello)
			b[12+65] = 0x08
			return b
		}()},
		{"hello counts disagree with length", func() []byte {
			b := bytes.Clone(hello)
			b[12+67] = 0x11
			return b
		}()},
		{"helloack with body", withHeader("HelloACK", filled(4, 0))},
		{"commit wrong length", withHeader("Commit  ", filled(64+16+8, 0))},
		{"dhpart too short", withHeader("DHPart1 ", filled(64+8, 0))},
		{"confirm too short", withHeader("Confirm1", filled(8+16+36, 0))},
		{"error wrong length", withHeader("Error   ", filled(8, 0))},
		{"goclear wrong length", withHeader("GoClear ", filled(4, 0))},
		{"ping wrong length", withHeader("Ping    ", filled(8, 0))},
		{"pingack wrong length", withHeader("PingACK ", filled(20, 0))},
		{"too long", withHeader("DHPart1 ", filled(1100, 0))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseMessage(tc.in); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := ParseConfirmPlain(filled(44, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Confirm plaintext with stray word: err = %v", err)
	}
}

// fuzzRoundTrip checks that whatever parses re-encodes to something that
// parses to the same value.
func fuzzRoundTrip(t *testing.T, b []byte) {
	m, err := ParseMessage(b)
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		return
	}
	again, err := ParseMessage(Marshal(m))
	if err != nil {
		t.Fatalf("re-encoded %v does not parse: %v", m.Type(), err)
	}
	if !reflect.DeepEqual(again, m) {
		t.Fatalf("round trip changed the %v", m.Type())
	}
}

func addSeeds(f *testing.F, types ...MessageType) {
	for _, m := range sampleMessages() {
		for _, t := range types {
			if m.Type() == t {
				f.Add(Marshal(m)[messageHeaderLen:])
			}
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(Marshal(m))
	}
	f.Fuzz(fuzzRoundTrip)
}

func FuzzParseHello(f *testing.F) {
	addSeeds(f, MsgHello)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzRoundTrip(t, withHeader("Hello   ", body)) })
}

func FuzzParseCommit(f *testing.F) {
	addSeeds(f, MsgCommit)
	f.Fuzz(func(t *testing.T, body []byte) { fuzzRoundTrip(t, withHeader("Commit  ", body)) })
}

func FuzzParseDHPart(f *testing.F) {
	addSeeds(f, MsgDHPart1, MsgDHPart2)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzRoundTrip(t, withHeader("DHPart1 ", body))
		fuzzRoundTrip(t, withHeader("DHPart2 ", body))
	})
}

func FuzzParseConfirm(f *testing.F) {
	addSeeds(f, MsgConfirm1, MsgConfirm2)
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzRoundTrip(t, withHeader("Confirm1", body))
		fuzzRoundTrip(t, withHeader("Confirm2", body))
	})
}

func FuzzParseConfirmPlain(f *testing.F) {
	f.Add((&ConfirmPlain{CacheExpiration: 1}).Marshal())
	f.Add((&ConfirmPlain{SASVerified: true, Signature: filled(8, 1)}).Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseConfirmPlain(b)
		if err != nil {
			return
		}
		again, err := ParseConfirmPlain(p.Marshal())
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzParseSmallMessages(f *testing.F) {
	addSeeds(f, MsgHelloACK, MsgConf2ACK, MsgError, MsgErrorACK, MsgGoClear, MsgClearACK, MsgPing, MsgPingACK)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, typ := range []MessageType{MsgHelloACK, MsgConf2ACK, MsgError, MsgErrorACK, MsgGoClear, MsgClearACK, MsgPing, MsgPingACK} {
			fuzzRoundTrip(t, withHeader(typ.String(), body))
		}
	})
}
