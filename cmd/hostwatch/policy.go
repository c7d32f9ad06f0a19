package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hostwatch/hostwatch/probe"
)

// failOn is what --fail-on fails on: change kinds, and moves under probe.MoveRule.
type failOn struct {
	kinds []probe.ChangeKind
	move  bool
}

// match reports whether a change makes the check fail, and names what it
// matched in the words --fail-on takes them: "move" for a move, else the
// first of the change's kinds that was named (not its first kind: a change of
// country and ASN fails --fail-on asn as asn_changed). A change still waiting
// for confirmation never fails.
func (f failOn) match(c probe.Change) (string, bool) {
	if c.Pending() {
		return "", false
	}
	if f.move && c.IsMove() {
		return "move", true
	}
	for _, k := range c.Kinds {
		if slices.Contains(f.kinds, k) {
			return string(k), true
		}
	}
	return "", false
}

// failKinds maps the short names --fail-on takes to the change kinds they match.
func failKinds(name string) ([]probe.ChangeKind, bool) {
	short := map[string]probe.ChangeKind{
		"country": probe.ChangeCountry, "provider": probe.ChangeProvider, "asn": probe.ChangeASN,
		"network": probe.ChangeNetwork, "addresses": probe.ChangeAddresses, "cname": probe.ChangeCNAME,
		"status": probe.ChangeStatus, "gone": probe.ChangeGone, "new": probe.ChangeNew,
		"unresolved": probe.ChangeUnresolved, "view": probe.ChangeView,
	}
	if k, ok := short[name]; ok {
		return []probe.ChangeKind{k}, true
	}
	if name == "any" {
		// Every kind but unresolved and view_changed: a resolver that times
		// out once, or asking another way, is not a change of hosting (name
		// them to fail on them).
		return slices.DeleteFunc(probe.ChangeKinds(), func(k probe.ChangeKind) bool {
			return k == probe.ChangeUnresolved || k == probe.ChangeView
		}), true
	}
	for _, k := range probe.ChangeKinds() {
		if string(k) == name {
			return []probe.ChangeKind{k}, true
		}
	}
	return nil, false
}

const failOnHelp = "fail (exit 1) on these changes: move (a new provider or country, confirmed; see --help), country, provider, asn, network, addresses, cname, status, gone, new, unresolved, view, any (all but unresolved and view); comma-separated"

// parseFailOn turns --fail-on values ("move,gone", repeatable) into what to fail on.
func parseFailOn(values []string) (failOn, error) {
	var f failOn
	for _, v := range values {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if name == "move" || name == "moves" {
				f.move = true
				continue
			}
			ks, ok := failKinds(name)
			if !ok {
				return failOn{}, fmt.Errorf("--fail-on: unknown change %q (want move, country, provider, asn, network, addresses, cname, status, gone, new, unresolved, view or any)", name)
			}
			for _, k := range ks {
				if !slices.Contains(f.kinds, k) {
					f.kinds = append(f.kinds, k)
				}
			}
		}
	}
	return f, nil
}

// policy is a hosting policy checked on every run, changed or not.
type policy struct {
	allowCountries []string
	denyCountries  []string
	allowASNs      []uint32
}

func parseCountries(flag string, values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for cc := range strings.SplitSeq(v, ",") {
			cc = strings.ToUpper(strings.TrimSpace(cc))
			if cc == "" {
				continue
			}
			if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
				return nil, fmt.Errorf("%s: %q is not a two-letter country code (ISO 3166-1 alpha-2, such as ID or SG)", flag, cc)
			}
			out = append(out, cc)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func parseASNs(flag string, values []string) ([]uint32, error) {
	var out []uint32
	for _, v := range values {
		for s := range strings.SplitSeq(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(s), "AS"), 10, 32)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("%s: %q is not an AS number (such as 7713 or AS7713)", flag, s)
			}
			out = append(out, uint32(n))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// violations lists the addresses of an observation that break the policy.
// Addresses in special-purpose blocks, and facts the data does not know, are
// reported as breaking an allow-list: what cannot be shown allowed is not.
func (p policy) violations(o probe.Observation) []probe.Violation {
	if len(p.allowCountries)+len(p.denyCountries)+len(p.allowASNs) == 0 {
		return nil // no policy: nothing to check, for each of a bulk run's names
	}
	var out []probe.Violation
	for _, a := range o.Addresses {
		v := probe.Violation{Domain: o.Target.Domain, Address: a.IP, ASN: a.ASN, Country: a.Country}
		switch {
		case len(p.allowCountries) > 0 && !slices.Contains(p.allowCountries, a.Country):
			v.Policy, v.Values = probe.PolicyAllowCountry, p.allowCountries
		case slices.Contains(p.denyCountries, a.Country):
			v.Policy, v.Values = probe.PolicyDenyCountry, p.denyCountries
		case len(p.allowASNs) > 0 && !slices.Contains(p.allowASNs, a.ASN):
			asns := make([]string, len(p.allowASNs))
			for i, n := range p.allowASNs {
				asns[i] = fmt.Sprintf("AS%d", n)
			}
			v.Policy, v.Values = probe.PolicyAllowASN, asns
		default:
			continue
		}
		out = append(out, v)
	}
	return out
}
