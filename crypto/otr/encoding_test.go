package otr

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"
)

func TestMPIMinimalEncoding(t *testing.T) {
	tests := []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0, 0, 0, 0}},
		{1, []byte{0, 0, 0, 1, 1}},
		{255, []byte{0, 0, 0, 1, 0xff}},
		{256, []byte{0, 0, 0, 2, 1, 0}},
	}
	for _, tt := range tests {
		got := appendMPI([]byte{0xaa}, big.NewInt(tt.v))
		if !bytes.Equal(got, append([]byte{0xaa}, tt.want...)) {
			t.Errorf("appendMPI(%d) = %x, want aa%x", tt.v, got, tt.want)
		}
		r := &reader{b: tt.want}
		if v := r.mpi(); !r.ok() || v.Int64() != tt.v || !r.empty() {
			t.Errorf("reading %x gave %v ok=%v", tt.want, v, r.ok())
		}
	}
	// p's MPI is 196 bytes starting 00 00 00 c0, as the spec says of gxmpi.
	if b := mpiBytes(dhPrime); len(b) != 196 || !bytes.Equal(b[:4], []byte{0, 0, 0, 0xc0}) {
		t.Errorf("MPI of the modulus: %d bytes, starts %x", len(b), b[:4])
	}
}

func TestReaderShortReads(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		read func(r *reader)
	}{
		{"short", []byte{1}, func(r *reader) { r.short() }},
		{"int", []byte{1, 2, 3}, func(r *reader) { r.int4() }},
		{"data length past end", []byte{0, 0, 0, 5, 1, 2}, func(r *reader) { r.data() }},
		{"huge data length", []byte{0xff, 0xff, 0xff, 0xff}, func(r *reader) { r.data() }},
		{"mpi length past end", []byte{0, 0, 1, 0}, func(r *reader) { r.mpi() }},
		{"sticky", []byte{1, 2, 3, 4, 5}, func(r *reader) { r.bytes(9); r.byte1() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &reader{b: tt.in}
			tt.read(r)
			if r.ok() {
				t.Fatal("short read not reported")
			}
		})
	}
}

func sampleWireMessages() []*wireMsg {
	gy, _ := new(big.Int).SetString("123456789abcdef0123456789abcdef", 16)
	return []*wireMsg{
		{version: 3, typ: msgDHCommit, senderTag: 0x101, encGx: []byte("encrypted gx"), hashGx: bytes.Repeat([]byte{7}, 32)},
		{version: 2, typ: msgDHCommit, encGx: []byte{1}, hashGx: []byte{}},
		{version: 3, typ: msgDHKey, senderTag: 0x1234, receiverTag: 0x5678, gy: gy},
		{version: 2, typ: msgDHKey, gy: big.NewInt(2)},
		{version: 3, typ: msgRevealSig, senderTag: 0x100, receiverTag: 0xffffffff, r: bytes.Repeat([]byte{1}, 16), encSig: []byte("sig"), mac: bytes.Repeat([]byte{2}, macLen)},
		{version: 2, typ: msgSig, encSig: []byte("sig2"), mac: bytes.Repeat([]byte{3}, macLen)},
		{version: 3, typ: msgSig, senderTag: 0x200, receiverTag: 0x300, encSig: []byte{}, mac: make([]byte, macLen)},
		{version: 3, typ: msgData, senderTag: 0x200, receiverTag: 0x300, flags: flagIgnoreUnreadable, senderKeyID: 1, recipientKeyID: 2,
			nextDH: gy, ctr: [8]byte{0, 0, 0, 0, 0, 0, 0, 1}, encMsg: []byte("ciphertext"), mac: bytes.Repeat([]byte{9}, macLen), oldMACs: bytes.Repeat([]byte{4}, 40)},
		{version: 2, typ: msgData, senderKeyID: 7, recipientKeyID: 8, nextDH: big.NewInt(5), encMsg: []byte{}, mac: make([]byte, macLen), oldMACs: []byte{}},
	}
}

func TestWireRoundTrip(t *testing.T) {
	for i, m := range sampleWireMessages() {
		b := m.marshal()
		got, err := parseWire(b)
		if err != nil {
			t.Fatalf("message %d: parse: %v", i, err)
		}
		if m.typ == msgData {
			if got.macedLen != len(m.dataMACed()) {
				t.Errorf("message %d: macedLen %d, want %d", i, got.macedLen, len(m.dataMACed()))
			}
			got.macedLen = 0
		}
		if !bytes.Equal(got.marshal(), b) {
			t.Errorf("message %d: re-marshal differs", i)
		}
		if !reflect.DeepEqual(normalize(got), normalize(m)) {
			t.Errorf("message %d: got %+v, want %+v", i, got, m)
		}
		// Through the text framing too.
		dec, ok, err := decodeWire("prefix " + encodeWire(b) + " suffix")
		if !ok || err != nil || !bytes.Equal(dec, b) {
			t.Errorf("message %d: text framing round trip: ok=%v err=%v", i, ok, err)
		}
		// Every truncation is rejected, never a panic.
		for n := 0; n < len(b); n++ {
			if _, err := parseWire(b[:n]); err == nil {
				t.Errorf("message %d: truncated to %d bytes parsed", i, n)
			}
		}
		if _, err := parseWire(append(b, 0)); err == nil {
			t.Errorf("message %d: trailing byte accepted", i)
		}
	}
}

// normalize maps empty slices to nil so DeepEqual compares content.
func normalize(m *wireMsg) wireMsg {
	c := *m
	for _, p := range []*[]byte{&c.encGx, &c.hashGx, &c.r, &c.encSig, &c.mac, &c.encMsg, &c.oldMACs} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return c
}

func TestParseWireRejects(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, errMalformed},
		{"version 1", []byte{0, 1, 2}, errUnsupportedVersion},
		{"version 4", []byte{0, 4, 2}, errUnsupportedVersion},
		{"unknown type", []byte{0, 2, 0x42}, errUnknownType},
		{"v3 missing tags", []byte{0, 3, 2, 0, 0}, errMalformed},
	}
	for _, tt := range tests {
		if _, err := parseWire(tt.in); err != tt.want {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestPeekDataFlags(t *testing.T) {
	for _, m := range sampleWireMessages() {
		if m.typ != msgData {
			continue
		}
		f, ok := peekDataFlags(m.marshal())
		if !ok || f != m.flags {
			t.Errorf("v%d: flags %x ok=%v, want %x", m.version, f, ok, m.flags)
		}
	}
}

func FuzzParseWire(f *testing.F) {
	for _, m := range sampleWireMessages() {
		f.Add(m.marshal())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseWire(b)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to something that parses the same.
		again, err := parseWire(m.marshal())
		if err != nil {
			t.Fatalf("re-encoded message does not parse: %v", err)
		}
		again.macedLen, m.macedLen = 0, 0
		if !bytes.Equal(again.marshal(), m.marshal()) {
			t.Fatal("re-encoding is not stable")
		}
	})
}
