// Package faults tests the real program under the faults of the
// migration-day morning (issue 12): the pforte binary is built once and
// run as separate processes, so an instance can be killed with SIGKILL,
// two can share one database, and the operator's commands run beside a
// serving instance exactly as on the chamber's machine.
package faults

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the pforte program built for this test run.
var binary string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "pforte-faults-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "pforte")
		args := []string{"build", "-o", binary}
		if os.Getenv("PFORTE_FAULTS_RACE") != "" {
			args = append(args, "-race") // the race detector in the program under test
		}
		build := exec.Command("go", append(args, "pforte/cmd/pforte")...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building pforte:", err)
			return 1
		}
		return m.Run()
	}())
}

// syncBuffer collects a process's output for the test to read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freeAddr is a loopback address nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// baseEnv is what every instance and command of a test gets: the
// database, the mail server, fast hashes, no per-client limits (one test
// client sends everything), and a data folder of the test's own. dataDir
// is shared by the instances of one test so they use one development key.
func baseEnv(dbURL, smtpURL, dataDir string) map[string]string {
	return map[string]string{
		"PFORTE_DATABASE":    dbURL,
		"PFORTE_SMTP_URL":    smtpURL,
		"PFORTE_DATA_DIR":    dataDir,
		"PFORTE_ARGON2":      "m=8192,t=1,p=1",
		"PFORTE_RATE_LIMITS": "off",
		"PFORTE_LOG_LEVEL":   "warn",
	}
}

// environ turns env into a process environment: PATH and HOME from the
// test, nothing else of it (no PFORTE_* of the developer's shell).
func environ(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

// instance is one running `pforte serve` process.
type instance struct {
	t      testing.TB
	URL    string
	env    map[string]string
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
	// ended is set by Kill and Stop: an end the test asked for.
	ended bool
}

// startInstance runs `pforte serve` with env (PFORTE_ADDR and
// PFORTE_BASE_URL are added when missing) and waits until /healthz
// answers 200. It is stopped when the test ends, if still running.
func startInstance(t testing.TB, env map[string]string) *instance {
	t.Helper()
	env = clone(env)
	if env["PFORTE_ADDR"] == "" {
		env["PFORTE_ADDR"] = freeAddr(t)
	}
	if env["PFORTE_BASE_URL"] == "" {
		env["PFORTE_BASE_URL"] = "http://" + env["PFORTE_ADDR"]
	}
	in := &instance{t: t, URL: "http://" + env["PFORTE_ADDR"], env: env, stderr: &syncBuffer{}}
	in.start()
	t.Cleanup(func() {
		if ended, err := in.Ended(); ended && !in.ended {
			t.Errorf("pforte serve ended by itself (%v):\n%s", err, in.Log())
			return
		}
		in.Stop()
	})
	return in
}

func (in *instance) start() {
	t := in.t
	t.Helper()
	in.ended = false
	in.cmd = exec.Command(binary, "serve")
	in.cmd.Env = environ(in.env)
	in.cmd.Stdout = in.stderr
	in.cmd.Stderr = in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatalf("starting pforte serve: %v", err)
	}
	in.done = make(chan error, 1)
	go func(c *exec.Cmd, done chan error) { done <- c.Wait() }(in.cmd, in.done)
	if err := in.waitHealthy(30 * time.Second); err != nil {
		t.Fatalf("pforte serve did not come up: %v\n%s", err, in.stderr.String())
	}
}

// waitHealthy polls /healthz until it answers 200, the process ends, or
// the time is up.
func (in *instance) waitHealthy(within time.Duration) error {
	deadline := time.Now().Add(within)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case err := <-in.done:
			in.done <- err
			return fmt.Errorf("process ended: %v", err)
		default:
		}
		res, err := c.Get(in.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("/healthz answered %d", res.StatusCode)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Restart starts the process again after Kill or Stop, with the same
// address and environment.
func (in *instance) Restart() { in.t.Helper(); in.start() }

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (in *instance) Kill() {
	in.t.Helper()
	in.ended = true
	if in.cmd.ProcessState != nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
	in.done <- nil
}

// Stop ends the process with SIGTERM (a graceful shutdown) and reports
// when it does not end within 30 s or ends with an error.
func (in *instance) Stop() {
	in.t.Helper()
	in.ended = true
	select {
	case err := <-in.done:
		in.done <- err
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-in.done:
		in.done <- nil
		if err != nil {
			in.t.Errorf("pforte serve ended with %v\n%s", err, in.stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = in.cmd.Process.Signal(syscall.SIGKILL)
		in.t.Errorf("pforte serve did not stop within 30 s\n%s", in.stderr.String())
	}
}

// Ended reports whether the process has ended (without Kill or Stop of
// the test: a crash) and with what.
func (in *instance) Ended() (bool, error) {
	select {
	case err := <-in.done:
		in.done <- err
		return true, err
	default:
		return false, nil
	}
}

// Log is what the process wrote to stdout and stderr so far.
func (in *instance) Log() string { return in.stderr.String() }

// command runs one of the operator's commands (`pforte users import …`)
// with env and returns its output and error.
func command(ctx context.Context, env map[string]string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = environ(env)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// mustCommand is command that must succeed within two minutes.
func mustCommand(t testing.TB, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, errOut, err := command(ctx, env, args...)
	if err != nil {
		t.Fatalf("pforte %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// browser is a client without JavaScript: cookies, redirects not
// followed, a timeout that turns a hang into a test failure.
func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
