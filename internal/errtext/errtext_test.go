package errtext

import "testing"

func TestCheck(t *testing.T) {
	good := `engine: open "cuda": backend unavailable: libcuda not found (tried /usr/lib64/libcuda.so.1, /usr/lib/libcuda.so.1); install the NVIDIA driver`
	if bad := Check(good, "install the NVIDIA driver"); bad != nil {
		t.Errorf("a good message fails: %v", bad)
	}
	for _, c := range []struct{ msg, why string }{
		{"silica: search: search: k = 0", "prefix"},
		{`engine: open "cuda": engine: backend unavailable`, "prefix"},
		{"store: open d: store: backend", "prefix"},
		{`engine: open "torch:cuda": backend unavailable: open "cuda": no device`, "prefix"},
		{"no mlx package (<nil>)", "<nil>"},
		{"tried /a/b.so: /a/b.so: cannot open", "path"},
		{"two\nlines", "line"},
		{string(make([]byte, MaxLen+1)), "characters"},
		{"install it; then something else", "action"},
	} {
		if Check(c.msg, "install it") == nil {
			t.Errorf("%q passes; want a complaint about %s", c.msg, c.why)
		}
	}
}
