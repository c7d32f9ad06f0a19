// Package rdap looks up the registry's record of the network that holds an
// address, over RDAP (RFC 7480-7484, objects as in RFC 9083): its handle,
// name, range and prefixes, type, country, registrant, abuse contact and
// dates.
//
// The registry to ask is chosen from IANA's bootstrap files (RFC 9224), which
// are embedded (see bootstrap/README.md) and can be replaced by newer ones
// read with ParseBootstrap. Requests follow redirects between registries,
// respect a per-registry rate limit and the Retry-After of a 429, and are
// bounded in time and size. Answers can be kept in a disk cache for a day.
//
// A lookup never fails as a Go error: every outcome, including "the registry
// is rate-limiting us" and "it did not answer in time", is a Status, so that
// a report can say which it was instead of showing an empty answer. A Doer
// that refuses to connect to an address (hostwatch's refuses those that are
// not globally reachable, wherever a redirect points) makes it "refused".
//
// HTTP goes through net/http, or any Doer. github.com/projectdiscovery/retryablehttp-go
// was tried and left out: its package init builds an HTTP client and a dialer
// with its own DNS resolvers in every process that imports it, and on the
// development machine that made every hostwatch command's cold start about
// 2.7 times slower, more than doubled resident memory and added 45 modules and 10 MB to
// the binary. The few retries RDAP needs are done here (see Config.MaxRetries).
package rdap
