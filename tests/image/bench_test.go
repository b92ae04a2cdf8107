package image_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/image"
)

// BenchmarkImageBuild is a whole image build with the Go build cache and
// the .debs warm (what a developer sees on the second `make image`). Run
// with -benchtime=3x.
func BenchmarkImageBuild(b *testing.B) {
	res, _ := buildImage(b)
	c := cfg
	c.Out = filepath.Join(b.TempDir(), "bench.img")
	c.Log = nil
	b.ResetTimer()
	for b.Loop() {
		if _, err := image.Build(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(res.Size)/(1<<20), "image-MiB")
	b.ReportMetric(float64(res.RootSize)/(1<<20), "root-MiB")
	b.ReportMetric(float64(res.BootUsed)/(1<<20), "boot-files-MiB")
}

// BenchmarkBootToWebAdmin is the time from starting QEMU (software
// emulation, 2 vCPUs) to the web admin answering TLS through the port
// forward. Run with -benchtime=3x; it reports the median.
func BenchmarkBootToWebAdmin(b *testing.B) {
	_, img := buildImage(b)
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		d := boot(b, img)
		d.waitWeb(b, 5*time.Minute)
		took = append(took, time.Since(start))
		d.stop()
	}
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2].Seconds(), "s-median")
}
