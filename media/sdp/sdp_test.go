package sdp

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/media/codec"
)

func TestBuildOffer(t *testing.T) {
	m := Local{
		Addr:       netip.MustParseAddrPort("127.0.0.1:40000"),
		Formats:    []codec.Format{codec.Opus, codec.PCMU, codec.PCMA, codec.G722},
		EventPT:    TelephoneEventPT,
		Attributes: []string{"zrtp-hash:1.10 abcd"},
	}
	b, err := Build(42, 1, m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"v=0",
		"o=padlock 42 1 IN IP4 127.0.0.1",
		"c=IN IP4 127.0.0.1",
		"m=audio 40000 RTP/AVP 111 0 8 9 101",
		"a=rtpmap:111 opus/48000/2",
		"a=fmtp:111 minptime=10;useinbandfec=1;stereo=0;sprop-stereo=0",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:9 G722/8000",
		"a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-16",
		"a=ptime:20",
		"a=zrtp-hash:1.10 abcd",
		"a=sendrecv",
	}
	got := string(b)
	for _, w := range want {
		if !strings.Contains(got, w+"\r\n") {
			t.Errorf("offer lacks %q:\n%s", w, got)
		}
	}
	// Our own offer must read back to what we put in.
	r, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	wantR := Remote{Addr: m.Addr, Formats: m.Formats, EventPT: 101, Direction: SendRecv, ZRTPHash: "1.10 abcd", Ptime: 20}
	if !reflect.DeepEqual(r, wantR) {
		t.Errorf("round trip:\n got %+v\nwant %+v", r, wantR)
	}
}

func TestBuildErrors(t *testing.T) {
	for name, m := range map[string]Local{
		"no address": {Formats: []codec.Format{codec.PCMU, codec.PCMA, codec.G722}},
		"no formats": {Addr: netip.MustParseAddrPort("127.0.0.1:4000")},
	} {
		if _, err := Build(1, 1, m); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBuildHoldIPv6(t *testing.T) {
	b, err := Build(7, 3, Local{Addr: netip.MustParseAddrPort("[::1]:5000"), Formats: []codec.Format{codec.PCMA}, Direction: SendOnly})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"c=IN IP6 ::1", "a=sendonly", "m=audio 5000 RTP/AVP 8\r\n"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("lacks %q:\n%s", w, b)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		file    string
		want    Remote
		wantErr string
	}{
		// Captured from linphonec 5.1.65 (linphone-cli on Debian 12) calling a bare UDP socket.
		{file: "linphonec-5.1.65_offer.sdp", want: Remote{
			Addr:      netip.MustParseAddrPort("[fd00::2]:57532"),
			Formats:   []codec.Format{codec.Opus.WithPayloadType(96), codec.PCMU, codec.PCMA},
			EventPT:   101,
			Direction: SendRecv,
		}},
		{file: "linphonec-5.1.65_offer_zrtp.sdp", want: Remote{
			Addr:      netip.MustParseAddrPort("[fd00::2]:57784"),
			Formats:   []codec.Format{codec.Opus.WithPayloadType(96), codec.PCMU, codec.PCMA},
			EventPT:   101,
			Direction: SendRecv,
			ZRTPHash:  "1.10 1de8fe01bbc25354cc645782d135f3b1cd4f6030fcf3e11fb0e6eee626a4f39f",
		}},
		{file: "linphone_hold_answer.sdp", want: Remote{
			Addr:      netip.MustParseAddrPort("127.0.0.1:7078"),
			Formats:   []codec.Format{codec.PCMA},
			EventPT:   101,
			Direction: RecvOnly,
		}},
		{file: "sdes_offer.sdp", wantErr: "inline key is not 30 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseBroken(t *testing.T) {
	tests := map[string]string{
		"empty":        "",
		"no audio":     "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\n",
		"audio port 0": "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
		"no c= line":   "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
		"hostname c=":  "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 example.org\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
	}
	for name, body := range tests {
		if r, err := Parse([]byte(body)); err == nil {
			t.Errorf("%s: no error, got %+v", name, r)
		}
	}
}

func TestParseFormatRules(t *testing.T) {
	head := "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n"
	tests := []struct {
		name, media string
		want        []codec.Format
		hold        bool
	}{
		{"static without rtpmap", "m=audio 5000 RTP/AVP 9 0\r\n", []codec.Format{codec.G722, codec.PCMU}, false},
		{"static pt remapped to other codec", "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 opus/48000/2\r\n", nil, false},
		{"opus under the peer's number", "m=audio 5000 RTP/AVP 120 0\r\na=rtpmap:120 OPUS/48000/2\r\n", []codec.Format{codec.Opus.WithPayloadType(120), codec.PCMU}, false},
		{"opus at another rate", "m=audio 5000 RTP/AVP 120\r\na=rtpmap:120 opus/16000/2\r\n", nil, false},
		{"opus without rtpmap", "m=audio 5000 RTP/AVP 111\r\n", nil, false},
		{"session level inactive", "a=inactive\r\nm=audio 5000 RTP/AVP 8\r\n", []codec.Format{codec.PCMA}, true},
		{"media overrides session", "a=inactive\r\nm=audio 5000 RTP/AVP 8\r\na=sendrecv\r\n", []codec.Format{codec.PCMA}, false},
		{"old style hold 0.0.0.0", "m=audio 5000 RTP/AVP 8\r\nc=IN IP4 0.0.0.0\r\n", []codec.Format{codec.PCMA}, true},
		{"sendonly", "m=audio 5000 RTP/AVP 8\r\na=sendonly\r\n", []codec.Format{codec.PCMA}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(head + tc.media))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Formats, tc.want) {
				t.Errorf("formats %v, want %v", r.Formats, tc.want)
			}
			if r.Hold() != tc.hold {
				t.Errorf("hold %v, want %v", r.Hold(), tc.hold)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	ours := []codec.Format{codec.Opus.WithBitrate(24000), codec.PCMU, codec.PCMA, codec.G722}
	tests := []struct {
		offered []codec.Format
		want    codec.Format
		ok      bool
	}{
		// The offerer's number, our bitrate.
		{[]codec.Format{codec.Opus.WithPayloadType(96), codec.PCMU}, codec.Opus.WithPayloadType(96).WithBitrate(24000), true},
		{[]codec.Format{codec.PCMU, codec.Opus}, codec.PCMU, true},
		{[]codec.Format{codec.G722, codec.PCMU}, codec.G722, true},
		{[]codec.Format{codec.PCMA}, codec.PCMA, true},
		{nil, codec.Format{}, false},
	}
	for _, tc := range tests {
		got, ok := Choose(tc.offered, ours)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Choose(%v) = %v %v, want %v %v", tc.offered, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDirectionReverse(t *testing.T) {
	for d, want := range map[Direction]Direction{SendRecv: SendRecv, SendOnly: RecvOnly, RecvOnly: SendOnly, Inactive: Inactive, "": SendRecv} {
		if got := d.Reverse(); got != want {
			t.Errorf("%q.Reverse() = %q, want %q", d, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.sdp")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("v=0\r\nm=audio 1 RTP/AVP 0\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		if !r.Addr.IsValid() || r.Addr.Port() == 0 {
			t.Fatalf("accepted SDP with no usable address: %+v", r)
		}
		// Whatever we accepted, we can answer.
		if len(r.Formats) > 0 {
			if _, err := Build(1, 1, Local{Addr: r.Addr, Formats: r.Formats, Direction: r.Direction.Reverse()}); err != nil {
				t.Fatalf("cannot answer accepted SDP: %v", err)
			}
		}
	})
}
