package zrtp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strconv"
	"testing"
)

func TestCRCVectors(t *testing.T) {
	n := 0
	for _, l := range readVectors(t, "kdf_crc.txt") {
		if l.kind != "crc" {
			continue
		}
		n++
		in := unhex(t, l.fields[0])
		want, _ := strconv.ParseUint(l.fields[1], 16, 32)
		crc := packetCRC(in)
		if got := binary.BigEndian.Uint32(crc[:]); got != uint32(want) {
			t.Errorf("CRC of %d bytes: wire value %08x, want %08x", len(in), got, want)
		}
	}
	if n != 3 {
		t.Fatalf("found %d CRC vectors, want 3", n)
	}
}

func TestParseBzrtpPackets(t *testing.T) {
	ex := loadExchange(t)
	tests := []struct {
		name string
		typ  MessageType
		seq  uint16
		ssrc uint32
		size int
	}{
		{"hello_12345678", MsgHello, 0x09f1, 0x12345678, 136},
		{"hello_87654321", MsgHello, 0x02ce, 0x87654321, 136},
		{"helloack_12345678", MsgHelloACK, 0x09f2, 0x12345678, 28},
		{"commit_87654321", MsgCommit, 0x02d0, 0x87654321, 132},
		{"dhpart1_12345678", MsgDHPart1, 0x09f5, 0x12345678, 484},
		{"dhpart2_87654321", MsgDHPart2, 0x02d1, 0x87654321, 484},
		{"confirm1_12345678", MsgConfirm1, 0x09f6, 0x12345678, 92},
		{"confirm2_87654321", MsgConfirm2, 0x02d2, 0x87654321, 92},
		{"conf2ack_12345678", MsgConf2ACK, 0x09f7, 0x12345678, 28},
		{"hello_pjs", MsgHello, 1, 0x76dca7bd, 168},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := ex.packets[tc.name]
			if len(raw) != tc.size {
				t.Fatalf("vector has %d bytes, want %d", len(raw), tc.size)
			}
			if !IsZRTP(raw) {
				t.Fatal("IsZRTP = false")
			}
			p, err := ParsePacket(raw)
			if err != nil {
				t.Fatal(err)
			}
			if p.Sequence != tc.seq || p.SSRC != tc.ssrc {
				t.Errorf("seq %#x ssrc %#x, want %#x %#x", p.Sequence, p.SSRC, tc.seq, tc.ssrc)
			}
			if !bytes.Equal(p.Marshal(), raw) {
				t.Error("re-framed packet differs from the capture")
			}
			m, err := ParseMessage(p.Message)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type() != tc.typ {
				t.Fatalf("type %v, want %v", m.Type(), tc.typ)
			}
			if got := Marshal(m); !bytes.Equal(got, p.Message) {
				t.Errorf("re-encoded message differs:\n got %x\nwant %x", got, p.Message)
			}
		})
	}
}

func TestBzrtpHelloContent(t *testing.T) {
	ex := loadExchange(t)
	m, err := ParseMessage(ex.message(t, "hello_12345678"))
	if err != nil {
		t.Fatal(err)
	}
	h := m.(*Hello)
	if string(h.Version[:]) != "1.10" || string(h.ClientID[:]) != "LINPHONE-ZRTPCPP" {
		t.Errorf("version %q client %q", h.Version, h.ClientID)
	}
	want := map[string][]Algo{
		"hash": {HashS256}, "cipher": {CipherAES1}, "auth": {AuthHS32, AuthHS80},
		"key": {KeyDH3k, AlgoFromString("DH2k"), KeyMult}, "sas": {SASB32},
	}
	got := map[string][]Algo{"hash": h.Hashes, "cipher": h.Ciphers, "auth": h.AuthTags, "key": h.KeyAgreements, "sas": h.SASTypes}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("algorithms %v, want %v", got, want)
	}
	if !bytes.Equal(h.H3[:], ex.values["H3_12345678"]) {
		t.Error("H3 field differs from the hash chain vector")
	}
	if h.Signature || h.MiTM || h.Passive {
		t.Error("flags set")
	}
}

func TestPacketErrors(t *testing.T) {
	ex := loadExchange(t)
	good := ex.packets["helloack_12345678"]
	mutate := func(f func(b []byte) []byte) []byte {
		return f(bytes.Clone(good))
	}
	reCRC := func(b []byte) []byte {
		crc := packetCRC(b[:len(b)-4])
		copy(b[len(b)-4:], crc[:])
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNotZRTP},
		{"rtp", mutate(func(b []byte) []byte { b[0] = 0x80; return b }), ErrNotZRTP},
		{"bad cookie", mutate(func(b []byte) []byte { b[4] = 'X'; return b }), ErrNotZRTP},
		{"header only", good[:12], ErrMalformed},
		{"bad crc", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrBadCRC},
		{"flipped body bit", mutate(func(b []byte) []byte { b[20] ^= 0x40; return b }), ErrBadCRC},
		{"bad preamble", mutate(func(b []byte) []byte { b[12] = 0; return reCRC(b) }), ErrMalformed},
		{"length too long", mutate(func(b []byte) []byte { b[15] = 4; return reCRC(b) }), ErrMalformed},
		{"unknown type", mutate(func(b []byte) []byte { b[16] = 'X'; return reCRC(b) }), ErrMalformed},
		{"trailing word", mutate(func(b []byte) []byte {
			b = append(b[:len(b)-4], 0, 0, 0, 0, 0, 0, 0, 0)
			return reCRC(b)
		}), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePacket(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzParsePacket(f *testing.F) {
	for _, l := range readVectors(f, "bzrtp_exchange.txt") {
		if l.kind == "packet" {
			f.Add(unhex(f, l.fields[1]))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePacket(b)
		if err != nil {
			return
		}
		if b[0] == 0x10 && b[1] == 0 && !bytes.Equal(p.Marshal(), b) {
			t.Fatal("valid packet does not re-frame to itself")
		}
		_, _ = ParseMessage(p.Message)
	})
}
