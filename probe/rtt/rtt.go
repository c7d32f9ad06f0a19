// Package rtt measures the round-trip time to an address from where
// hostwatch runs, with TCP connects: the time from SYN to the SYN-ACK (a
// server listening) or the RST (none listening) that answers it. Nothing is
// sent after the handshake; the connection is closed at once. Every sample
// is kept with its time, so that the noise of the measurement shows, and
// the smallest is the one a bound rests on (queues only ever add delay).
//
// Connections go through reach.Policy's Control, as every connection to a
// learned address does: a non-global address is refused unless the policy
// allows private ones.
//
// Options.ICMP adds ICMP echoes, sent through an unprivileged ping socket
// where the system allows one (on Linux, net.ipv4.ping_group_range): never
// a raw socket, never a privilege. Their samples are kept next to the TCP
// ones, each with its method, and the least of all bounds: neither kind of
// reply can outrun light.
package rtt

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/hostwatch/hostwatch/probe/reach"
)

// DefaultSamples is how many round trips are measured unless told otherwise.
const DefaultSamples = 3

// MaxSamples is the most round trips measured per address.
const MaxSamples = 20

// DefaultTimeout bounds one connect unless told otherwise.
const DefaultTimeout = 3 * time.Second

// DefaultPorts are the ports tried, in order: HTTPS, then HTTP.
var DefaultPorts = []uint16{443, 80}

// How a round trip was answered.
const (
	ReplySYNACK = "syn-ack"    // a listener accepted: the handshake completed
	ReplyRST    = "rst"        // nothing listens on the port: the host reset
	ReplyEcho   = "echo-reply" // an ICMP echo was answered (Options.ICMP)
)

// The methods of a measurement.
const (
	MethodTCP  = "tcp-connect"
	MethodICMP = "icmp-echo"
	// MethodTCPAndICMP is a Result's Method with Options.ICMP: both were
	// tried, and each sample says which it is.
	MethodTCPAndICMP = MethodTCP + "+" + MethodICMP
)

// Sample is one round trip.
type Sample struct {
	At    time.Time // when the SYN (or the echo) was sent (the injected clock)
	Port  uint16    // 0 for an ICMP echo
	RTT   time.Duration
	Reply string // ReplySYNACK, ReplyRST or ReplyEcho
}

// Method is how the sample was measured: MethodICMP for an echo's reply,
// else MethodTCP. It follows from Reply, which is what a history keeps.
func (s Sample) Method() string {
	if s.Reply == ReplyEcho {
		return MethodICMP
	}
	return MethodTCP
}

// Result is the measurement of one address.
type Result struct {
	Method string // MethodTCP, or MethodTCPAndICMP with Options.ICMP
	// Samples are every round trip that was answered, in order.
	Samples []Sample
	// Min is the smallest RTT of Samples; 0 when there is none.
	Min time.Duration
	// Refused is set when the policy refused the address: nothing was sent.
	Refused *reach.Refusal
	// Error says why a sample is missing (no answer on any port, a
	// timeout); "" when all were answered.
	Error string
	// Failure classifies Error, told apart with errors.Is where it was
	// made: timeout, host_unreachable, network_unreachable, interrupted or
	// unknown_failure; "" when Error is "".
	Failure string
	// ICMPError says why ICMP echoes (Options.ICMP) are missing, and
	// ICMPFailure classifies it: not_permitted (ping sockets are not
	// allowed here; ErrPingNotPermitted), or one of Failure's codes. A
	// missing echo never fails the measurement: the TCP samples stand.
	ICMPError, ICMPFailure string
}

// Options configure Measure.
type Options struct {
	Samples int           // DefaultSamples if < 1, at most MaxSamples
	Ports   []uint16      // DefaultPorts if empty
	Timeout time.Duration // per connect; DefaultTimeout if < 1
	Policy  reach.Policy
	// Now is the clock samples are stamped with; time.Now if nil. Durations
	// are measured with the monotonic clock whatever Now is.
	Now func() time.Time
	// ICMP adds Samples ICMP echoes after the connects, through an
	// unprivileged ping socket, within the same ctx.
	ICMP bool
}

// Measure times opts.Samples round trips to addr, one after another. For
// each, the ports are tried in turn until one answers (SYN-ACK or RST); a
// port that answered is tried first from then on. ctx bounds it all.
func Measure(ctx context.Context, addr netip.Addr, opts Options) Result {
	res := Result{Method: MethodTCP}
	if opts.ICMP {
		res.Method = MethodTCPAndICMP
	}
	if r, no := opts.Policy.Check(addr); no {
		res.Refused = &r
		return res
	}
	n := opts.Samples
	if n < 1 {
		n = DefaultSamples
	}
	n = min(n, MaxSamples)
	ports := append([]uint16(nil), opts.Ports...)
	if len(ports) == 0 {
		ports = append(ports, DefaultPorts...)
	}
	timeout := opts.Timeout
	if timeout < 1 {
		timeout = DefaultTimeout
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	d := &net.Dialer{Timeout: timeout, Control: opts.Policy.Control}
	var lastErr error
	for range n {
		if ctx.Err() != nil {
			lastErr = context.Cause(ctx)
			break
		}
		for i, port := range ports {
			s, err := once(ctx, d, netip.AddrPortFrom(addr, port), now)
			if err != nil {
				lastErr = err
				continue
			}
			res.Samples = append(res.Samples, s)
			if i > 0 { // this port answers: ask it first next time
				ports[0], ports[i] = ports[i], ports[0]
			}
			break
		}
	}
	if len(res.Samples) < n && lastErr != nil {
		res.Error, res.Failure = lastErr.Error(), failure(lastErr)
	}
	if opts.ICMP {
		measureICMP(ctx, addr, n, timeout, now, &res)
	}
	for i, s := range res.Samples {
		if i == 0 || s.RTT < res.Min {
			res.Min = s.RTT
		}
	}
	return res
}

// once makes one connect and times it.
func once(ctx context.Context, d *net.Dialer, ap netip.AddrPort, now func() time.Time) (Sample, error) {
	s := Sample{At: now().UTC(), Port: ap.Port()}
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", ap.String())
	s.RTT = time.Since(start)
	switch {
	case err == nil:
		conn.Close()
		s.Reply = ReplySYNACK
	case errors.Is(err, syscall.ECONNREFUSED):
		s.Reply = ReplyRST
	default:
		return Sample{}, &portError{port: ap.Port(), err: err}
	}
	return s, nil
}

// portError is a connect that got no answer.
type portError struct {
	port uint16
	err  error
}

func (e *portError) Error() string { return "port " + strconv.Itoa(int(e.port)) + ": " + e.err.Error() }
func (e *portError) Unwrap() error { return e.err }

// failure classifies why a round trip got no answer.
func failure(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "host_unreachable"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network_unreachable"
	}
	return "unknown_failure"
}
