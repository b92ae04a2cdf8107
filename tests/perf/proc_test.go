package perf

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// userHZ is the kernel's clock tick for /proc's CPU times; Linux fixes it
// at 100 for user space on every architecture Padlock runs on.
const userHZ = 100

// cpuTime is the user plus system CPU time a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces: fields are counted after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	// After ')': state is field 3 of stat(5), utime 14 and stime 15.
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}

// rss is a process's resident set in bytes (VmRSS).
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// cpuShare is the share of one core (in percent) that each process used
// over d, measured from /proc on both ends of the window.
func cpuShare(d time.Duration, pids ...int) ([]float64, error) {
	before := make([]time.Duration, len(pids))
	for i, pid := range pids {
		t, err := cpuTime(pid)
		if err != nil {
			return nil, err
		}
		before[i] = t
	}
	start := time.Now()
	time.Sleep(d) // the measured window itself, not a wait for anything
	wall := time.Since(start)
	shares := make([]float64, len(pids))
	for i, pid := range pids {
		t, err := cpuTime(pid)
		if err != nil {
			return nil, err
		}
		shares[i] = 100 * float64(t-before[i]) / float64(wall)
	}
	return shares, nil
}

// peakRSS samples a process's RSS every 20 ms from start until stop and
// keeps the largest, so a short peak (a burst of allocation) is seen.
type peakRSS struct {
	mu   sync.Mutex
	max  int64
	stop chan struct{}
	done chan struct{}
}

func watchRSS(pid int) *peakRSS {
	p := &peakRSS{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if n, err := rss(pid); err == nil {
				p.mu.Lock()
				p.max = max(p.max, n)
				p.mu.Unlock()
			}
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// Peak is the largest RSS seen so far.
func (p *peakRSS) Peak() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.max
}

// Stop ends the sampling.
func (p *peakRSS) Stop() {
	close(p.stop)
	<-p.done
}
