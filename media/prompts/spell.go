package prompts

import "fmt"

// MaxSpelled bounds how many characters Spell reads out: a caller's name
// or address comes from the network, and a ring period should not be a
// minute of letters.
const MaxSpelled = 16

// SpellWords returns the files, in order, that Spell reads for text: each
// ASCII letter as its ICAO word ("icao/alfa"), each digit as an English
// number ("digit/one"); anything else (spaces, '+', '.', non-ASCII) is
// left out. At most MaxSpelled words.
func SpellWords(text string) []string {
	var words []string
	for i := 0; i < len(text) && len(words) < MaxSpelled; i++ {
		switch c := text[i]; {
		case c >= 'a' && c <= 'z':
			words = append(words, "icao/"+icao[c-'a'])
		case c >= 'A' && c <= 'Z':
			words = append(words, "icao/"+icao[c-'A'])
		case c >= '0' && c <= '9':
			words = append(words, "digit/"+digits[c-'0'])
		}
	}
	return words
}

// Spell returns text read out character by character at rate (8000 or
// 16000 Hz), with WordGap between the words, none before or after: the
// caller announced between rings. Text with nothing to read gives an
// empty clip.
func Spell(text string, rate int) ([]int16, error) {
	if err := checkRate(rate); err != nil {
		return nil, err
	}
	gap := samples(WordGap, rate)
	var out []int16
	for i, w := range SpellWords(text) {
		clip, err := load("data/"+w+".wav", rate)
		if err != nil {
			return nil, fmt.Errorf("spelling %q: %w", text, err)
		}
		if i > 0 {
			out = append(out, make([]int16, gap)...)
		}
		out = append(out, clip...)
	}
	return out, nil
}
