package resolvers

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// Query asks the Client's resolvers for one record type of name (an ASCII
// domain name, with or without the trailing dot), with the same retries and
// TCP fallback as Resolve, and returns the final reply with the evidence of
// every query sent. A final reply is one with rcode NOERROR (possibly with no
// answer: NODATA) or NXDOMAIN; the caller reads the records and rcode from it.
// Anything else (timeout, SERVFAIL, REFUSED, network errors, an invalid name)
// is an error wrapping the package's sentinel errors. Query does not follow
// CNAME chains: it returns the reply as the resolver gave it.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, []Exchange, error) {
	if err := checkName(name); err != nil {
		return nil, nil, fmt.Errorf("%q %s: %w", name, dns.TypeToString[qtype], err)
	}
	var ex []Exchange
	m, _, err := c.query(ctx, strings.TrimSuffix(name, "."), qtype, &ex)
	if err != nil {
		return nil, ex, err
	}
	return m, ex, nil
}
