// Package prompts holds what the screenless phone says and plays into the
// headset: the ZRTP short authentication string read aloud, the spoken
// security announcements, and the call-progress tones.
//
// The voice is espeak-ng's (en-us, 150 words per minute), rendered once by
// gen/gen.sh into data/ and embedded; see that script for the processing
// chain and data/GENERATED for the versions used. Every function returns
// a fresh slice of 16-bit mono samples at the rate asked for, 8000 or
// 16000 Hz, so the caller may keep or change it.
package prompts

//go:generate bash gen/gen.sh

import (
	"embed"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/padlock-phone/padlock/media/audio"
)

//go:embed data/icao/*.wav data/digit/*.wav data/phrase/*.wav data/pgp/even/*.wav data/pgp/odd/*.wav
var data embed.FS

// The two rates the prompts come in.
const (
	Narrowband = 8000  // telephone band, G.711
	Wideband   = 16000 // the rate the prompts are recorded at, G.722
)

// WordGap is the silence between two spoken words of a SAS: long enough
// that "bravo" and "eight" are heard as two separate characters.
const WordGap = 200 * time.Millisecond

// Name names a spoken phrase.
type Name string

// The phrases.
const (
	CallSecured      Name = "call-secured"      // "Call secured."
	PleaseCompare    Name = "please-compare"    // "Please compare." (then the SAS)
	SASConfirmed     Name = "sas-confirmed"     // "S-A-S confirmed."
	NotEncrypted     Name = "not-encrypted"     // "Warning: this call is not encrypted."
	KeyChanged       Name = "key-changed"       // "Warning: the security key of this contact has changed. Possible eavesdropper."
	EncryptionFailed Name = "encryption-failed" // "Encryption failed."
	SecuringTheCall  Name = "securing"          // "Securing the call."
	Caller           Name = "caller"            // "Caller number." (then the leg's number, before its SAS)
	CallOnHold       Name = "call-on-hold"      // "A call is on hold. Press answer to resume."
	Transferring     Name = "transferring"      // "Transferring the call." (the peer transfers us)
	// NotEndToEnd is said for a call protected only by keys the
	// signalling carried (SDES over SIP-TLS): no SAS follows.
	NotEndToEnd Name = "not-end-to-end" // "Call encrypted, but not end to end."
	// NotVerifiable is said for a call keyed by DTLS-SRTP (Jingle with a
	// client that has no ZRTP): encrypted, but no SAS can check the keys.
	NotVerifiable Name = "not-verifiable" // "Call encrypted, but it cannot be verified."
)

// Names lists every phrase.
func Names() []Name {
	return []Name{CallSecured, PleaseCompare, SASConfirmed, NotEncrypted, KeyChanged, EncryptionFailed, SecuringTheCall, Caller, CallOnHold, Transferring, NotEndToEnd, NotVerifiable}
}

// Phrase returns the spoken phrase at rate (8000 or 16000 Hz).
func Phrase(name Name, rate int) ([]int16, error) {
	if err := checkRate(rate); err != nil {
		return nil, err
	}
	pcm, err := load("data/phrase/"+string(name)+".wav", rate)
	if err != nil {
		return nil, fmt.Errorf("phrase %q: %w", name, err)
	}
	return pcm, nil
}

// b32Alphabet is the base32 alphabet of RFC 6189 section 5.1.6, the only
// characters a B32 SAS holds.
const b32Alphabet = "ybndrfg8ejkmcpqxot1uwisza345h769"

// icao is the ICAO spelling word for each letter, as its file is named.
var icao = [26]string{
	"alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
	"quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
	"xray", "yankee", "zulu",
}

// digits are the English numbers, read as such (not ICAO's "niner").
var digits = [10]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// Words returns the files, in order, that SAS reads for sas: for a B32 SAS
// (4 characters of the RFC 6189 base32 alphabet, e.g. "ybe8") one ICAO word
// or English number per character, as "icao/yankee" or "digit/eight"; for a
// B256 SAS (an even PGP word, a space, an odd PGP word, e.g. "aardvark
// adroitness") the two words, as "pgp/even/aardvark". Case is ignored.
func Words(sas string) ([]string, error) {
	for i := range len(sas) {
		if sas[i] >= 0x80 { // before ToLower, which folds the Kelvin sign to k
			return nil, fmt.Errorf("SAS %q: not ASCII", sas)
		}
	}
	s := strings.ToLower(sas)
	if even, odd, ok := strings.Cut(s, " "); ok {
		words := []string{"pgp/even/" + even, "pgp/odd/" + odd}
		for _, w := range words {
			if !isWord(w) {
				return nil, fmt.Errorf("SAS %q: %q is not a PGP word of its place (even first, odd second)", sas, w[strings.LastIndexByte(w, '/')+1:])
			}
		}
		return words, nil
	}
	if len(s) != 4 {
		return nil, fmt.Errorf("SAS %q: want 4 base32 characters or two PGP words", sas)
	}
	words := make([]string, 0, len(s))
	for i := range len(s) {
		c := s[i]
		switch {
		case strings.IndexByte(b32Alphabet, c) < 0:
			return nil, fmt.Errorf("SAS %q: %q is not in the RFC 6189 base32 alphabet", sas, c)
		case c >= 'a' && c <= 'z':
			words = append(words, "icao/"+icao[c-'a'])
		default:
			words = append(words, "digit/"+digits[c-'0'])
		}
	}
	return words, nil
}

// isWord reports whether a word file exists, without decoding it. Names
// with a dot or slash of their own never reach the file system.
func isWord(w string) bool {
	base := w[strings.LastIndexByte(w, '/')+1:]
	if base == "" || strings.ContainsAny(base, "./\\") {
		return false
	}
	_, err := data.Open("data/" + w + ".wav")
	return err == nil
}

// SAS returns the short authentication string read aloud at rate (8000
// or 16000 Hz): its words one after the other with WordGap of silence
// between them, none before or after. See Words for what sas may be.
func SAS(sas string, rate int) ([]int16, error) {
	if err := checkRate(rate); err != nil {
		return nil, err
	}
	words, err := Words(sas)
	if err != nil {
		return nil, err
	}
	gap := samples(WordGap, rate)
	clips := make([][]int16, len(words))
	n := gap * (len(words) - 1)
	for i, w := range words {
		if clips[i], err = load("data/"+w+".wav", rate); err != nil {
			return nil, fmt.Errorf("SAS %q: %w", sas, err)
		}
		n += len(clips[i])
	}
	out := make([]int16, 0, n)
	for i, c := range clips {
		if i > 0 {
			out = append(out, make([]int16, gap)...)
		}
		out = append(out, c...)
	}
	return out, nil
}

// Digit returns the number d (0..9) spoken at rate: a call's place
// ("caller number two") before its SAS.
func Digit(d, rate int) ([]int16, error) {
	if err := checkRate(rate); err != nil {
		return nil, err
	}
	if d < 0 || d > 9 {
		return nil, fmt.Errorf("digit %d: want 0..9", d)
	}
	return load("data/digit/"+digits[d]+".wav", rate)
}

func checkRate(rate int) error {
	if rate != Narrowband && rate != Wideband {
		return fmt.Errorf("prompt rate %d Hz: want 8000 or 16000", rate)
	}
	return nil
}

// load decodes one embedded file and brings it to rate.
func load(path string, rate int) ([]int16, error) {
	b, err := data.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("no prompt %s: %w", path, err)
	}
	pcm, from, err := decodeWAV(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return resample(pcm, from, rate)
}

// resample converts a whole clip from one rate to another with the
// headset path's Kaiser-windowed sinc filter (a proper low-pass below the
// lower rate's Nyquist frequency), removing the filter's delay so the
// result starts where the clip starts and lasts as long.
func resample(pcm []int16, from, to int) ([]int16, error) {
	if from == to {
		return pcm, nil
	}
	r, err := audio.NewResampler(from, to)
	if err != nil {
		return nil, err
	}
	delay := int(math.Round(r.Delay()))
	want := int((int64(len(pcm))*int64(to) + int64(from)/2) / int64(from))
	out := make([]int16, 0, r.MaxOut(len(pcm))+delay+to/100)
	out = r.Process(out, pcm)
	zeros := make([]int16, from/100) // 10 ms of silence per round to flush the filter
	for len(out) < delay+want {
		out = r.Process(out, zeros)
	}
	return out[delay : delay+want : delay+want], nil
}
