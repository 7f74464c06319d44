package testenv

import (
	"slices"
	"testing"
)

// TestSample checks the subset of a sweep: the kept items and extra
// others, sorted, repeated by the same seed; every item when exhaustive.
func TestSample(t *testing.T) {
	t.Setenv("SILICA_EXHAUSTIVE", "")
	t.Setenv("SILICA_SWEEP_SEED", "12345")
	got := Sample(t, 20, []int{3, 17}, 4)
	if len(got) != 6 || !slices.IsSorted(got) || !slices.Contains(got, 3) || !slices.Contains(got, 17) {
		t.Fatalf("Sample(20, keep 3 and 17, 4 more) = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] || got[i] < 0 || got[i] >= 20 {
			t.Fatalf("Sample: %v repeats an item or leaves [0, 20)", got)
		}
	}
	if again := Sample(t, 20, []int{3, 17}, 4); !slices.Equal(again, got) {
		t.Fatalf("the same seed drew %v, then %v", got, again)
	}
	if all := Sample(t, 3, []int{1}, 5); !slices.Equal(all, []int{0, 1, 2}) {
		t.Fatalf("Sample(3, keep 1, 5 more) = %v, want every item", all)
	}
	t.Setenv("SILICA_EXHAUSTIVE", "1")
	if all := Sample(t, 4, nil, 0); !slices.Equal(all, []int{0, 1, 2, 3}) {
		t.Fatalf("exhaustive: %v, want every item", all)
	}
}
