package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// gokrazySystem is the device's own update and reboot: gokrazy's update
// endpoints on this device (the same ones `make update` pushes to from a
// computer), reached on loopback with the update password the image
// keeps in /etc/gokr-pw.txt.
type gokrazySystem struct {
	base     string // http://127.0.0.1:8080
	password string
	client   *http.Client
}

// openGokrazySystem finds gokrazy's interface from the files the image
// builder writes; ok is false off a gokrazy image (make run).
func openGokrazySystem(etc string) (*gokrazySystem, bool) {
	pw, err := os.ReadFile(filepath.Join(etc, "gokr-pw.txt"))
	if err != nil {
		return nil, false
	}
	port := "80"
	if b, err := os.ReadFile(filepath.Join(etc, "http-port.txt")); err == nil {
		port = strings.TrimSpace(string(b))
	}
	return &gokrazySystem{base: "http://127.0.0.1:" + port, password: strings.TrimSpace(string(pw)),
		client: &http.Client{Timeout: 15 * time.Minute}}, true
}

func (g *gokrazySystem) do(ctx context.Context, method, path string, body io.Reader, size int64) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, body)
	if err != nil {
		return "", err
	}
	if size > 0 {
		req.ContentLength = size
	}
	req.SetBasicAuth("gokrazy", g.password)
	req.Header.Set("X-Gokrazy-Update-Hash", "sha256")
	resp, err := g.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("gokrazy %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("gokrazy %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	return strings.TrimSpace(string(b)), nil
}

// Update writes root into the inactive root partition, checks that what
// gokrazy wrote has the SHA-256 of what was sent, and only then switches
// the next boot to it. The caller has checked it is a squashfs.
func (g *gokrazySystem) Update(ctx context.Context, root io.Reader, size int64) (string, error) {
	features, err := g.do(ctx, http.MethodGet, "/update/features", nil, 0)
	if err != nil {
		return "", err
	}
	if !strings.Contains(features, "updatehash") {
		return "", fmt.Errorf("this device's gokrazy cannot confirm what it wrote (features %q): not updating", features)
	}
	h := sha256.New()
	got, err := g.do(ctx, http.MethodPut, "/update/root", io.TeeReader(root, h), size)
	if err != nil {
		return "", err
	}
	want := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return "", fmt.Errorf("the root partition holds sha256 %q, the upload was %s: not switching to it; upload again", got, want)
	}
	if _, err := g.do(ctx, http.MethodPost, "/update/switch", nil, 0); err != nil {
		return "", err
	}
	return want, nil
}

// Reboot asks gokrazy to reboot the device (it stops the services first).
func (g *gokrazySystem) Reboot(ctx context.Context) error {
	_, err := g.do(ctx, http.MethodPost, "/reboot", nil, 0)
	return err
}

// eraseData deletes everything in the data directory (the store, the
// vault header, the keep-unlocked key, the web admin's certificate, the
// logs), for a factory reset. It runs after the store is closed, so no
// write can bring a file back; the directory itself stays.
func eraseData(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("factory reset: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("factory reset: %w", err)
		}
	}
	log.Warn("factory reset: the phone's data is erased", "data", dir, "files", len(entries))
	return nil
}
