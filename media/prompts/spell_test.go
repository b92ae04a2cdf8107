package prompts

import (
	"slices"
	"strings"
	"testing"
)

func TestSpellWords(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"Al 1", []string{"icao/alfa", "icao/lima", "digit/one"}},
		{"+49.30", []string{"digit/four", "digit/nine", "digit/three", "digit/zero"}},
		{"", nil},
		{"é+", nil},
		{strings.Repeat("z", 100), slices.Repeat([]string{"icao/zulu"}, MaxSpelled)},
	} {
		if got := SpellWords(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("SpellWords(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestSpell: the clip is the words' own samples with WordGap between.
func TestSpell(t *testing.T) {
	for _, rate := range []int{Narrowband, Wideband} {
		got, err := Spell("b2", rate)
		if err != nil {
			t.Fatal(err)
		}
		bravo, _ := load("data/icao/bravo.wav", rate)
		two, _ := Digit(2, rate)
		want := slices.Concat(bravo, make([]int16, samples(WordGap, rate)), two)
		if !slices.Equal(got, want) {
			t.Errorf("%d Hz: Spell(\"b2\") is %d samples, not bravo, a gap and two (%d)", rate, len(got), len(want))
		}
	}
	if _, err := Spell("a", 44100); err == nil {
		t.Error("Spell at 44100 Hz: no error")
	}
}

// FuzzSpell: any text (a caller's name or address from the network) gives
// at most MaxSpelled words and never an error.
func FuzzSpell(f *testing.F) {
	f.Add("sip:+4930123@example.org")
	f.Add("Ålice")
	f.Fuzz(func(t *testing.T, text string) {
		if n := len(SpellWords(text)); n > MaxSpelled {
			t.Fatalf("%d words", n)
		}
		if _, err := Spell(text, Narrowband); err != nil {
			t.Fatal(err)
		}
	})
}
