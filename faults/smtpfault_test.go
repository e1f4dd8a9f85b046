package faults

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// smtpMode is how the faulty mail server treats a connection.
type smtpMode int

const (
	// stall accepts the connection and never writes a byte.
	stall smtpMode = iota
	// refuse listens on nothing: connecting is refused.
	refuse
	// busy greets with 421 (service not available) and hangs up.
	busy
	// unserved greets with 554 (no SMTP service here) and hangs up.
	unserved
	// forward passes the connection on to a real mail server.
	forward
)

// faultySMTP is a mail server on a fixed loopback address that fails as
// its mode says, or forwards to a real one: the address stays the same, as
// PFORTE_SMTP_URL does, while the fault comes and goes.
type faultySMTP struct {
	t    testing.TB
	addr string

	mu      sync.Mutex
	mode    smtpMode
	to      string // forward's server
	ln      net.Listener
	conns   map[net.Conn]bool
	counts  map[smtpMode]int // connections taken in each mode
	dropped int              // stalled connections the client gave up
	changed chan struct{}    // closed and replaced when a count changes
}

// startFaultySMTP runs the server in mode stall until the test ends.
func startFaultySMTP(t testing.TB) *faultySMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &faultySMTP{t: t, addr: ln.Addr().String(), conns: map[net.Conn]bool{},
		counts: map[smtpMode]int{}, changed: make(chan struct{})}
	f.serve(ln)
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.ln != nil {
			f.ln.Close()
		}
		for c := range f.conns {
			c.Close()
		}
	})
	return f
}

// URL is the server as PFORTE_SMTP_URL.
func (f *faultySMTP) URL() string { return "smtp://" + f.addr }

// set switches to mode; to is the real server's address for forward.
// Connections already open keep the mode they began with.
func (f *faultySMTP) set(mode smtpMode, to string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode, f.to = mode, to
	switch {
	case mode == refuse && f.ln != nil:
		f.ln.Close()
		f.ln = nil
	case mode != refuse && f.ln == nil:
		ln, err := net.Listen("tcp", f.addr)
		if err != nil {
			f.t.Fatalf("listening on %s again: %v", f.addr, err)
		}
		f.serveLocked(ln)
	}
}

func (f *faultySMTP) serve(ln net.Listener) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serveLocked(ln)
}

func (f *faultySMTP) serveLocked(ln net.Listener) {
	f.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			mode, to := f.mode, f.to
			f.conns[c] = true
			f.counts[mode]++
			f.signalLocked()
			f.mu.Unlock()
			go f.handle(c, mode, to)
		}
	}()
}

func (f *faultySMTP) handle(c net.Conn, mode smtpMode, to string) {
	defer func() {
		c.Close()
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
	}()
	switch mode {
	case stall:
		// Read until the client hangs up; never answer.
		io.Copy(io.Discard, c)
		f.mu.Lock()
		f.dropped++
		f.signalLocked()
		f.mu.Unlock()
	case busy:
		io.WriteString(c, "421 4.3.2 Service not available, try again later\r\n")
	case unserved:
		io.WriteString(c, "554 5.3.2 No SMTP service here\r\n")
	case forward:
		real, err := net.Dial("tcp", to)
		if err != nil {
			return
		}
		defer real.Close()
		done := make(chan struct{})
		go func() { io.Copy(real, c); real.(*net.TCPConn).CloseWrite(); close(done) }()
		io.Copy(c, real)
		<-done
	}
}

func (f *faultySMTP) signalLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// taken is how many connections the server took in mode.
func (f *faultySMTP) taken(mode smtpMode) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[mode]
}

// droppedStalls is how many stalled connections the client gave up.
func (f *faultySMTP) droppedStalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dropped
}

// await waits until cond holds (checked whenever a count changes) and
// fails the test after within.
func (f *faultySMTP) await(what string, within time.Duration, cond func() bool) {
	f.t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		changed := f.changed
		f.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			f.t.Fatalf("faulty SMTP server: %s did not happen within %v", what, within)
		}
	}
}
