package silicaconfig

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseAndValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		input any
		multi bool
		want  UserConfig
		err   string
	}{
		{name: "nil", input: nil, want: Default()},
		{name: "empty", input: map[string]any{}, want: Default()},
		{name: "all fields", input: map[string]any{"distance": "l2-squared", "dtype": "f16", "backend": "cuda", "device": "1"},
			want: UserConfig{Distance: DistanceL2Squared, DType: DTypeFloat16, Backend: "cuda", Device: "1"}},
		{name: "dot int8", input: map[string]any{"distance": "dot", "dtype": "int8"}, want: UserConfig{Distance: DistanceDot, DType: DTypeInt8}},
		{name: "compression off", input: map[string]any{"pq": map[string]any{"enabled": false}}, want: Default()},
		{name: "multi-vector", input: nil, multi: true, err: "multi-vector"},
		{name: "pq", input: map[string]any{"pq": map[string]any{"enabled": true}}, err: "compression pq"},
		{name: "rq", input: map[string]any{"rq": map[string]any{"enabled": true, "bits": 8}}, err: "compression rq"},
		{name: "manhattan", input: map[string]any{"distance": "manhattan"}, err: `distance "manhattan"`},
		{name: "dtype", input: map[string]any{"dtype": "bfloat16"}, err: `dtype "bfloat16"`},
		{name: "unknown field", input: map[string]any{"efConstruction": 128.0}, err: `unknown field "efConstruction"`},
		{name: "wrong type", input: map[string]any{"distance": 3.0}, err: "distance is a float64"},
		{name: "not an object", input: "cosine", err: "want a JSON object"},
	} {
		got, err := ParseAndValidate(tc.input, tc.multi)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: error %v; want one line containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

// TestRoundTrip checks that the JSON Weaviate stores of a config parses back
// to the same config, as a schema reload does.
func TestRoundTrip(t *testing.T) {
	u := UserConfig{Distance: DistanceDot, DType: DTypeInt8, Backend: "cpu"}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	got, err := ParseAndValidate(m, false)
	if err != nil || got != u {
		t.Fatalf("round trip of %s: %+v, %v", b, got, err)
	}
	if u.IndexType() != "silica" || u.DistanceName() != "dot" || u.IsMultiVector() {
		t.Fatalf("IndexType %q, DistanceName %q, IsMultiVector %v", u.IndexType(), u.DistanceName(), u.IsMultiVector())
	}
}

func TestValidateUpdate(t *testing.T) {
	a := Default()
	if err := ValidateUpdate(a, a); err != nil {
		t.Fatalf("unchanged config refused: %v", err)
	}
	b := a
	b.DType = DTypeInt8
	if err := ValidateUpdate(a, b); err == nil || !strings.Contains(err.Error(), "dtype is immutable") {
		t.Fatalf("dtype change: %v", err)
	}
	if err := ValidateUpdate(a, 3); err == nil {
		t.Fatalf("a non-silica config was accepted")
	}
}
