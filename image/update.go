package image

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Update pushes a root file system to a running phone through gokrazy's own
// update endpoints: PUT /update/root writes it into the inactive root
// partition and answers with its SHA-256, which must be ours; POST
// /update/switch points /cmdline.txt at that partition; POST /reboot boots
// it. base is gokrazy's interface (http://host:8080), password its
// update password (user "gokrazy").
func Update(ctx context.Context, c *http.Client, base, password, root string, reboot bool, logf func(string, ...any)) error {
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Minute}
	}
	base = strings.TrimSuffix(base, "/")
	do := func(method, path string, body io.Reader, size int64) (string, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, body)
		if err != nil {
			return "", err
		}
		req.ContentLength = size
		req.SetBasicAuth("gokrazy", password)
		req.Header.Set("X-Gokrazy-Update-Hash", "sha256")
		resp, err := c.Do(req)
		if err != nil {
			return "", fmt.Errorf("%s %s: %w", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			return "", fmt.Errorf("%s %s: %s: the update password is wrong (it is the one the image was built with)", method, path, resp.Status)
		case resp.StatusCode != http.StatusOK:
			return "", fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
		}
		return strings.TrimSpace(string(b)), nil
	}
	features, err := do(http.MethodGet, "/update/features", nil, 0)
	if err != nil {
		return err
	}
	if !strings.Contains(features, "updatehash") || !strings.Contains(features, "partuuid") {
		return fmt.Errorf("the device's gokrazy offers %q: it is too old for this updater (want partuuid and updatehash)", features)
	}
	f, err := os.Open(root)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	want := hex.EncodeToString(h.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	logf("PUT /update/root (%d bytes, sha256 %s)", fi.Size(), want)
	got, err := do(http.MethodPut, "/update/root", f, fi.Size())
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the device wrote a root with sha256 %q, we sent %s: not switching; push again", got, want)
	}
	logf("POST /update/switch")
	if _, err := do(http.MethodPost, "/update/switch", nil, 0); err != nil {
		return err
	}
	if !reboot {
		return nil
	}
	logf("POST /reboot")
	_, err = do(http.MethodPost, "/reboot", nil, 0)
	return err
}
