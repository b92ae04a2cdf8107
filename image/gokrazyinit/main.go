// Command gokrazyinit is /gokrazy/init of a Padlock image: gokrazy's boot
// (mounts, network, the update endpoints) and the supervised services, which
// are gokrazy's dhcp, ntp and randomd and the appliance. The image builder
// sets the appliance's flags and the build stamp with -ldflags -X.
package main

import (
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"

	"github.com/gokrazy/gokrazy"
)

var (
	// buildTimestamp is the image's build stamp (gokrazy shows it, and
	// its update client compares it); set with -X main.buildTimestamp=.
	buildTimestamp = "unset"
	// applianceArgs are the appliance's flags, comma-separated; set with
	// -X main.applianceArgs=.
	applianceArgs = ""
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lshortfile)
	fmt.Printf("padlock image %s\n", buildTimestamp)
	if err := gokrazy.Boot(buildTimestamp); err != nil {
		log.Fatal(err)
	}
	var args []string
	if applianceArgs != "" {
		args = strings.Split(applianceArgs, ",")
	}
	services := []*gokrazy.Service{
		gokrazy.NewService(exec.Command("/gokrazy/dhcp")),
		gokrazy.NewService(exec.Command("/gokrazy/ntp")),
		gokrazy.NewService(exec.Command("/gokrazy/randomd")),
		gokrazy.NewService(appliance(args)),
	}
	if err := gokrazy.SuperviseServices(services); err != nil {
		log.Fatal(err)
	}
	select {}
}

func appliance(args []string) *exec.Cmd {
	cmd := exec.Command("/user/appliance", args...)
	// PADLOCK_BUILD is the build stamp the status page shows.
	cmd.Env = append(os.Environ(), "HOME=/perm/padlock", "PADLOCK_BUILD=padlock image "+buildTimestamp)
	return cmd
}
