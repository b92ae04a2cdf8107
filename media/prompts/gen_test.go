package prompts

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGeneratorMakesTheCheckedInFiles runs gen/gen.sh for a few prompts
// and compares what it makes with the checked-in files: byte for byte
// when espeak-ng and sox are the versions data/GENERATED names (their
// output is deterministic), and by content otherwise, since another
// espeak-ng may pronounce a little differently. So an edit to the script
// or its word tables without regenerating the data is caught.
func TestGeneratorMakesTheCheckedInFiles(t *testing.T) {
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found; install it with `apt-get install espeak-ng sox` (both are in deps.txt)", tool)
		}
	}
	script, err := os.ReadFile("gen/gen.sh")
	if err != nil {
		t.Fatal(err)
	}
	generated, err := os.ReadFile("data/GENERATED")
	if err != nil {
		t.Fatal(err)
	}
	sameVersions := bytes.Contains(generated, []byte("espeak-ng: "+toolVersion(t, "espeak-ng")+"\n")) &&
		bytes.Contains(generated, []byte("sox: "+toolVersion(t, "sox")+"\n"))
	if !sameVersions {
		t.Logf("espeak-ng %q, sox %q differ from data/GENERATED:\n%s\ncomparing by content only",
			toolVersion(t, "espeak-ng"), toolVersion(t, "sox"), generated)
	}
	for _, tc := range []struct {
		file, text string
		rate       int
	}{
		{"digit/eight", "eight", Wideband},
		{"icao/juliett", scriptText(t, script, "juliett", " "), Wideband},
		{"icao/xray", scriptText(t, script, "xray", " "), Wideband},
		{"phrase/not-encrypted", scriptText(t, script, "not-encrypted", "|"), Wideband},
		{"pgp/even/aardvark", "aardvark", Narrowband},
	} {
		t.Run(tc.file, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.wav")
			cmd := exec.CommandContext(t.Context(), "bash", "gen/gen.sh", "word", tc.text, out, strconv.Itoa(tc.rate))
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gen.sh word %q: %v\n%s", tc.text, err, msg)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			want, err := data.ReadFile("data/" + tc.file + ".wav")
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(got, want) {
				return
			}
			if sameVersions {
				t.Fatalf("gen.sh makes a different %s.wav with the same espeak-ng and sox: run `go generate ./media/prompts/`", tc.file)
			}
			g, _, err := decodeWAV(got)
			if err != nil {
				t.Fatal(err)
			}
			w, _, err := decodeWAV(want)
			if err != nil {
				t.Fatal(err)
			}
			ratio := float64(len(g)) / float64(len(w))
			if c := bestCorrelation(g, w, tc.rate/100); ratio < 0.9 || ratio > 1.1 || c < 0.8 {
				t.Errorf("regenerated %s: length ratio %.2f, correlation %.2f; the checked-in file is not what gen.sh says", tc.file, ratio, c)
			}
		})
	}
}

// toolVersion is the first line of `tool --version`, as gen.sh records it.
func toolVersion(t *testing.T, tool string) string {
	out, err := exec.CommandContext(t.Context(), tool, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", tool, err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	if i := strings.Index(line, "Data at:"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// scriptText is the text gen.sh gives espeak-ng for the file name, from
// its table lines "NAME<sep>TEXT".
func scriptText(t *testing.T, script []byte, name, sep string) string {
	t.Helper()
	for line := range strings.Lines(string(script)) {
		if rest, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), name+sep); ok {
			return rest
		}
	}
	t.Fatalf("gen.sh has no line %q", name+sep+"...")
	return ""
}

// bestCorrelation is the largest normalized cross-correlation of a and b
// over lags up to maxLag samples either way.
func bestCorrelation(a, b []int16, maxLag int) float64 {
	best := -1.0
	for lag := -maxLag; lag <= maxLag; lag++ {
		var ab, aa, bb float64
		for i := range a {
			j := i + lag
			if j < 0 || j >= len(b) {
				continue
			}
			x, y := float64(a[i]), float64(b[j])
			ab += x * y
			aa += x * x
			bb += y * y
		}
		if aa > 0 && bb > 0 {
			best = max(best, ab/math.Sqrt(aa*bb))
		}
	}
	return best
}
