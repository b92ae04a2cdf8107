package webadmin

import (
	"net/http/pprof"
)

// routeProfiling serves Go's profiles under /debug/pprof/ to a logged-in
// owner, only when the appliance was started with -pprof: a profile shows
// what the phone is doing (and pprof's cmdline shows its flags), so it is
// never open to the LAN and never on by default.
func (s *Server) routeProfiling() {
	if !s.cfg.Profiling {
		return
	}
	s.handle("GET /debug/pprof/", pprof.Index)
	s.handle("GET /debug/pprof/cmdline", pprof.Cmdline)
	s.handle("GET /debug/pprof/profile", pprof.Profile)
	s.handle("GET /debug/pprof/symbol", pprof.Symbol)
	s.handle("GET /debug/pprof/trace", pprof.Trace)
}
