package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The soak (issue 12, point 10): a long run of mixed load at a moderate,
// steady rate — signed-in pages, logins with logout, new members'
// journeys — that prints every interval what the server holds (resident
// memory, open files, threads, goroutines, heap) and at the end whether
// that stayed flat or grew (first third of the samples against the last).

type soakOptions struct {
	duration, every time.Duration
	pages, logins   float64 // per second
	members         float64 // new members' journeys per second
	accounts        int     // login accounts (-email's %d from 0)
	metricsToken    string
}

// soakInFlight bounds the requests of one kind in flight: a server that
// falls behind gets ticks skipped (and counted), not an ever longer queue.
const soakInFlight = 16

// kind is one sort of load with its counts of the current interval.
type kind struct {
	name string
	rate float64
	do   func(n int) error

	mu      sync.Mutex
	lat     []time.Duration
	errs    int
	skipped int
	first   error
	total   int
}

func (k *kind) record(d time.Duration, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.errs++
		k.first = cmp(k.first, err)
		return
	}
	k.lat = append(k.lat, d)
	k.total++
}

// drain returns the interval's summary and starts the next interval.
func (k *kind) drain() (summary string, failed error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := fmt.Sprintf("%s %d", k.name, len(k.lat))
	if len(k.lat) > 0 {
		slices.Sort(k.lat)
		s += fmt.Sprintf(" (p99 %.0f ms)", ms(k.lat[min(len(k.lat)-1, int(0.99*float64(len(k.lat))))]))
	}
	if k.errs > 0 {
		s += fmt.Sprintf(" %d failed", k.errs)
	}
	if k.skipped > 0 {
		s += fmt.Sprintf(" %d skipped", k.skipped)
	}
	failed = k.first
	k.lat, k.errs, k.skipped, k.first = k.lat[:0], 0, 0, nil
	return s, failed
}

// pace starts k.do rate times a second until ctx ends, at most
// soakInFlight at once.
func (k *kind) pace(ctx context.Context, wg *sync.WaitGroup) {
	if k.rate <= 0 {
		return
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / k.rate))
	defer tick.Stop()
	var inFlight atomic.Int32
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if inFlight.Load() >= soakInFlight {
			k.mu.Lock()
			k.skipped++
			k.mu.Unlock()
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			t := time.Now()
			err := k.do(n)
			k.record(time.Since(t), err)
		}()
	}
}

func soak(ctx context.Context, o options, out io.Writer) error {
	s := o.soak
	p := &portal{url: o.url, transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	p.devMail = p.hasDevMail()
	run := time.Now().Unix()
	newAddress := func(what string, n int) string { return fmt.Sprintf("soak-%d-%s%d@example.de", run, what, n) }

	// The login accounts: -email's, or registered here.
	email, pw := o.email, o.password
	if email == "" {
		if !p.devMail {
			return errNoAccounts
		}
		email, pw = fmt.Sprintf("soak-%d-login%%d@example.de", run), soakPassword
		for i := range s.accounts {
			if err := p.register(fmt.Sprintf(email, i), pw); err != nil {
				return fmt.Errorf("registering the login accounts: %w", err)
			}
		}
	}
	account := func(i int) string { return address(options{email: email}, i%s.accounts) }

	// One signed-in browser per account serves the pages.
	browsers := make([]*http.Client, s.accounts)
	for i := range browsers {
		browsers[i] = p.client()
		if err := p.signIn(browsers[i], account(i), pw); err != nil {
			return err
		}
	}
	kinds := []*kind{
		{name: "/konto", rate: s.pages, do: func(n int) error {
			_, err := get(browsers[n%len(browsers)], o.url+"/konto")
			return err
		}},
		{name: "logins", rate: s.logins, do: func(n int) error {
			c := p.client()
			if err := p.signIn(c, account(n), pw); err != nil {
				return err
			}
			_, err := p.post(c, "/abmelden", nil, http.StatusSeeOther)
			return err
		}},
		{name: "members", rate: s.members, do: func(n int) error { return p.journey(newAddress("member", n)) }},
	}

	server := &serverStats{url: o.url, pid: o.pid, token: s.metricsToken, client: p.client()}
	if err := server.check(); err != nil {
		return err
	}
	journey := "registration only (no development outbox: the mails can not be read)"
	if p.devMail {
		journey = "registration, confirmation, login, password reset by mail, login"
	}
	fmt.Fprintf(out, "Soak of %s at %s for %s, a sample every %s\n", o.url, time.Now().Format(time.TimeOnly), s.duration, s.every)
	fmt.Fprintf(out, "load: /konto %.1f/s over %d sessions, logins (with /konto and logout) %.2f/s over %d accounts, new members %.2f/s (%s)\n",
		s.pages, s.accounts, s.logins, s.accounts, s.members, journey)
	fmt.Fprintf(out, "server: %s\n\n", server.source())

	ctx, stop := context.WithTimeout(ctx, s.duration)
	defer stop()
	var pacers, requests sync.WaitGroup
	for _, k := range kinds {
		pacers.Go(func() { k.pace(ctx, &requests) })
	}
	start := time.Now()
	every := time.NewTicker(s.every)
	defer every.Stop()
	var samples []sample
	var failures []error
	for last := start; ; {
		done := false
		select {
		case <-ctx.Done():
			done = true
		case <-every.C:
		}
		if done && time.Since(last) < s.every*9/10 {
			break // ended just after a sample: no interval left to report
		}
		sm, err := server.sample()
		if err != nil {
			return err
		}
		last = time.Now()
		samples = append(samples, sm)
		line := fmt.Sprintf("%8s  %s", last.Sub(start).Round(time.Second), sm)
		for _, k := range kinds {
			if k.rate > 0 {
				summary, err := k.drain()
				line += "  " + summary
				if err != nil {
					failures = append(failures, fmt.Errorf("%s: %w", k.name, err))
				}
			}
		}
		fmt.Fprintln(out, line)
		if done {
			break
		}
	}
	pacers.Wait()
	requests.Wait()
	fmt.Fprintln(out)
	for _, k := range kinds {
		if k.rate > 0 {
			fmt.Fprintf(out, "%s done: %d\n", k.name, k.total)
		}
	}
	for i, err := range failures {
		if i == 5 {
			fmt.Fprintf(out, "… and %d more intervals with failures\n", len(failures)-5)
			break
		}
		fmt.Fprintf(out, "failure: %v\n", err)
	}
	fmt.Fprintln(out, verdict(samples))
	return nil
}

// sample is what the server holds at one moment; -1 where unknown.
type sample struct {
	rss, heap                float64 // bytes
	files, threads, routines float64
}

func (s sample) String() string {
	mib := func(b float64) string {
		if b < 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	}
	n := func(v float64) string {
		if v < 0 {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return fmt.Sprintf("RSS %s  heap %s  files %s  threads %s  goroutines %s", mib(s.rss), mib(s.heap), n(s.files), n(s.threads), n(s.routines))
}

// serverStats reads a sample from /proc (with -pid) and /metrics.
type serverStats struct {
	url, token string
	pid        int
	client     *http.Client
	metrics    bool
}

// check finds out what can be read and fails when nothing can.
func (st *serverStats) check() error {
	_, err := st.scrape()
	st.metrics = err == nil
	if !st.metrics && st.pid == 0 {
		return fmt.Errorf("neither -pid nor /metrics: %w (on another machine set -metrics-token to the portal's PFORTE_METRICS_TOKEN)", err)
	}
	return nil
}

func (st *serverStats) source() string {
	switch {
	case st.pid != 0 && st.metrics:
		return fmt.Sprintf("RSS, open files and threads of process %d from /proc, heap and goroutines from /metrics", st.pid)
	case st.pid != 0:
		return fmt.Sprintf("process %d from /proc; /metrics not reachable, so no heap and goroutines", st.pid)
	}
	return "all from /metrics (process_resident_memory_bytes, process_open_fds, go_threads, go_memstats_heap_inuse_bytes, go_goroutines)"
}

func (st *serverStats) sample() (sample, error) {
	s := sample{-1, -1, -1, -1, -1}
	if st.metrics {
		m, err := st.scrape()
		if err != nil {
			return s, err
		}
		pick := func(name string) float64 {
			if v, ok := m[name]; ok {
				return v
			}
			return -1
		}
		s = sample{pick("process_resident_memory_bytes"), pick("go_memstats_heap_inuse_bytes"),
			pick("process_open_fds"), pick("go_threads"), pick("go_goroutines")}
	}
	if st.pid != 0 {
		rss, err := procStatus(st.pid, "VmRSS")
		if err != nil {
			return s, fmt.Errorf("the server process: %w", err)
		}
		threads, _ := procStatus(st.pid, "Threads")
		files, _ := openFiles(st.pid)
		s.rss, s.threads, s.files = float64(rss)*1024, float64(threads), float64(files)
	}
	return s, nil
}

// scrape reads the unlabelled samples of /metrics (Prometheus text format).
func (st *serverStats) scrape() (map[string]float64, error) {
	req, _ := http.NewRequest(http.MethodGet, st.url+"/metrics", nil)
	if st.token != "" {
		req.Header.Set("Authorization", "Bearer "+st.token)
	}
	res, err := st.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", res.Status)
	}
	return parseMetrics(res.Body)
}

func parseMetrics(r io.Reader) (map[string]float64, error) {
	m := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			m[name] = v
		}
	}
	if len(m) == 0 && sc.Err() == nil {
		return nil, errors.New("/metrics held no samples")
	}
	return m, sc.Err()
}

// growth is when a quantity counts as growing: its mean over the last
// third of the samples exceeds that of the first third by more than
// both a share and an amount (small counts jitter by a few).
var growth = []struct {
	name   string
	of     func(sample) float64
	share  float64
	amount float64
	unit   string
}{
	{"RSS", func(s sample) float64 { return s.rss / (1 << 20) }, 0.10, 16, "MiB"},
	{"heap", func(s sample) float64 { return s.heap / (1 << 20) }, 0.10, 16, "MiB"},
	{"open files", func(s sample) float64 { return s.files }, 0.10, 8, ""},
	{"threads", func(s sample) float64 { return s.threads }, 0.10, 4, ""},
	{"goroutines", func(s sample) float64 { return s.routines }, 0.10, 20, ""},
}

// verdict compares the first third of the samples with the last.
func verdict(samples []sample) string {
	if len(samples) < 3 {
		return fmt.Sprintf("verdict: too short (%d samples, at least 3 needed)", len(samples))
	}
	third := len(samples) / 3
	mean := func(of func(sample) float64, part []sample) float64 {
		sum := 0.0
		for _, s := range part {
			sum += of(s)
		}
		return sum / float64(len(part))
	}
	var grew, all []string
	for _, g := range growth {
		a, b := mean(g.of, samples[:third]), mean(g.of, samples[len(samples)-third:])
		if a < 0 || b < 0 || math.IsNaN(a) {
			continue // not measured
		}
		d := fmt.Sprintf("%s %.0f→%.0f", g.name, a, b)
		if g.unit != "" {
			d = fmt.Sprintf("%s %.1f→%.1f %s", g.name, a, b, g.unit)
		}
		all = append(all, d)
		if b > a*(1+g.share) && b-a > g.amount {
			grew = append(grew, d)
		}
	}
	head := fmt.Sprintf("verdict (means of the first and the last %d of %d samples): ", third, len(samples))
	if len(grew) > 0 {
		return head + "GROWING: " + strings.Join(grew, ", ") + " (all: " + strings.Join(all, ", ") + ")"
	}
	return head + "flat: " + strings.Join(all, ", ")
}
