package otr

import (
	"strings"
	"testing"
)

func TestSpecFragmentExample(t *testing.T) {
	var msg string
	var r reassembler
	var got string
	var done bool
	for _, v := range readVectors(t, "testdata/spec_fragments.txt") {
		switch v[0] {
		case "message":
			msg = v[1]
		case "fragment":
			f, ok, err := parseFragment(v[1])
			if !ok || err != nil {
				t.Fatalf("fragment %q: ok=%v err=%v", v[1], ok, err)
			}
			if f.version != 3 || f.senderTag != 0x5a73a599 || f.receiverTag != 0x27e31597 || f.n != 3 {
				t.Fatalf("fragment parsed as %+v", f)
			}
			got, done = r.add(f)
		}
	}
	if !done || got != msg {
		t.Fatalf("reassembled %q (done=%v), want %q", got, done, msg)
	}
	b, ok, err := decodeWire(got)
	if !ok || err != nil {
		t.Fatalf("decode: %v", err)
	}
	m, err := parseWire(b)
	if err != nil {
		t.Fatalf("spec data message does not parse: %v", err)
	}
	if m.version != 3 || m.typ != msgData || m.senderKeyID != 1 || m.recipientKeyID != 2 {
		t.Errorf("spec data message parsed as version %d type %d keyids %d/%d", m.version, m.typ, m.senderKeyID, m.recipientKeyID)
	}
}

func TestFragmentRoundTrip(t *testing.T) {
	msg := encodeWire([]byte(strings.Repeat("long message body ", 200)))
	tests := []struct {
		name    string
		version uint16
		max     int
	}{
		{"v3 small", 3, 60},
		{"v3 large", 3, 1000},
		{"v2 small", 2, 40},
		{"v2 one byte pieces", 2, fragOverheadV2 + 1},
		{"fits", 3, len(msg)},
		{"no limit", 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frags, err := fragmentMessage(msg, tt.max, tt.version, 0x12345678, 0x100)
			if err != nil {
				t.Fatal(err)
			}
			if tt.max == 0 || tt.max >= len(msg) {
				if len(frags) != 1 || frags[0] != msg {
					t.Fatalf("got %d fragments for a message that fits", len(frags))
				}
				return
			}
			var r reassembler
			for i, fr := range frags {
				if len(fr) > tt.max {
					t.Fatalf("fragment %d is %d bytes, max %d", i, len(fr), tt.max)
				}
				f, ok, err := parseFragment(fr)
				if !ok || err != nil || f.version != tt.version {
					t.Fatalf("fragment %d %q: ok=%v err=%v", i, fr, ok, err)
				}
				got, done := r.add(f)
				if done != (i == len(frags)-1) {
					t.Fatalf("done=%v at fragment %d of %d", done, i+1, len(frags))
				}
				if done && got != msg {
					t.Fatal("reassembled message differs")
				}
			}
		})
	}
	if _, err := fragmentMessage(msg, fragOverheadV3, 3, 1, 1); err == nil {
		t.Error("max size with no room for a piece accepted")
	}
}

func TestParseFragmentRejects(t *testing.T) {
	for _, s := range []string{
		"?OTR|zz|100,1,1,x,",
		"?OTR|100|100,0,1,x,",
		"?OTR|100|100,2,1,x,",
		"?OTR|100|100,1,0,x,",
		"?OTR|100|100,1,1,,",
		"?OTR|100|100,1,1,x",
		"?OTR|100|100,1,1,x,y",
		"?OTR|100,1,1,x,",
		"?OTR,1,1,x,,",
		"?OTR,70000,70000,x,",
		"?OTR,-1,1,x,",
	} {
		if _, ok, err := parseFragment(s); !ok || err == nil {
			t.Errorf("parseFragment(%q): ok=%v err=%v", s, ok, err)
		}
	}
	if _, ok, _ := parseFragment("?OTR:AAAA."); ok {
		t.Error("encoded message taken for a fragment")
	}
}

func TestReassemblerRules(t *testing.T) {
	frag := func(k, n int, piece string) fragment {
		return fragment{version: 3, senderTag: 0x100, k: k, n: n, piece: piece}
	}
	tests := []struct {
		name  string
		in    []fragment
		want  string
		whole bool
	}{
		{"in order", []fragment{frag(1, 3, "a"), frag(2, 3, "b"), frag(3, 3, "c")}, "abc", true},
		{"restart on 1", []fragment{frag(1, 3, "a"), frag(2, 3, "b"), frag(1, 2, "x"), frag(2, 2, "y")}, "xy", true},
		{"gap discards", []fragment{frag(1, 3, "a"), frag(3, 3, "c")}, "", false},
		{"n changes", []fragment{frag(1, 3, "a"), frag(2, 4, "b"), frag(3, 3, "c")}, "", false},
		{"duplicate discards", []fragment{frag(1, 2, "a"), frag(1, 2, "a"), frag(2, 2, "b")}, "ab", true},
		{"other sender", []fragment{frag(1, 2, "a"), {version: 3, senderTag: 0x200, k: 2, n: 2, piece: "b"}}, "", false},
		{"single", []fragment{frag(1, 1, "only")}, "only", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r reassembler
			var got string
			var whole bool
			for _, f := range tt.in {
				got, whole = r.add(f)
			}
			if got != tt.want || whole != tt.whole {
				t.Errorf("got %q %v, want %q %v", got, whole, tt.want, tt.whole)
			}
		})
	}
}

func FuzzReassembler(f *testing.F) {
	f.Add("?OTR|100|0,1,2,?OTR:AA,\n?OTR|100|0,2,2,AA.,")
	f.Add("?OTR,1,3,a,\n?OTR,2,3,b,\n?OTR,3,3,c,")
	f.Add("?OTR,1,2,a,\n?OTR,1,2,a,\n?OTR,3,2,c,")
	f.Fuzz(func(t *testing.T, in string) {
		var r reassembler
		for _, line := range strings.Split(in, "\n") {
			fr, ok, err := parseFragment(line)
			if !ok || err != nil {
				r.reset()
				continue
			}
			if fr.k < 1 || fr.k > fr.n || fr.piece == "" {
				t.Fatalf("parser accepted illegal fragment %+v", fr)
			}
			if msg, done := r.add(fr); done && msg == "" {
				t.Fatal("empty message reassembled")
			}
			if r.buf.Len() > maxReassembled {
				t.Fatal("reassembler over its bound")
			}
		}
	})
}

func TestFragmentBuffersPerInstance(t *testing.T) {
	frag := func(sender uint32, k, n int, piece string) fragment {
		return fragment{version: 3, senderTag: sender, k: k, n: n, piece: piece}
	}
	var b fragmentBuffers
	steps := []struct {
		f    fragment
		want string
	}{
		{frag(0x100, 1, 2, "a1"), ""},
		{frag(0x200, 1, 2, "b1"), ""},
		{frag(0x100, 2, 2, "a2"), "a1a2"},
		{frag(0x200, 2, 2, "b2"), "b1b2"},
		{frag(0x300, 2, 2, "orphan"), ""},
	}
	for i, s := range steps {
		got, done := b.add(s.f)
		if got != s.want || done != (s.want != "") {
			t.Fatalf("step %d: got %q %v, want %q", i, got, done, s.want)
		}
	}
	if len(b.bySender) != 0 {
		t.Fatalf("finished messages still stored: %d", len(b.bySender))
	}
	for s := uint32(0x100); s < 0x100+2*maxFragmentSenders; s++ {
		b.add(frag(s, 1, 2, "x"))
		if len(b.bySender) > maxFragmentSenders {
			t.Fatalf("%d senders stored", len(b.bySender))
		}
	}
	b.reset()
	if got, done := b.add(frag(0x100, 2, 2, "late")); done || got != "" {
		t.Fatal("fragment continued after reset")
	}
}
