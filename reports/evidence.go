package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hostwatch/hostwatch/attribution"
	"github.com/hostwatch/hostwatch/probe"
)

// EvidenceSchema names the version of the evidence file format.
const EvidenceSchema = "hostwatch.evidence/v1"

// EvidenceDocument is an evidence file: one target with its raw evidence,
// and what is needed to re-check it: the tool version, the datasets the
// addresses were attributed with, the resolvers asked and the vantage.
// The target's fields are at the top level, as in a line of JSON lines.
type EvidenceDocument struct {
	Schema      string                `json:"schema"`
	GeneratedAt string                `json:"generated_at"`
	ToolVersion string                `json:"tool_version"`
	Datasets    []attribution.Dataset `json:"datasets"`
	Resolvers   []string              `json:"resolvers"`
	Vantage     VantageJSON           `json:"vantage"`
	Target
}

// EvidencePath is where WriteEvidence keeps the evidence of domain:
// DIR/XX/DOMAIN.json, where XX is the first two hex digits of the SHA-256
// of the domain's ASCII name (printf %s DOMAIN | sha256sum), so that the
// files of a million domains are spread over 256 directories rather than
// all in one.
func EvidencePath(dir, domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return filepath.Join(dir, hex.EncodeToString(sum[:1]), filepath.Base(domain)+".json")
}

// WriteEvidence writes one observation of the run r (whose observations
// are not read) with its raw evidence (the DNS replies in wire form, the
// certificate chains as sent) to EvidencePath(dir, domain), so that a
// published claim can be re-checked later. The file is replaced whole: a
// reader sees the old one or the new one.
func WriteEvidence(dir string, r probe.Report, o probe.Observation) error {
	t := NewTarget(o)
	if t.HTTP != nil && o.HTTP != nil {
		for i, h := range o.HTTP.Hops {
			if h.TLS == nil || i >= len(t.HTTP.Hops) || t.HTTP.Hops[i].TLS == nil {
				continue
			}
			for _, der := range h.TLS.Chain {
				t.HTTP.Hops[i].TLS.ChainPEM = append(t.HTTP.Hops[i].TLS.ChainPEM,
					string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
			}
		}
	}
	path := EvidencePath(dir, o.Target.Domain)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".evidence-*")
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	defer os.Remove(tmp.Name())
	doc := EvidenceDocument{Schema: EvidenceSchema, GeneratedAt: clock(r.GeneratedAt), ToolVersion: r.ToolVersion,
		Datasets: nonNil(r.Datasets), Resolvers: nonNil(r.Resolvers), Vantage: newVantageJSON(r.Vantage), Target: t}
	if err := writeDocument(tmp, doc); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	return nil
}
