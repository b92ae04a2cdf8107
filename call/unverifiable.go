package call

// SecuredUnverifiable: media is encrypted with keys from DTLS-SRTP (a Jingle
// call with a client that has no ZRTP). There is no SAS: the keys are only
// as trustworthy as the signalling that carried the fingerprints (the XMPP
// server), so this is the "encrypted, not verifiable" tier — LOCK blinks
// slowly and the headset says so once. The fingerprints are shown in the
// web admin.
type SecuredUnverifiable struct {
	ID                                ID
	LocalFingerprint, PeerFingerprint string // sha-256, "AB:CD:…"
}

func (e SecuredUnverifiable) CallID() ID { return e.ID }
