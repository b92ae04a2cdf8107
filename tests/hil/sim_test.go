package hil

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/padlock-phone/padlock/hw/rig"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBuild()
	os.Exit(code)
}

// TestScenarioOnSimRig runs the desk scenario (hw/rig.Scenario) on a real
// appliance process with the simulated board and the file headset, called
// by linphonec through kamailio: lamps measured from the simulated pins'
// edges, buttons pressed through the web admin's panel, audio checked by
// content on both sides.
func TestScenarioOnSimRig(t *testing.T) {
	peers := StartPeers(t)
	app := StartAppliance(t)
	setup, err := rig.NewAdmin(app.Base, app.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	Provision(t, setup, peers.Alice(t))
	setup.Close()

	app.Restart() // a reboot: the phone comes back locked
	admin, err := rig.NewAdmin(app.Base, app.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	s := &rig.Scenario{
		Rig:       &SimRig{App: app, Admin: admin},
		Admin:     admin,
		Far:       &LinphoneFar{T: t, Phone: peers.Bob, Target: "sip:alice@127.0.0.1"},
		Password:  Password,
		SASSpoken: SASSpoken,
		SASScore:  0.9,
		ToneLevel: 0.1,
		Window:    rig.MinWindow,
		Log:       slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	steps, err := s.Run(ctx)
	for _, st := range steps {
		t.Logf("%-55s %v", st.Name, st.Took.Round(time.Millisecond))
	}
	if err != nil {
		t.Fatal(err)
	}
}
