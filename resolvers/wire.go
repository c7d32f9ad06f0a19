package resolvers

import (
	"encoding/binary"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// view is a reply as lookup reads it: its rcode, whether it was truncated,
// and its answer section. It is read either from a *dns.Msg or, for the
// replies of a bulk run, straight from the wire (parseWire), which costs a
// fraction of unpacking every record and name into a dns.Msg: that was the
// largest part of the client's CPU time per name.
type view struct {
	msg       *dns.Msg // when the reply was unpacked by miekg/dns
	rcode     int
	truncated bool
	ancount   int     // records in the answer section
	wire      []byte  // the reply, when msg is nil
	buf       *[]byte // the pooled buffer holding wire, given back by release
	// The answer section, when msg is nil: its first records in rrsBuf,
	// and all of them in more when they do not fit. (A slice of rrsBuf
	// kept in the view would move every view to the heap.)
	nrrs   int
	rrsBuf [4]wireRR
	more   []wireRR
}

// answerRRs is the answer section of a view read by parseWire.
func (v *view) answerRRs() []wireRR {
	if v.more != nil {
		return v.more
	}
	return v.rrsBuf[:v.nrrs]
}

// release gives the view's buffer back to the pool; the view is not used
// after it.
func (v *view) release() {
	if v.buf != nil {
		putReplyBuf(v.buf)
		v.buf, v.wire, v.more, v.nrrs = nil, nil, nil, 0
	}
}

// wireRR is one record of the answer section, as offsets into the reply.
type wireRR struct {
	owner int // offset of the owner name
	typ   uint16
	class uint16
	ttl   uint32
	rdata int // offset of the data
	rdlen int
}

// viewOf is the view of a reply unpacked by miekg/dns (nil stays nil).
func viewOf(m *dns.Msg) *view {
	if m == nil {
		return nil
	}
	return &view{msg: m, rcode: m.Rcode, truncated: m.Truncated, ancount: len(m.Answer)}
}

// parseWire reads a reply for lookup without unpacking it, or reports false
// when it holds anything it does not read exactly as miekg/dns would: then
// the caller unpacks it with miekg/dns, which decides whether it is valid.
// So a reply is read the same either way, and the fast path only ever
// accepts what miekg/dns accepts. It accepts one question; A, AAAA, CNAME,
// NS and SOA records in any section and one OPT record without options in
// the additional section; names whose compression pointers point backwards,
// and in the answer section only names made of letters, digits, '-' and '_'
// (whose text form is then their labels joined by dots, as miekg/dns would
// write them). The view keeps msg, which must stay unchanged while it is used.
func parseWire(msg []byte, v *view) bool {
	if len(msg) < 12 {
		return false
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	qd := binary.BigEndian.Uint16(msg[4:])
	an := int(binary.BigEndian.Uint16(msg[6:]))
	ns := int(binary.BigEndian.Uint16(msg[8:]))
	ar := int(binary.BigEndian.Uint16(msg[10:]))
	if qd != 1 {
		return false
	}
	off, ok := skipName(msg, 12, false)
	if !ok || off+4 > len(msg) {
		return false
	}
	off += 4
	*v = view{rcode: int(flags & 0xf), truncated: flags&0x200 != 0, ancount: an, wire: msg}
	opts := 0
	for i := range an + ns + ar {
		var rr wireRR
		rr.owner = off
		answer := i < an
		if off, ok = skipName(msg, off, answer); !ok || off+10 > len(msg) {
			return false
		}
		rr.typ = binary.BigEndian.Uint16(msg[off:])
		rr.class = binary.BigEndian.Uint16(msg[off+2:])
		rr.ttl = binary.BigEndian.Uint32(msg[off+4:])
		rr.rdlen = int(binary.BigEndian.Uint16(msg[off+8:]))
		rr.rdata = off + 10
		off = rr.rdata + rr.rdlen
		if off > len(msg) {
			return false
		}
		switch rr.typ {
		case dns.TypeA:
			ok = rr.rdlen == 4
		case dns.TypeAAAA:
			ok = rr.rdlen == 16
		case dns.TypeCNAME, dns.TypeNS:
			// Names in the data are read within it, as miekg/dns reads them.
			var end int
			end, ok = skipName(msg[:off], rr.rdata, answer)
			ok = ok && end == off
		case dns.TypeSOA:
			var end int
			end, ok = skipName(msg[:off], rr.rdata, false)
			if ok {
				end, ok = skipName(msg[:off], end, false)
			}
			ok = ok && end+20 == off
		case dns.TypeOPT:
			// The extended rcode is in the TTL field; options would need
			// reading as miekg/dns does, so a reply with any goes there.
			ok = i >= an+ns && rr.rdlen == 0 && msg[rr.owner] == 0
			opts++
			v.rcode |= int(rr.ttl>>24) << 4
		default:
			ok = false
		}
		if !ok || rr.rdlen == 0 && rr.typ != dns.TypeOPT {
			// miekg/dns keeps an empty record without its data.
			return false
		}
		if answer {
			switch {
			case v.nrrs < len(v.rrsBuf):
				v.rrsBuf[v.nrrs] = rr
			case v.more == nil:
				v.more = append(append(make([]wireRR, 0, 2*len(v.rrsBuf)), v.rrsBuf[:]...), rr)
			default:
				v.more = append(v.more, rr)
			}
			v.nrrs++
		}
	}
	return opts <= 1 && off == len(msg)
}

// skipName returns the offset just past the name at off. It reports false
// for what parseWire leaves to miekg/dns: a pointer that does not point
// backwards (or the 17th of a name), a label type other than a plain label, a name longer than 250
// octets and, when plain is set, a character other than a letter, a digit,
// '-' or '_'.
func skipName(msg []byte, off int, plain bool) (int, bool) {
	end := -1 // where the name ends in place: just past its first pointer
	total, ptrs := 0, 0
	for {
		if off >= len(msg) {
			return 0, false
		}
		l := int(msg[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return end, true
		case l&0xc0 == 0xc0:
			if off+1 >= len(msg) {
				return 0, false
			}
			ptr := int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			if ptrs++; ptr >= off || ptrs > 16 {
				return 0, false
			}
			if end < 0 {
				end = off + 2
			}
			off = ptr
			continue
		case l > 63:
			return 0, false
		}
		total += l + 1
		if total > 250 || off+1+l > len(msg) {
			return 0, false
		}
		if plain {
			for _, ch := range msg[off+1 : off+1+l] {
				if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_') {
					return 0, false
				}
			}
		}
		off += 1 + l
	}
}

// isPlainName reports whether name (without the trailing dot) is made of
// labels of 1 to 63 letters, digits, '-' and '_': then appendQueryWire
// writes them as they are, as miekg/dns would.
func isPlainName(name string) bool {
	label := 0
	for i := 0; i < len(name); i++ {
		switch ch := name[i]; {
		case ch == '.':
			if label == 0 {
				return false
			}
			label = 0
		case 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_':
			if label++; label > 63 {
				return false
			}
		default:
			return false
		}
	}
	return label > 0 && len(name) <= 253
}

// appendQueryWire appends the query for (name, qtype), class IN, with an
// EDNS(0) OPT record advertising udpSize, as miekg/dns packs it (message ID
// 0: exchange sets it). name is a plain name (isPlainName).
func appendQueryWire(b []byte, name string, qtype uint16, rd bool, udpSize uint16) []byte {
	var flags uint16
	if rd {
		flags = 1 << 8
	}
	b = append(b, 0, 0, byte(flags>>8), byte(flags), 0, 1, 0, 0, 0, 0, 0, 1)
	for label := range strings.SplitSeq(name, ".") {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	b = append(b, 0, byte(qtype>>8), byte(qtype), 0, byte(dns.ClassINET))
	// OPT: root owner, type 41, class = UDP size, TTL 0, no data.
	return append(b, 0, 0, byte(dns.TypeOPT), byte(udpSize>>8), byte(udpSize), 0, 0, 0, 0, 0, 0)
}

// nameIs reports whether the name at off in msg (one parseWire accepted in
// the answer section) is name, a name without the trailing dot, ignoring
// ASCII case: what equalName tells of the text form.
func nameIs(msg []byte, off int, name string) bool {
	pos := 0 // how much of name the labels so far matched
	for {
		l := int(msg[off])
		switch {
		case l == 0:
			return pos == len(name)
		case l&0xc0 == 0xc0:
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			continue
		}
		if pos > 0 {
			if pos >= len(name) || name[pos] != '.' {
				return false
			}
			pos++
		}
		if pos+l > len(name) || !foldEqual(msg[off+1:off+1+l], name[pos:pos+l]) {
			return false
		}
		pos += l
		off += 1 + l
	}
}

// foldEqual is strings.EqualFold for ASCII, without making a string of b.
func foldEqual(b []byte, s string) bool {
	for i, ch := range b {
		c := s[i]
		if ch == c {
			continue
		}
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if ch != c {
			return false
		}
	}
	return true
}

// nameText is the text form of the name at off (one parseWire accepted in
// the answer section), without the trailing dot.
func nameText(msg []byte, off int) string {
	var b strings.Builder
	for {
		l := int(msg[off])
		switch {
		case l == 0:
			return b.String()
		case l&0xc0 == 0xc0:
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(msg[off+1 : off+1+l])
		off += 1 + l
	}
}

// cname returns the target of the CNAME record owned by name, if any.
func (v *view) cname(name string) (string, uint32, bool) {
	if v.msg != nil {
		return findCNAME(v.msg.Answer, name)
	}
	for _, rr := range v.answerRRs() {
		if rr.typ == dns.TypeCNAME && nameIs(v.wire, rr.owner, name) {
			return nameText(v.wire, rr.rdata), rr.ttl, true
		}
	}
	return "", 0, false
}

// addrs appends the addresses of type qtype owned by name.
func (v *view) addrs(dst []Answer, name string, qtype uint16) []Answer {
	if v.msg != nil {
		return appendAddrs(dst, v.msg.Answer, name, qtype)
	}
	for _, rr := range v.answerRRs() {
		if rr.typ != qtype || rr.class != dns.ClassINET || !nameIs(v.wire, rr.owner, name) {
			continue
		}
		var a netip.Addr
		switch rr.typ {
		case dns.TypeA:
			a = netip.AddrFrom4([4]byte(v.wire[rr.rdata : rr.rdata+4]))
		case dns.TypeAAAA:
			a = netip.AddrFrom16([16]byte(v.wire[rr.rdata : rr.rdata+16]))
		default:
			continue
		}
		dst = append(dst, Answer{Addr: a, TTL: rr.ttl})
	}
	return dst
}
