package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// oidcMetrics are the services' counters (CONTRACT §6).
type oidcMetrics struct {
	tokens  *prometheus.CounterVec
	refused prometheus.Counter
}

// OIDC registers the services' metrics: tokens issued by kind, refreshes
// refused, and the back-channel logouts pending and given up, which
// counts (the database) answers at each scrape.
func (m *Metrics) OIDC(counts func(ctx context.Context) (pending, failed int, err error)) {
	m.oidc.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pforte_oidc_tokens_issued_total", Help: "Tokens issued to services, by kind (access, refresh).",
	}, []string{"kind"})
	m.oidc.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pforte_oidc_refresh_refused_total", Help: "Refresh requests refused (session ended, token unknown or replayed).",
	})
	gauge := func(name, help string, pick func(p, f int) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			p, f, err := counts(ctx)
			if err != nil {
				return -1
			}
			return float64(pick(p, f))
		})
	}
	m.registry.MustRegister(m.oidc.tokens, m.oidc.refused,
		gauge("pforte_oidc_logouts_pending", "Back-channel logouts not yet delivered.", func(p, _ int) int { return p }),
		gauge("pforte_oidc_logouts_failed", "Back-channel logouts given up after every retry.", func(_, f int) int { return f }))
	for _, k := range []string{"access", "refresh"} {
		m.oidc.tokens.WithLabelValues(k)
	}
}

// OIDCToken counts one token issued.
func (m *Metrics) OIDCToken(kind string) { m.oidc.tokens.WithLabelValues(kind).Inc() }

// OIDCRefused counts one refused refresh.
func (m *Metrics) OIDCRefused() { m.oidc.refused.Inc() }
