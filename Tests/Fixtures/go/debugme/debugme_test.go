package main

import "testing"

func TestTotal(t *testing.T) {
	got := total([]int{2, 3, 4}) // BREAK TEST
	if got != 9 {
		t.Fatalf("total = %d, want 9", got)
	}
}
