package rtp

import (
	"errors"
	"fmt"
	"strings"

	pionrtp "github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// Profile is an SRTP protection profile: cipher and authentication tag.
type Profile uint8

// The profiles ZRTP can negotiate (RFC 6189 section 5.1.3: AES1 or AES3
// with HS32 or HS80), plus the AES-GCM ones pion also implements.
const (
	AES128CMHMACSHA180 Profile = iota + 1 // AES_CM_128_HMAC_SHA1_80
	AES128CMHMACSHA132                    // AES_CM_128_HMAC_SHA1_32
	AES256CMHMACSHA180                    // AES_256_CM_HMAC_SHA1_80 (RFC 6188)
	AES256CMHMACSHA132                    // AES_256_CM_HMAC_SHA1_32 (RFC 6188)
	AEADAES128GCM                         // AEAD_AES_128_GCM (RFC 7714)
	AEADAES256GCM                         // AEAD_AES_256_GCM (RFC 7714)
)

var profiles = map[Profile]struct {
	pion srtp.ProtectionProfile
	name string
}{
	AES128CMHMACSHA180: {srtp.ProtectionProfileAes128CmHmacSha1_80, "AES_CM_128_HMAC_SHA1_80"},
	AES128CMHMACSHA132: {srtp.ProtectionProfileAes128CmHmacSha1_32, "AES_CM_128_HMAC_SHA1_32"},
	AES256CMHMACSHA180: {srtp.ProtectionProfileAes256CmHmacSha1_80, "AES_256_CM_HMAC_SHA1_80"},
	AES256CMHMACSHA132: {srtp.ProtectionProfileAes256CmHmacSha1_32, "AES_256_CM_HMAC_SHA1_32"},
	AEADAES128GCM:      {srtp.ProtectionProfileAeadAes128Gcm, "AEAD_AES_128_GCM"},
	AEADAES256GCM:      {srtp.ProtectionProfileAeadAes256Gcm, "AEAD_AES_256_GCM"},
}

func (p Profile) String() string {
	if d, ok := profiles[p]; ok {
		return d.name
	}
	return fmt.Sprintf("Profile(%d)", uint8(p))
}

// KeyLen and SaltLen are the master key and salt sizes the profile needs.
func (p Profile) KeyLen() int {
	n, _ := profiles[p].pion.KeyLen()
	return n
}

// SaltLen is the master salt size the profile needs.
func (p Profile) SaltLen() int {
	n, _ := profiles[p].pion.SaltLen()
	return n
}

// ZRTPProfile maps the cipher and SRTP auth tag types ZRTP negotiated
// (RFC 6189 sections 5.1.3 and 5.1.4, as their 4-character names, e.g.
// "AES1" and "HS80") to a profile. AES2 (AES-192) has no profile here:
// pion/srtp does not implement AES-192-CM, so ZRTP must not negotiate it.
func ZRTPProfile(cipher, authTag string) (Profile, error) {
	trim := func(s string) string { return strings.TrimRight(s, " ") }
	switch trim(cipher) + "/" + trim(authTag) {
	case "AES1/HS80":
		return AES128CMHMACSHA180, nil
	case "AES1/HS32":
		return AES128CMHMACSHA132, nil
	case "AES3/HS80":
		return AES256CMHMACSHA180, nil
	case "AES3/HS32":
		return AES256CMHMACSHA132, nil
	}
	return 0, fmt.Errorf("rtp: no SRTP profile for ZRTP cipher %q with auth tag %q: use AES1 or AES3 with HS32 or HS80", cipher, authTag)
}

// Keys are the SRTP master keys and salts of both directions, as ZRTP
// derives them (RFC 6189 section 4.5.3: the initiator's and responder's
// keys; which one is "local" depends on the role).
type Keys struct {
	Profile    Profile
	LocalKey   []byte // protects what we send
	LocalSalt  []byte
	RemoteKey  []byte // checks what we receive
	RemoteSalt []byte
}

// replayWindow is the SRTP and SRTCP replay window in packets (RFC 3711
// section 3.3.2 requires at least 64).
const replayWindow = 128

// session protects outgoing and checks incoming packets with one pair of
// pion contexts. Each direction must be used by one goroutine at a time.
type session struct {
	profile Profile
	out, in *srtp.Context
	outHdr  pionrtp.Header
	inHdr   pionrtp.Header
}

func newSession(k Keys) (*session, error) {
	d, ok := profiles[k.Profile]
	if !ok {
		return nil, fmt.Errorf("rtp: unknown SRTP profile %d", k.Profile)
	}
	kl, sl := k.Profile.KeyLen(), k.Profile.SaltLen()
	if len(k.LocalKey) != kl || len(k.RemoteKey) != kl || len(k.LocalSalt) != sl || len(k.RemoteSalt) != sl {
		// Never print the keys, only their sizes.
		return nil, fmt.Errorf("rtp: %s needs %d-byte master keys and %d-byte salts, got keys of %d/%d and salts of %d/%d bytes",
			k.Profile, kl, sl, len(k.LocalKey), len(k.RemoteKey), len(k.LocalSalt), len(k.RemoteSalt))
	}
	out, err := srtp.CreateContext(k.LocalKey, k.LocalSalt, d.pion)
	if err != nil {
		return nil, fmt.Errorf("rtp: SRTP context for sending: %w", err)
	}
	in, err := srtp.CreateContext(k.RemoteKey, k.RemoteSalt, d.pion,
		srtp.SRTPReplayProtection(replayWindow), srtp.SRTCPReplayProtection(replayWindow))
	if err != nil {
		return nil, fmt.Errorf("rtp: SRTP context for receiving: %w", err)
	}
	return &session{profile: k.Profile, out: out, in: in}, nil
}

var errAuth = errors.New("rtp: SRTP packet failed authentication or replay check")

// protectRTP appends the SRTP form of a clear RTP packet to dst.
func (s *session) protectRTP(dst, pkt []byte) ([]byte, error) {
	return s.out.EncryptRTP(dst, pkt, &s.outHdr)
}

// unprotectRTP appends the clear form of an SRTP packet to dst; clear,
// forged, or replayed packets fail.
func (s *session) unprotectRTP(dst, pkt []byte) ([]byte, error) {
	out, err := s.in.DecryptRTP(dst, pkt, &s.inHdr)
	if err != nil {
		// Not wrapped: a flood of clear or forged packets should cost
		// no allocation each.
		return nil, errAuth
	}
	return out, nil
}

func (s *session) protectRTCP(dst, pkt []byte) ([]byte, error) {
	return s.out.EncryptRTCP(dst, pkt, nil)
}

func (s *session) unprotectRTCP(dst, pkt []byte) ([]byte, error) {
	out, err := s.in.DecryptRTCP(dst, pkt, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errAuth, err)
	}
	return out, nil
}
