package main

import "testing"

func TestCollectLess(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{[]string{"check", "-f", "list.txt"}, nil, true},
		{[]string{"audit", "-f", "list.txt"}, nil, false},
		{[]string{"history", "check"}, nil, false},
		{nil, nil, false},
		{[]string{"check"}, map[string]string{"GOGC": "100"}, false},
		{[]string{"check"}, map[string]string{"GOMEMLIMIT": "1GiB"}, false},
	} {
		if got := collectLess(tc.args, func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("collectLess(%q, %v) = %v, want %v", tc.args, tc.env, got, tc.want)
		}
	}
}

func TestListSome(t *testing.T) {
	for _, tc := range []struct {
		items []string
		want  string
	}{
		{nil, ""},
		{[]string{"new (a)", "new (b)"}, "new (a), new (b)"},
		{[]string{"a", "b", "c", "d"}, "a, b, c and 1 more"},
	} {
		if got := listSome(tc.items, 3); got != tc.want {
			t.Errorf("listSome(%q) = %q, want %q", tc.items, got, tc.want)
		}
	}
}
