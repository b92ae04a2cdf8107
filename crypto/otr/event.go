package otr

import "fmt"

// EventKind says what happened.
type EventKind int

const (
	// WentSecure: the AKE completed; Fingerprint, SSID and Version are set.
	WentSecure EventKind = iota + 1
	// WentInsecure: the correspondent ended the private conversation; the
	// conversation is now finished (Send refuses until End).
	WentInsecure
	// SMPSecretNeeded: the correspondent started SMP; answer with
	// Authenticate. Question holds their question, if any.
	SMPSecretNeeded
	// SMPInProgress: an SMP step was taken (Detail says which).
	SMPInProgress
	// SMPSucceeded: both sides entered the same secret.
	SMPSucceeded
	// SMPFailed: the secrets differ.
	SMPFailed
	// SMPAborted: SMP stopped (by either side, or on a protocol error;
	// Detail says why).
	SMPAborted
	// HeldMessagesSent: messages held for encryption went out, encrypted.
	HeldMessagesSent
	// UnencryptedReceived: plaintext arrived while private, finished, or
	// while policy requires encryption. Warn the user.
	UnencryptedReceived
	// UnreadableReceived: an encrypted message could not be read; an OTR
	// Error Message was sent back.
	UnreadableReceived
	// ErrorReceived: the correspondent sent an OTR Error Message (Detail).
	ErrorReceived
	// MessageIgnored: a message was dropped (another instance, a
	// disallowed version); Detail says why.
	MessageIgnored
	// ExtraKeyReceived: the correspondent wants to use the extra
	// symmetric key; ExtraKey, ExtraKeyUse and ExtraKeyData are set.
	ExtraKeyReceived
	// MessageResent: the last message (Detail) was sent again after the
	// correspondent could not read it and OTR restarted (Config.ResendWindow).
	MessageResent
)

var eventNames = map[EventKind]string{
	WentSecure: "went secure", WentInsecure: "went insecure",
	SMPSecretNeeded: "SMP secret needed", SMPInProgress: "SMP in progress",
	SMPSucceeded: "SMP succeeded", SMPFailed: "SMP failed", SMPAborted: "SMP aborted",
	HeldMessagesSent: "held messages sent", UnencryptedReceived: "unencrypted message received",
	UnreadableReceived: "unreadable message received", ErrorReceived: "OTR error received",
	MessageIgnored: "message ignored", ExtraKeyReceived: "extra symmetric key requested",
	MessageResent: "message resent",
}

func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one thing the caller should know about.
type Event struct {
	Kind        EventKind
	Fingerprint [20]byte // WentSecure: the correspondent's key fingerprint
	SSID        [8]byte  // WentSecure: the secure session id
	Version     int      // WentSecure: protocol version in use
	// SSIDWeRevealed (WentSecure) says which half of the SSID is ours to
	// read aloud: the first if we sent the Reveal Signature message, the
	// second otherwise.
	SSIDWeRevealed bool
	Question       string // SMPSecretNeeded
	Detail         string

	ExtraKey     [32]byte // ExtraKeyReceived
	ExtraKeyUse  uint32
	ExtraKeyData []byte
}

// FormatSSID writes a secure session id as two 32-bit hex words, the way
// OTR clients show it for reading aloud.
func FormatSSID(ssid [8]byte) string {
	return fmt.Sprintf("%08x %08x", ssid[:4], ssid[4:])
}
