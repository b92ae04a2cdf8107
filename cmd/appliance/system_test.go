package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestGokrazyUpdateChecksBeforeSwitching drives gokrazySystem against a
// stand-in for gokrazy's update endpoints that can report a wrong hash (a
// corrupted write): then no switch is asked. The real endpoints are the
// QEMU image test's (tests/image).
func TestGokrazyUpdateChecksBeforeSwitching(t *testing.T) {
	for _, corrupt := range []bool{false, true} {
		var mu sync.Mutex
		var calls []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, _ := r.BasicAuth(); u != "gokrazy" || p != "pw" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			mu.Lock()
			calls = append(calls, r.Method+" "+r.URL.Path)
			mu.Unlock()
			switch r.URL.Path {
			case "/update/features":
				io.WriteString(w, "partuuid,updatehash,")
			case "/update/root":
				b, _ := io.ReadAll(r.Body)
				if corrupt {
					b = append(b, 0)
				}
				sum := sha256.Sum256(b)
				io.WriteString(w, hex.EncodeToString(sum[:]))
			}
		}))
		etc := t.TempDir()
		os.WriteFile(filepath.Join(etc, "gokr-pw.txt"), []byte("pw\n"), 0o600)
		os.WriteFile(filepath.Join(etc, "http-port.txt"), []byte(strings.TrimPrefix(srv.URL, "http://127.0.0.1:")+"\n"), 0o600)
		g, ok := openGokrazySystem(etc)
		if !ok {
			t.Fatal("no gokrazy system from the image's files")
		}
		root := bytes.Repeat([]byte("hsqs"), 1000)
		_, err := g.Update(context.Background(), bytes.NewReader(root), int64(len(root)))
		srv.Close()
		switched := strings.Contains(strings.Join(calls, ","), "POST /update/switch")
		if corrupt && (err == nil || switched) {
			t.Errorf("a wrong hash: err %v, calls %v", err, calls)
		}
		if !corrupt && (err != nil || !switched) {
			t.Errorf("a right hash: err %v, calls %v", err, calls)
		}
	}
}

func TestEraseData(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "padlock.db"), []byte("x"), 0o600)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "sub", "f"), []byte("x"), 0o600)
	if err := eraseData(dir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("left %v", es)
	}
}
