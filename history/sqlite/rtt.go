package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	"github.com/hostwatch/hostwatch/history"
	"github.com/hostwatch/hostwatch/probe/geo"
)

// insertMeasurements writes a run's round trips (check --rtt), inside its
// Commit's transaction, after its domains are.
func insertMeasurements(ctx context.Context, conn *sql.Conn, runID int64, st *history.MeasurementStage) error {
	if st.Len() == 0 {
		return nil
	}
	stmt, err := conn.PrepareContext(ctx, `INSERT INTO rtt_measurements
		(run_id, domain_id, vantage, ip, vantage_lat, vantage_lon, claimed_country, method, min_ns, samples, measured_at)
		VALUES (?, (SELECT id FROM domains WHERE name = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("record round trips: %w", err)
	}
	defer stmt.Close()
	return st.Each(func(m history.Measurement, samples []byte) error {
		var lat, lon, claimed any
		if m.Location != nil {
			lat, lon = m.Location.Lat, m.Location.Lon
		}
		if m.Claimed != "" {
			claimed = m.Claimed
		}
		if _, err := stmt.ExecContext(ctx, runID, m.Domain, m.Vantage, m.IP.String(), lat, lon, claimed, m.Method,
			int64(m.Min), string(samples), formatTime(m.MeasuredAt)); err != nil {
			return fmt.Errorf("record round trips to %s: %w", m.IP, err)
		}
		return nil
	})
}

// Measurements returns every round trip recorded to ip.
func (s *Store) Measurements(ctx context.Context, ip netip.Addr) ([]history.Measurement, error) {
	q := `SELECT m.run_id, d.name, m.vantage, m.vantage_lat, m.vantage_lon, m.claimed_country,
		m.method, m.min_ns, m.samples, m.measured_at, m.ip
		FROM rtt_measurements m JOIN domains d ON d.id = m.domain_id`
	var args []any
	if ip.IsValid() {
		q += " WHERE m.ip = ?"
		args = append(args, ip.Unmap().String())
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("read round trips to %s: %w", ip, err))
	}
	defer rows.Close()
	var out []history.Measurement
	for rows.Next() {
		var m history.Measurement
		var (
			lat, lon                  sql.NullFloat64
			claimed                   sql.NullString
			minNs                     int64
			samples, measured, stored string
		)
		if err := rows.Scan(&m.RunID, &m.Domain, &m.Vantage, &lat, &lon, &claimed, &m.Method, &minNs, &samples, &measured, &stored); err != nil {
			return nil, s.wrap(fmt.Errorf("read round trips to %s: %w", ip, err))
		}
		if m.IP, err = netip.ParseAddr(stored); err != nil {
			return nil, fmt.Errorf("history database %s: rtt_measurements.ip of run %d: %w", s.path, m.RunID, err)
		}
		if lat.Valid && lon.Valid {
			m.Location = &geo.Point{Lat: lat.Float64, Lon: lon.Float64}
		}
		m.Claimed, m.Min = claimed.String, time.Duration(minNs)
		if m.Samples, err = history.DecodeSamples([]byte(samples)); err != nil {
			return nil, fmt.Errorf("history database %s: rtt_measurements.samples of run %d: %w", s.path, m.RunID, err)
		}
		if m.MeasuredAt, err = parseTime(measured); err != nil {
			return nil, fmt.Errorf("history database %s: rtt_measurements.measured_at of run %d: %w", s.path, m.RunID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(fmt.Errorf("read round trips to %s: %w", ip, err))
	}
	history.SortMeasurements(out)
	return out, nil
}
