package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/silica-go/silica/internal/testenv"
)

// needPeers skips (fails in CI) without a Python that has NumPy and FAISS.
// It probes with the torch peer on the CPU, as the runs of its tests do
// (--torch-device cpu, which NumPy and FAISS ignore): the probe the
// encode tests make, shared among the tests (memoProbe).
func needPeers(t *testing.T) {
	t.Helper()
	py, err := findPython("cpu")
	if err == nil {
		defer py.close()
		for _, p := range []string{"numpy", "faiss"} {
			if _, ok := py.mods[p]; !ok {
				err = fmt.Errorf("%s", py.why[p])
				break
			}
		}
	}
	testenv.Need(t, "faiss", err) // and NumPy: err names what is missing
}

// TestPeers runs NumPy and FAISS on the seed's table and the store: each
// answer verified against the CPU reference, then timed.
func TestPeers(t *testing.T) {
	t.Parallel()
	needPeers(t)
	code, rep, _ := runJSON(t, "--quick", "--backend", "none", "--peers", "numpy,faiss", "--torch-device", "cpu", "--docs", "500", "--batches", "64",
		"--scenario", "matmul,cosine_prenorm,slice,store_add,store_search_1,store_search_64")
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	got := map[string]int{}
	for _, r := range rep.Results {
		got[r.Backend]++
		if !r.Verified || r.Status != statusOK || r.MedianMS == nil || r.Runner != "python" {
			t.Errorf("%s %s %s: verified %t, status %s, error %q", r.Backend, r.Scenario, r.DType, r.Verified, r.Status, r.Error)
		}
	}
	// NumPy: 3 seed cases and 3 store cases at float32; FAISS: 3 store
	// cases at each of float32 and float16.
	if got["numpy"] != 6 || got["faiss"] != 6 {
		t.Errorf("results per peer %v, want numpy 6 and faiss 6", got)
	}
	if len(rep.Peers) != 2 {
		t.Errorf("peers %v", rep.Peers)
	}
	skipped := map[string]bool{}
	for _, s := range rep.Skipped {
		skipped[s.Backend+" "+s.DType] = true
	}
	if !skipped["faiss float32"] || !skipped["numpy float16"] {
		t.Errorf("skipped %v: want FAISS on the seed's table and NumPy at float16, with reasons", rep.Skipped)
	}
}

// TestPeerWrongNotTimed corrupts the peer's first output and makes its
// timing loop fail: the case must be reported wrong, not timed (a call to
// the timing loop would show as a failure instead).
func TestPeerWrongNotTimed(t *testing.T) {
	needPeers(t)
	orig := peersScript
	defer func() { peersScript = orig }()
	patch := []byte(`
_outputs = Group.outputs
def _wrong_outputs(self, op, p):
    outs = _outputs(self, op, p)
    outs[0].flat[outs[0].size // 2] += 0.5
    return outs
def _no_time(self, op, p, policy):
    raise RuntimeError("a wrong answer was timed")
Group.outputs = _wrong_outputs
Group.time = _no_time

if __name__ == "__main__":`)
	peersScript = bytes.Replace(orig, []byte("\nif __name__ == \"__main__\":"), patch, 1)
	code, rep, _ := runJSON(t, "--quick", "--backend", "none", "--peers", "numpy,faiss", "--torch-device", "cpu", "--docs", "300",
		"--dtypes", "float32", "--scenario", "normalize,store_search_1")
	if code != exitWrong {
		t.Errorf("exit %d, want %d", code, exitWrong)
	}
	if len(rep.Results) != 3 {
		t.Fatalf("%d results, want 3 (numpy normalize and search, faiss search)", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Verified || r.Status != statusWrong || r.MedianMS != nil {
			t.Errorf("%s %s: verified %t, status %s, error %q: want wrong and untimed", r.Backend, r.Scenario, r.Verified, r.Status, r.Error)
		}
	}
}

// needTorchPeer returns the Python that embench would use, closed when
// the test ends; without torch and NumPy there the test is skipped (or,
// under SILICA_CI without torch-python allowed missing, fails).
func needTorchPeer(t *testing.T) *python {
	t.Helper()
	py, err := findPython("")
	if err == nil {
		t.Cleanup(py.close)
		if _, ok := py.mods["torch"]; !ok {
			err = fmt.Errorf("%s", py.why["torch"])
		}
	}
	testenv.Need(t, "torch-python", err)
	return py
}

// TestTorchPeer runs the torch peer (plain PyTorch in Python, on the
// device --torch-device picks) on the store at both dtypes, a large-k case
// among the searches: each answer verified against the CPU reference,
// then timed. It needs a SILICA_PYTHON with torch and NumPy, which CI
// does not install.
func TestTorchPeer(t *testing.T) {
	t.Parallel()
	py := needTorchPeer(t)
	code, rep, table := runJSON(t, "--quick", "--backend", "none", "--peers", "torch", "--docs", "1100", "--batches", "64",
		"--large-k", "1000", "--scenario", "store_add,store_search_1,store_search_64,store_search_8_k1000")
	if code != 0 {
		t.Errorf("exit %d:\n%s", code, table)
	}
	if len(rep.Results) != 8 {
		t.Errorf("%d results, want 4 cases at each of 2 dtypes", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Backend != "torch" || !r.Verified || r.Status != statusOK || r.MedianMS == nil || r.Runner != "python" {
			t.Errorf("%s %s %s: verified %t, status %s, error %q", r.Backend, r.Scenario, r.DType, r.Verified, r.Status, r.Error)
		}
	}
	if rep.Config.TorchDevice != py.torchDevice || len(rep.Peers) != 1 || !strings.Contains(rep.Peers[0].Version, " on "+py.torchDevice) {
		t.Errorf("torch device %q, peers %+v: want the device the probe chose, %q", rep.Config.TorchDevice, rep.Peers, py.torchDevice)
	}
}

// TestTorchPeerSharded runs the torch peer sharded by hand (--shards 3:
// the rows in three runs, each searched, the candidates merged) beside
// the plain one, a large k above a shard's rows among the cases: every
// answer verified against the CPU reference, then timed.
func TestTorchPeerSharded(t *testing.T) {
	t.Parallel()
	needTorchPeer(t)
	code, rep, table := runJSON(t, "--quick", "--backend", "none", "--peers", "torch", "--docs", "1100", "--batches", "64",
		"--large-k", "1000", "--dtypes", "float32", "--shards", "1,3", "--scenario", "store_search_1,store_search_64,store_search_8_k1000")
	if code != 0 {
		t.Errorf("exit %d:\n%s", code, table)
	}
	shards := map[int]int{}
	for _, r := range rep.Results {
		shards[r.Shards]++
		if r.Backend != "torch" || !r.Verified || r.Status != statusOK || r.MedianMS == nil {
			t.Errorf("%s %s, %d shards: verified %t, status %s, error %q", r.Backend, r.Scenario, r.Shards, r.Verified, r.Status, r.Error)
		}
	}
	if shards[0] != 3 || shards[3] != 3 {
		t.Errorf("results by shard count %v; want 3 plain and 3 of 3 shards", shards)
	}
}
