package probe

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hostwatch/hostwatch/resolvers"
)

func TestErrorKindOf(t *testing.T) {
	t.Parallel()
	deadline := fmt.Errorf("a.test A: %w", deadlineError{limit: 30 * time.Second})
	tests := []struct {
		status resolvers.Status
		err    error
		want   ErrorKind
	}{
		{resolvers.StatusOK, nil, ErrorNone},
		{resolvers.StatusError, fmt.Errorf("x: %w", resolvers.ErrCNAMELoop), ErrorCNAMELoop},
		{resolvers.StatusError, errors.New("something else"), ErrorOther},
		{resolvers.StatusTimeout, fmt.Errorf("x: %w", resolvers.ErrTimeout), ErrorNone},
		// The domain's deadline is a kind of timeout history keeps apart.
		{resolvers.StatusTimeout, deadline, ErrorDeadline},
		{resolvers.StatusError, deadline, ErrorDeadline},
		{resolvers.StatusServFail, deadline, ErrorNone},
	}
	for _, tt := range tests {
		if got := ErrorKindOf(tt.status, tt.err); got != tt.want {
			t.Errorf("ErrorKindOf(%s, %v) = %q, want %q", tt.status, tt.err, got, tt.want)
		}
	}
	if !errors.Is(deadline, ErrDeadline) || !errors.Is(deadline, context.DeadlineExceeded) {
		t.Errorf("%v is not ErrDeadline and context.DeadlineExceeded", deadline)
	}
}
