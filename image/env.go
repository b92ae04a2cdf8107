package image

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Password reads the update password from file, or makes a random one and
// keeps it there (mode 0600) for the next build and for updates.
func Password(file string) (pw string, made bool, err error) {
	b, err := os.ReadFile(file)
	if err == nil {
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return "", false, fmt.Errorf("%s is empty", file)
		}
		return pw, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	pw = hex.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", false, err
	}
	if err := os.WriteFile(file, []byte(pw+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return pw, true, nil
}

// DefaultPasswordFile is where mkimage keeps the update password.
func DefaultPasswordFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = "."
	}
	return filepath.Join(dir, "padlock", "gokrazy-password")
}

// DefaultCacheDir is where the arm64 Debian packages are kept.
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "padlock", "image")
}

// ModuleRoot is the directory of the Padlock module around the working
// directory.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run inside the Padlock module")
	}
	return filepath.Dir(gomod), nil
}
