package resolvers

import (
	"net/netip"
	"time"
)

// Status is the outcome of resolving a name, in one small vocabulary shared by
// every report (modelled on zdns statuses and OONI failure strings).
type Status string

// The statuses a resolution can end with.
const (
	StatusOK       Status = "ok"       // at least one address
	StatusNXDomain Status = "nxdomain" // the name does not exist
	StatusNoData   Status = "nodata"   // the name exists but has no A/AAAA records
	StatusServFail Status = "servfail" // every resolver answered SERVFAIL
	StatusRefused  Status = "refused"  // every resolver refused
	StatusTimeout  Status = "timeout"  // no resolver answered in time
	StatusInvalid  Status = "invalid"  // the name is not a valid domain; never sent
	StatusError    Status = "error"    // anything else: CNAME loop or too long, network or format errors
	// StatusInterrupted is never a resolver's answer: the run was stopped
	// (Ctrl-C) while the name's work was in flight; what was learned is kept.
	StatusInterrupted Status = "interrupted"
)

// Hop is one CNAME record of a chain: Name is an alias for Target.
type Hop struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	TTL    uint32 `json:"ttl"`
}

// Exchange is the evidence of one query: who was asked what, when, and what came back.
type Exchange struct {
	Resolver  string        // the resolver asked: host:port, or its tls:// or https:// URL
	Transport string        // "udp", "tcp", "dot" (DNS over TLS) or "doh" (DNS over HTTPS)
	Name      string        // the name asked for (ASCII, fully qualified without the trailing dot)
	Type      string        // "A", "AAAA", ...
	Rcode     string        // "NOERROR", "NXDOMAIN", ... empty when no reply came
	Truncated bool          // the reply had the TC bit set (a UDP reply is then asked again over TCP)
	Status    Status        // the outcome of this exchange alone
	Error     string        // the failure, when there was one
	AskedAt   time.Time     // when the query was sent (UTC)
	RTT       time.Duration // round-trip time, from the first send; 0 when no reply came
	// Resends is how many times a UDP query was sent again, with the same
	// ID, because no reply had come within the retransmission timeout
	// (the reply, if any, may answer any of the sends).
	Resends int
	// ECSSource is the EDNS Client Subnet sent (--ecs), "" when none;
	// ECSScope the scope prefix length the reply gave for it, or -1 when the
	// reply carried no subnet option: the server ignored it.
	ECSSource string
	ECSScope  int
	// Raw is the reply in wire form, kept only when Config.KeepRaw asks
	// (over TCP, as miekg/dns packs the parsed reply again).
	Raw []byte
}

// Answer is one address record at the end of a chain.
type Answer struct {
	Addr netip.Addr
	TTL  uint32
}

// Result is the outcome of resolving one name for A and AAAA.
type Result struct {
	Name       string // the name asked for
	Status     Status
	Err        error      // why, when Status is not ok
	CNAMEChain []Hop      // every hop in order, starting at Name
	Answers    []Answer   // sorted by address, without duplicates
	Exchanges  []Exchange // every query sent, in the order they were sent
}

// Statuses returns every status, in the order reports list them.
func Statuses() []Status {
	return []Status{StatusOK, StatusNXDomain, StatusNoData, StatusServFail, StatusRefused, StatusTimeout, StatusInterrupted, StatusInvalid, StatusError}
}
