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

// TestNameParts: several params, empty ones and a kernel of no dtype.
func TestNameParts(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{kernels.Name("scan", "select", engine.Float16, "float16", "mq8", "", "dot"), "scan_select_float16_float16_mq8_dot"},
		{kernels.Name("gather", "slice", engine.InvalidDType, "w16"), "gather_slice_w16"},
		{kernels.Name("convert", "dequantize", engine.Int8), "convert_dequantize_int8"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}
