package rtp

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/media/codec"
)

type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	*h = d
	return err
}

type srtpVectors struct {
	Keystream []struct {
		Source             string
		Key, IV, Keystream hexBytes
	}
	KDF []struct {
		Source                                                string
		MasterKey, MasterSalt, CipherKey, CipherSalt, AuthKey hexBytes
	}
}

func loadSRTPVectors(t *testing.T) srtpVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/srtp-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v srtpVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// aesCM is a reference AES counter mode (RFC 3711 section 4.1.1): the
// keystream is AES(key, IV + i) for blocks i = 0, 1, ...
func aesCM(t *testing.T, key, iv []byte, n int) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	ks := make([]byte, n)
	cipher.NewCTR(b, iv).XORKeyStream(ks, ks)
	return ks
}

func TestAESCMKeystreamVectors(t *testing.T) {
	for _, v := range loadSRTPVectors(t).Keystream {
		t.Run(v.Source, func(t *testing.T) {
			if got := aesCM(t, v.Key, v.IV, len(v.Keystream)); !bytes.Equal(got, v.Keystream) {
				t.Errorf("keystream\n got %x\nwant %x", got, v.Keystream)
			}
		})
	}
}

// referenceSRTP builds the SRTP packet for a clear RTP packet (12-byte
// header, no CSRC) from session keys, ROC 0, per RFC 3711 sections 3.1,
// 4.1.1 and 4.2.
func referenceSRTP(t *testing.T, clear, key, salt, authKey []byte, tagLen int) []byte {
	t.Helper()
	ssrc := binary.BigEndian.Uint32(clear[8:12])
	seq := binary.BigEndian.Uint16(clear[2:4])
	var roc uint32
	// IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ.
	iv := make([]byte, 16)
	copy(iv, salt)
	var x [16]byte
	binary.BigEndian.PutUint32(x[4:8], ssrc)
	binary.BigEndian.PutUint32(x[8:12], roc)
	binary.BigEndian.PutUint16(x[12:14], seq)
	for i := range iv {
		iv[i] ^= x[i]
	}
	ks := aesCM(t, key, iv, len(clear)-12)
	out := bytes.Clone(clear)
	for i := range ks {
		out[12+i] ^= ks[i]
	}
	m := hmac.New(sha1.New, authKey)
	m.Write(out)
	binary.Write(m, binary.BigEndian, roc)
	return append(out, m.Sum(nil)[:tagLen]...)
}

func TestSRTPVectors(t *testing.T) {
	clear := []byte{
		0x80, 0x00, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe,
	}
	clear = append(clear, bytes.Repeat([]byte{0xab, 0x55, 0x00, 0xff}, 40)...)
	for _, v := range loadSRTPVectors(t).KDF {
		profiles := []struct {
			p   Profile
			tag int
		}{{AES128CMHMACSHA180, 10}, {AES128CMHMACSHA132, 4}}
		if len(v.MasterKey) == 32 {
			profiles = []struct {
				p   Profile
				tag int
			}{{AES256CMHMACSHA180, 10}, {AES256CMHMACSHA132, 4}}
		}
		for _, pr := range profiles {
			t.Run(v.Source+"/"+pr.p.String(), func(t *testing.T) {
				k := Keys{Profile: pr.p, LocalKey: v.MasterKey, LocalSalt: v.MasterSalt, RemoteKey: v.MasterKey, RemoteSalt: v.MasterSalt}
				s, err := newSession(k)
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.protectRTP(nil, clear)
				if err != nil {
					t.Fatal(err)
				}
				want := referenceSRTP(t, clear, v.CipherKey, v.CipherSalt, v.AuthKey, pr.tag)
				if !bytes.Equal(got, want) {
					t.Fatalf("SRTP packet\n got %x\nwant %x", got, want)
				}
				back, err := s.unprotectRTP(nil, want)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(back, clear) {
					t.Errorf("unprotected\n got %x\nwant %x", back, clear)
				}
				// A replay of the same packet is refused.
				if _, err := s.unprotectRTP(nil, want); err == nil {
					t.Error("replayed SRTP packet accepted")
				}
				// The clear packet is refused once keys are on.
				if _, err := s.unprotectRTP(nil, clear); err == nil {
					t.Error("clear RTP packet accepted by SRTP")
				}
			})
		}
	}
}

func TestSRTPProfiles(t *testing.T) {
	for _, p := range []Profile{AES128CMHMACSHA180, AES128CMHMACSHA132, AES256CMHMACSHA180, AES256CMHMACSHA132, AEADAES128GCM, AEADAES256GCM} {
		t.Run(p.String(), func(t *testing.T) {
			k := testKeys(p, 1)
			a, err := newSession(k)
			if err != nil {
				t.Fatal(err)
			}
			b, err := newSession(Keys{Profile: p, LocalKey: k.RemoteKey, LocalSalt: k.RemoteSalt, RemoteKey: k.LocalKey, RemoteSalt: k.LocalSalt})
			if err != nil {
				t.Fatal(err)
			}
			rtpPkt := []byte{0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 9, 9, 9, 9}
			enc, err := a.protectRTP(nil, rtpPkt)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := b.unprotectRTP(nil, enc)
			if err != nil || !bytes.Equal(dec, rtpPkt) {
				t.Fatalf("RTP round trip: %x, %v", dec, err)
			}
			enc[len(enc)-1] ^= 1
			if _, err := b.unprotectRTP(nil, enc); err == nil {
				t.Error("tampered SRTP accepted")
			}
			rtcpPkt := []byte{0x80, 201, 0, 1, 1, 2, 3, 4}
			encC, err := a.protectRTCP(nil, rtcpPkt)
			if err != nil {
				t.Fatal(err)
			}
			if Classify(encC) != KindRTCP {
				t.Errorf("SRTCP classified as %v", Classify(encC))
			}
			decC, err := b.unprotectRTCP(nil, encC)
			if err != nil || !bytes.Equal(decC, rtcpPkt) {
				t.Fatalf("RTCP round trip: %x, %v", decC, err)
			}
		})
	}
	if _, err := newSession(Keys{Profile: AES128CMHMACSHA180, LocalKey: make([]byte, 15)}); err == nil {
		t.Error("short key accepted")
	}
	if _, err := newSession(Keys{Profile: 99}); err == nil {
		t.Error("unknown profile accepted")
	}
}

// testKeys makes distinct keys for both directions from a seed byte.
func testKeys(p Profile, seed byte) Keys {
	mk := func(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }
	return Keys{Profile: p,
		LocalKey: mk(p.KeyLen(), seed), LocalSalt: mk(p.SaltLen(), seed+1),
		RemoteKey: mk(p.KeyLen(), seed+2), RemoteSalt: mk(p.SaltLen(), seed+3)}
}

func TestZRTPProfile(t *testing.T) {
	tests := []struct {
		cipher, auth string
		want         Profile
		ok           bool
	}{
		{"AES1", "HS80", AES128CMHMACSHA180, true},
		{"AES1", "HS32", AES128CMHMACSHA132, true},
		{"AES3", "HS80", AES256CMHMACSHA180, true},
		{"AES3", "HS32", AES256CMHMACSHA132, true},
		{"AES2", "HS80", 0, false},
		{"AES1", "SK32", 0, false},
		{"2FS1", "HS80", 0, false},
	}
	for _, tt := range tests {
		got, err := ZRTPProfile(tt.cipher, tt.auth)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ZRTPProfile(%q, %q) = %v, %v; want %v, ok %v", tt.cipher, tt.auth, got, err, tt.want, tt.ok)
		}
	}
}

// TestSRTPSequenceWrap: the rollover counter follows the sequence number
// past 65535 on both sides (RFC 3711 section 3.3.1), and the receiver's
// extended highest sequence number counts the cycle.
func TestSRTPSequenceWrap(t *testing.T) {
	sp := newSendPath(t, codec.PCMU, AES128CMHMACSHA132)
	sp.snd.seq = 65500
	rp := newRecvPath(t, codec.PCMU, AES128CMHMACSHA132)
	for range 100 {
		rp.packet(sp.packet()) // panics if unprotect fails
	}
	if got, want := rp.rcv.Stats().ExtendedHighestSeq, uint32(65536+63); got != want {
		t.Errorf("extended highest seq %d, want %d", got, want)
	}
	if rms(rp.out) == 0 {
		t.Error("silence after the wrap")
	}
}
