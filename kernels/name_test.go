package kernels_test

import (
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

// TestName: the one naming rule.
func TestName(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{kernels.Name("cosine_topk", "scan", engine.Float16, "128"), "cosine_topk_scan_float16_128"},
		{kernels.Name("normalize", "rows", engine.BFloat16, ""), "normalize_rows_bfloat16"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
