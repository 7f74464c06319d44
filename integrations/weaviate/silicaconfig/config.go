package silicaconfig

import (
	"fmt"
	"sort"
	"strings"
)

// IndexType is the vectorIndexType a collection names to use this index.
const IndexType = "silica"

// Weaviate's names of the distances this index supports.
const (
	DistanceCosine    = "cosine"
	DistanceDot       = "dot"
	DistanceL2Squared = "l2-squared"
)

// The storage types of the rows, as UserConfig.DType holds them.
const (
	DTypeFloat32 = "float32"
	DTypeFloat16 = "float16"
	DTypeInt8    = "int8"
)

// UserConfig is a parsed vectorIndexConfig of a "silica" index. Its JSON
// form is the map ParseAndValidate reads, so a schema Weaviate stores and
// reloads parses back to the same value.
type UserConfig struct {
	Distance string `json:"distance"`
	DType    string `json:"dtype"`
	Backend  string `json:"backend"`
	Device   string `json:"device"`
}

// Default returns the configuration of an index configured with no fields:
// cosine distance, float32 rows, the default backend.
func Default() UserConfig {
	return UserConfig{Distance: DistanceCosine, DType: DTypeFloat32}
}

// IndexType returns "silica".
func (u UserConfig) IndexType() string { return IndexType }

// DistanceName returns Weaviate's name of the distance.
func (u UserConfig) DistanceName() string { return u.Distance }

// IsMultiVector returns false: the index holds one vector per object.
func (u UserConfig) IsMultiVector() bool { return false }

// compressions are Weaviate's compression settings, refused when enabled.
var compressions = []string{"pq", "bq", "sq", "rq"}

// ParseAndValidate reads a vectorIndexConfig: nil (the defaults) or a JSON
// object decoded into a map. Unknown fields, fields of the wrong type, a
// distance or dtype this index does not support, an enabled compression and
// a multi-vector collection are errors, one line each, naming the field.
func ParseAndValidate(input any, isMultiVector bool) (UserConfig, error) {
	u := Default()
	if isMultiVector {
		return u, fmt.Errorf("silica vector index: multi-vector collections are not supported; use one vector per object")
	}
	if input == nil {
		return u, nil
	}
	m, ok := input.(map[string]any)
	if !ok {
		return u, fmt.Errorf("silica vector index: vectorIndexConfig is a %T; want a JSON object", input)
	}
	for _, key := range sortedKeys(m) {
		v := m[key]
		switch key {
		case "distance", "dtype", "backend", "device":
			s, ok := v.(string)
			if !ok {
				return u, fmt.Errorf("silica vector index: %s is a %T; want a string", key, v)
			}
			switch key {
			case "distance":
				u.Distance = s
			case "dtype":
				u.DType = s
			case "backend":
				u.Backend = s
			case "device":
				u.Device = s
			}
		case "pq", "bq", "sq", "rq":
			if compressionEnabled(v) {
				return u, fmt.Errorf("silica vector index: compression %s is not supported; the index searches every row exactly (choose dtype float16 or int8 to use less memory)", key)
			}
		default:
			return u, fmt.Errorf("silica vector index: unknown field %q in vectorIndexConfig; known fields: distance, dtype, backend, device", key)
		}
	}
	if u.Distance == "" {
		u.Distance = DistanceCosine
	}
	switch u.Distance {
	case DistanceCosine, DistanceDot, DistanceL2Squared:
	default:
		return u, fmt.Errorf("silica vector index: distance %q is not supported; choose %q, %q or %q", u.Distance, DistanceCosine, DistanceDot, DistanceL2Squared)
	}
	dt, err := canonicalDType(u.DType)
	if err != nil {
		return u, err
	}
	u.DType = dt
	return u, nil
}

// canonicalDType returns the canonical name of a storage type.
func canonicalDType(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", "float32", "f32":
		return DTypeFloat32, nil
	case "float16", "f16":
		return DTypeFloat16, nil
	case "int8", "i8":
		return DTypeInt8, nil
	}
	return "", fmt.Errorf("silica vector index: dtype %q is not supported; choose float32, float16 or int8", s)
}

// compressionEnabled reports whether a compression's setting turns it on:
// an object whose "enabled" is true (a bare true counts too).
func compressionEnabled(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case map[string]any:
		e, _ := x["enabled"].(bool)
		return e
	}
	return v != nil
}

// sortedKeys returns the keys of m in order, so that the first bad field
// reported is the same every time.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValidateUpdate checks an update of a collection's index configuration:
// every field is fixed once the index exists (the rows are stored in the
// dtype and normalized for the distance; the backend holds them), so any
// change is an error naming the field. Both configs must be UserConfigs.
func ValidateUpdate(initial, updated any) error {
	a, ok := initial.(UserConfig)
	if !ok {
		return fmt.Errorf("silica vector index: initial config is a %T, not a silica config", initial)
	}
	b, ok := updated.(UserConfig)
	if !ok {
		return fmt.Errorf("silica vector index: updated config is a %T, not a silica config", updated)
	}
	for _, f := range []struct{ name, was, now string }{
		{"distance", a.Distance, b.Distance},
		{"dtype", a.DType, b.DType},
		{"backend", a.Backend, b.Backend},
		{"device", a.Device, b.Device},
	} {
		if f.was != f.now {
			return fmt.Errorf("silica vector index: %s is immutable: attempted change from %q to %q", f.name, f.was, f.now)
		}
	}
	return nil
}
