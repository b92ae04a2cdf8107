package otr

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"
)

func TestTLVSpecExamples(t *testing.T) {
	tests := []struct {
		in   []byte
		want []tlv
	}{
		{[]byte{0, 1, 0, 0}, []tlv{{typ: tlvDisconnected, value: []byte{}}}},
		{[]byte("\x00\x00\x00\x05hello"), []tlv{{typ: tlvPadding, value: []byte("hello")}}},
		{[]byte("\x00\x06\x00\x00\x00\x08\x00\x02ab"), []tlv{{typ: tlvSMPAbort, value: []byte{}}, {typ: tlvExtraKey, value: []byte("ab")}}},
		{nil, nil},
	}
	for _, tt := range tests {
		got, err := parseTLVs(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseTLVs(%x) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range [][]byte{{0}, {0, 1, 0}, {0, 1, 0, 2, 'x'}} {
		if _, err := parseTLVs(bad); err == nil {
			t.Errorf("parseTLVs(%x) accepted", bad)
		}
	}
}

func TestPlaintextSplit(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		tlvs []tlv
	}{
		{"text only", "hello", nil},
		{"heartbeat", "", nil},
		{"text and tlvs", "bye", []tlv{{typ: tlvPadding, value: make([]byte, 10)}, {typ: tlvDisconnected, value: []byte{}}}},
		{"tlvs only", "", []tlv{{typ: tlvSMPAbort, value: []byte{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := buildPlaintext([]byte(tt.msg), tt.tlvs)
			msg, tlvs, err := splitPlaintext(p)
			if err != nil || string(msg) != tt.msg || !reflect.DeepEqual(tlvs, tt.tlvs) {
				t.Errorf("got %q %v %v", msg, tlvs, err)
			}
		})
	}
}

func TestSMPValues(t *testing.T) {
	mpis := []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 1535)}
	v := encodeSMP(mpis...)
	got, err := decodeSMP(v, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range mpis {
		if got[i].Cmp(mpis[i]) != 0 {
			t.Errorf("mpi %d: %v", i, got[i])
		}
	}
	for _, tt := range []struct {
		v    []byte
		want int
	}{{v, 2}, {v, 4}, {v[:len(v)-1], 3}, {append(v, 0), 3}, {nil, 0}} {
		if _, err := decodeSMP(tt.v, tt.want); err == nil {
			t.Errorf("decodeSMP(%x, %d) accepted", tt.v, tt.want)
		}
	}
	q, rest, err := splitSMP1Q(append([]byte("what is it?\x00"), v...))
	if err != nil || q != "what is it?" || !bytes.Equal(rest, v) {
		t.Errorf("splitSMP1Q: %q %x %v", q, rest, err)
	}
	if _, _, err := splitSMP1Q([]byte("no nul")); err == nil {
		t.Error("1Q without NUL accepted")
	}
}

func FuzzTLV(f *testing.F) {
	f.Add([]byte("hi\x00\x00\x01\x00\x00"))
	f.Add([]byte("\x00\x00\x02\x00\x04\x00\x00\x00\x00"))
	f.Add([]byte("x\x00\x00\x07\x00\x03q?\x00"))
	f.Fuzz(func(t *testing.T, p []byte) {
		msg, tlvs, err := splitPlaintext(p)
		if err != nil {
			return
		}
		if !bytes.Equal(buildPlaintext(msg, tlvs), p) && len(tlvs) > 0 {
			t.Fatalf("TLV round trip differs for %x", p)
		}
		for _, tv := range tlvs {
			if tv.typ >= tlvSMP1 && tv.typ <= tlvSMP4 {
				decodeSMP(tv.value, maxSMPMPIs) //nolint: only must not panic
			}
			if tv.typ == tlvSMP1Q {
				splitSMP1Q(tv.value)
			}
		}
	})
}
