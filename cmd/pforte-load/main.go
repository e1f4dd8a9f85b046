// Command pforte-load measures a running Pforte from outside, over HTTP
// with keep-alive clients, and prints what the README's numbers are: the
// signed-in page (GET /konto) beside a bare net/http handler it starts
// itself and serves with the same client, and logins beside the
// machine's hash capacity (cores ÷ CPU-seconds of one argon2id hash
// while every core hashes).
//
//	go run ./cmd/pforte-load -url http://127.0.0.1:8080 -email a@example.de -password '…' \
//	    -argon2 m=19456,t=2,p=1 -pid $(pidof pforte)
//
// The account must exist and be confirmed (-register first registers
// and confirms those that can not sign in, through the development
// outbox). The portal throttles logins per account, so for the login
// runs -email may hold a %d: client i signs in as that address with i
// (0 to the most clients - 1, same password); /konto uses the account of
// client 0. The portal should run with
// PFORTE_RATE_LIMITS=off (else the load meets the per-client limits) and
// -argon2 must be its PFORTE_ARGON2. With -pid (a process on this
// machine) it also reads the server's CPU time per login and its peak
// RSS from /proc.
//
// With -soak it runs instead a long mixed load at a moderate rate and
// prints every -soak-every the server's memory, open files, threads and
// goroutines, and at the end whether they stayed flat (see soak.go):
//
//	go run ./cmd/pforte-load -url http://127.0.0.1:8080 -soak 1h -soak-every 1m -pid $(pidof pforte)
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"pforte/password"
	"pforte/password/argon2id"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pforte-load:", err)
		os.Exit(1)
	}
}

type options struct {
	url, email, password, argon2 string
	pageClients                  int
	loginClients                 []int
	duration                     time.Duration
	pid                          int
	dbProcess                    string
	register                     bool
	soak                         soakOptions
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("pforte-load", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the running portal")
	fs.StringVar(&o.email, "email", "", "a confirmed account's address; with %d one per login client (last%d@example.de)")
	fs.StringVar(&o.password, "password", "", "its password")
	fs.StringVar(&o.argon2, "argon2", password.DefaultParams.String(), "the portal's PFORTE_ARGON2")
	fs.IntVar(&o.pageClients, "page-clients", 32, "concurrent clients for GET /konto and the bare handler")
	logins := fs.String("login-clients", "8,64", "concurrent clients for logins (comma-separated runs)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each run")
	fs.IntVar(&o.pid, "pid", 0, "the portal's process id, to read its CPU time and peak RSS from /proc")
	fs.StringVar(&o.dbProcess, "db-process", "", "the command name of the database's processes on this machine (postgres), to add their CPU time per request")
	fs.BoolVar(&o.register, "register", false, "first register and confirm the -email accounts that can not sign in yet (needs the development outbox)")
	fs.DurationVar(&o.soak.duration, "soak", 0, "instead of the measurements, a soak of this length (mixed load at a steady rate)")
	fs.DurationVar(&o.soak.every, "soak-every", time.Minute, "soak: interval between two samples of the server")
	fs.Float64Var(&o.soak.pages, "soak-pages", 20, "soak: GET /konto per second")
	fs.Float64Var(&o.soak.logins, "soak-logins", 1, "soak: logins (each with /konto and logout) per second")
	fs.Float64Var(&o.soak.members, "soak-members", 0.2, "soak: new members per second (registration; with the development outbox also confirmation, login, password reset, login)")
	fs.IntVar(&o.soak.accounts, "soak-accounts", 8, "soak: login accounts (-email's %d from 0; without -email registered by the soak)")
	fs.StringVar(&o.soak.metricsToken, "metrics-token", "", "the portal's PFORTE_METRICS_TOKEN, if set")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.soak.duration > 0 {
		if o.soak.every <= 0 || o.soak.accounts < 1 {
			return o, errors.New("-soak-every must be positive and -soak-accounts at least 1")
		}
		if (o.email == "") != (o.password == "") {
			return o, errors.New("-email and -password go together")
		}
	} else if o.email == "" || o.password == "" {
		return o, errors.New("-email and -password are needed")
	}
	for _, s := range strings.Split(*logins, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-login-clients: %q", s)
		}
		o.loginClients = append(o.loginClients, n)
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	if o.soak.duration > 0 {
		return soak(ctx, o, out)
	}
	params, err := password.ParseParams(o.argon2)
	if err != nil {
		return fmt.Errorf("-argon2: %w", err)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}
	if o.register {
		p := &portal{url: o.url, transport: transport}
		p.devMail = p.hasDevMail()
		var emails []string
		for i := range slices.Max(o.loginClients) {
			emails = append(emails, address(o, i))
		}
		if err := p.ensureAccounts(slices.Compact(emails), o.password); err != nil {
			return err
		}
	}
	jar, _ := cookiejar.New(nil)
	signedIn := &http.Client{Transport: transport, Jar: jar, CheckRedirect: noRedirect}
	if err := login(signedIn, o, 0); err != nil {
		return err
	}
	page, err := get(signedIn, o.url+"/konto")
	if err != nil {
		return err
	}

	// The bare handler serves the same bytes as /konto did, the same way
	// (with their length, in one piece).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(page))
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", length)
		w.Write(page)
	})}
	go bare.Serve(ln)
	defer bare.Shutdown(context.Background())

	fmt.Fprintf(out, "Pforte at %s, %d cores, GOMAXPROCS %d, %s each run\n\n", o.url, runtime.NumCPU(), runtime.GOMAXPROCS(0), o.duration)
	base := measure(o.pageClients, o.duration, func() error { _, err := get(signedIn, "http://"+ln.Addr().String()+"/"); return err })
	cpu := o.cpu()
	konto := measure(o.pageClients, o.duration, func() error { _, err := get(signedIn, o.url+"/konto"); return err })
	cpu.stop()
	fmt.Fprintf(out, "bare handler   %d clients: %s\n", o.pageClients, base)
	fmt.Fprintf(out, "GET /konto     %d clients: %s%s\n", o.pageClients, konto, cpu.per(konto.n, func(d time.Duration) string {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}))
	fmt.Fprintf(out, "  ratio /konto ÷ bare handler: %.2f\n\n", konto.rate()/base.rate())

	// A hash costs more CPU while the other cores hash too (they share
	// caches and memory bandwidth), as in a server under load: the
	// capacity counts that, and the CPU per login is given against both.
	// The host's speed drifts (a VM shares its machine), so the capacity
	// of each login run is measured right before and after it.
	alone, perHash := hashCPU(params, 1), hashCPU(params, runtime.NumCPU())
	capacity := func(perHash time.Duration) float64 { return float64(runtime.NumCPU()) / perHash.Seconds() }
	fmt.Fprintf(out, "argon2id %s: %.1f ms CPU per hash alone, %.1f ms with %d at once; capacity %.1f hashes/s\n",
		params, ms(alone), ms(perHash), runtime.NumCPU(), capacity(perHash))
	if o.pid != 0 {
		resetPeak(o.pid)
	}
	before := perHash // then each run's after is the next one's before
	for _, n := range o.loginClients {
		cpu := o.cpu()
		r := measureEach(n, o.duration, func(i int) error {
			c := &http.Client{Transport: transport, CheckRedirect: noRedirect}
			return login(c, o, i)
		})
		cpu.stop()
		after := hashCPU(params, runtime.NumCPU())
		perHash = (before + after) / 2
		fmt.Fprintf(out, "logins %3d clients: %s, %.2f of capacity (%.1f and %.1f hashes/s before and after)%s\n", n, r,
			r.rate()/capacity(perHash), capacity(before), capacity(after), cpu.per(r.n, func(d time.Duration) string {
				return fmt.Sprintf("%.2f hashes (%.2f of a hash alone)", d.Seconds()/perHash.Seconds(), d.Seconds()/alone.Seconds())
			}))
		before = after
	}
	if o.pid != 0 {
		fmt.Fprintf(out, "server peak RSS during the logins: %s\n", peakRSS(o.pid))
	}
	return nil
}

// cpuMark is the CPU time used by the server (-pid) and the database
// (-db-process) from a start to a stop, to tell what a run cost them.
type cpuMark struct {
	o          options
	server, db time.Duration
}

func (o options) cpu() *cpuMark {
	return &cpuMark{o: o, server: procCPU(o.pid), db: namedCPU(o.dbProcess)}
}

// stop ends the run: from now on the mark holds the CPU time used in it.
func (m *cpuMark) stop() {
	m.server, m.db = procCPU(m.o.pid)-m.server, namedCPU(m.o.dbProcess)-m.db
}

// per says the CPU time of the stopped run per request of n: the
// server's said by say, the database's in µs (", server CPU per request X
// (+ Y µs of postgres)").
func (m *cpuMark) per(n int, say func(time.Duration) string) string {
	if (m.o.pid == 0 && m.o.dbProcess == "") || n == 0 {
		return ""
	}
	var line string
	if m.o.pid != 0 {
		line = ", server CPU per request " + say(m.server/time.Duration(n))
	}
	if m.o.dbProcess != "" {
		line += fmt.Sprintf(" (+ %.0f µs of %s)", float64(m.db/time.Duration(n))/float64(time.Microsecond), m.o.dbProcess)
	}
	return line
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func login(c *http.Client, o options, i int) error {
	return (&portal{url: o.url}).login(c, address(o, i), o.password)
}

// address is the account of login client i: -email, with i for a %d.
func address(o options, i int) string {
	if strings.Contains(o.email, "%d") {
		return fmt.Sprintf(o.email, i)
	}
	return o.email
}

func get(c *http.Client, u string) ([]byte, error) {
	res, err := c.Get(u)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return b.Bytes(), nil
}

// result is one run: requests done, time taken, each request's latency.
type result struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
	err     error
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r result) String() string {
	if r.err != nil {
		return "failed: " + r.err.Error()
	}
	slices.Sort(r.lat)
	q := func(p float64) float64 { return ms(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]) }
	return fmt.Sprintf("%7.0f req/s, p50 %.1f ms, p99 %.1f ms", r.rate(), q(0.50), q(0.99))
}

// measure runs do from clients goroutines for d and collects the latencies.
func measure(clients int, d time.Duration, do func() error) result {
	return measureEach(clients, d, func(int) error { return do() })
}

// measureEach is measure with the client's number passed to do.
func measureEach(clients int, d time.Duration, do func(i int) error) result {
	var mu sync.Mutex
	var all []time.Duration
	var first error
	start := time.Now()
	end := start.Add(d)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for time.Now().Before(end) {
				t := time.Now()
				if err := do(i); err != nil {
					mu.Lock()
					first = cmp(first, err)
					mu.Unlock()
					break
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{n: len(all), elapsed: time.Since(start), lat: all, err: first}
	if r.n == 0 && r.err == nil {
		r.err = errors.New("no request finished")
	}
	return r
}

func cmp(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// hashCPU is the CPU time of one argon2id hash with p, measured here
// with at hashes running at once, each in working memory of its own used
// again from hash to hash, as the portal's hasher does. Each runs for at
// least a second and ten hashes, so that one slow hash weighs little.
func hashCPU(p password.Params, at int) time.Duration {
	const least = 10
	salt := make([]byte, 16)
	n := argon2id.Blocks(p.Memory, p.Threads)
	mems := make([]*argon2id.Memory, at)
	for i := range mems {
		mems[i] = argon2id.NewMemory(n)
		defer mems[i].Free()
		argon2id.Key(mems[i].Blocks(), []byte("warm-up"), salt, p.Time, p.Memory, p.Threads, 32)
	}
	var wg sync.WaitGroup
	var hashes atomic.Int64
	c0 := selfCPU()
	end := time.Now().Add(time.Second)
	for i := range at {
		wg.Go(func() {
			for k := 0; k < least || time.Now().Before(end); k++ {
				argon2id.Key(mems[i].Blocks(), []byte("pforte-load"), salt, p.Time, p.Memory, p.Threads, 32)
				hashes.Add(1)
			}
		})
	}
	wg.Wait()
	return (selfCPU() - c0) / time.Duration(hashes.Load())
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
