package attribution

import (
	"fmt"
	"time"
)

// StaleAfter is the age past which data is called stale in every report:
// networks change hands and move, and the sources publish daily.
const StaleAfter = 90 * 24 * time.Hour

// Date is the day the dataset's data is from, when its Version is a date.
func (d Dataset) Date() (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, d.Version)
	return t, err == nil
}

// StaleWarnings returns one line for each dataset older than StaleAfter at now.
func StaleWarnings(ds []Dataset, now time.Time) []string {
	var out []string
	for _, d := range ds {
		date, ok := d.Date()
		if !ok {
			continue
		}
		if age := now.Sub(date); age > StaleAfter {
			out = append(out, fmt.Sprintf("%s is from %s, %d days old; see hostwatch db status",
				d.ID, d.Version, int(age.Hours()/24)))
		}
	}
	return out
}
