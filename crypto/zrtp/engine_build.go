package zrtp

import (
	"crypto/subtle"
	"fmt"
	"io"
	"slices"
	"strings"
)

// buildHello encodes this endpoint's Hello, MAC keyed with H2.
func (e *Engine) buildHello() []byte {
	h := &Hello{
		Version: [4]byte([]byte("1.10")),
		H3:      e.chain[3],
		ZID:     e.cfg.ZID,
		Hashes:  e.cfg.Hashes, Ciphers: e.cfg.Ciphers, AuthTags: e.cfg.AuthTags,
		KeyAgreements: e.cfg.KeyAgreements, SASTypes: e.cfg.SASTypes,
	}
	copy(h.ClientID[:], fmt.Sprintf("%-16s", e.cfg.ClientID))
	msg := Marshal(h)
	setMessageMAC(e.chain[2], msg)
	return msg
}

// keyAgreementRank orders key agreements from fastest to slowest; when the
// two sides' first choices differ, the faster one wins (RFC 6189 §4.1.2,
// in bzrtp's order).
var keyAgreementRank = map[Algo]int{KeyX255: 1, KeyEC25: 2, KeyDH3k: 3, KeyEC38: 4}

// pick returns the first of prefs that other also has.
func pick(prefs, other []Algo) (Algo, bool) {
	for _, a := range prefs {
		if slices.Contains(other, a) {
			return a, true
		}
	}
	return Algo{}, false
}

// chooseAlgorithms picks what this endpoint puts in its Commit, from its
// own preferences and the peer's Hello. The mandatory algorithms are common
// to both by definition, so every choice succeeds.
func (e *Engine) chooseAlgorithms() {
	choose := func(ours, theirs, mandatory []Algo) Algo {
		a, ok := pick(withMandatory(ours, mandatory), withMandatory(theirs, mandatory))
		if !ok {
			return mandatory[0]
		}
		return a
	}
	e.hash = choose(e.cfg.Hashes, e.peer.Hashes, mandatoryHashes)
	e.cipher = choose(e.cfg.Ciphers, e.peer.Ciphers, mandatoryCiphers)
	e.auth = choose(e.cfg.AuthTags, e.peer.AuthTags, mandatoryAuth)
	e.sas = choose(e.cfg.SASTypes, e.peer.SASTypes, mandatorySAS)
	ours := withMandatory(e.cfg.KeyAgreements, mandatoryKeys)
	theirs := withMandatory(e.peer.KeyAgreements, mandatoryKeys)
	mine, _ := pick(ours, theirs)
	their, _ := pick(theirs, ours)
	e.ka = mine
	if their != mine && keyAgreementRank[their] < keyAgreementRank[mine] {
		e.ka = their
	}
}

// checkCommitAlgorithms checks that a peer's Commit chose what we offer.
func (e *Engine) checkCommitAlgorithms(c *Commit) (ErrorCode, error) {
	checks := []struct {
		a         Algo
		ours, man []Algo
		code      ErrorCode
	}{
		{c.Hash, e.cfg.Hashes, mandatoryHashes, ErrCodeHashUnsupported},
		{c.Cipher, e.cfg.Ciphers, mandatoryCiphers, ErrCodeCipherUnsupported},
		{c.AuthTag, e.cfg.AuthTags, mandatoryAuth, ErrCodeAuthUnsupported},
		{c.KeyAgreement, e.cfg.KeyAgreements, mandatoryKeys, ErrCodeKeyUnsupported},
		{c.SAS, e.cfg.SASTypes, mandatorySAS, ErrCodeSASUnsupported},
	}
	for _, ch := range checks {
		if !slices.Contains(withMandatory(ch.ours, ch.man), ch.a) {
			return ch.code, fmt.Errorf("zrtp: peer's Commit chose %q, which we do not offer", ch.a)
		}
	}
	return 0, nil
}

// roleLabel is the label of a role in secret IDs (RFC 6189 §4.3.1).
func roleLabel(r Role) []byte {
	if r == RoleInitiator {
		return []byte("Initiator")
	}
	return []byte("Responder")
}

// randomID is the stand-in ID for a secret we do not have: random, so it
// matches nothing (RFC 6189 §4.3.1).
func (e *Engine) randomID() ([8]byte, error) {
	var id [8]byte
	_, err := io.ReadFull(e.rand, id[:])
	return id, err
}

// buildDHPart encodes DHPart1 (responder) or DHPart2 (initiator) with the
// IDs of our retained secrets, MAC keyed with H0.
func (e *Engine) buildDHPart(part int) ([]byte, error) {
	role := RoleResponder
	if part == 2 {
		role = RoleInitiator
	}
	d := &DHPart{Part: part, H1: e.chain[1], PV: e.kp.public()}
	ids := []*[8]byte{&d.RS1ID, &d.RS2ID, &d.AuxSecretID, &d.PBXSecretID}
	secrets := [][]byte{e.cached.RS1, e.cached.RS2, nil, nil}
	for i, s := range secrets {
		if s != nil {
			*ids[i] = secretID(e.hash, s, roleLabel(role))
			continue
		}
		id, err := e.randomID()
		if err != nil {
			return nil, fmt.Errorf("zrtp: random secret ID: %w", err)
		}
		*ids[i] = id
	}
	msg := Marshal(d)
	setMessageMAC(e.chain[0], msg)
	return msg, nil
}

// buildCommit encodes our Commit for the chosen algorithms; hvi binds it to
// our DHPart2 and the peer's Hello. MAC keyed with H1.
func (e *Engine) buildCommit() *Commit {
	return &Commit{
		H2: e.chain[2], ZID: e.cfg.ZID,
		Hash: e.hash, Cipher: e.cipher, AuthTag: e.auth, KeyAgreement: e.ka, SAS: e.sas,
		HVI: hvi(e.hash, e.dhPart2, e.peerHello),
	}
}

// matchSecrets picks s1 among our retained secrets by the IDs the peer
// sent (RFC 6189 §4.3.1). Both sides try the pairs in the same order -
// (initiator rs1, responder rs1), (i rs1, r rs2), (i rs2, r rs1), (i rs2,
// r rs2) - as bzrtp does, so they settle on the same secret.
func (e *Engine) matchSecrets(peerRS1, peerRS2 [8]byte) {
	peerLabel := roleLabel(RoleResponder)
	if e.role == RoleResponder {
		peerLabel = roleLabel(RoleInitiator)
	}
	ours := [][]byte{e.cached.RS1, e.cached.RS2}
	theirs := [][8]byte{peerRS1, peerRS2}
	matches := func(s []byte, id [8]byte) bool {
		if s == nil {
			return false
		}
		want := secretID(e.hash, s, peerLabel)
		return subtle.ConstantTimeCompare(want[:], id[:]) == 1
	}
	e.s1 = nil
	for i := range 2 {
		for j := range 2 {
			s, id := ours[i], theirs[j] // we are the initiator: our secret leads
			if e.role == RoleResponder {
				s, id = ours[j], theirs[i]
			}
			if e.s1 == nil && matches(s, id) {
				e.s1 = s
			}
		}
	}
	e.mismatch = e.cacheFound && (e.cached.RS1 != nil || e.cached.RS2 != nil) && e.s1 == nil
}

// computeKeys derives s0 and the session keys once both DHParts are known.
func (e *Engine) computeKeys(dhResult []byte) {
	zidI, zidR := e.cfg.ZID, e.peer.ZID
	helloR, commit := e.peerHello, e.selfCommit
	if e.role == RoleResponder {
		zidI, zidR = zidR, zidI
		helloR, commit = e.selfHello, e.peerCommit
	}
	ctx := kdfContext(zidI, zidR, totalHash(e.hash, helloR, commit, e.dhPart1, e.dhPart2))
	s0 := computeS0(e.hash, dhResult, ctx, e.s1, nil, nil)
	wipe(dhResult)
	e.keys = deriveKeys(e.hash, e.cipher, s0, ctx)
}

// buildConfirm encodes Confirm1 (responder keys) or Confirm2 (initiator
// keys), revealing H0.
func (e *Engine) buildConfirm(which int) ([]byte, error) {
	var iv [16]byte
	if _, err := io.ReadFull(e.rand, iv[:]); err != nil {
		return nil, fmt.Errorf("zrtp: random Confirm IV: %w", err)
	}
	p := &ConfirmPlain{
		H0:              e.chain[0],
		SASVerified:     e.cached.Verified && e.s1 != nil,
		CacheExpiration: 0xffffffff, // keep the secret until replaced
	}
	zrtpKey, macKey := e.keys.zrtpKeyR, e.keys.macKeyR
	if which == 2 {
		zrtpKey, macKey = e.keys.zrtpKeyI, e.keys.macKeyI
	}
	c, err := SealConfirm(which, e.hash, zrtpKey, macKey, iv, p)
	if err != nil {
		return nil, err
	}
	return Marshal(c), nil
}

// srtpKeys are this endpoint's SRTP keys: its own role's as Local.
func (e *Engine) srtpKeys() SRTPKeys {
	k := e.keys
	keys := SRTPKeys{Cipher: e.cipher, AuthTag: e.auth,
		LocalKey: k.srtpKeyI, LocalSalt: k.srtpSaltI, RemoteKey: k.srtpKeyR, RemoteSalt: k.srtpSaltR}
	if e.role == RoleResponder {
		keys.LocalKey, keys.LocalSalt, keys.RemoteKey, keys.RemoteSalt = k.srtpKeyR, k.srtpSaltR, k.srtpKeyI, k.srtpSaltI
	}
	return keys
}

// secure finishes the session: the Secured event, and the cache update
// unless a mismatch holds it back until the SAS is verified.
func (e *Engine) secure() []Output {
	e.state = stSecure
	e.stopTimer()
	k := e.keys
	keys := e.srtpKeys()
	sas, _ := RenderSAS(e.sas, k.sasValue)
	out := []Output{Secured{
		SAS: sas, SASType: e.sas, SASValue: k.sasValue,
		Verified: e.cached.Verified && e.peerV && e.s1 != nil && !e.mismatch,
		Role:     e.role, PeerZID: e.peer.ZID, PeerClientID: strings.TrimRight(string(e.peer.ClientID[:]), " \x00"),
		Hash: e.hash, Cipher: e.cipher, AuthTag: e.auth, KeyAgreement: e.ka,
		Keys: keys,
	}}
	if !e.mismatch {
		// the previous rs1 becomes rs2 (RFC 6189 §4.6.1)
		e.stored = CachedSecrets{RS1: k.newRS1, RS2: e.cached.RS1, Verified: e.cached.Verified && e.s1 != nil}
		out = append(out, CacheUpdate{PeerZID: e.peer.ZID, Secrets: e.stored})
	}
	wipe(k.s0, k.macKeyI, k.macKeyR, k.zrtpKeyI, k.zrtpKeyR)
	return out
}
