package prompts

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/crypto/zrtp"
)

// spokenAs is what each character of a B32 SAS must be read as, written
// out here independently of the package's tables.
var spokenAs = map[byte]string{
	'a': "icao/alfa", 'b': "icao/bravo", 'c': "icao/charlie", 'd': "icao/delta",
	'e': "icao/echo", 'f': "icao/foxtrot", 'g': "icao/golf", 'h': "icao/hotel",
	'i': "icao/india", 'j': "icao/juliett", 'k': "icao/kilo", 'l': "icao/lima",
	'm': "icao/mike", 'n': "icao/november", 'o': "icao/oscar", 'p': "icao/papa",
	'q': "icao/quebec", 'r': "icao/romeo", 's': "icao/sierra", 't': "icao/tango",
	'u': "icao/uniform", 'v': "icao/victor", 'w': "icao/whiskey", 'x': "icao/xray",
	'y': "icao/yankee", 'z': "icao/zulu",
	'0': "digit/zero", '1': "digit/one", '2': "digit/two", '3': "digit/three",
	'4': "digit/four", '5': "digit/five", '6': "digit/six", '7': "digit/seven",
	'8': "digit/eight", '9': "digit/nine",
}

// checkSpokenWord checks that pcm (at rate) sounds like one generated
// word: duration within bounds, peak level where the generator puts it
// (-6 dBFS, give or take the ADPCM and resampling error), and sound in
// most of it (no silent stretch longer than a stop consonant's closure).
func checkSpokenWord(t *testing.T, what string, pcm []int16, rate int, minSec, maxSec float64) {
	t.Helper()
	if d := seconds(len(pcm), rate); d < minSec || d > maxSec {
		t.Errorf("%s: lasts %.3f s, want %.2f..%.2f s", what, d, minSec, maxSec)
	}
	if p := dBFS(peakAbs(pcm)); p < -8 || p > -4.5 {
		t.Errorf("%s: peak %.1f dBFS, want about -6", what, p)
	}
	if r := dBFS(rms(pcm)); r < -32 || r > -12 {
		t.Errorf("%s: RMS %.1f dBFS, want speech level (-32..-12)", what, r)
	}
	on := activeFrames(pcm, rate/100, -45)
	active := 0
	for _, a := range on {
		if a {
			active++
		}
	}
	// Stops ("optic", "afflict") close the mouth for 50-100 ms.
	if frac := float64(active) / float64(len(on)); frac < 0.5 {
		t.Errorf("%s: only %.0f%% of 10 ms frames above -45 dBFS", what, 100*frac)
	}
	// The generator trims silence: the first and last 20 ms have sound.
	edge := rate / 50
	if len(pcm) > 2*edge && (allZero(pcm[:edge]) || allZero(pcm[len(pcm)-edge:])) {
		t.Errorf("%s: starts or ends in silence; the trim did not run", what)
	}
}

func TestEveryLetterAndDigitFile(t *testing.T) {
	for c, w := range spokenAs {
		t.Run(w, func(t *testing.T) {
			pcm, rate := loadFile(t, "data/"+w+".wav")
			if rate != Wideband {
				t.Errorf("%c: stored at %d Hz, want %d", c, rate, Wideband)
			}
			checkSpokenWord(t, w, pcm, rate, 0.25, 0.9)
		})
	}
}

func TestB32AlphabetAsTheEngineRendersIt(t *testing.T) {
	// Every character the ZRTP engine can put in a B32 SAS, in each of the
	// four places, reads as its ICAO word or English number.
	for v := range uint32(32) {
		sasValue := v<<27 | v<<22 | v<<17 | v<<12
		sas, err := zrtp.RenderSAS(zrtp.SASB32, sasValue)
		if err != nil {
			t.Fatal(err)
		}
		words, err := Words(sas)
		if err != nil {
			t.Fatalf("Words(%q): %v", sas, err)
		}
		want := slices.Repeat([]string{spokenAs[sas[0]]}, 4)
		if !slices.Equal(words, want) || strings.Count(sas, sas[:1]) != 4 {
			t.Errorf("Words(%q) = %q, want %q", sas, words, want)
		}
		if _, err := Words(strings.ToUpper(sas)); err != nil {
			t.Errorf("Words(%q): %v", strings.ToUpper(sas), err)
		}
	}
}

func TestEveryPGPWord(t *testing.T) {
	// The engine renders byte b as the even word b then the odd word b;
	// each must be there, at 8 kHz, and sound like a word.
	for b := range uint32(256) {
		sas, err := zrtp.RenderSAS(zrtp.SASB256, b<<24|b<<16)
		if err != nil {
			t.Fatal(err)
		}
		words, err := Words(sas)
		if err != nil {
			t.Fatalf("Words(%q): %v", sas, err)
		}
		even, odd, _ := strings.Cut(strings.ToLower(sas), " ")
		if want := []string{"pgp/even/" + even, "pgp/odd/" + odd}; !slices.Equal(words, want) {
			t.Fatalf("Words(%q) = %q, want %q", sas, words, want)
		}
		for _, w := range words {
			pcm, rate := loadFile(t, "data/"+w+".wav")
			if rate != Narrowband {
				t.Errorf("%s: stored at %d Hz, want %d", w, rate, Narrowband)
			}
			checkSpokenWord(t, w, pcm, rate, 0.25, 1.3)
		}
		// The odd word in the even place is not a B256 SAS.
		if _, err := Words(odd + " " + even); err == nil {
			t.Errorf("Words(%q): no error for words in the wrong places", odd+" "+even)
		}
	}
	for _, dir := range []string{"data/pgp/even", "data/pgp/odd"} {
		if n := countFiles(t, dir); n != 256 {
			t.Errorf("%s holds %d words, want 256", dir, n)
		}
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := data.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestSASIsTheWordsWithGaps(t *testing.T) {
	for _, tc := range []struct {
		sas   string
		words []string
	}{
		{"ybe8", []string{"icao/yankee", "icao/bravo", "icao/echo", "digit/eight"}},
		{"YBE8", []string{"icao/yankee", "icao/bravo", "icao/echo", "digit/eight"}},
		{"q1x9", []string{"icao/quebec", "digit/one", "icao/xray", "digit/nine"}},
		{"aardvark adroitness", []string{"pgp/even/aardvark", "pgp/odd/adroitness"}},
		{"Zulu Yucatan", []string{"pgp/even/zulu", "pgp/odd/yucatan"}},
	} {
		for _, rate := range []int{Narrowband, Wideband} {
			t.Run(fmt.Sprintf("%s/%d", tc.sas, rate), func(t *testing.T) {
				got, err := SAS(tc.sas, rate)
				if err != nil {
					t.Fatal(err)
				}
				gap := int(float64(rate) * WordGap.Seconds())
				// Each word, brought to rate, then a silent gap.
				var want []int16
				for i, w := range tc.words {
					pcm, from := loadFile(t, "data/"+w+".wav")
					pcm, err := resample(pcm, from, rate)
					if err != nil {
						t.Fatal(err)
					}
					if i > 0 {
						if len(got) < len(want)+gap || !allZero(got[len(want):len(want)+gap]) {
							t.Fatalf("the %d ms before word %d (%s) is not silent", WordGap.Milliseconds(), i, w)
						}
						want = append(want, make([]int16, gap)...)
					}
					// The word itself is not silent where it starts.
					if n := len(want); len(got) >= n+rate/50 && dBFS(rms(got[n:n+rate/20])) < -45 {
						t.Errorf("word %d (%s) starts silent", i, w)
					}
					want = append(want, pcm...)
				}
				if len(got) != len(want) {
					t.Fatalf("%d samples (%.3f s), want %d (%.3f s)", len(got), seconds(len(got), rate), len(want), seconds(len(want), rate))
				}
				if !slices.Equal(got, want) {
					t.Fatal("the utterance is not the words with gaps")
				}
				// A SAS of 2..4 words lasts 1..4 s.
				if d := seconds(len(got), rate); d < 1 || d > 4 {
					t.Errorf("lasts %.2f s", d)
				}
			})
		}
	}
}

func TestSASYBE8Duration(t *testing.T) {
	// The plain arithmetic of the brief: at 16 kHz, "ybe8" lasts exactly
	// yankee + bravo + echo + eight as stored, plus three gaps.
	got, err := SAS("ybe8", Wideband)
	if err != nil {
		t.Fatal(err)
	}
	want := 3 * Wideband / 5 // three 200 ms gaps
	for _, w := range []string{"icao/yankee", "icao/bravo", "icao/echo", "digit/eight"} {
		pcm, _ := loadFile(t, "data/"+w+".wav")
		want += len(pcm)
	}
	if len(got) != want {
		t.Errorf("%d samples, want %d", len(got), want)
	}
}

func TestSASRejects(t *testing.T) {
	for _, tc := range []struct {
		sas  string
		rate int
	}{
		{"", Wideband},
		{"ybe", Wideband},
		{"ybe8y", Wideband},
		{"ybl8", Wideband},      // l is not in the RFC 6189 alphabet
		{"ybe0", Wideband},      // nor is 0
		{"yb e", Wideband},      // a space makes it two "PGP words"
		{"ybé8", Wideband},      // not ASCII
		{"\u212Abe8", Wideband}, // the Kelvin sign lowers to k
		{"aardvar\u212A adroitness", Wideband},
		{"ybe8", 44100},        // rate
		{"ybe8", 0},            // rate
		{"aardvark", Wideband}, // one word
		{"aardvark adroitness adroitness", Wideband},
		{"adroitness aardvark", Wideband}, // places swapped
		{"aardvark  adroitness", Wideband},
		{"aardvark ../odd/adroitness", Wideband},
		{"../even/aardvark adroitness", Wideband},
		{"aardvark adroitness.wav", Wideband},
		{"unicorn adroitness", Wideband},
	} {
		if pcm, err := SAS(tc.sas, tc.rate); err == nil {
			t.Errorf("SAS(%q, %d): %d samples, want an error", tc.sas, tc.rate, len(pcm))
		}
	}
}

func TestPhrases(t *testing.T) {
	length := map[Name]float64{}
	for _, name := range Names() {
		for _, rate := range []int{Narrowband, Wideband} {
			t.Run(fmt.Sprintf("%s/%d", name, rate), func(t *testing.T) {
				pcm, err := Phrase(name, rate)
				if err != nil {
					t.Fatal(err)
				}
				checkSpokenWord(t, string(name), pcm, rate, 0.6, 7)
				length[name] = seconds(len(pcm), rate)
			})
		}
	}
	// The longest sentence takes longest to say, and the two rates agree.
	for _, name := range Names() {
		if name != KeyChanged && length[name] >= length[KeyChanged] {
			t.Errorf("%q (%.2f s) is not shorter than %q (%.2f s)", name, length[name], KeyChanged, length[KeyChanged])
		}
	}
	if _, err := Phrase("nonsense", Wideband); err == nil {
		t.Error("Phrase(nonsense): no error")
	}
	if _, err := Phrase(CallSecured, 48000); err == nil {
		t.Error("Phrase at 48 kHz: no error")
	}
}

// shape measures what can be told of a spoken word without a speech
// recognizer: its length, how many loud parts (syllable nuclei, bursts) its
// 20 ms envelope has above a tenth of its peak, the voice pitch of its
// loudest 60 ms (0 if unvoiced), and the share of power above 2.5 kHz in
// that loudest part and in its last 60 ms.
type shape struct {
	seconds             float64
	loudParts           int
	pitch               float64
	vowelHigh, tailHigh float64
}

func measureShape(pcm []int16, rate int) shape {
	env := envelope(pcm, rate/50)
	top := slices.Max(env)
	var sh shape
	sh.seconds = seconds(len(pcm), rate)
	in := false
	for _, e := range env {
		switch {
		case !in && e > top/10:
			sh.loudParts, in = sh.loudParts+1, true
		case in && e < top/10:
			in = false
		}
	}
	peakAt := slices.Index(env, top)*rate/50 + rate/100
	win := pcm[max(0, peakAt-rate*3/100):min(len(pcm), peakAt+rate*3/100)]
	sh.pitch = pitch(win, rate, 70, 300)
	sh.vowelHigh = highShare(win, rate)
	sh.tailHigh = highShare(pcm[len(pcm)-rate*6/100:], rate)
	return sh
}

// eightLike reports why sh is not shaped like "eight" (/eɪt/): one
// syllable, a voiced vowel with a male voice's pitch and most of its
// power low, ending in the short high-frequency burst of the t.
func eightLike(sh shape) error {
	switch {
	case sh.seconds < 0.25 || sh.seconds > 0.6:
		return fmt.Errorf("lasts %.3f s, not one syllable", sh.seconds)
	case sh.loudParts < 1 || sh.loudParts > 2:
		return fmt.Errorf("%d loud parts, not a vowel and a t", sh.loudParts)
	case sh.pitch < 70 || sh.pitch > 200:
		return fmt.Errorf("pitch %.0f Hz: not a voiced vowel", sh.pitch)
	case sh.vowelHigh > 0.4:
		return fmt.Errorf("%.2f of the vowel's power above 2.5 kHz", sh.vowelHigh)
	case sh.tailHigh < 0.5:
		return fmt.Errorf("only %.2f of the end's power above 2.5 kHz: no t", sh.tailHigh)
	}
	return nil
}

func TestSpokenEight(t *testing.T) {
	// No speech recognizer is available here (espeak-ng only speaks), so
	// this checks the word's shape, not what it says: the stored "eight"
	// must look like /eɪt/, and other words and non-speech must not.
	noise := make([]int16, Wideband*4/10)
	x := uint32(1)
	for i := range noise {
		x = x*1664525 + 1013904223
		noise[i] = int16(x>>20) - 2048
	}
	tone := make([]int16, Wideband*4/10)
	for i := range tone {
		tone[i] = int16(10000 * math.Sin(2*math.Pi*120*float64(i)/Wideband))
	}
	for _, tc := range []struct {
		name  string
		pcm   func() []int16
		eight bool
	}{
		{"eight", func() []int16 { p, _ := loadFile(t, "data/digit/eight.wav"); return p }, true},
		{"nine", func() []int16 { p, _ := loadFile(t, "data/digit/nine.wav"); return p }, false},
		{"one", func() []int16 { p, _ := loadFile(t, "data/digit/one.wav"); return p }, false},
		{"yankee", func() []int16 { p, _ := loadFile(t, "data/icao/yankee.wav"); return p }, false},
		{"noise", func() []int16 { return noise }, false},
		{"120 Hz tone", func() []int16 { return tone }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := measureShape(tc.pcm(), Wideband)
			err := eightLike(sh)
			t.Logf("%+v: %v", sh, err)
			if (err == nil) != tc.eight {
				t.Errorf("eight-like = %v, want %v (%v)", err == nil, tc.eight, err)
			}
		})
	}
}

// envelope is the RMS of s in frames of n samples.
func envelope(s []int16, n int) []float64 {
	var env []float64
	for i := 0; i+n <= len(s); i += n {
		env = append(env, rms(s[i:i+n]))
	}
	return env
}

// pitch is the fundamental frequency of s between lo and hi Hz by
// normalized autocorrelation, or 0 if s is not clearly periodic.
func pitch(s []int16, rate int, lo, hi float64) float64 {
	x := make([]float64, len(s))
	for i, v := range s {
		x[i] = float64(v)
	}
	best, bestLag := 0.0, 0
	for lag := int(float64(rate) / hi); lag <= int(float64(rate)/lo) && lag < len(x)/2; lag++ {
		var xy, xx, yy float64
		for i := 0; i+lag < len(x); i++ {
			xy += x[i] * x[i+lag]
			xx += x[i] * x[i]
			yy += x[i+lag] * x[i+lag]
		}
		if r := xy / math.Sqrt(xx*yy+1); r > best {
			best, bestLag = r, lag
		}
	}
	if best < 0.5 {
		return 0
	}
	return float64(rate) / float64(bestLag)
}

// highShare is the share of the power of s above 2.5 kHz, measured by
// first differences (a gentle high-pass) against the whole.
func highShare(s []int16, rate int) float64 {
	var lowBand, all float64
	for f := 100.0; f < float64(rate)/2; f += 100 {
		a := amplitude(s, rate, f)
		all += a * a
		if f < 2500 {
			lowBand += a * a
		}
	}
	if all == 0 {
		return 0
	}
	return 1 - lowBand/all
}

func TestResampleLowPass(t *testing.T) {
	// 16 kHz -> 8 kHz keeps a 1 kHz tone where it is and removes a 5 kHz
	// one, which a plain decimation would fold to 3 kHz.
	n := Wideband / 2
	mk := func(f float64) []int16 {
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(8000 * math.Sin(2*math.Pi*f*float64(i)/Wideband))
		}
		return s
	}
	pass, err := resample(mk(1000), Wideband, Narrowband)
	if err != nil {
		t.Fatal(err)
	}
	if len(pass) != n/2 {
		t.Fatalf("%d samples, want %d", len(pass), n/2)
	}
	mid := pass[len(pass)/4 : 3*len(pass)/4]
	if a := amplitude(mid, Narrowband, 1000); math.Abs(dBFS(a)-dBFS(8000.0/32768)) > 0.2 {
		t.Errorf("1 kHz at %.2f dBFS after resampling, want %.2f", dBFS(a), dBFS(8000.0/32768))
	}
	// No delay: a click lands where it was, to within the filter's
	// fractional part (a quarter of an 8 kHz sample).
	click := make([]int16, n)
	click[4000] = 30000
	out, err := resample(click, Wideband, Narrowband)
	if err != nil {
		t.Fatal(err)
	}
	if at := slices.Index(out, slices.Max(out)); at != 2000 {
		t.Errorf("a click at 16 kHz sample 4000 came out at 8 kHz sample %d, want 2000", at)
	}
	stop, err := resample(mk(5000), Wideband, Narrowband)
	if err != nil {
		t.Fatal(err)
	}
	if a := amplitude(stop[len(stop)/4:3*len(stop)/4], Narrowband, 3000); dBFS(a) > -80 {
		t.Errorf("5 kHz aliased to 3 kHz at %.1f dBFS", dBFS(a))
	}
}

func FuzzSAS(f *testing.F) {
	for _, s := range []string{"ybe8", "YBE8", "ybl8", "aardvark adroitness", "Zulu Yucatan", "adroitness aardvark", "a b", " ", "../even/x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sas string) {
		words, err := Words(sas)
		if err != nil {
			return
		}
		if len(words) != 2 && len(words) != 4 {
			t.Fatalf("Words(%q) = %q", sas, words)
		}
		pcm, err := SAS(sas, Narrowband)
		if err != nil {
			t.Fatalf("Words(%q) accepted it, SAS: %v", sas, err)
		}
		if d := seconds(len(pcm), Narrowband); d < 1 || d > 5 {
			t.Fatalf("SAS(%q) lasts %.2f s", sas, d)
		}
	})
}

func TestDigitIsTheDigitFile(t *testing.T) {
	for _, rate := range []int{Narrowband, Wideband} {
		two, err := Digit(2, rate)
		if err != nil {
			t.Fatal(err)
		}
		want, err := load("data/digit/two.wav", rate)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(two, want) || len(two) == 0 {
			t.Errorf("Digit(2, %d): %d samples, not the file's %d", rate, len(two), len(want))
		}
	}
	for _, bad := range []struct{ d, rate int }{{-1, Wideband}, {10, Wideband}, {3, 44100}} {
		if _, err := Digit(bad.d, bad.rate); err == nil {
			t.Errorf("Digit(%d, %d): no error", bad.d, bad.rate)
		}
	}
}
