package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeGokrazy answers like gokrazy's update endpoints and records calls.
type fakeGokrazy struct {
	mu       sync.Mutex
	calls    []string
	features string
	badHash  bool
	written  []byte
}

func (f *fakeGokrazy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "gokrazy" || p != "pw" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	switch r.URL.Path {
	case "/update/features":
		io.WriteString(w, f.features)
	case "/update/root":
		b, _ := io.ReadAll(r.Body)
		f.written = b
		sum := sha256.Sum256(b)
		if f.badHash {
			sum[0] ^= 1
		}
		io.WriteString(w, hex.EncodeToString(sum[:]))
	case "/update/switch", "/reboot":
	default:
		http.NotFound(w, r)
	}
}

func TestUpdate(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root.squashfs")
	os.WriteFile(root, []byte("hsqs pretend root"), 0o644)
	for _, tc := range []struct {
		name      string
		password  string
		features  string
		badHash   bool
		reboot    bool
		wantErr   string
		wantCalls string
	}{
		{"update and reboot", "pw", "partuuid,updatehash,gpt,", false, true, "",
			"GET /update/features,PUT /update/root,POST /update/switch,POST /reboot"},
		{"no reboot", "pw", "partuuid,updatehash,", false, false, "",
			"GET /update/features,PUT /update/root,POST /update/switch"},
		{"hash mismatch: no switch", "pw", "partuuid,updatehash,", true, true, "not switching",
			"GET /update/features,PUT /update/root"},
		{"old gokrazy", "pw", "partuuid,", false, true, "too old", "GET /update/features"},
		{"wrong password", "nope", "partuuid,updatehash,", false, true, "password is wrong", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeGokrazy{features: tc.features, badHash: tc.badHash}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			err := Update(context.Background(), srv.Client(), srv.URL, tc.password, root, tc.reboot, t.Logf)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if got := strings.Join(fake.calls, ","); got != tc.wantCalls {
				t.Errorf("calls %s, want %s", got, tc.wantCalls)
			}
			if tc.wantErr == "" && string(fake.written) != "hsqs pretend root" {
				t.Errorf("device got %q", fake.written)
			}
		})
	}
}
