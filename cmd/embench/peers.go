package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// peersScript is the Python side of the NumPy, FAISS and PyTorch peers.
//
//go:embed peers.py
var peersScript []byte

// encodePeersScript is the Python side of the encode scenarios' peers
// (sentence-transformers and ONNX Runtime), imported by peers.py.
//
//go:embed encode_peers.py
var encodePeersScript []byte

// EnvPython names the variable that chooses the Python with the peers'
// packages; without it embench uses python3 from PATH. CI sets it to its
// virtual environment's python (.ci/setup.d/05-python.sh).
const EnvPython = "SILICA_PYTHON"

// python is a Python interpreter and what it has.
type python struct {
	path    string
	version string
	mods    map[string]string  // peer -> version, for the peers it has
	why     map[string]string  // peer -> why it is missing
	dir     string             // scratch directory: the script, inputs, outputs
	files   map[*tensor]string // inputs already written, by host tensor

	torchDevice string // the torch peer's device ("cpu" or "cuda"), where it has torch
}

// findPython finds the interpreter and asks it which peers it has, the
// torch peer on torchDevice ("cpu", "cuda"; "" for cuda where PyTorch sees
// one, else cpu). The error says why no Python peer can run at all.
func findPython(torchDevice string) (*python, error) {
	if torchDevice == "" {
		torchDevice = "auto"
	}
	path := os.Getenv(EnvPython)
	if path == "" {
		p, err := exec.LookPath("python3")
		if err != nil {
			return nil, fmt.Errorf("no python3 on PATH and %s unset; install Python 3 with numpy and faiss-cpu, or set %s to one", EnvPython, EnvPython)
		}
		path = p
	}
	dir, err := tempDir()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "peers.py")
	if err := os.WriteFile(script, peersScript, 0o600); err != nil {
		removeDir(dir)
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "encode_peers.py"), encodePeersScript, 0o600); err != nil {
		removeDir(dir)
		return nil, err
	}
	out, err := probePython(path, script, torchDevice)
	if err != nil {
		removeDir(dir)
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return nil, fmt.Errorf("%s does not run: %v", path, err)
	}
	var probe map[string]any
	if err := json.Unmarshal(out, &probe); err != nil {
		removeDir(dir)
		return nil, fmt.Errorf("%s: unreadable probe answer %q: %v", path, out, err)
	}
	py := &python{path: path, dir: dir, mods: map[string]string{}, why: map[string]string{}, files: map[*tensor]string{}}
	py.version, _ = probe["python"].(string)
	install := map[string]string{"numpy": "numpy", "faiss": "faiss-cpu", "torch": "torch",
		peerST: "sentence-transformers", peerORT: "onnxruntime tokenizers sentence-transformers (the ONNX export needs torch)"}
	for _, peer := range knownPeers {
		if v, ok := probe[peer].(string); ok {
			py.mods[peer] = v
		} else if why, ok := probe[peer+"_unusable"].(string); ok {
			py.why[peer] = fmt.Sprintf("%s: %s", path, why) // installed, but not for this run
		} else {
			why, _ := probe[peer+"_error"].(string)
			py.why[peer] = peerHint(path, peer, why, install[peer])
		}
	}
	if v, ok := py.mods["torch"]; ok {
		py.torchDevice, _ = probe["torch_device"].(string)
		name, _ := probe["torch_device_name"].(string)
		py.mods["torch"] = fmt.Sprintf("%s on %s (%s)", v, py.torchDevice, name)
	}
	if _, ok := py.mods["numpy"]; !ok {
		for _, peer := range knownPeers[1:] {
			if _, ok := py.mods[peer]; ok {
				py.why[peer] = py.why["numpy"] // peers.py needs NumPy for every peer
				delete(py.mods, peer)
			}
		}
	}
	return py, nil
}

// probePython runs `script --probe` with the Python at path and returns
// its answer, which depends on that Python and torchDevice alone. It is a
// variable so that the tests can share one probe among their runs:
// importing every peer's packages takes seconds.
var probePython = func(path, script, torchDevice string) ([]byte, error) {
	return exec.Command(path, script, "--probe", "--torch-device", torchDevice).Output()
}

// peerHint says that the Python at path lacks peer (the import failed
// with why) and how to get it: install into that very Python, or point
// SILICA_PYTHON at one that has it.
func peerHint(path, peer, why, pkg string) string {
	return fmt.Sprintf("%s has no %s (%s); pip install %s into that Python, or set %s to a Python that has it",
		path, peer, why, pkg, EnvPython)
}

func (py *python) close() { removeDir(py.dir) }

// peerProc is a running peers.py.
type peerProc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
	py     *python
}

func (py *python) start() (*peerProc, error) {
	p := &peerProc{py: py}
	p.cmd = exec.Command(py.path, filepath.Join(py.dir, "peers.py"))
	p.cmd.Stderr = &p.stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", py.path, err)
	}
	return p, nil
}

// answer is one reply of peers.py.
type answer struct {
	OK            bool      `json:"ok"`
	Error         string    `json:"error"`
	Files         []string  `json:"files"`
	MS            []float64 `json:"ms"`
	ResidentBytes int64     `json:"resident_bytes"`
	DeviceBytes   int64     `json:"device_bytes"`
	// Extra is what a timing loop recorded of its runs' parts
	// (encode_store).
	Extra *pipelineStats `json:"extra"`
}

// call sends one request and reads its answer.
func (p *peerProc) call(req map[string]any) (*answer, error) {
	line, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, err := p.in.Write(append(line, '\n')); err != nil {
		return nil, p.died(err)
	}
	reply, err := p.out.ReadBytes('\n')
	if err != nil {
		return nil, p.died(err)
	}
	var a answer
	if err := json.Unmarshal(reply, &a); err != nil {
		return nil, fmt.Errorf("peers.py: unreadable answer %q: %v", reply, err)
	}
	if !a.OK {
		return &a, errors.New(a.Error)
	}
	return &a, nil
}

func (p *peerProc) died(err error) error {
	msg := strings.TrimSpace(p.stderr.String())
	if i := strings.LastIndex(msg, "\n"); i >= 0 && len(msg) > 2000 {
		msg = msg[len(msg)-2000:]
	}
	return fmt.Errorf("peers.py stopped (%v): %s", err, msg)
}

func (p *peerProc) close() {
	p.call(map[string]any{"cmd": "quit"})
	p.in.Close()
	p.cmd.Wait()
}

// inputs writes the tensors as .npy files (once each, for every peer)
// and returns their paths by name.
func (py *python) inputs(ts []*tensor) (map[string]string, error) {
	out := map[string]string{}
	for _, t := range ts {
		path, ok := py.files[t]
		if !ok {
			path = filepath.Join(py.dir, fmt.Sprintf("in%d-%s.npy", len(py.files), t.Name))
			if err := writeNPY(path, t); err != nil {
				return nil, err
			}
			py.files[t] = path
		}
		out[t.Name] = path
	}
	return out, nil
}

// texts writes each list of texts as a JSON file and returns their
// paths by name.
func (py *python) texts(ts map[string][]string) (map[string]string, error) {
	out := map[string]string{}
	for name, list := range ts {
		b, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(py.dir, fmt.Sprintf("text%d-%s.json", len(py.files)+len(out), name))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, err
		}
		out[name] = path
	}
	return out, nil
}

// forget deletes the input files of tensors no longer needed.
func (py *python) forget(ts []*tensor) {
	for _, t := range ts {
		if path, ok := py.files[t]; ok {
			os.Remove(path)
			delete(py.files, t)
		}
	}
}

// group loads a group's inputs into peer and builds its state.
func (p *peerProc) group(peer string, g *group) (*answer, error) {
	in, err := p.py.inputs(g.Inputs)
	if err != nil {
		return nil, err
	}
	texts, err := p.py.texts(g.Texts)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, path := range texts {
			os.Remove(path)
		}
	}()
	for name, path := range texts {
		in[name] = path
	}
	params := map[string]any{}
	for k, v := range g.PeerParams {
		params[k] = v
	}
	if peer == "torch" || peer == peerST {
		params["device"] = p.py.torchDevice
	}
	return p.call(map[string]any{"cmd": "group", "peer": peer, "group": g.Peer, "inputs": in, "params": params})
}

// output runs a case once and reads its outputs back.
func (p *peerProc) output(c *caseDef) ([]tensor, error) {
	a, err := p.call(map[string]any{"cmd": "case", "op": c.PeerOp, "params": c.PeerParams, "out": filepath.Join(p.py.dir, "out")})
	if err != nil {
		return nil, err
	}
	var outs []tensor
	for _, f := range a.Files {
		t, err := readNPY(f)
		os.Remove(f)
		if err != nil {
			return nil, err
		}
		outs = append(outs, t)
	}
	return outs, nil
}

// release frees the peer's group.
func (p *peerProc) release() { p.call(map[string]any{"cmd": "release"}) }

// time runs the timing loop of a case in the peer; verified is how long
// its verification run took (see measure). It returns the samples and
// what the runs recorded of their parts, if anything.
func (p *peerProc) time(c *caseDef, pol policy, verified time.Duration) ([]float64, *pipelineStats, error) {
	polJSON := map[string]any{
		"verified_ms": float64(verified.Microseconds()) / 1e3, "slow_case": slowCase,
		"warmup": pol.Warmup, "min_reps": pol.MinReps, "max_reps": pol.MaxReps,
		"min_ms": float64(pol.MinTime.Microseconds()) / 1e3, "max_ms": float64(pol.MaxTime.Microseconds()) / 1e3,
	}
	a, err := p.call(map[string]any{"cmd": "time", "op": c.PeerOp, "params": c.PeerParams, "policy": polJSON})
	if err != nil {
		return nil, nil, err
	}
	return a.MS, a.Extra, nil
}
