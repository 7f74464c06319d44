package kernels_test

import (
	"testing"

	"github.com/silica-go/silica/engine"
	"github.com/silica-go/silica/kernels"
)

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
