package history_test

import (
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/history/storetest"
	"github.com/hostwatch/hostwatch/probe"
)

// t0 is the time of the first observation in the tests.
var t0 = time.Date(2024, 2, 14, 8, 0, 0, 0, time.UTC)

// at is the time of the i-th check, five minutes apart.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

// observer makes observations whose addresses are attributed by the real data.
type observer struct {
	storetest.Observer
	t testing.TB
}

func newObserver(t testing.TB) observer { return observer{storetest.NewObserver(t), t} }

func (ob observer) ok(domain string, when time.Time, ips ...string) probe.Observation {
	return ob.OK(domain, when, ips...)
}

var (
	observation = storetest.Observation
	withCNAME   = storetest.WithCNAME
)
