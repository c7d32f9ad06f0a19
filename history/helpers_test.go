package history_test

import (
	"time"

	"github.com/hostwatch/hostwatch/history/storetest"
)

// t0 is the time of the first observation in the tests.
var t0 = time.Date(2024, 2, 14, 8, 0, 0, 0, time.UTC)

// at is the time of the i-th check, five minutes apart.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

// newObserver attributes the tests' addresses with the real data.
var newObserver = storetest.NewObserver

var (
	observation = storetest.Observation
	withCNAME   = storetest.WithCNAME
)
