// Package metrics exposes Pforte's Prometheus metrics: login outcomes,
// the depth of the mail queue and the latency of requests per route.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors of one server. Each server has its own
// registry, so that several can run in one process (tests).
type Metrics struct {
	registry *prometheus.Registry
	logins   *prometheus.CounterVec
	requests *prometheus.HistogramVec
	oidc     oidcMetrics
}

// New registers the collectors; queueDepth is asked at each scrape.
func New(queueDepth func(ctx context.Context) (int, error)) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.logins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pforte_logins_total", Help: "Login attempts by outcome.",
	}, []string{"outcome"})
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "pforte_http_request_duration_seconds", Help: "Latency of HTTP requests by route and status class.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method", "status"})
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pforte_mail_queue_depth", Help: "Mails in the outbox not yet delivered.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := queueDepth(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.registry.MustRegister(m.logins, m.requests, depth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{"success", "invalid-credentials", "not-confirmed", "password-expired", "throttled"} {
		m.logins.WithLabelValues(o)
	}
	return m
}

// Login counts one login outcome.
func (m *Metrics) Login(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// Request observes one request's latency.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	class := "5xx"
	switch {
	case status < 300:
		class = "2xx"
	case status < 400:
		class = "3xx"
	case status < 500:
		class = "4xx"
	}
	m.requests.WithLabelValues(route, method, class).Observe(d.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
