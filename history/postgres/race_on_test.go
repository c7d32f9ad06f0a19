//go:build race

package postgres

// raceDetector says the tests were built with -race, which makes the
// 8-writer test several times slower: it then records fewer domains, and
// the Makefile runs it again at full size without -race.
const raceDetector = true
