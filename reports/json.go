// Package reports renders hostwatch observations for people (table) and for
// programs (JSON, JSON lines), deterministically.
package reports

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/attribution/cymru"
	"github.com/hostwatch/hostwatch/attribution/rdap"
	"github.com/hostwatch/hostwatch/probe"
	"github.com/hostwatch/hostwatch/probe/reach"
	"github.com/hostwatch/hostwatch/resolvers"
)

// Document is the JSON form of a whole report (schema hostwatch.report/v1).
// Field names are part of the public interface: add, never rename.
type Document struct {
	Schema         string                `json:"schema"`
	GeneratedAt    string                `json:"generated_at"`
	ToolVersion    string                `json:"tool_version"`
	Interrupted    bool                  `json:"interrupted,omitempty"`
	Warnings       []string              `json:"warnings"`
	WarningDetails []WarningJSON         `json:"warning_details"`
	Datasets       []attribution.Dataset `json:"datasets"`
	Resolvers      []string              `json:"resolvers"`
	Vantage        VantageJSON           `json:"vantage"`
	Targets        []Target              `json:"targets"`
}

// VantageJSON says where a report was taken from.
type VantageJSON struct {
	Name     string       `json:"name"`
	TimeZone string       `json:"time_zone"`
	Egress   []EgressJSON `json:"egress"`
	// Location is where the vantage is (--vantage-location); absent when not given.
	Location *LocationJSON `json:"location,omitempty"`
}

// EgressJSON is a resolver's outgoing address, as a whoami name saw it.
type EgressJSON struct {
	Resolver string `json:"resolver"`
	Address  string `json:"address"`
	// Country is the attribution's country of Address (absent when unknown).
	Country string `json:"country,omitempty"`
	Method  string `json:"method"`
	Error   string `json:"error,omitempty"`
	// Status and Rcode say why the address is unknown, as codes (probe.Egress).
	Status string `json:"status,omitempty"`
	Rcode  string `json:"rcode,omitempty"`
}

func newVantageJSON(v probe.Vantage) VantageJSON {
	j := VantageJSON{Name: v.Name, TimeZone: v.TimeZone, Egress: make([]EgressJSON, 0, len(v.Egress)), Location: newLocationJSON(v.Location)}
	for _, e := range v.Egress {
		addr := ""
		if e.Address.IsValid() {
			addr = e.Address.String()
		}
		j.Egress = append(j.Egress, EgressJSON{Resolver: e.Resolver, Address: addr, Country: e.Country, Method: e.Method, Error: e.Error,
			Status: string(e.Status), Rcode: e.Rcode})
	}
	return j
}

// Target is the JSON form of one observation; it is also one line of JSONL output.
type Target struct {
	Domain     string          `json:"domain"`
	Unicode    string          `json:"unicode"`
	Input      string          `json:"input"`
	Status     string          `json:"status"`
	Error      string          `json:"error"`
	ObservedAt string          `json:"observed_at"`
	CNAMEChain []resolvers.Hop `json:"cname_chain"`
	Addresses  []Address       `json:"addresses"`
	Queries    []Query         `json:"queries"`
	// Consistency, OddOnesOut and Answers are present when several
	// resolvers were asked side by side (--resolvers).
	Consistency string           `json:"consistency,omitempty"`
	OddOnesOut  []string         `json:"odd_ones_out,omitempty"`
	Answers     []ResolverAnswer `json:"answers,omitempty"`
	// Records is present when --records asked for other record types.
	Records []RecordSetJSON `json:"records,omitempty"`
	// HTTP is present with --http: what the web server itself said.
	HTTP *FrontDoorJSON `json:"http,omitempty"`
	// Authoritative is present with --authoritative.
	Authoritative *AuthoritativeJSON `json:"authoritative,omitempty"`
}

// AuthoritativeJSON is what the zone's own name servers answered, asked
// directly, compared with each other and with the recursive view.
type AuthoritativeJSON struct {
	Consistency string           `json:"consistency"`
	OddOnesOut  []string         `json:"odd_ones_out"`
	Answers     []ResolverAnswer `json:"answers"`
}

func newResolverAnswers(as []probe.ResolverAnswer) []ResolverAnswer {
	out := make([]ResolverAnswer, 0, len(as))
	for _, a := range as {
		ra := ResolverAnswer{Resolver: a.Resolver, Status: string(a.Status), Error: a.Error, ErrorKind: string(a.ErrorKind),
			CNAMEChain: nonNil(a.CNAMEChain), Addresses: make([]string, 0, len(a.Addresses)), ASNs: nonNil(a.ASNs)}
		for _, ip := range a.Addresses {
			ra.Addresses = append(ra.Addresses, ip.String())
		}
		if a.Refused != nil {
			r := newRefusalJSON(*a.Refused)
			ra.Refused = &r
		}
		out = append(out, ra)
	}
	return out
}

// FrontDoorJSON is the JSON form of a front-page fetch.
type FrontDoorJSON struct {
	Scheme string `json:"scheme"`
	Error  string `json:"error"`
	// Failure classifies Error as a code (frontdoor.Result.Failure).
	Failure string    `json:"failure,omitempty"`
	Status  int       `json:"status"` // of the final response; 0 when none came
	Hops    []HopJSON `json:"hops"`
}

// HopJSON is one request of the fetch: a redirect or the final answer.
type HopJSON struct {
	URL       string   `json:"url"`
	Status    int      `json:"status"`
	Error     string   `json:"error"`
	Failure   string   `json:"failure"`
	Host      string   `json:"host"`
	Addresses []string `json:"addresses"`
	// Refused lists the addresses not connected to, as not globally
	// reachable; present only when there are some.
	Refused     []RefusalJSON       `json:"refused,omitempty"`
	ConnectedTo *Address            `json:"connected_to"`
	Headers     map[string][]string `json:"headers"`
	TLS         *TLSJSON            `json:"tls"`
	StartedAt   string              `json:"started_at"`
	DurationMS  float64             `json:"duration_ms"`
	BodyBytes   int64               `json:"body_bytes"`
	BodySHA256  string              `json:"body_sha256"`
}

// TLSJSON is what the server's certificate says, and whether it is trusted.
type TLSJSON struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verify_error"`
	// VerifyFailure classifies VerifyError as a code (frontdoor.TLSInfo).
	VerifyFailure string   `json:"verify_failure,omitempty"`
	Subject       string   `json:"subject"`
	Issuer        string   `json:"issuer"`
	SANs          []string `json:"sans"`
	NotBefore     string   `json:"not_before"`
	NotAfter      string   `json:"not_after"`
	SHA256        string   `json:"sha256"`
	// ChainPEM is the certificate chain as sent, kept with --evidence.
	ChainPEM []string `json:"chain_pem,omitempty"`
}

func newFrontDoorJSON(fd *probe.FrontDoor) *FrontDoorJSON {
	if fd == nil {
		return nil
	}
	j := &FrontDoorJSON{Scheme: fd.Scheme, Error: fd.Error, Failure: fd.Failure, Hops: []HopJSON{}}
	if fd.Final != nil {
		j.Status = fd.Final.Status
	}
	for i, h := range fd.Hops {
		hj := HopJSON{URL: h.URL, Status: h.Status, Error: h.Error, Failure: h.Failure, Host: h.Host,
			Addresses: []string{}, Headers: h.Headers, StartedAt: timestamp(h.StartedAt),
			DurationMS: float64(h.Duration.Microseconds()) / 1000, BodyBytes: h.BodyBytes, BodySHA256: h.BodySHA256}
		if hj.Headers == nil {
			hj.Headers = map[string][]string{}
		}
		for _, a := range h.Addresses {
			hj.Addresses = append(hj.Addresses, a.String())
		}
		for _, r := range h.Refused {
			hj.Refused = append(hj.Refused, newRefusalJSON(r))
		}
		if i < len(fd.Connected) && fd.Connected[i].IP.IsValid() {
			a := newAddress(fd.Connected[i].IP, 0, fd.Connected[i].Result)
			hj.ConnectedTo = &a
		}
		if t := h.TLS; t != nil {
			hj.TLS = &TLSJSON{Version: t.Version, CipherSuite: t.CipherSuite, Verified: t.Verified, VerifyError: t.VerifyError, VerifyFailure: t.VerifyFailure,
				Subject: t.Subject, Issuer: t.Issuer, SANs: nonNil(t.SANs), NotBefore: clock(t.NotBefore), NotAfter: clock(t.NotAfter), SHA256: t.SHA256}
		}
		j.Hops = append(j.Hops, hj)
	}
	return j
}

// RecordSetJSON is the JSON form of one record type of a domain.
type RecordSetJSON struct {
	Type   string `json:"type"`
	Owner  string `json:"owner"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// ErrorKind is why the query failed, as a code (probe.ErrorKind).
	ErrorKind string       `json:"error_kind,omitempty"`
	Records   []RecordJSON `json:"records"`
}

// RecordJSON is one record; NS and MX hosts come with their attributed addresses.
type RecordJSON struct {
	Value      string    `json:"value"`
	Host       string    `json:"host,omitempty"`
	Preference uint16    `json:"preference,omitempty"`
	Addresses  []Address `json:"addresses,omitempty"`
}

// ResolverAnswer is the JSON form of one resolver's own answer.
type ResolverAnswer struct {
	Resolver string `json:"resolver"`
	Status   string `json:"status"`
	Error    string `json:"error"`
	// ErrorKind is why the answer failed, as a code (probe.ErrorKind).
	ErrorKind  string          `json:"error_kind,omitempty"`
	CNAMEChain []resolvers.Hop `json:"cname_chain"`
	Addresses  []string        `json:"addresses"`
	ASNs       []uint32        `json:"asns"`
	// Refused is present when the resolver was not asked: a name server
	// whose address is not globally reachable (without --allow-private).
	Refused *RefusalJSON `json:"refused,omitempty"`
}

// RefusalJSON is an address hostwatch learned but would not connect to,
// with the special-purpose registry entry that holds it.
type RefusalJSON struct {
	Address    string `json:"address"`
	SpecialUse string `json:"special_use"`
}

func newRefusalJSON(r reach.Refusal) RefusalJSON {
	return RefusalJSON{Address: r.Addr.String(), SpecialUse: r.SpecialUse}
}

// Address is the JSON form of one attributed address. Unknown facts are 0 or "".
type Address struct {
	IP      string `json:"ip"`
	Version int    `json:"version"`
	TTL     uint32 `json:"ttl"`
	ASN     uint32 `json:"asn"`
	ASOrg   string `json:"as_org"`
	Prefix  string `json:"prefix"`
	Country string `json:"country"`
	// RegisteredCountry is where the holder is registered (the registry's
	// record), kept apart from Country, which is where the address is said to be.
	RegisteredCountry string `json:"registered_country"`
	// Provider runs the address; ProviderKind is cloud, cdn, hosting, isp or
	// service; Region only where the provider's own feed gives one.
	Provider     string `json:"provider"`
	ProviderKind string `json:"provider_kind"`
	Region       string `json:"region"`
	// CDN is true for a CDN or WAF edge: the origin server is not visible.
	CDN     bool   `json:"cdn"`
	CDNName string `json:"cdn_name"`
	// SpecialUse names the special-purpose block (RFC 6890) of an address that
	// is not globally reachable; no network or country is claimed for it.
	SpecialUse string `json:"special_use,omitempty"`
	// NAT64 is the IPv4 address a NAT64 address (64:ff9b::/96) embeds,
	// whose claims the address carries.
	NAT64   string              `json:"nat64_ipv4,omitempty"`
	Sources attribution.Sources `json:"sources"`
	// PTR, PTRError and Cymru are present only when --ptr and --cymru asked for them.
	PTR      *[]string `json:"ptr,omitempty"`
	PTRError string    `json:"ptr_error,omitempty"`
	// PTRStatus and PTRResolver are the failed reverse lookup's status and
	// the resolver asked, which a report read back words PTRError from.
	PTRStatus   string     `json:"ptr_status,omitempty"`
	PTRResolver string     `json:"ptr_resolver,omitempty"`
	Cymru       *CymruJSON `json:"cymru,omitempty"`
	// RDAP is the registry's record of the network (only with --rdap).
	RDAP *rdap.Network `json:"rdap,omitempty"`
	// RTT is the round trip measured to the address (only with --rtt).
	RTT *RTTJSON `json:"rtt,omitempty"`
	// Geofeed is the operator's own geofeed's claim (db update --geofeed).
	Geofeed *GeofeedJSON `json:"geofeed,omitempty"`
	// GeofeedError says why the geofeed the registry's record links to
	// (--rdap) gave no claim.
	GeofeedError *GeofeedErrorJSON `json:"geofeed_error,omitempty"`
}

// CymruJSON is Team Cymru's view of an address, with the queries behind it.
type CymruJSON struct {
	Status  string        `json:"status"`
	Error   string        `json:"error,omitempty"`
	Origins []CymruOrigin `json:"origins"`
	ASNames []CymruAS     `json:"as_names"`
	Queries []Query       `json:"queries"`
}

// CymruOrigin is one origin TXT record: the ASNs announcing a prefix.
type CymruOrigin struct {
	ASNs      []uint32 `json:"asns"`
	Prefix    string   `json:"prefix"`
	Country   string   `json:"country"`
	Registry  string   `json:"registry"`
	Allocated string   `json:"allocated"`
}

// CymruAS is one AS record.
type CymruAS struct {
	ASN         uint32 `json:"asn"`
	Country     string `json:"country"`
	Registry    string `json:"registry"`
	Allocated   string `json:"allocated"`
	Description string `json:"description"`
}

func newCymruJSON(r *cymru.Result) *CymruJSON {
	if r == nil {
		return nil
	}
	j := &CymruJSON{Status: r.Status, Error: r.Error, Origins: []CymruOrigin{}, ASNames: []CymruAS{}, Queries: newQueries(r.Queries)}
	for _, o := range r.Origins {
		j.Origins = append(j.Origins, CymruOrigin{ASNs: nonNil(o.ASNs), Prefix: o.Prefix.String(), Country: o.Country, Registry: o.Registry, Allocated: o.Allocated})
	}
	for _, a := range r.ASNames {
		j.ASNames = append(j.ASNames, CymruAS{ASN: a.ASN, Country: a.Country, Registry: a.Registry, Allocated: a.Allocated, Description: a.Description})
	}
	return j
}

// withExtra adds what the opt-in lookups found to an address's JSON form.
func withExtra(a Address, x *probe.Extra) Address {
	if x == nil {
		return a
	}
	if x.PTRAsked {
		ptr := nonNil(x.PTR)
		a.PTR, a.PTRError = &ptr, x.PTRError
		if x.PTRError != "" {
			a.PTRStatus, a.PTRResolver = string(x.PTRStatus), x.PTRResolver
		}
	}
	a.Cymru = newCymruJSON(x.Cymru)
	a.RDAP = x.RDAP
	a.RTT = newRTTJSON(x.RTT)
	a.Geofeed = newGeofeedJSON(a.Country, x.Geofeed)
	if f := x.GeofeedFailure; f != nil {
		a.GeofeedError = &GeofeedErrorJSON{URL: f.URL, Kind: f.Kind, Error: f.Error}
	}
	return a
}

func newQueries(qs []resolvers.Exchange) []Query {
	return appendQueries(make([]Query, 0, len(qs)), qs)
}

func appendQueries(out []Query, qs []resolvers.Exchange) []Query {
	for _, q := range qs {
		out = append(out, Query{
			Resolver: q.Resolver, Transport: q.Transport, Name: q.Name, Type: q.Type,
			Rcode: q.Rcode, Status: string(q.Status), Error: q.Error,
			AskedAt:   timestamp(q.AskedAt),
			RTTMillis: float64(q.RTT.Microseconds()) / 1000, Resends: q.Resends,
			ECSSource: q.ECSSource, RawResponse: q.Raw,
		})
		if q.ECSSource != "" {
			if q.ECSScope >= 0 {
				scope := q.ECSScope
				out[len(out)-1].ECSScope = &scope
			} else {
				out[len(out)-1].ECSIgnored = q.Rcode != ""
			}
		}
	}
	return out
}

// Query is the JSON form of one DNS exchange: the evidence behind an answer.
type Query struct {
	Resolver  string  `json:"resolver"`
	Transport string  `json:"transport"`
	Name      string  `json:"name"`
	Type      string  `json:"type"`
	Rcode     string  `json:"rcode"`
	Status    string  `json:"status"`
	Error     string  `json:"error"`
	AskedAt   string  `json:"asked_at"`
	RTTMillis float64 `json:"rtt_ms"`
	// Resends is how many times the UDP query was sent again, no reply
	// having come within the retransmission timeout; rtt_ms counts from
	// the first send.
	Resends int `json:"resends,omitempty"`
	// ECSSource is the EDNS Client Subnet sent (--ecs, --as-seen-from);
	// ECSScope the scope the reply gave; ECSIgnored says the reply gave none.
	ECSSource  string `json:"ecs_source,omitempty"`
	ECSScope   *int   `json:"ecs_scope,omitempty"`
	ECSIgnored bool   `json:"ecs_ignored,omitempty"`
	// RawResponse is the reply in wire form, base64 (OONI's name), kept with --evidence.
	RawResponse []byte `json:"raw_response,omitempty"`
}

// timestamp formats t in RFC 3339, UTC, with the precision it has.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// clock formats t for people: RFC 3339, UTC, to the second.
func clock(t time.Time) string { return string(appendClock(nil, t)) }

// appendClock appends clock(t) to b.
func appendClock(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return t.UTC().AppendFormat(b, time.RFC3339)
}

// NewDocument converts a report to its JSON form.
func NewDocument(r probe.Report) Document {
	doc := Document{
		Schema:      probe.Schema,
		GeneratedAt: r.GeneratedAt.UTC().Format(time.RFC3339),
		ToolVersion: r.ToolVersion,
		Interrupted: r.Interrupted,
		Datasets:    nonNil(r.Datasets),
		Resolvers:   nonNil(r.Resolvers),
		Vantage:     newVantageJSON(r.Vantage),
		Targets:     make([]Target, 0, len(r.Observations)),
	}
	doc.WarningDetails, doc.Warnings = newWarningsJSON(r.Warnings)
	for _, o := range r.Observations {
		doc.Targets = append(doc.Targets, NewTarget(o))
	}
	return doc
}

// NewTarget converts one observation to its JSON form.
func NewTarget(o probe.Observation) Target {
	return newTarget(&o, make([]Address, 0, len(o.Addresses)), make([]Query, 0, len(o.Queries)))
}

// newTarget is NewTarget with the room for the addresses and queries given:
// empty slices, not nil (they are written as [], not null).
func newTarget(o *probe.Observation, addrs []Address, queries []Query) Target {
	t := Target{
		Domain:     o.Target.Domain,
		Unicode:    o.Target.Unicode,
		Input:      o.Target.Input,
		Status:     string(o.Status),
		Error:      o.Error,
		ObservedAt: timestamp(o.StartedAt),
		CNAMEChain: nonNil(o.CNAMEChain),
		Addresses:  addrs,
	}
	for _, a := range o.Addresses {
		t.Addresses = append(t.Addresses, withExtra(newAddress(a.IP, a.TTL, a.Result), a.Extra))
	}
	t.Queries = appendQueries(queries, o.Queries)
	t.Consistency, t.OddOnesOut = o.Consistency, o.OddOnesOut
	t.HTTP = newFrontDoorJSON(o.HTTP)
	for _, rs := range o.Records {
		j := RecordSetJSON{Type: rs.Type, Owner: rs.Owner, Status: string(rs.Status), Error: rs.Error, ErrorKind: string(rs.ErrorKind), Records: []RecordJSON{}}
		for _, r := range rs.Records {
			rj := RecordJSON{Value: r.Value, Host: r.Host, Preference: r.Preference}
			for _, a := range r.Addresses {
				rj.Addresses = append(rj.Addresses, newAddress(a.IP, a.TTL, a.Result))
			}
			j.Records = append(j.Records, rj)
		}
		t.Records = append(t.Records, j)
	}
	if len(o.Answers) > 0 {
		t.Answers = newResolverAnswers(o.Answers)
	}
	if o.Authoritative != nil {
		t.Authoritative = &AuthoritativeJSON{Consistency: o.AuthoritativeConsistency, OddOnesOut: nonNil(o.AuthoritativeOdd),
			Answers: newResolverAnswers(o.Authoritative)}
	}
	return t
}

func nonNil[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}

// WriteJSON writes the report as one indented JSON document.
func WriteJSON(w io.Writer, r probe.Report) error {
	return writeDocument(w, NewDocument(r))
}

// writeDocument writes v as one indented JSON document, leaving <, > and &
// as they are (reports are data, not HTML).
func writeDocument(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// JSONLWriter writes one JSON object per observation, one per line. A line
// reaches the underlying writer within JSONLFlushDelay of being written
// (or sooner, when 64 KiB are waiting), so a reader sees every target as
// soon as it is done, while a bulk run makes one write per many lines
// rather than one per line (which was a tenth of its CPU time). Flush
// writes what is waiting and must be called at the end. It is safe for one
// goroutine writing lines while its timer flushes.
type JSONLWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	enc  *json.Encoder
	line []byte // the line being written, kept for the next
	// cache keeps what repeats from line to line.
	cache *lineCache
	// Room for a line's addresses and queries, kept for the next: a new
	// array of each per line was most of what writing a line allocated.
	addrs   []Address
	queries []Query
	timer   *time.Timer
	armed   bool  // the timer will flush
	err     error // the first error writing, returned from then on
}

// JSONLFlushDelay is the longest a line waits in a JSONLWriter's buffer.
const JSONLFlushDelay = 20 * time.Millisecond

// NewJSONLWriter returns a JSONLWriter on w.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	j := &JSONLWriter{w: bw, enc: enc, cache: new(lineCache)}
	j.timer = time.AfterFunc(time.Hour, j.timedFlush)
	j.timer.Stop()
	return j
}

// JSONLHeaderSchema names the version of the header line of JSON lines
// output (--jsonl-header).
const JSONLHeaderSchema = "hostwatch.jsonl-header/v1"

// JSONLHeader is the first line of JSON lines output with --jsonl-header:
// what the lines after it are, and what a reader needs to cite them. It is
// the only line with a "schema" field.
type JSONLHeader struct {
	Schema string `json:"schema"`
	// Lines names the schema every following line follows.
	Lines          string                `json:"lines"`
	GeneratedAt    string                `json:"generated_at"`
	ToolVersion    string                `json:"tool_version"`
	Warnings       []string              `json:"warnings"`
	WarningDetails []WarningJSON         `json:"warning_details"`
	Datasets       []attribution.Dataset `json:"datasets"`
	Resolvers      []string              `json:"resolvers"`
	Vantage        VantageJSON           `json:"vantage"`
}

// NewJSONLHeader is the header of an audit's JSON lines: the report as it
// stands when the run starts (the vantage's egress is not known yet).
func NewJSONLHeader(r probe.Report) JSONLHeader {
	h := JSONLHeader{Schema: JSONLHeaderSchema, Lines: probe.Schema + "#/$defs/target", GeneratedAt: clock(r.GeneratedAt),
		ToolVersion: r.ToolVersion, Datasets: nonNil(r.Datasets), Resolvers: nonNil(r.Resolvers),
		Vantage: newVantageJSON(r.Vantage)}
	h.WarningDetails, h.Warnings = newWarningsJSON(r.Warnings)
	return h
}

// WriteHeader writes h as the first line.
func (j *JSONLWriter) WriteHeader(h JSONLHeader) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.written(j.enc.Encode(h))
}

// Write writes one observation as a line.
func (j *JSONLWriter) Write(o probe.Observation) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if b, ok := appendObservation(j.line[:0], &o, j.cache); ok {
		j.line = append(b, '\n')
		_, err := j.w.Write(j.line)
		return j.written(err)
	}
	return j.writeTarget(&o)
}

// writeTarget writes o as a line through its Target: the path of the
// observations appendObservation leaves to it; j.mu is held.
func (j *JSONLWriter) writeTarget(o *probe.Observation) error {
	if j.addrs == nil {
		j.addrs, j.queries = make([]Address, 0, 4), make([]Query, 0, 4)
	}
	t := newTarget(o, j.addrs[:0], j.queries[:0])
	if cap(t.Addresses) <= 64 && cap(t.Queries) <= 64 {
		// Kept only when small, so that one huge answer is not kept for
		// the rest of the run; what the arrays point to is overwritten by
		// the next line, or held until it.
		j.addrs, j.queries = t.Addresses[:0], t.Queries[:0]
	}
	b, ok := appendTarget(j.line[:0], &t)
	if !ok {
		return j.written(j.enc.Encode(t))
	}
	j.line = append(b, '\n')
	_, err := j.w.Write(j.line)
	return j.written(err)
}

// written records the outcome of writing a line into the buffer and arms
// the timer that flushes it; j.mu is held.
func (j *JSONLWriter) written(err error) error {
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("write jsonl: %w", err)
	}
	if j.err == nil && !j.armed && j.w.Buffered() > 0 {
		j.armed = true
		j.timer.Reset(JSONLFlushDelay)
	}
	return j.err
}

func (j *JSONLWriter) timedFlush() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.armed = false
	j.flush()
}

// flush writes out what is buffered; j.mu is held.
func (j *JSONLWriter) flush() {
	if err := j.w.Flush(); err != nil && j.err == nil {
		j.err = fmt.Errorf("write jsonl: %w", err)
	}
}

// Flush writes out every line written so far and returns the first error
// writing any line.
func (j *JSONLWriter) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.timer.Stop()
	j.armed = false
	j.flush()
	return j.err
}
