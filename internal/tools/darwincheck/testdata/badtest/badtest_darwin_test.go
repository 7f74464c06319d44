package badtest

import "testing"

func TestTwice(t *testing.T) {
	var got string = Twice(2) // planted: Twice returns int
	if got != "4" {
		t.Fail()
	}
}
