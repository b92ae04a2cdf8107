package rig

import (
	"strings"
	"testing"
	"unsafe"
)

// TestUAPILayout: the structs and ioctl numbers are linux/gpio.h's (the
// numbers as the kernel headers define them), on every architecture Go
// builds for, since the sizes go into the ioctl numbers.
func TestUAPILayout(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"struct gpiochip_info", unsafe.Sizeof(chipInfo{}), 68},
		{"struct gpio_v2_line_info", unsafe.Sizeof(lineInfo{}), 256},
		{"struct gpio_v2_line_config", unsafe.Sizeof(lineConfig{}), 272},
		{"struct gpio_v2_line_request", unsafe.Sizeof(lineRequest{}), 592},
		{"struct gpio_v2_line_event", unsafe.Sizeof(lineEvent{}), 48},
		{"fd in gpio_v2_line_request", unsafe.Offsetof(lineRequest{}.Fd), 588},
		{"GPIO_GET_CHIPINFO_IOCTL", ioctlChipInfo, 0x8044B401},
		{"GPIO_V2_GET_LINEINFO_IOCTL", ioctlLineInfo, 0xC100B405},
		{"GPIO_V2_GET_LINE_IOCTL", ioctlGetLine, 0xC250B407},
		{"GPIO_V2_LINE_GET_VALUES_IOCTL", ioctlGetValues, 0xC010B40E},
		{"GPIO_V2_LINE_SET_VALUES_IOCTL", ioctlSetValues, 0xC010B40F},
	} {
		if c.got != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

// TestOpenLinesNamesWhatIsMissing: on a machine without those lines (this
// one, or a Pi with other names) the error names every missing line.
func TestOpenLinesNamesWhatIsMissing(t *testing.T) {
	_, err := OpenLines([]string{"NO_SUCH_LINE_A"}, []string{"NO_SUCH_LINE_B"})
	if err == nil {
		t.Fatal("OpenLines found lines named NO_SUCH_LINE_A and NO_SUCH_LINE_B")
	}
	for _, n := range []string{"NO_SUCH_LINE_A", "NO_SUCH_LINE_B", "gpioinfo"} {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not mention %s", err, n)
		}
	}
}
