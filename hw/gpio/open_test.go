package gpio

import (
	"strings"
	"testing"

	"github.com/padlock-phone/padlock/hw"
)

func TestOpenMissingPins(t *testing.T) {
	pins := hw.DefaultPins()
	pins.SAS = "NO_SUCH_LINE_22"
	pins.Status = ""
	b, err := Open(pins)
	if err == nil {
		b.Close()
		t.Fatal("Open with a pin no chip has: no error")
	}
	for _, want := range []string{`SAS button pin "NO_SUCH_LINE_22" not found`, "STATUS lamp has no pin name", "/dev/gpiochip0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestOpenDefaultPins runs on machines without the Pi's GPIO lines (CI,
// laptops): Open must fail with an error naming the missing pin, not panic.
// On a Raspberry Pi it must work.
func TestOpenDefaultPins(t *testing.T) {
	b, err := Open(hw.DefaultPins())
	if err != nil {
		if !strings.Contains(err.Error(), `ANSWER button pin "GPIO17" not found`) {
			t.Fatalf("error %q does not name the ANSWER pin", err)
		}
		t.Log(err)
		return
	}
	t.Log("GPIO lines present: opened the real board")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
