package sdp

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/media/codec"
)

// Captured from baresip 1.0.0 (baresip-core on Debian 12, srtp module,
// mediaenc=srtp-mand) dialling a bare UDP socket.
func TestParseBaresipSDES(t *testing.T) {
	b, err := os.ReadFile("testdata/baresip-1.0.0_offer_sdes.sdp")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !r.SAVP || len(r.Crypto) != 1 || r.Crypto[0].Tag != 1 || r.Crypto[0].Suite != SuiteAESCM128HS || len(r.Crypto[0].Key) != 30 {
		t.Fatalf("SAVP %v, crypto %v", r.SAVP, r.Crypto)
	}
	want := []codec.Format{codec.PCMU, codec.PCMA, codec.Opus.WithPayloadType(96), codec.G722}
	if len(r.Formats) != len(want) {
		t.Fatalf("formats %v, want %v", r.Formats, want)
	}
	for i := range want {
		if r.Formats[i] != want[i] {
			t.Errorf("format %d: %v, want %v", i, r.Formats[i], want[i])
		}
	}
	ours, theirs, err := ChooseCrypto(r.Crypto)
	if err != nil || ours.Tag != 1 || ours.Suite != SuiteAESCM128HS || theirs.Tag != 1 || bytes.Equal(ours.Key, theirs.Key) {
		t.Errorf("ChooseCrypto: ours %v, theirs %v, %v", ours, theirs, err)
	}
}

func TestParseCrypto(t *testing.T) {
	k30 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 30))
	k28 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 28))
	tests := []struct {
		name, value string
		want        Crypto // zero: skipped or error
		err         string // "": no error
	}{
		{"AES-CM", "1 AES_CM_128_HMAC_SHA1_80 inline:" + k30, Crypto{1, SuiteAESCM128HS, bytes.Repeat([]byte{7}, 30)}, ""},
		{"AES-GCM", "2 AEAD_AES_128_GCM inline:" + k28, Crypto{2, SuiteAESGCM128, bytes.Repeat([]byte{9}, 28)}, ""},
		{"lifetime", "3 AES_CM_128_HMAC_SHA1_80 inline:" + k30 + "|2^31", Crypto{3, SuiteAESCM128HS, bytes.Repeat([]byte{7}, 30)}, ""},
		{"no padding", "4 AES_CM_128_HMAC_SHA1_80 inline:" + strings.TrimRight(k30, "="), Crypto{4, SuiteAESCM128HS, bytes.Repeat([]byte{7}, 30)}, ""},
		{"MKI", "1 AES_CM_128_HMAC_SHA1_80 inline:" + k30 + "|2^20|1:4", Crypto{}, "not supported"},
		{"session parameter", "1 AES_CM_128_HMAC_SHA1_80 inline:" + k30 + " UNENCRYPTED_SRTP", Crypto{}, "not supported"},
		{"two keys", "1 AES_CM_128_HMAC_SHA1_80 inline:" + k30 + ";inline:" + k30, Crypto{}, "not supported"},
		{"other suite", "1 AES_CM_128_HMAC_SHA1_32 inline:" + k30, Crypto{}, "not supported"},
		{"short key", "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA", Crypto{}, "not 30 bytes"},
		{"GCM key of CM length", "1 AEAD_AES_128_GCM inline:" + k30, Crypto{}, "not 28 bytes"},
		{"bad base64", "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!", Crypto{}, "base64"},
		{"not inline", "1 AES_CM_128_HMAC_SHA1_80 uri:x", Crypto{}, "not inline"},
		{"bad tag", "x AES_CM_128_HMAC_SHA1_80 inline:" + k30, Crypto{}, "tag"},
		{"too short", "1 AES_CM_128_HMAC_SHA1_80", Crypto{}, "want tag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseCrypto(tc.value)
			if tc.err == "" {
				if err != nil || got.Tag != tc.want.Tag || got.Suite != tc.want.Suite || !bytes.Equal(got.Key, tc.want.Key) {
					t.Errorf("got %v %x, %v; want %v", got, got.Key, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err %v, want %q", err, tc.err)
			}
		})
	}
}

// An offer with our two suites reads back as RTP/SAVP with the same keys,
// the answer's line is matched to the offered one, and no log form of a
// line shows its key.
func TestSDESOfferAnswer(t *testing.T) {
	var offer []Crypto
	for i, s := range SDESSuites() {
		c, err := NewCrypto(i+1, s)
		if err != nil {
			t.Fatal(err)
		}
		offer = append(offer, c)
	}
	b, err := Build(1, 1, Local{Addr: netip.MustParseAddrPort("127.0.0.1:4000"), Formats: []codec.Format{codec.PCMU}, Crypto: offer})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "m=audio 4000 RTP/SAVP 0\r\n") {
		t.Errorf("offer is not RTP/SAVP:\n%s", b)
	}
	r, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !r.SAVP || len(r.Crypto) != 2 || r.Crypto[0].Suite != SuiteAESGCM128 || !bytes.Equal(r.Crypto[1].Key, offer[1].Key) {
		t.Fatalf("read back: SAVP %v, %v", r.SAVP, r.Crypto)
	}
	ans, _, err := ChooseCrypto(r.Crypto)
	if err != nil || ans.Suite != SuiteAESGCM128 {
		t.Fatalf("answer %v %v", ans, err)
	}
	ours, theirs, err := MatchCrypto(offer, []Crypto{ans})
	if err != nil || ours.Tag != 1 || !bytes.Equal(theirs.Key, ans.Key) {
		t.Errorf("MatchCrypto: %v %v %v", ours, theirs, err)
	}
	if _, _, err := MatchCrypto(offer, []Crypto{{Tag: 9, Suite: SuiteAESGCM128}}); err == nil {
		t.Error("an answer with an unknown tag matched")
	}
	if _, _, err := ChooseCrypto([]Crypto{{Tag: 1, Suite: "F8_128_HMAC_SHA1_80"}}); err == nil {
		t.Error("ChooseCrypto took a suite we do not do")
	}
	for _, c := range offer {
		if s := c.String(); strings.Contains(s, base64.StdEncoding.EncodeToString(c.Key)[:8]) {
			t.Errorf("%q shows the key", s)
		}
	}
}

// FuzzParseCrypto: any a=crypto value either fails, is skipped, or gives a
// key of its suite's length.
func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:5Kxp/bPNCMxk0B3DdcP1IrNIB5iRSskSf/sZq696")
	f.Add("2 AEAD_AES_128_GCM inline:CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQ==|2^31")
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^20|1:4 KDR=1")
	f.Fuzz(func(t *testing.T, v string) {
		c, err := parseCrypto(v)
		if err == nil && len(c.Key) != keyLen(c.Suite) {
			t.Fatalf("%q: %d-byte key for %s", v, len(c.Key), c.Suite)
		}
	})
}
