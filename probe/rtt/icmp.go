package rtt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ErrPingNotPermitted is the error of ICMP echo where unprivileged ping
// sockets are not allowed: on Linux, the process's group is outside
// net.ipv4.ping_group_range (which covers IPv6 too). hostwatch never asks
// for raw sockets or privileges; the round trips are then TCP connects only.
var ErrPingNotPermitted = errors.New("unprivileged ICMP echo (ping sockets) is not permitted here: the process's group is outside net.ipv4.ping_group_range")

// PingPermitted reports whether this process may open an unprivileged ping
// socket for addresses of family v6, and why not: a check callers make
// once, to say so before a run, since every address would fail the same way.
func PingPermitted(v6 bool) error {
	c, err := listenPing(v6)
	if err != nil {
		return err
	}
	return c.Close()
}

// listenPing opens an unprivileged ping socket ("udp4" or "udp6": the
// kernel fills in the echo's identifier and hands the socket only its own
// replies).
func listenPing(v6 bool) (*icmp.PacketConn, error) {
	network, addr := "udp4", "0.0.0.0"
	if v6 {
		network, addr = "udp6", "::"
	}
	c, err := icmp.ListenPacket(network, addr)
	if err != nil {
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EPROTONOSUPPORT) {
			return nil, fmt.Errorf("%w (%v)", ErrPingNotPermitted, err)
		}
		return nil, fmt.Errorf("open a ping socket: %w", err)
	}
	return c, nil
}

// measureICMP times n echoes to addr, one after another, on one ping
// socket, appending the answered ones to res.
func measureICMP(ctx context.Context, addr netip.Addr, n int, timeout time.Duration, now func() time.Time, res *Result) {
	c, err := listenPing(addr.Is6())
	if err != nil {
		res.ICMPError, res.ICMPFailure = err.Error(), icmpFailure(err)
		return
	}
	defer c.Close()
	// The caller's end (the domain's deadline, Ctrl-C) ends a wait at once.
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(time.Now()) })
	defer stop()
	var lastErr error
	got := 0
	for seq := 1; seq <= n; seq++ {
		if ctx.Err() != nil {
			lastErr = context.Cause(ctx)
			break
		}
		s, err := echo(ctx, c, addr, seq, timeout, now)
		if err != nil {
			lastErr = err
			continue
		}
		res.Samples = append(res.Samples, s)
		got++
	}
	if got < n && lastErr != nil {
		res.ICMPError, res.ICMPFailure = lastErr.Error(), icmpFailure(lastErr)
	}
}

// echo sends one echo request and waits for its reply.
func echo(ctx context.Context, c *icmp.PacketConn, addr netip.Addr, seq int, timeout time.Duration, now func() time.Time) (Sample, error) {
	var typ icmp.Type = ipv4.ICMPTypeEcho
	proto := 1
	if addr.Is6() {
		typ, proto = ipv6.ICMPTypeEchoRequest, 58
	}
	msg := icmp.Message{Type: typ, Body: &icmp.Echo{Seq: seq, Data: []byte("hostwatch rtt")}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return Sample{}, err
	}
	dst := &net.UDPAddr{IP: addr.AsSlice(), Zone: addr.Zone()}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.SetReadDeadline(deadline); err != nil {
		return Sample{}, err
	}
	if ctx.Err() != nil { // ended between the AfterFunc and the deadline set above
		return Sample{}, context.Cause(ctx)
	}
	s := Sample{At: now().UTC(), Reply: ReplyEcho}
	start := time.Now()
	if _, err := c.WriteTo(b, dst); err != nil {
		return Sample{}, fmt.Errorf("icmp echo: %w", err)
	}
	buf := make([]byte, 1500)
	for {
		k, peer, err := c.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				err = context.Cause(ctx)
			}
			return Sample{}, fmt.Errorf("icmp echo: %w", err)
		}
		elapsed := time.Since(start)
		m, err := icmp.ParseMessage(proto, buf[:k])
		if err != nil {
			continue
		}
		e, ok := m.Body.(*icmp.Echo)
		if !ok || (m.Type != ipv4.ICMPTypeEchoReply && m.Type != ipv6.ICMPTypeEchoReply) || e.Seq != seq {
			continue // a late reply to an earlier echo, or not a reply
		}
		if u, ok := peer.(*net.UDPAddr); !ok || !u.IP.Equal(dst.IP) {
			continue
		}
		s.RTT = elapsed
		return s, nil
	}
}

// icmpFailure classifies why ICMP echo gave no sample.
func icmpFailure(err error) string {
	if errors.Is(err, ErrPingNotPermitted) {
		return "not_permitted"
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "timeout"
	}
	return failure(err)
}
