package resolvers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Defaults for the zero values of Config fields.
const (
	DefaultTimeout          = 3 * time.Second
	DefaultRetries          = 2
	DefaultSocketsPerServer = 4
	DefaultUDPSize          = 1232
)

// Config says which resolvers a Client asks and how patiently.
type Config struct {
	// Servers are the resolvers, as accepted by ParseServer ("192.0.2.1",
	// "[2001:db8::1]:5353", "tls://192.0.2.1", "https://dns.example/dns-query");
	// they are asked in this order.
	Servers []string
	// Timeout bounds each query attempt; 0 means DefaultTimeout.
	Timeout time.Duration
	// Retries is how many extra rounds over all Servers a query gets after
	// the first; 0 means DefaultRetries and a negative value means none.
	Retries int
	// SocketsPerServer is how many UDP sockets are kept open to each server
	// and shared by the queries in flight; 0 means DefaultSocketsPerServer.
	SocketsPerServer int
	// UDPSize is the EDNS0 UDP payload size advertised; 0 means DefaultUDPSize.
	UDPSize uint16
	// RootCAs are the certificate authorities trusted for tls:// and https://
	// resolvers; nil means the system's. Certificates are always verified.
	RootCAs *x509.CertPool
	// ECS, when valid, is sent as the EDNS Client Subnet (RFC 7871) of every
	// query: the answer is asked for as if from a client in that prefix.
	ECS netip.Prefix
	// NoRecursion clears the RD bit: for asking a zone's own (authoritative)
	// name servers directly.
	NoRecursion bool
	// KeepRaw keeps every reply's wire form in its Exchange (Raw), as
	// evidence that can be re-checked later.
	KeepRaw bool
}

// Client resolves names through a fixed list of resolvers. It is safe for
// concurrent use; many Resolve calls share a few long-lived UDP sockets.
type Client struct {
	servers []*server
	timeout time.Duration
	retries int
	udpSize uint16
	tcp     *dns.Client
	ecs     netip.Prefix
	noRD    bool
	keepRaw bool
	// needMsg says queries are built as a *dns.Msg (newQuery): with ECS,
	// or when a resolver is reached over TLS or HTTPS.
	needMsg bool

	closeOnce sync.Once
	closeErr  error
}

// server is one resolver and the UDP sockets kept open to it, or, for a
// tls:// or https:// resolver, its encrypted transport.
type server struct {
	addr  string // as the evidence names it: host:port, or the URL
	conns []*udpConn
	next  atomic.Uint32

	enc       encrypted // nil for UDP (and TCP) resolvers
	transport string    // the encrypted transport: "dot" or "doh"
}

func (s *server) conn() *udpConn {
	return s.conns[int(s.next.Add(1))%len(s.conns)]
}

// New checks cfg and opens the UDP sockets to its servers.
func New(cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("resolvers: no resolver given")
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("resolvers: negative timeout %s", cfg.Timeout)
	}
	if cfg.SocketsPerServer < 0 {
		return nil, fmt.Errorf("resolvers: negative sockets per server %d", cfg.SocketsPerServer)
	}
	c := &Client{
		timeout: cmp.Or(cfg.Timeout, DefaultTimeout),
		retries: cfg.Retries,
		udpSize: cmp.Or(cfg.UDPSize, DefaultUDPSize),
		ecs:     cfg.ECS.Masked(),
		noRD:    cfg.NoRecursion,
		keepRaw: cfg.KeepRaw,
	}
	switch {
	case c.retries == 0:
		c.retries = DefaultRetries
	case c.retries < 0:
		c.retries = 0
	}
	c.tcp = &dns.Client{Net: "tcp", Timeout: c.timeout}
	c.needMsg = c.ecs.IsValid()
	nsock := cmp.Or(cfg.SocketsPerServer, DefaultSocketsPerServer)
	var tlsConf *tls.Config
	for _, s := range cfg.Servers {
		if isURLServer(s) {
			ep, err := parseURLServer(s)
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("resolvers: %w", err)
			}
			if tlsConf == nil {
				tlsConf = tlsBase(cfg.RootCAs)
			}
			srv := &server{addr: ep.name, transport: ep.transport}
			if ep.transport == "dot" {
				srv.enc = newDoT(ep, c.timeout, tlsConf)
			} else {
				srv.enc = newDoH(ep, c.timeout, tlsConf)
			}
			c.servers = append(c.servers, srv)
			c.needMsg = true
			continue
		}
		addr, err := ParseServer(s)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("resolvers: %w", err)
		}
		srv := &server{addr: addr}
		rtt := &rttEstimate{}
		for range nsock {
			u, err := dialUDP(addr, rtt)
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("resolvers: open socket to %s: %w", addr, err)
			}
			srv.conns = append(srv.conns, u)
		}
		c.servers = append(c.servers, srv)
	}
	return c, nil
}

// Close closes the Client's sockets; queries in flight fail with ErrClosed,
// and so does every later Resolve.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		var errs []error
		for _, s := range c.servers {
			if s.enc != nil {
				if err := s.enc.close(); err != nil {
					errs = append(errs, err)
				}
			}
			for _, u := range s.conns {
				if err := u.close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// Servers returns the resolvers asked, in order, as the evidence names them:
// host:port, or the URL of a tls:// or https:// resolver.
func (c *Client) Servers() []string {
	out := make([]string, len(c.servers))
	for i, s := range c.servers {
		out[i] = s.addr
	}
	return out
}

// Resolve asks for the A and AAAA records of name (an ASCII domain name
// without the trailing dot), following CNAME chains, and returns the
// addresses with the evidence of every query sent. It never panics on a bad
// name: that comes back as StatusInvalid.
func (c *Client) Resolve(ctx context.Context, name string) Result {
	res := Result{Name: name}
	if err := checkName(name); err != nil {
		res.Status = StatusInvalid
		res.Err = err
		return res
	}
	qname := strings.TrimSuffix(name, ".")
	var a, aaaa typeResult
	if s := c.servers[0]; s.enc == nil && !c.needMsg && isPlainName(qname) && ctx.Err() == nil {
		// Both first questions go to the first server together, from this
		// goroutine: a goroutine per name for AAAA, and its wake-ups, were
		// a tenth of a bulk run's CPU time. Each type's lookup then goes
		// on from its first reply; only when both need more than one more
		// round trip (no final answer) do they go on side by side. A
		// context already ended goes the other way, which sends nothing
		// and records no exchange.
		pa, paaaa := packPool.Get().(*[]byte), packPool.Get().(*[]byte)
		defer packPool.Put(pa)
		defer packPool.Put(paaaa)
		fa, faaaa := c.firstPair(ctx, s, qname, *pa, *paaaa)
		if fa.final() || faaaa.final() {
			// One after the other, so the AAAA lookup's evidence and
			// addresses can follow the A lookup's in the same arrays,
			// which combine then joins without copying.
			room := new(pairRoom)
			a = c.lookup(ctx, qname, dns.TypeA, &fa, typeResult{exchanges: room.exchanges[:0], answers: room.answers[:0]})
			aaaa = c.lookup(ctx, qname, dns.TypeAAAA, &faaaa, typeResult{
				exchanges: a.exchanges[len(a.exchanges):], answers: a.answers[len(a.answers):]})
		} else {
			a, aaaa = c.lookupBoth(ctx, qname, &fa, &faaaa)
		}
	} else {
		a, aaaa = c.lookupBoth(ctx, qname, nil, nil)
	}
	combine(&res, &a, &aaaa)
	return res
}

// pairRoom is the room a name's two lookups usually take, in one
// allocation rather than one for each list: an exchange of each type, and
// up to four addresses.
type pairRoom struct {
	exchanges [2]Exchange
	answers   [4]Answer
}

// lookupBoth looks up the A and AAAA records of name side by side, each
// from its first attempt when given.
func (c *Client) lookupBoth(ctx context.Context, name string, firstA, firstAAAA *firstTry) (a, aaaa typeResult) {
	var wg sync.WaitGroup
	var f6 *firstTry
	if firstAAAA != nil {
		// A copy for the goroutine, so that the caller's stays on its stack.
		f := *firstAAAA
		f6 = &f
	}
	wg.Go(func() { aaaa = c.lookup(ctx, name, dns.TypeAAAA, f6, typeResult{}) })
	a = c.lookup(ctx, name, dns.TypeA, firstA, typeResult{})
	wg.Wait()
	return a, aaaa
}

// firstTry is the first attempt of a question, made before its lookup
// starts: the packed query, and its reply or why there is none.
type firstTry struct {
	pkt     []byte
	askedAt time.Time // wall clock, for the evidence
	start   time.Time
	reply
}

// final reports whether the first reply is a final answer (NOERROR or
// NXDOMAIN, not truncated): its lookup then needs at most a question more,
// for a CNAME chain the reply left unfinished.
func (f *firstTry) final() bool {
	if f.err != nil || len(*f.buf) < 12 {
		return false
	}
	flags := (*f.buf)[2:4]
	rcode := flags[1] & 0xf
	return flags[0]&0x2 == 0 && (rcode == dns.RcodeSuccess || rcode == dns.RcodeNameError)
}

// firstPair asks s for the A and AAAA records of name (a plain name) on one
// socket, both in flight together, packing the queries into bufA and
// bufAAAA, and returns both outcomes.
func (c *Client) firstPair(ctx context.Context, s *server, name string, bufA, bufAAAA []byte) (a, aaaa firstTry) {
	a.pkt = appendQueryWire(bufA[:0], name, dns.TypeA, !c.noRD, c.udpSize)
	aaaa.pkt = appendQueryWire(bufAAAA[:0], name, dns.TypeAAAA, !c.noRD, c.udpSize)
	u := s.conn()
	a.askedAt = time.Now()
	a.start = a.askedAt
	a.askedAt = a.askedAt.UTC()
	aaaa.askedAt, aaaa.start = a.askedAt, a.start
	qa, errA := u.start(ctx, a.pkt, c.timeout)
	qaaaa, errAAAA := u.start(ctx, aaaa.pkt, c.timeout)
	if errA == nil {
		a.reply = u.wait(qa)
	} else {
		a.err = errA
	}
	if errAAAA == nil {
		aaaa.reply = u.wait(qaaaa)
	} else {
		aaaa.err = errAAAA
	}
	return a, aaaa
}

// typeResult is the outcome of resolving one name for one record type.
type typeResult struct {
	qtype     uint16
	status    Status
	err       error
	chain     []Hop
	answers   []Answer
	exchanges []Exchange
}

// combine merges the A and AAAA outcomes into res.
func combine(res *Result, a, aaaa *typeResult) {
	res.Exchanges = join(a.exchanges, aaaa.exchanges)
	slices.SortStableFunc(res.Exchanges, func(x, y Exchange) int { return x.AskedAt.Compare(y.AskedAt) })
	res.CNAMEChain = a.chain
	for _, h := range aaaa.chain {
		if !slices.ContainsFunc(res.CNAMEChain, func(g Hop) bool {
			return strings.EqualFold(g.Name, h.Name) && strings.EqualFold(g.Target, h.Target)
		}) {
			res.CNAMEChain = append(res.CNAMEChain, h)
		}
	}
	answers := join(a.answers, aaaa.answers)
	if len(answers) > 0 {
		slices.SortFunc(answers, func(x, y Answer) int {
			return cmp.Or(x.Addr.Compare(y.Addr), cmp.Compare(x.TTL, y.TTL))
		})
		// Sorted by address then TTL, so the first of equal addresses has the smallest TTL.
		res.Answers = slices.CompactFunc(answers, func(x, y Answer) bool { return x.Addr == y.Addr })
		res.Status = StatusOK
		return
	}
	definitive := func(s Status) bool { return s == StatusNXDomain || s == StatusNoData }
	switch {
	case a.status == StatusNXDomain && aaaa.status == StatusNXDomain:
		res.Status, res.Err = StatusNXDomain, ErrNXDomain
		return
	case definitive(a.status) && definitive(aaaa.status):
		res.Status, res.Err = StatusNoData, ErrNoData
		return
	}
	// At least one failed: report the more telling failure, with both causes.
	res.Status = a.status
	if failureRank(aaaa.status) > failureRank(a.status) {
		res.Status = aaaa.status
	}
	aErr, aaaaErr := shorten(a.err, res.Name), shorten(aaaa.err, res.Name)
	var qa, qaaaa *QueryError
	switch {
	case definitive(a.status):
		res.Err = aaaaErr
	case definitive(aaaa.status):
		res.Err = aErr
	case errors.As(aErr, &qa) && errors.As(aaaaErr, &qaaaa) &&
		qa.Name == qaaaa.Name && qa.Server == qaaaa.Server && qa.Err.Error() == qaaaa.Err.Error():
		res.Err = &QueryError{Name: qa.Name, Type: "A and AAAA", Server: qa.Server, Err: qa.Err}
	case aErr.Error() == aaaaErr.Error():
		res.Err = aErr
	default:
		res.Err = fmt.Errorf("%w; %w", aErr, aaaaErr)
	}
}

// join appends y to x, without copying when y follows x in the same array.
func join[T any](x, y []T) []T {
	switch {
	case len(y) == 0:
		return x
	case len(x) == 0:
		return y
	case cap(x) > len(x) && &x[:len(x)+1][len(x)] == &y[0]:
		return x[:len(x)+len(y)]
	}
	return append(x, y...)
}

// shorten drops the name from a QueryError about the name being resolved:
// the result already says which name it is about.
func shorten(err error, name string) error {
	var qe *QueryError
	if errors.As(err, &qe) && qe == err && strings.EqualFold(qe.Name, name) {
		c := *qe
		c.Name = ""
		return &c
	}
	return err
}

// failureRank orders failures by how much they tell: an answer that says
// something (an error in the data, SERVFAIL, REFUSED) over silence.
func failureRank(s Status) int {
	switch s {
	case StatusInvalid:
		return 6
	case StatusError:
		return 5
	case StatusServFail:
		return 4
	case StatusRefused:
		return 3
	case StatusTimeout:
		return 2
	}
	return 0
}

// lookup resolves name for one type, following the CNAME chain: within each
// reply, and by asking for the chain's last name when a reply stops there.
// With first, the first question's first attempt has been made already.
// The evidence and addresses are appended to those of tr, empty slices
// (which may have room).
func (c *Client) lookup(ctx context.Context, name string, qtype uint16, first *firstTry, tr typeResult) typeResult {
	tr.qtype = qtype
	cur := name
	seen := make([]string, 1, 4)
	seen[0] = name
	var scratch view
	for {
		m, status, err := c.ask(ctx, cur, qtype, &tr.exchanges, &scratch, first)
		first = nil
		if err != nil {
			tr.status, tr.err = status, err
			return tr
		}
		target := cur
		for {
			next, ttl, ok := m.cname(target)
			if !ok {
				break
			}
			if len(tr.chain) >= MaxCNAMEHops {
				m.release()
				tr.status = StatusError
				tr.err = fmt.Errorf("%w: stopped at %s after %d hops", ErrCNAMEChainTooLong, target, len(tr.chain))
				return tr
			}
			tr.chain = append(tr.chain, Hop{Name: target, Target: next, TTL: ttl})
			if slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, next) }) {
				m.release()
				tr.status = StatusError
				tr.err = fmt.Errorf("%w: %s is an alias for %s, which is already in the chain", ErrCNAMELoop, target, next)
				return tr
			}
			seen = append(seen, next)
			target = next
		}
		tr.answers = m.addrs(tr.answers, target, qtype)
		m.release()
		switch {
		case len(tr.answers) > 0:
			tr.status = StatusOK
			return tr
		case m.rcode == dns.RcodeNameError:
			tr.status = StatusNXDomain
			tr.err = fmt.Errorf("%s %s: %w", target, dns.TypeToString[qtype], ErrNXDomain)
			return tr
		case target == cur:
			tr.status = StatusNoData
			tr.err = fmt.Errorf("%s %s: %w", target, dns.TypeToString[qtype], ErrNoData)
			return tr
		}
		// The reply stopped at an alias without records: ask for the alias itself.
		cur = target
	}
}

// findCNAME returns the target of the CNAME record owned by name, if any.
func findCNAME(rrs []dns.RR, name string) (string, uint32, bool) {
	for _, rr := range rrs {
		if cn, ok := rr.(*dns.CNAME); ok && equalName(cn.Hdr.Name, name) {
			return strings.TrimSuffix(cn.Target, "."), cn.Hdr.Ttl, true
		}
	}
	return "", 0, false
}

// appendAddrs appends the addresses of type qtype owned by name.
func appendAddrs(dst []Answer, rrs []dns.RR, name string, qtype uint16) []Answer {
	for _, rr := range rrs {
		h := rr.Header()
		if h.Rrtype != qtype || h.Class != dns.ClassINET || !equalName(h.Name, name) {
			continue
		}
		var ip []byte
		switch v := rr.(type) {
		case *dns.A:
			ip = v.A.To4()
		case *dns.AAAA:
			ip = v.AAAA.To16()
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			dst = append(dst, Answer{Addr: a, TTL: h.Ttl})
		}
	}
	return dst
}

// equalName compares a fully qualified name from a reply with a name without
// the trailing dot, ignoring ASCII case.
func equalName(fqdn, name string) bool {
	return len(fqdn) == len(name)+1 && fqdn[len(name)] == '.' && strings.EqualFold(fqdn[:len(name)], name)
}

// checkName rejects what cannot be sent as a query name: empty names and
// labels, labels over 63 octets, names over 253, and characters other than
// letters, digits, '-' and '_'.
func checkName(name string) error {
	n := strings.TrimSuffix(name, ".")
	if n == "" {
		return fmt.Errorf("%w: empty", ErrInvalidName)
	}
	if len(n) > 253 {
		return fmt.Errorf("%w: longer than 253 characters", ErrInvalidName)
	}
	for label := range strings.SplitSeq(n, ".") {
		if label == "" {
			return fmt.Errorf("%w: empty label", ErrInvalidName)
		}
		if len(label) > 63 {
			return fmt.Errorf("%w: label %.20q… longer than 63 characters", ErrInvalidName, label)
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_') {
				return fmt.Errorf("%w: character %q not allowed", ErrInvalidName, ch)
			}
		}
	}
	return nil
}

// newQuery is the query for (name, qtype) as a *dns.Msg, for the transports
// and options that need one (DNS over TLS and HTTPS, TCP, ECS).
func (c *Client) newQuery(name string, qtype uint16) *dns.Msg {
	q := new(dns.Msg)
	q.Id = uint16(rand.Uint32())
	q.RecursionDesired = !c.noRD
	q.Question = []dns.Question{{Name: name + ".", Qtype: qtype, Qclass: dns.ClassINET}}
	q.SetEdns0(c.udpSize, false)
	if c.ecs.IsValid() {
		q.IsEdns0().Option = append(q.IsEdns0().Option, ecsOption(c.ecs))
	}
	return q
}

var packPool = sync.Pool{New: func() any { b := make([]byte, 512); return &b }}

// query asks the servers in turn, in Retries+1 rounds, for (name, qtype) until
// one gives a final answer (NOERROR or NXDOMAIN). It records every exchange in
// ex. When no server gives a final answer it returns the failure: that of the
// last reply if any server replied, else that of the last attempt.
func (c *Client) query(ctx context.Context, name string, qtype uint16, ex *[]Exchange) (*dns.Msg, Status, error) {
	v, status, err := c.ask(ctx, name, qtype, ex, nil, nil)
	if err != nil {
		return nil, status, err
	}
	return v.msg, status, nil
}

// ask is query for lookup: with a scratch view, a UDP reply is read straight
// from the wire into it where it can be (parseWire), and the view returned
// may be scratch; without, the view always holds a *dns.Msg. With first
// (from firstPair), the first attempt, to the first server, is that one.
func (c *Client) ask(ctx context.Context, name string, qtype uint16, ex *[]Exchange, scratch *view, first *firstTry) (*view, Status, error) {
	var (
		q   *dns.Msg // built only where a transport needs it
		pkt []byte
	)
	switch {
	case first != nil:
		pkt = first.pkt
	case c.needMsg || !isPlainName(name):
		bp := packPool.Get().(*[]byte)
		defer packPool.Put(bp)
		q = c.newQuery(name, qtype)
		var err error
		if pkt, err = q.PackBuffer(*bp); err != nil {
			return nil, StatusInvalid, fmt.Errorf("%w: %s: %w", ErrInvalidName, name, err)
		}
		if cap(pkt) <= 4096 {
			*bp = pkt[:cap(pkt)]
		}
	default:
		bp := packPool.Get().(*[]byte)
		defer packPool.Put(bp)
		pkt = appendQueryWire((*bp)[:0], name, qtype, !c.noRD, c.udpSize)
		*bp = pkt[:cap(pkt)]
	}

	var (
		failStatus  Status
		failErr     error
		replyStatus Status
		replyErr    error
	)
	for range c.retries + 1 {
		for _, s := range c.servers {
			if err := ctx.Err(); err != nil && first == nil {
				return nil, ctxStatus(err), fmt.Errorf("%s %s: %w", name, dns.TypeToString[qtype], context.Cause(ctx))
			}
			var (
				m      *view
				status Status
				err    error
			)
			before := len(*ex)
			if s.enc == nil {
				// The ECS scope is read from the *dns.Msg.
				if c.ecs.IsValid() {
					scratch = nil
				}
				m, status, err = c.attempt(ctx, s, name, qtype, q, pkt, ex, scratch, first)
				first = nil
			} else {
				var msg *dns.Msg
				msg, status, err = c.attemptEncrypted(ctx, s, q, ex)
				m = viewOf(msg)
			}
			if c.ecs.IsValid() {
				var msg *dns.Msg
				if m != nil {
					msg = m.msg
				}
				noteECS((*ex)[before:], c.ecs, msg)
			}
			if err == nil {
				return m, status, nil
			}
			if ctx.Err() != nil {
				return nil, ctxStatus(ctx.Err()), fmt.Errorf("%s %s: %w", name, dns.TypeToString[qtype], err)
			}
			err = &QueryError{Name: name, Type: dns.TypeToString[qtype], Server: s.addr, Err: err}
			if m != nil {
				replyStatus, replyErr = status, err
			} else {
				failStatus, failErr = status, err
			}
		}
	}
	if replyErr != nil {
		return nil, replyStatus, replyErr
	}
	return nil, failStatus, failErr
}

func ctxStatus(err error) Status {
	if errors.Is(err, context.DeadlineExceeded) {
		return StatusTimeout
	}
	return StatusError
}

// attempt sends one query to one server over UDP (and again over TCP when the
// reply is truncated). A nil error means a final answer; otherwise the message
// is non-nil when the server replied (SERVFAIL, REFUSED, ...). With a
// scratch view the reply is read into it with parseWire where it can be.
func (c *Client) attempt(ctx context.Context, s *server, name string, qtype uint16, q *dns.Msg, pkt []byte, ex *[]Exchange, scratch *view, first *firstTry) (*view, Status, error) {
	e := Exchange{
		Resolver:  s.addr,
		Transport: "udp",
		Name:      name,
		Type:      typeName(qtype),
	}
	var (
		start time.Time
		r     reply
	)
	if first != nil {
		e.AskedAt, start, r = first.askedAt, first.start, first.reply
	} else {
		e.AskedAt = time.Now().UTC()
		start = time.Now()
		r = s.conn().exchange(ctx, pkt, c.timeout)
	}
	buf, at, err := r.buf, r.at, r.err
	e.Resends = r.resends
	var m *view
	if err == nil {
		e.RTT = at.Sub(start)
		if c.keepRaw {
			e.Raw = bytes.Clone(*buf)
		}
		if scratch != nil && parseWire(*buf, scratch) {
			// The view reads the buffer: release gives it back.
			scratch.buf, m = buf, scratch
		}
		if m == nil {
			msg := new(dns.Msg)
			err = msg.Unpack(*buf)
			putReplyBuf(buf)
			if err != nil {
				err = fmt.Errorf("unpack reply: %w", err)
			} else {
				m = viewOf(msg)
			}
		}
	}
	status, err := record(&e, m, err)
	*ex = append(*ex, e)
	if m == nil || !m.truncated {
		return m, status, err
	}

	// Truncated: ask the same server again over TCP.
	e = Exchange{Resolver: s.addr, Transport: "tcp", Name: e.Name, Type: e.Type, AskedAt: time.Now().UTC()}
	var tq *dns.Msg
	if q != nil {
		tq = q.Copy()
	} else {
		tq = c.newQuery(name, qtype)
	}
	tq.Id = uint16(rand.Uint32())
	msg, rtt, err := c.tcp.ExchangeContext(ctx, tq, s.addr)
	if err == nil {
		e.RTT = rtt
		if len(msg.Question) != 1 || !equalName(msg.Question[0].Name, e.Name) ||
			msg.Question[0].Qtype != tq.Question[0].Qtype || msg.Question[0].Qclass != tq.Question[0].Qclass {
			msg, err = nil, errors.New("TCP reply is for another question")
		}
	} else {
		msg = nil
		if isTimeout(err) {
			err = fmt.Errorf("%w: over TCP: %w", ErrTimeout, err)
		}
	}
	if c.keepRaw && msg != nil {
		e.Raw, _ = msg.Pack() // as received over TCP, packed again by miekg/dns
	}
	m = viewOf(msg)
	status, err = record(&e, m, err)
	*ex = append(*ex, e)
	return m, status, err
}

// typeName is the mnemonic of a record type, without a map lookup for the
// types every name is asked for.
func typeName(t uint16) string {
	switch t {
	case dns.TypeA:
		return "A"
	case dns.TypeAAAA:
		return "AAAA"
	}
	return dns.TypeToString[t]
}

// rcodeName is the mnemonic of a response code, or RCODEn for one without.
func rcodeName(rcode int) string {
	switch rcode {
	case dns.RcodeSuccess:
		return "NOERROR"
	case dns.RcodeNameError:
		return "NXDOMAIN"
	}
	if s, ok := dns.RcodeToString[rcode]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rcode)
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}

// record fills in the outcome of an exchange and returns its status and, when
// the reply is not a final answer, why.
func record(e *Exchange, m *view, err error) (Status, error) {
	if err != nil {
		e.Error = err.Error()
		switch {
		case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			e.Status = StatusTimeout
		default:
			e.Status = StatusError
		}
		return e.Status, err
	}
	e.Rcode = rcodeName(m.rcode)
	e.Truncated = m.truncated
	switch m.rcode {
	case dns.RcodeSuccess:
		e.Status = StatusOK
		if m.ancount == 0 {
			e.Status = StatusNoData
		}
	case dns.RcodeNameError:
		e.Status = StatusNXDomain
	case dns.RcodeServerFailure:
		e.Status, err = StatusServFail, ErrServFail
	case dns.RcodeRefused:
		e.Status, err = StatusRefused, ErrRefused
	default:
		e.Status, err = StatusError, fmt.Errorf("%w %s", ErrBadRcode, e.Rcode)
	}
	if err != nil {
		e.Error = err.Error()
	}
	return e.Status, err
}
